//! What the result grid does with a result besides drawing it, as plain Rust: the row order of a
//! sort by one column ([`sorted_rows`]: typed, stable, NULLs last either way), the rectangle a
//! person selected ([`Selection`]), and the text a copy puts on the clipboard ([`delimited`]:
//! TSV or CSV, raw values rather than the locale's formatting, NULL as an empty field).

use std::cmp::Ordering;
use std::ops::Range;

use datagata_ipc::data::{ColumnValues, QueryResult};

/// A sort by one column.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SortKey {
    pub column: usize,
    pub descending: bool,
}

impl SortKey {
    /// The key after the column's header is clicked: ascending, then descending, then none.
    pub fn next(current: Option<SortKey>, column: usize) -> Option<SortKey> {
        match current {
            Some(k) if k.column == column && !k.descending => Some(SortKey {
                column,
                descending: true,
            }),
            Some(k) if k.column == column => None,
            _ => Some(SortKey {
                column,
                descending: false,
            }),
        }
    }
}

fn compare_option<T>(
    a: &Option<T>,
    b: &Option<T>,
    cmp: impl Fn(&T, &T) -> Ordering,
    desc: bool,
) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) if desc => cmp(y, x),
        (Some(x), Some(y)) => cmp(x, y),
    }
}

/// The rows of `result` in the order of `key` (the result's own order without one).
pub fn sorted_rows(result: &QueryResult, key: Option<SortKey>) -> Vec<usize> {
    let rows = result
        .columns
        .iter()
        .map(|c| c.values.len())
        .max()
        .unwrap_or(0);
    let mut order: Vec<usize> = (0..rows).collect();
    let Some(key) = key else { return order };
    let Some(column) = result.columns.get(key.column) else {
        return order;
    };
    let d = key.descending;
    match &column.values {
        ColumnValues::Int(v) => order.sort_by(|&a, &b| compare_option(&v[a], &v[b], i64::cmp, d)),
        ColumnValues::Float(v) => {
            order.sort_by(|&a, &b| compare_option(&v[a], &v[b], f64::total_cmp, d))
        }
        ColumnValues::Bool(v) => order.sort_by(|&a, &b| compare_option(&v[a], &v[b], bool::cmp, d)),
        // Dates and timestamps arrive as ISO text, which sorts in time order.
        ColumnValues::Text(v) => {
            order.sort_by(|&a, &b| compare_option(&v[a], &v[b], |x: &String, y| x.cmp(y), d))
        }
    }
    order
}

/// A rectangle of cells: from the cell where the selection started to the one it reached, in
/// displayed row positions (after sorting) and column indexes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Selection {
    pub anchor: (usize, usize),
    pub focus: (usize, usize),
}

impl Selection {
    pub fn cell(row: usize, column: usize) -> Self {
        Self {
            anchor: (row, column),
            focus: (row, column),
        }
    }

    /// Whole rows `from..=to` of a result with `columns` columns.
    pub fn rows(from: usize, to: usize, columns: usize) -> Self {
        Self {
            anchor: (from, 0),
            focus: (to, columns.saturating_sub(1)),
        }
    }

    pub fn all(rows: usize, columns: usize) -> Self {
        Self {
            anchor: (0, 0),
            focus: (rows.saturating_sub(1), columns.saturating_sub(1)),
        }
    }

    /// The same anchor, reaching `focus`.
    pub fn extend(self, focus: (usize, usize)) -> Self {
        Self { focus, ..self }
    }

    pub fn row_range(&self) -> Range<usize> {
        self.anchor.0.min(self.focus.0)..self.anchor.0.max(self.focus.0) + 1
    }

    pub fn column_range(&self) -> Range<usize> {
        self.anchor.1.min(self.focus.1)..self.anchor.1.max(self.focus.1) + 1
    }

    pub fn contains(&self, row: usize, column: usize) -> bool {
        self.row_range().contains(&row) && self.column_range().contains(&column)
    }

