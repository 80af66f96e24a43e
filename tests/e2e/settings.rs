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
    app.click("#tab-query").await.unwrap();
    app.text_when("#data-origin", LONG, |t| t.contains("synthetic"))
        .await
        .unwrap();
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
