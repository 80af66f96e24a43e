//! The query runner: one checked statement on a pooled connection, interrupted inside DuckDB
//! when it runs past its time limit, with at most a row cap of its answer sent back (the total is
//! still counted) as typed columns. Used by the SQL editor, the AI panel and the traffic generator.

use std::{
    sync::{Arc, Condvar, Mutex},
    time::{Duration, Instant},
};

use datagata_ipc::data::{ExportDone, ExportFormat, QueryRequest, QueryResult, QueryTarget};

use super::{DataError, Database, ReadOnlySql, convert, guard, quote_literal};

/// Rows sent to the UI at most, unless a request asks for fewer or more.
pub const DEFAULT_MAX_ROWS: u64 = 100_000;
/// How long a query may run, unless a request says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    pub max_rows: u64,
    pub timeout: Duration,
}

impl Default for RunLimits {
    fn default() -> Self {
        Self {
            max_rows: DEFAULT_MAX_ROWS,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl RunLimits {
    pub fn for_request(request: &QueryRequest) -> Self {
        Self {
            max_rows: request.max_rows.unwrap_or(DEFAULT_MAX_ROWS),
            timeout: request
                .timeout_ms
                .map(Duration::from_millis)
                .unwrap_or(DEFAULT_TIMEOUT),
        }
    }
}

/// Runs `work` on `conn`; if it is still running after `timeout`, DuckDB is told to interrupt
/// it (the query stops inside the engine, not just in our wait). The interrupt can only land
/// while `work` runs: the watcher and the worker agree under one lock.
pub fn with_timeout<T>(
    conn: &duckdb::Connection,
    timeout: Duration,
    work: impl FnOnce(&duckdb::Connection) -> Result<T, duckdb::Error>,
) -> Result<T, DataError> {
    let running = Arc::new((Mutex::new(true), Condvar::new()));
    let handle = conn.interrupt_handle();
    let watcher = {
        let running = running.clone();
        std::thread::spawn(move || {
            let (lock, done) = &*running;
            let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
            let (still, _) = done
                .wait_timeout_while(guard, timeout, |running| *running)
                .unwrap_or_else(|e| e.into_inner());
            if *still {
                handle.interrupt();
                true
            } else {
                false
            }
        })
    };
    let result = work(conn);
    {
        let (lock, done) = &*running;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = false;
        done.notify_all();
    }
    let interrupted = watcher.join().unwrap_or(false);
    match result {
        Err(_) if interrupted => Err(DataError::Timeout(timeout)),
        other => Ok(other?),
    }
}

impl Database {
    /// Checks and runs one question's SQL.
    pub fn run(&self, request: &QueryRequest) -> Result<QueryResult, DataError> {
        let sql = self.check(&request.sql)?;
        self.run_checked(&sql, request.target, RunLimits::for_request(request))
    }

    /// The read-only guard, on a pooled connection.
    pub fn check(&self, sql: &str) -> Result<ReadOnlySql, DataError> {
        let conn = self.conn()?;
        Ok(guard::check(&conn, sql, self.files_root())?)
    }

    /// Runs SQL that already passed the guard.
    pub fn run_checked(
        &self,
        sql: &ReadOnlySql,
        target: QueryTarget,
        limits: RunLimits,
    ) -> Result<QueryResult, DataError> {
        let conn = self.conn()?;
        let _path = self.motherduck().enter(&conn, target)?;
        let started = Instant::now();
        let (columns, rows_shown, total_rows) = with_timeout(&conn, limits.timeout, |conn| {
            let mut stmt = conn.prepare(sql.as_str())?;
            let batches = stmt.query_arrow([])?;
            let schema = batches.get_schema();
            Ok(convert::columns(&schema, batches, limits.max_rows))
        })?;
        Ok(QueryResult {
            sql: sql.as_str().to_string(),
            target,
            columns,
            rows_shown,
            total_rows,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// Writes the full answer of a checked statement to a CSV or Parquet file.
    pub fn export(
        &self,
        sql: &ReadOnlySql,
        target: QueryTarget,
        format: ExportFormat,
        path: &std::path::Path,
        timeout: Duration,
    ) -> Result<ExportDone, DataError> {
        if path.as_os_str().is_empty() || !path.is_absolute() {
            return Err(DataError::Invalid(format!(
                "export needs a full file path, not {:?}",
                path.display().to_string()
            )));
        }
        if path.exists() {
            return Err(DataError::Invalid(format!(
                "{} already exists; export to a new file name (nothing was overwritten)",
                path.display()
            )));
        }
        if let Some(dir) = path.parent().filter(|d| !d.exists()) {
            return Err(DataError::Invalid(format!(
                "the folder {} does not exist",
                dir.display()
            )));
        }
        let conn = self.conn()?;
        let _path = self.motherduck().enter(&conn, target)?;
        let options = match format {
            ExportFormat::Csv => "FORMAT csv, HEADER true",
            ExportFormat::Parquet => "FORMAT parquet",
        };
        let copy = format!(
            "COPY {} TO {} ({options})",
            sql.as_subquery(),
            quote_literal(&path.display().to_string())
        );
        let rows = with_timeout(&conn, timeout, |conn| conn.execute(&copy, []))?;
        Ok(ExportDone {
            path: path.display().to_string(),
            rows: rows as u64,
        })
    }
}