    /// "1 cell", "3 rows × 2 columns".
    pub fn describe(&self) -> String {
        let (r, c) = (self.row_range().len(), self.column_range().len());
        match (r, c) {
            (1, 1) => "1 cell".into(),
            (1, c) => format!("1 row × {c} columns"),
            (r, 1) => format!("{r} rows × 1 column"),
            (r, c) => format!("{r} rows × {c} columns"),
        }
    }
}

/// How copied cells are written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Delimited {
    /// Tab-separated: what spreadsheets paste into cells. Tabs and line breaks inside a value
    /// become spaces (TSV has no quoting).
    Tsv,
    /// RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled.
    Csv,
}

fn field(value: &str, format: Delimited) -> String {
    match format {
        Delimited::Tsv => value.replace(['\t', '\n', '\r'], " "),
        Delimited::Csv if value.contains([',', '"', '\n', '\r']) => {
            format!("\"{}\"", value.replace('"', "\"\""))
        }
        Delimited::Csv => value.to_string(),
    }
}

/// The raw text of one value: what DuckDB answered (floats at full precision), NULL as nothing.
fn raw(values: &ColumnValues, row: usize) -> String {
    fn text<T: ToString>(v: Option<&Option<T>>) -> String {
        v.and_then(|x| x.as_ref())
            .map(T::to_string)
            .unwrap_or_default()
    }
    match values {
        ColumnValues::Int(v) => text(v.get(row)),
        ColumnValues::Float(v) => text(v.get(row)),
        ColumnValues::Bool(v) => text(v.get(row)),
        ColumnValues::Text(v) => text(v.get(row)),
    }
}

