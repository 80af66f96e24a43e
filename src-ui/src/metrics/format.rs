//! How the Metrics view writes numbers: milliseconds, dollars, percentages, axis ticks and 95%
//! intervals. Anything missing or not finite reads "—", never "NaN".

use datagata_ipc::data::thousands;

pub const DASH: &str = "—";

/// A number with thousands separators and `decimals` places: 1234.5 → "1,234.5".
fn grouped(v: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, v.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if v < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        "−"
    } else {
        ""
    };
    let whole = whole
        .parse::<u64>()
        .map(thousands)
        .unwrap_or_else(|_| whole.to_string());
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// Milliseconds without the unit: "0.4", "35", "1,204".
pub fn ms(v: f64) -> String {
    if !v.is_finite() {
        DASH.into()
    } else if v.abs() < 10.0 {
        grouped(v, 1)
    } else {
        grouped(v, 0)
    }
}

pub fn opt_ms(v: Option<f64>) -> String {
    v.map_or_else(|| DASH.into(), ms)
}

/// Dollars: two decimals from $1 up, four below ("$0.0021"), "$0" for nothing.
pub fn usd(v: f64) -> String {
    if !v.is_finite() {
        DASH.into()
    } else if v == 0.0 {
        "$0".into()
    } else if v.abs() >= 1.0 {
        format!("${}", grouped(v, 2))
    } else {
        format!("${}", grouped(v, 4))
    }
}

pub fn opt_usd(v: Option<f64>) -> String {
    v.map_or_else(|| DASH.into(), usd)
}

/// A value already in percent: "96.7%".
pub fn percent(v: f64) -> String {
    if v.is_finite() {
        format!("{}%", grouped(v, 1))
    } else {
        DASH.into()
    }
}

/// A fraction as a percentage: 0.967 → "96.7%".
pub fn fraction(v: f64) -> String {
    percent(v * 100.0)
}

/// A difference of two fractions in percentage points: -0.042 → "−4.2 pp".
pub fn points(v: f64) -> String {
    if v.is_finite() {
        format!("{} pp", grouped(v * 100.0, 1))
    } else {
        DASH.into()
    }
}

/// An axis tick in ms, compact: "0.5", "20", "1,000", "10k", "1.5M".
pub fn tick(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", trim(format!("{:.1}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 1.0 || a == 0.0 {
        trim(grouped(v, 1))
    } else {
        trim(format!("{v:.3}"))
    }
}

/// "1,204 ms (95% CI 1,100–1,310)" style: a value with its interval, written by `f`.
pub fn with_ci(value: String, ci: Option<(f64, f64)>, f: impl Fn(f64) -> String) -> String {
    match ci {
        Some((lo, hi)) if lo.is_finite() && hi.is_finite() => {
            format!("{value} (95% CI {} to {})", f(lo), f(hi))
        }
        _ => value,
    }
}

/// A signed value: "+12.5" / "−3".
pub fn signed(v: f64, f: impl Fn(f64) -> String) -> String {
    if v.is_finite() && v > 0.0 {
        format!("+{}", f(v))
    } else {
        f(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds() {
        assert_eq!(ms(0.42), "0.4");
        assert_eq!(ms(35.4), "35");
        assert_eq!(ms(1_204.4), "1,204");
        assert_eq!(ms(-812.0), "−812");
        assert_eq!(ms(-0.01), "0.0");
        assert_eq!(ms(f64::NAN), DASH);
        assert_eq!(opt_ms(None), DASH);
    }

    #[test]
    fn dollars_and_percent() {
        assert_eq!(usd(0.0), "$0");
        assert_eq!(usd(0.00213), "$0.0021");
        assert_eq!(usd(12.3456), "$12.35");
        assert_eq!(usd(1_234.5), "$1,234.50");
        assert_eq!(usd(f64::INFINITY), DASH);
        assert_eq!(percent(96.66), "96.7%");
        assert_eq!(fraction(0.5), "50.0%");
        assert_eq!(fraction(f64::NAN), DASH);
        assert_eq!(points(-0.042), "−4.2 pp");
        assert_eq!(points(f64::NAN), DASH);
    }

    #[test]
    fn ticks_are_compact() {
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(20.0), "20");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(1_000.0), "1,000");
        assert_eq!(tick(10_000.0), "10k");
        assert_eq!(tick(15_000.0), "15k");
        assert_eq!(tick(1_500_000.0), "1.5M");
        assert_eq!(tick(f64::NAN), "");
    }

    #[test]
    fn intervals_and_signs() {
        assert_eq!(
            with_ci("5 ms".into(), Some((4.0, 6.0)), ms),
            "5 ms (95% CI 4.0 to 6.0)"
        );
        assert_eq!(with_ci("5".into(), Some((f64::NAN, 6.0)), ms), "5");
        assert_eq!(with_ci("5".into(), None, ms), "5");
        assert_eq!(signed(12.0, ms), "+12");
        assert_eq!(signed(-12.0, ms), "−12");
        assert_eq!(signed(0.0, ms), "0.0");
    }
}
