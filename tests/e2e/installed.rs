//! The installed app (`scripts/test-installed` runs this after `apt-get install ./DataGata….deb`,
//! with `DATAGATA_APP=/usr/bin/datagata`): the program from the package opens its window at the
//! dashboard, answers a query, logs where the About panel says, and a second launch — the
//! desktop entry's `Exec` command, as the menu runs it — hands over to the first window and
//! exits, leaving one DataGata running.
//!
//! Ignored in the default run (it is meant for an installed package); the script runs it with
//! `cargo test -p datagata-e2e --test e2e installed:: -- --ignored`. `DATAGATA_KEEP_HOME=DIR`
//! keeps the app's home (data, logs) in a new folder under DIR, so the script can check that
//! uninstalling leaves it in place.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use datagata_e2e::{App, SAMPLE_ROWS, app_binary, wait_exit};

const SHORT: Duration = Duration::from_secs(20);
const LONG: Duration = Duration::from_secs(90);

/// Runs `sql` in the Query tab and returns the result's summary (or `error: …`).
async fn run_sql(app: &App, sql: &str) -> String {
    app.set_sql(sql).await.unwrap();
    app.click("#run-query").await.unwrap();
    let deadline = Instant::now() + LONG;
    loop {
        if app.count("#query-running").await.unwrap() == 0 {
            if let Ok(e) = app.text("#query-error", Duration::from_millis(50)).await {
                return format!("error: {e}");
            }
            if let Ok(s) = app.text("#result-summary", Duration::from_millis(50)).await {
                return s;
            }
        }
        assert!(Instant::now() < deadline, "{sql} never finished");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The live processes running the program `exe` (read from /proc; zombies excluded).
fn running(exe: &Path) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p == exe)
                && std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|s| {
                        let state = s.rsplit_once(')')?.1.split_whitespace().next()?.to_owned();
                        Some(!matches!(state.as_str(), "Z" | "X"))
                    })
                    .unwrap_or(false)
        })
        .collect()
}

/// The program and arguments of the desktop entry's `Exec` line (`DATAGATA_DESKTOP_FILE`), its
/// field codes (`%U`, …) dropped; without the variable, the app binary itself.
fn desktop_exec() -> (String, Vec<String>) {
    let Some(file) = std::env::var_os("DATAGATA_DESKTOP_FILE") else {
        return (app_binary().unwrap().display().to_string(), vec![]);
    };
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("reading {}: {e}", PathBuf::from(&file).display()));
    let exec = text
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .unwrap_or_else(|| panic!("no Exec= line in {text}"));
    let mut words = exec
        .split_whitespace()
        .filter(|w| !w.starts_with('%'))
        .map(|w| w.trim_matches('"').to_owned());
    let program = words.next().expect("an empty Exec= line");
    (program, words.collect())
}

/// Waits up to `timeout` for a log file in `dir` to contain `needle`.
fn log_says(dir: &Path, needle: &str, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        let mut all = String::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
        if all.contains(needle) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no {needle:?} in {} after {timeout:?}; it has:\n{all}",
                dir.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "drives the installed package: scripts/test-installed runs it"]
async fn the_installed_app_opens_answers_and_stays_single() {
    let exe = app_binary().unwrap();
    let exe = std::fs::canonicalize(&exe).unwrap();
    let mut home = match std::env::var_os("DATAGATA_KEEP_HOME") {
        Some(dir) => tempfile::Builder::new()
            .prefix("home-")
            .tempdir_in(dir)
            .unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    if std::env::var_os("DATAGATA_KEEP_HOME").is_some() {
        home.disable_cleanup(true);
    }
    let home_path = home.path().to_path_buf();
    let data_dir = home_path.join("data/com.datagata.desktop");

    let app = App::start_in(home).await.expect("the installed app starts");

    // The dashboard: the shell, this machine's facts, the profile's tier, the About panel.
    assert_eq!(app.text(".app-header h1", LONG).await.unwrap(), "DataGata");
    app.text("#machine-cores", LONG).await.unwrap();
    assert_eq!(app.text("#tier", LONG).await.unwrap(), "trial");
    assert_eq!(
        app.text("#about-version", SHORT).await.unwrap(),
        env!("CARGO_PKG_VERSION")
    );
    let shown_data = app.text("#about-data-dir", SHORT).await.unwrap();
    assert_eq!(Path::new(&shown_data), data_dir, "About's data folder");
    let shown_logs = app.text("#about-log-dir", SHORT).await.unwrap();
    assert_eq!(
        Path::new(&shown_logs),
        data_dir.join("logs"),
        "About's logs"
    );

    // One query on the sample the first start generated.
    app.open_query_tab().await.unwrap();
    let summary = run_sql(&app, "SELECT count(*) AS n FROM taxi").await;
    assert!(summary.starts_with("1 row"), "{summary}");
    let cell = app
        .client
        .find(fantoccini::Locator::Css(
            "#results .result-row[data-row=\"0\"] .cell:not(.gutter)",
        ))
        .await
        .unwrap()
        .prop("textContent")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(cell, SAMPLE_ROWS.to_string());

    // A second launch, as the menu entry runs it, hands over to this window and exits 0.
    assert_eq!(running(&exe).len(), 1, "before the second launch");
    let (program, args) = desktop_exec();
    let mut second = Command::new(&program)
        .args(&args)
        .current_dir(&home_path)
        .env("XDG_DATA_HOME", home_path.join("data"))
        .env("XDG_CONFIG_HOME", home_path.join("config"))
        .env("XDG_CACHE_HOME", home_path.join("cache"))
        .env_remove("DATAGATA_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {program} {args:?}: {e}"));
    let status = wait_exit(
        &mut second,
        Duration::from_secs(30),
        &format!("the second launch ({program})"),
    );
    let stderr = second
        .wait_with_output()
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .unwrap_or_default();
    assert!(
        status.success(),
        "the second launch exited {status}: {stderr}"
    );
    // The first window got the hand-over (and brought itself forward), and still answers.
    log_says(
        &data_dir.join("logs"),
        "another launch asked for the window",
        SHORT,
    )
    .unwrap();
    assert_eq!(running(&exe).len(), 1, "after the second launch");
    assert_eq!(app.text(".app-header h1", SHORT).await.unwrap(), "DataGata");

    app.close().await.unwrap();
    assert!(
        data_dir.join("datagata.duckdb").is_file(),
        "the database is in the data folder"
    );
}
