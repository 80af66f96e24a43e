//! The local event log: every tracked event (`query-completed`, `feature-clicked`, …) is
//! appended to a DuckDB table *before* it goes to the SDK, so the app's own metrics work offline
//! and an event survives the process dying before the SDK flushes. Each append is its own
//! committed transaction.

use std::{collections::BTreeMap, path::Path, sync::Mutex};

use chrono::{DateTime, Utc};
use launchdarkly_server_sdk::Context;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    #[error("the event log's database {path}: {source}")]
    Open { path: String, source: duckdb::Error },
    #[error("writing to the event log: {0}")]
    Write(#[from] duckdb::Error),
}

/// One tracked event, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackedEvent {
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
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS datagata_events (
    occurred_at TIMESTAMP NOT NULL, -- UTC
    event_key VARCHAR NOT NULL,
    context_keys JSON NOT NULL,
    data JSON,
    metric_value DOUBLE
)";

pub struct EventLog {
    conn: Mutex<duckdb::Connection>,
}

impl EventLog {
    /// Opens (creating if needed) the log in the DuckDB database at `path`.
    pub fn open(path: &Path) -> Result<Self, EventLogError> {
        let open = || -> Result<duckdb::Connection, duckdb::Error> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| duckdb::Error::ToSqlConversionFailure(Box::new(e)))?;
            }
            let conn = duckdb::Connection::open(path)?;
            conn.execute_batch(SCHEMA)?;
            Ok(conn)
        };
        let conn = open().map_err(|source| EventLogError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// The log on a connection to an open database (the app's, shared with its data).
    pub fn on(conn: duckdb::Connection) -> Result<Self, EventLogError> {
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// A log that lives as long as the process (for tests and the CLI's dry runs).
    pub fn in_memory() -> Result<Self, EventLogError> {
        Self::on(duckdb::Connection::open_in_memory()?)
    }

    pub fn append(&self, event: &TrackedEvent) -> Result<(), EventLogError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        conn.execute(
            "INSERT INTO datagata_events VALUES (?::TIMESTAMP, ?, ?::JSON, ?::JSON, ?)",
            duckdb::params![
                event.at.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
                event.key,
                serde_json::to_string(&event.context_keys).unwrap_or_default(),
                event.data.to_string(),
                event.metric_value,
            ],
        )?;
        Ok(())
    }

    /// The events with `key`, oldest first, since `since` when given.
    pub fn with_key(
        &self,
        key: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<TrackedEvent>, EventLogError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let since = since
            .map(|t| t.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
            .unwrap_or_else(|| "1970-01-01 00:00:00".into());
        let mut stmt = conn.prepare(
            "SELECT strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%fZ'), event_key,
                    context_keys::VARCHAR, data::VARCHAR, metric_value
             FROM datagata_events WHERE event_key = ? AND occurred_at >= ?::TIMESTAMP
             ORDER BY occurred_at",
        )?;
        let rows = stmt.query_map(duckdb::params![key, since], Self::row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn row(row: &duckdb::Row<'_>) -> Result<TrackedEvent, duckdb::Error> {
        let at: String = row.get(0)?;
        let context_keys: String = row.get(2)?;
        let data: Option<String> = row.get(3)?;
        Ok(TrackedEvent {
            at: DateTime::parse_from_rfc3339(&at)
                .map(Into::into)
                .unwrap_or_default(),
            key: row.get(1)?,
            context_keys: serde_json::from_str(&context_keys).unwrap_or_default(),
            data: data
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or(Value::Null),
            metric_value: row.get(4)?,
        })
    }

    /// The newest events first.
    pub fn recent(&self, limit: usize) -> Result<Vec<TrackedEvent>, EventLogError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare(
            "SELECT strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%fZ'), event_key,
                    context_keys::VARCHAR, data::VARCHAR, metric_value
             FROM datagata_events ORDER BY occurred_at DESC LIMIT ?",
        )?;
        let rows = stmt.query_map(duckdb::params![limit as i64], Self::row)?;
        Ok(rows.collect::<Result<_, _>>()?)
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
        assert_eq!(stored.metric_value, Some(41.5));
        assert_eq!(stored.data, json!({"success": true}));
        assert_eq!(stored.context_keys["user"], "ana@example.com");
        assert_eq!(stored.context_keys["session"], "s-1");
        assert_eq!(stored.at.timestamp_micros(), first.at.timestamp_micros());
        let clicked = events.iter().find(|e| e.key == "feature-clicked").unwrap();
        assert_eq!(clicked.metric_value, None);
    }

    #[test]
    fn an_unopenable_path_says_which() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "not a directory").unwrap();
        let err = EventLog::open(&file.join("db.duckdb")).err().unwrap();
        assert!(err.to_string().contains("db.duckdb"), "{err}");
    }
}
