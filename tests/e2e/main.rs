//! End-to-end: the real app window, its Yew UI and the IPC round trip to the Rust backend.

use std::{process::Command, time::Duration};

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
    assert_eq!(memory, format!("{:.1} GiB", expected.memory_gib()));
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
