//! Which chart fits a result, from its column types alone (plain Rust, tested on the host): a
//! date or timestamp column and a number → a line over time; a category (text, a boolean, or a
//! grouped integer key such as `payment_type` in `GROUP BY 1`) and a number → bars; two numbers
//! → a scatter. The person can switch kinds and pick the x and y columns among those that fit.

use datagata_ipc::data::{Column, ColumnKind, ColumnValues};

/// Bars drawn at most; a result with more rows is charted on its first rows, and says so.
pub const MAX_BARS: usize = 50;

/// The three kinds of chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    Bar,
    Line,
    Scatter,
}

impl ChartKind {
    pub const ALL: [ChartKind; 3] = [ChartKind::Bar, ChartKind::Line, ChartKind::Scatter];

    /// The name in the UI, the element ids and the `data-kind` attribute.
    pub fn key(self) -> &'static str {
        match self {
            ChartKind::Bar => "bar",
            ChartKind::Line => "line",
            ChartKind::Scatter => "scatter",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChartKind::Bar => "Bar",
            ChartKind::Line => "Line",
            ChartKind::Scatter => "Scatter",
        }
    }

    /// Whether a column of `kind` can be this chart's x axis.
    fn takes_x(self, kind: ColumnKind) -> bool {
        use ColumnKind::*;
        match self {
            // Bars label each row: anything that reads as a label.
            ChartKind::Bar => matches!(kind, Text | Boolean | Date | Timestamp | Integer),
            ChartKind::Line | ChartKind::Scatter => is_time(kind) || is_number(kind),
        }
    }
}

pub fn is_number(kind: ColumnKind) -> bool {
    matches!(
        kind,
        ColumnKind::Integer | ColumnKind::Float | ColumnKind::Decimal
    )
}

pub fn is_time(kind: ColumnKind) -> bool {
    matches!(kind, ColumnKind::Date | ColumnKind::Timestamp)
}

/// A category: text or a boolean.
fn is_category(kind: ColumnKind) -> bool {
    matches!(kind, ColumnKind::Text | ColumnKind::Boolean)
}

/// An integer column that reads as a grouped key: at most [`MAX_BARS`] rows, every value
/// present and different (what `SELECT payment_type, count(*) … GROUP BY 1` answers).
fn is_integer_key(column: &Column) -> bool {
    let ColumnValues::Int(values) = &column.values else {
        return false;
    };
    if column.kind != ColumnKind::Integer || values.is_empty() || values.len() > MAX_BARS {
        return false;
    }
    let mut seen: Vec<i64> = Vec::with_capacity(values.len());
    for v in values {
        let Some(v) = v else { return false };
        if seen.contains(v) {
            return false;
        }
        seen.push(*v);
    }
    true
}

/// One chart: its kind and the indexes of its x and y columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub kind: ChartKind,
    pub x: usize,
    pub y: usize,
}

/// The charts a result allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    kinds: Vec<ChartKind>,
    columns: Vec<ColumnKind>,
    /// The chart shown first.
    pub default: Choice,
}

impl Plan {
    /// The charts these columns allow, or `None` when none fits (no number to plot, or nothing
    /// to plot it against).
    pub fn for_columns(columns: &[Column]) -> Option<Plan> {
        let kinds: Vec<ColumnKind> = columns.iter().map(|c| c.kind).collect();
        let first = |want: &dyn Fn(usize) -> bool| (0..kinds.len()).find(|i| want(*i));
        let number_except = |x: usize| first(&|i| i != x && is_number(kinds[i]));
        let with_y = |kind: ChartKind, x: Option<usize>| {
            let x = x?;
            Some(Choice {
                kind,
                x,
                y: number_except(x)?,
            })
        };
        let default = with_y(ChartKind::Line, first(&|i| is_time(kinds[i])))
            .or_else(|| with_y(ChartKind::Bar, first(&|i| is_category(kinds[i]))))
            .or_else(|| {
                let key = columns.first().filter(|c| is_integer_key(c)).map(|_| 0);
                with_y(ChartKind::Bar, key)
            })
            .or_else(|| with_y(ChartKind::Scatter, first(&|i| is_number(kinds[i]))))?;
        let mut plan = Plan {
            kinds: Vec::new(),
            columns: kinds,
            default,
        };
        plan.kinds = ChartKind::ALL
            .into_iter()
            .filter(|k| plan.default_for(*k).is_some())
            .collect();
        Some(plan)
    }

