//! Accessibility in the real window: axe-core (npm, a test-only dependency, injected through
//! WebDriver — never shipped in the app) audits every view with zero serious or critical
//! violations, and the tab bar works by keyboard (roles, arrow keys, the panel it controls).

use std::time::Duration;

use datagata_e2e::App;

const SHORT: Duration = Duration::from_secs(20);
const LONG: Duration = Duration::from_secs(90);

/// axe-core's bundle from the repository's node_modules (scripts/setup runs npm ci).
pub(crate) fn axe_source() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {} (run scripts/setup): {e}", path.display()))
}

/// Runs axe on the page as it is now; returns the serious and critical violations, described.
pub(crate) async fn audit(app: &App, axe: &str, view: &str) -> Vec<String> {
    app.client
        .execute(
            &format!("if (!window.axe) {{ {axe} }} return true;"),
            vec![],
        )
        .await
        .expect("axe-core loads into the page");
    let report = app
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { resultTypes: ["violations"] })
                 .then(r => done({ passes: r.passes.length, violations: r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary)
                 }))}))
                 .catch(e => done({ passes: 0, violations: [{ id: "axe-failed", impact: "critical", help: String(e), nodes: [] }] }));"#,
            vec![],
        )
        .await
        .expect("axe runs");
    // axe really ran: it checked rules that passed.
    assert!(
        report["passes"].as_u64().unwrap_or(0) > 10,
        "{view}: {report}"
    );
    let violations = report["violations"].as_array().cloned().unwrap_or_default();
    for v in &violations {
        eprintln!("{view}: axe {} ({}): {}", v["id"], v["impact"], v["help"]);
    }
    violations
        .into_iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            format!(
                "{view}: {} ({}): {} {}",
                v["id"], v["impact"], v["help"], v["nodes"]
            )
        })
        .collect()
}

async fn focused_id(app: &App) -> String {
    app.client
        .execute(
            "return document.activeElement && document.activeElement.id;",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_view_passes_axe_and_the_tabs_work_by_keyboard() {
    let axe = axe_source();
    let app = App::start().await.expect("the app starts");
    app.text("#tier", LONG).await.unwrap();
    let mut found = audit(&app, &axe, "dashboard").await;

    // The tab bar: roles, one tab in the tab order, arrow keys move and open.
    let tab = app
        .client
        .find(fantoccini::Locator::Css("#tab-dashboard"))
        .await
        .unwrap();
    assert_eq!(tab.attr("role").await.unwrap().as_deref(), Some("tab"));
    assert_eq!(tab.attr("tabindex").await.unwrap().as_deref(), Some("0"));
    let panel = tab.attr("aria-controls").await.unwrap().unwrap();
    let panel_role = app
        .client
        .find(fantoccini::Locator::Css(&format!("#{panel}")))
        .await
        .unwrap()
        .attr("role")
        .await
        .unwrap();
    assert_eq!(panel_role.as_deref(), Some("tabpanel"));
    tab.click().await.unwrap();
    tab.send_keys("\u{E014}").await.unwrap(); // ArrowRight
    let deadline = std::time::Instant::now() + SHORT;
    while focused_id(&app).await != "tab-query" {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            focused_id(&app).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let query = app
        .client
        .find(fantoccini::Locator::Css("#tab-query"))
        .await
        .unwrap();
    assert_eq!(
        query.attr("aria-selected").await.unwrap().as_deref(),
        Some("true")
    );
    assert_eq!(tab.attr("tabindex").await.unwrap().as_deref(), Some("-1"));
    // End goes to the last tab, Home back to the first.
    query.send_keys("\u{E010}").await.unwrap();
    let deadline = std::time::Instant::now() + SHORT;
    while focused_id(&app).await == "tab-query" {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let last = focused_id(&app).await;
    assert!(
        last.starts_with("tab-") && last != "tab-dashboard",
        "{last}"
    );

    // Each view, with something in it.
    app.open_query_tab().await.unwrap();
    app.set_sql("SELECT payment_type, count(*) AS n FROM taxi GROUP BY 1")
        .await
        .unwrap();
    app.screenshot("access-query-typed").await.unwrap();
    app.click("#run-query").await.unwrap();
    app.text_when("#result-summary", LONG, |t| t.starts_with("4 rows"))
        .await
        .unwrap();
    found.extend(audit(&app, &axe, "query").await);
    app.click("#tab-ask").await.unwrap();
    app.text("#ai-question", LONG).await.unwrap();
    found.extend(audit(&app, &axe, "ask").await);
    app.click("#tab-metrics").await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    found.extend(audit(&app, &axe, "metrics").await);
    app.screenshot("access-metrics").await.unwrap();
    assert!(found.is_empty(), "{}", found.join("\n"));

    // The audit can fail: an input without a label is caught.
    app.client
        .execute(
            "const i = document.createElement('input'); i.id = 'unlabelled'; \
             document.querySelector('main').appendChild(i); return true;",
            vec![],
        )
        .await
        .unwrap();
    let caught = audit(&app, &axe, "planted").await;
    assert!(
        caught
            .iter()
            .any(|v| v.contains("\"label\"") && v.contains("unlabelled")),
        "{caught:?}"
    );
    app.close().await.unwrap();
}
