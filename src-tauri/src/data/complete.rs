//! What the SQL editor asks of DuckDB while a person types: completions from DuckDB's own
//! `autocomplete` extension (`sql_auto_complete`, linked into the prebuilt libduckdb — nothing
//! is downloaded) on the target's contained instance, so tables, columns and functions are the
//! ones a query there would see; and the vocabulary the editor highlights (DuckDB's keywords,
//! types and functions). File and directory suggestions are never passed on: the editor is no
//! way to list the disk.

use std::time::Duration;

use datagata_ipc::data::{Completion, QueryTarget, SqlVocabulary, Suggestion, SuggestionKind};

use super::{DataError, Database, runner::with_timeout};

/// Completions offered at most.
pub const MAX_SUGGESTIONS: usize = 60;
/// Longest text sent to DuckDB's completer (the part just before the cursor counts).
pub const MAX_COMPLETE_CHARS: usize = 20_000;
/// A completion that takes longer is dropped: typing must never wait for it.
const COMPLETE_TIMEOUT: Duration = Duration::from_secs(2);

fn kind_of(suggestion_type: &str) -> Option<SuggestionKind> {
    Some(match suggestion_type {
        "keyword" => SuggestionKind::Keyword,
        "table" => SuggestionKind::Table,
        "column" => SuggestionKind::Column,
        "catalog" | "schema" => SuggestionKind::Schema,
        t if t.ends_with("function") => SuggestionKind::Function,
        "file_name" | "directory" => return None,
        _ => SuggestionKind::Other,
    })
}

/// The byte offset `byte` of `text` as a UTF-16 offset (what the editor counts in).
fn utf16_offset(text: &str, byte: usize) -> u32 {
    let byte = byte.min(text.len());
    let mut end = byte;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    u32::try_from(text[..end].encode_utf16().count()).unwrap_or(u32::MAX)
}

