//! What a chart draws, taken from a result for one [`Choice`]: the points (bars in the result's
//! order, at most [`MAX_BARS`]; lines sorted by x; at most [`MAX_POINTS`] points, evenly
//! thinned), the rows left out and why, and the chart's text alternative ([`Series::summary`]).
//! Dates and timestamps are read as wall-clock time (epoch milliseconds as if UTC), never shifted
//! by a time zone, as the grid shows them.

use datagata_ipc::data::{Column, ColumnKind, ColumnValues, format_float, thousands};
use serde::Serialize;

use super::pick::{ChartKind, Choice, MAX_BARS, is_time};
use crate::metrics::time::{days_from_civil, time_label, time_ticks};
use crate::query::parse_wall_clock;

/// Points drawn at most on a line or scatter chart.
pub const MAX_POINTS: usize = 5_000;
const HALF_DAY: f64 = 43_200_000.0;

/// What the x axis holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum XAxis {
    /// One label per bar (x is the bar's index).
    Labels,
    Numbers,
    /// Epoch milliseconds of a wall-clock date.
    Dates,
    /// Epoch milliseconds of a wall-clock timestamp.
    Times,
}

/// How the drawn points were limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    All,
    /// Only the first [`MAX_BARS`] rows as bars.
    First(usize),
    /// Every n-th point.
    Every(usize),
}

/// The data of one chart, ready to draw (by Chart.js on screen, [`super::svg`] for a file).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    #[serde(serialize_with = "kind_key")]
    pub kind: ChartKind,
    pub x_name: String,
    pub y_name: String,
    /// "trips by payment_type", "fare over day", "fare against distance": a saved file's title.
    pub title: String,
    pub x_axis: XAxis,
    /// Bars' labels, one per point (empty for other kinds).
    pub labels: Vec<String>,
    /// (x, y); for bars x is the bar's index.
    pub points: Vec<(f64, f64)>,
    /// A time axis's extent and round ticks with their labels (days, hours …), the same on
    /// screen and in the SVG; empty for other axes.
    pub x_range: Option<(f64, f64)>,
    pub x_ticks: Vec<(f64, String)>,
    /// Rows in the result's grid.
    #[serde(skip)]
    pub rows: usize,
    /// Rows without a value to draw (NULL, or not a number).
    #[serde(skip)]
    pub skipped: usize,
    #[serde(skip)]
    pub limit: Limit,
}

fn kind_key<S: serde::Serializer>(kind: &ChartKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.key())
}

/// The value of a number column in `row`, if any.
fn number(column: &Column, row: usize) -> Option<f64> {
    let v = match &column.values {
        ColumnValues::Int(v) => v.get(row).copied().flatten().map(|x| x as f64),
        ColumnValues::Float(v) => v.get(row).copied().flatten(),
        ColumnValues::Text(v) => v.get(row).and_then(|s| s.as_deref()?.parse().ok()),
        ColumnValues::Bool(_) => None,
    };
    v.filter(|x| x.is_finite())
}

/// A wall-clock date or timestamp as epoch milliseconds (read as UTC).
pub fn wall_clock_millis(text: &str) -> Option<f64> {
    let (y, mo, d, h, mi, s, ms) = parse_wall_clock(text)?;
    let days = days_from_civil(i64::from(y), i64::from(mo), i64::from(d));
    let seconds = days * 86_400 + i64::from(h * 3_600 + mi * 60 + s);
    Some(seconds as f64 * 1_000.0 + f64::from(ms))
}

/// The x value of `row` on a line or scatter chart.
fn x_value(column: &Column, row: usize) -> Option<f64> {
    if is_time(column.kind) {
        match &column.values {
            ColumnValues::Text(v) => wall_clock_millis(v.get(row)?.as_deref()?),
            _ => None,
        }
    } else {
        number(column, row)
    }
}

