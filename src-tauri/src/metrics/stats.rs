//! Experiment statistics: Student's t and Welch intervals for latencies, Wilson and Newcombe
//! intervals for success rates, percentiles, per-unit means (the experiment's unit is the user)
//! and the sample-ratio-mismatch chi-square test — checked against SciPy's values (fixtures).
//!
//! Every interval is at the 95% level ([`CONFIDENCE`]) and two-sided. Differences are always
//! treatment − control. The functions return `None` instead of NaN, an infinity or a panic when
//! the input cannot give an answer:
//!
//! - any input value is NaN or infinite, or an intermediate result overflows;
//! - too little data: no values for [`mean`] and [`percentile`], fewer than two for
//!   [`sample_variance`], [`mean_interval`] and each arm of [`welch_difference`], `n = 0` (or
//!   `successes > n`) for [`wilson`] and [`newcombe_difference`];
//! - zero spread where a t interval is undefined: a constant sample has a standard error of 0, so
//!   Student's t interval (SciPy: NaN) is not given, rather than a zero-width interval that would
//!   claim certainty from, say, two equal latencies. Welch's interval needs only the *combined*
//!   standard error to be positive: one constant arm is fine (SciPy agrees), two are not.
//!
//! The reference values live in `stats_fixtures.json`, written by `scripts/stats-fixtures.py`
//! with SciPy and NumPy; the tests below check every function against them to 1e-9 (relative).

use datagata_ipc::metrics::{Difference, Interval};
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

/// The confidence level of every interval in this module.
pub const CONFIDENCE: f64 = 0.95;

/// The upper quantile a two-sided interval at [`CONFIDENCE`] uses (0.975).
fn upper_tail() -> f64 {
    0.5 + 0.5 * CONFIDENCE
}

/// The two-sided critical value of Student's t with `df` degrees of freedom (`df` may be
/// fractional, as Welch's is); `None` unless `df` is finite and positive.
fn t_critical(df: f64) -> Option<f64> {
    if !(df.is_finite() && df > 0.0) {
        return None;
    }
    let t = StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(upper_tail());
    finite(t)
}

/// The two-sided critical value of the standard normal (≈ 1.959964).
fn z_critical() -> f64 {
    Normal::standard().inverse_cdf(upper_tail())
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn all_finite(xs: &[f64]) -> bool {
    xs.iter().all(|x| x.is_finite())
}

/// The arithmetic mean; `None` for an empty slice or a non-finite value. Matches `numpy.mean`.
///
/// The result is clamped to the sample's range, so a constant sample's mean is exactly its value
/// (plain `sum / n` can be off by an ulp).
pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() || !all_finite(xs) {
        return None;
    }
    let sum: f64 = xs.iter().sum();
    let m = finite(sum / xs.len() as f64)?;
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    Some(m.clamp(lo, hi))
}

/// The sample variance, with the n − 1 denominator (two-pass: the mean first, then the squared
/// deviations); `None` for fewer than two values or a non-finite value. Matches
/// `numpy.var(x, ddof=1)`. A constant sample gives exactly 0.
pub fn sample_variance(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let m = mean(xs)?;
    let ss: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    finite(ss / (xs.len() - 1) as f64)
}

/// The `p`-th percentile (`p` in 0..=100) of `sorted`, which must be sorted ascending: linear
/// interpolation between the closest ranks, at virtual index (n − 1)·p/100. Matches
/// `numpy.percentile(x, p)` (its default `method="linear"`), including its interpolation
/// arithmetic. `None` for an empty slice, `p` outside 0..=100 or NaN, a non-finite value, or a
/// slice that is not sorted ascending.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=100.0).contains(&p) || !all_finite(sorted) {
        return None;
    }
    if sorted.windows(2).any(|w| w[0] > w[1]) {
        return None;
    }
    let last = sorted.len() - 1;
    let index = last as f64 * (p / 100.0);
    let below = index.floor();
    if below >= last as f64 {
        return Some(sorted[last]);
    }
    let i = below as usize;
    let (a, b) = (sorted[i], sorted[i + 1]);
    let t = index - below;
    // numpy's `_lerp`: measured from the nearer end, so t = 1 gives b exactly.
    let diff = b - a;
    let value = if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    };
    finite(value)
}

