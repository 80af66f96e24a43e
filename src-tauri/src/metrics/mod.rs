//! Metrics from the locally stored `query-completed` events (so they work offline): per provider
//! and AI Config variation — queries, latency (mean, p50/p95/p99), success rate, cost, tokens, time
//! to first token — the samples behind the plots, and the `ai-config` experiment (control
//! motherduck-ai, treatment webllm) with the intervals of [`stats`]. The experiment counts only
//! questions whose evaluation was in the experiment's rollout, and its unit is the user, as
//! LaunchDarkly's own results are: each user's mean, then Welch across users, with a
//! sample-ratio-mismatch check against the rollout's weights.

pub mod stats;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use datagata_ipc::metrics::{
    ArmStats, ExperimentReport, LatencySample, MetricsReport, ProviderSummary, QueryCompleted,
    ReasonCount, SrmCheck, TimeRange,
};

use crate::flags::events::{EventLog, EventLogError};

/// The event every answered (or failed) question records.
pub const QUERY_COMPLETED: &str = "query-completed";
pub const EXPERIMENT_FLAG: &str = crate::flags::keys::AI_CONFIG;
pub const CONTROL: &str = "motherduck-ai";
pub const TREATMENT: &str = "webllm";
/// Fewer users than this in either arm: no verdict (reading results early inflates false wins).
pub const MIN_PER_ARM: u64 = 30;
/// Below this p-value the users per arm do not fit the rollout's weights.
pub const SRM_ALPHA: f64 = 0.001;
/// Samples sent for the plots at most (the most recent).
pub const MAX_SAMPLES: usize = 5_000;
/// Estimated cost of one MotherDuck AI call (USD), from the product notes' "~$0.02 per query";
/// WebLLM runs on the person's GPU: 0.
pub const MOTHERDUCK_AI_COST_PER_QUERY: f64 = 0.02;

/// One stored `query-completed` event.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryEvent {
    pub at: DateTime<Utc>,
    /// The user who asked (the `user` context's key): the experiment's unit.
    pub user: String,
    pub data: QueryCompleted,
}

/// The `query-completed` events since `range` before `now`, oldest first.
pub fn load(
    log: &EventLog,
    range: TimeRange,
    now: DateTime<Utc>,
) -> Result<Vec<QueryEvent>, EventLogError> {
    let since = range.seconds().map(|s| now - chrono::Duration::seconds(s));
    Ok(log
        .with_key(QUERY_COMPLETED, since)?
        .into_iter()
        .filter_map(|e| {
            Some(QueryEvent {
                at: e.at,
                user: e.context_keys.get("user").cloned().unwrap_or_default(),
                data: serde_json::from_value(e.data).ok()?,
            })
        })
        .collect())
}

fn sorted(xs: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = xs.filter(|x| x.is_finite()).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

fn summary(provider: &str, variation: &str, events: &[&QueryEvent]) -> ProviderSummary {
    let n = events.len() as u64;
    let latencies = sorted(events.iter().map(|e| e.data.latency_ms));
    let answered = events.iter().filter(|e| e.data.success).count() as u64;
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| e.data.generation == datagata_ipc::metrics::GenerationOutcome::Unavailable)
    {
        *reasons
            .entry(e.data.reason.clone().unwrap_or_else(|| "unknown".into()))
            .or_default() += 1;
    }
    let mut unavailable_reasons: Vec<ReasonCount> = reasons
        .into_iter()
        .map(|(reason, count)| ReasonCount { reason, count })
        .collect();
    unavailable_reasons.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    let total_cost: f64 = events.iter().map(|e| e.data.cost_usd).sum();
    let ttft: Vec<f64> = events
        .iter()
        .filter_map(|e| e.data.time_to_first_token_ms)
        .collect();
    let pct = |p| stats::percentile(&latencies, p).unwrap_or(0.0);
    ProviderSummary {
        provider: provider.to_string(),
        variation_key: variation.to_string(),
        queries: n,
        success_rate: if n == 0 {
            0.0
        } else {
            answered as f64 * 100.0 / n as f64
        },
        answered,
        unavailable: unavailable_reasons.iter().map(|r| r.count).sum(),
        unavailable_reasons,
        avg_latency: stats::mean(&latencies).unwrap_or(0.0),
        p50_latency: pct(50.0),
        p95_latency: pct(95.0),
        p99_latency: pct(99.0),
        total_cost,
        cost_per_query: if n == 0 { 0.0 } else { total_cost / n as f64 },
        input_tokens: events.iter().filter_map(|e| e.data.input_tokens).sum(),
        output_tokens: events.iter().filter_map(|e| e.data.output_tokens).sum(),
        avg_time_to_first_token: stats::mean(&ttft),
    }
}

