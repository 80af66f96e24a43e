//! The SQL editor's query history: every statement run from the Query tab, with its target and
//! how it ended, kept in `query-history.json` in the data directory (outside `imports/`, so no
//! SQL can read it) and searched per target, newest first by when each run started. Running a
//! statement again moves it to the top instead of listing it twice; the oldest entries go past
//! [`MAX_ENTRIES`].

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};

use datagata_ipc::data::{HistoryEntry, HistorySearch, QueryTarget};

/// The history file's name in the data directory.
pub const HISTORY_FILE: &str = "query-history.json";
/// Entries kept at most (all targets together).
pub const MAX_ENTRIES: usize = 500;
/// Entries listed when a search names no limit.
pub const DEFAULT_LIMIT: u32 = 100;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("saving the query history to {path}: {why}")]
    Save { path: String, why: String },
}

/// The history, in memory and in its file (rewritten whole, through a temporary file, on each
/// run: a crash leaves the old file or the new one, never half of one).
pub struct QueryHistory {
    path: PathBuf,
    /// Oldest first.
    entries: Mutex<Vec<HistoryEntry>>,
}

impl QueryHistory {
    /// Opens the history in `data_dir`; a missing file is an empty history, an unreadable one is
    /// logged and started afresh (the history is a convenience, never a reason not to start).
    pub fn open(data_dir: &Path) -> Self {
        let path = data_dir.join(HISTORY_FILE);
        let entries = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .inspect_err(|e| tracing::warn!("ignoring {}: {e}", path.display()))
                .unwrap_or_default(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                tracing::warn!("reading {}: {e}", path.display());
                Vec::new()
            }
        };
        Self {
            path,
            entries: Mutex::new(entries),
        }
    }

    /// Adds a run in the order runs started (a run stopped by the next one ends after it, but
    /// stays listed before it); the same statement on the same target run before is moved up,
    /// not repeated.
    pub fn record(&self, entry: HistoryEntry) -> Result<(), HistoryError> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|e| !(e.target == entry.target && e.sql.trim() == entry.sql.trim()));
        let at = entries.partition_point(|e| e.at_ms <= entry.at_ms);
        entries.insert(at, entry);
        let excess = entries.len().saturating_sub(MAX_ENTRIES);
        entries.drain(..excess);
        self.save(&entries)
    }

    /// One target's entries, newest first, whose SQL contains the search text (ignoring case).
    pub fn search(&self, search: &HistorySearch) -> Vec<HistoryEntry> {
        let needle = search.search.trim().to_lowercase();
        let limit = search.limit.unwrap_or(DEFAULT_LIMIT) as usize;
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .rev()
            .filter(|e| e.target == search.target)
            .filter(|e| needle.is_empty() || e.sql.to_lowercase().contains(&needle))
            .take(limit)
            .cloned()
            .collect()
    }

    /// The most recent statement run on `target`, if any.
    pub fn last(&self, target: QueryTarget) -> Option<HistoryEntry> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.iter().rev().find(|e| e.target == target).cloned()
    }

    fn save(&self, entries: &[HistoryEntry]) -> Result<(), HistoryError> {
        let failed = |why: String| HistoryError::Save {
            path: self.path.display().to_string(),
            why,
        };
        let json = serde_json::to_vec(entries).map_err(|e| failed(e.to_string()))?;
        let partial = self.path.with_extension("json.partial");
        std::fs::write(&partial, json)
            .and_then(|_| std::fs::rename(&partial, &self.path))
            .map_err(|e| failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datagata_ipc::data::RunOutcome;

    fn entry(sql: &str, target: QueryTarget, at_ms: i64) -> HistoryEntry {
        HistoryEntry {
            sql: sql.into(),
            target,
            at_ms,
            outcome: RunOutcome::Answered {
                total_rows: 1,
                more_rows: false,
                elapsed_ms: 2.0,
            },
        }
    }

    #[test]
    fn runs_are_kept_per_target_newest_first_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let history = QueryHistory::open(dir.path());
        history
            .record(entry("SELECT 1", QueryTarget::Local, 1))
            .unwrap();
        history
            .record(entry("SELECT 2", QueryTarget::MotherDuck, 2))
            .unwrap();
        history
            .record(entry("SELECT count(*) FROM taxi", QueryTarget::Local, 3))
            .unwrap();
        // Run again: moved to the top, not listed twice.
        history
            .record(HistoryEntry {
                outcome: RunOutcome::Stopped,
                ..entry("  SELECT 1", QueryTarget::Local, 4)
            })
            .unwrap();

        let reopened = QueryHistory::open(dir.path());
        let local = reopened.search(&HistorySearch {
            target: QueryTarget::Local,
            ..Default::default()
        });
        let sqls: Vec<&str> = local.iter().map(|e| e.sql.as_str()).collect();
        assert_eq!(sqls, ["  SELECT 1", "SELECT count(*) FROM taxi"]);
        assert_eq!(local[0].outcome, RunOutcome::Stopped);
        let cloud = reopened.search(&HistorySearch {
            target: QueryTarget::MotherDuck,
            ..Default::default()
        });
        assert_eq!(cloud.len(), 1);
        assert_eq!(cloud[0].sql, "SELECT 2");
        assert_eq!(reopened.last(QueryTarget::Local).map(|e| e.at_ms), Some(4));
    }

    #[test]
    fn runs_are_listed_by_when_they_started() {
        let dir = tempfile::tempdir().unwrap();
        let history = QueryHistory::open(dir.path());
        // The long run started first and ended last (the second one replaced it).
        history
            .record(entry("SELECT 42", QueryTarget::Local, 20))
            .unwrap();
        history
            .record(entry("SELECT long", QueryTarget::Local, 10))
            .unwrap();
        let sqls: Vec<String> = history
            .search(&HistorySearch::default())
            .into_iter()
            .map(|e| e.sql)
            .collect();
        assert_eq!(sqls, ["SELECT 42", "SELECT long"]);
    }

    #[test]
    fn search_ignores_case_and_limits() {
        let dir = tempfile::tempdir().unwrap();
        let history = QueryHistory::open(dir.path());
        for i in 0..5 {
            history
                .record(entry(
                    &format!("SELECT {i} FROM taxi"),
                    QueryTarget::Local,
                    i,
                ))
                .unwrap();
        }
        history
            .record(entry("SELECT * FROM taxi_zones", QueryTarget::Local, 9))
            .unwrap();
        let found = history.search(&HistorySearch {
            target: QueryTarget::Local,
            search: "ZONES".into(),
            limit: None,
        });
        assert_eq!(found.len(), 1);
        let limited = history.search(&HistorySearch {
            target: QueryTarget::Local,
            search: "from taxi".into(),
            limit: Some(2),
        });
        let sqls: Vec<&str> = limited.iter().map(|e| e.sql.as_str()).collect();
        assert_eq!(sqls, ["SELECT * FROM taxi_zones", "SELECT 4 FROM taxi"]);
    }

    #[test]
    fn the_oldest_entries_go_past_the_cap_and_a_broken_file_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let history = QueryHistory::open(dir.path());
        for i in 0..(MAX_ENTRIES as i64 + 3) {
            history
                .record(entry(&format!("SELECT {i}"), QueryTarget::Local, i))
                .unwrap();
        }
        let all = history.search(&HistorySearch {
            target: QueryTarget::Local,
            search: String::new(),
            limit: Some(10_000),
        });
        assert_eq!(all.len(), MAX_ENTRIES);
        assert_eq!(all.last().unwrap().sql, "SELECT 3");

        std::fs::write(dir.path().join(HISTORY_FILE), b"{ not json").unwrap();
        let fresh = QueryHistory::open(dir.path());
        assert!(fresh.last(QueryTarget::Local).is_none());
        fresh
            .record(entry("SELECT 1", QueryTarget::Local, 1))
            .unwrap();
        assert_eq!(
            QueryHistory::open(dir.path())
                .search(&HistorySearch::default())
                .len(),
            1
        );
    }
}
