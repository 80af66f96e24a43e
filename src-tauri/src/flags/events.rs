//! The local event log and outbox: every tracked event (`query-completed`, `feature-clicked`,
//! `$ld:ai:*` …) is stored in a DuckDB table *before* anything sends it, with a delivery state.
//! The app's own metrics read it (so they work offline), and [`super::delivery`] sends the
//! pending rows to LaunchDarkly's events endpoint, marking them sent only after a 2xx.
//!
//! Writes are group-committed by one writer thread: [`EventLog::append`] hands the event over and
//! returns at once (tracking never waits on the disk, nor blocks a feature); the writer commits
//! everything that arrived together in one transaction. An event is on disk within one commit of
//! being tracked — a `kill -9` inside that window loses it from the log, and then from
//! LaunchDarkly too, since nothing is sent that is not stored. A failed write (a full disk, a
//! read-only file) keeps the events in memory, is reported through [`EventLog::write_status`],
//! and is retried. Reads ([`EventLog::with_key`], [`EventLog::recent`]) first wait for what was
//! appended before them, so a caller always reads its own writes.

use std::{
    collections::BTreeMap,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    thread::JoinHandle,
    time::Duration,
};

use chrono::{DateTime, Utc};
use launchdarkly_server_sdk::Context;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    #[error("the event log's database {path}: {source}")]
    Open { path: String, source: duckdb::Error },
    #[error("the event log: {duck}{}", crate::data::storage_remedy(&.0.to_string()), duck = .0)]
    Database(#[from] duckdb::Error),
    #[error("the event log's writer has stopped")]
    WriterGone,
}

/// Where a stored event is on its way to LaunchDarkly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Delivery {
    /// Stored; to be sent to LaunchDarkly.
    Pending,
    /// LaunchDarkly's events endpoint answered 2xx for the payload holding it.
    Sent,
    /// Recorded in a session without LaunchDarkly (no SDK key): kept for the local metrics only.
    LocalOnly,
    /// LaunchDarkly refused its payload as malformed (400/413); never retried.
    Rejected,
}

impl Delivery {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::LocalOnly => "local",
            Self::Rejected => "rejected",
        }
    }
}

/// One tracked event, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackedEvent {
    /// Unique per event (a v4 UUID), so a replay can be told from a new event.
    pub id: String,
    pub at: DateTime<Utc>,
    pub key: String,
    /// Context kind → key, as in LaunchDarkly's custom events.
    pub context_keys: BTreeMap<String, String>,
    pub data: Value,
    pub metric_value: Option<f64>,
}

impl TrackedEvent {
    pub fn new(context: &Context, key: &str, data: Value, metric_value: Option<f64>) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            at: Utc::now(),
            key: key.to_string(),
            context_keys: context
                .context_keys()
                .into_iter()
                .map(|(kind, key)| (kind.to_string(), key.to_string()))
                .collect(),
            data,
            metric_value,
        }
    }

    /// The event in LaunchDarkly's events format (schema 4, as the SDK sends custom events).
    pub fn to_launchdarkly(&self) -> Value {
        let mut event = serde_json::json!({
            "kind": "custom",
            "creationDate": self.at.timestamp_millis(),
            "contextKeys": self.context_keys,
            "key": self.key,
        });
        if let Some(value) = self.metric_value {
            event["metricValue"] = value.into();
        }
        if !self.data.is_null() {
            event["data"] = self.data.clone();
        }
        event
    }
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS datagata_events (
    occurred_at TIMESTAMP NOT NULL, -- UTC
    event_key VARCHAR NOT NULL,
    context_keys JSON NOT NULL,
    data JSON,
    metric_value DOUBLE
);
ALTER TABLE datagata_events ADD COLUMN IF NOT EXISTS event_id VARCHAR;
-- pending | sent | local | rejected; NULL for rows stored before the outbox existed
ALTER TABLE datagata_events ADD COLUMN IF NOT EXISTS delivery VARCHAR;
-- the X-LaunchDarkly-Payload-ID the row was (or is being) sent under
ALTER TABLE datagata_events ADD COLUMN IF NOT EXISTS payload_id VARCHAR;
ALTER TABLE datagata_events ADD COLUMN IF NOT EXISTS sent_at TIMESTAMP;
UPDATE datagata_events SET delivery = 'local' WHERE delivery IS NULL;";

