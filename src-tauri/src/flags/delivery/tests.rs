//! Delivery against the LaunchDarkly stand-in on 127.0.0.1: events go out once, in the SDK's
//! format, under a payload id; a stand-in that fails (500, 429, dropped connections, too slow)
//! leaves them pending until it recovers; a refused key stops delivery; a malformed payload is
//! marked rejected; what an earlier session left pending goes out first.

use std::{sync::Arc, time::Duration};

use launchdarkly_server_sdk::ContextBuilder;
use serde_json::{Value, json};

use super::*;
use crate::flags::{
    events::TrackedEvent,
    fake_launchdarkly::{FakeLaunchDarkly, Fault},
};

fn config(url: &str) -> DeliveryConfig {
    DeliveryConfig {
        interval: Duration::from_millis(100),
        max_backoff: Duration::from_millis(200),
        request_timeout: Duration::from_millis(500),
        ..DeliveryConfig::new(url, "sdk-test-key")
    }
}

fn event(i: usize) -> TrackedEvent {
    let ctx = ContextBuilder::new(format!("u{i}@example.com"))
        .build()
        .unwrap();
    TrackedEvent::new(&ctx, "query-completed", json!({"i": i}), Some(i as f64))
}

/// Waits (bounded) until `done`.
async fn eventually(mut done: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..200 {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn numbers(events: &[Value]) -> Vec<u64> {
    let mut n: Vec<u64> = events
        .iter()
        .map(|e| e["data"]["i"].as_u64().unwrap())
        .collect();
    n.sort();
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_events_reach_launchdarkly_once_and_are_marked_sent() {
    let fake = FakeLaunchDarkly::start(json!({"flags": {}, "segments": {}})).await;
    let log = Arc::new(EventLog::in_memory().unwrap());
    let deliverer = Deliverer::start(log.clone(), config(&fake.url));
    for i in 0..25 {
        log.append(&event(i)).unwrap();
    }
    assert!(eventually(async || log.delivery_counts().unwrap().sent == 25).await);
    let payloads = fake.payloads().await;
    assert!(payloads.iter().all(|p| p.id.is_some()));
    assert!(
        payloads
            .iter()
            .all(|p| p.authorization.as_deref() == Some("sdk-test-key"))
    );
    let events = fake.events().await;
    assert_eq!(numbers(&events), (0..25).collect::<Vec<_>>());
    let first = events.iter().find(|e| e["data"]["i"] == 3).unwrap();
    assert_eq!(first["kind"], "custom");
    assert_eq!(first["contextKeys"]["user"], "u3@example.com");
    assert_eq!(first["metricValue"], 3.0);
    assert_eq!(deliverer.report().sent_this_session, 25);
    assert_eq!(deliverer.report().last_error, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_launchdarkly_keeps_events_pending_until_it_recovers() {
    for fault in [
        Fault::Status(500),
        Fault::Status(429),
        Fault::Drop,
        Fault::Slow(Duration::from_millis(1_500)),
    ] {
        let fake = FakeLaunchDarkly::start(json!({"flags": {}, "segments": {}})).await;
        fake.set_fault(fault);
        let log = Arc::new(EventLog::in_memory().unwrap());
        let deliverer = Deliverer::start(log.clone(), config(&fake.url));
        for i in 0..10 {
            log.append(&event(i)).unwrap();
        }
        // Tried and failed: still pending, and the failure is reported.
        assert!(
            eventually(async || deliverer.report().last_error.is_some()).await,
            "{fault:?}"
        );
        assert_eq!(log.delivery_counts().unwrap().pending, 10, "{fault:?}");
        fake.set_fault(Fault::None);
        assert!(
            eventually(async || log.delivery_counts().unwrap().sent == 10).await,
            "{fault:?}: {:?}",
            deliverer.report()
        );
        // A slow answer may have arrived after the app gave up and resent: LaunchDarkly keeps
        // one copy per payload id, and that is every event exactly once.
        assert_eq!(
            numbers(&fake.deduplicated_events().await),
            (0..10).collect::<Vec<_>>(),
            "{fault:?}"
        );
        assert_eq!(deliverer.report().last_error, None, "{fault:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_stops_delivery_and_keeps_the_events() {
    let fake = FakeLaunchDarkly::start(json!({"flags": {}, "segments": {}})).await;
    fake.set_fault(Fault::Status(401));
    let log = Arc::new(EventLog::in_memory().unwrap());
    let deliverer = Deliverer::start(log.clone(), config(&fake.url));
    log.append(&event(1)).unwrap();
    assert!(eventually(async || deliverer.report().stopped).await);
    assert!(deliverer.report().last_error.unwrap().contains("SDK key"));
    assert_eq!(log.delivery_counts().unwrap().pending, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_payload_is_rejected_not_retried_forever() {
    let fake = FakeLaunchDarkly::start(json!({"flags": {}, "segments": {}})).await;
    fake.set_fault(Fault::Status(400));
    let log = Arc::new(EventLog::in_memory().unwrap());
    let _deliverer = Deliverer::start(log.clone(), config(&fake.url));
    log.append(&event(1)).unwrap();
    assert!(eventually(async || log.delivery_counts().unwrap().rejected == 1).await);
    assert_eq!(log.delivery_counts().unwrap().pending, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn what_an_earlier_session_left_pending_goes_out_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.duckdb");
    let fake = FakeLaunchDarkly::start(json!({"flags": {}, "segments": {}})).await;
    {
        // A session that never reached LaunchDarkly (it was down).
        fake.set_fault(Fault::Drop);
        let log = Arc::new(EventLog::open(&path).unwrap());
        let deliverer = Deliverer::start(log.clone(), config(&fake.url));
        for i in 0..5 {
            log.append(&event(i)).unwrap();
        }
        log.sync();
        deliverer.close();
        assert_eq!(log.delivery_counts().unwrap().pending, 5);
    }
    fake.set_fault(Fault::None);
    let log = Arc::new(EventLog::open(&path).unwrap());
    let _deliverer = Deliverer::start(log.clone(), config(&fake.url));
    assert!(eventually(async || log.delivery_counts().unwrap().sent == 5).await);
    assert_eq!(
        numbers(&fake.deduplicated_events().await),
        (0..5).collect::<Vec<_>>()
    );
}
