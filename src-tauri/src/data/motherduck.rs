//! MotherDuck, DuckDB in the cloud: with a token (`MOTHERDUCK_TOKEN`, or one entered in the app
//! and kept in the OS keyring — see [`save_token`]) the app loads DuckDB's `motherduck`
//! extension and attaches `md:`, so `sample_data.nyc.taxi` answers the same questions in the
//! cloud. The extension is never fetched silently: scripts/setup installs it offline from PyPI's
//! `duckdb-extension-motherduck` (the same file DuckDB's `INSTALL motherduck` downloads), else
//! [`MotherDuck::connect`] tries `INSTALL motherduck`. Every failure becomes a status message
//! that says what failed and what to do; the local database keeps working.
//!
//! **Its own instance.** DuckDB refuses `LOAD` once `enable_external_access` is off, and the
//! database file's instance is contained from the moment it opens (see [`super`]), so MotherDuck
//! gets an in-memory instance of its own: the extension is loaded, the token handed over as a
//! temporary DuckDB secret (`duckdb_secrets()` shows secrets redacted; the token is never a
//! setting `duckdb_settings()` lists), `md:` attached — each step under a time limit — and then
//! the same containment is switched on and locked before any question runs there. A MotherDuck
//! query therefore sees MotherDuck's databases, not the local file's tables.
//!
//! **The token at rest**: the OS keyring (Secret Service on Linux, the macOS Keychain, Windows'
//! Credential Manager) through the `keyring` crate. Where no keyring answers (a Linux machine
//! without a desktop session), a file readable by its owner only in the data directory — outside
//! the `imports/` folder, the only one SQL can read. [`token`] says which one holds it.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
    time::Duration,
};

use datagata_ipc::data::{MotherDuckState, MotherDuckStatus};
use duckdb::Config;

use super::{DataError, quote_literal, runner::with_timeout};

pub const TOKEN_ENV: &str = "MOTHERDUCK_TOKEN";
/// The fallback file (in the data directory, outside `imports/`) holding a token entered in the
/// app where no OS keyring answers.
pub const TOKEN_FILE: &str = "motherduck-token";
/// The keyring entry's service name.
pub const KEYRING_SERVICE: &str = "com.datagata.desktop";
/// The longest `LOAD motherduck` / `ATTACH 'md:'` may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(45);

#[derive(Default)]
pub struct MotherDuck {
    state: Mutex<Option<(MotherDuckState, String)>>,
    /// A connection to MotherDuck's own instance, once attached.
    conn: Mutex<Option<duckdb::Connection>>,
    /// Counts disconnects: a connect that was under way when one happened drops what it opened.
    generation: std::sync::atomic::AtomicU64,
}

/// Where the token is kept at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStore {
    Keyring,
    File,
}

impl TokenStore {
    pub fn label(self) -> &'static str {
        match self {
            TokenStore::Keyring => "OS keyring",
            TokenStore::File => "owner-only file (no OS keyring here)",
        }
    }
}

/// The keyring entry for the token of the data directory `data_dir`; `None` where there is no
/// keyring to ask (and in unit tests, which must not touch the machine's keyring).
fn keyring_entry(data_dir: &Path) -> Option<keyring::Entry> {
    if cfg!(test) || std::env::var_os("DATAGATA_NO_KEYRING").is_some() {
        return None;
    }
    let user = format!("motherduck-token:{}", super::absolute(data_dir).display());
    keyring::Entry::new(KEYRING_SERVICE, &user).ok()
}

/// Where the token came from, and the token: the environment, the OS keyring, else the
/// fallback file.
pub fn token(data_dir: &Path) -> Option<(&'static str, String)> {
    if let Some(t) = std::env::var(TOKEN_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        return Some(("environment", t.trim().to_string()));
    }
    if let Some(t) = keyring_entry(data_dir)
        .and_then(|e| e.get_password().ok())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
    {
        return Some(("keyring", t));
    }
    std::fs::read_to_string(data_dir.join(TOKEN_FILE))
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .map(|t| ("settings", t))
}

/// Where [`token`] found it, in words: which store is in use.
pub fn source_words(source: &str) -> &'static str {
    match source {
        "environment" => "from MOTHERDUCK_TOKEN",
        "keyring" => "in the OS keyring",
        _ => "in an owner-only file in the data folder: no OS keyring answered here",
    }
}

