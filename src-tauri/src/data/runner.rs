//! The query runner: one checked statement on a pooled connection, interrupted inside DuckDB
//! when it runs past its time limit, its answer streamed from DuckDB chunk by chunk: at most a
//! row cap of it is kept as typed columns, and the rest is counted only while that is cheap
//! ([`COUNT_LIMIT`]; beyond it the total reads "more than N"). Used by the SQL editor, the AI
//! panel and the traffic generator. Limits from a request are clamped ([`RunLimits::for_request`]).
//! The SQL editor's run can also be stopped by a person, or by the editor's next run
//! ([`EditorRuns`]): the same DuckDB interrupt the time limit uses.

use std::{
    sync::{Arc, Mutex},
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
/// while `work` runs: the deadline keeper and the worker agree under one lock (`deadlines`).
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
    let watch = deadlines::watch(Instant::now() + timeout, conn.interrupt_handle());
    let result = work(conn);
    let stopped = ticket.and_then(RunTicket::finish);
    let interrupted = watch.finish();
    match (result, stopped) {
        (Err(_), Some(cause)) => Err(DataError::Stopped(cause)),
        (Err(_), None) if interrupted => Err(DataError::Timeout(timeout)),
        (other, _) => Ok(other?),
    }
}

/// Every running statement's time limit, kept by one long-lived thread that interrupts those
/// past their deadline (a thread per statement cost a spawn and a join per query, and one more
/// thread wanting a core). Registering does not wake that thread unless the new deadline is the
/// earliest it knows of; a deadline taken back before it passes costs nothing more.
mod deadlines {
    use std::{
        collections::BTreeMap,
        sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard},
        time::Instant,
    };

    use duckdb::InterruptHandle;

    struct State {
        next_id: u64,
        /// Running statements by deadline; removed when they finish or are interrupted.
        running: BTreeMap<(Instant, u64), Arc<InterruptHandle>>,
        /// Statements interrupted and not finished yet.
        fired: Vec<u64>,
        /// When the keeper wakes next by itself (`None`: only when told).
        wakes_at: Option<Instant>,
        started: bool,
    }

    struct Keeper {
        state: Mutex<State>,
        changed: Condvar,
    }

    static KEEPER: LazyLock<Keeper> = LazyLock::new(|| Keeper {
        state: Mutex::new(State {
            next_id: 0,
            running: BTreeMap::new(),
            fired: Vec::new(),
            wakes_at: None,
            started: false,
        }),
        changed: Condvar::new(),
    });

    fn lock() -> MutexGuard<'static, State> {
        KEEPER.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One statement's deadline, until [`Watch::finish`].
    pub struct Watch {
        key: Option<(Instant, u64)>,
    }

    /// Watches a statement that must be done by `deadline`: past it, `handle` interrupts it
    /// inside DuckDB. The interrupt can only land before [`Watch::finish`]: both happen under
    /// one lock.
    pub fn watch(deadline: Instant, handle: Arc<InterruptHandle>) -> Watch {
        let mut state = lock();
        let id = state.next_id;
        state.next_id += 1;
        state.running.insert((deadline, id), handle);
        if !state.started {
            let spawned = std::thread::Builder::new()
                .name("query-deadlines".into())
                .spawn(keep);
            match spawned {
                Ok(_) => state.started = true,
                // Without its keeper a statement runs to its end: said, not fatal.
                Err(e) => tracing::warn!("query time limits not kept: {e}"),
            }
        }
        if state.wakes_at.is_none_or(|at| deadline < at) {
            KEEPER.changed.notify_one();
        }
        Watch {
            key: Some((deadline, id)),
        }
    }

    impl Watch {
        /// The statement is done: its deadline is taken back. True if it was interrupted.
        pub fn finish(mut self) -> bool {
            self.take()
        }

        fn take(&mut self) -> bool {
            let Some(key) = self.key.take() else {
                return false;
            };
            let mut state = lock();
            if state.running.remove(&key).is_some() {
                return false;
            }
            let before = state.fired.len();
            state.fired.retain(|id| *id != key.1);
            state.fired.len() != before
        }
    }

    impl Drop for Watch {
        /// A statement whose caller unwound is done too.
        fn drop(&mut self) {
            self.take();
        }
    }

    /// The keeper's loop: sleeps until the earliest deadline (or a new, earlier one), then
    /// interrupts every statement past its own.
    fn keep() {
        let mut state = lock();
        loop {
            let now = Instant::now();
            while let Some(entry) = state.running.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let ((_, id), handle) = entry.remove_entry();
                handle.interrupt();
                state.fired.push(id);
            }
            let next = state.running.first_key_value().map(|(key, _)| key.0);
            state.wakes_at = next;
            state = match next {
                Some(at) => {
                    KEEPER
                        .changed
                        .wait_timeout(state, at.saturating_duration_since(now))
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => KEEPER
                    .changed
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner()),
            };
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    const ENDLESS: &str = "SELECT sum(hash(i)) FROM range(1000000000000) r(i)";

    /// A later deadline already kept does not delay an earlier one registered after it, and a
    /// deadline taken back before it passes never fires.
    #[test]
    fn the_earliest_deadline_fires_whatever_was_registered_before() {
        let db = Database::in_memory(&std::env::temp_dir()).unwrap();
        let idle = db.conn().unwrap();
        let late = deadlines::watch(
            Instant::now() + Duration::from_secs(3600),
            idle.interrupt_handle(),
        );
        let conn = db.conn().unwrap();
        let started = Instant::now();
        let err = with_timeout(&conn, Duration::from_millis(200), |c| {
            c.query_row(ENDLESS, [], |r| r.get::<_, i64>(0))
        })
        .unwrap_err();
        assert!(matches!(err, DataError::Timeout(_)), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(!late.finish(), "the hour-long deadline did not pass");
        // A short statement well inside its limit is not interrupted, then or later.
        let answer = with_timeout(&conn, Duration::from_millis(100), |c| {
            c.query_row("SELECT 42", [], |r| r.get::<_, i64>(0))
        })
        .unwrap();
        assert_eq!(answer, 42);
        std::thread::sleep(Duration::from_millis(300));
        let again: i64 = conn.query_row("SELECT 43", [], |r| r.get(0)).unwrap();
        assert_eq!(again, 43);
    }

    /// Statements on many threads at once each get their own outcome.
    #[test]
    fn concurrent_statements_keep_their_own_limits() {
        let db = &Database::in_memory(&std::env::temp_dir()).unwrap();
        std::thread::scope(|s| {
            let slow: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(move || {
                        let conn = db.conn().unwrap();
                        with_timeout(&conn, Duration::from_millis(150), |c| {
                            c.query_row(ENDLESS, [], |r| r.get::<_, i64>(0))
                        })
                    })
                })
                .collect();
            let fast: Vec<_> = (0..4)
                .map(|i| {
                    s.spawn(move || {
                        let conn = db.conn().unwrap();
                        (0..50)
                            .map(|_| {
                                with_timeout(&conn, Duration::from_secs(30), |c| {
                                    c.query_row("SELECT ?::BIGINT", [i as i64], |r| {
                                        r.get::<_, i64>(0)
                                    })
                                })
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for handle in slow {
                let err = handle.join().unwrap().unwrap_err();
                assert!(matches!(err, DataError::Timeout(_)), "{err}");
            }
            for (i, handle) in fast.into_iter().enumerate() {
                for answer in handle.join().unwrap() {
                    assert_eq!(answer.unwrap(), i as i64);
                }
            }
        });
    }
}
