//! The query runner: one checked statement on a pooled connection, interrupted inside DuckDB
//! when it runs past its time limit, its answer streamed from DuckDB chunk by chunk: at most a
//! row cap of it is kept as typed columns, and the rest is counted only while that is cheap
//! ([`COUNT_LIMIT`]; beyond it the total reads "more than N"). Used by the SQL editor, the AI
//! panel and the traffic generator. Limits from a request are clamped ([`RunLimits::for_request`]).
//! The SQL editor's run can also be stopped by a person, or by the editor's next run
//! ([`EditorRuns`]): the same DuckDB interrupt the time limit uses.

use std::{
    sync::{Arc, Condvar, Mutex},
    time::{Duration, Instant},
};

use datagata_ipc::data::{ExportDone, ExportFormat, QueryRequest, QueryResult, QueryTarget};

use super::{DataError, Database, ReadOnlySql, convert, quote_literal};

/// Rows sent to the UI at most, unless a request asks for fewer or more.
pub const DEFAULT_MAX_ROWS: u64 = 100_000;
/// How long a query may run, unless a request says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The most rows a request may ask to have sent back.
pub const MAX_ROWS_LIMIT: u64 = 1_000_000;
/// The longest time limit a request may ask for.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);
/// The shortest time limit a request may ask for.
pub const MIN_TIMEOUT: Duration = Duration::from_millis(50);
/// Rows counted past the cap at most: streaming them costs time, not memory.
pub const COUNT_LIMIT: u64 = 10_000_000;

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
    /// The request's limits (from IPC, the automation endpoint, the CLI), clamped to at most
    /// [`MAX_ROWS_LIMIT`] rows and between [`MIN_TIMEOUT`] and [`MAX_TIMEOUT`].
    pub fn for_request(request: &QueryRequest) -> Self {
        Self {
            max_rows: request
                .max_rows
                .unwrap_or(DEFAULT_MAX_ROWS)
                .min(MAX_ROWS_LIMIT),
            timeout: request
                .timeout_ms
                .map(Duration::from_millis)
                .unwrap_or(DEFAULT_TIMEOUT)
                .clamp(MIN_TIMEOUT, MAX_TIMEOUT),
        }
    }
}

/// Why a run ended before its answer ([`DataError::Stopped`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    /// A person pressed Stop.
    Asked,
    /// The editor's next run replaced it.
    Replaced,
}

impl std::fmt::Display for StopCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StopCause::Asked => "the query was stopped",
            StopCause::Replaced => "the query was stopped: a newer run replaced it",
        })
    }
}

/// The SQL editor's run under way, if any: at most one, so a new run stops the one it replaces
/// and Stop knows what to interrupt. Each run registers its connection's interrupt handle while
/// DuckDB works on it and unregisters before it returns, under one lock, so an interrupt only
/// ever lands on the run it was meant for.
#[derive(Default)]
pub struct EditorRuns {
    current: Mutex<Option<EditorRun>>,
}

struct EditorRun {
    id: u64,
    handle: Arc<duckdb::InterruptHandle>,
    stopped: Arc<Mutex<Option<StopCause>>>,
}

/// One registered run ([`EditorRuns::start`]): what stopped it, if anything did.
pub struct RunTicket<'a> {
    runs: &'a EditorRuns,
    id: u64,
    stopped: Arc<Mutex<Option<StopCause>>>,
}

impl EditorRuns {
    /// Registers run `id` on `conn`, stopping the run it replaces.
    pub fn start(&self, id: u64, conn: &duckdb::Connection) -> RunTicket<'_> {
        let stopped = Arc::new(Mutex::new(None));
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = current.take() {
            Self::interrupt(&old, StopCause::Replaced);
        }
        *current = Some(EditorRun {
            id,
            handle: conn.interrupt_handle(),
            stopped: stopped.clone(),
        });
        RunTicket {
            runs: self,
            id,
            stopped,
        }
    }

    /// Interrupts run `id` (or whichever is going, for `None`); false when none was.
    pub fn stop(&self, id: Option<u64>) -> bool {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match current.as_ref() {
            Some(run) if id.is_none_or(|id| id == run.id) => {
                if let Some(run) = current.take() {
                    Self::interrupt(&run, StopCause::Asked);
                }
                true
            }
            _ => false,
        }
    }

    fn interrupt(run: &EditorRun, cause: StopCause) {
        *run.stopped.lock().unwrap_or_else(|e| e.into_inner()) = Some(cause);
        run.handle.interrupt();
    }
}

impl RunTicket<'_> {
    /// Unregisters the run (DuckDB is done with it) and says what stopped it, if anything.
    fn finish(self) -> Option<StopCause> {
        let mut current = self.runs.current.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_some_and(|r| r.id == self.id) {
            *current = None;
        }
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner())
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
    with_limits(conn, timeout, None, work)
}