const INSERT: &str = "INSERT INTO datagata_events
    (occurred_at, event_key, context_keys, data, metric_value, event_id, delivery)
    VALUES (?::TIMESTAMP, ?, ?::JSON, ?::JSON, ?, ?, ?)";

const COLUMNS: &str = "event_id, strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%fZ'), event_key,
    context_keys::VARCHAR, data::VARCHAR, metric_value";

/// Events held in memory past this (the disk refusing writes for a long time) are dropped,
/// oldest first, and counted.
const MAX_UNSTORED: usize = 100_000;
/// The most events one commit takes.
const MAX_BATCH: usize = 4_096;
/// How long a read waits for the writer to catch up.
const SYNC_WAIT: Duration = Duration::from_secs(10);

/// How the writer is doing, for the Metrics tab.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteStatus {
    /// Events tracked but not yet on disk (the writer is retrying a failed write).
    pub unstored: usize,
    /// Events dropped because the disk refused writes for longer than memory allows.
    pub dropped: u64,
    /// The last write failure, until a write succeeds again.
    pub last_error: Option<String>,
}

/// Stored events by delivery state.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryCounts {
    pub pending: u64,
    pub sent: u64,
    pub local_only: u64,
    pub rejected: u64,
}

/// A batch of pending events on its way out, under one payload id.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub payload_id: String,
    pub events: Vec<TrackedEvent>,
}

enum Message {
    Event(TrackedEvent, Delivery),
    /// Answered once everything sent before it has been written (or has failed to be).
    Sync(mpsc::Sender<()>),
}

type Wake = Arc<dyn Fn() + Send + Sync>;

pub struct EventLog {
    read: Mutex<duckdb::Connection>,
    writer: Mutex<Option<mpsc::Sender<Message>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    status: Arc<Mutex<WriteStatus>>,
    /// Whether new events are for LaunchDarkly (a session with an SDK key) or local only.
    deliver: AtomicBool,
    /// Called after each successful commit (the delivery thread's doorbell).
    on_commit: Arc<Mutex<Option<Wake>>>,
}