    /// Whether this kind of chart can be drawn at all.
    pub fn allows(&self, kind: ChartKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// The columns that can be `kind`'s x axis (each with at least one y left).
    pub fn x_options(&self, kind: ChartKind) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|x| kind.takes_x(self.columns[*x]) && !self.y_options(*x).is_empty())
            .collect()
    }

    /// The number columns that can be the y axis against column `x`.
    pub fn y_options(&self, x: usize) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|y| *y != x && is_number(self.columns[*y]))
            .collect()
    }

    /// `kind`'s first chart: the first x that fits, the first number beside it.
    fn default_for(&self, kind: ChartKind) -> Option<Choice> {
        if self.default.kind == kind {
            return Some(self.default);
        }
        let x = *self.x_options(kind).first()?;
        Some(Choice {
            kind,
            x,
            y: *self.y_options(x).first()?,
        })
    }

    /// `from` switched to `kind`, keeping its columns where they still fit.
    pub fn switch(&self, from: Choice, kind: ChartKind) -> Option<Choice> {
        if !self.allows(kind) {
            return None;
        }
        let keep = Choice { kind, ..from };
        if self.fits(keep) {
            return Some(keep);
        }
        self.default_for(kind)
    }

    /// `from` with another x column (its y kept when it still fits).
    pub fn with_x(&self, from: Choice, x: usize) -> Option<Choice> {
        let keep = Choice { x, ..from };
        if self.fits(keep) {
            return Some(keep);
        }
        let y = *self.y_options(x).first()?;
        let next = Choice { x, y, ..from };
        self.fits(next).then_some(next)
    }

    /// `from` with another y column.
    pub fn with_y(&self, from: Choice, y: usize) -> Option<Choice> {
        let next = Choice { y, ..from };
        self.fits(next).then_some(next)
    }

    pub fn fits(&self, c: Choice) -> bool {
        c.x < self.columns.len()
            && c.kind.takes_x(self.columns[c.x])
            && self.y_options(c.x).contains(&c.y)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{floats, ints, text};
    use super::*;

    #[test]
    fn a_time_column_and_a_number_make_a_line() {
        let cols = [
            text("borough", ColumnKind::Text, &["Queens", "Bronx"]),
            text("day", ColumnKind::Date, &["2024-01-01", "2024-01-02"]),
            ints("trips", &[10, 12]),
        ];
        let plan = Plan::for_columns(&cols).unwrap();
        assert_eq!(
            plan.default,
            Choice {
                kind: ChartKind::Line,
                x: 1,
                y: 2
            }
        );
        assert!(plan.allows(ChartKind::Bar));
        assert!(
            plan.allows(ChartKind::Scatter),
            "a date can be a scatter's x"
        );
        assert_eq!(plan.x_options(ChartKind::Bar), vec![0, 1]);
    }

    #[test]
    fn a_category_and_a_number_make_bars() {
        let cols = [
            text("Borough", ColumnKind::Text, &["Queens", "Bronx", "EWR"]),
            ints("trips", &[10, 12, 3]),
            floats("avg_fare", &[20.5, 18.0, 70.0]),
        ];
        let plan = Plan::for_columns(&cols).unwrap();
        assert_eq!(
            plan.default,
            Choice {
                kind: ChartKind::Bar,
                x: 0,
                y: 1
            }
        );
        assert_eq!(plan.y_options(0), vec![1, 2]);
        // Two numbers beside the text: a scatter of one against the other fits too.
        assert!(plan.allows(ChartKind::Scatter));
        let scatter = plan.switch(plan.default, ChartKind::Scatter).unwrap();
        assert_eq!((scatter.x, scatter.y), (1, 2));
        // Back to bars keeps the scatter's columns where they fit (an integer x labels bars).
        let bars = plan.switch(scatter, ChartKind::Bar).unwrap();
        assert_eq!((bars.x, bars.y), (1, 2));
    }

    #[test]
    fn a_grouped_integer_key_makes_bars() {
        // SELECT payment_type, count(*) FROM taxi GROUP BY 1
        let cols = [
            ints("payment_type", &[1, 2, 3, 4]),
            ints("count_star()", &[3_000, 1_000, 20, 15]),
        ];
        let plan = Plan::for_columns(&cols).unwrap();
        assert_eq!(plan.default.kind, ChartKind::Bar);
        assert_eq!((plan.default.x, plan.default.y), (0, 1));
        assert!(plan.allows(ChartKind::Line) && plan.allows(ChartKind::Scatter));
        let line = plan.switch(plan.default, ChartKind::Line).unwrap();
        assert_eq!((line.x, line.y), (0, 1));
    }

    #[test]
    fn two_plain_numbers_make_a_scatter() {
        // Repeated values: not a key, so not bars.
        let cols = [
            floats("trip_distance", &[1.0, 2.5, 1.0]),
            floats("fare_amount", &[8.0, 14.0, 9.0]),
        ];
        let plan = Plan::for_columns(&cols).unwrap();
        assert_eq!(plan.default.kind, ChartKind::Scatter);
        assert!(!plan.allows(ChartKind::Bar), "floats are no labels");
        // An integer column with a repeated value, or too many rows, is no key either.
        let repeated = [ints("n", &[1, 1, 2]), ints("m", &[4, 5, 6])];
        assert_eq!(
            Plan::for_columns(&repeated).unwrap().default.kind,
            ChartKind::Scatter
        );
        let many: Vec<i64> = (0..=MAX_BARS as i64).collect();
        let long = [ints("n", &many), ints("m", &many)];
        assert_eq!(
            Plan::for_columns(&long).unwrap().default.kind,
            ChartKind::Scatter
        );
    }

    #[test]
    fn no_number_or_nothing_beside_it_means_no_chart() {
        assert!(Plan::for_columns(&[]).is_none());
        assert!(Plan::for_columns(&[ints("n", &[1, 2])]).is_none());
        let words = [
            text("a", ColumnKind::Text, &["x"]),
            text("b", ColumnKind::Timestamp, &["2024-01-01 00:00:00"]),
        ];
        assert!(Plan::for_columns(&words).is_none());
    }

    #[test]
    fn x_and_y_can_be_chosen_among_those_that_fit() {
        let cols = [
            text("zone", ColumnKind::Text, &["a", "b"]),
            text("borough", ColumnKind::Text, &["q", "r"]),
            ints("trips", &[1, 1]),
            floats("fare", &[2.0, 3.0]),
        ];
        let plan = Plan::for_columns(&cols).unwrap();
        let c = plan.with_x(plan.default, 1).unwrap();
        assert_eq!((c.x, c.y), (1, 2));
        let c = plan.with_y(c, 3).unwrap();
        assert_eq!((c.x, c.y), (1, 3));
        assert!(plan.with_y(c, 0).is_none(), "text is no y");
        // A line needs a number or a time on x: the text columns are not offered.
        assert_eq!(plan.x_options(ChartKind::Line), vec![2, 3]);
        let line = plan.switch(c, ChartKind::Line).unwrap();
        assert_eq!((line.x, line.y), (2, 3));
        // A y equal to the new x moves to the next number.
        let moved = plan
            .with_x(
                Choice {
                    kind: ChartKind::Line,
                    x: 2,
                    y: 3,
                },
                3,
            )
            .unwrap();
        assert_eq!((moved.x, moved.y), (3, 2));
    }
}