/// One arm over the experiment's questions: its users, their per-user mean latencies and
/// success shares.
fn arm(variation: &str, events: &[&QueryEvent]) -> (ArmStats, Vec<f64>, Vec<f64>) {
    let mine: Vec<&QueryEvent> = events
        .iter()
        .copied()
        .filter(|e| e.data.variation_key == variation)
        .collect();
    let latencies =
        stats::per_unit_means(mine.iter().map(|e| (e.user.as_str(), e.data.latency_ms)));
    let success = stats::per_unit_means(
        mine.iter()
            .map(|e| (e.user.as_str(), if e.data.success { 1.0 } else { 0.0 })),
    );
    let users = success.len() as u64;
    let queries = mine.len() as u64;
    let successes = mine.iter().filter(|e| e.data.success).count() as u64;
    let total_cost: f64 = mine.iter().map(|e| e.data.cost_usd).sum();
    (
        ArmStats {
            variation_key: variation.to_string(),
            n: users,
            queries,
            mean_latency: stats::mean(&latencies),
            latency_ci: stats::mean_interval(&latencies),
            successes,
            success_rate: stats::mean(&success),
            success_ci: stats::mean_interval(&success),
            total_cost,
            cost_per_query: (queries > 0).then(|| total_cost / queries as f64),
        },
        latencies,
        success,
    )
}