/// Student's t interval for the mean: mean ± t(0.975, n − 1) · s/√n. Matches
/// `scipy.stats.t.interval(0.95, n - 1, loc=mean, scale=scipy.stats.sem(x))`.
///
/// `None` for fewer than two values, a non-finite value, or a constant sample (its standard error
/// is 0, where SciPy gives NaN; see the module docs).
pub fn mean_interval(xs: &[f64]) -> Option<Interval> {
    let m = mean(xs)?;
    let var = sample_variance(xs)?;
    let n = xs.len() as f64;
    let se = (var / n).sqrt();
    if se <= 0.0 {
        return None;
    }
    let half = t_critical(n - 1.0)? * se;
    Some(Interval {
        low: finite(m - half)?,
        high: finite(m + half)?,
    })
}

/// Welch's interval for the difference of means, treatment − control, with the
/// Welch–Satterthwaite degrees of freedom:
/// df = (vc/nc + vt/nt)² / ((vc/nc)²/(nc − 1) + (vt/nt)²/(nt − 1)). Matches
/// `scipy.stats.ttest_ind(treatment, control, equal_var=False).confidence_interval(0.95)`.
///
/// `relative` and `relative_ci` divide the estimate and the interval by the control mean,
/// treating that mean as a fixed constant (its own uncertainty is not propagated, so the relative
/// interval is somewhat narrower than a ratio interval would be); they are `None` when the
/// control mean is not positive. `significant`: the interval excludes 0.
///
/// `None` when either arm has fewer than two values or a non-finite value, or when both arms are
/// constant (the standard error of the difference is 0; SciPy gives NaN).
pub fn welch_difference(control: &[f64], treatment: &[f64]) -> Option<Difference> {
    let (mc, mt) = (mean(control)?, mean(treatment)?);
    let (vc, vt) = (sample_variance(control)?, sample_variance(treatment)?);
    let (nc, nt) = (control.len() as f64, treatment.len() as f64);
    let (sc, st) = (vc / nc, vt / nt);
    let se2 = sc + st;
    if se2 <= 0.0 {
        return None;
    }
    let df = se2 * se2 / (sc * sc / (nc - 1.0) + st * st / (nt - 1.0));
    let half = t_critical(df)? * se2.sqrt();
    let estimate = finite(mt - mc)?;
    let ci = Interval {
        low: finite(estimate - half)?,
        high: finite(estimate + half)?,
    };
    Some(difference(estimate, ci, mc))
}

/// Wilson's score interval for a proportion, without continuity correction:
/// (2np + z² ± z·√(4np(1 − p) + z²)) / (2(n + z²)), with the bounds pinned to exactly 0 at
/// k = 0 and 1 at k = n. Matches
/// `scipy.stats.binomtest(k, n).proportion_ci(0.95, method="wilson")`.
///
/// `None` when `n` is 0 or `successes > n`.
pub fn wilson(successes: u64, n: u64) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    let z = z_critical();
    let nf = n as f64;
    let p = successes as f64 / nf;
    let denom = 2.0 * (nf + z * z);
    let center = (2.0 * nf * p + z * z) / denom;
    let delta = z / denom * (4.0 * nf * p * (1.0 - p) + z * z).sqrt();
    let low = if successes == 0 { 0.0 } else { center - delta };
    let high = if successes == n { 1.0 } else { center + delta };
    Some(Interval {
        low: low.max(0.0),
        high: high.min(1.0),
    })
}

