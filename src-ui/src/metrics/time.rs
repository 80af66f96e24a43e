//! Time for the latency-over-time chart, without the browser: RFC 3339 timestamps to epoch
//! milliseconds, round time-axis ticks, and their labels in the viewer's UTC offset.

const SECOND: f64 = 1_000.0;
const MINUTE: f64 = 60.0 * SECOND;
const HOUR: f64 = 60.0 * MINUTE;
const DAY: f64 = 24.0 * HOUR;

/// Tick spacings to choose from, smallest first.
const STEPS: [f64; 17] = [
    SECOND,
    5.0 * SECOND,
    15.0 * SECOND,
    30.0 * SECOND,
    MINUTE,
    5.0 * MINUTE,
    15.0 * MINUTE,
    30.0 * MINUTE,
    HOUR,
    3.0 * HOUR,
    6.0 * HOUR,
    12.0 * HOUR,
    DAY,
    2.0 * DAY,
    7.0 * DAY,
    30.0 * DAY,
    365.0 * DAY,
];

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of a day number since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn number(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Milliseconds since the Unix epoch of an RFC 3339 timestamp such as
/// `2025-05-01T12:34:56.789Z` or `2025-05-01 12:34:56+02:00`; `None` when it is not one.
pub fn parse_rfc3339(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.len() < 19 || ![10, 11, 19].iter().all(|i| s.is_char_boundary(*i)) {
        return None;
    }
    let (date, rest) = s.split_at(10);
    let (clock, zone) = rest[1..].split_at(8);
    if !matches!(&rest[..1], "T" | "t" | " ") {
        return None;
    }
    let mut d = date.split('-');
    let (y, mo, da) = (number(d.next()?)?, number(d.next()?)?, number(d.next()?)?);
    let mut c = clock.split(':');
    let (h, mi, se) = (number(c.next()?)?, number(c.next()?)?, number(c.next()?)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let (fraction, offset) = match zone.find(['Z', 'z', '+', '-']) {
        Some(i) => zone.split_at(i),
        None => return None,
    };
    let millis = match fraction.strip_prefix('.') {
        None if fraction.is_empty() => 0.0,
        Some(digits) if number(digits).is_some() => {
            format!("0.{digits}").parse::<f64>().ok()? * SECOND
        }
        _ => return None,
    };
    let offset_minutes = match offset {
        "Z" | "z" => 0,
        _ => {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let (oh, om) = offset[1..].split_once(':')?;
            sign * (number(oh)? * 60 + number(om)?)
        }
    };
    let seconds =
        days_from_civil(y, mo, da) * 86_400 + h * 3_600 + mi * 60 + se - offset_minutes * 60;
    Some(seconds as f64 * SECOND + millis)
}

/// Round tick instants from `lo` to `hi` (epoch ms), about `count` of them, aligned in local
/// time (`offset_minutes` east of UTC), with the step used.
pub fn time_ticks(lo: f64, hi: f64, count: usize, offset_minutes: f64) -> (Vec<f64>, f64) {
    if !(lo.is_finite() && hi.is_finite() && hi >= lo) {
        return (Vec::new(), MINUTE);
    }
    let raw = (hi - lo) / count.max(1) as f64;
    let step = STEPS
        .iter()
        .copied()
        .find(|s| *s >= raw)
        .unwrap_or(365.0 * DAY);
    let shift = if offset_minutes.is_finite() {
        offset_minutes * MINUTE
    } else {
        0.0
    };
    let first = ((lo + shift) / step).ceil() * step - shift;
    let ticks = (0..=count.max(1) * 3)
        .map(|i| first + i as f64 * step)
        .take_while(|t| *t <= hi)
        .collect();
    (ticks, step)
}

/// A tick's label in local time: `HH:MM:SS` for steps under a minute, `HH:MM` within a day,
/// `MM-DD HH:MM` across days and `YYYY-MM-DD` for day-sized steps.
pub fn time_label(at: f64, step: f64, span: f64, offset_minutes: f64) -> String {
    if !at.is_finite() {
        return String::new();
    }
    let shift = if offset_minutes.is_finite() {
        offset_minutes * MINUTE
    } else {
        0.0
    };
    let local = ((at + shift) / SECOND).floor() as i64;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s) = (secs / 3_600, secs / 60 % 60, secs % 60);
    if step >= DAY {
        format!("{y:04}-{m:02}-{d:02}")
    } else if span > DAY {
        format!("{m:02}-{d:02} {h:02}:{mi:02}")
    } else if step < MINUTE {
        format!("{h:02}:{mi:02}:{s:02}")
    } else {
        format!("{h:02}:{mi:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            parse_rfc3339("2000-03-01T00:00:00Z"),
            Some(951_868_800_000.0)
        );
        assert_eq!(
            parse_rfc3339("2025-05-01T12:34:56.789Z"),
            Some(1_746_102_896_789.0)
        );
        assert_eq!(
            parse_rfc3339("2025-05-01T14:34:56.789+02:00"),
            parse_rfc3339("2025-05-01T12:34:56.789Z")
        );
        assert_eq!(
            parse_rfc3339("2025-05-01 07:34:56-05:00"),
            Some(1_746_102_896_000.0)
        );
        let fine = parse_rfc3339("2025-05-01T12:34:56.123456789Z").unwrap();
        assert!((fine - 1_746_102_896_123.457).abs() < 0.01);
        for bad in [
            "",
            "yesterday",
            "2025-05-01",
            "2025-13-01T00:00:00Z",
            "2025-05-01T00:00:00",
            "2025-05-01T00:00:00.Z",
            "2025-05-01T00:00:00+0200",
            "2025-05-01T00:0é:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_round_trips() {
        for days in [-800_000, -1, 0, 59, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn ticks_are_round_in_local_time() {
        let lo = parse_rfc3339("2025-05-01T12:03:10Z").unwrap();
        let hi = parse_rfc3339("2025-05-01T13:01:00Z").unwrap();
        let (ticks, step) = time_ticks(lo, hi, 6, 0.0);
        assert_eq!(step, 15.0 * MINUTE);
        assert_eq!(ticks.len(), 4);
        assert_eq!(time_label(ticks[0], step, hi - lo, 0.0), "12:15");
        assert_eq!(time_label(ticks[0], step, hi - lo, 90.0), "13:45");
        let (ticks, step) = time_ticks(lo, lo + 3.0 * DAY, 6, 0.0);
        assert_eq!(step, 12.0 * HOUR);
        assert_eq!(time_label(ticks[0], step, 3.0 * DAY, 0.0), "05-02 00:00");
        assert_eq!(time_label(lo, SECOND, 10.0 * SECOND, 0.0), "12:03:10");
        assert_eq!(time_label(lo, DAY, 30.0 * DAY, 0.0), "2025-05-01");
    }

    #[test]
    fn degenerate_times() {
        let (ticks, _) = time_ticks(5_000.0, 5_000.0, 6, 0.0);
        assert!(ticks.len() <= 1);
        assert!(time_ticks(f64::NAN, 1.0, 6, 0.0).0.is_empty());
        assert!(time_ticks(10.0, 1.0, 6, 0.0).0.is_empty());
        assert_eq!(time_label(f64::NAN, SECOND, 1.0, 0.0), "");
        assert!(
            time_ticks(0.0, 1e15, 6, f64::NAN)
                .0
                .iter()
                .all(|t| t.is_finite())
        );
    }
}
