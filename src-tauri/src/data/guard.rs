//! The read-only guard: questions, AI-generated SQL and pivots may run exactly one SELECT-like
//! statement (SELECT, WITH, PIVOT with its values listed, DESCRIBE, SUMMARIZE) that reads only
//! the database and files in the data folder. DuckDB's own parser decides what a statement is
//! (`json_serialize_sql` serializes SELECT statements only); the parsed tree is then walked for
//! table functions, file paths and functions that reach outside the database.
//!
//! This is the friendly first refusal, not the wall: the database instance itself cannot reach
//! a file outside the imports folder, load an extension or change a setting (see [`super`]).
//! Tests switch the guard off ([`set_disabled_for_tests`]) to show that the engine refuses alone.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

/// SQL that passed the guard: one read-only statement, trailing `;` and blanks removed.
/// Only [`check`] makes one, so a function taking it cannot be handed unchecked SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOnlySql(String);

impl ReadOnlySql {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The statement as a parenthesised subquery, safe to embed (`FROM (…)`, `CREATE … AS`):
    /// the newlines keep a trailing `--` comment from swallowing the closing parenthesis.
    pub fn as_subquery(&self) -> String {
        format!("(\n{}\n)", self.0)
    }
}

/// Why a statement may not run, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("there is no statement to run")]
    Empty,
    #[error("{0}")]
    Syntax(String),
    #[error(
        "only a single read-only SELECT, WITH, PIVOT (with its values listed: ON col IN (…)), \
         DESCRIBE or SUMMARIZE statement can run here; this one would change the database or \
         its settings, or reach outside it"
    )]
    NotReadOnly,
    #[error("one statement at a time: this text holds {0}")]
    Several(usize),
    #[error(
        "the table function {0}() is not allowed here; questions may use range, generate_series, \
         unnest, the duckdb_* catalog functions, and read_parquet/read_csv/read_json on files in \
         the data folder"
    )]
    TableFunction(String),
    #[error("the function {0}() is not allowed here: it reveals settings or the environment")]
    Function(String),
    #[error("{function}() needs its file path written out as text")]
    PathNotLiteral { function: String },
    #[error("{path} {why}; questions may only read files in the data folder {root}")]
    Path {
        path: String,
        why: String,
        root: String,
    },
    #[error("{0} is not allowed here: it lists settings, secrets or the engine's internals")]
    Catalog(String),
    #[error("the read-only check could not run: {0}")]
    Internal(String),
}

/// Table functions that only compute or read the catalog.
const PURE_TABLE_FUNCTIONS: &[&str] = &[
    "range",
    "generate_series",
    "unnest",
    "duckdb_tables",
    "duckdb_columns",
    "duckdb_views",
    "duckdb_schemas",
    "duckdb_databases",
    "duckdb_types",
    "duckdb_functions",
];

/// Table functions that read files: allowed on paths inside the data folder.
const FILE_READERS: &[&str] = &[
    "read_parquet",
    "parquet_scan",
    "parquet_schema",
    "parquet_metadata",
    "read_csv",
    "read_csv_auto",
    "read_json",
    "read_json_auto",
    "read_ndjson",
    "read_ndjson_auto",
];

/// Scalar functions that would show what is not data (settings hold the MotherDuck token).
const SECRET_FUNCTIONS: &[&str] = &["getenv", "current_setting"];

/// Catalog views that show the engine's settings, secrets or logs rather than data.
const INTERNAL_VIEWS: &[&str] = &[
    "pg_settings",
    "duckdb_settings",
    "duckdb_secrets",
    "duckdb_logs",
    "duckdb_log_contexts",
    "duckdb_extensions",
    "duckdb_temporary_files",
    "duckdb_memory",
];

/// Schemas of the database whose names never name a file.
const SCHEMAS: &[&str] = &[
    "main",
    "my_db",
    "information_schema",
    "pg_catalog",
    "sample_data",
];