/// Newcombe's hybrid score interval (method 10 of Newcombe 1998) for the difference of
/// proportions, treatment − control, built from the two Wilson intervals (lc, uc) and (lt, ut):
/// d = pt − pc, low = d − √((pt − lt)² + (uc − pc)²), high = d + √((ut − pt)² + (pc − lc)²).
/// Matches the fixture's Python evaluation of that formula on SciPy's Wilson bounds (SciPy has no
/// Newcombe interval of its own).
///
/// `relative` and `relative_ci` divide by the control proportion (taken as fixed), and are `None`
/// when it is 0. `significant`: the interval excludes 0. `None` when either `n` is 0 or has more
/// successes than trials.
pub fn newcombe_difference(
    control_successes: u64,
    control_n: u64,
    treatment_successes: u64,
    treatment_n: u64,
) -> Option<Difference> {
    let wc = wilson(control_successes, control_n)?;
    let wt = wilson(treatment_successes, treatment_n)?;
    let pc = control_successes as f64 / control_n as f64;
    let pt = treatment_successes as f64 / treatment_n as f64;
    let estimate = pt - pc;
    let ci = Interval {
        low: estimate - (pt - wt.low).hypot(wc.high - pc),
        high: estimate + (wt.high - pt).hypot(pc - wc.low),
    };
    Some(difference(estimate, ci, pc))
}

/// Assembles a [`Difference`]; the relative figures are over `baseline` when it is positive.
fn difference(estimate: f64, ci: Interval, baseline: f64) -> Difference {
    let relative_ci = (baseline > 0.0)
        .then(|| Interval {
            low: ci.low / baseline,
            high: ci.high / baseline,
        })
        .filter(|r| r.low.is_finite() && r.high.is_finite());
    let relative = relative_ci.and(finite(estimate / baseline));
    Difference {
        estimate,
        ci,
        relative,
        relative_ci,
        significant: ci.low > 0.0 || ci.high < 0.0,
    }
}

/// Each unit's mean of its values (units sorted by key): the experiment's per-user latencies.
/// Non-finite values are left out; a unit with none left is dropped.
pub fn per_unit_means<'a>(pairs: impl IntoIterator<Item = (&'a str, f64)>) -> Vec<f64> {
    let mut by: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for (unit, x) in pairs {
        if x.is_finite() {
            by.entry(unit).or_default().push(x);
        }
    }
    by.values().filter_map(|xs| mean(xs)).collect()
}

