//! The Settings view in the real window: the theme follows the system until one is chosen,
//! switches at once, passes the accessibility audit in light as in dark, and survives a restart.

use std::time::Duration;

use datagata_e2e::App;

use crate::access::{audit, axe_source};

const SHORT: Duration = Duration::from_secs(20);
const LONG: Duration = Duration::from_secs(90);

/// The page's background colour and its `data-theme`.
async fn look(app: &App) -> (String, Option<String>) {
    let v = app
        .client
        .execute(
            "const r = document.documentElement; \
             return [getComputedStyle(r).backgroundColor, r.getAttribute('data-theme')];",
            vec![],
        )
        .await
        .unwrap();
    (
        v[0].as_str().unwrap_or_default().to_string(),
        v[1].as_str().map(str::to_string),
    )
}

async fn look_becomes(app: &App, background: &str) -> (String, Option<String>) {
    let deadline = std::time::Instant::now() + SHORT;
    loop {
        let now = look(app).await;
        if now.0 == background {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{now:?}, not {background}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const LIGHT: &str = "rgb(243, 245, 250)";
const DARK: &str = "rgb(15, 26, 48)";

#[tokio::test(flavor = "multi_thread")]
async fn the_theme_switches_at_once_and_survives_a_restart() {
    let axe = axe_source();
    let app = App::start().await.expect("the app starts");
    app.text("#tier", LONG).await.unwrap();
    app.click("#tab-settings").await.unwrap();
    app.text("#settings-about-version", LONG).await.unwrap();
    assert!(app.checked("#theme-system").await.unwrap());
    assert_eq!(
        look(&app).await.1,
        None,
        "the system's theme until one is chosen"
    );

    app.click("#theme-light").await.unwrap();
    assert_eq!(look_becomes(&app, LIGHT).await.1.as_deref(), Some("light"));
    app.screenshot("settings-light").await.unwrap();
    let mut found = audit(&app, &axe, "settings, light").await;
    app.open_query_tab().await.unwrap();
    found.extend(audit(&app, &axe, "query, light").await);
    app.screenshot("query-light").await.unwrap();

    app.click("#tab-settings").await.unwrap();
    app.click("#theme-dark").await.unwrap();
    assert_eq!(look_becomes(&app, DARK).await.1.as_deref(), Some("dark"));
    found.extend(audit(&app, &axe, "settings, dark").await);
    assert!(found.is_empty(), "{}", found.join("\n"));

    // Light, then a restart: light from the first paint of the next launch's settings.
    app.click("#theme-light").await.unwrap();
    look_becomes(&app, LIGHT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let app = app.restart().await.expect("the app starts again");
    app.text("#tier", LONG).await.unwrap();
    assert_eq!(look_becomes(&app, LIGHT).await.1.as_deref(), Some("light"));
    app.click("#tab-settings").await.unwrap();
    let deadline = std::time::Instant::now() + SHORT;
    while !app.checked("#theme-light").await.unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "the light choice is not shown"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.close().await.unwrap();
}

/// Waits until no element matches `css`.
async fn gone(app: &App, css: &str) {
    let deadline = std::time::Instant::now() + SHORT;
    while app.count(css).await.unwrap() > 0 {
        assert!(std::time::Instant::now() < deadline, "{css} is still there");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_lists_the_models_and_disconnect_forgets_the_motherduck_token() {
    // A GGUF file in the app's own models/ folder (as a download leaves it) and a MotherDuck token
    // the app stored (no OS keyring answers under Xvfb here: the owner-only file).
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data/com.datagata.desktop");
    std::fs::create_dir_all(data.join("models")).unwrap();
    let gguf = data.join("models/Tiny-Test.Q4_0.gguf");
    let mut bytes = b"GGUF\x03\x00\x00\x00".to_vec();
    bytes.resize(4_096, 0);
    std::fs::write(&gguf, &bytes).unwrap();
    let token_file = data.join("motherduck-token");
    std::fs::write(&token_file, "not-a-real-token").unwrap();
    let app = App::start_in(home).await.expect("the app starts");
    app.text("#tier", LONG).await.unwrap();

    // A WebLLM model folder imported the way the Ask tab's Import does (its command).
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/models/Tiny-Test-q4f32_1-MLC");
    let imported = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI__.core.invoke('import_model_folder', { request: { path: arguments[0] } })
               .then(() => done('ok'), (e) => done(String(e)));",
            vec![serde_json::json!(folder.display().to_string())],
        )
        .await
        .unwrap();
    assert_eq!(imported, "ok");

    // Settings reads the data's status when it shows: once the first start's sample is in.
    app.open_query_tab().await.unwrap();
    app.click("#tab-settings").await.unwrap();
    // The data section says where the rows came from (the first start's sample).
    let origin = app.text("#settings-origin", LONG).await.unwrap();
    assert!(origin.starts_with("Generated sample: "), "{origin}");
    let file_row = "#settings-models li[data-name=\"Tiny-Test.Q4_0.gguf\"]";
    let folder_row = "#settings-models li[data-name=\"Tiny-Test-q4f32_1-MLC\"]";
    let listed = app.text(file_row, LONG).await.unwrap();
    assert!(
        listed.contains("4.1 kB") && listed.contains("downloaded into"),
        "{listed}"
    );
    let listed = app.text(folder_row, SHORT).await.unwrap();
    assert!(
        listed.contains("WebLLM folder") && listed.contains(" files)"),
        "{listed}"
    );
    let total = app.text("#settings-models-total", SHORT).await.unwrap();
    assert!(total.starts_with("2 models, "), "{total}");
    let token = app.text("#settings-motherduck-token", SHORT).await.unwrap();
    assert!(token.starts_with("an owner-only file"), "{token}");
    app.client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             document.querySelector('#settings-ai').scrollIntoView();
             requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 400)));",
            vec![],
        )
        .await
        .unwrap();
    app.screenshot("settings-models").await.unwrap();

    // Forget leaves the folder's files; Delete asks once more, then removes the file.
    app.click(&format!("{folder_row} .settings-model-action"))
        .await
        .unwrap();
    gone(&app, folder_row).await;
    assert!(folder.join("mlc-chat-config.json").is_file());
    let delete = format!("{file_row} .settings-model-action");
    app.click(&delete).await.unwrap();
    app.text_when(&delete, SHORT, |t| t == "Delete 4.1 kB for good?")
        .await
        .unwrap();
    assert!(gguf.exists(), "not before the second click");
    app.click(&delete).await.unwrap();
    gone(&app, file_row).await;
    assert!(!gguf.exists());
    app.text("#settings-models-none", SHORT).await.unwrap();

    // Disconnect forgets the stored token: the status says MotherDuck is not set up.
    app.click("#settings-motherduck-disconnect").await.unwrap();
    let said = app
        .text("#settings-motherduck-disconnected", LONG)
        .await
        .unwrap();
    assert_eq!(
        said,
        "Disconnected: forgot the token in the data folder's token file."
    );
    assert_eq!(
        app.text("#settings-motherduck-token", SHORT).await.unwrap(),
        "no token"
    );
    let status = app.text("#settings-motherduck", SHORT).await.unwrap();
    assert!(status.contains("not set up"), "{status}");
    assert!(!token_file.exists());
    assert!(
        app.disabled("#settings-motherduck-disconnect")
            .await
            .unwrap()
    );
    app.screenshot("settings-disconnected").await.unwrap();
    app.close().await.unwrap();
}
