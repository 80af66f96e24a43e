//! One DataGata at a time: a second launch hands over to the running window (over D-Bus, as on
//! a desktop), a launch that cannot reach it says who holds the database instead of panicking,
//! and CLI commands that need the database say that DataGata is open, in one line.

use std::{
    io::{BufRead, BufReader},
    process::Stdio,
    sync::mpsc,
    time::{Duration, Instant},
};

use datagata_e2e::{App, wait_exit};

/// Waits up to `timeout` for a line of `child`'s stderr that satisfies `wanted`; returns every
/// line read.
fn stderr_until(
    child: &mut std::process::Child,
    timeout: Duration,
    wanted: impl Fn(&str) -> bool,
) -> (bool, Vec<String>) {
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().expect("piped stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + timeout;
    let mut lines = vec![];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) => {
                let done = wanted(&line);
                lines.push(line);
                if done {
                    return (true, lines);
                }
            }
            Err(_) => break,
        }
    }
    (false, lines)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_launch_and_the_cli_meet_the_running_app() {
    let app = App::start().await.expect("the app starts");
    let title = app
        .text(".app-header h1", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(title, "DataGata");
    // The database is open once the dashboard has its data status.
    app.text("#machine-cores", Duration::from_secs(60))
        .await
        .unwrap();

    // A CLI command that needs the database: one line naming the app, no DuckDB lock text.
    let out = App::cli(app.home(), &["data", "status"]).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "data status ran beside the app");
    assert!(
        stderr.contains("DataGata (pid ") && stderr.contains("is open: close it"),
        "{stderr}"
    );
    assert!(!stderr.contains("Could not set lock"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A second launch on the same desktop session hands over and exits.
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        let mut second = App::command(app.home())
            .unwrap()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = wait_exit(&mut second, Duration::from_secs(30), "the second launch");
        assert!(status.success(), "the second launch exited with {status}");
        // The first window is still there and answering.
        let title = app
            .text(".app-header h1", Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(title, "DataGata");
    } else {
        eprintln!("no D-Bus session bus: the hand-over to the running window is not tested");
    }

    // A launch that cannot reach the running one (no session bus) waits for the database,
    // then says who holds it (in a dialog, and on stderr) instead of panicking.
    let mut blind = App::command(app.home())
        .unwrap()
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (said, lines) = stderr_until(&mut blind, Duration::from_secs(60), |l| {
        l.contains("DataGata is already running")
    });
    let exited = blind.try_wait().unwrap();
    let _ = blind.kill();
    let _ = blind.wait();
    assert!(said, "no 'already running' message; stderr: {lines:#?}");
    assert!(
        exited.is_none(),
        "it exited ({exited:?}) instead of showing the dialog"
    );
    assert!(!lines.iter().any(|l| l.contains("panicked")), "{lines:#?}");

    app.close().await.unwrap();
}
