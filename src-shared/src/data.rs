//! The data contract: queries and their typed results, the database's origin and schema, pivot
//! tables, saved tables (`my_db`), imports, exports and MotherDuck's state.

use serde::{Deserialize, Serialize};

/// Where a query runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum QueryTarget {
    /// The embedded DuckDB database in the app's data directory.
    #[default]
    Local,
    /// MotherDuck's cloud (`md:`), `taxi` meaning `sample_data.nyc.taxi`.
    MotherDuck,
}

/// One read-only statement to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryRequest {
    pub sql: String,
    #[serde(default)]
    pub target: QueryTarget,
    /// Rows sent back at most (the total is still counted); the app's default when absent.
    pub max_rows: Option<u64>,
    /// Milliseconds before the query is interrupted; the app's default when absent.
    pub timeout_ms: Option<u64>,
}

impl QueryRequest {
    pub fn local(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            target: QueryTarget::Local,
            max_rows: None,
            timeout_ms: None,
        }
    }
}

/// How the front end should show and sort a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Integer,
    Float,
    Decimal,
    Boolean,
    Text,
    Timestamp,
    Date,
    /// Lists, structs, intervals …: shown as DuckDB prints them.
    Other,
}

/// A column's values, one entry per row shown; `None` is SQL NULL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "values", rename_all = "lowercase")]
pub enum ColumnValues {
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
}

