//! Charts of a result in the real window: a grouped query is drawn as bars on a canvas (Chart.js
//! counted the bars; the bars' colour is on the canvas), the caption says what it shows, the kind
//! switches from the keyboard, a time column makes a line whose y column can be chosen, and Save
//! writes a real PNG and a real SVG — all under the app's CSP, with no refusal; the Ask tab's answer
//! is charted by the same component.

use std::time::{Duration, Instant};

use datagata_e2e::App;
use fantoccini::Locator;

const SHORT: Duration = Duration::from_secs(20);
const LONG: Duration = Duration::from_secs(90);

/// The value of attribute `name` of `css`, once `done` holds (the view re-renders as it goes).
async fn attr_when(app: &App, css: &str, name: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + LONG;
    let mut last = None;
    loop {
        if let Ok(el) = app.client.find(Locator::Css(css)).await
            && let Ok(value) = el.attr(name).await
        {
            let value = value.unwrap_or_default();
            if done(&value) {
                return value;
            }
            last = Some(value);
        }
        assert!(Instant::now() < deadline, "{css}[{name}] is {last:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// What the canvas shows: Chart.js's kind and points, the canvas's size, and how many of its
/// pixels have exactly the series' colour (the bars' fill, the line's and dots' colour).
async fn drawn(app: &App, canvas: &str) -> serde_json::Value {
    app.client
        .execute(
            "const c = document.querySelector(arguments[0]);
             const info = window.datagataChart.info(c);
             const hex = getComputedStyle(document.documentElement)
                 .getPropertyValue('--tok-keyword').trim().replace('#', '');
             const rgb = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             let mark = 0;
             for (let i = 0; i < d.length; i += 4) {
               if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2] && d[i + 3] === 255) mark++;
             }
             return { kind: info && info.kind, points: info && info.points, mark,
                      width: c.width, height: c.height };",
            vec![serde_json::json!(canvas)],
        )
        .await
        .unwrap()
}

/// A screenshot with the chart in view.
async fn shot(app: &App, name: &str) {
    // Scrolled, then two animation frames and a moment: WebKitGTK's snapshot under a loaded Xvfb
    // otherwise can show the frame before.
    app.client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             document.querySelector('#results-chart').scrollIntoView({ block: 'center' });
             requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 400)));",
            vec![],
        )
        .await
        .unwrap();
    app.screenshot(name).await.unwrap();
}

