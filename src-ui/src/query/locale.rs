//! Cells as the person's locale writes them: numbers with its digit grouping and decimal mark
//! (`Intl.NumberFormat`, grouping from five digits on so years and ids stay plain), dates and
//! timestamps in its date order (`Intl.DateTimeFormat`, read as wall-clock time, never shifted
//! by a time zone). The raw value stays in each cell's title and is what a copy takes.

use datagata_ipc::data::{Column, ColumnKind, ColumnValues};
use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// `YYYY-MM-DD[ HH:MM:SS[.fff…]]` as (year, month 1–12, day, hour, minute, second, millisecond);
/// `None` for anything else (a time zone offset, infinity, BC dates), which is then shown as is.
pub fn parse_wall_clock(text: &str) -> Option<(i32, u32, u32, u32, u32, u32, u32)> {
    let (date, time) = match text.split_once(' ') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut d = date.split('-');
    let year: i32 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) || year < 1 {
        return None;
    }
    let Some(time) = time else {
        return Some((year, month, day, 0, 0, 0, 0));
    };
    let (hms, fraction) = match time.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (time, None),
    };
    let mut t = hms.split(':');
    let hour: u32 = t.next()?.parse().ok()?;
    let minute: u32 = t.next()?.parse().ok()?;
    let second: u32 = t.next()?.parse().ok()?;
    if t.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let millis = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            let padded = format!("{f:0<3}");
            padded[..3].parse().ok()?
        }
        Some(_) => return None,
    };
    Some((year, month, day, hour, minute, second, millis))
}

/// The page's formatters, made once per grid (making one per cell would be slow); one that
/// cannot be made leaves its cells as DuckDB wrote them.
pub struct CellFormat {
    integer: Option<Function>,
    decimal: Option<Function>,
    date: Option<Function>,
    timestamp: Option<Function>,
}

fn options(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

fn locales() -> Array {
    web_sys::window()
        .map(|w| w.navigator().languages())
        .unwrap_or_default()
}

/// `new Intl[name](locales, options).format`, with the page's languages, else the default
/// locale (a language tag Intl refuses, such as `C` under `LANG=C`, throws a RangeError).
fn formatter(name: &str, options: &Object) -> Option<Function> {
    let intl = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).ok()?;
    let class: Function = Reflect::get(&intl, &JsValue::from_str(name))
        .ok()?
        .dyn_into()
        .ok()?;
    [locales(), Array::new()].iter().find_map(|languages| {
        let made = Reflect::construct(&class, &Array::of2(languages, options)).ok()?;
        Reflect::get(&made, &JsValue::from_str("format"))
            .ok()?
            .dyn_into()
            .ok()
    })
}

impl CellFormat {
    pub fn new() -> Self {
        let grouping = ("useGrouping", JsValue::from_str("min2"));
        let utc = ("timeZone", JsValue::from_str("UTC"));
        Self {
            integer: formatter(
                "NumberFormat",
                &options(&[grouping.clone(), ("maximumFractionDigits", 0.into())]),
            ),
            decimal: formatter(
                "NumberFormat",
                &options(&[grouping, ("maximumFractionDigits", 4.into())]),
            ),
            date: formatter(
                "DateTimeFormat",
                &options(&[("dateStyle", "medium".into()), utc.clone()]),
            ),
            timestamp: formatter(
                "DateTimeFormat",
                &options(&[
                    ("dateStyle", "medium".into()),
                    ("timeStyle", "medium".into()),
                    utc,
                ]),
            ),
        }
    }

    fn call(f: &Option<Function>, value: &JsValue) -> Option<String> {
        f.as_ref()?.call1(&JsValue::NULL, value).ok()?.as_string()
    }

    /// The cell at `row` of `column` as the locale writes it.
    pub fn cell(&self, column: &Column, row: usize) -> String {
        let shown = || column.values.display(row);
        match (&column.values, column.kind) {
            (ColumnValues::Int(v), _) => match v.get(row) {
                // Past 2^53 a JS number is not exact: shown as DuckDB wrote it.
                Some(Some(x)) if x.unsigned_abs() < (1 << 53) => {
                    Self::call(&self.integer, &JsValue::from_f64(*x as f64)).unwrap_or_else(shown)
                }
                _ => shown(),
            },
            (ColumnValues::Float(v), kind) => match v.get(row) {
                Some(Some(x)) if x.is_finite() => {
                    let f = if kind == ColumnKind::Integer {
                        &self.integer
                    } else {
                        &self.decimal
                    };
                    Self::call(f, &JsValue::from_f64(*x)).unwrap_or_else(shown)
                }
                _ => shown(),
            },
            (ColumnValues::Text(v), kind @ (ColumnKind::Date | ColumnKind::Timestamp)) => {
                let Some(Some(text)) = v.get(row) else {
                    return shown();
                };
                let Some((y, mo, d, h, mi, s, ms)) = parse_wall_clock(text) else {
                    return shown();
                };
                let at = js_sys::Date::new_0();
                at.set_utc_full_year_with_month_date(y as u32, mo as i32 - 1, d as i32);
                at.set_utc_hours(h);
                at.set_utc_minutes(mi);
                at.set_utc_seconds(s);
                at.set_utc_milliseconds(ms);
                let f = if kind == ColumnKind::Date {
                    &self.date
                } else {
                    &self.timestamp
                };
                Self::call(f, &at.into()).unwrap_or_else(shown)
            }
            _ => shown(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_times_are_read_and_anything_else_is_left_alone() {
        assert_eq!(
            parse_wall_clock("2024-01-31 08:05:09"),
            Some((2024, 1, 31, 8, 5, 9, 0))
        );
        assert_eq!(
            parse_wall_clock("2024-01-31 08:05:09.5"),
            Some((2024, 1, 31, 8, 5, 9, 500))
        );
        assert_eq!(
            parse_wall_clock("2024-01-31 08:05:09.123456"),
            Some((2024, 1, 31, 8, 5, 9, 123))
        );
        assert_eq!(
            parse_wall_clock("2024-02-29"),
            Some((2024, 2, 29, 0, 0, 0, 0))
        );
        for other in [
            "2024-01-31 08:05:09+00:00",
            "infinity",
            "2024-13-01",
            "2024-01-01 25:00:00",
            "0000-01-01",
            "2024-01-01 08:00:00.",
            "",
        ] {
            assert_eq!(parse_wall_clock(other), None, "{other}");
        }
    }
}