impl ColumnValues {
    pub fn len(&self) -> usize {
        match self {
            ColumnValues::Int(v) => v.len(),
            ColumnValues::Float(v) => v.len(),
            ColumnValues::Bool(v) => v.len(),
            ColumnValues::Text(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value in row `row` as the grid shows it ("NULL" for SQL NULL).
    pub fn display(&self, row: usize) -> String {
        fn show<T: ToString>(v: Option<&Option<T>>) -> String {
            match v {
                Some(Some(x)) => x.to_string(),
                Some(None) => "NULL".to_string(),
                None => String::new(),
            }
        }
        match self {
            ColumnValues::Int(v) => show(v.get(row)),
            ColumnValues::Float(v) => match v.get(row) {
                Some(Some(x)) => format_float(*x),
                other => show(other),
            },
            ColumnValues::Bool(v) => show(v.get(row)),
            ColumnValues::Text(v) => show(v.get(row)),
        }
    }
}

/// Floats with at most four decimals and no trailing zeros: 12.5, 0.3333, 70.
pub fn format_float(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A typed result column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    pub name: String,
    /// DuckDB's name for the type, e.g. "BIGINT", "DECIMAL(18,3)", "TIMESTAMP".
    pub sql_type: String,
    pub kind: ColumnKind,
    pub values: ColumnValues,
}

/// What a query answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryResult {
    /// The statement that ran (after the read-only check).
    pub sql: String,
    pub target: QueryTarget,
    pub columns: Vec<Column>,
    /// Rows in `columns` (at most the row cap).
    pub rows_shown: u64,
    /// Rows the query produced in all — or, when `more_rows`, the rows counted before counting
    /// stopped (a lower bound).
    pub total_rows: u64,
    /// The query had more rows than were counted: the total is "more than `total_rows`".
    #[serde(default)]
    pub more_rows: bool,
    pub elapsed_ms: f64,
}

impl QueryResult {
    pub fn truncated(&self) -> bool {
        self.more_rows || self.total_rows > self.rows_shown
    }

    /// "12 rows", "showing 100,000 of 2,500,000 rows" or "showing 5 of more than 10,000,005 rows".
    pub fn summary(&self) -> String {
        if self.more_rows {
            format!(
                "showing {} of more than {} rows",
                thousands(self.rows_shown),
                thousands(self.total_rows)
            )
        } else if self.truncated() {
            format!(
                "showing {} of {} rows",
                thousands(self.rows_shown),
                thousands(self.total_rows)
            )
        } else if self.total_rows == 1 {
            "1 row".to_string()
        } else {
            format!("{} rows", thousands(self.total_rows))
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in the app's one unit system, decimal SI (1 MB = 1,000,000 bytes), wherever bytes are
/// shown (downloads, model files, memory): "512 B", "98.4 kB", "348 MB", "1.20 GB".
pub fn bytes(n: u64) -> String {
    const UNITS: [(&str, f64); 4] = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    let value = n as f64;
    for (unit, size) in UNITS {
        if value >= size {
            let v = value / size;
            return if v >= 100.0 {
                format!("{} {unit}", thousands(v.round() as u64))
            } else if v >= 10.0 || unit != "GB" && unit != "TB" {
                format!("{v:.1} {unit}")
            } else {
                format!("{v:.2} {unit}")
            };
        }
    }
    format!("{n} B")
}

/// The generated sample in the local database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SampleInfo {
    pub rows: u64,
    pub seed: u64,
    /// Order-independent checksum over every row: the same seed and size give the same value.
    pub checksum: String,
}

/// A TLC file imported into `taxi`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedFile {
    pub path: String,
    pub rows: u64,
}

/// Where the rows of the local `taxi` table came from: a generated sample, imported files, or
/// both (a sample extended by imports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DataOrigin {
    pub sample: Option<SampleInfo>,
    pub imported: Vec<ImportedFile>,
}

impl DataOrigin {
    /// The origin in words, for the badge over every result.
    pub fn describe(&self) -> String {
        let files = match self.imported.len() {
            0 => None,
            1 => Some(format!("imported TLC file {}", self.imported[0].path)),
            n => Some(format!("{n} imported TLC files")),
        };
        match (&self.sample, files) {
            (Some(s), None) => format!(
                "Generated sample: {} synthetic trips (seed {}), not real TLC data",
                thousands(s.rows),
                s.seed
            ),
            (Some(s), Some(f)) => format!(
                "Generated sample ({} synthetic trips, seed {}) plus {f}",
                thousands(s.rows),
                s.seed
            ),
            (None, Some(f)) => format!("Real trips: {f}"),
            (None, None) => "No trip data yet".to_string(),
        }
    }
}

/// MotherDuck's state in words the UI can show as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MotherDuckState {
    /// No token in `MOTHERDUCK_TOKEN` or the settings.
    NotConfigured,
    Connecting,
    Connected,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MotherDuckStatus {
    pub state: MotherDuckState,
    /// What happened and what to do about it.
    pub message: String,
    /// "environment" or "settings" when a token is known.
    pub token_source: Option<String>,
}

/// The local database and what is in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataStatus {
    pub database_path: String,
    pub origin: DataOrigin,
    pub taxi_rows: u64,
    pub zones: u64,
    pub motherduck: MotherDuckStatus,
    /// Long work under way on the database ("Generating the sample: 1,000,000 trips…"); the UI
    /// shows it and asks again until it is gone.
    #[serde(default)]
    pub busy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnInfo {
    pub name: String,
    pub sql_type: String,
}

/// A table or view a query can read, for the schema beside the editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableInfo {
    pub catalog: String,
    pub schema: String,
    pub name: String,
    /// How to write it in SQL: `taxi`, `my_db.busy_hours`, `sample_data.nyc.taxi`.
    pub qualified_name: String,
    pub columns: Vec<ColumnInfo>,
    pub rows: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// The files become the whole `taxi` table.
    #[default]
    Replace,
    /// The files' rows are added to what is there.
    Append,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRequest {
    pub paths: Vec<String>,
    #[serde(default)]
    pub mode: ImportMode,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateRequest {
    pub rows: u64,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Parquet,
}

/// Writes a query's full result (not only the rows shown) to a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    pub sql: String,
    #[serde(default)]
    pub target: QueryTarget,
    pub format: ExportFormat,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportDone {
    pub path: String,
    pub rows: u64,
}

/// The file a chart is saved as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartFormat {
    Png,
    Svg,
}

impl ChartFormat {
    /// The file ending (without the dot).
    pub fn ending(self) -> &'static str {
        match self {
            ChartFormat::Png => "png",
            ChartFormat::Svg => "svg",
        }
    }
}

/// Writes a chart the window drew to a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveChartRequest {
    /// A full path; the format's ending is added when it has none.
    pub path: String,
    pub format: ChartFormat,
    /// PNG: the image's bytes in base64 (a `data:image/png;base64,` prefix is allowed); SVG: the
    /// document's text.
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartSaved {
    pub path: String,
    pub bytes: u64,
}

/// What Disconnect did: the stored token forgotten, MotherDuck's instance closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MotherDuckDisconnected {
    /// Where a token was removed from ("keyring", "settings"); empty when none was stored.
    pub forgotten: Vec<String>,
    /// `MOTHERDUCK_TOKEN` is set in the app's environment and still provides a token (which the
    /// app cannot unset): the status then says so.
    pub environment_token: bool,
    pub status: MotherDuckStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    Sum,
    Avg,
    Count,
    Min,
    Max,
}

impl Aggregate {
    pub const ALL: [Aggregate; 5] = [
        Aggregate::Sum,
        Aggregate::Avg,
        Aggregate::Count,
        Aggregate::Min,
        Aggregate::Max,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Aggregate::Sum => "sum",
            Aggregate::Avg => "avg",
            Aggregate::Count => "count",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
        }
    }
}

/// What a pivot reads: the current result's statement, or a table by its qualified name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PivotSource {
    Query { sql: String },
    Table { name: String },
}

