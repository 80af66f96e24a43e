//! DuckDB: the app's database file and everything read from or written to it — the synthetic
//! taxi sample ([`sample`]), TLC file imports ([`import`]), the read-only query runner
//! ([`guard`] + [`runner`]), the editor's completions ([`complete`]), pivot tables ([`pivot`]), saved tables in `my_db` ([`my_db`]) and
//! MotherDuck ([`motherduck`]).
//!
//! # Containment: DuckDB enforces it, the guard only explains
//!
//! DuckDB allows one instance per database file per process (two would not see each other's
//! writes), and its configuration is per instance, so there is no "trusted" and "contained"
//! connection to the same file. The decision: **the file's one instance is contained from the
//! moment it opens**, and trusted work is arranged so that it never needs more:
//!
//! - [`Database::open`] switches on DuckDB's own settings on the instance's first connection,
//!   before any other SQL ([`contain`], checked after):
//!   `enable_external_access = false`, `allowed_directories = [<data dir>/imports/]`,
//!   `autoload_known_extensions` / `autoinstall_known_extensions` / `allow_community_extensions`
//!   off and `lock_configuration = true`, so no SQL on any connection (the Query tab, AI answers,
//!   the automation endpoint's `referenceSql`, pivots, save-as-table, export) can read or write a
//!   file outside `imports/`, ATTACH, INSTALL/LOAD, read the environment, or change a setting.
//!   DuckDB opens the database file itself (and its WAL and `<file>.tmp` spill folder, which it
//!   adds to the allowed list by itself); built-in extensions (parquet, json, icu) keep working.
//! - **Imports** ([`Database::import`]): trusted Rust code copies (or hard-links) each file the
//!   person chose into `imports/` and DuckDB reads it from there — the folder that holds the
//!   imported data files is the only folder SQL can see. Secrets (`automation.json`,
//!   `settings.json`, the token fallback file) never live in it.
//! - **Export** ([`Database::export`]): `COPY` writes to `imports/.export-partial/`, and Rust moves
//!   the finished file to the path the person typed (so a stopped export leaves nothing there).
//! - **Sample generation and the event log** are plain SQL on tables: nothing outside is needed.
//! - **MotherDuck** has its own in-memory instance ([`motherduck`]): its extension must be loaded
//!   and `md:` attached while external access is on (DuckDB refuses `LOAD` afterwards), which the
//!   file's instance never allows. It is locked the same way right after attaching.
//!
//! The read-only guard ([`guard`]) stays in front as the first, friendly refusal (one statement,
//! the kinds allowed, a reason a person can act on); the hostile-SQL tests run with it switched
//! off as well ([`guard::set_disabled_for_tests`]) to show the engine refuses on its own. Error
//! text leaving this module for events, LaunchDarkly or a prompt goes through [`public_error`].

pub mod complete;
pub mod guard;
pub mod import;
pub mod lock;
pub mod motherduck;
pub mod my_db;
pub mod pivot;
pub mod runner;
pub mod sample;

mod convert;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_hostile;

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use datagata_ipc::data::{
    ColumnInfo, DataOrigin, DataStatus, ImportMode, ImportedFile, MotherDuckStatus, QueryTarget,
    SampleInfo, TableInfo,
};
use duckdb::{Config, DuckdbConnectionManager};

pub use guard::{ReadOnlySql, Refusal};
pub use runner::RunLimits;

/// A pooled connection to the app's database.
pub type Conn = r2d2::PooledConnection<DuckdbConnectionManager>;

/// A connection for one target ([`Database::conn_on`]).
pub enum TargetConn {
    Local(Conn),
    Cloud(duckdb::Connection),
}

