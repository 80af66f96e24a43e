//! Metrics from the locally stored `query-completed` events (so they work offline): per provider
//! and AI Config variation — queries, latency (mean, p50/p95/p99), success rate, cost, tokens, time
//! to first token — the samples behind the plots, and the `ai-config` experiment (control
//! motherduck-ai, treatment webllm) with the intervals of [`stats`].

pub mod stats;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use datagata_ipc::metrics::{
    ArmStats, ExperimentReport, LatencySample, MetricsReport, ProviderSummary, QueryCompleted,
    ReasonCount, TimeRange,
};

use crate::flags::events::{EventLog, EventLogError};

/// The event every answered (or failed) question records.
pub const QUERY_COMPLETED: &str = "query-completed";
pub const EXPERIMENT_FLAG: &str = "ai-config";
pub const CONTROL: &str = "motherduck-ai";
pub const TREATMENT: &str = "webllm";
/// Fewer queries than this in either arm: no verdict (reading results early inflates false wins).
pub const MIN_PER_ARM: u64 = 30;
/// Samples sent for the plots at most (the most recent).
pub const MAX_SAMPLES: usize = 5_000;
/// Estimated cost of one MotherDuck AI call (USD), from the product notes' "~$0.02 per query";
/// WebLLM runs on the person's GPU: 0.
pub const MOTHERDUCK_AI_COST_PER_QUERY: f64 = 0.02;

/// One stored `query-completed` event.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryEvent {
    pub at: DateTime<Utc>,
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
    for e in events.iter().filter(|e| e.data.generation == "unavailable") {
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

fn arm(variation: &str, events: &[QueryEvent]) -> (ArmStats, Vec<f64>) {
    let mine: Vec<&QueryEvent> = events
        .iter()
        .filter(|e| e.data.config_key == EXPERIMENT_FLAG && e.data.variation_key == variation)
        .collect();
    let latencies: Vec<f64> = mine
        .iter()
        .map(|e| e.data.latency_ms)
        .filter(|x| x.is_finite())
        .collect();
    let n = mine.len() as u64;
    let successes = mine.iter().filter(|e| e.data.success).count() as u64;
    let total_cost: f64 = mine.iter().map(|e| e.data.cost_usd).sum();
    (
        ArmStats {
            variation_key: variation.to_string(),
            n,
            mean_latency: stats::mean(&latencies),
            latency_ci: stats::mean_interval(&latencies),
            successes,
            success_rate: (n > 0).then(|| successes as f64 / n as f64),
            success_ci: stats::wilson(successes, n),
            total_cost,
            cost_per_query: (n > 0).then(|| total_cost / n as f64),
        },
        latencies,
    )
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The experiment's result in words; no verdict below [`MIN_PER_ARM`] per arm.
fn verdict(report: &ExperimentReport) -> String {
    let (c, t) = (&report.control, &report.treatment);
    if !report.enough_data {
        return format!(
            "Not enough data to call it: n = {} ({}) / {} ({}); wait for at least {} queries per arm \
             before reading the result.",
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
            "Neither variation answered a question (n = {}/{}; the table says why the providers were \
             unavailable), so there is no AI to compare yet; the latencies measure the data path \
             only: {latency}.",
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
            "success rate difference not significant at n={}/{}",
            c.n, t.n
        ),
        None => "success rates cannot be compared".to_string(),
    };
    format!("{latency}; {success}.")
}

/// The `ai-config` experiment over `events`.
pub fn experiment(events: &[QueryEvent]) -> ExperimentReport {
    let (control, control_latencies) = arm(CONTROL, events);
    let (treatment, treatment_latencies) = arm(TREATMENT, events);
    let mut report = ExperimentReport {
        flag_key: EXPERIMENT_FLAG.to_string(),
        enough_data: control.n >= MIN_PER_ARM && treatment.n >= MIN_PER_ARM,
        min_per_arm: MIN_PER_ARM,
        latency_difference: stats::welch_difference(&control_latencies, &treatment_latencies),
        success_difference: stats::newcombe_difference(
            control.successes,
            control.n,
            treatment.successes,
            treatment.n,
        ),
        control,
        treatment,
        verdict: String::new(),
    };
    report.verdict = verdict(&report);
    report
}

/// Everything the Metrics view and `datagata metrics` show, for `events` (oldest first).
pub fn report(range: TimeRange, events: &[QueryEvent]) -> MetricsReport {
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
        experiment: experiment(events),
    }
}

#[cfg(test)]
mod tests;