#[cfg(test)]
thread_local! {
    static DISABLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Tests only: with `true`, [`check`] on this thread passes any text unchecked, so a test can
/// show what DuckDB's own containment does with hostile SQL.
#[cfg(test)]
pub fn set_disabled_for_tests(disabled: bool) {
    DISABLED.with(|d| d.set(disabled));
}

/// File endings DuckDB reads directly in `FROM 'file.ext'`.
const FILE_ENDINGS: &[&str] = &[
    ".csv", ".tsv", ".txt", ".parquet", ".json", ".jsonl", ".ndjson", ".gz", ".zst", ".arrow",
    ".xlsx", ".db", ".duckdb",
];

/// Statements that passed [`check`] lately, so a statement asked again (traffic, history,
/// a dashboard) is not parsed and walked again: the verdict depends only on the text and the
/// files root, which a [`Passed`] is made for. Refusals are not kept (they are rare, and their
/// message should be DuckDB's each time). Bounded: when full it starts over.
#[derive(Debug)]
pub struct Passed {
    root: PathBuf,
    texts: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Passed {
    /// At most this many statements are remembered.
    pub const CAPACITY: usize = 1024;

    pub fn new(files_root: &Path) -> Self {
        Passed {
            root: files_root.to_path_buf(),
            texts: Default::default(),
        }
    }

    /// [`check`] on the connection `conn` gives, skipped (and no connection taken) for a
    /// statement that passed before.
    pub fn check<C, E>(
        &self,
        sql: &str,
        conn: impl FnOnce() -> Result<C, E>,
    ) -> Result<ReadOnlySql, E>
    where
        C: std::ops::Deref<Target = duckdb::Connection>,
        E: From<Refusal>,
    {
        let text = trimmed(sql);
        let lock = || self.texts.lock().unwrap_or_else(|e| e.into_inner());
        if lock().contains(text) {
            return Ok(ReadOnlySql(text.to_string()));
        }
        let passed = check(&*conn()?, text, &self.root)?;
        #[cfg(test)]
        if DISABLED.with(|d| d.get()) {
            return Ok(passed);
        }
        let mut texts = lock();
        if texts.len() >= Self::CAPACITY {
            texts.clear();
        }
        texts.insert(passed.0.clone());
        Ok(passed)
    }

    /// How many statements are remembered.
    pub fn len(&self) -> usize {
        self.texts.lock().map(|t| t.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn trimmed(sql: &str) -> &str {
    sql.trim()
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace())
}

/// Checks `sql` on `conn` (any connection: parsing touches nothing) and returns it as
/// [`ReadOnlySql`], or why it may not run.
pub fn check(
    conn: &duckdb::Connection,
    sql: &str,
    files_root: &Path,
) -> Result<ReadOnlySql, Refusal> {
    let text = trimmed(sql);
    if text.is_empty() {
        return Err(Refusal::Empty);
    }
    #[cfg(test)]
    if DISABLED.with(|d| d.get()) {
        return Ok(ReadOnlySql(text.to_string()));
    }
    let json: String = conn
        .query_row(
            "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR",
            [text],
            |r| r.get(0),
        )
        .map_err(|e| Refusal::Internal(e.to_string()))?;
    let tree: Value = serde_json::from_str(&json).map_err(|e| Refusal::Internal(e.to_string()))?;
    if tree["error"].as_bool() == Some(true) {
        let kind = tree["error_type"].as_str().unwrap_or_default();
        let message = tree["error_message"].as_str().unwrap_or("unknown error");
        return Err(if kind == "not implemented" {
            Refusal::NotReadOnly
        } else {
            Refusal::Syntax(message.to_string())
        });
    }
    let statements = tree["statements"].as_array().map(Vec::len).unwrap_or(0);
    match statements {
        0 => return Err(Refusal::Empty),
        1 => {}
        n => return Err(Refusal::Several(n)),
    }
    visit(&tree["statements"], &mut |node| inspect(node, files_root))?;
    Ok(ReadOnlySql(text.to_string()))
}

fn visit(value: &Value, f: &mut impl FnMut(&Value) -> Result<(), Refusal>) -> Result<(), Refusal> {
    match value {
        Value::Object(map) => {
            f(value)?;
            map.values().try_for_each(|v| visit(v, f))
        }
        Value::Array(items) => items.iter().try_for_each(|v| visit(v, f)),
        _ => Ok(()),
    }
}

fn inspect(node: &Value, root: &Path) -> Result<(), Refusal> {
    let kind = node["type"].as_str().unwrap_or_default();
    let class = node["class"].as_str().unwrap_or_default();
    if kind == "TABLE_FUNCTION" {
        let function = &node["function"];
        let name = function["function_name"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        if PURE_TABLE_FUNCTIONS.contains(&name.as_str()) {
            return Ok(());
        }
        if !FILE_READERS.contains(&name.as_str()) {
            return Err(Refusal::TableFunction(name));
        }
        let paths = function["children"]
            .get(0)
            .and_then(literal_paths)
            .ok_or_else(|| Refusal::PathNotLiteral {
                function: name.clone(),
            })?;
        return paths.iter().try_for_each(|p| inside(root, p));
    }
    if class == "FUNCTION" {
        let name = node["function_name"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        if SECRET_FUNCTIONS.contains(&name.as_str()) {
            return Err(Refusal::Function(name));
        }
    }
    if kind == "BASE_TABLE" {
        let name = node["table_name"].as_str().unwrap_or_default();
        let schema = node["schema_name"].as_str().unwrap_or_default();
        let catalog = node["catalog_name"].as_str().unwrap_or_default();
        if INTERNAL_VIEWS.contains(&name.to_lowercase().as_str()) {
            return Err(Refusal::Catalog(name.to_string()));
        }
        // DuckDB joins the parts of a qualified name into a file path when no table has that
        // name: `"/dir/secret"."csv"` reads /dir/secret.csv.
        let joined: Vec<&str> = [catalog, schema, name]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect();
        let joined = joined.join(".");
        let known_schema = catalog.is_empty() && SCHEMAS.contains(&schema.to_lowercase().as_str());
        if looks_like_a_file(&joined) && !known_schema
            || [catalog, schema]
                .iter()
                .any(|p| p.contains(['/', '\\', ':']))
        {
            return inside(root, &joined);
        }
    }
    Ok(())
}

/// A constant string, or a list of them (`['a.parquet', 'b.parquet']`).
fn literal_paths(arg: &Value) -> Option<Vec<String>> {
    if arg["class"] == "CONSTANT" {
        return match &arg["value"]["value"] {
            Value::String(s) => Some(vec![s.clone()]),
            _ => None,
        };
    }
    if arg["class"] == "FUNCTION" && arg["function_name"] == "list_value" {
        return arg["children"]
            .as_array()?
            .iter()
            .map(|c| literal_paths(c).and_then(|mut v| v.pop()))
            .collect();
    }
    None
}

fn looks_like_a_file(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.contains(['/', '\\', ':']) || FILE_ENDINGS.iter().any(|e| lower.ends_with(e))
}

/// Whether `raw` names files inside `root`, after resolving symbolic links; glob patterns are
/// judged by their fixed leading folders.
fn inside(root: &Path, raw: &str) -> Result<(), Refusal> {
    let refuse = |why: &str| Refusal::Path {
        path: raw.to_string(),
        why: why.to_string(),
        root: root.display().to_string(),
    };
    if raw.contains("://") || raw.to_lowercase().starts_with("md:") {
        return Err(refuse("is on the network"));
    }
    let path = Path::new(raw);
    if !path.is_absolute() {
        return Err(refuse("is not a full path"));
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(refuse("goes up with .."));
    }
    let fixed: PathBuf = path
        .components()
        .take_while(|c| {
            !c.as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '[', '{'])
        })
        .collect();
    let mut existing = fixed.as_path();
    while !existing.exists() {
        existing = existing.parent().ok_or_else(|| refuse("does not exist"))?;
    }
    let resolved = existing
        .canonicalize()
        .map_err(|e| refuse(&format!("cannot be resolved ({e})")))?
        .join(fixed.strip_prefix(existing).unwrap_or(Path::new("")));
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    if resolved.starts_with(&root) {
        Ok(())
    } else {
        Err(refuse("is outside the data folder"))
    }
}

#[cfg(test)]
mod passed_tests {
    use super::*;

    fn conn() -> duckdb::Connection {
        duckdb::Connection::open_in_memory().expect("in-memory DuckDB")
    }

    #[test]
    fn a_passed_statement_is_remembered_once_whatever_its_trailing_semicolons() {
        let (conn, passed) = (conn(), Passed::new(Path::new("/nowhere")));
        let first = passed
            .check("SELECT 42", || Ok::<_, Refusal>(&conn))
            .unwrap();
        let again = passed
            .check("  SELECT 42 ;; \n", || Ok::<_, Refusal>(&conn))
            .unwrap();
        assert_eq!(first, again);
        // A remembered statement takes no connection at all.
        let no_connection = || Err::<&duckdb::Connection, _>(Refusal::Internal("none".into()));
        assert_eq!(passed.check("SELECT 42;", no_connection), Ok(first.clone()));
        assert_eq!(first.as_str(), "SELECT 42");
        assert_eq!(passed.len(), 1);
    }

    #[test]
    fn a_refusal_is_not_remembered_and_is_given_each_time() {
        let (conn, passed) = (conn(), Passed::new(Path::new("/nowhere")));
        for _ in 0..2 {
            assert_eq!(
                passed.check("DROP TABLE trips", || Ok::<_, Refusal>(&conn)),
                Err(Refusal::NotReadOnly)
            );
        }
        assert_eq!(passed.len(), 0);
    }

    #[test]
    fn the_memory_is_bounded() {
        let (conn, passed) = (conn(), Passed::new(Path::new("/nowhere")));
        for i in 0..Passed::CAPACITY + 10 {
            passed
                .check(&format!("SELECT {i}"), || Ok::<_, Refusal>(&conn))
                .unwrap();
        }
        assert!(passed.len() <= Passed::CAPACITY, "{}", passed.len());
        assert!(!passed.is_empty());
    }

    #[test]
    fn what_passes_with_the_guard_switched_off_is_not_remembered() {
        let (conn, passed) = (conn(), Passed::new(Path::new("/nowhere")));
        set_disabled_for_tests(true);
        let unchecked = passed.check("DROP TABLE trips", || Ok::<_, Refusal>(&conn));
        set_disabled_for_tests(false);
        assert!(unchecked.is_ok());
        assert_eq!(passed.len(), 0);
        assert_eq!(
            passed.check("DROP TABLE trips", || Ok::<_, Refusal>(&conn)),
            Err(Refusal::NotReadOnly)
        );
    }
}