impl EventLog {
    /// Opens (creating if needed) the log in the DuckDB database at `path`.
    pub fn open(path: &Path) -> Result<Self, EventLogError> {
        let open = || -> Result<duckdb::Connection, duckdb::Error> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| duckdb::Error::ToSqlConversionFailure(Box::new(e)))?;
            }
            duckdb::Connection::open(path)
        };
        let conn = open().map_err(|source| EventLogError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Self::on(conn)
    }

    /// The log on a connection to an open database (the app's, shared with its data).
    pub fn on(conn: duckdb::Connection) -> Result<Self, EventLogError> {
        conn.execute_batch(SCHEMA)?;
        let writer_conn = conn.try_clone()?;
        let (tx, rx) = mpsc::channel();
        let status = Arc::new(Mutex::new(WriteStatus::default()));
        let on_commit: Arc<Mutex<Option<Wake>>> = Arc::default();
        let thread = {
            let (status, on_commit) = (status.clone(), on_commit.clone());
            std::thread::Builder::new()
                .name("event-log-writer".into())
                .spawn(move || {
                    crate::priority::lower_this_thread(crate::priority::EVENT_WRITER);
                    write_loop(writer_conn, rx, status, on_commit)
                })
                .map_err(|e| duckdb::Error::ToSqlConversionFailure(Box::new(e)))?
        };
        Ok(Self {
            read: Mutex::new(conn),
            writer: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            status,
            deliver: AtomicBool::new(false),
            on_commit,
        })
    }

    /// A log that lives as long as the process (for tests and the CLI's dry runs).
    pub fn in_memory() -> Result<Self, EventLogError> {
        Self::on(duckdb::Connection::open_in_memory()?)
    }

    /// From now on, new events are stored as pending for LaunchDarkly, and `wake` is called after
    /// each commit.
    pub fn deliver_to_launchdarkly(&self, wake: impl Fn() + Send + Sync + 'static) {
        *self.on_commit.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(wake));
        self.deliver.store(true, Ordering::SeqCst);
    }

    /// Hands the event to the writer; it is on disk after the writer's next commit.
    pub fn append(&self, event: &TrackedEvent) -> Result<(), EventLogError> {
        let delivery = if self.deliver.load(Ordering::SeqCst) {
            Delivery::Pending
        } else {
            Delivery::LocalOnly
        };
        self.send(Message::Event(event.clone(), delivery))
    }

    fn send(&self, message: Message) -> Result<(), EventLogError> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer
            .as_ref()
            .ok_or(EventLogError::WriterGone)?
            .send(message)
            .map_err(|_| EventLogError::WriterGone)
    }

    /// Waits (at most 10 s) until every event appended before this call has been written, or
    /// its write has failed (see [`EventLog::write_status`]).
    pub fn sync(&self) {
        let (tx, rx) = mpsc::channel();
        if self.send(Message::Sync(tx)).is_ok() {
            let _ = rx.recv_timeout(SYNC_WAIT);
        }
    }

    /// Writes what is left and stops the writer (at exit; dropping the log does the same).
    pub fn close(&self) {
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = thread.join();
        }
    }

    pub fn write_status(&self) -> WriteStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, duckdb::Connection> {
        self.read.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The events with `key`, oldest first, since `since` when given.
    pub fn with_key(
        &self,
        key: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<TrackedEvent>, EventLogError> {
        let since = since
            .map(|t| t.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
            .unwrap_or_else(|| "1970-01-01 00:00:00".into());
        self.select(
            "WHERE event_key = ? AND occurred_at >= ?::TIMESTAMP ORDER BY occurred_at",
            duckdb::params![key, since],
        )
    }

    /// The stored events matching `rest` (a WHERE/ORDER/LIMIT tail), after what was appended
    /// before this call has been written.
    fn select(
        &self,
        rest: &str,
        params: impl duckdb::Params,
    ) -> Result<Vec<TrackedEvent>, EventLogError> {
        self.sync();
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM datagata_events {rest}"))?;
        let rows = stmt.query_map(params, row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest events first.
    pub fn recent(&self, limit: usize) -> Result<Vec<TrackedEvent>, EventLogError> {
        self.select(
            "ORDER BY occurred_at DESC LIMIT ?",
            duckdb::params![limit as i64],
        )
    }

    /// Every stored event in `state`, oldest first.
    pub fn in_state(&self, state: Delivery) -> Result<Vec<TrackedEvent>, EventLogError> {
        self.select(
            "WHERE delivery = ? ORDER BY occurred_at",
            duckdb::params![state.as_str()],
        )
    }

    /// How many stored events are in each delivery state (what is on disk now; no waiting).
    pub fn delivery_counts(&self) -> Result<DeliveryCounts, EventLogError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT delivery, count(*) FROM datagata_events GROUP BY delivery")?;
        let mut counts = DeliveryCounts::default();
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
        })?;
        for pair in rows {
            let (state, n) = pair?;
            let n = n.max(0) as u64;
            match state.as_deref() {
                Some("pending") => counts.pending += n,
                Some("sent") => counts.sent += n,
                Some("rejected") => counts.rejected += n,
                _ => counts.local_only += n,
            }
        }
        Ok(counts)
    }

    /// The next batch to send: a batch that already has a payload id and was not confirmed (a
    /// send cut short by a crash or a failure — resent as it was, under the same id, so
    /// LaunchDarkly can drop a duplicate), else up to `max` pending events under a new payload
    /// id, recorded before anything is sent. `None` when nothing is pending.
    pub fn next_outgoing(&self, max: usize) -> Result<Option<Outgoing>, EventLogError> {
        let conn = self.conn();
        let unfinished: Option<String> = conn
            .query_row(
                "SELECT payload_id FROM datagata_events
                 WHERE delivery = 'pending' AND payload_id IS NOT NULL
                 ORDER BY occurred_at LIMIT 1",
                [],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                duckdb::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        let payload_id = match unfinished {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                let claimed = conn.execute(
                    "UPDATE datagata_events SET payload_id = ? WHERE event_id IN (
                        SELECT event_id FROM datagata_events
                        WHERE delivery = 'pending' AND payload_id IS NULL
                        ORDER BY occurred_at, event_id LIMIT ?)",
                    duckdb::params![id, max as i64],
                )?;
                if claimed == 0 {
                    return Ok(None);
                }
                id
            }
        };
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM datagata_events WHERE payload_id = ? AND delivery = 'pending'
             ORDER BY occurred_at"
        ))?;
        let events = stmt
            .query_map(duckdb::params![payload_id], row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Outgoing { payload_id, events }))
    }

    /// Records LaunchDarkly's answer for a payload: `Sent` after a 2xx, `Rejected` after a
    /// 400/413.
    pub fn mark(&self, payload_id: &str, state: Delivery) -> Result<usize, EventLogError> {
        let conn = self.conn();
        Ok(conn.execute(
            "UPDATE datagata_events SET delivery = ?, sent_at = now()::TIMESTAMP
             WHERE payload_id = ? AND delivery = 'pending'",
            duckdb::params![state.as_str(), payload_id],
        )?)
    }
}