impl std::ops::Deref for TargetConn {
    type Target = duckdb::Connection;
    fn deref(&self) -> &duckdb::Connection {
        match self {
            TargetConn::Local(c) => c,
            TargetConn::Cloud(c) => c,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The database file cannot be opened: what DuckDB or the system said, and what to do.
    #[error("opening the database {path}: {why}{}", remedy(why))]
    Open { path: String, why: String },
    /// Another process has the database file open (DuckDB allows one writer process).
    #[error("the database {path} is in use by {holder}")]
    Locked { path: String, holder: lock::Holder },
    #[error("no free database connection: {0}")]
    Pool(r2d2::Error),
    /// Not a source: the refusal *is* the message, so error chains do not repeat it.
    #[error("refused: {0}")]
    Refused(Refusal),
    #[error("the query ran longer than {} s and was stopped", .0.as_secs_f64())]
    Timeout(Duration),
    /// The editor's run was stopped by a person or replaced by a newer run.
    #[error("{0}")]
    Stopped(runner::StopCause),
    /// DuckDB's own error; a damaged file or a full disk met mid-way says what to do.
    #[error("{duck}{}", storage_remedy(&.0.to_string()), duck = .0)]
    Duck(#[from] duckdb::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("importing {path}: {why}")]
    Import { path: String, why: String },
    #[error("MotherDuck is not connected: {0}")]
    MotherDuckOffline(String),
}

/// What a person can do about a database that does not open, from what went wrong.
fn remedy(why: &str) -> &'static str {
    let has = |needles: &[&str]| needles.iter().any(|n| why.contains(n));
    let storage = storage_remedy(why);
    if !storage.is_empty() {
        storage
    } else if has(&[
        "Read-only file system",
        "Permission denied",
        "No such file or directory",
        "os error 30",
        "os error 13",
        "os error 2)",
    ]) {
        " — the data folder cannot be written: fix its permissions, or choose another folder \
         with DATAGATA_DATA_DIR (or --db)"
    } else {
        ""
    }
}

/// What to do about the storage under a database that is damaged or full (any statement can
/// meet either, not only opening).
pub(crate) fn storage_remedy(why: &str) -> &'static str {
    let has = |needles: &[&str]| needles.iter().any(|n| why.contains(n));
    if has(&[
        "not a valid DuckDB database",
        "Could not read enough bytes",
        "orrupt",
        "checksum",
        "INTERNAL Error",
    ]) {
        " — the file is damaged: move it aside (DataGata then makes a new database with the \
         sample) or put back a copy"
    } else if has(&["No space left", "os error 28"]) {
        " — the disk is full: free some space and try again"
    } else {
        ""
    }
}

/// The most characters of an error's text that leave this module ([`public_error`]).
pub const PUBLIC_ERROR_MAX_CHARS: usize = 300;

/// The text of a refused or failed query that may be stored in events (`query-completed.reason`),
/// sent to LaunchDarkly, shown beside a metric or put in a prompt: trimmed to
/// [`PUBLIC_ERROR_MAX_CHARS`] and scrubbed of what could be file contents — DuckDB quotes the
/// values it failed on (`Could not convert string '…' to INT32`, a CSV line, an `error()` text),
/// so quoted text that is not a plain name is replaced by `…`, and only the first line stays
/// (the rest is DuckDB's echo of the SQL and hints). Names (`"PULocationID"`) stay, so the AI's
/// retry still learns which column was wrong.
pub fn public_error(error: &DataError) -> String {
    scrub_error_text(&error.to_string())
}

/// [`public_error`] for error text from elsewhere (a provider's message).
pub fn scrub_error_text(text: &str) -> String {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let plain_name = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    };
    let mut out = String::with_capacity(first.len().min(PUBLIC_ERROR_MAX_CHARS + 8));
    let mut chars = first.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' || c == '"' {
            let mut quoted = String::new();
            let mut closed = false;
            for d in chars.by_ref() {
                if d == c {
                    closed = true;
                    break;
                }
                quoted.push(d);
            }
            out.push(c);
            out.push_str(if plain_name(&quoted) { &quoted } else { "…" });
            if closed {
                out.push(c);
            }
        } else {
            out.push(c);
        }
    }
    if out.chars().count() > PUBLIC_ERROR_MAX_CHARS {
        out = out.chars().take(PUBLIC_ERROR_MAX_CHARS - 1).collect();
        out.push('…');
    }
    out
}

impl From<Refusal> for DataError {
    fn from(refusal: Refusal) -> Self {
        DataError::Refused(refusal)
    }
}

impl From<r2d2::Error> for DataError {
    fn from(e: r2d2::Error) -> Self {
        DataError::Pool(e)
    }
}