/// Keeps a token entered in the app: in the OS keyring (removing an older fallback file), or
/// where none answers, in a file readable by its owner only. Says which.
pub fn save_token(data_dir: &Path, token: &str) -> Result<TokenStore, DataError> {
    if let Some(entry) = keyring_entry(data_dir) {
        match entry.set_password(token.trim()) {
            Ok(()) => {
                let _ = std::fs::remove_file(data_dir.join(TOKEN_FILE));
                tracing::info!("MotherDuck token saved in the OS keyring");
                return Ok(TokenStore::Keyring);
            }
            Err(e) => {
                tracing::info!(error = %e, "no OS keyring; the token goes to an owner-only file")
            }
        }
    }
    save_token_file(data_dir, token)?;
    Ok(TokenStore::File)
}

/// Forgets a token saved by the app: its OS keyring entry and the fallback file. Says where
/// one was removed from ("keyring", "settings"); a token in `MOTHERDUCK_TOKEN` is the
/// environment's, which the app cannot change.
pub fn forget_token(data_dir: &Path) -> Result<Vec<String>, DataError> {
    let mut forgotten = Vec::new();
    if let Some(entry) = keyring_entry(data_dir) {
        match entry.delete_credential() {
            Ok(()) => forgotten.push("keyring".to_string()),
            Err(keyring::Error::NoEntry) => {}
            // No keyring answered: the token can only be in the file.
            Err(e) => tracing::info!(error = %e, "no OS keyring to forget the token in"),
        }
    }
    let file = data_dir.join(TOKEN_FILE);
    match std::fs::remove_file(&file) {
        Ok(()) => forgotten.push("settings".to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(DataError::Invalid(format!(
                "forgetting the MotherDuck token ({}): {e}",
                file.display()
            )));
        }
    }
    tracing::info!(?forgotten, "MotherDuck token forgotten");
    Ok(forgotten)
}

fn save_token_file(data_dir: &Path, token: &str) -> Result<PathBuf, DataError> {
    let path = data_dir.join(TOKEN_FILE);
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(data_dir)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        std::io::Write::write_all(&mut options.open(&path)?, token.trim().as_bytes())
    };
    write().map_err(|e| DataError::Invalid(format!("saving the MotherDuck token: {e}")))?;
    Ok(path)
}

/// A DuckDB error from loading or attaching, in words a person can act on.
pub fn explain(stage: &str, error: &str) -> String {
    let lower = error.to_lowercase();
    if lower.contains("could not establish connection")
        || lower.contains("failed to download")
        || lower.contains("could not resolve")
        || lower.contains("network")
    {
        format!(
            "Could not reach MotherDuck while {stage}: check your internet connection or proxy. \
             DataGata keeps answering from the local database. (DuckDB said: {error})"
        )
    } else if lower.contains("not found") || stage.contains("installing") {
        format!(
            "MotherDuck's DuckDB extension is not installed: run scripts/setup (it installs it from \
             PyPI's duckdb-extension-motherduck 1.5.5) or connect once with internet access. \
             DataGata keeps answering from the local database. (DuckDB said: {error})"
        )
    } else if lower.contains("token") || lower.contains("unauthenticated") || lower.contains("auth")
    {
        format!(
            "MotherDuck refused the token: check it at app.motherduck.com → Settings → Access tokens. \
             DataGata keeps answering from the local database. (DuckDB said: {error})"
        )
    } else {
        format!(
            "MotherDuck failed while {stage}. DataGata keeps answering from the local database. \
             (DuckDB said: {error})"
        )
    }
}

impl MotherDuck {
    pub fn status(&self, data_dir: &Path) -> MotherDuckStatus {
        let token_source = token(data_dir).map(|(s, _)| s.to_string());
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match (state, &token_source) {
            (Some((state, message)), _) => MotherDuckStatus {
                state,
                message,
                token_source,
            },
            (None, Some(source)) => MotherDuckStatus {
                state: MotherDuckState::NotConfigured,
                message: format!(
                    "A MotherDuck token is set ({}); not connected yet.",
                    source_words(source)
                ),
                token_source,
            },
            (None, None) => MotherDuckStatus {
                state: MotherDuckState::NotConfigured,
                message: format!(
                    "MotherDuck is not set up: set {TOKEN_ENV} or enter a token to run the same questions in the cloud."
                ),
                token_source: None,
            },
        }
    }

    /// Closes MotherDuck's instance: its queries are refused until it connects again.
    pub fn disconnect(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = None;
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn set(&self, state: MotherDuckState, message: String) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = Some((state, message));
    }

