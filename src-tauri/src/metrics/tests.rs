//! Aggregation over a real (in-memory) event log: grouping, percentiles, time ranges, and the
//! experiment's verdicts at small and sufficient sample sizes.

use chrono::{Duration, TimeZone, Utc};
use datagata_ipc::metrics::{QueryCompleted, TimeRange};
use launchdarkly_server_sdk::ContextBuilder;

use super::*;
use crate::flags::events::TrackedEvent;

fn completed(variation: &str, latency: f64, success: bool) -> QueryCompleted {
    QueryCompleted {
        provider: if variation == TREATMENT {
            "webllm"
        } else {
            "motherduck-ai"
        }
        .into(),
        config_key: EXPERIMENT_FLAG.into(),
        variation_key: variation.into(),
        question: "q".into(),
        generation: if success { "ok" } else { "unavailable" }.into(),
        reason: (!success).then(|| "offline".to_string()),
        success,
        latency_ms: latency,
        generation_ms: None,
        query_ms: Some(latency),
        rows: Some(1),
        input_tokens: Some(10),
        output_tokens: Some(5),
        time_to_first_token_ms: None,
        cost_usd: if variation == CONTROL {
            MOTHERDUCK_AI_COST_PER_QUERY
        } else {
            0.0
        },
        source: "test".into(),
    }
}

fn log_with(events: &[(i64, QueryCompleted)]) -> EventLog {
    let log = EventLog::in_memory().unwrap();
    let ctx = ContextBuilder::new("t@example.com").build().unwrap();
    let base = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    for (minutes_ago, data) in events {
        let mut e = TrackedEvent::new(
            &ctx,
            QUERY_COMPLETED,
            serde_json::to_value(data).unwrap(),
            Some(data.latency_ms),
        );
        e.at = base - Duration::minutes(*minutes_ago);
        log.append(&e).unwrap();
    }
    log
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

#[test]
fn summaries_group_by_provider_with_numpy_percentiles() {
    let mut events = Vec::new();
    for (i, l) in [10.0, 20.0, 30.0, 40.0, 1000.0].iter().enumerate() {
        events.push((i as i64, completed(CONTROL, *l, i != 4)));
    }
    events.push((1, completed(TREATMENT, 5.0, true)));
    let log = log_with(&events);
    let loaded = load(&log, TimeRange::All, now()).unwrap();
    assert_eq!(loaded.len(), 6);
    assert!(
        loaded.windows(2).all(|w| w[0].at <= w[1].at),
        "oldest first"
    );
    let r = report(TimeRange::All, &loaded);
    assert_eq!(r.total_queries, 6);
    let md = r
        .summary
        .iter()
        .find(|s| s.provider == "motherduck-ai")
        .unwrap();
    assert_eq!((md.queries, md.answered, md.unavailable), (5, 4, 1));
    assert_eq!(md.success_rate, 80.0);
    assert_eq!(md.avg_latency, 220.0);
    // numpy.percentile([10, 20, 30, 40, 1000], [50, 95, 99]) = 30, 808, 961.6
    assert_eq!(md.p50_latency, 30.0);
    assert!((md.p95_latency - 808.0).abs() < 1e-9, "{}", md.p95_latency);
    assert!((md.p99_latency - 961.6).abs() < 1e-9, "{}", md.p99_latency);
    assert!((md.total_cost - 0.1).abs() < 1e-12);
    assert_eq!(md.unavailable_reasons[0].reason, "offline");
    assert_eq!((md.input_tokens, md.output_tokens), (50, 25));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["timeRange"], "all");
    assert!(json["summary"][0]["p95Latency"].is_number());
    assert_eq!(r.samples.len(), 6);
}

#[test]
fn time_ranges_keep_only_recent_events() {
    let log = log_with(&[
        (30, completed(CONTROL, 1.0, true)),
        (90, completed(CONTROL, 2.0, true)),
        (60 * 30, completed(CONTROL, 3.0, true)),
    ]);
    assert_eq!(load(&log, TimeRange::LastHour, now()).unwrap().len(), 1);
    assert_eq!(load(&log, TimeRange::LastDay, now()).unwrap().len(), 2);
    assert_eq!(load(&log, TimeRange::All, now()).unwrap().len(), 3);
}

#[test]
fn small_samples_get_no_verdict() {
    let log = log_with(&[
        (1, completed(CONTROL, 900.0, true)),
        (2, completed(TREATMENT, 100.0, true)),
    ]);
    let e = experiment(&load(&log, TimeRange::All, now()).unwrap());
    assert!(!e.enough_data);
    assert!(e.verdict.starts_with("Not enough data"), "{}", e.verdict);
    assert_eq!((e.control.n, e.treatment.n), (1, 1));
}

#[test]
fn a_clear_difference_reads_as_one() {
    let mut events = Vec::new();
    for i in 0..40 {
        let jitter = (i % 7) as f64 * 10.0;
        events.push((i, completed(CONTROL, 900.0 + jitter, true)));
        events.push((i, completed(TREATMENT, 300.0 + jitter, i % 20 != 0)));
    }
    let e = experiment(&load(&log_with(&events), TimeRange::All, now()).unwrap());
    assert!(e.enough_data);
    let d = e.latency_difference.as_ref().unwrap();
    assert!(d.significant && d.estimate < -550.0, "{d:?}");
    assert!(e.verdict.starts_with("webllm is 6"), "{}", e.verdict);
    assert!(
        e.verdict.contains("faster than motherduck-ai (95% CI"),
        "{}",
        e.verdict
    );
    assert!(
        e.verdict
            .contains("success rate difference not significant at n=40/40"),
        "{}",
        e.verdict
    );
    let per_query = e.control.cost_per_query.unwrap();
    assert!(
        (per_query - MOTHERDUCK_AI_COST_PER_QUERY).abs() < 1e-12,
        "{per_query}"
    );
}
