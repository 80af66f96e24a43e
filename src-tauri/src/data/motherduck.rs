//! MotherDuck, DuckDB in the cloud: with a token (`MOTHERDUCK_TOKEN`, or one entered in the app and
//! kept in its own file, readable by the owner only, beside — not in — the settings file) the
//! database loads DuckDB's `motherduck` extension and attaches `md:`, so `sample_data.nyc.taxi`
//! answers the same questions in the cloud. The extension is never fetched silently: scripts/setup
//! installs it offline from PyPI's `duckdb-extension-motherduck` (the same file DuckDB's
//! `INSTALL motherduck` downloads), else [`MotherDuck::connect`] tries `INSTALL motherduck`.
//! Every failure becomes a status message that says what failed and what to do; the local
//! database keeps working.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};

use datagata_ipc::data::{MotherDuckState, MotherDuckStatus, QueryTarget};

use super::{DataError, quote_literal};

pub const TOKEN_ENV: &str = "MOTHERDUCK_TOKEN";
/// The file (in the data directory) holding a token entered in the app.
pub const TOKEN_FILE: &str = "motherduck-token";

#[derive(Default)]
pub struct MotherDuck {
    state: Mutex<Option<(MotherDuckState, String)>>,
}

/// Where the token came from, and the token.
pub fn token(data_dir: &Path) -> Option<(&'static str, String)> {
    if let Some(t) = std::env::var(TOKEN_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        return Some(("environment", t.trim().to_string()));
    }
    std::fs::read_to_string(data_dir.join(TOKEN_FILE))
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .map(|t| ("settings", t))
}

/// Keeps a token entered in the app, readable by its owner only.
pub fn save_token(data_dir: &Path, token: &str) -> Result<PathBuf, DataError> {
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

/// Resets the search path when a MotherDuck query is done with its pooled connection.
pub struct SearchPath<'a> {
    conn: Option<&'a duckdb::Connection>,
}

impl Drop for SearchPath<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn {
            let _ = conn.execute_batch("RESET search_path");
        }
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
                message: format!("A MotherDuck token is set ({source}); not connected yet."),
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

    /// Prepares `conn` for a query on `target`: on MotherDuck, unqualified names look in
    /// `sample_data.nyc` first (so `taxi` is the cloud's), then the local database.
    pub fn enter<'a>(
        &self,
        conn: &'a duckdb::Connection,
        target: QueryTarget,
    ) -> Result<SearchPath<'a>, DataError> {
        match target {
            QueryTarget::Local => Ok(SearchPath { conn: None }),
            QueryTarget::MotherDuck => {
                self.require_connected()?;
                conn.execute_batch("SET search_path = 'sample_data.nyc,my_db.main'")?;
                Ok(SearchPath { conn: Some(conn) })
            }
        }
    }

    /// Loads the extension and attaches `md:` with `token`. Takes seconds (the extension checks
    /// in with MotherDuck's servers while loading); run it off the UI thread.
    pub fn connect(&self, conn: &duckdb::Connection, token: &str) -> MotherDuckStatus {
        self.set(
            MotherDuckState::Connecting,
            "Connecting to MotherDuck…".into(),
        );
        let result = (|| -> Result<(), String> {
            match conn.execute_batch("LOAD motherduck") {
                Ok(()) => {}
                // Not installed yet: DuckDB's own INSTALL (needs the internet).
                Err(e) if e.to_string().contains("not found") => conn
                    .execute_batch("INSTALL motherduck; LOAD motherduck")
                    .map_err(|e| explain("installing its DuckDB extension", &e.to_string()))?,
                Err(e) => return Err(explain("loading its DuckDB extension", &e.to_string())),
            }
            conn.execute_batch(&format!("SET motherduck_token = {}", quote_literal(token)))
                .map_err(|e| explain("setting the token", &e.to_string()))?;
            conn.execute_batch("ATTACH IF NOT EXISTS 'md:'")
                .map_err(|e| explain("attaching md:", &e.to_string()))?;
            Ok(())
        })();
        let (state, message) = match result {
            Ok(()) => (
                MotherDuckState::Connected,
                "Connected to MotherDuck: sample_data.nyc.taxi answers questions in the cloud."
                    .into(),
            ),
            Err(message) => (MotherDuckState::Failed, message),
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