/// The sample-ratio-mismatch check: users per arm against `weights` (variation key → weight).
fn srm(control: &ArmStats, treatment: &ArmStats, weights: &[(String, f64)]) -> Option<SrmCheck> {
    let weight = |key: &str| weights.iter().find(|(k, _)| k == key).map(|(_, w)| *w);
    let (wc, wt) = (
        weight(&control.variation_key)?,
        weight(&treatment.variation_key)?,
    );
    let observed = vec![control.n, treatment.n];
    let (statistic, p_value) = stats::chi_square(&observed, &[wc, wt])?;
    let shares = vec![wc / (wc + wt), wt / (wc + wt)];
    let mismatch = p_value < SRM_ALPHA;
    let message = if mismatch {
        format!(
            "Sample ratio mismatch: {} / {} users where the rollout expects {} / {} (χ² = {:.1},              p = {:.1e}); the assignment or the tracking is off, so do not trust this result.",
            control.n,
            treatment.n,
            percent(shares[0]),
            percent(shares[1]),
            statistic,
            p_value
        )
    } else {
        format!(
            "Users per arm fit the rollout's {} / {} split (χ² = {:.2}, p = {:.2}).",
            percent(shares[0]),
            percent(shares[1]),
            statistic,
            p_value
        )
    };
    Some(SrmCheck {
        observed,
        expected_shares: shares,
        statistic,
        p_value,
        mismatch,
        message,
    })
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The experiment's result in words; no verdict below [`MIN_PER_ARM`] per arm.
fn verdict(report: &ExperimentReport) -> String {
    let reading = verdict_of_arms(report);
    match report.srm.as_ref().filter(|s| s.mismatch) {
        Some(srm) => format!("{} {reading}", srm.message),
        None => reading,
    }
}

fn verdict_of_arms(report: &ExperimentReport) -> String {
    let (c, t) = (&report.control, &report.treatment);
    if !report.enough_data {
        return format!(
            "Not enough data to call it: {} users ({}) / {} ({}) in the experiment; wait for at \
             least {} users per arm before reading the result.",
            c.n, c.variation_key, t.n, t.variation_key, report.min_per_arm
        );
    }
    let latency = match &report.latency_difference {
        Some(d) if d.significant => match (d.relative, d.relative_ci) {
            (Some(r), Some(ci)) if r < 0.0 => format!(
                "{} is {} faster than {} (95% CI {}–{})",
                t.variation_key,
                percent(-r),
                c.variation_key,
                percent(-ci.high),
                percent(-ci.low)
            ),
            (Some(r), Some(ci)) => format!(
                "{} is {} slower than {} (95% CI {}–{})",
                t.variation_key,
                percent(r),
                c.variation_key,
                percent(ci.low),
                percent(ci.high)
            ),
            _ => format!(
                "latency differs by {:.0} ms (95% CI {:.0} to {:.0} ms)",
                d.estimate, d.ci.low, d.ci.high
            ),
        },
        Some(d) => format!(
            "no significant latency difference (95% CI {:.0} to {:.0} ms)",
            d.ci.low, d.ci.high
        ),
        None => "latency cannot be compared".to_string(),
    };
    if c.successes == 0 && t.successes == 0 {
        return format!(
            "Neither variation answered a question ({}/{} users; the table says why the providers \
             were unavailable), so there is no AI to compare yet; the latencies measure the data \
             path only: {latency}.",
            c.n, t.n
        );
    }
    let success = match &report.success_difference {
        Some(d) if d.significant => format!(
            "success rate {} by {:.1} points (95% CI {:.1} to {:.1})",
            if d.estimate > 0.0 { "higher" } else { "lower" },
            d.estimate.abs() * 100.0,
            d.ci.low * 100.0,
            d.ci.high * 100.0
        ),
        Some(_) => format!(
            "success rate difference not significant at {}/{} users",
            c.n, t.n
        ),
        None => "success rates cannot be compared".to_string(),
    };
    format!("{latency}; {success}.")
}

/// The `ai-config` experiment over `events`: only the questions asked in the experiment's
/// rollout count, per user; `weights` are the rollout's (variation key → weight), when known.
pub fn experiment(events: &[QueryEvent], weights: Option<&[(String, f64)]>) -> ExperimentReport {
    let (inside, outside): (Vec<&QueryEvent>, Vec<&QueryEvent>) = events
        .iter()
        .filter(|e| e.data.config_key == EXPERIMENT_FLAG)
        .partition(|e| e.data.in_experiment);
    let outside_users = outside
        .iter()
        .map(|e| e.user.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    let (control, control_latencies, control_success) = arm(CONTROL, &inside);
    let (treatment, treatment_latencies, treatment_success) = arm(TREATMENT, &inside);
    let mut report = ExperimentReport {
        flag_key: EXPERIMENT_FLAG.to_string(),
        unit: "user".into(),
        enough_data: control.n >= MIN_PER_ARM && treatment.n >= MIN_PER_ARM,
        min_per_arm: MIN_PER_ARM,
        latency_difference: stats::welch_difference(&control_latencies, &treatment_latencies),
        success_difference: stats::welch_difference(&control_success, &treatment_success),
        srm: weights.and_then(|w| srm(&control, &treatment, w)),
        outside_queries: outside.len() as u64,
        outside_users,
        control,
        treatment,
        verdict: String::new(),
    };
    report.verdict = verdict(&report);
    report
}

/// Everything the Metrics view and `datagata metrics` show, for `events` (oldest first).
pub fn report(
    range: TimeRange,
    events: &[QueryEvent],
    weights: Option<&[(String, f64)]>,
) -> MetricsReport {
    let mut groups: BTreeMap<(String, String), Vec<&QueryEvent>> = BTreeMap::new();
    for e in events {
        groups
            .entry((e.data.provider.clone(), e.data.variation_key.clone()))
            .or_default()
            .push(e);
    }
    let summary = groups
        .iter()
        .map(|((provider, variation), evs)| summary(provider, variation, evs))
        .collect();
    let samples = events
        .iter()
        .skip(events.len().saturating_sub(MAX_SAMPLES))
        .map(|e| LatencySample {
            at: e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            provider: e.data.provider.clone(),
            latency_ms: e.data.latency_ms,
            success: e.data.success,
        })
        .collect();
    MetricsReport {
        time_range: range,
        total_queries: events.len() as u64,
        summary,
        samples,
        experiment: experiment(events, weights),
        delivery: Default::default(),
    }
}

/// Where the stored events are on their way to LaunchDarkly: the log's counts and write status,
/// and what delivery reports (`None`: this session has no LaunchDarkly).
pub fn delivery(
    log: &EventLog,
    deliverer: Option<&crate::flags::delivery::Deliverer>,
) -> Result<datagata_ipc::metrics::EventDelivery, EventLogError> {
    let counts = log.delivery_counts()?;
    let written = log.write_status();
    let sending = deliverer.map(|d| d.report());
    Ok(datagata_ipc::metrics::EventDelivery {
        pending: counts.pending,
        sent: counts.sent,
        local_only: counts.local_only,
        rejected: counts.rejected,
        unstored: written.unstored as u64,
        dropped: written.dropped,
        destination: sending.as_ref().map(|s| s.destination.clone()),
        last_error: written
            .last_error
            .or_else(|| sending.as_ref().and_then(|s| s.last_error.clone())),
        stopped: sending.is_some_and(|s| s.stopped),
    })
}

#[cfg(test)]
mod tests;