/// The app's DuckDB database: a file in the data directory (or memory, for tests).
pub struct Database {
    pool: r2d2::Pool<DuckdbConnectionManager>,
    path: Option<PathBuf>,
    /// The data directory: where the database file lives (and, outside what SQL can reach, the
    /// app's other files).
    files_root: PathBuf,
    /// The only folder SQL may read or write: imported data files (see the module doc).
    imports: PathBuf,
    motherduck: motherduck::MotherDuck,
    /// What long work is under way, for [`DataStatus::busy`].
    busy: std::sync::Mutex<Option<String>>,
    /// The SQL editor's run under way, which Stop or the next run interrupts.
    editor_runs: runner::EditorRuns,
    /// Statements the read-only guard passed lately.
    passed: guard::Passed,
}

/// The folder of imported data files inside a data directory: the one folder SQL can see.
pub const IMPORTS_DIR: &str = "imports";
/// Where an export is written before it is moved to its path (inside [`IMPORTS_DIR`]).
pub const EXPORT_PARTIAL_DIR: &str = ".export-partial";

/// The settings the instance opens with: DuckDB never fetches or loads an extension by itself
/// (the app runs offline; MotherDuck's extension is installed by scripts/setup or on request).
/// With `threads`, DuckDB runs each query on at most that many threads (else on every core).
fn base_config(threads: Option<usize>) -> Result<Config, duckdb::Error> {
    let config = match threads {
        Some(n) => Config::default().threads(n.max(1) as i64)?,
        None => Config::default(),
    };
    config
        .enable_autoload_extension(false)?
        .with("autoinstall_known_extensions", "false")?
        .with("allow_community_extensions", "false")
}

