//! The Ask view's numbers in words: download sizes, speeds and time left (bytes in the app's one
//! unit system, [`datagata_ipc::data::bytes`]), the model-loading progress line,
//! milliseconds, token counts, cost and the live tokens-per-second rate. Pure, so unit-tested.

use datagata_ipc::data::thousands;

use crate::bridge::LoadProgress;

fn known(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite() && *v >= 0.0)
}

/// Bytes in the app's one unit system (decimal SI): "98.4 MB", "1.20 GB".
pub fn bytes(n: f64) -> String {
    datagata_ipc::data::bytes(if n.is_finite() && n > 0.0 {
        n as u64
    } else {
        0
    })
}

/// "8.5 MB/s"
pub fn speed(bytes_per_second: f64) -> String {
    format!("{}/s", bytes(bytes_per_second))
}

/// Time left: "45 s left", "3 min left", "1 h 5 min left".
pub fn eta(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return String::new();
    }
    let s = seconds.round() as u64;
    match s {
        0..=59 => format!("{s} s left"),
        60..=3599 => format!("{} min left", s.div_ceil(60)),
        _ => format!("{} h {} min left", s / 3600, (s % 3600) / 60),
    }
}

/// A progress value made safe for `<progress max="1">`: 0..1, 0 when not a number.
pub fn fraction(progress: f64) -> f64 {
    if progress.is_finite() {
        progress.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// 0..1 as a whole percentage, clamped: "42%".
pub fn percent(progress: f64) -> String {
    format!("{}%", (fraction(progress) * 100.0).floor() as u32)
}

/// "42% · 512 MB of 1.20 GB · 8.5 MB/s · 1 min left", leaving out what was not reported.
pub fn transfer_text(
    progress: f64,
    done: Option<f64>,
    total: Option<f64>,
    rate: Option<f64>,
    eta_seconds: Option<f64>,
) -> String {
    let mut parts = vec![percent(progress)];
    match (known(done), known(total)) {
        (Some(done), Some(total)) if total > 0.0 => {
            parts.push(format!("{} of {}", bytes(done), bytes(total)))
        }
        (Some(done), _) => parts.push(bytes(done)),
        (None, Some(total)) if total > 0.0 => parts.push(format!("{} in all", bytes(total))),
        _ => {}
    }
    if let Some(rate) = known(rate).filter(|r| *r > 0.0) {
        parts.push(speed(rate));
        let left = known(eta_seconds).or_else(|| {
            let (done, total) = (known(done)?, known(total)?);
            Some((total - done).max(0.0) / rate)
        });
        if let Some(left) = left {
            parts.push(eta(left));
        }
    }
    parts.join(" · ")
}

/// WebLLM's load progress as [`transfer_text`].
pub fn progress_text(p: &LoadProgress) -> String {
    transfer_text(
        p.progress,
        p.loaded_bytes,
        p.total_bytes,
        p.bytes_per_second,
        None,
    )
}

/// WebLLM's progress words without its own numbers (they are MiB, shown as "MB"): the phase
/// only, "Fetching param cache[3/50]" or "Loading model from cache[3/50]".
pub fn phase(text: &str) -> String {
    text.split(':')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Milliseconds as people read them: "3.4 ms", "35 ms", "1,204 ms".
pub fn millis(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        return "—".into();
    }
    format!("{} ms", crate::metrics::format::ms(ms))
}

/// [`millis`], or "—" when not measured.
pub fn maybe_millis(ms: Option<f64>) -> String {
    ms.map_or_else(|| "—".into(), millis)
}

/// "812 in / 64 out", with "?" for a side not counted, or "—" when neither was.
pub fn tokens(input: Option<u64>, output: Option<u64>) -> String {
    if input.is_none() && output.is_none() {
        return "—".into();
    }
    let side = |n: Option<u64>| n.map_or_else(|| "?".into(), thousands);
    format!("{} in / {} out", side(input), side(output))
}

/// Dollars: "$0", "$0.000412", "$0.0123", "$1.25".
pub fn cost(usd: f64) -> String {
    if !usd.is_finite() || usd <= 0.0 {
        return "$0".into();
    }
    if usd >= 0.01 {
        format!("${usd:.2}")
    } else {
        // three significant digits
        let digits = (-usd.log10()).floor() as usize + 3;
        let text = format!("{usd:.digits$}");
        format!("${}", text.trim_end_matches('0'))
    }
}

/// "23.4 tokens/s"
pub fn rate(tokens_per_second: f64) -> String {
    format!("{tokens_per_second:.1} tokens/s")
}

/// Tokens per second so far, from how many pieces arrived and when the first one did; `None`
/// until there are two pieces some time apart.
pub fn live_rate(pieces: u32, first_ms: f64, now_ms: f64) -> Option<f64> {
    let elapsed = now_ms - first_ms;
    (pieces > 1 && elapsed > 0.0).then(|| f64::from(pieces - 1) / (elapsed / 1000.0))
}

/// A JS token count as a whole number.
pub fn count(v: Option<f64>) -> Option<u64> {
    known(v).map(|v| v.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(p: f64, loaded: Option<f64>, total: Option<f64>, bps: Option<f64>) -> LoadProgress {
        LoadProgress {
            progress: p,
            text: String::new(),
            loaded_bytes: loaded,
            total_bytes: total,
            bytes_per_second: bps,
        }
    }

    #[test]
    fn sizes_and_speeds() {
        assert_eq!(bytes(512_300_000.0), "512 MB");
        assert_eq!(bytes(12_340_000.0), "12.3 MB");
        assert_eq!(bytes(1_204_000_000.0), "1.20 GB");
        assert_eq!(bytes(f64::NAN), "0 B");
        assert_eq!(speed(8_500_000.0), "8.5 MB/s");
        assert_eq!(eta(44.6), "45 s left");
        assert_eq!(eta(61.0), "2 min left");
        assert_eq!(eta(3_900.0), "1 h 5 min left");
        assert_eq!(
            phase("Fetching param cache[3/50]: 120MB fetched. 5% completed"),
            "Fetching param cache[3/50]"
        );
        assert_eq!(percent(0.426), "42%");
        assert_eq!(percent(1.7), "100%");
        assert_eq!(percent(f64::NAN), "0%");
    }

    #[test]
    fn progress_line_leaves_out_what_is_unknown() {
        let full = progress(0.5, Some(600e6), Some(1_200e6), Some(8.5e6));
        assert_eq!(
            progress_text(&full),
            "50% · 600 MB of 1.20 GB · 8.5 MB/s · 2 min left"
        );
        assert_eq!(
            transfer_text(0.25, Some(25e6), Some(100e6), Some(5e6), Some(14.6)),
            "25% · 25.0 MB of 100 MB · 5.0 MB/s · 15 s left"
        );
        assert_eq!(progress_text(&progress(0.1, None, None, None)), "10%");
        assert_eq!(
            progress_text(&progress(0.2, Some(3e6), None, Some(0.0))),
            "20% · 3.0 MB"
        );
        assert_eq!(
            progress_text(&progress(0.0, None, Some(900e6), None)),
            "0% · 900 MB in all"
        );
    }

    #[test]
    fn answer_numbers() {
        assert_eq!(millis(3.44), "3.4 ms");
        assert_eq!(millis(1204.4), "1,204 ms");
        assert_eq!(maybe_millis(None), "—");
        assert_eq!(tokens(Some(812), Some(64)), "812 in / 64 out");
        assert_eq!(tokens(None, Some(64)), "? in / 64 out");
        assert_eq!(tokens(None, None), "—");
        assert_eq!(cost(0.0), "$0");
        assert_eq!(cost(1.25), "$1.25");
        assert_eq!(cost(0.000412), "$0.000412");
        assert_eq!(cost(0.005), "$0.005");
        assert_eq!(rate(23.44), "23.4 tokens/s");
        assert_eq!(count(Some(63.9)), Some(64));
        assert_eq!(count(Some(-1.0)), None);
    }

    #[test]
    fn live_rate_needs_two_pieces_apart() {
        assert_eq!(live_rate(1, 1000.0, 1500.0), None);
        assert_eq!(live_rate(5, 1000.0, 1000.0), None);
        assert_eq!(live_rate(11, 1000.0, 1500.0), Some(20.0));
    }
}
