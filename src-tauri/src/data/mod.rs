//! DuckDB: the app's database file and everything read from or written to it — the synthetic
//! taxi sample ([`sample`]), TLC file imports ([`import`]), the read-only query runner
//! ([`guard`] + [`runner`]), pivot tables ([`pivot`]), saved tables in `my_db` ([`my_db`]) and
//! MotherDuck ([`motherduck`]).
//!
//! One DuckDB instance per database file (two instances on one file in one process would not
//! see each other's writes); every user of it — the event log included — takes a connection
//! from [`Database`]'s pool.

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

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("opening the database {path}: {why}")]
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
    #[error(transparent)]
    Duck(#[from] duckdb::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("importing {path}: {why}")]
    Import { path: String, why: String },
    #[error("MotherDuck is not connected: {0}")]
    MotherDuckOffline(String),
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
    /// Questions may read files only under this folder (the data directory).
    files_root: PathBuf,
    motherduck: motherduck::MotherDuck,
    /// What long work is under way, for [`DataStatus::busy`].
    busy: std::sync::Mutex<Option<String>>,
}

/// Settings every connection shares: DuckDB must never fetch an extension by itself (the app
/// runs offline; MotherDuck's extension is installed by scripts/setup or on request).
fn config() -> Result<Config, duckdb::Error> {
    Config::default()
        .enable_autoload_extension(false)?
        .with("autoinstall_known_extensions", "false")
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
        lock::retry_while_locked(wait, || Self::open_once(path)).map_err(|(e, holder)| match holder
        {
            Some(holder) => DataError::Locked {
                path: path.display().to_string(),
                holder,
            },
            None => e,
        })
    }

    fn open_once(path: &Path) -> Result<Self, DataError> {
        let fail = |why: String| DataError::Open {
            path: path.display().to_string(),
            why,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        let manager = DuckdbConnectionManager::file_with_flags(path, config()?)
            .map_err(|e| fail(e.to_string()))?;
        let db = Self::with_manager(manager, Some(path.to_path_buf()), dir.to_path_buf())
            .map_err(|e| fail(e.to_string()))?;
        Ok(db)
    }

    /// A database in memory, reading files only under `files_root` (tests, dry runs).
    pub fn in_memory(files_root: &Path) -> Result<Self, DataError> {
        let manager = DuckdbConnectionManager::memory_with_flags(config()?)?;
        Self::with_manager(manager, None, files_root.to_path_buf())
    }

    fn with_manager(
        manager: DuckdbConnectionManager,
        path: Option<PathBuf>,
        files_root: PathBuf,
    ) -> Result<Self, DataError> {
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(30))
            .build(manager)?;
        let conn = pool.get()?;
        conn.execute_batch(META)?;
        sample::ensure_zones(&conn)?;
        drop(conn);
        Ok(Self {
            pool,
            path,
            files_root,
            motherduck: motherduck::MotherDuck::default(),
            busy: std::sync::Mutex::new(None),
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

    pub fn files_root(&self) -> &Path {
        &self.files_root
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
            import::import(&*self.conn()?, paths, mode, progress)
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

    /// The tables and views a query on `target` can read, with their columns.
    pub fn schema(&self, target: QueryTarget) -> Result<Vec<TableInfo>, DataError> {
        let conn = self.conn()?;
        let filter = match target {
            QueryTarget::Local => {
                "database_name = current_database() AND schema_name IN ('main', 'my_db')
                 AND table_name NOT LIKE 'datagata\\_%' ESCAPE '\\'"
            }
            QueryTarget::MotherDuck => {
                self.motherduck.require_connected()?;
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

/// A data error's text as it may be stored in an event, sent to LaunchDarkly or put into a
/// prompt: one line, at most [`PUBLIC_ERROR_CHARS`] characters.
pub fn public_error(e: &DataError) -> String {
    let text = e.to_string().replace(['\n', '\r'], " ");
    if text.chars().count() <= PUBLIC_ERROR_CHARS {
        text
    } else {
        let cut: String = text.chars().take(PUBLIC_ERROR_CHARS).collect();
        format!("{cut}…")
    }
}

/// How much of an error's text leaves the data module.
pub const PUBLIC_ERROR_CHARS: usize = 300;