/// [`with_timeout`], and also stoppable as the editor's run `ticket`.
fn with_limits<T>(
    conn: &duckdb::Connection,
    timeout: Duration,
    ticket: Option<RunTicket<'_>>,
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
    let stopped = ticket.and_then(RunTicket::finish);
    {
        let (lock, done) = &*running;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = false;
        done.notify_all();
    }
    let interrupted = watcher.join().unwrap_or(false);
    match (result, stopped) {
        (Err(_), Some(cause)) => Err(DataError::Stopped(cause)),
        (Err(_), None) if interrupted => Err(DataError::Timeout(timeout)),
        (other, _) => Ok(other?),
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
        self.passed.check(sql, || self.conn())
    }

    /// The SQL editor's run `id`: checked and run like [`Database::run`], and stopped by
    /// [`Database::stop_editor_run`] or by the editor's next run.
    pub fn run_in_editor(&self, request: &QueryRequest, id: u64) -> Result<QueryResult, DataError> {
        let sql = self.check(&request.sql)?;
        self.run_limited(
            &sql,
            request.target,
            RunLimits::for_request(request),
            Some(id),
        )
    }

    /// Interrupts the editor's run `id` (or whichever is going); false when none was.
    pub fn stop_editor_run(&self, id: Option<u64>) -> bool {
        self.editor_runs.stop(id)
    }

    /// Runs SQL that already passed the guard.
    pub fn run_checked(
        &self,
        sql: &ReadOnlySql,
        target: QueryTarget,
        limits: RunLimits,
    ) -> Result<QueryResult, DataError> {
        self.run_limited(sql, target, limits, None)
    }

    fn run_limited(
        &self,
        sql: &ReadOnlySql,
        target: QueryTarget,
        limits: RunLimits,
        editor_run: Option<u64>,
    ) -> Result<QueryResult, DataError> {
        let conn = self.conn_on(target)?;
        let started = Instant::now();
        let ticket = editor_run.map(|id| self.editor_runs.start(id, &conn));
        let (columns, rows_shown, total_rows, more_rows) =
            with_limits(&conn, limits.timeout, ticket, |conn| {
                let mut stmt = conn.prepare(sql.as_str())?;
                // Streaming: DuckDB computes a chunk when it is fetched, so nothing beyond
                // what is read here is ever produced or held.
                let schema = stmt.stream_arrow([])?.get_schema();
                let mut collector = convert::Collector::new(&schema, limits.max_rows);
                while let Some(chunk) = stmt.step()? {
                    let batch = duckdb::arrow::record_batch::RecordBatch::from(&chunk);
                    if !collector.add(&batch, limits.max_rows.saturating_add(COUNT_LIMIT)) {
                        break;
                    }
                }
                Ok(collector.finish())
            })?;
        Ok(QueryResult {
            sql: sql.as_str().to_string(),
            target,
            columns,
            rows_shown,
            total_rows,
            more_rows,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// Writes the full answer of a checked statement to a CSV or Parquet file: DuckDB writes it
    /// inside the imports folder (the only place it may write), and it is moved to `path` only
    /// when complete, so a failed or stopped export leaves nothing at `path`.
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
        let conn = self.conn_on(target)?;
        let (options, ending) = match format {
            ExportFormat::Csv => ("FORMAT csv, HEADER true", "csv"),
            ExportFormat::Parquet => ("FORMAT parquet", "parquet"),
        };
        let partial_dir = self.imports_dir().join(super::EXPORT_PARTIAL_DIR);
        let io = |e: std::io::Error| DataError::Invalid(format!("exporting: {e}"));
        std::fs::create_dir_all(&partial_dir).map_err(io)?;
        let partial = partial_dir.join(format!("{}.{ending}", uuid::Uuid::new_v4()));
        let copy = format!(
            "COPY {} TO {} ({options})",
            sql.as_subquery(),
            quote_literal(&partial.display().to_string())
        );
        let rows = match with_timeout(&conn, timeout, |conn| conn.execute(&copy, [])) {
            Ok(rows) => rows,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        move_into_place(&partial, path).map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            io(e)
        })?;
        Ok(ExportDone {
            path: path.display().to_string(),
            rows: rows as u64,
        })
    }
}

/// Moves a finished file to `to`: a rename, or across file systems a copy to a hidden file
/// beside `to` renamed over it, so `to` never holds half a file.
fn move_into_place(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let beside = to.with_file_name(format!(".{name}.partial"));
    let copied = std::fs::copy(from, &beside).and_then(|_| std::fs::rename(&beside, to));
    if copied.is_err() {
        let _ = std::fs::remove_file(&beside);
    }
    let _ = std::fs::remove_file(from);
    copied
}
