//! The Metrics view after a traffic run: `datagata traffic` fills the app's event log through the
//! same core, then the real window shows the plots per provider, the table and the experiment's
//! verdict for those stored events.

use std::time::Duration;

use datagata_e2e::App;

const LONG: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread")]
async fn metrics_show_the_traffic_runs_plots_and_verdict() {
    let home = tempfile::tempdir().unwrap();
    let out = App::cli(
        home.path(),
        &["traffic", "80", "0", "--concurrency", "2", "--seed", "3"],
    )
    .unwrap();
    assert!(
        out.status.success(),
        "traffic failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        table.contains("motherduck-ai") && table.contains("webllm"),
        "{table}"
    );
    let results: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("traffic-results-")
        })
        .collect();
    assert_eq!(results.len(), 1, "one results file");
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(results[0].path()).unwrap()).unwrap();
    assert_eq!(run["requests"].as_array().unwrap().len(), 80);
    assert_eq!(run["analysis"]["totalQueries"], 80);

    let app = App::start_in(home).await.expect("the app starts");
    app.text("#tier", LONG).await.unwrap();
    app.click("#tab-metrics").await.unwrap();
    let total = app
        .text_when("#metrics-total", LONG, |t| t.starts_with("80"))
        .await
        .unwrap();
    assert_eq!(total, "80 queries");
    // Without a LaunchDarkly SDK key the outbox says the events stay on this machine.
    let delivery = app.text("#metrics-delivery", LONG).await.unwrap();
    assert!(delivery.contains("kept on this machine only"), "{delivery}");
    for chart in ["#latency-histogram", "#latency-over-time"] {
        for provider in ["motherduck-ai", "webllm"] {
            let n = app
                .count(&format!("{chart} .series[data-provider=\"{provider}\"]"))
                .await
                .unwrap();
            assert!(n >= 1, "{chart} has no {provider} series");
        }
    }
    assert_eq!(
        app.count("#latency-over-time circle.point").await.unwrap(),
        80
    );
    assert_eq!(
        app.count("#metrics-table tr.provider-row").await.unwrap(),
        2
    );
    let verdict = app.text("#experiment-verdict", LONG).await.unwrap();
    let expected = run["analysis"]["experiment"]["verdict"].as_str().unwrap();
    assert_eq!(verdict, expected);
    let control_n: u64 = run["analysis"]["experiment"]["control"]["n"]
        .as_u64()
        .unwrap();
    let shown = app.text("#experiment-control-n", LONG).await.unwrap();
    assert!(
        shown.contains(&control_n.to_string()),
        "{shown} vs {control_n}"
    );
    app.close().await.unwrap();
}