/// DuckDB's threads per query for a database that runs `concurrent` questions at once: every
/// core (DuckDB's default, `None`) for one at a time, a share of the cores each for several
/// (a traffic run), so their queries do not outnumber the cores. Measured on 2 cores at
/// concurrency 2 (README, the traffic benchmark): one thread per query answered about a third
/// more questions per second than two, and the questions' own steps stopped waiting for a core.
pub fn threads_for(concurrent: usize) -> Option<usize> {
    if concurrent <= 1 {
        return None;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Some((cores / concurrent).max(1))
}

/// DuckDB's containment, switched on for the whole instance (these are global settings) on its
/// first connection, before any other SQL runs, and locked (see the module doc): no file outside
/// `allowed` (plus the spill folder DuckDB adds itself), no extension installed or loaded, no
/// environment, no setting changed afterwards. Checked after it is set. DuckDB's C config API
/// refuses list settings such as `allowed_directories`, hence SQL instead of [`Config`].
pub fn contain(
    conn: &duckdb::Connection,
    allowed: &Path,
    temp_directory: Option<&Path>,
) -> Result<(), duckdb::Error> {
    let mut dir = allowed.display().to_string();
    if !dir.ends_with('/') {
        dir.push('/');
    }
    let temp = temp_directory
        .map(|t| {
            format!(
                "SET temp_directory = {};",
                quote_literal(&t.display().to_string())
            )
        })
        .unwrap_or_default();
    conn.execute_batch(&format!(
        "{temp}
         SET allowed_directories = [{}];
         SET autoload_known_extensions = false;
         SET autoinstall_known_extensions = false;
         SET allow_community_extensions = false;
         SET enable_external_access = false;
         SET lock_configuration = true;",
        quote_literal(&dir)
    ))?;
    let (external, locked): (String, String) = conn.query_row(
        "SELECT current_setting('enable_external_access')::VARCHAR,
                current_setting('lock_configuration')::VARCHAR",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if (external.as_str(), locked.as_str()) != ("false", "true") {
        return Err(duckdb::Error::InvalidParameterName(format!(
            "DuckDB did not take the containment settings (enable_external_access = {external}, \
             lock_configuration = {locked})"
        )));
    }
    Ok(())
}

/// `--db PATH` as the CLI parses it: absolute before anything else uses it (a bare relative
/// name's parent would be the empty path, and every folder derived from it relative).
pub fn absolute_db_path(raw: &str) -> Result<PathBuf, String> {
    if raw.trim().is_empty() {
        return Err("the database path is empty".to_string());
    }
    std::path::absolute(raw).map_err(|e| format!("{raw}: {e}"))
}

/// `path` made absolute against the working directory, `.` and `..` resolved by name.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

const META: &str =
    "CREATE TABLE IF NOT EXISTS datagata_meta (key VARCHAR PRIMARY KEY, value JSON NOT NULL);
CREATE SCHEMA IF NOT EXISTS my_db;";

impl Database {
    /// Opens (creating if needed) the database file at `path`, with the taxi-zone lookup in it.
    /// The `taxi` table is created by [`Database::ensure_sample`] or an import.
    pub fn open(path: &Path) -> Result<Self, DataError> {
        Self::open_waiting(path, Duration::ZERO)
    }

    /// [`Database::open`], waiting up to `wait` while another process (a DataGata that is
    /// closing) still holds the file.
    pub fn open_waiting(path: &Path, wait: Duration) -> Result<Self, DataError> {
        Self::open_for(path, wait, 1)
    }

    /// [`Database::open_waiting`] for `concurrent` questions at once: DuckDB's threads per query
    /// are [`threads_for`] it.
    pub fn open_for(path: &Path, wait: Duration, concurrent: usize) -> Result<Self, DataError> {
        let threads = threads_for(concurrent);
        lock::retry_while_locked(wait, || Self::open_once(path, threads)).map_err(|(e, holder)| {
            match holder {
                Some(holder) => DataError::Locked {
                    path: path.display().to_string(),
                    holder,
                },
                None => e,
            }
        })
    }

    fn open_once(path: &Path, threads: Option<usize>) -> Result<Self, DataError> {
        let fail = |why: String| DataError::Open {
            path: path.display().to_string(),
            why,
        };
        // A bare relative name has an empty parent: resolve it first, or the folders derived
        // from it would be relative too.
        let path = absolute(path);
        let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        let imports = dir.join(IMPORTS_DIR);
        std::fs::create_dir_all(&imports).map_err(|e| fail(e.to_string()))?;
        let imports = imports.canonicalize().map_err(|e| fail(e.to_string()))?;
        // DuckDB starts its worker threads here; they run below the threads people wait on.
        let manager = crate::priority::open_at(crate::priority::QUERY_WORKERS, || {
            DuckdbConnectionManager::file_with_flags(&path, base_config(threads)?)
        })
        .map_err(|e| fail(e.to_string()))?;
        let db = Self::with_manager(manager, Some(path.clone()), dir, imports, None)
            .map_err(|e| fail(e.to_string()))?;
        Ok(db)
    }

    /// A database in memory whose SQL may read files only under `files_root/imports` (tests,
    /// dry runs).
    pub fn in_memory(files_root: &Path) -> Result<Self, DataError> {
        let files_root = absolute(files_root);
        let imports = files_root.join(IMPORTS_DIR);
        let fail = |e: std::io::Error| DataError::Open {
            path: imports.display().to_string(),
            why: e.to_string(),
        };
        std::fs::create_dir_all(&imports).map_err(fail)?;
        let imports = imports.canonicalize().map_err(fail)?;
        // In memory DuckDB would spill to `.tmp` in the working directory (and allow it).
        let temp = imports.join(".duckdb-tmp");
        let manager = crate::priority::open_at(crate::priority::QUERY_WORKERS, || {
            DuckdbConnectionManager::memory_with_flags(base_config(None)?)
        })?;
        Self::with_manager(manager, None, files_root, imports, Some(&temp))
    }

    fn with_manager(
        manager: DuckdbConnectionManager,
        path: Option<PathBuf>,
        files_root: PathBuf,
        imports: PathBuf,
        temp_directory: Option<&Path>,
    ) -> Result<Self, DataError> {
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            // An in-process DuckDB connection does not go stale: no test query per checkout.
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(30))
            .build(manager)?;
        let conn = pool.get()?;
        contain(&conn, &imports, temp_directory)?;
        conn.execute_batch(META)?;
        sample::ensure_zones(&conn)?;
        drop(conn);
        Ok(Self {
            pool,
            path,
            files_root,
            motherduck: motherduck::MotherDuck::default(),
            busy: std::sync::Mutex::new(None),
            editor_runs: runner::EditorRuns::default(),
            passed: guard::Passed::new(&imports),
            imports,
        })
    }

    /// A connection from the pool (returned to it when dropped).
    pub fn conn(&self) -> Result<Conn, DataError> {
        Ok(self.pool.get()?)
    }

    /// A connection of its own to the same database (for a long-lived user like the event log).
    pub fn dedicated_connection(&self) -> Result<duckdb::Connection, DataError> {
        Ok(self.pool.get()?.try_clone()?)
    }

    /// The data directory (the database file's folder). SQL cannot reach it, only
    /// [`Database::imports_dir`] inside it.
    pub fn files_root(&self) -> &Path {
        &self.files_root
    }

    /// The one folder SQL may read (imported data files), canonical.
    pub fn imports_dir(&self) -> &Path {
        &self.imports
    }

    /// A connection for a query on `target`: a pooled one to the local file, or one to the
    /// MotherDuck instance with `taxi` resolving to `sample_data.nyc.taxi`.
    pub fn conn_on(&self, target: QueryTarget) -> Result<TargetConn, DataError> {
        match target {
            QueryTarget::Local => Ok(TargetConn::Local(self.conn()?)),
            QueryTarget::MotherDuck => Ok(TargetConn::Cloud(self.motherduck.conn()?)),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn motherduck(&self) -> &motherduck::MotherDuck {
        &self.motherduck
    }

    /// Creates the default sample when there is no `taxi` table yet (first start).
    pub fn ensure_sample(&self, rows: u64, seed: u64) -> Result<(), DataError> {
        if !table_exists(&*self.conn()?, "main", "taxi")? {
            tracing::info!(rows, seed, "first start: generating the taxi sample");
            self.generate(rows, seed)?;
        }
        Ok(())
    }

    /// Runs long work with `label` shown as [`DataStatus::busy`] meanwhile.
    fn busy<T>(&self, label: String, work: impl FnOnce() -> T) -> T {
        *self.busy.lock().unwrap_or_else(|e| e.into_inner()) = Some(label);
        let out = work();
        *self.busy.lock().unwrap_or_else(|e| e.into_inner()) = None;
        out
    }

    /// Replaces `taxi` with a generated sample ([`sample::generate`]).
    pub fn generate(&self, rows: u64, seed: u64) -> Result<SampleInfo, DataError> {
        let label = format!(
            "Generating the sample: {} trips…",
            datagata_ipc::data::thousands(rows)
        );
        self.busy(label, || sample::generate(&*self.conn()?, rows, seed))
    }

    /// Imports TLC files into `taxi` ([`import::import`]).
    pub fn import(
        &self,
        paths: &[&Path],
        mode: ImportMode,
        progress: impl FnMut(&Path, usize),
    ) -> Result<Vec<ImportedFile>, DataError> {
        let label = format!("Importing {} file(s)…", paths.len());
        self.busy(label, || {
            let staged = import::stage(&self.imports, paths)?;
            let inside: Vec<&Path> = staged.iter().map(|s| s.inside.as_path()).collect();
            let result = import::import(&*self.conn()?, &inside, mode, progress);
            import::finish(&staged, result)
        })
    }

    pub fn origin(&self) -> Result<DataOrigin, DataError> {
        let conn = self.conn()?;
        read_origin(&conn)
    }

    pub fn status(&self) -> Result<DataStatus, DataError> {
        let conn = self.conn()?;
        let count = |table: &str| -> Result<u64, DataError> {
            if !table_exists(&conn, "main", table)? {
                return Ok(0);
            }
            let n: i64 =
                conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            Ok(n as u64)
        };
        Ok(DataStatus {
            database_path: self
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| ":memory:".into()),
            origin: read_origin(&conn)?,
            taxi_rows: count("taxi")?,
            zones: count("taxi_zones")?,
            motherduck: self.motherduck_status(),
            busy: self.busy.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        })
    }

    pub fn motherduck_status(&self) -> MotherDuckStatus {
        self.motherduck.status(&self.files_root)
    }

    /// Loads MotherDuck's extension and attaches `md:` with `token` in MotherDuck's own
    /// instance (see [`motherduck`]). Takes seconds; run it off the UI thread.
    pub fn connect_motherduck(&self, token: &str) -> MotherDuckStatus {
        self.motherduck
            .connect(token, &self.imports.join(EXPORT_PARTIAL_DIR))
    }

    /// Forgets the token the app stored (keyring, fallback file) and closes MotherDuck's
    /// instance; says where a token was removed from.
    pub fn disconnect_motherduck(&self) -> Result<Vec<String>, DataError> {
        let forgotten = motherduck::forget_token(&self.files_root)?;
        self.motherduck.disconnect();
        Ok(forgotten)
    }

    /// The tables and views a query on `target` can read, with their columns.
    pub fn schema(&self, target: QueryTarget) -> Result<Vec<TableInfo>, DataError> {
        let conn = self.conn_on(target)?;
        let filter = match target {
            QueryTarget::Local => {
                "database_name = current_database() AND schema_name IN ('main', 'my_db')
                 AND table_name NOT LIKE 'datagata\\_%' ESCAPE '\\'"
            }
            QueryTarget::MotherDuck => {
                "database_name <> current_database() AND database_name NOT IN ('system', 'temp')"
            }
        };
        let sql = format!(
            "SELECT database_name, schema_name, table_name,
                    list(column_name ORDER BY column_index), list(data_type ORDER BY column_index)
             FROM duckdb_columns() WHERE {filter}
             GROUP BY database_name, schema_name, table_name
             ORDER BY schema_name <> 'main', schema_name, table_name"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                list_of_strings(r.get_ref(3)?),
                list_of_strings(r.get_ref(4)?),
            ))
        })?;
        let mut tables = Vec::new();
        for row in rows {
            let (catalog, schema, name, names, types) = row?;
            let qualified_name = match (target, schema.as_str()) {
                (QueryTarget::Local, "main") => quote_ident_if_needed(&name),
                (QueryTarget::Local, _) => {
                    format!(
                        "{}.{}",
                        quote_ident_if_needed(&schema),
                        quote_ident_if_needed(&name)
                    )
                }
                (QueryTarget::MotherDuck, _) => format!(
                    "{}.{}.{}",
                    quote_ident_if_needed(&catalog),
                    quote_ident_if_needed(&schema),
                    quote_ident_if_needed(&name)
                ),
            };
            let rows = match target {
                QueryTarget::Local => conn
                    .query_row(&format!("SELECT count(*) FROM {qualified_name}"), [], |r| {
                        r.get::<_, i64>(0)
                    })
                    .ok()
                    .map(|n| n as u64),
                QueryTarget::MotherDuck => None,
            };
            tables.push(TableInfo {
                catalog,
                schema,
                name,
                qualified_name,
                columns: names
                    .into_iter()
                    .zip(types)
                    .map(|(name, sql_type)| ColumnInfo { name, sql_type })
                    .collect(),
                rows,
            });
        }
        Ok(tables)
    }
}