/// The cells at displayed rows `rows` (positions in `order`) and columns `columns`, one line per
/// row (`\n`), with the column names first when `header`.
pub fn delimited(
    result: &QueryResult,
    order: &[usize],
    rows: Range<usize>,
    columns: Range<usize>,
    format: Delimited,
    header: bool,
) -> String {
    let sep = match format {
        Delimited::Tsv => "\t",
        Delimited::Csv => ",",
    };
    let columns = columns.start.min(result.columns.len())..columns.end.min(result.columns.len());
    let picked = &result.columns[columns];
    let mut out = String::new();
    if header {
        let names: Vec<String> = picked.iter().map(|c| field(&c.name, format)).collect();
        out.push_str(&names.join(sep));
        out.push('\n');
    }
    let shown = &order[rows.start.min(order.len())..rows.end.min(order.len())];
    for &row in shown {
        let cells: Vec<String> = picked
            .iter()
            .map(|c| field(&raw(&c.values, row), format))
            .collect();
        out.push_str(&cells.join(sep));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use datagata_ipc::data::{Column, ColumnKind};

    fn result() -> QueryResult {
        QueryResult {
            sql: "SELECT …".into(),
            target: Default::default(),
            columns: vec![
                Column {
                    name: "zone".into(),
                    sql_type: "VARCHAR".into(),
                    kind: ColumnKind::Text,
                    values: ColumnValues::Text(vec![
                        Some("Midtown, East".into()),
                        None,
                        Some("JFK \"Airport\"".into()),
                        Some("Tab\there".into()),
                    ]),
                },
                Column {
                    name: "trips".into(),
                    sql_type: "BIGINT".into(),
                    kind: ColumnKind::Integer,
                    values: ColumnValues::Int(vec![Some(30), Some(5), None, Some(12)]),
                },
                Column {
                    name: "fare".into(),
                    sql_type: "DOUBLE".into(),
                    kind: ColumnKind::Float,
                    values: ColumnValues::Float(vec![Some(12.5), Some(-1.0), Some(70.0), None]),
                },
            ],
            rows_shown: 4,
            total_rows: 4,
            more_rows: false,
            elapsed_ms: 1.0,
        }
    }

    #[test]
    fn sorting_is_typed_stable_and_puts_nulls_last() {
        let r = result();
        let asc = |c| {
            Some(SortKey {
                column: c,
                descending: false,
            })
        };
        let desc = |c| {
            Some(SortKey {
                column: c,
                descending: true,
            })
        };
        assert_eq!(sorted_rows(&r, None), [0, 1, 2, 3]);
        assert_eq!(sorted_rows(&r, asc(1)), [1, 3, 0, 2]);
        assert_eq!(sorted_rows(&r, desc(1)), [0, 3, 1, 2]);
        assert_eq!(sorted_rows(&r, asc(2)), [1, 0, 2, 3]);
        assert_eq!(sorted_rows(&r, desc(2)), [2, 0, 1, 3]);
        assert_eq!(sorted_rows(&r, asc(0)), [2, 0, 3, 1]);
        // Numbers sort as numbers, not as text ("5" < "12" < "30").
        assert_eq!(sorted_rows(&r, asc(1))[..2], [1, 3]);
        assert_eq!(sorted_rows(&r, asc(9)), [0, 1, 2, 3]);
    }

    #[test]
    fn header_clicks_cycle_ascending_descending_none() {
        let a = SortKey::next(None, 2);
        assert_eq!(
            a,
            Some(SortKey {
                column: 2,
                descending: false
            })
        );
        let d = SortKey::next(a, 2);
        assert_eq!(
            d,
            Some(SortKey {
                column: 2,
                descending: true
            })
        );
        assert_eq!(SortKey::next(d, 2), None);
        assert_eq!(
            SortKey::next(d, 0),
            Some(SortKey {
                column: 0,
                descending: false
            })
        );
    }

    #[test]
    fn copies_are_tsv_or_csv_of_raw_values_in_the_order_shown() {
        let r = result();
        let all = sorted_rows(&r, None);
        assert_eq!(
            delimited(&r, &all, 0..4, 0..3, Delimited::Tsv, true),
            "zone\ttrips\tfare\nMidtown, East\t30\t12.5\n\t5\t-1\nJFK \"Airport\"\t\t70\nTab here\t12\t\n"
        );
        assert_eq!(
            delimited(&r, &all, 0..4, 0..3, Delimited::Csv, true),
            "zone,trips,fare\n\"Midtown, East\",30,12.5\n,5,-1\n\"JFK \"\"Airport\"\"\",,70\nTab\there,12,\n"
        );
        // One cell; a row; rows as sorted.
        assert_eq!(delimited(&r, &all, 2..3, 1..2, Delimited::Tsv, false), "\n");
        assert_eq!(
            delimited(&r, &all, 0..1, 0..3, Delimited::Tsv, false),
            "Midtown, East\t30\t12.5\n"
        );
        let by_trips = sorted_rows(
            &r,
            Some(SortKey {
                column: 1,
                descending: true,
            }),
        );
        assert_eq!(
            delimited(&r, &by_trips, 0..2, 1..2, Delimited::Tsv, true),
            "trips\n30\n12\n"
        );
        // Ranges past the end are cut, not a panic.
        assert_eq!(delimited(&r, &all, 3..9, 2..7, Delimited::Csv, false), "\n");
    }

    #[test]
    fn selections_are_rectangles_whichever_way_they_were_dragged() {
        let s = Selection::cell(5, 2).extend((1, 0));
        assert_eq!(s.row_range(), 1..6);
        assert_eq!(s.column_range(), 0..3);
        assert!(s.contains(3, 1) && !s.contains(6, 1) && !s.contains(3, 3));
        assert_eq!(s.describe(), "5 rows × 3 columns");
        assert_eq!(Selection::cell(0, 0).describe(), "1 cell");
        assert_eq!(Selection::rows(2, 2, 4).describe(), "1 row × 4 columns");
        assert_eq!(Selection::all(10, 1).describe(), "10 rows × 1 column");
        assert_eq!(Selection::all(0, 0).row_range(), 0..1);
    }
}
