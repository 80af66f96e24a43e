//! Nothing lost across `kill -9`: `datagata traffic` runs against the LaunchDarkly stand-in on
//! 127.0.0.1 and is killed mid-run, twice; more runs follow until the local log holds at least
//! 10,000 events; `datagata events --send` then delivers what is left. Every event the log holds
//! must have reached the stand-in exactly once, counted as LaunchDarkly counts (a payload id seen
//! before is a retry).

use std::{
    collections::BTreeMap,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use datagata::flags::events::{Delivery, EventLog};

mod common;

#[allow(dead_code)]
#[path = "../src/flags/fake_launchdarkly.rs"]
mod fake_launchdarkly;

use fake_launchdarkly::FakeLaunchDarkly;

const EVENTS: usize = 10_000;

fn datagata(url: &str, data: &Path, models: &Path) -> Command {
    let mut cmd = common::datagata();
    cmd.env("DATAGATA_DATA_DIR", data)
        // No GGUF model: local answers are recorded as unavailable, quickly.
        .env("DATAGATA_MODELS_DIR", models)
        .env("LAUNCHDARKLY_SDK_KEY", "sdk-kill-test")
        .env("LAUNCHDARKLY_RELAY_PROXY", url)
        .arg("--db")
        .arg(data.join("datagata.duckdb"));
    cmd
}

/// Custom events the stand-in kept, as canonical JSON → how many times.
async fn received(fake: &FakeLaunchDarkly) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for e in fake.deduplicated_events().await {
        if e["kind"] == "custom" {
            *counts.entry(e.to_string()).or_default() += 1;
        }
    }
    counts
}

async fn custom_received(fake: &FakeLaunchDarkly) -> usize {
    fake.events()
        .await
        .iter()
        .filter(|e| e["kind"] == "custom")
        .count()
}

fn stored(db: &Path) -> usize {
    EventLog::open(db)
        .unwrap()
        .recent(usize::MAX >> 1)
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_loses_no_event_and_sends_none_twice() {
    let flags: serde_json::Value =
        serde_json::from_str(include_str!("../flags/default.json")).unwrap();
    let fake = FakeLaunchDarkly::start(flags).await;
    let data = tempfile::tempdir().unwrap();
    let models = tempfile::tempdir().unwrap();
    let db = data.path().join("datagata.duckdb");
    let out = datagata(&fake.url, data.path(), models.path())
        .args(["data", "generate", "--rows", "2000"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let deadline = Instant::now() + Duration::from_secs(600);
    let mut kills = 0;
    while stored(&db) < EVENTS {
        assert!(Instant::now() < deadline, "the runs took too long");
        let mut child = datagata(&fake.url, data.path(), models.path())
            .args(["traffic", "4000", "0", "--concurrency", "2", "--out"])
            .arg(data.path().join("run.json"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if kills < 2 {
            // Killed once the stand-in has some of this run's events: mid-run, mid-delivery.
            let before = custom_received(&fake).await;
            let wait = Instant::now() + Duration::from_secs(120);
            while custom_received(&fake).await < before + 1_000 && Instant::now() < wait {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(kills > 0 || status.success(), "traffic failed: {status}");
    }
    assert_eq!(kills, 2);
    let send = datagata(&fake.url, data.path(), models.path())
        .args(["events", "--send", "--timeout-s", "120"])
        .output()
        .unwrap();
    assert!(
        send.status.success(),
        "events --send: {}\n{}",
        String::from_utf8_lossy(&send.stdout),
        String::from_utf8_lossy(&send.stderr)
    );

    let log = EventLog::open(&db).unwrap();
    let held = log.recent(usize::MAX >> 1).unwrap();
    assert!(held.len() >= EVENTS, "{}", held.len());
    assert_eq!(log.in_state(Delivery::Pending).unwrap().len(), 0);
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for e in &held {
        *expected.entry(e.to_launchdarkly().to_string()).or_default() += 1;
    }
    let got = received(&fake).await;
    let lost: usize = expected
        .iter()
        .map(|(k, n)| n.saturating_sub(got.get(k).copied().unwrap_or(0)))
        .sum();
    let twice: usize = got
        .iter()
        .map(|(k, n)| n.saturating_sub(expected.get(k).copied().unwrap_or(0)))
        .sum();
    eprintln!(
        "{} events held across {kills} kill -9s; {} payloads received; lost {lost}, extra {twice}",
        held.len(),
        fake.payloads().await.len()
    );
    assert_eq!((lost, twice), (0, 0));
}