impl Database {
    /// DuckDB's completions for `before_cursor` on `target`.
    pub fn complete(
        &self,
        before_cursor: &str,
        target: QueryTarget,
    ) -> Result<Completion, DataError> {
        // Only the end matters to the completer: keep the last MAX_COMPLETE_CHARS characters
        // (from a char boundary), and count offsets from where that tail starts.
        let skip = before_cursor
            .char_indices()
            .rev()
            .nth(MAX_COMPLETE_CHARS)
            .map_or(0, |(i, c)| i + c.len_utf8());
        let tail = &before_cursor[skip..];
        let conn = self.conn_on(target)?;
        let rows = with_timeout(&conn, COMPLETE_TIMEOUT, |conn| {
            let mut stmt = conn.prepare(
                "SELECT suggestion, suggestion_start, suggestion_type \
                 FROM sql_auto_complete(?) ORDER BY suggestion_score, suggestion",
            )?;
            let rows = stmt.query_map([tail], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        })?;
        let start = rows
            .first()
            .map_or(tail.len(), |(_, s, _)| usize::try_from(*s).unwrap_or(0));
        let mut suggestions: Vec<Suggestion> = Vec::new();
        for (text, _, kind) in rows {
            let Some(kind) = kind_of(&kind) else { continue };
            // Keywords come with the space that follows them: the person types their own.
            let text = text.trim().to_string();
            if text.is_empty() {
                continue;
            }
            if !suggestions.iter().any(|s| s.text == text) {
                suggestions.push(Suggestion { text, kind });
            }
            if suggestions.len() == MAX_SUGGESTIONS {
                break;
            }
        }
        Ok(Completion {
            from: utf16_offset(before_cursor, skip + start),
            suggestions,
        })
    }

    /// DuckDB's keywords, type names and function names, for highlighting.
    pub fn vocabulary(&self) -> Result<SqlVocabulary, DataError> {
        let conn = self.conn()?;
        let list = |sql: &str| -> Result<Vec<String>, DataError> {
            let mut stmt = conn.prepare(sql)?;
            let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(names.collect::<Result<Vec<_>, _>>()?)
        };
        Ok(SqlVocabulary {
            keywords: list(
                "SELECT DISTINCT lower(keyword_name) FROM duckdb_keywords() \
                 WHERE keyword_category IN ('reserved', 'unreserved') ORDER BY 1",
            )?,
            types: list(
                "SELECT DISTINCT lower(type_name) FROM duckdb_types() \
                 WHERE type_name SIMILAR TO '[A-Za-z_][A-Za-z0-9_]*' ORDER BY 1",
            )?,
            functions: list(
                "SELECT DISTINCT lower(function_name) FROM duckdb_functions() \
                 WHERE function_name SIMILAR TO '[A-Za-z_][A-Za-z0-9_]*' ORDER BY 1",
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with_taxi(dir: &std::path::Path) -> Database {
        let db = Database::open(&dir.join("datagata.duckdb")).unwrap();
        db.conn()
            .unwrap()
            .execute_batch(
                "CREATE TABLE taxi (fare_amount DOUBLE, tip_amount DOUBLE, \"PULocationID\" INT)",
            )
            .unwrap();
        db
    }

    fn texts(c: &Completion, kind: SuggestionKind) -> Vec<&str> {
        c.suggestions
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| s.text.as_str())
            .collect()
    }

    #[test]
    fn duckdb_completes_columns_tables_and_keywords_on_the_contained_instance() {
        let dir = tempfile::tempdir().unwrap();
        let db = db_with_taxi(dir.path());

        let c = db.complete("SELECT fa", QueryTarget::Local).unwrap();
        assert_eq!(c.from, 7);
        assert!(
            texts(&c, SuggestionKind::Column).contains(&"fare_amount"),
            "{c:?}"
        );

        let c = db
            .complete("SELECT tip_amount FROM ta", QueryTarget::Local)
            .unwrap();
        assert_eq!(c.from, 23);
        assert!(texts(&c, SuggestionKind::Table).contains(&"taxi"), "{c:?}");

        let c = db
            .complete("SELECT * FROM taxi WHERE PU", QueryTarget::Local)
            .unwrap();
        assert!(
            texts(&c, SuggestionKind::Column).contains(&"PULocationID"),
            "{c:?}"
        );

        let c = db.complete("SEL", QueryTarget::Local).unwrap();
        assert!(
            texts(&c, SuggestionKind::Keyword).contains(&"SELECT"),
            "{c:?}"
        );
        assert!(c.suggestions.len() <= MAX_SUGGESTIONS);

        // Offsets count UTF-16 units, as the editor does: "é" is one unit, two bytes.
        let c = db.complete("SELECT 'é', fa", QueryTarget::Local).unwrap();
        assert_eq!(c.from, "SELECT 'é', ".encode_utf16().count() as u32);
    }

    #[test]
    fn completion_never_lists_files() {
        let dir = tempfile::tempdir().unwrap();
        let db = db_with_taxi(dir.path());
        std::fs::write(dir.path().join("canary-secret.txt"), "x").unwrap();
        std::fs::create_dir_all(dir.path().join("imports")).unwrap();
        std::fs::write(dir.path().join("imports").join("trips.csv"), "a\n1\n").unwrap();
        let root = dir.path().display().to_string();
        for sql in [
            format!("SELECT * FROM '{root}/"),
            format!("SELECT * FROM '{root}/can"),
            format!("SELECT * FROM read_csv('{root}/imports/"),
            "SELECT * FROM '/et".to_string(),
            "SELECT * FROM '".to_string(),
        ] {
            let c = db.complete(&sql, QueryTarget::Local).unwrap();
            for s in &c.suggestions {
                assert!(
                    !s.text.contains("canary")
                        && !s.text.contains("trips.csv")
                        && !s.text.starts_with("etc"),
                    "{sql}: {s:?}"
                );
            }
        }
    }

    #[test]
    fn the_vocabulary_is_duckdbs() {
        let db = Database::in_memory(&std::env::temp_dir()).unwrap();
        let v = db.vocabulary().unwrap();
        for word in ["select", "pivot", "qualify", "summarize"] {
            assert!(v.keywords.iter().any(|k| k == word), "{word}");
        }
        assert!(v.types.iter().any(|t| t == "timestamp"));
        for f in ["median", "date_trunc", "read_parquet"] {
            assert!(v.functions.iter().any(|k| k == f), "{f}");
        }
    }

    #[test]
    fn file_and_directory_suggestions_are_dropped_by_kind() {
        // DuckDB's completer lists the disk on an instance that may read it: never passed on.
        assert_eq!(kind_of("file_name"), None);
        assert_eq!(kind_of("directory"), None);
        assert_eq!(kind_of("scalar_function"), Some(SuggestionKind::Function));
        assert_eq!(kind_of("table_function"), Some(SuggestionKind::Function));
        assert_eq!(kind_of("column"), Some(SuggestionKind::Column));
    }

    #[test]
    fn utf16_offsets_stop_at_char_boundaries() {
        assert_eq!(utf16_offset("abc", 2), 2);
        assert_eq!(utf16_offset("aé", 3), 2);
        assert_eq!(utf16_offset("aé", 2), 1);
        assert_eq!(utf16_offset("a😀b", 5), 3);
        assert_eq!(utf16_offset("ab", 99), 2);
    }
}