/// A pivot: one row per distinct `rows` tuple, one column per distinct value of `column`,
/// cells `aggregate(measure)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PivotRequest {
    pub source: PivotSource,
    #[serde(default)]
    pub target: QueryTarget,
    pub rows: Vec<String>,
    pub column: String,
    pub measure: String,
    pub aggregate: Aggregate,
}

/// "Save as table" into `my_db`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveTableRequest {
    pub name: String,
    pub sql: String,
    #[serde(default)]
    pub target: QueryTarget,
    /// Replace a saved table of the same name (the UI asks first).
    #[serde(default)]
    pub overwrite: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedTable {
    pub name: String,
    /// `my_db.name`, as a query writes it.
    pub qualified_name: String,
    pub rows: u64,
    pub columns: u64,
}

/// What "save as table" did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum SaveTableOutcome {
    Saved {
        tables: Vec<SavedTable>,
    },
    /// Nothing was written: a table of that name exists and `overwrite` was false.
    AlreadyExists {
        name: String,
    },
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn bytes_are_decimal_si_everywhere() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(98_400), "98.4 kB");
        assert_eq!(bytes(98_362_432), "98.4 MB");
        assert_eq!(bytes(348_362_432), "348 MB");
        assert_eq!(bytes(1_204_000_000), "1.20 GB");
        assert_eq!(bytes(16_777_216_000), "16.8 GB");
        assert_eq!(bytes(1_500_000_000_000), "1.50 TB");
    }

    use super::*;

    #[test]
    fn counts_read_like_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        let r = QueryResult {
            sql: String::new(),
            target: QueryTarget::Local,
            columns: vec![],
            rows_shown: 100_000,
            total_rows: 2_500_000,
            more_rows: false,
            elapsed_ms: 1.0,
        };
        assert_eq!(r.summary(), "showing 100,000 of 2,500,000 rows");
    }

    #[test]
    fn floats_lose_trailing_zeros_only() {
        assert_eq!(format_float(70.0), "70");
        assert_eq!(format_float(12.5), "12.5");
        assert_eq!(format_float(1.0 / 3.0), "0.3333");
        assert_eq!(format_float(-0.00001), "0");
    }

    #[test]
    fn column_values_are_tagged_on_the_wire() {
        let v = ColumnValues::Int(vec![Some(1), None]);
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "int", "values": [1, null]})
        );
        assert_eq!(v.display(1), "NULL");
        let back: ColumnValues = serde_json::from_value(json).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn the_origin_never_passes_generated_rows_off_as_real() {
        let sample = DataOrigin {
            sample: Some(SampleInfo {
                rows: 1_000_000,
                seed: 42,
                checksum: "x".into(),
            }),
            imported: vec![],
        };
        assert!(sample.describe().contains("not real TLC data"));
        let real = DataOrigin {
            sample: None,
            imported: vec![ImportedFile {
                path: "yellow_tripdata_2024-01.parquet".into(),
                rows: 10,
            }],
        };
        assert!(real.describe().starts_with("Real trips"));
    }
}

/// How one run of the editor's statement ended, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum RunOutcome {
    /// It answered: rows produced (a lower bound when `more_rows`) and DuckDB's time.
    Answered {
        total_rows: u64,
        #[serde(default)]
        more_rows: bool,
        elapsed_ms: f64,
    },
    /// DuckDB or the read-only guard refused or failed it (the message's first line).
    Failed { error: String },
    /// Stopped from the UI, or by a newer run that replaced it.
    Stopped,
}

/// One statement run from the SQL editor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub sql: String,
    pub target: QueryTarget,
    /// When it ran, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub outcome: RunOutcome,
}

/// Which history entries to list: one target's, newest first, those whose SQL contains
/// `search` (ignoring case; all when empty), at most `limit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HistorySearch {
    pub target: QueryTarget,
    #[serde(default)]
    pub search: String,
    pub limit: Option<u32>,
}

/// What the SQL editor shows when the window opens: the text it had when the app closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct EditorState {
    pub sql: Option<String>,
}

/// What the editor asks DuckDB to complete: the statement's text up to the cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteRequest {
    pub sql: String,
    #[serde(default)]
    pub target: QueryTarget,
}

/// What a completion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuggestionKind {
    Keyword,
    Table,
    Column,
    Function,
    /// A catalog or schema name.
    Schema,
    Other,
}

/// One completion DuckDB offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    pub text: String,
    pub kind: SuggestionKind,
}

/// DuckDB's completions for the text before the cursor (`sql_auto_complete`): each replaces the
/// text from `from` (a UTF-16 offset, as the editor counts) to the cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    pub from: u32,
    pub suggestions: Vec<Suggestion>,
}

/// The words the editor highlights, from DuckDB's own catalog: its keywords, type names and
/// function names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SqlVocabulary {
    pub keywords: Vec<String>,
    pub types: Vec<String>,
    pub functions: Vec<String>,
}
