//! The live path against a stand-in of LaunchDarkly on 127.0.0.1: flags arrive over the stream,
//! a pushed change changes the next evaluation, events arrive with email redacted, and without
//! the service the last data received is used, then the embedded file.

use std::time::Duration;

use serde_json::{Value, json};

use super::{fake_launchdarkly::FakeLaunchDarkly, *};
use crate::context::{self, Session};
use datagata_ipc::{DeviceType, Profile, Tier};

/// The shipped data with one visible difference: pivot tables switched off for everyone.
fn served_data() -> Value {
    let mut data: Value = serde_json::from_str(EMBEDDED_FLAGS).unwrap();
    data["flags"]["pivot-table-access"]["on"] = json!(false);
    data["flags"]["pivot-table-access"]["version"] = json!(2);
    data
}

fn premium() -> launchdarkly_server_sdk::Context {
    let profile = Profile {
        email: "ana@example.com".into(),
        tier: Tier::Premium,
        ..Profile::default()
    };
    let device = context::test_device(DeviceType::Desktop);
    let session = Session {
        id: "live-session".into(),
        started_at: chrono::Utc::now(),
        region: "EU".into(),
        ai_provider: None,
    };
    context::build(&profile, &device, &session, None).unwrap()
}

fn config(url: &str, last_known_good: std::path::PathBuf) -> LiveConfig {
    LiveConfig {
        sdk_key: "sdk-fake-key".into(),
        endpoints: Some(Endpoints::relay_proxy(url)),
        last_known_good,
        connect_timeout: Duration::from_secs(5),
    }
}