/// Pearson's chi-square goodness of fit of `observed` counts to the shares `weights` give (the
/// sample-ratio-mismatch check): the statistic and its p-value with `k - 1` degrees of freedom.
/// `None` for fewer than two groups, no observations, or a non-positive weight.
pub fn chi_square(observed: &[u64], weights: &[f64]) -> Option<(f64, f64)> {
    if observed.len() < 2
        || observed.len() != weights.len()
        || weights.iter().any(|w| !(w.is_finite() && *w > 0.0))
    {
        return None;
    }
    let total: u64 = observed.iter().sum();
    if total == 0 {
        return None;
    }
    let weight_sum: f64 = weights.iter().sum();
    let statistic: f64 = observed
        .iter()
        .zip(weights)
        .map(|(&o, &w)| {
            let expected = total as f64 * w / weight_sum;
            (o as f64 - expected).powi(2) / expected
        })
        .sum();
    let df = (observed.len() - 1) as f64;
    let p = 1.0 - ChiSquared::new(df).ok()?.cdf(statistic);
    Some((finite(statistic)?, finite(p.clamp(0.0, 1.0))?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    const FIXTURES: &str = include_str!("stats_fixtures.json");

    #[derive(Deserialize)]
    struct Fixtures {
        confidence: f64,
        latency: Vec<LatencyCase>,
        proportion: Vec<ProportionCase>,
        per_user: Vec<PerUserCase>,
        srm: Vec<SrmCase>,
    }

    #[derive(Deserialize)]
    struct PerUserCase {
        name: String,
        control: Vec<(String, f64)>,
        treatment: Vec<(String, f64)>,
        control_means: Vec<f64>,
        treatment_means: Vec<f64>,
        welch: Expected,
    }

    #[derive(Deserialize)]
    struct SrmCase {
        observed: Vec<u64>,
        weights: Vec<f64>,
        statistic: f64,
        p_value: f64,
    }

    #[derive(Deserialize)]
    struct LatencyCase {
        name: String,
        control: Sample,
        treatment: Sample,
        welch: Expected,
    }

    #[derive(Deserialize)]
    struct Sample {
        values: Vec<f64>,
        percentiles: Vec<(f64, f64)>,
        mean: f64,
        variance: Option<f64>,
        mean_ci: Option<(f64, f64)>,
    }

    #[derive(Deserialize)]
    struct Expected {
        estimate: f64,
        ci: (f64, f64),
        relative: Option<f64>,
        relative_ci: Option<(f64, f64)>,
        significant: bool,
    }

    #[derive(Deserialize)]
    struct ProportionCase {
        control: (u64, u64),
        treatment: (u64, u64),
        control_wilson: (f64, f64),
        treatment_wilson: (f64, f64),
        newcombe: Expected,
    }

    fn fixtures() -> Fixtures {
        serde_json::from_str(FIXTURES).expect("stats_fixtures.json parses")
    }

    #[track_caller]
    fn close(actual: f64, expected: f64, what: &str) {
        let tolerance = (1e-9 * expected.abs()).max(1e-12);
        assert!(
            (actual - expected).abs() <= tolerance,
            "{what}: got {actual:e}, expected {expected:e} (off by {:e})",
            (actual - expected).abs()
        );
    }

    #[track_caller]
    fn close_interval(actual: Option<Interval>, expected: Option<(f64, f64)>, what: &str) {
        match (actual, expected) {
            (Some(a), Some((low, high))) => {
                close(a.low, low, &format!("{what} low"));
                close(a.high, high, &format!("{what} high"));
            }
            (None, None) => {}
            (a, e) => panic!("{what}: got {a:?}, expected {e:?}"),
        }
    }

    #[track_caller]
    fn check_difference(actual: Option<Difference>, expected: &Expected, what: &str) {
        let d = actual.unwrap_or_else(|| panic!("{what}: no difference"));
        close(d.estimate, expected.estimate, &format!("{what} estimate"));
        close_interval(Some(d.ci), Some(expected.ci), &format!("{what} ci"));
        match (d.relative, expected.relative) {
            (Some(a), Some(e)) => close(a, e, &format!("{what} relative")),
            (None, None) => {}
            (a, e) => panic!("{what} relative: got {a:?}, expected {e:?}"),
        }
        close_interval(
            d.relative_ci,
            expected.relative_ci,
            &format!("{what} relative_ci"),
        );
        assert_eq!(d.significant, expected.significant, "{what} significant");
    }

    fn check_sample(sample: &Sample, what: &str) {
        let xs = &sample.values;
        close(mean(xs).unwrap(), sample.mean, &format!("{what} mean"));
        match sample.variance {
            Some(v) => close(sample_variance(xs).unwrap(), v, &format!("{what} variance")),
            None => assert_eq!(sample_variance(xs), None, "{what} variance"),
        }
        let mut sorted = xs.clone();
        sorted.sort_by(f64::total_cmp);
        for &(p, expected) in &sample.percentiles {
            close(
                percentile(&sorted, p).unwrap(),
                expected,
                &format!("{what} p{p}"),
            );
        }
        close_interval(
            mean_interval(xs),
            sample.mean_ci,
            &format!("{what} mean_ci"),
        );
    }

    #[test]
    fn fixture_confidence_matches() {
        assert_eq!(fixtures().confidence, CONFIDENCE);
    }

    #[test]
    fn latency_statistics_match_scipy() {
        let f = fixtures();
        assert!(!f.latency.is_empty());
        for case in &f.latency {
            check_sample(&case.control, &format!("{} control", case.name));
            check_sample(&case.treatment, &format!("{} treatment", case.name));
            check_difference(
                welch_difference(&case.control.values, &case.treatment.values),
                &case.welch,
                &format!("{} welch", case.name),
            );
        }
    }

    #[test]
    fn proportion_statistics_match_scipy() {
        let f = fixtures();
        assert!(!f.proportion.is_empty());
        for case in &f.proportion {
            let (kc, nc) = case.control;
            let (kt, nt) = case.treatment;
            let what = format!("{kc}/{nc} vs {kt}/{nt}");
            close_interval(
                wilson(kc, nc),
                Some(case.control_wilson),
                &format!("{what} control wilson"),
            );
            close_interval(
                wilson(kt, nt),
                Some(case.treatment_wilson),
                &format!("{what} treatment wilson"),
            );
            check_difference(
                newcombe_difference(kc, nc, kt, nt),
                &case.newcombe,
                &format!("{what} newcombe"),
            );
        }
    }

    #[test]
    fn per_user_analysis_matches_scipy() {
        let f = fixtures();
        assert!(!f.per_user.is_empty());
        for case in &f.per_user {
            let means = |pairs: &[(String, f64)]| {
                per_unit_means(pairs.iter().map(|(u, x)| (u.as_str(), *x)))
            };
            let (c, t) = (means(&case.control), means(&case.treatment));
            assert_eq!(c.len(), case.control_means.len(), "{}", case.name);
            assert_eq!(t.len(), case.treatment_means.len(), "{}", case.name);
            for (a, e) in c.iter().zip(&case.control_means) {
                close(*a, *e, &format!("{} control mean", case.name));
            }
            for (a, e) in t.iter().zip(&case.treatment_means) {
                close(*a, *e, &format!("{} treatment mean", case.name));
            }
            check_difference(
                welch_difference(&c, &t),
                &case.welch,
                &format!("{} per-user welch", case.name),
            );
        }
    }

    #[test]
    fn sample_ratio_mismatch_matches_scipy() {
        let f = fixtures();
        assert!(!f.srm.is_empty());
        for case in &f.srm {
            let (statistic, p) = chi_square(&case.observed, &case.weights).unwrap();
            let what = format!("{:?} vs {:?}", case.observed, case.weights);
            close(statistic, case.statistic, &format!("{what} statistic"));
            // The p-value's tail is computed as 1 - cdf here: compare to 1e-9 absolute.
            assert!(
                (p - case.p_value).abs() < 1e-9,
                "{what}: p {p} vs {}",
                case.p_value
            );
        }
        assert_eq!(chi_square(&[0, 0], &[1.0, 9.0]), None);
        assert_eq!(chi_square(&[5], &[1.0]), None);
        assert_eq!(chi_square(&[5, 5], &[1.0, 0.0]), None);
    }

    #[test]
    fn empty_input_gives_none() {
        assert_eq!(mean(&[]), None);
        assert_eq!(sample_variance(&[]), None);
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(mean_interval(&[]), None);
        assert_eq!(welch_difference(&[], &[1.0, 2.0]), None);
        assert_eq!(welch_difference(&[1.0, 2.0], &[]), None);
        assert_eq!(wilson(0, 0), None);
        assert_eq!(newcombe_difference(0, 0, 1, 2), None);
        assert_eq!(newcombe_difference(1, 2, 0, 0), None);
    }

    #[test]
    fn single_value() {
        assert_eq!(mean(&[42.5]), Some(42.5));
        assert_eq!(sample_variance(&[42.5]), None);
        for p in [0.0, 37.5, 100.0] {
            assert_eq!(percentile(&[42.5], p), Some(42.5));
        }
        assert_eq!(mean_interval(&[42.5]), None);
        assert_eq!(welch_difference(&[42.5], &[1.0, 2.0, 3.0]), None);
        assert_eq!(welch_difference(&[1.0, 2.0, 3.0], &[42.5]), None);
    }

    #[test]
    fn all_equal_values() {
        let xs = [0.1; 7];
        assert_eq!(mean(&xs), Some(0.1));
        assert_eq!(sample_variance(&xs), Some(0.0));
        assert_eq!(percentile(&xs, 95.0), Some(0.1));
        // A zero standard error: no t interval (SciPy gives NaN).
        assert_eq!(mean_interval(&xs), None);
        // Both arms constant: Welch's interval is undefined too…
        assert_eq!(welch_difference(&xs, &[0.3; 3]), None);
        // …but one constant arm is fine: df = n_t − 1, and the interval is the other arm's.
        let t = [1.0, 2.0, 4.0];
        let d = welch_difference(&xs, &t).unwrap();
        let m = mean_interval(&t).unwrap();
        close(d.estimate, 7.0 / 3.0 - 0.1, "estimate");
        close(d.ci.low, m.low - 0.1, "low");
        close(d.ci.high, m.high - 0.1, "high");
    }

    #[test]
    fn non_finite_input_gives_none() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let xs = [1.0, bad, 3.0];
            assert_eq!(mean(&xs), None);
            assert_eq!(sample_variance(&xs), None);
            assert_eq!(percentile(&[1.0, 2.0, bad], 50.0), None);
            assert_eq!(mean_interval(&xs), None);
            assert_eq!(welch_difference(&xs, &[1.0, 2.0]), None);
            assert_eq!(welch_difference(&[1.0, 2.0], &xs), None);
        }
        // Overflow on the way is no answer either.
        assert_eq!(mean(&[f64::MAX, f64::MAX]), None);
        assert_eq!(sample_variance(&[-f64::MAX / 2.0, f64::MAX / 2.0]), None);
    }

    #[test]
    fn percentile_bounds_and_order() {
        let xs = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&xs, 0.0), Some(1.0));
        assert_eq!(percentile(&xs, 100.0), Some(4.0));
        assert_eq!(percentile(&xs, 50.0), Some(2.5));
        close(percentile(&xs, 10.0).unwrap(), 1.3, "p10");
        assert_eq!(percentile(&xs, -0.1), None);
        assert_eq!(percentile(&xs, 100.1), None);
        assert_eq!(percentile(&xs, f64::NAN), None);
        assert_eq!(percentile(&[2.0, 1.0], 50.0), None, "unsorted");
    }

    #[test]
    fn wilson_edges() {
        // k = 0 and k = n pin the bounds exactly; the intervals mirror each other.
        let zero = wilson(0, 10).unwrap();
        let all = wilson(10, 10).unwrap();
        assert_eq!(zero.low, 0.0);
        assert_eq!(all.high, 1.0);
        close(zero.high, 1.0 - all.low, "mirror");
        // z²/(n + z²) for k = 0.
        let z = z_critical();
        close(zero.high, z * z / (10.0 + z * z), "k=0 upper bound");
        assert_eq!(wilson(11, 10), None);
        let half = wilson(1, 2).unwrap();
        close(half.low + half.high, 1.0, "symmetric at p = 1/2");
    }

    #[test]
    fn newcombe_edges() {
        // No successes anywhere: no relative figure, an interval around 0.
        let d = newcombe_difference(0, 10, 0, 10).unwrap();
        assert_eq!(d.estimate, 0.0);
        assert!(d.ci.contains(0.0) && !d.significant);
        assert_eq!((d.relative, d.relative_ci), (None, None));
        // All successes against none: the interval stays within [-1, 1] and excludes 0.
        let d = newcombe_difference(0, 15, 15, 15).unwrap();
        assert_eq!(d.estimate, 1.0);
        assert!(d.ci.low > 0.0 && d.ci.high <= 1.0 && d.significant);
        let d = newcombe_difference(15, 15, 0, 15).unwrap();
        assert_eq!(d.estimate, -1.0);
        assert!(d.ci.low >= -1.0 && d.ci.high < 0.0 && d.significant);
        close(d.relative.unwrap(), -1.0, "relative");
        assert_eq!(newcombe_difference(3, 2, 1, 2), None);
    }

    #[test]
    fn welch_relative_needs_a_positive_control_mean() {
        let d = welch_difference(&[-1.0, 1.0], &[2.0, 3.0, 5.0]).unwrap();
        assert_eq!((d.relative, d.relative_ci), (None, None));
        let d = welch_difference(&[1.0, 3.0], &[2.0, 3.0, 5.0]).unwrap();
        close(d.relative.unwrap(), d.estimate / 2.0, "relative");
        close(d.relative_ci.unwrap().low, d.ci.low / 2.0, "relative low");
    }

    #[test]
    fn critical_values() {
        close(z_critical(), 1.959_963_984_540_054, "z");
        // scipy.stats.t.ppf(0.975, df)
        close(t_critical(1.0).unwrap(), 12.706_204_736_174_694, "t1");
        close(t_critical(29.0).unwrap(), 2.045_229_642_132_703, "t29");
        assert_eq!(t_critical(0.0), None);
        assert_eq!(t_critical(f64::NAN), None);
    }
}
