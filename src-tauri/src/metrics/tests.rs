//! Aggregation over a real (in-memory) event log: grouping, percentiles, time ranges, and the
//! experiment's verdicts at small and sufficient sample sizes.

use chrono::{Duration, TimeZone, Utc};
use datagata_ipc::metrics::{GenerationOutcome, QueryCompleted, TimeRange};
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
        generation: if success {
            GenerationOutcome::Ok
        } else {
            GenerationOutcome::Unavailable
        },
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
        runtime: None,
        backend: None,
        model: None,
        attempt: 1,
        in_experiment: true,
    }
}

/// The events, each asked by a user of its own (`u<i>@example.com`).
fn log_with(events: &[(i64, QueryCompleted)]) -> EventLog {
    let users: Vec<String> = (0..events.len())
        .map(|i| format!("u{i}@example.com"))
        .collect();
    log_by(
        events
            .iter()
            .zip(&users)
            .map(|((m, d), u)| (*m, u.as_str(), d.clone())),
    )
}

fn log_by<'a>(events: impl IntoIterator<Item = (i64, &'a str, QueryCompleted)>) -> EventLog {
    let log = EventLog::in_memory().unwrap();
    let base = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    for (minutes_ago, user, data) in events {
        let ctx = ContextBuilder::new(user).build().unwrap();
        let data = &data;
        let mut e = TrackedEvent::new(
            &ctx,
            QUERY_COMPLETED,
            serde_json::to_value(data).unwrap(),
            Some(data.latency_ms),
        );
        e.at = base - Duration::minutes(minutes_ago);
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
    let r = report(TimeRange::All, &loaded, None);
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
    let e = experiment(&load(&log, TimeRange::All, now()).unwrap(), None);
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
    let e = experiment(
        &load(&log_with(&events), TimeRange::All, now()).unwrap(),
        None,
    );
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
            .contains("success rate difference not significant at 40/40 users"),
        "{}",
        e.verdict
    );
    let per_query = e.control.cost_per_query.unwrap();
    assert!(
        (per_query - MOTHERDUCK_AI_COST_PER_QUERY).abs() < 1e-12,
        "{per_query}"
    );
}

#[test]
fn the_unit_is_the_user_and_only_the_experiments_questions_count() {
    let weights = vec![
        ("webllm".to_string(), 10000.0),
        ("motherduck-ai".to_string(), 90000.0),
    ];
    let mut events = Vec::new();
    let names: Vec<String> = (0..60).map(|i| format!("user{i}@example.com")).collect();
    // 36 control users asking 3 questions each (one slow user), 4 treatment users asking 5.
    for (i, u) in names.iter().take(36).enumerate() {
        for q in 0..3 {
            let latency = if i == 0 { 9000.0 } else { 900.0 + q as f64 };
            events.push((q, u.as_str(), completed(CONTROL, latency, true)));
        }
    }
    for u in names.iter().skip(36).take(4) {
        for q in 0..5 {
            events.push((q, u.as_str(), completed(TREATMENT, 300.0, true)));
        }
    }
    // Targeted or forced questions: beside the experiment, not in it.
    for u in names.iter().skip(40).take(3) {
        let mut outside = completed(TREATMENT, 1.0, true);
        outside.in_experiment = false;
        events.push((1, u.as_str(), outside));
    }
    let loaded = load(&log_by(events), TimeRange::All, now()).unwrap();
    let e = experiment(&loaded, Some(&weights));
    assert_eq!(e.unit, "user");
    assert_eq!((e.control.n, e.control.queries), (36, 108));
    assert_eq!((e.treatment.n, e.treatment.queries), (4, 20));
    assert_eq!((e.outside_queries, e.outside_users), (3, 3));
    // Per user: the slow user counts once (mean 9000), not three times.
    let expected = (9000.0 + 35.0 * 901.0) / 36.0;
    assert!((e.control.mean_latency.unwrap() - expected).abs() < 1e-9);
    let srm = e.srm.as_ref().unwrap();
    assert_eq!(srm.observed, vec![36, 4]);
    assert!(!srm.mismatch, "{srm:?}");
    assert!(
        srm.message.starts_with("Users per arm fit"),
        "{}",
        srm.message
    );

    // Half the users in the 10% arm: a sample ratio mismatch, said first in the verdict.
    let mut skewed = Vec::new();
    for (i, u) in names.iter().enumerate().take(60) {
        let arm = if i % 2 == 0 { CONTROL } else { TREATMENT };
        skewed.push((1, u.as_str(), completed(arm, 500.0, true)));
    }
    let e = experiment(
        &load(&log_by(skewed), TimeRange::All, now()).unwrap(),
        Some(&weights),
    );
    let srm = e.srm.as_ref().unwrap();
    assert!(srm.mismatch && srm.p_value < 1e-6, "{srm:?}");
    assert!(
        e.verdict.starts_with("Sample ratio mismatch"),
        "{}",
        e.verdict
    );
}