async fn run(app: &App, sql: &str) {
    app.set_sql(sql).await.unwrap();
    app.click("#run-query").await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grouped_query_is_charted_switched_and_saved() {
    let app = App::start().await.expect("the app starts");
    app.text("#tier", LONG).await.unwrap();
    app.open_query_tab().await.unwrap();

    // payment_type is an integer key of a GROUP BY: bars, one per payment type.
    run(
        &app,
        "SELECT payment_type, count(*) AS trips FROM taxi GROUP BY 1 ORDER BY 1",
    )
    .await;
    app.text_when("#result-summary", LONG, |t| t.starts_with("4 rows"))
        .await
        .unwrap();
    attr_when(&app, "#results-chart", "data-kind", |k| k == "bar").await;
    let caption = app
        .text_when("#results-chart-summary", SHORT, |t| {
            t.starts_with("Bar chart of trips by payment_type: 4 bars.")
        })
        .await
        .unwrap();
    assert!(caption.contains("Highest: 1 ("), "{caption}");
    let label = attr_when(&app, "#results-chart-canvas", "aria-label", |l| {
        !l.is_empty()
    })
    .await;
    assert_eq!(
        label, caption,
        "the canvas's text alternative is the caption"
    );
    let bars = drawn(&app, "#results-chart-canvas").await;
    assert_eq!(bars["kind"], "bar", "{bars}");
    assert_eq!(bars["points"], 4, "{bars}");
    assert!(bars["width"].as_u64().unwrap() > 200, "{bars}");
    assert!(
        bars["mark"].as_u64().unwrap() > 1_000,
        "bars are painted: {bars}"
    );
    assert_eq!(
        app.client
            .find(Locator::Css("#results-chart-bar"))
            .await
            .unwrap()
            .attr("aria-pressed")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    shot(&app, "chart-bar").await;

    // Saved as PNG (Chart.js, 1200×600 on white) and SVG (drawn from the same data).
    let out = tempfile::tempdir().unwrap();
    let png = out.path().join("trips.png");
    app.fill("#results-chart-path", &png.display().to_string())
        .await
        .unwrap();
    app.click("#results-chart-png").await.unwrap();
    app.text_when("#results-chart-saved", SHORT, |t| t.contains("trips.png"))
        .await
        .unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let size = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!((size(16), size(20)), (1200, 600), "IHDR width × height");
    assert!(bytes.len() > 5_000, "{} bytes", bytes.len());
    let svg_path = out.path().join("trips.svg");
    app.fill("#results-chart-path", &svg_path.display().to_string())
        .await
        .unwrap();
    app.click("#results-chart-svg").await.unwrap();
    app.text_when("#results-chart-saved", SHORT, |t| t.contains("trips.svg"))
        .await
        .unwrap();
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("class=\"bar\"").count(), 4, "{svg}");
    assert!(svg.contains(&caption), "the SVG's <desc> is the caption");
    // Kept beside the screenshots for a person to look at.
    let keep = std::env::var_os("DATAGATA_SCREENSHOT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("datagata-e2e-screenshots"));
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::copy(&png, keep.join("chart-saved.png")).unwrap();
    std::fs::copy(&svg_path, keep.join("chart-saved.svg")).unwrap();
    // An existing file is never overwritten.
    app.click("#results-chart-svg").await.unwrap();
    let refused = app.text("#results-chart-save-error", SHORT).await.unwrap();
    assert!(refused.contains("already exists"), "{refused}");

    // The kind switches from the keyboard (Enter on the focused button), and by a click.
    app.client
        .find(Locator::Css("#results-chart-line"))
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    attr_when(&app, "#results-chart", "data-kind", |k| k == "line").await;
    app.text_when("#results-chart-summary", SHORT, |t| {
        t.starts_with("Line chart of trips over payment_type: 4 points.")
    })
    .await
    .unwrap();
    assert_eq!(drawn(&app, "#results-chart-canvas").await["kind"], "line");
    app.click("#results-chart-scatter").await.unwrap();
    attr_when(&app, "#results-chart", "data-kind", |k| k == "scatter").await;
    let dots = drawn(&app, "#results-chart-canvas").await;
    assert_eq!(
        (dots["kind"].as_str(), dots["points"].as_u64()),
        (Some("scatter"), Some(4))
    );

    // A date column and two numbers: a line over the days, its y column chosen.
    run(
        &app,
        "SELECT tpep_pickup_datetime::DATE AS day, count(*) AS trips, avg(fare_amount) AS fare \
         FROM taxi GROUP BY 1 ORDER BY 1",
    )
    .await;
    attr_when(&app, "#results-chart", "data-kind", |k| k == "line").await;
    app.text_when("#results-chart-summary", LONG, |t| {
        t.starts_with("Line chart of trips over day:")
    })
    .await
    .unwrap();
    app.select("#results-chart-y", "2").await.unwrap();
    let caption = app
        .text_when("#results-chart-summary", SHORT, |t| {
            t.starts_with("Line chart of fare over day:")
        })
        .await
        .unwrap();
    assert!(
        caption.contains("day from 2024-01-01 to 2024-01-31"),
        "{caption}"
    );
    let line = drawn(&app, "#results-chart-canvas").await;
    assert_eq!(line["kind"], "line", "{line}");
    assert!(
        line["mark"].as_u64().unwrap() > 50,
        "the line is painted: {line}"
    );
    shot(&app, "chart-line").await;

    let refused = app
        .client
        .execute("return window.datagataCspViolations;", vec![])
        .await
        .unwrap();
    assert_eq!(refused, serde_json::json!([]), "the CSP refused something");
    app.close().await.unwrap();
}

/// The Ask tab's answer gets the same chart: the native engine (SmolLM2-135M from
/// `DATAGATA_MODELS_DIR`, where scripts/setup puts it) writes SQL, the person replaces it with a
/// grouped query before running it (the small model's own SQL varies), and the answer's rows are
/// drawn as bars.
#[tokio::test(flavor = "multi_thread")]
async fn an_answer_is_charted_like_a_query() {
    let Some(models) = std::env::var_os("DATAGATA_MODELS_DIR")
        .map(std::path::PathBuf::from)
        .filter(|d| d.join("SmolLM2-135M-Instruct.Q4_1.gguf").is_file())
    else {
        eprintln!(
            "skipped: no SmolLM2-135M GGUF in DATAGATA_MODELS_DIR (scripts/setup puts it there)"
        );
        return;
    };
    let app = App::start_with_models(&models)
        .await
        .expect("the app starts");
    app.text("#tier", LONG).await.unwrap();
    app.become_premium_desktop().await.unwrap();
    app.click("#tab-ask").await.unwrap();
    app.text("#ai-native-reason", LONG).await.unwrap();
    app.fill("#ai-question", "How many trips are there per payment type?")
        .await
        .unwrap();
    app.click("#ai-ask").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(el) = app.client.find(Locator::Css("#ai-sql")).await
            && let Ok(Some(v)) = el.prop("value").await
            && !v.trim().is_empty()
        {
            break;
        }
        if let Ok(e) = app.text("#ai-error", Duration::from_millis(50)).await {
            panic!("the question failed: {e}");
        }
        assert!(Instant::now() < deadline, "no SQL from the model");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.fill(
        "#ai-sql",
        "SELECT payment_type, count(*) AS trips FROM taxi GROUP BY 1 ORDER BY 1",
    )
    .await
    .unwrap();
    app.click("#ai-run").await.unwrap();
    app.text_when("#ai-summary", LONG, |t| t.starts_with("4 rows"))
        .await
        .unwrap();
    attr_when(&app, "#ai-results-chart", "data-kind", |k| k == "bar").await;
    let caption = app.text("#ai-results-chart-summary", SHORT).await.unwrap();
    assert!(
        caption.starts_with("Bar chart of trips by payment_type: 4 bars."),
        "{caption}"
    );
    let bars = drawn(&app, "#ai-results-chart-canvas").await;
    assert_eq!(
        (bars["kind"].as_str(), bars["points"].as_u64()),
        (Some("bar"), Some(4))
    );
    assert!(
        bars["mark"].as_u64().unwrap() > 1_000,
        "bars are painted: {bars}"
    );
    app.client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             document.querySelector('#ai-results-chart').scrollIntoView({ block: 'center' });
             requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 400)));",
            vec![],
        )
        .await
        .unwrap();
    app.screenshot("chart-answer").await.unwrap();
    app.close().await.unwrap();
}
