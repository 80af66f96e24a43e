//! The Query view end to end: SQL runs through the real backend into the virtualized grid; a
//! trial user sees pivot and save-as-table locked with LaunchDarkly's reason; a starter user
//! builds a pivot and saves a table into `my_db`; a long query is stopped from the UI, the
//! history lists, finds and re-runs statements, and the editor's text survives a restart.

use std::time::Duration;

use datagata_e2e::{App, SAMPLE_ROWS};

const SHORT: Duration = Duration::from_secs(20);
const LONG: Duration = Duration::from_secs(90);

/// Replaces the editor's text, as typed (the harness's [`App::set_sql`]).
async fn set_sql(app: &App, sql: &str) {
    app.set_sql(sql).await.unwrap();
}

/// The editor's document now (through the editor itself: its DOM holds only the lines in view).
async fn sql_text(app: &App) -> String {
    let host = app
        .client
        .find(fantoccini::Locator::Css("#sql-editor"))
        .await
        .unwrap();
    let value = app
        .client
        .execute(
            "return window.datagataEditor.textOf(arguments[0]);",
            vec![serde_json::to_value(&host).unwrap()],
        )
        .await
        .unwrap();
    value.as_str().unwrap_or_default().to_string()
}

/// Waits until the run under way (if any) is over.
async fn run_finished(app: &App, what: &str) {
    let deadline = std::time::Instant::now() + LONG;
    while app.count("#query-running").await.unwrap() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} never finished"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn run_sql(app: &App, sql: &str) -> String {
    set_sql(app, sql).await;
    app.click("#run-query").await.unwrap();
    // The summary of *this* statement: wait until the running marker is gone and the grid's
    // summary changed (or an error shows).
    let deadline = std::time::Instant::now() + LONG;
    loop {
        if app.count("#query-running").await.unwrap() == 0 {
            if let Ok(e) = app.text("#query-error", Duration::from_millis(50)).await {
                return format!("error: {e}");
            }
            if let Ok(s) = app.text("#result-summary", Duration::from_millis(50)).await {
                return s;
            }
        }
        assert!(std::time::Instant::now() < deadline, "{sql} never finished");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The raw values (each cell's title: what DuckDB answered, before the locale's formatting) of
/// the rendered grid row `row` of `#results`.
async fn row_cells(app: &App, row: usize) -> Vec<String> {
    row_attr(app, row, "title").await
}

/// What the rendered grid row `row` of `#results` shows (the locale's formatting).
async fn row_shown(app: &App, row: usize) -> Vec<String> {
    row_attr(app, row, "textContent").await
}

async fn row_attr(app: &App, row: usize, what: &str) -> Vec<String> {
    let cells = app
        .client
        .find_all(fantoccini::Locator::Css(&format!(
            "#results .result-row[data-row=\"{row}\"] .cell:not(.gutter)"
        )))
        .await
        .unwrap();
    let mut out = Vec::new();
    for c in cells {
        // Not text(): WebKitWebDriver's visible-text rule skips the grid's translated rows.
        let value = if what == "textContent" {
            c.prop(what).await.unwrap()
        } else {
            c.attr(what).await.unwrap()
        };
        out.push(value.unwrap_or_default());
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn sql_pivot_and_saved_tables_follow_the_flags() {
    let app = App::start().await.expect("the app starts");
    app.text("#tier", LONG).await.unwrap();
    // The origin says plainly that these are generated trips.
    let origin = app.open_query_tab().await.unwrap();
    assert!(origin.contains("not real TLC data"), "{origin}");
    let rows = app.text("#data-rows", SHORT).await.unwrap();
    assert!(rows.contains("50,000"), "{rows} (sample of {SAMPLE_ROWS})");

    // A query fills the grid with typed, right-aligned numbers.
    let summary = run_sql(
        &app,
        "SELECT payment_type, count(*) AS trips FROM taxi GROUP BY 1 ORDER BY 1",
    )
    .await;
    assert!(summary.starts_with("4 rows"), "{summary}");
    assert_eq!(app.count("#results .result-row").await.unwrap(), 4);
    let first = row_cells(&app, 0).await;
    assert_eq!(first[0], "1", "{first:?}");
    let card_trips: u64 = first[1].parse().unwrap();
    assert!(card_trips > 25_000 && card_trips < 45_000, "{first:?}");
    let summary = run_sql(&app, "SELECT count(*) AS n FROM taxi").await;
    assert!(summary.starts_with("1 row"), "{summary}");
    assert_eq!(row_cells(&app, 0).await, ["50000"]);

    // 100,000 rows arrive, but only a window of them is in the page.
    let summary = run_sql(&app, "SELECT i, i * 2 AS twice FROM range(100000) r(i)").await;
    assert!(summary.starts_with("100,000 rows"), "{summary}");
    let rendered = app.count("#results .result-row").await.unwrap();
    assert!(rendered > 0 && rendered < 200, "{rendered} rows rendered");

    // Anything but a read-only query is refused before DuckDB sees it.
    let refused = run_sql(&app, "DROP TABLE taxi").await;
    assert!(refused.contains("refused"), "{refused}");
    assert!(
        run_sql(&app, "SELECT count(*) FROM taxi")
            .await
            .starts_with("1 row")
    );

    // Trial: both gated features are locked, with the flag's reason.
    let pivot_locked = app.text("#pivot-locked", LONG).await.unwrap();
    let save_locked = app.text("#save-locked", SHORT).await.unwrap();
    assert!(pivot_locked.starts_with("Locked: "), "{pivot_locked}");
    assert!(save_locked.starts_with("Locked: "), "{save_locked}");
    assert!(pivot_locked.len() > "Locked: ".len() + 5, "{pivot_locked}");
    // What unlocks it, read from the flag's rules.
    assert!(
        pivot_locked.ends_with("available on the Starter and Premium plans"),
        "{pivot_locked}"
    );
    assert_eq!(app.count("#pivot-run").await.unwrap(), 0);
    assert_eq!(app.count("#save-run").await.unwrap(), 0);

    // Become a starter user on the dashboard.
    app.click("#tab-dashboard").await.unwrap();
    app.select("#profile-tier", "starter").await.unwrap();
    app.click("#profile-save").await.unwrap();
    app.text_when("#tier", SHORT, |t| t == "starter")
        .await
        .unwrap();
    app.click("#tab-query").await.unwrap();

    // Pivot the current result: vendors × payment types, counting trips.
    let summary = run_sql(&app, "SELECT VendorID, payment_type, tip_amount FROM taxi").await;
    assert!(summary.contains("50,000"), "{summary}");
    app.text("#pivot-run", LONG).await.unwrap();
    app.select("#pivot-source", "query").await.unwrap();
    app.fill("#pivot-rows", "VendorID").await.unwrap();
    app.select("#pivot-column", "payment_type").await.unwrap();
    app.select("#pivot-measure", "tip_amount").await.unwrap();
    app.select("#pivot-aggregate", "count").await.unwrap();
    app.click("#pivot-run").await.unwrap();
    let pivot = app.text("#pivot-summary", LONG).await;
    let pivot = match pivot {
        Ok(p) => p,
        Err(e) => panic!(
            "no pivot ({e}); error: {:?}",
            app.text("#pivot-error", Duration::from_secs(1)).await
        ),
    };
    assert!(pivot.starts_with("2 rows"), "{pivot}");
    let headers = app
        .client
        .find_all(fantoccini::Locator::Css(
            "#pivot-results .grid-header .cell.head",
        ))
        .await
        .unwrap();
    let mut names = Vec::new();
    for h in headers {
        names.push(h.prop("textContent").await.unwrap().unwrap_or_default());
    }
    assert!(
        names.starts_with(&["VendorID".to_string(), "1".into()]),
        "{names:?}"
    );

    // Save a result into my_db; saving the same name again asks first.
    run_sql(
        &app,
        "SELECT payment_type, count(*) AS trips FROM taxi GROUP BY 1",
    )
    .await;
    app.fill("#save-name", "by_payment").await.unwrap();
    app.click("#save-run").await.unwrap();
    let done = app.text("#save-done", LONG).await.unwrap();
    assert_eq!(done, "Saved my_db.by_payment");
    app.text(
        "#saved-tables li.saved-table[data-name=\"by_payment\"]",
        SHORT,
    )
    .await
    .unwrap();
    app.click("#save-run").await.unwrap();
    let confirm = app.text("#save-confirm", SHORT).await.unwrap();
    assert!(confirm.contains("already exists"), "{confirm}");
    app.click("#save-overwrite").await.unwrap();
    app.text("#save-done", SHORT).await.unwrap();
    let summary = run_sql(&app, "SELECT sum(trips) AS total FROM my_db.by_payment").await;
    assert!(summary.starts_with("1 row"), "{summary}");
    assert_eq!(row_cells(&app, 0).await, ["50000"]);

    app.close().await.unwrap();
}

/// The SQL of the history's entries, newest first.
async fn history_sqls(app: &App) -> Vec<String> {
    let items = app
        .client
        .find_all(fantoccini::Locator::Css(
            "#history-list .history-entry .history-sql",
        ))
        .await
        .unwrap();
    let mut out = Vec::new();
    for i in items {
        out.push(i.prop("textContent").await.unwrap().unwrap_or_default());
    }
    out
}

/// Waits until the history's newest entry is `sql` (its text on one line) and says how it ended.
async fn newest_history_entry(app: &App, sql: &str) -> String {
    let deadline = std::time::Instant::now() + SHORT;
    loop {
        if history_sqls(app).await.first().map(String::as_str) == Some(sql) {
            let meta = app
                .client
                .find(fantoccini::Locator::Css(
                    "#history-list .history-entry[data-index=\"0\"] .history-meta",
                ))
                .await
                .unwrap();
            return meta.prop("textContent").await.unwrap().unwrap_or_default();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the history's newest entry is not {sql}: {:?}",
            history_sqls(app).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_query_stops_the_history_reruns_and_the_sql_survives_a_restart() {
    let app = App::start().await.expect("the app starts");
    app.text("#tier", LONG).await.unwrap();
    app.open_query_tab().await.unwrap();

    // A query that would run for hours stops within a second of pressing Stop.
    let endless = "SELECT sum(hash(i)) AS h FROM range(1000000000000) r(i)";
    set_sql(&app, endless).await;
    app.click("#run-query").await.unwrap();
    app.text("#stop-query", SHORT).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.count("#query-running").await.unwrap(),
        1,
        "it is still running"
    );
    let pressed = std::time::Instant::now();
    app.click("#stop-query").await.unwrap();
    let stopped = app
        .text_when("#query-error", SHORT, |t| t.contains("stopped"))
        .await
        .unwrap();
    let took = pressed.elapsed();
    assert_eq!(stopped, "the query was stopped");
    assert!(took < Duration::from_secs(1), "stopping took {took:?}");
    assert_eq!(app.count("#query-running").await.unwrap(), 0);
    assert_eq!(app.count("#stop-query").await.unwrap(), 0);
    let meta = newest_history_entry(&app, endless).await;
    assert!(meta.ends_with("stopped"), "{meta}");

    // A new run replaces one still going: the long one is stopped inside DuckDB, the new one answers.
    set_sql(&app, endless).await;
    app.click("#run-query").await.unwrap();
    app.text("#stop-query", SHORT).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let summary = run_sql(&app, "SELECT 42 AS answer").await;
    assert!(summary.starts_with("1 row"), "{summary}");
    assert_eq!(row_cells(&app, 0).await, ["42"]);
    let meta = newest_history_entry(&app, "SELECT 42 AS answer").await;
    assert!(meta.contains("1 row"), "{meta}");
    app.screenshot("query-history").await.unwrap();
    assert_eq!(
        history_sqls(&app).await,
        ["SELECT 42 AS answer", endless],
        "the same statement is listed once"
    );

    // Search, then re-run an older statement with one click.
    run_sql(&app, "SELECT count(*) AS trips FROM taxi").await;
    newest_history_entry(&app, "SELECT count(*) AS trips FROM taxi").await;
    app.fill("#history-search", "answer").await.unwrap();
    let deadline = std::time::Instant::now() + SHORT;
    while history_sqls(&app).await != ["SELECT 42 AS answer"] {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            history_sqls(&app).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.click("#history-list .history-entry[data-index=\"0\"] .history-run")
        .await
        .unwrap();
    run_finished(&app, "the re-run").await;
    let summary = app.text("#result-summary", SHORT).await.unwrap();
    assert!(summary.starts_with("1 row"), "{summary}");
    assert_eq!(row_cells(&app, 0).await, ["42"]);
    assert_eq!(sql_text(&app).await, "SELECT 42 AS answer");

    // The editor's text and the history survive a restart.
    set_sql(&app, "SELECT 'kept' AS note").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let app = app.restart().await.expect("the app starts again");
    app.text("#tier", LONG).await.unwrap();
    app.click("#tab-query").await.unwrap();
    let deadline = std::time::Instant::now() + SHORT;
    while sql_text(&app).await != "SELECT 'kept' AS note" {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            sql_text(&app).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = std::time::Instant::now() + SHORT;
    loop {
        let sqls = history_sqls(&app).await;
        if sqls.len() == 3 {
            assert_eq!(sqls[0], "SELECT 42 AS answer", "{sqls:?}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{sqls:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.close().await.unwrap();
}

/// The labels of the completion list open now.
async fn completions(app: &App) -> Vec<String> {
    let items = app
        .client
        .find_all(fantoccini::Locator::Css(
            ".cm-tooltip-autocomplete li .cm-completionLabel",
        ))
        .await
        .unwrap();
    let mut out = Vec::new();
    for i in items {
        out.push(i.prop("textContent").await.unwrap().unwrap_or_default());
    }
    out
}

async fn completion_offers(app: &App, label: &str) -> Vec<String> {
    let deadline = std::time::Instant::now() + SHORT;
    loop {
        let offered = completions(app).await;
        if offered.iter().any(|c| c == label) {
            // CodeMirror ignores Enter for its first 75 ms (interactionDelay): a person's pace.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return offered;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no completion {label}: {offered:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The result grid's column names.
async fn headers(app: &App) -> Vec<String> {
    let cells = app
        .client
        .find_all(fantoccini::Locator::Css("#results .grid-header .cell.head"))
        .await
        .unwrap();
    let mut out = Vec::new();
    for c in cells {
        out.push(c.prop("textContent").await.unwrap().unwrap_or_default());
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_editor_completes_from_duckdb_and_runs_the_statement_at_the_cursor() {
    let app = App::start().await.expect("the app starts");
    app.text("#tier", LONG).await.unwrap();
    app.open_query_tab().await.unwrap();

    // CodeMirror is styled under the strict CSP (its <style> carries the page's nonce).
    let editor = app
        .client
        .find(fantoccini::Locator::Css("#sql-editor .cm-editor"))
        .await
        .unwrap();
    let display = app
        .client
        .execute(
            "return getComputedStyle(arguments[0]).display;",
            vec![serde_json::to_value(&editor).unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(display, "flex", "CodeMirror's own styles did not apply");

    // DuckDB completes a column of taxi, then a table.
    set_sql(&app, "SELECT fare_am").await;
    completion_offers(&app, "fare_amount").await;
    let content = app
        .client
        .find(fantoccini::Locator::Css("#sql-editor .cm-content"))
        .await
        .unwrap();
    content.send_keys("\u{E007}").await.unwrap(); // Enter accepts
    let deadline = std::time::Instant::now() + SHORT;
    while sql_text(&app).await != "SELECT fare_amount" {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            sql_text(&app).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    content.send_keys(" FROM tax").await.unwrap();
    completion_offers(&app, "taxi").await;
    app.screenshot("query-completion").await.unwrap();
    content.send_keys("\u{E007}").await.unwrap();

    // Ctrl+Enter runs the statement the cursor is in, not the whole text.
    set_sql(&app, "SELECT 1 AS first; SELECT 2 AS second").await;
    content.send_keys("\u{E009}\u{E007}\u{E000}").await.unwrap();
    run_finished(&app, "Ctrl+Enter").await;
    app.text_when("#result-summary", SHORT, |t| t.starts_with("1 row"))
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + SHORT;
    while headers(&app).await != ["second"] {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            headers(&app).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(row_cells(&app, 0).await, ["2"]);

    // Highlighting knows DuckDB's words: a keyword and a function are marked.
    set_sql(&app, "SELECT median(fare_amount) FROM taxi").await;
    let deadline = std::time::Instant::now() + SHORT;
    loop {
        let keywords = app.count("#sql-editor .tok-keyword").await.unwrap();
        let builtins = app.count("#sql-editor .tok-builtin").await.unwrap();
        if keywords >= 2 && builtins >= 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{keywords} keywords, {builtins} functions highlighted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let violations = app
        .client
        .execute("return window.datagataCspViolations;", vec![])
        .await
        .unwrap();
    assert_eq!(
        violations,
        serde_json::json!([]),
        "the CSP refused something"
    );
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_grid_sorts_formats_for_the_locale_and_copies_to_the_clipboard() {
    let app = App::start().await.expect("the app starts");
    app.text("#tier", LONG).await.unwrap();
    app.open_query_tab().await.unwrap();
    let sql = "SELECT payment_type, count(*) AS trips, DATE '2024-01-15' AS day \
               FROM taxi GROUP BY 1 ORDER BY 1";
    let summary = run_sql(&app, sql).await;
    assert!(summary.starts_with("4 rows"), "{summary}");
    let first = row_cells(&app, 0).await;
    assert_eq!(first[0], "1");
    assert_eq!(first[2], "2024-01-15");
    // Shown the locale's way: the count grouped, the date in words (the raw value stays in the title).
    let language = app
        .client
        .execute("return navigator.language;", vec![])
        .await
        .unwrap();
    let shown = row_shown(&app, 0).await;
    if language.as_str().is_some_and(|l| l.starts_with("en")) {
        let trips: u64 = first[1].parse().unwrap();
        assert_eq!(
            shown[1],
            format!("{},{:03}", trips / 1000, trips % 1000),
            "{shown:?}"
        );
        assert_eq!(shown[2], "Jan 15, 2024", "{shown:?}");
    } else {
        assert_ne!(shown[2], first[2], "{language}: {shown:?}");
    }

    // A header click sorts by that column, descending on the second click.
    app.click("#results .cell.head[data-column=\"trips\"] button.sort")
        .await
        .unwrap();
    app.click("#results .cell.head[data-column=\"trips\"] button.sort")
        .await
        .unwrap();
    let sorted = app
        .client
        .find(fantoccini::Locator::Css(
            "#results .cell.head[data-column=\"trips\"]",
        ))
        .await
        .unwrap()
        .attr("aria-sort")
        .await
        .unwrap();
    assert_eq!(sorted.as_deref(), Some("descending"));
    let mut trips = Vec::new();
    for row in 0..4 {
        trips.push(row_cells(&app, row).await[1].parse::<u64>().unwrap());
    }
    assert!(trips.windows(2).all(|w| w[0] >= w[1]), "{trips:?}");
    assert_eq!(
        row_cells(&app, 0).await[0],
        "1",
        "card payments are the most"
    );

    // Copy all rows as TSV: the clipboard has the header and the rows as sorted.
    app.click("#results-copy-tsv").await.unwrap();
    app.text_when("#results-copy-status", SHORT, |t| {
        t.contains("Copied 4 rows")
    })
    .await
    .unwrap();
    let tsv = app
        .clipboard_when(SHORT, |t| t.starts_with("payment_type\ttrips\tday\n"))
        .await
        .unwrap();
    let lines: Vec<&str> = tsv.lines().collect();
    assert_eq!(lines.len(), 5, "{tsv:?}");
    assert_eq!(lines[1], format!("1\t{}\t2024-01-15", trips[0]));

    // A cell, then Shift+click to a rectangle, copied with Ctrl+C in the grid.
    app.click("#results-cell-0-1").await.unwrap();
    let grid = app
        .client
        .find(fantoccini::Locator::Css("#results .grid-scroll"))
        .await
        .unwrap();
    // Shift+Down twice and Shift+Right: rows 0–2, columns 1–2.
    grid.send_keys("\u{E008}\u{E015}\u{E015}\u{E014}\u{E000}")
        .await
        .unwrap();
    grid.send_keys("\u{E009}c\u{E000}").await.unwrap();
    let copied = app
        .clipboard_when(SHORT, |t| {
            t.lines().count() == 3 && !t.contains("payment_type")
        })
        .await
        .unwrap();
    assert_eq!(
        copied,
        format!(
            "{}\t2024-01-15\n{}\t2024-01-15\n{}\t2024-01-15\n",
            trips[0], trips[1], trips[2]
        )
    );
    let status = app.text("#results-copy-status", SHORT).await.unwrap();
    assert_eq!(status, "Copied 3 rows × 2 columns");

    // CSV of everything, and the SQL.
    app.click("#results-copy-csv").await.unwrap();
    app.clipboard_when(SHORT, |t| t.starts_with("payment_type,trips,day\n1,"))
        .await
        .unwrap();
    app.click("#results-copy-sql").await.unwrap();
    app.clipboard_when(SHORT, |t| t == sql).await.unwrap();
    app.screenshot("query-grid").await.unwrap();
    app.close().await.unwrap();
}

/// Files dropped on the Query tab are imported. The drop is Tauri's own window event
/// (`tauri://drag-drop`, what the WebView sends when files are dropped on it), emitted here
/// from the page: an X drag between applications cannot be made under Xvfb by WebDriver.
#[tokio::test(flavor = "multi_thread")]
async fn files_dropped_on_the_query_tab_are_imported() {
    let app = App::start().await.expect("the app starts");
    app.text("#tier", LONG).await.unwrap();
    app.open_query_tab().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("yellow_tripdata_2024-02.csv");
    std::fs::write(
        &file,
        "VendorID,tpep_pickup_datetime,fare_amount\n\
         1,2024-02-01 08:00:00,12.5\n2,2024-02-01 09:30:00,30\n1,2024-02-02 23:10:00,8\n",
    )
    .unwrap();
    // The buttons for the native dialogs are there (the dialogs themselves are the system's).
    assert_eq!(app.count("#import-choose").await.unwrap(), 1);
    assert_eq!(
        app.count("#export-choose").await.unwrap(),
        0,
        "no result yet"
    );

    app.client
        .execute(
            "window.__TAURI__.event.emit('tauri://drag-enter', { paths: [arguments[0]], position: { x: 5, y: 5 } });",
            vec![serde_json::json!(file.display().to_string())],
        )
        .await
        .unwrap();
    app.text("#drop-hint", SHORT).await.unwrap();
    app.client
        .execute(
            "window.__TAURI__.event.emit('tauri://drag-drop', { paths: [arguments[0]], position: { x: 5, y: 5 } });",
            vec![serde_json::json!(file.display().to_string())],
        )
        .await
        .unwrap();
    let origin = app
        .text_when("#data-origin", LONG, |t| {
            t.contains("yellow_tripdata_2024-02.csv")
        })
        .await;
    let origin = match origin {
        Ok(o) => o,
        Err(e) => panic!(
            "not imported ({e}): {:?}",
            app.text("#data-error", Duration::from_secs(1)).await
        ),
    };
    assert!(!origin.contains("synthetic"), "{origin}");
    assert_eq!(app.count("#drop-hint").await.unwrap(), 0);
    let summary = run_sql(
        &app,
        "SELECT count(*) AS n, sum(fare_amount) AS fares FROM taxi",
    )
    .await;
    assert!(summary.starts_with("1 row"), "{summary}");
    assert_eq!(row_cells(&app, 0).await, ["3", "50.5"]);
    assert_eq!(app.count("#export-choose").await.unwrap(), 1);
    app.close().await.unwrap();
}
