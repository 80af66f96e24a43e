//! The Metrics charts' layout math, free of Yew and the browser so the host can test it: linear
//! and log10 scales that only ever return finite pixels, "nice" axis ticks, and the shared
//! histogram bins (linear with round edges, or log-spaced when the latencies span more than two
//! decades).

/// When the largest value is more than this many times the smallest (positive) one, a log scale
/// reads better than a linear one.
const LOG_RATIO: f64 = 100.0;

/// Maps a data interval onto a pixel interval, linearly or in log10. Every output is finite:
/// degenerate domains are widened, and values outside the domain (or not finite) are clamped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    lo: f64,
    hi: f64,
    r0: f64,
    r1: f64,
    log: bool,
}

fn finite_or(v: f64, fallback: f64) -> f64 {
    if v.is_finite() { v } else { fallback }
}

/// `(lo, hi)` made finite, ordered and of non-zero width.
fn widen(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = (finite_or(lo, 0.0), finite_or(hi, 1.0));
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if hi - lo > f64::EPSILON * hi.abs().max(1.0) {
        return (lo, hi);
    }
    let half = (lo.abs() * 0.1).max(0.5);
    (lo - half, hi + half)
}

impl Scale {
    pub fn linear(lo: f64, hi: f64, r0: f64, r1: f64) -> Scale {
        let (lo, hi) = widen(lo, hi);
        Scale {
            lo,
            hi,
            r0: finite_or(r0, 0.0),
            r1: finite_or(r1, 0.0),
            log: false,
        }
    }

    /// A log10 scale; non-positive bounds fall back to a small positive value.
    pub fn log(lo: f64, hi: f64, r0: f64, r1: f64) -> Scale {
        let lo = if lo.is_finite() && lo > 0.0 { lo } else { 1e-3 };
        let hi = if hi.is_finite() && hi > lo {
            hi
        } else {
            lo * 10.0
        };
        Scale {
            lo,
            hi,
            r0: finite_or(r0, 0.0),
            r1: finite_or(r1, 0.0),
            log: true,
        }
    }

    /// A scale for these values: log10 when they span more than two decades, otherwise linear
    /// from zero (or the smallest value, when negative) up to a round maximum.
    pub fn auto(values: impl IntoIterator<Item = f64>, r0: f64, r1: f64) -> Scale {
        match extent(values) {
            None => Scale::linear(0.0, 1.0, r0, r1),
            Some((lo, hi)) if wants_log(lo, hi) => Scale::log(lo, hi, r0, r1),
            Some((lo, hi)) => Scale::linear(lo.min(0.0), nice_top(lo.min(0.0), hi, 5), r0, r1),
        }
    }

    pub fn is_log(&self) -> bool {
        self.log
    }

    pub fn domain(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }

    /// The pixel position of `v`, always finite and within the range.
    pub fn map(&self, v: f64) -> f64 {
        let t = if self.log {
            if !(v.is_finite() && v > 0.0) {
                0.0
            } else {
                (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
            }
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        let t = if t.is_finite() {
            t.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.r0 + t * (self.r1 - self.r0)
    }

    /// About `count` round tick values within the domain.
    pub fn ticks(&self, count: usize) -> Vec<f64> {
        if self.log {
            let ticks = log_ticks(self.lo, self.hi);
            if ticks.len() >= 2 {
                return ticks;
            }
        }
        linear_ticks(self.lo, self.hi, count)
    }
}

/// The smallest and largest finite values, if any.
pub fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Whether values from `lo` to `hi` span more than two decades.
pub fn wants_log(lo: f64, hi: f64) -> bool {
    lo > 0.0 && hi.is_finite() && hi / lo > LOG_RATIO
}

/// The smallest of 1, 2, 5 × 10ᵏ that is at least `raw` (1 for anything not positive).
pub fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// `hi` rounded up to a multiple of the step that divides `[lo, hi]` in about `count` parts.
pub fn nice_top(lo: f64, hi: f64, count: usize) -> f64 {
    let (lo, hi) = widen(lo, hi);
    let step = nice_step((hi - lo) / count.max(1) as f64);
    (hi / step - 1e-9).ceil() * step
}

/// Multiples of a round step from `lo` to `hi`, about `count` of them.
pub fn linear_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    let (lo, hi) = widen(lo, hi);
    let step = nice_step((hi - lo) / count.max(1) as f64);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last.min(first + 100))
        .map(|i| {
            let v = i as f64 * step;
            if v.abs() < step * 1e-9 { 0.0 } else { v }
        })
        .collect()
}

/// Powers of ten within `[lo, hi]`, with their 2× and 5× multiples when there are few decades.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi.is_finite() && hi > lo) {
        return Vec::new();
    }
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let multiples: &[f64] = if k1 - k0 <= 3 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let eps = 1e-9;
    (k0..=k1.min(k0 + 30))
        .flat_map(|k| multiples.iter().map(move |m| m * 10f64.powi(k)))
        .filter(|v| *v >= lo * (1.0 - eps) && *v <= hi * (1.0 + eps))
        .collect()
}

