//! The native local engine in the real window (WebKitGTK, no WebGPU): a premium desktop user
//! with local chosen is told the native llama.cpp engine answers and with which model; a question
//! streams tokens, shows the SQL written by the model on this machine, runs it and shows rows;
//! killing the engine's worker mid-answer gives a clear error and the next question is answered;
//! Stop during a generation stops it.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use datagata_e2e::App;

const SHORT: Duration = Duration::from_secs(20);
const LONG: Duration = Duration::from_secs(120);
const GGUF: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The folder scripts/setup put the test model in.
fn models() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("DATAGATA_MODELS_DIR")?);
    dir.join(GGUF).is_file().then_some(dir)
}

/// The engine worker's pid: the process of this test's own app (its tauri-driver's process
/// group) that runs `datagata engine-worker`. Never another test's or session's worker.
fn worker_pid(app: &App) -> Option<i32> {
    app.own_processes()
        .into_iter()
        .find(|(_, cmdline)| cmdline.split(' ').any(|arg| arg == "engine-worker"))
        .map(|(pid, _)| pid)
}

async fn ask(app: &App, question: &str) {
    app.fill("#ai-question", question).await.unwrap();
    app.click("#ai-ask").await.unwrap();
}

/// Waits for the SQL editor to hold the model's SQL.
async fn sql(app: &App) -> String {
    let deadline = Instant::now() + LONG;
    loop {
        if let Ok(el) = app.client.find(fantoccini::Locator::Css("#ai-sql")).await
            && let Ok(Some(v)) = el.prop("value").await
            && !v.trim().is_empty()
        {
            return v;
        }
        if let Ok(e) = app.text("#ai-error", Duration::from_millis(50)).await {
            panic!("the question failed: {e}");
        }
        assert!(Instant::now() < deadline, "no SQL within {LONG:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_premium_desktop_answers_locally_on_the_native_engine() {
    let Some(models) = models() else {
        eprintln!("skipped: no {GGUF} in DATAGATA_MODELS_DIR (scripts/setup puts it there)");
        return;
    };
    let app = App::start_with_models(&models)
        .await
        .expect("the app starts");
    app.text("#tier", LONG).await.unwrap();
    app.become_premium_desktop().await.unwrap();
    app.text_when("#webgpu-status", LONG, |t| !t.starts_with("Checking"))
        .await
        .unwrap();
    app.click("#tab-ask").await.unwrap();

    // The panel says which runtime answers, why, and with which model file.
    let reason = app.text("#ai-native-reason", LONG).await.unwrap();
    assert!(
        reason.contains("native llama.cpp engine answers"),
        "{reason}"
    );
    let model = app.text("#ai-native-model", SHORT).await.unwrap();
    assert!(model.ends_with(GGUF), "{model}");
    assert!(app.checked("#provider-local").await.unwrap());
    assert!(
        app.text("#ai-native-backend", SHORT)
            .await
            .unwrap()
            .starts_with("CPU")
    );

    // Killed mid-answer: a clear error, and the window carries on.
    ask(&app, "How many trips are there?").await;
    let deadline = Instant::now() + LONG;
    let pid = loop {
        if let Some(pid) = worker_pid(&app) {
            break pid;
        }
        assert!(Instant::now() < deadline, "no engine worker started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    // SAFETY: kill(2) on the worker we found; no memory is touched.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let error = app.text("#ai-error", LONG).await.unwrap();
    assert!(
        error.contains("local model failed") && error.contains("worker"),
        "{error}"
    );

    // The next question is answered: tokens streamed, SQL shown, run, rows.
    ask(&app, "How many trips are there?").await;
    let sql = sql(&app).await;
    assert!(sql.to_uppercase().starts_with("SELECT"), "{sql}");
    let streamed = app.text("#ai-stream", SHORT).await.unwrap();
    assert!(!streamed.trim().is_empty(), "no tokens were streamed");
    app.click("#ai-run").await.unwrap();
    let summary = app.text("#ai-summary", LONG).await;
    let runs_on = app.text("#ai-meta-runtime", SHORT).await.unwrap();
    assert_eq!(runs_on, "llama.cpp · CPU");
    match summary {
        Ok(s) => assert!(s.contains("row"), "{s}"),
        // The small model's SQL may be wrong: then DuckDB's error is shown, which is an answer too.
        Err(_) => {
            let e = app.text("#ai-error", SHORT).await.unwrap();
            eprintln!("the model's SQL did not run: {e}");
        }
    }

    // Stop while the engine is busy: a fresh worker loads the model, Stop lands meanwhile.
    if let Some(pid) = worker_pid(&app) {
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    ask(&app, "What is the average fare per borough?").await;
    let deadline = Instant::now() + LONG;
    while worker_pid(&app).is_none() {
        assert!(Instant::now() < deadline, "no engine worker started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    app.click("#ai-stop").await.unwrap();
    let error = app.text("#ai-error", LONG).await.unwrap();
    assert!(error.contains("stopped"), "{error}");

    app.close().await.unwrap();
}