impl Drop for EventLog {
    fn drop(&mut self) {
        self.close();
    }
}

fn row(row: &duckdb::Row<'_>) -> Result<TrackedEvent, duckdb::Error> {
    let id: Option<String> = row.get(0)?;
    let at: String = row.get(1)?;
    let context_keys: String = row.get(3)?;
    let data: Option<String> = row.get(4)?;
    Ok(TrackedEvent {
        id: id.unwrap_or_default(),
        at: DateTime::parse_from_rfc3339(&at)
            .map(Into::into)
            .unwrap_or_default(),
        key: row.get(2)?,
        context_keys: serde_json::from_str(&context_keys).unwrap_or_default(),
        data: data
            .and_then(|d| serde_json::from_str(&d).ok())
            .unwrap_or(Value::Null),
        metric_value: row.get(5)?,
    })
}

/// One transaction for the whole batch.
fn write_batch(
    conn: &duckdb::Connection,
    batch: &[(TrackedEvent, Delivery)],
) -> Result<(), duckdb::Error> {
    conn.execute_batch("BEGIN TRANSACTION")?;
    let result = (|| {
        let mut stmt = conn.prepare_cached(INSERT)?;
        for (event, delivery) in batch {
            stmt.execute(duckdb::params![
                event.at.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
                event.key,
                serde_json::to_string(&event.context_keys).unwrap_or_default(),
                event.data.to_string(),
                event.metric_value,
                event.id,
                delivery.as_str(),
            ])?;
        }
        conn.execute_batch("COMMIT")
    })();
    if result.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    result
}