async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_flags_tracks_events_and_keeps_the_last_known_good() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("flags-last-known-good.json");
    let ctx = premium();

    {
        let fake = FakeLaunchDarkly::start(served_data()).await;
        let flags = Flags::open_live(&config(&fake.url, saved.clone()))
            .await
            .unwrap();
        assert_eq!(
            flags.source().kind,
            FlagSourceKind::Live,
            "{:?}",
            flags.source()
        );

        // The served data, not the embedded file, answers.
        let e = flags.evaluate(&ctx, "pivot-table-access");
        assert_eq!(
            (e.value.clone(), e.reason["kind"].as_str()),
            (json!(false), Some("OFF"))
        );

        // A change pushed over the stream changes the next evaluation.
        let mut flag = served_data()["flags"]["pivot-table-access"].clone();
        flag["on"] = json!(true);
        flag["version"] = json!(3);
        fake.patch_flag(&flag);
        assert!(
            eventually(|| flags.evaluate(&ctx, "pivot-table-access").value == json!(true)).await,
            "the patch never took effect"
        );

        // The SDK's own events (evaluations, with the context indexed) reach the events
        // endpoint with the email attribute redacted wherever a context is sent.
        assert!(flags.flush(Duration::from_secs(5)).await);
        assert!(
            fake.wait_for_event(|e| e["context"]["user"].is_object())
                .await
                .is_some(),
            "no event carried the full context: {:?}",
            fake.events().await
        );
        let events = fake.events().await;
        for e in events.iter().filter(|e| e["context"]["user"].is_object()) {
            let user = &e["context"]["user"];
            assert!(user.get("email").is_none(), "email leaked: {user}");
            assert_eq!(
                user["_meta"]["redactedAttributes"],
                json!(["email"]),
                "{user}"
            );
            assert_eq!(user["tier"], "premium");
        }

        // Custom events go through the outbox to the same endpoint: key, metric value, data and
        // the context keys (never attributes), under a payload id.
        let log = std::sync::Arc::new(events::EventLog::in_memory().unwrap());
        let deliverer = delivery::Deliverer::start(
            log.clone(),
            delivery::DeliveryConfig::new(&fake.url, "sdk-fake-key"),
        );
        let data = json!({"provider": "motherduck-ai", "success": true});
        log.append(&events::TrackedEvent::new(
            &ctx,
            "query-completed",
            data.clone(),
            Some(812.5),
        ))
        .unwrap();
        let custom = fake
            .wait_for_event(|e| e["kind"] == "custom" && e["key"] == "query-completed")
            .await
            .expect("the custom event arrived");
        assert_eq!(custom["metricValue"], json!(812.5));
        assert_eq!(custom["data"], data);
        assert_eq!(custom["contextKeys"]["user"], "ana@example.com");
        assert_eq!(custom["contextKeys"]["session"], "live-session");
        assert!(!custom.to_string().contains("tier"), "{custom}");
        deliverer.close();
        // What was received is on disk.
        let on_disk = FlagStore::from_file(&saved).unwrap();
        assert!(
            on_disk
                .flag_keys()
                .contains(&"pivot-table-access".to_string())
        );
    }

    // The service is gone: the last data received (including the patch) is used, and said so.
    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let mut offline = config(&gone, saved.clone());
    offline.connect_timeout = Duration::from_secs(1);
    let flags = Flags::open_live(&offline).await.unwrap();
    assert_eq!(
        flags.source().kind,
        FlagSourceKind::LastKnownGood,
        "{:?}",
        flags.source()
    );
    assert!(
        flags.source().detail.contains("did not answer"),
        "{}",
        flags.source().detail
    );
    assert_eq!(
        flags.evaluate(&ctx, "pivot-table-access").value,
        json!(true)
    );

    // Nothing saved either: the embedded file.
    offline.last_known_good = dir.path().join("none.json");
    let flags = Flags::open_live(&offline).await.unwrap();
    assert_eq!(flags.source().kind, FlagSourceKind::Embedded);
    assert!(
        flags.source().detail.contains("nothing saved yet"),
        "{}",
        flags.source().detail
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_without_the_service_goes_live_when_it_comes() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut cfg = config(
        &format!("http://127.0.0.1:{port}"),
        dir.path().join("lkg.json"),
    );
    cfg.connect_timeout = Duration::from_millis(300);
    let flags = Flags::open_live(&cfg).await.unwrap();
    assert_eq!(flags.source().kind, FlagSourceKind::Embedded);
    assert!(
        flags.source().detail.contains("still trying"),
        "{}",
        flags.source().detail
    );
    let ctx = premium();
    assert_eq!(
        flags.evaluate(&ctx, "pivot-table-access").value,
        json!(true),
        "the embedded flags answer meanwhile"
    );
    // The service comes up: the SDK's stream retry connects, and its data answers from then on.
    let _fake = FakeLaunchDarkly::start_on(port, served_data()).await;
    let mut live = false;
    for _ in 0..300 {
        if flags.source().kind == FlagSourceKind::Live {
            live = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(live, "never went live: {:?}", flags.source());
    assert_eq!(
        flags.evaluate(&ctx, "pivot-table-access").value,
        json!(false)
    );
    assert!(dir.path().join("lkg.json").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_is_said_as_such() {
    // A service that answers every request with 401, as LaunchDarkly does for a wrong key.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(
                    b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let flags = Flags::open_live(&config(&url, dir.path().join("lkg.json")))
        .await
        .unwrap();
    server.abort();
    assert_eq!(flags.source().kind, FlagSourceKind::Embedded);
    assert!(
        flags.source().detail.contains("refused"),
        "{}",
        flags.source().detail
    );
}

#[test]
fn live_config_from_the_environment_shape() {
    let relay = Endpoints::relay_proxy("http://relay:8030/");
    assert_eq!(relay.streaming, "http://relay:8030");
    assert_eq!(relay.events, "http://relay:8030");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misbehaving_service_leaves_the_last_known_good_flags_in_force() {
    use super::fake_launchdarkly::Fault;
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("lkg.json");
    std::fs::write(&saved, served_data().to_string()).unwrap();
    let ctx = premium();
    for fault in [
        Fault::Status(500),
        Fault::Status(429),
        Fault::Drop,
        Fault::Slow(Duration::from_secs(3)),
    ] {
        let fake = FakeLaunchDarkly::start(json!({"flags": {}, "segments": {}})).await;
        fake.set_fault(fault);
        let mut cfg = config(&fake.url, saved.clone());
        cfg.connect_timeout = Duration::from_millis(700);
        let flags = Flags::open_live(&cfg).await.unwrap();
        assert_eq!(
            flags.source().kind,
            FlagSourceKind::LastKnownGood,
            "{fault:?}: {:?}",
            flags.source()
        );
        // The saved data (pivot tables off), not the embedded file (on), answers.
        assert_eq!(
            flags.evaluate(&ctx, "pivot-table-access").value,
            json!(false),
            "{fault:?}"
        );
        // Nothing received, so the saved copy is untouched.
        assert_eq!(
            FlagStore::from_file(&saved).unwrap().flag_keys(),
            FlagStore::from_json(&served_data().to_string())
                .unwrap()
                .flag_keys()
        );
    }
}
