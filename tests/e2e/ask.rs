//! The Ask view end to end: each provider option with the reason it cannot answer, a trial user
//! held to cloud with local locked, the cloud's specific error without a MotherDuck token, a
//! premium user's choice surviving restarts, and a model folder imported from disk and served to
//! the WebView on the app's `dgmodel` protocol.

use std::time::Duration;

use datagata_e2e::App;
use serde_json::json;

const SHORT: Duration = Duration::from_secs(20);
const LONG: Duration = Duration::from_secs(90);
const MODEL_ID: &str = "Tiny-Test-q4f32_1-MLC";

/// Waits until the Ask panel shows the variation `key`.
async fn variation(app: &App, key: &str) {
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let found = app
            .client
            .find(fantoccini::Locator::Css("#ai-variation"))
            .await;
        if let Ok(el) = found
            && el.attr("data-variation").await.unwrap().as_deref() == Some(key)
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the Ask view never showed the {key} variation"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the radio `css` is checked.
async fn checked(app: &App, css: &str) {
    let deadline = std::time::Instant::now() + SHORT;
    while !app.checked(css).await.unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "{css} never got checked"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Opens the Ask tab once the WebView's WebGPU probe has reported (the local option's reason
/// depends on it).
async fn open_ask(app: &App) {
    app.text_when("#webgpu-status", LONG, |t| !t.starts_with("Checking"))
        .await
        .unwrap();
    app.click("#tab-ask").await.unwrap();
}

/// `fetch(url)` in the page: `[status, body]`.
async fn fetch(app: &App, url: &str) -> (u64, String) {
    const SCRIPT: &str = r#"
        const [url, done] = arguments;
        fetch(url).then(
          async (r) => done([r.status, await r.text()]),
          (e) => done([0, String(e)]),
        );
    "#;
    let out = app
        .client
        .execute_async(SCRIPT, vec![json!(url)])
        .await
        .unwrap();
    (
        out[0].as_u64().unwrap_or_default(),
        out[1].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn providers_reasons_choice_and_model_folders() {
    let app = App::start().await.expect("the app starts");
    app.text("#tier", LONG).await.unwrap();

    // A trial user: the AI Config gives motherduck-ai; local is locked by the flags, with why.
    open_ask(&app).await;
    variation(&app, "motherduck-ai").await;
    let local = app.text("#provider-local-reason", SHORT).await.unwrap();
    assert_eq!(
        local,
        "webllm-access is off for you: no rule matched, so the default applies"
    );
    assert!(app.disabled("#provider-local").await.unwrap());
    let cloud = app.text("#provider-cloud-reason", SHORT).await.unwrap();
    assert_eq!(
        cloud,
        "MotherDuck is not connected: no token: set MOTHERDUCK_TOKEN or enter one in the app"
    );
    assert!(app.checked("#provider-cloud").await.unwrap());
    assert_eq!(
        app.count("#model-manage").await.unwrap(),
        0,
        "no model panel without webllm-access"
    );

    // Asking the cloud without a token: the specific error, and the app keeps going.
    app.fill(
        "#ai-question",
        "Which borough has the most pickups at night?",
    )
    .await
    .unwrap();
    app.click("#ai-ask").await.unwrap();
    let error = app.text("#ai-error", SHORT).await.unwrap();
    assert_eq!(
        error,
        "motherduck-ai is not available: MotherDuck is not connected: no token: set \
         MOTHERDUCK_TOKEN or enter one in the app"
    );

    // Premium on a desktop: the webllm variation, local offered and chosen by default.
    app.become_premium_desktop().await.unwrap();
    app.click("#tab-ask").await.unwrap();
    variation(&app, "webllm").await;
    assert!(!app.disabled("#provider-local").await.unwrap());
    checked(&app, "#provider-local").await;
    let local = app.text("#provider-local-reason", SHORT).await.unwrap();
    let webgpu_here = !local.contains("no WebGPU");
    if !webgpu_here {
        // This machine's WebView (Debian's WebKitGTK) has no WebGPU: said, with where it exists.
        assert!(
            local.contains("WebView2") && local.contains("macOS 26"),
            "{local}"
        );
        assert!(
            app.disabled("#model-download").await.unwrap(),
            "no download without WebGPU"
        );
    }
    eprintln!("local option here: {local}");

    // Choose cloud; it survives a restart (and so does the profile).
    app.click("#provider-cloud").await.unwrap();
    checked(&app, "#provider-cloud").await;
    let app = app.restart().await.expect("the app starts again");
    app.text_when("#tier", LONG, |t| t == "premium")
        .await
        .unwrap();
    open_ask(&app).await;
    variation(&app, "webllm").await;
    checked(&app, "#provider-cloud").await;
    assert!(!app.checked("#provider-local").await.unwrap());

    // Back to local; it survives a restart too.
    app.click("#provider-local").await.unwrap();
    checked(&app, "#provider-local").await;
    let app = app.restart().await.expect("the app starts again");
    app.text("#tier", LONG).await.unwrap();
    open_ask(&app).await;
    variation(&app, "webllm").await;
    checked(&app, "#provider-local").await;

    // A folder that is not a model is refused with what is wrong.
    app.fill("#model-folder-path", "/nonexistent/Some-Model-MLC")
        .await
        .unwrap();
    app.click("#model-folder-import").await.unwrap();
    let error = app.text("#model-error", SHORT).await.unwrap();
    assert_eq!(error, "/nonexistent/Some-Model-MLC is not a folder");

    // A model folder on disk: imported, listed, and served to the WebView by the app.
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/models");
    let folder = fixtures.join(MODEL_ID);
    app.fill("#model-folder-path", &folder.to_string_lossy())
        .await
        .unwrap();
    app.click("#model-folder-import").await.unwrap();
    let row = format!("#model-folders li[data-model=\"{MODEL_ID}\"]");
    let listed = app.text(&row, SHORT).await.unwrap();
    assert!(listed.contains("4 files"), "{listed}");
    let base = format!("dgmodel://localhost/{MODEL_ID}/resolve/main");
    let (status, body) = fetch(&app, &format!("{base}/tensor-cache.json")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        std::fs::read_to_string(folder.join("tensor-cache.json")).unwrap()
    );
    let (status, _) = fetch(&app, &format!("{base}/../../../README.md")).await;
    assert_ne!(status, 200, "nothing outside the folder is served");
    let (status, _) = fetch(&app, "dgmodel://localhost/Other-MLC/resolve/main/x.json").await;
    assert_eq!(status, 404);

    // The list survives a restart; Forget stops serving it and leaves the files.
    let app = app.restart().await.expect("the app starts again");
    app.text("#tier", LONG).await.unwrap();
    open_ask(&app).await;
    app.text(&row, LONG).await.unwrap();
    app.click(&format!("{row} .model-folder-forget"))
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + SHORT;
    while app.count(&row).await.unwrap() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the folder was not forgotten"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let (status, _) = fetch(&app, &format!("{base}/tensor-cache.json")).await;
    assert_eq!(status, 404);
    assert!(folder.join("tensor-cache.json").is_file());

    app.close().await.unwrap();
}

/// The Ask tab's empty state offers example questions; one click asks it, and Ctrl+Enter in
/// the question box asks too (each is a question the Metrics view then counts).
#[tokio::test(flavor = "multi_thread")]
async fn an_example_question_asks_with_one_click_and_ctrl_enter_asks() {
    let app = App::start().await.expect("the app starts");
    app.text("#tier", LONG).await.unwrap();
    open_ask(&app).await;
    app.text("#ai-examples", LONG).await.unwrap();
    let example = app.text("#ai-example-0", SHORT).await.unwrap();
    app.click("#ai-example-0").await.unwrap();
    let error = app.text("#ai-error", SHORT).await.unwrap();
    assert!(error.contains("no token"), "{error}");
    let question = app
        .client
        .find(fantoccini::Locator::Css("#ai-question"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(question.as_deref(), Some(example.as_str()));

    app.fill("#ai-question", "Which borough has the most pickups?")
        .await
        .unwrap();
    let question = app
        .client
        .find(fantoccini::Locator::Css("#ai-question"))
        .await
        .unwrap();
    question
        .send_keys("\u{E009}\u{E007}\u{E000}")
        .await
        .unwrap();
    // Both questions were asked: the Metrics view counts two.
    tokio::time::sleep(Duration::from_secs(1)).await;
    app.click("#tab-metrics").await.unwrap();
    let total = app
        .text_when("#metrics-total", LONG, |t| t.starts_with('2'))
        .await
        .unwrap();
    assert!(total.starts_with("2 "), "{total}");
    app.close().await.unwrap();
}
