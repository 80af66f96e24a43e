//! End-to-end: the real app window, its Yew UI and the IPC round trip to the Rust backend.

use std::{process::Command, time::Duration};

mod access;
mod ask;
mod chart;
mod gguf;
mod installed;
mod instance;
mod metrics;
mod native;
mod query;
mod settings;

use datagata_e2e::{App, app_binary};
use datagata_ipc::DeviceFacts;

/// What the CLI reports for this machine (`datagata device --json`).
fn cli_facts() -> DeviceFacts {
    let out = Command::new(app_binary().unwrap())
        .args(["device", "--json"])
        .output()
        .expect("running datagata device --json");
    assert!(
        out.status.success(),
        "datagata device --json failed: {out:?}"
    );
    serde_json::from_slice(&out.stdout).expect("datagata device --json prints DeviceFacts")
}

#[tokio::test(flavor = "multi_thread")]
async fn device_panel_shows_what_the_cli_reports() {
    let expected = cli_facts();
    let app = App::start()
        .await
        .expect("the app starts under tauri-driver");

    // The Yew shell rendered.
    let title = app
        .text(".app-header h1", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(title, "DataGata");

    // Filled by the device_facts command: if the IPC round trip breaks, these never appear
    // (the panel shows the error instead) and the wait fails.
    let cores = app.text("#machine-cores", Duration::from_secs(30)).await;
    let cores = match cores {
        Ok(c) => c,
        Err(e) => {
            let status = app
                .text("#machine-status", Duration::from_secs(1))
                .await
                .unwrap_or_default();
            panic!("device facts never arrived ({e}); panel says: {status}");
        }
    };
    assert!(
        cores.starts_with(&format!("{} logical", expected.cpu_cores)),
        "UI shows cores {cores:?}, CLI reports {}",
        expected.cpu_cores
    );
    let memory = app
        .text("#machine-memory", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(memory, datagata_ipc::data::bytes(expected.memory_bytes));
    let device_type = app
        .text("#machine-device-type", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(device_type, expected.device_type.to_string());

    // The WebView's WebGPU probe completes and is reported back through report_webgpu, whatever
    // its answer on this machine.
    let webgpu = app
        .text_when("#webgpu-status", Duration::from_secs(30), |t| {
            !t.starts_with("Checking")
        })
        .await
        .unwrap();
    assert!(webgpu.starts_with("WebGPU "), "{webgpu}");
    if webgpu.starts_with("WebGPU not available") {
        let detail = app
            .text("#webgpu-detail", Duration::from_secs(5))
            .await
            .unwrap();
        assert!(!detail.is_empty());
        eprintln!("this WebView: {webgpu} — {detail}");
    }

    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn switching_the_profile_unlocks_features_with_their_reasons() {
    let app = App::start()
        .await
        .expect("the app starts under tauri-driver");
    let long = Duration::from_secs(60);
    let short = Duration::from_secs(10);

    // A first launch: the default trial profile, its locked features, and why.
    app.text("#first-launch", long)
        .await
        .expect("a first launch asks for a profile");
    assert_eq!(app.text("#tier", short).await.unwrap(), "trial");
    for key in [
        "pivot-table-access",
        "data-materialization",
        "webllm-access",
    ] {
        assert_eq!(
            app.text(&format!("#feature-{key}-state"), short)
                .await
                .unwrap(),
            "Locked",
            "{key}"
        );
        let why = app
            .text(&format!("#feature-{key}-why"), short)
            .await
            .unwrap();
        assert_eq!(why, "no rule matched, so the default applies", "{key}");
    }
    let ai = app.text("#feature-ai-config-value", short).await.unwrap();
    assert!(ai.starts_with("motherduck-ai"), "{ai}");
    let source = app.text("#flag-source", short).await.unwrap();
    assert!(source.contains("shipped with the app"), "{source}");

    // Premium on a desktop: everything unlocks, each with the rule that did it.
    app.select("#profile-tier", "premium").await.unwrap();
    app.select("#profile-role", "admin").await.unwrap();
    app.select("#profile-device", "desktop").await.unwrap();
    app.click("#profile-save").await.unwrap();
    app.text_when("#tier", short, |t| t == "premium")
        .await
        .unwrap();
    assert_eq!(
        app.text("#feature-pivot-table-access-state", short)
            .await
            .unwrap(),
        "Unlocked"
    );
    assert_eq!(
        app.text("#feature-pivot-table-access-why", short)
            .await
            .unwrap(),
        "rule 1 matched: Paid tiers (starter, premium)"
    );
    assert_eq!(
        app.text("#feature-data-materialization-state", short)
            .await
            .unwrap(),
        "Unlocked"
    );
    assert_eq!(
        app.text("#feature-webllm-access-state", short)
            .await
            .unwrap(),
        "Unlocked"
    );
    assert_eq!(
        app.text("#feature-webllm-access-why", short).await.unwrap(),
        "rule 2 matched: Premium tier on a desktop or laptop"
    );
    let ai = app.text("#feature-ai-config-value", short).await.unwrap();
    assert!(ai.starts_with("webllm"), "{ai}");
    assert!(
        app.client
            .find(fantoccini::Locator::Css("#first-launch"))
            .await
            .is_err()
    );

    // A bad email is refused with the reason, and nothing changes.
    let email = app
        .client
        .find(fantoccini::Locator::Css("#profile-email"))
        .await
        .unwrap();
    email.clear().await.unwrap();
    email.send_keys("not-an-email").await.unwrap();
    app.click("#profile-save").await.unwrap();
    let error = app.text("#profile-error", short).await.unwrap();
    assert!(error.contains("not an email address"), "{error}");
    assert_eq!(app.text("#tier", short).await.unwrap(), "premium");

    // An organization whose contract value is not a number is stopped before it is sent; with a
    // number it saves.
    email.clear().await.unwrap();
    email.send_keys("ana@example.com").await.unwrap();
    app.click("#profile-has-org").await.unwrap();
    let find = |css: &'static str| {
        app.client
            .wait()
            .at_most(short)
            .for_element(fantoccini::Locator::Css(css))
    };
    find("#profile-org-name")
        .await
        .unwrap()
        .send_keys("Yellow Cab Co")
        .await
        .unwrap();
    let value = find("#profile-org-value").await.unwrap();
    // The field starts at 0: erase it, as a person would.
    value
        .send_keys(&String::from(char::from(fantoccini::key::Key::Backspace)))
        .await
        .unwrap();
    app.click("#profile-save").await.unwrap();
    let error = app.text("#profile-input-error", short).await.unwrap();
    assert!(error.contains("must be a number"), "{error}");
    value.send_keys("60000").await.unwrap();
    app.click("#profile-save").await.unwrap();
    // Saved: the organization is now in the context the flags were evaluated for.
    let mut context = String::new();
    for _ in 0..50 {
        context = find("#context-json")
            .await
            .unwrap()
            .html(true)
            .await
            .unwrap();
        if context.contains("Yellow Cab Co") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(context.contains("\"organization\""), "{context}");
    assert!(
        context.contains("yellow-cab-co"),
        "the key is derived from the name: {context}"
    );
    let gone = |css: &'static str| app.client.find(fantoccini::Locator::Css(css));
    assert!(gone("#profile-input-error").await.is_err());
    assert!(gone("#profile-error").await.is_err());

    app.close().await.unwrap();
}