fn write_loop(
    conn: duckdb::Connection,
    rx: mpsc::Receiver<Message>,
    status: Arc<Mutex<WriteStatus>>,
    on_commit: Arc<Mutex<Option<Wake>>>,
) {
    let mut backlog: Vec<(TrackedEvent, Delivery)> = Vec::new();
    let mut waiters: Vec<mpsc::Sender<()>> = Vec::new();
    let mut retry = Duration::from_millis(50);
    let mut failing = false;
    let mut open = true;
    let take = |message: Message,
                backlog: &mut Vec<(TrackedEvent, Delivery)>,
                waiters: &mut Vec<mpsc::Sender<()>>| match message {
        Message::Event(event, delivery) => backlog.push((event, delivery)),
        Message::Sync(tx) => waiters.push(tx),
    };
    loop {
        // Wait for work; while a failed batch waits, wake up to retry it; with more than one
        // batch's worth waiting, go straight on.
        let next = if backlog.is_empty() {
            rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
        } else if failing {
            rx.recv_timeout(retry)
        } else {
            Err(mpsc::RecvTimeoutError::Timeout)
        };
        match next {
            Ok(message) => take(message, &mut backlog, &mut waiters),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => open = false,
        }
        // Everything that arrived meanwhile goes into the same commit.
        while open && backlog.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(message) => take(message, &mut backlog, &mut waiters),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => open = false,
            }
        }
        if !backlog.is_empty() {
            let n = backlog.len().min(MAX_BATCH);
            match write_batch(&conn, &backlog[..n]) {
                Ok(()) => {
                    backlog.drain(..n);
                    failing = false;
                    retry = Duration::from_millis(50);
                    let mut s = status.lock().unwrap_or_else(|e| e.into_inner());
                    s.unstored = backlog.len();
                    s.last_error = None;
                    drop(s);
                    let wake = on_commit.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    if let Some(wake) = wake {
                        wake();
                    }
                }
                Err(e) => {
                    failing = true;
                    let mut s = status.lock().unwrap_or_else(|e| e.into_inner());
                    if backlog.len() > MAX_UNSTORED {
                        let excess = backlog.len() - MAX_UNSTORED;
                        backlog.drain(..excess);
                        s.dropped += excess as u64;
                    }
                    if s.last_error.is_none() {
                        tracing::warn!("events not stored yet, retrying: {e}");
                    }
                    s.unstored = backlog.len();
                    s.last_error = Some(format!("events could not be stored yet: {e}"));
                    drop(s);
                    retry = (retry * 2).min(Duration::from_secs(5));
                }
            }
        }
        // Once the events before them are written (or their write failed), readers may go on.
        if backlog.is_empty() || failing {
            for waiter in waiters.drain(..) {
                let _ = waiter.send(());
            }
        }
        if !open && (backlog.is_empty() || failing) {
            if !backlog.is_empty() {
                // At exit one last try was made; what is left is reported, not retried forever.
                tracing::error!("{} events could not be stored at exit", backlog.len());
            }
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use launchdarkly_server_sdk::{ContextBuilder, MultiContextBuilder};
    use serde_json::json;

    fn ctx() -> Context {
        let user = ContextBuilder::new("ana@example.com").build().unwrap();
        let session = ContextBuilder::new("s-1").kind("session").build().unwrap();
        MultiContextBuilder::new()
            .add_context(user)
            .add_context(session)
            .build()
            .unwrap()
    }

    #[test]
    fn events_survive_reopening_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/datagata.duckdb");
        let first = TrackedEvent::new(
            &ctx(),
            "query-completed",
            json!({"success": true}),
            Some(41.5),
        );
        {
            let log = EventLog::open(&path).unwrap();
            log.append(&first).unwrap();
            log.append(&TrackedEvent::new(
                &ctx(),
                "feature-clicked",
                json!({"feature": "pivot-table"}),
                None,
            ))
            .unwrap();
        } // dropped without any flush call
        let log = EventLog::open(&path).unwrap();
        let events = log.recent(10).unwrap();
        assert_eq!(events.len(), 2);
        let stored = events.iter().find(|e| e.key == "query-completed").unwrap();
        assert_eq!(stored.id, first.id);
        assert_eq!(stored.metric_value, Some(41.5));
        assert_eq!(stored.data, json!({"success": true}));
        assert_eq!(stored.context_keys["user"], "ana@example.com");
        assert_eq!(stored.context_keys["session"], "s-1");
        assert_eq!(stored.at.timestamp_micros(), first.at.timestamp_micros());
        let clicked = events.iter().find(|e| e.key == "feature-clicked").unwrap();
        assert_eq!(clicked.metric_value, None);
        // Without LaunchDarkly the events are kept for the local metrics only.
        assert_eq!(log.delivery_counts().unwrap().local_only, 2);
    }

    #[test]
    fn an_unopenable_path_says_which() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "not a directory").unwrap();
        let err = EventLog::open(&file.join("db.duckdb")).err().unwrap();
        assert!(err.to_string().contains("db.duckdb"), "{err}");
    }

    #[test]
    fn a_log_from_before_the_outbox_is_migrated_and_its_rows_kept_local() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.duckdb");
        {
            let conn = duckdb::Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE datagata_events (occurred_at TIMESTAMP NOT NULL,
                 event_key VARCHAR NOT NULL, context_keys JSON NOT NULL, data JSON,
                 metric_value DOUBLE);
                 INSERT INTO datagata_events VALUES
                 ('2026-11-01 10:00:00', 'query-completed', '{\"user\":\"a\"}', '{}', 3.0);",
            )
            .unwrap();
        }
        let log = EventLog::open(&path).unwrap();
        log.deliver_to_launchdarkly(|| {});
        log.append(&TrackedEvent::new(&ctx(), "new", Value::Null, None))
            .unwrap();
        log.sync();
        let counts = log.delivery_counts().unwrap();
        assert_eq!((counts.local_only, counts.pending), (1, 1), "{counts:?}");
        assert_eq!(log.recent(10).unwrap().len(), 2);
    }

    #[test]
    fn outgoing_batches_keep_their_payload_id_until_confirmed() {
        let log = EventLog::in_memory().unwrap();
        log.deliver_to_launchdarkly(|| {});
        for i in 0..5 {
            log.append(&TrackedEvent::new(
                &ctx(),
                &format!("e{i}"),
                json!({"i": i}),
                None,
            ))
            .unwrap();
        }
        log.sync();
        let first = log.next_outgoing(3).unwrap().unwrap();
        assert_eq!(first.events.len(), 3);
        // Not confirmed (a crash, a 500): the same batch again, under the same id.
        let again = log.next_outgoing(3).unwrap().unwrap();
        assert_eq!(again.payload_id, first.payload_id);
        assert_eq!(
            again.events.iter().map(|e| &e.id).collect::<Vec<_>>(),
            first.events.iter().map(|e| &e.id).collect::<Vec<_>>()
        );
        assert_eq!(log.mark(&first.payload_id, Delivery::Sent).unwrap(), 3);
        let second = log.next_outgoing(3).unwrap().unwrap();
        assert_ne!(second.payload_id, first.payload_id);
        assert_eq!(second.events.len(), 2);
        assert_eq!(log.mark(&second.payload_id, Delivery::Rejected).unwrap(), 2);
        assert!(log.next_outgoing(3).unwrap().is_none());
        let counts = log.delivery_counts().unwrap();
        assert_eq!((counts.sent, counts.rejected, counts.pending), (3, 2, 0));
    }

    #[test]
    fn the_launchdarkly_form_is_the_sdks_custom_event() {
        let mut e = TrackedEvent::new(&ctx(), "query-completed", json!({"ok": true}), Some(2.5));
        e.at = DateTime::from_timestamp_millis(1_234).unwrap();
        assert_eq!(
            e.to_launchdarkly(),
            json!({"kind": "custom", "creationDate": 1234, "key": "query-completed",
                   "contextKeys": {"user": "ana@example.com", "session": "s-1"},
                   "metricValue": 2.5, "data": {"ok": true}})
        );
        let bare = TrackedEvent::new(&ctx(), "x", Value::Null, None).to_launchdarkly();
        assert!(bare.get("data").is_none() && bare.get("metricValue").is_none());
    }

    #[test]
    fn a_failed_write_is_reported_kept_and_retried() {
        let log = EventLog::in_memory().unwrap();
        // The table disappears under the writer (as a file would turn read-only or the disk
        // fill): the write fails, the event is held, the failure is reported.
        log.conn()
            .execute_batch("ALTER TABLE datagata_events RENAME TO gone")
            .unwrap();
        let event = TrackedEvent::new(&ctx(), "feature-clicked", json!({}), None);
        log.append(&event).unwrap();
        log.sync();
        let status = log.write_status();
        assert_eq!(status.unstored, 1, "{status:?}");
        assert!(
            status
                .last_error
                .as_deref()
                .unwrap_or("")
                .contains("stored")
        );
        // The disk comes back: the retry stores it, and the status clears.
        log.conn()
            .execute_batch("ALTER TABLE gone RENAME TO datagata_events")
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while log.write_status().unstored > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(log.write_status(), WriteStatus::default());
        assert_eq!(log.recent(5).unwrap()[0].id, event.id);
    }

    #[test]
    fn events_arriving_together_are_committed_together() {
        let log = Arc::new(EventLog::in_memory().unwrap());
        let started = std::time::Instant::now();
        std::thread::scope(|s| {
            for t in 0..2 {
                let log = log.clone();
                s.spawn(move || {
                    for i in 0..2_000 {
                        log.append(&TrackedEvent::new(
                            &ctx(),
                            &format!("t{t}-{i}"),
                            Value::Null,
                            None,
                        ))
                        .unwrap();
                    }
                });
            }
        });
        let handed_over = started.elapsed();
        log.sync();
        assert_eq!(log.delivery_counts().unwrap().local_only, 4_000);
        // Handing over never waits for the disk: 4,000 events in well under a commit each.
        assert!(handed_over < Duration::from_secs(2), "{handed_over:?}");
    }
}