/// Histogram bins shared by every provider: `edges.len() == bins + 1`, increasing.
#[derive(Clone, Debug, PartialEq)]
pub struct Bins {
    pub edges: Vec<f64>,
    pub log: bool,
}

impl Bins {
    /// About `count` bins covering every finite value (non-negative ones for latencies).
    pub fn new(values: impl IntoIterator<Item = f64>, count: usize) -> Option<Bins> {
        let count = count.max(1);
        let (lo, hi) = extent(values)?;
        if wants_log(lo, hi) {
            let (a, b) = (lo.log10(), hi.log10());
            let edges = (0..=count)
                .map(|i| 10f64.powf(a + (b - a) * i as f64 / count as f64))
                .collect();
            return Some(Bins { edges, log: true });
        }
        let (lo, hi) = widen(lo, hi);
        let step = nice_step((hi - lo) / count as f64);
        let start = (lo / step).floor() * step;
        let n = (((hi - start) / step).ceil() as usize).clamp(1, count * 2 + 2);
        let edges = (0..=n).map(|i| start + i as f64 * step).collect();
        Some(Bins { edges, log: false })
    }

    pub fn len(&self) -> usize {
        self.edges.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bin holding `v` (the last bin includes its upper edge), or `None` outside.
    pub fn index(&self, v: f64) -> Option<usize> {
        let (first, last) = (*self.edges.first()?, *self.edges.last()?);
        if !v.is_finite() || self.is_empty() {
            return None;
        }
        // log edges are computed through powf: allow for rounding at both ends
        let tolerance = (last - first).abs() * 1e-9;
        if v < first - tolerance || v > last + tolerance {
            return None;
        }
        let i = self.edges.partition_point(|e| *e <= v);
        Some(i.saturating_sub(1).min(self.len() - 1))
    }

    /// How many of `values` fall in each bin.
    pub fn counts(&self, values: impl IntoIterator<Item = f64>) -> Vec<u64> {
        let mut counts = vec![0u64; self.len()];
        for v in values {
            if let Some(i) = self.index(v) {
                counts[i] += 1;
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_are_one_two_five() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(62.0), 100.0);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
    }

    #[test]
    fn nice_tops_round_up() {
        assert_eq!(nice_top(0.0, 37.0, 4), 40.0);
        assert_eq!(nice_top(0.0, 40.0, 4), 40.0);
        assert_eq!(nice_top(0.0, 1.0, 4), 1.0);
        assert!(nice_top(0.0, 0.0, 4) > 0.0);
    }

    #[test]
    fn linear_ticks_are_round_and_inside() {
        assert_eq!(
            linear_ticks(0.0, 1000.0, 5),
            vec![0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]
        );
        assert_eq!(
            linear_ticks(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        let t = linear_ticks(5.0, 5.0, 5); // degenerate: widened, still ticks
        assert!(!t.is_empty() && t.iter().all(|v| v.is_finite()));
        assert!(!linear_ticks(f64::NAN, f64::INFINITY, 5).is_empty());
    }

    #[test]
    fn log_ticks_are_decades() {
        assert_eq!(
            log_ticks(3.0, 40_000.0),
            vec![10.0, 100.0, 1_000.0, 10_000.0]
        );
        assert_eq!(
            log_ticks(50.0, 5_000.0),
            vec![50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0]
        );
        assert!(log_ticks(0.0, 10.0).is_empty());
    }

    #[test]
    fn scales_map_into_the_range_and_stay_finite() {
        let s = Scale::linear(0.0, 100.0, 0.0, 200.0);
        assert_eq!(s.map(50.0), 100.0);
        assert_eq!(s.map(-5.0), 0.0);
        assert_eq!(s.map(1e9), 200.0);
        assert_eq!(s.map(f64::NAN), 0.0);
        let inverted = Scale::linear(0.0, 10.0, 100.0, 0.0); // y axes grow upwards
        assert_eq!(inverted.map(10.0), 0.0);
        let flat = Scale::linear(7.0, 7.0, 0.0, 100.0);
        assert_eq!(flat.map(7.0), 50.0);
        let log = Scale::log(10.0, 1_000.0, 0.0, 100.0);
        assert!((log.map(100.0) - 50.0).abs() < 1e-9);
        assert_eq!(log.map(0.0), 0.0);
        assert_eq!(log.map(-3.0), 0.0);
        let broken = Scale::log(0.0, f64::NAN, 0.0, 100.0);
        assert!(broken.map(1.0).is_finite());
    }

    #[test]
    fn auto_scales_choose_log_for_wide_spans() {
        assert!(Scale::auto([5.0, 2_000.0], 0.0, 1.0).is_log());
        let s = Scale::auto([120.0, 900.0], 0.0, 1.0);
        assert!(!s.is_log());
        assert_eq!(s.domain(), (0.0, 1_000.0));
        assert_eq!(Scale::auto([], 0.0, 1.0).domain(), (0.0, 1.0));
        assert!(!Scale::auto([0.0, 0.0], 0.0, 1.0).is_log());
        let one = Scale::auto([42.0, f64::NAN, f64::INFINITY], 0.0, 1.0);
        assert!(one.map(42.0).is_finite() && one.domain().1 >= 42.0);
    }

    #[test]
    fn bins_cover_every_value() {
        let values = [120.0, 130.0, 480.0, 999.0, 1_000.0];
        let bins = Bins::new(values, 20).unwrap();
        assert!(!bins.log);
        assert!(bins.len() >= 10 && bins.len() <= 42);
        assert_eq!(bins.counts(values).iter().sum::<u64>(), 5);
        assert!(bins.edges[0] <= 120.0 && *bins.edges.last().unwrap() >= 1_000.0);
        assert_eq!(bins.index(2_000.0), None);
        assert_eq!(bins.index(f64::NAN), None);
    }

    #[test]
    fn wide_spans_get_log_bins() {
        let values = [4.0, 40.0, 400.0, 4_000.0, 40_000.0];
        let bins = Bins::new(values, 20).unwrap();
        assert!(bins.log);
        assert_eq!(bins.len(), 20);
        let counts = bins.counts(values);
        assert_eq!(counts.iter().sum::<u64>(), 5);
        assert_eq!(counts[0], 1);
        assert_eq!(counts[19], 1);
    }

    #[test]
    fn degenerate_data_still_bins() {
        assert_eq!(Bins::new([], 20), None);
        assert_eq!(Bins::new([f64::NAN], 20), None);
        let one = Bins::new([250.0], 20).unwrap();
        assert_eq!(one.counts([250.0]).iter().sum::<u64>(), 1);
        let equal = Bins::new([7.0; 50], 20).unwrap();
        assert_eq!(equal.counts([7.0; 50]).iter().sum::<u64>(), 50);
        let zeros = Bins::new([0.0, 0.0], 20).unwrap();
        assert_eq!(zeros.counts([0.0, 0.0]).iter().sum::<u64>(), 2);
        assert!(zeros.edges.iter().all(|e| e.is_finite()));
        let no_bins = Bins {
            edges: vec![1.0],
            log: false,
        };
        assert_eq!(no_bins.index(1.0), None);
    }
}