impl Series {
    /// The chart `choice` of `columns` (whose values all have `rows` entries).
    pub fn build(columns: &[Column], choice: Choice) -> Option<Series> {
        let (xc, yc) = (columns.get(choice.x)?, columns.get(choice.y)?);
        let rows = columns.iter().map(|c| c.values.len()).max().unwrap_or(0);
        let between = match choice.kind {
            ChartKind::Bar => "by",
            ChartKind::Line => "over",
            ChartKind::Scatter => "against",
        };
        let mut series = Series {
            kind: choice.kind,
            x_name: xc.name.clone(),
            y_name: yc.name.clone(),
            title: format!("{} {between} {}", yc.name, xc.name),
            x_axis: match xc.kind {
                _ if choice.kind == ChartKind::Bar => XAxis::Labels,
                ColumnKind::Date => XAxis::Dates,
                ColumnKind::Timestamp => XAxis::Times,
                _ => XAxis::Numbers,
            },
            labels: Vec::new(),
            points: Vec::new(),
            x_range: None,
            x_ticks: Vec::new(),
            rows,
            skipped: 0,
            limit: Limit::All,
        };
        if choice.kind == ChartKind::Bar {
            let shown = rows.min(MAX_BARS);
            for row in 0..shown {
                match number(yc, row) {
                    Some(y) => {
                        series.points.push((series.labels.len() as f64, y));
                        series.labels.push(xc.values.display(row));
                    }
                    None => series.skipped += 1,
                }
            }
            if rows > shown {
                series.limit = Limit::First(shown);
            }
            return Some(series);
        }
        let mut points: Vec<(f64, f64)> = (0..rows)
            .filter_map(|row| Some((x_value(xc, row)?, number(yc, row)?)))
            .collect();
        series.skipped = rows - points.len();
        if choice.kind == ChartKind::Line {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        if points.len() > MAX_POINTS {
            let every = points.len().div_ceil(MAX_POINTS);
            points = points.into_iter().step_by(every).collect();
            series.limit = Limit::Every(every);
        }
        series.points = points;
        if matches!(series.x_axis, XAxis::Dates | XAxis::Times) {
            series.time_axis();
        }
        Some(series)
    }

    /// Fills [`Series::x_range`] and [`Series::x_ticks`] for a time axis: the points' extent
    /// (half a day either side of a single instant) and about six round ticks inside it.
    fn time_axis(&mut self) {
        let xs = || self.points.iter().map(|p| p.0);
        let (lo, hi) = (
            xs().fold(f64::INFINITY, f64::min),
            xs().fold(f64::NEG_INFINITY, f64::max),
        );
        if !(lo.is_finite() && hi.is_finite()) {
            return;
        }
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else {
            (lo - HALF_DAY, hi + HALF_DAY)
        };
        // Dates tick at whole days at least.
        let count = if self.x_axis == XAxis::Dates {
            (((hi - lo) / (2.0 * HALF_DAY)).floor() as usize).clamp(1, 6)
        } else {
            6
        };
        let (ticks, step) = time_ticks(lo, hi, count, 0.0);
        self.x_range = Some((lo, hi));
        self.x_ticks = ticks
            .into_iter()
            .map(|t| (t, time_label(t, step, hi - lo, 0.0)))
            .collect();
    }

    /// An x value as the axis and the summary write it.
    pub fn x_text(&self, x: f64) -> String {
        match self.x_axis {
            XAxis::Labels => {
                let i = x as usize;
                self.labels.get(i).cloned().unwrap_or_default()
            }
            XAxis::Numbers => number_text(x),
            XAxis::Dates | XAxis::Times => date_text(x, self.x_axis == XAxis::Times),
        }
    }

    /// The chart in words, for screen readers (the canvas's label, the figure's caption) and the
    /// SVG's `<desc>`.
    pub fn summary(&self) -> String {
        let n = self.points.len();
        let plural = |n: usize, one: &str, many: &str| {
            format!(
                "{} {}",
                thousands(n as u64),
                if n == 1 { one } else { many }
            )
        };
        let ys = || self.points.iter().map(|p| p.1);
        let y_lo = ys().fold(f64::INFINITY, f64::min);
        let y_hi = ys().fold(f64::NEG_INFINITY, f64::max);
        let mut text = match self.kind {
            ChartKind::Bar => {
                let mut t = format!(
                    "Bar chart of {} by {}: {}.",
                    self.y_name,
                    self.x_name,
                    plural(n, "bar", "bars")
                );
                let at = |want: f64| self.points.iter().find(|p| p.1 == want);
                if let (Some(hi), Some(lo)) = (at(y_hi), at(y_lo)) {
                    t.push_str(&format!(
                        " Highest: {} ({}); lowest: {} ({}).",
                        self.x_text(hi.0),
                        number_text(hi.1),
                        self.x_text(lo.0),
                        number_text(lo.1)
                    ));
                }
                t
            }
            ChartKind::Line | ChartKind::Scatter => {
                let what = if self.kind == ChartKind::Line {
                    format!("Line chart of {} over {}", self.y_name, self.x_name)
                } else {
                    format!("Scatter chart of {} against {}", self.y_name, self.x_name)
                };
                let mut t = format!("{what}: {}.", plural(n, "point", "points"));
                if n > 0 {
                    let xs = || self.points.iter().map(|p| p.0);
                    let x_lo = xs().fold(f64::INFINITY, f64::min);
                    let x_hi = xs().fold(f64::NEG_INFINITY, f64::max);
                    t.push_str(&format!(
                        " {} from {} to {}; {} from {} to {}.",
                        self.x_name,
                        self.x_text(x_lo),
                        self.x_text(x_hi),
                        self.y_name,
                        number_text(y_lo),
                        number_text(y_hi)
                    ));
                }
                t
            }
        };
        match self.limit {
            Limit::All => {}
            Limit::First(k) => text.push_str(&format!(
                " Only the first {} of {} rows are drawn.",
                thousands(k as u64),
                thousands(self.rows as u64)
            )),
            Limit::Every(k) => text.push_str(&format!(" Every {} point is drawn.", ordinal(k))),
        }
        if self.skipped > 0 {
            text.push_str(&format!(
                " {} without a value {} left out.",
                plural(self.skipped, "row", "rows"),
                if self.skipped == 1 { "is" } else { "are" }
            ));
        }
        text
    }
}

/// 2 → "2nd", 11 → "11th", 23 → "23rd".
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{}{suffix}", thousands(n as u64))
}