fn list_of_strings(value: duckdb::types::ValueRef<'_>) -> Vec<String> {
    match value.to_owned() {
        duckdb::types::Value::List(items) => items
            .into_iter()
            .map(|v| match v {
                duckdb::types::Value::Text(s) => s,
                other => format!("{other:?}"),
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn table_exists(
    conn: &duckdb::Connection,
    schema: &str,
    table: &str,
) -> Result<bool, duckdb::Error> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()
         AND schema_name = ? AND lower(table_name) = lower(?)",
        [schema, table],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

pub(crate) fn read_origin(conn: &duckdb::Connection) -> Result<DataOrigin, DataError> {
    let value: Option<String> = conn
        .query_row(
            "SELECT value::VARCHAR FROM datagata_meta WHERE key = 'origin'",
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            duckdb::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    Ok(value
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

pub(crate) fn write_origin(
    conn: &duckdb::Connection,
    origin: &DataOrigin,
) -> Result<(), DataError> {
    let json = serde_json::to_string(origin).map_err(|e| DataError::Invalid(e.to_string()))?;
    conn.execute(
        "INSERT OR REPLACE INTO datagata_meta VALUES ('origin', ?::JSON)",
        [json],
    )?;
    Ok(())
}

/// `"name"` with inner quotes doubled: an identifier DuckDB reads exactly as given.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Leaves plain lower-case identifiers bare (`taxi`), quotes the rest (`"PULocationID"`).
pub fn quote_ident_if_needed(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        quote_ident(name)
    }
}

/// `'text'` with inner quotes doubled.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