    pub fn require_connected(&self) -> Result<(), DataError> {
        match &*self.state.lock().unwrap_or_else(|e| e.into_inner()) {
            Some((MotherDuckState::Connected, _)) => Ok(()),
            Some((_, message)) => Err(DataError::MotherDuckOffline(message.clone())),
            None => Err(DataError::MotherDuckOffline(format!(
                "no token: set {TOKEN_ENV} or enter one in the app"
            ))),
        }
    }

    /// A new connection to MotherDuck's instance, with unqualified names looking in
    /// `sample_data.nyc` first (so `taxi` is the cloud's), then the person's `my_db`.
    pub fn conn(&self) -> Result<duckdb::Connection, DataError> {
        self.require_connected()?;
        let conn = match &*self.conn.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(conn) => conn.try_clone()?,
            None => {
                return Err(DataError::MotherDuckOffline(
                    "not connected yet".to_string(),
                ));
            }
        };
        conn.execute_batch("SET search_path = 'sample_data.nyc,my_db.main'")?;
        Ok(conn)
    }

    /// Opens MotherDuck's own instance: loads the extension and attaches `md:` with `token`,
    /// then contains it like the file's instance (writes only to `partial_dir`, for exports).
    /// Takes seconds (the extension checks in with MotherDuck's servers while loading); run it
    /// off the UI thread.
    pub fn connect(&self, token: &str, partial_dir: &Path) -> MotherDuckStatus {
        self.set(
            MotherDuckState::Connecting,
            "Connecting to MotherDuck…".into(),
        );
        *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let result = open_instance(token, partial_dir);
        if self.generation.load(std::sync::atomic::Ordering::SeqCst) != generation {
            // Disconnected meanwhile: what was opened is dropped, the state stays forgotten.
            let message = "Disconnected while connecting to MotherDuck.".to_string();
            tracing::info!(%message, "MotherDuck");
            return MotherDuckStatus {
                state: MotherDuckState::NotConfigured,
                message,
                token_source: None,
            };
        }
        let (state, message) = match result {
            Ok(conn) => {
                *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = Some(conn);
                (
                    MotherDuckState::Connected,
                    "Connected to MotherDuck: sample_data.nyc.taxi answers questions in the cloud."
                        .to_string(),
                )
            }
            // The token never appears in a message, whatever DuckDB echoed.
            Err(message) => (MotherDuckState::Failed, message.replace(token, "…")),
        };
        tracing::info!(?state, %message, "MotherDuck");
        self.set(state, message.clone());
        MotherDuckStatus {
            state,
            message,
            token_source: None,
        }
    }
}

fn open_instance(token: &str, partial_dir: &Path) -> Result<duckdb::Connection, String> {
    let config = Config::default()
        .enable_autoload_extension(false)
        .and_then(|c| c.with("autoinstall_known_extensions", "false"))
        .map_err(|e| explain("starting DuckDB", &e.to_string()))?;
    let conn = duckdb::Connection::open_in_memory_with_flags(config)
        .map_err(|e| explain("starting DuckDB", &e.to_string()))?;
    let step = |sql: &str| {
        with_timeout(&conn, CONNECT_TIMEOUT, |c| c.execute_batch(sql)).map_err(|e| e.to_string())
    };
    match step("LOAD motherduck") {
        Ok(()) => {}
        // Not installed yet: DuckDB's own INSTALL (needs the internet).
        Err(e) if e.contains("not found") => step("INSTALL motherduck; LOAD motherduck")
            .map_err(|e| explain("installing its DuckDB extension", &e))?,
        Err(e) => return Err(explain("loading its DuckDB extension", &e)),
    }
    step(&format!(
        "CREATE OR REPLACE TEMPORARY SECRET datagata_motherduck (TYPE motherduck, TOKEN {})",
        quote_literal(token)
    ))
    .map_err(|e| explain("handing over the token", &e))?;
    step("ATTACH IF NOT EXISTS 'md:'").map_err(|e| explain("attaching md:", &e))?;
    std::fs::create_dir_all(partial_dir).map_err(|e| explain("starting DuckDB", &e.to_string()))?;
    let mut dir = partial_dir.display().to_string();
    if !dir.ends_with('/') {
        dir.push('/');
    }
    step(&format!(
        "SET allowed_directories = [{}]; SET enable_external_access = false;
         SET allow_community_extensions = false; SET lock_configuration = true;",
        quote_literal(&dir)
    ))
    .map_err(|e| explain("locking its configuration", &e))?;
    Ok(conn)
}