/// A number for an axis or a summary: whole numbers grouped (12,345), others as the grid's raw
/// text (at most four decimals).
pub fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let s = thousands(v.abs() as u64);
        if v < 0.0 { format!("-{s}") } else { s }
    } else {
        format_float(v)
    }
}

/// Epoch milliseconds of a wall-clock value: `2024-01-15`, or `2024-01-15 08:30` with a time.
pub fn date_text(ms: f64, with_time: bool) -> String {
    if !ms.is_finite() {
        return String::new();
    }
    let seconds = (ms / 1_000.0).floor() as i64;
    let (days, secs) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (y, m, d) = crate::metrics::time::civil_from_days(days);
    if with_time {
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}",
            secs / 3_600,
            secs / 60 % 60
        )
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::column;
    use super::*;

    #[test]
    fn bars_keep_the_result_order_and_say_what_they_show() {
        let cols = [
            column(
                "payment_type",
                ColumnKind::Integer,
                ColumnValues::Int(vec![Some(1), Some(2), Some(3), None]),
            ),
            column(
                "trips",
                ColumnKind::Integer,
                ColumnValues::Int(vec![Some(30_000), Some(12_000), None, Some(7)]),
            ),
        ];
        let choice = Choice {
            kind: ChartKind::Bar,
            x: 0,
            y: 1,
        };
        let s = Series::build(&cols, choice).unwrap();
        assert_eq!(s.labels, ["1", "2", "NULL"]);
        assert_eq!(s.title, "trips by payment_type");
        assert_eq!(s.points, [(0.0, 30_000.0), (1.0, 12_000.0), (2.0, 7.0)]);
        assert_eq!(s.skipped, 1);
        assert_eq!(
            s.summary(),
            "Bar chart of trips by payment_type: 3 bars. Highest: 1 (30,000); lowest: NULL (7). \
             1 row without a value is left out."
        );
    }

    #[test]
    fn many_rows_are_limited_and_the_summary_says_so() {
        let n = 12_000;
        let cols = [
            column(
                "x",
                ColumnKind::Float,
                ColumnValues::Float((0..n).rev().map(|i| Some(i as f64)).collect()),
            ),
            column(
                "y",
                ColumnKind::Float,
                ColumnValues::Float((0..n).map(|i| Some(i as f64 / 2.0)).collect()),
            ),
        ];
        let line = Series::build(
            &cols,
            Choice {
                kind: ChartKind::Line,
                x: 0,
                y: 1,
            },
        )
        .unwrap();
        assert_eq!(line.limit, Limit::Every(3));
        assert_eq!(line.points.len(), 4_000);
        assert!(
            line.points.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted by x"
        );
        assert!(
            line.summary().ends_with("Every 3rd point is drawn."),
            "{}",
            line.summary()
        );
        let bars = Series::build(
            &cols,
            Choice {
                kind: ChartKind::Bar,
                x: 0,
                y: 1,
            },
        );
        // (floats are not offered as bar labels by the plan, but the series still limits them)
        let bars = bars.unwrap();
        assert_eq!(bars.points.len(), MAX_BARS);
        assert!(
            bars.summary()
                .contains("Only the first 50 of 12,000 rows are drawn.")
        );
    }

    #[test]
    fn dates_are_wall_clock_milliseconds() {
        assert_eq!(wall_clock_millis("1970-01-02"), Some(86_400_000.0));
        assert_eq!(
            wall_clock_millis("2024-01-15 08:30:00.250"),
            Some(1_705_307_400_250.0)
        );
        assert_eq!(wall_clock_millis("not a date"), None);
        assert_eq!(date_text(1_705_307_400_250.0, true), "2024-01-15 08:30");
        assert_eq!(date_text(1_705_307_400_250.0, false), "2024-01-15");
        let cols = [
            column(
                "day",
                ColumnKind::Date,
                ColumnValues::Text(vec![
                    Some("2024-01-03".into()),
                    Some("2024-01-01".into()),
                    None,
                ]),
            ),
            column(
                "fare",
                ColumnKind::Decimal,
                ColumnValues::Float(vec![Some(12.5), Some(10.25), Some(3.0)]),
            ),
        ];
        let s = Series::build(
            &cols,
            Choice {
                kind: ChartKind::Line,
                x: 0,
                y: 1,
            },
        )
        .unwrap();
        assert_eq!(s.x_axis, XAxis::Dates);
        assert_eq!(s.points.len(), 2);
        // Day ticks inside the data's extent, labelled as dates.
        assert_eq!(s.x_range, Some((1_704_067_200_000.0, 1_704_240_000_000.0)));
        let labels: Vec<&str> = s.x_ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["2024-01-01", "2024-01-02", "2024-01-03"]);
        assert_eq!(
            s.summary(),
            "Line chart of fare over day: 2 points. day from 2024-01-01 to 2024-01-03; fare from \
             10.25 to 12.5. 1 row without a value is left out."
        );
    }

    #[test]
    fn words_for_numbers() {
        assert_eq!(number_text(1_234_567.0), "1,234,567");
        assert_eq!(number_text(-42.0), "-42");
        assert_eq!(number_text(0.333333), "0.3333");
        assert_eq!(ordinal(1), "1st");
        assert_eq!(ordinal(12), "12th");
        assert_eq!(ordinal(22), "22nd");
    }
}
