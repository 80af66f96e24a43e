//! GGUF models in the real window: the AI Config's GGUF is offered with its size and the memory
//! it needs, downloads from a real HTTP server on 127.0.0.1 (the test-only `DATAGATA_GGUF_URL`
//! points the app there) with its progress, is cancelled mid-file and shown as partial, resumes
//! with a Range request, is verified and answers; it is deleted with the disk it frees. A GGUF
//! file imported from disk is listed, answers, is remembered across a restart and forgotten.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use datagata_e2e::App;

// The same model-host stand-in the download's unit tests use.
#[path = "../../src-tauri/src/ai/gguf/fake_server.rs"]
mod fake_server;
use fake_server::{Mode, Server};

const SHORT: Duration = Duration::from_secs(20);
const LONG: Duration = Duration::from_secs(120);
const GGUF: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

fn model() -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os("DATAGATA_MODELS_DIR")?).join(GGUF);
    path.is_file().then_some(path)
}

/// Serves `file` on 127.0.0.1 (Range requests too) at about 20 MB/s, for at most 10
/// connections and 5 minutes.
fn serve(file: &Path) -> Server {
    let body = std::fs::read(file).unwrap();
    let pace = Mode::Paced {
        piece: 200 * 1024,
        pause: Duration::from_millis(10),
    };
    Server::start(GGUF, body, pace, 10, Duration::from_secs(300))
}

async fn premium_on_ask(app: &App) {
    app.text("#tier", LONG).await.unwrap();
    app.become_premium_desktop().await.unwrap();
    app.text_when("#webgpu-status", LONG, |t| !t.starts_with("Checking"))
        .await
        .unwrap();
    app.click("#tab-ask").await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ai_configs_gguf_downloads_with_progress_cancels_resumes_and_is_deleted() {
    let Some(model) = model() else {
        eprintln!("skipped: no {GGUF} in DATAGATA_MODELS_DIR (scripts/setup puts it there)");
        return;
    };
    let server = serve(&model);
    let url = server.url.clone();
    let app = App::start_with_env(
        tempfile::tempdir().unwrap(),
        vec![("DATAGATA_GGUF_URL".into(), url.clone())],
    )
    .await
    .expect("the app starts");
    premium_on_ask(&app).await;

    // Before the download: no model, the offer with its size and the memory it needs.
    let problem = app.text("#ai-native-problem", LONG).await.unwrap();
    assert!(problem.contains("no GGUF model file"), "{problem}");
    let state = app.text("#gguf-offer-state", SHORT).await.unwrap();
    assert_eq!(state, "not downloaded");
    let sizes = app.text("#gguf-offer-sizes", SHORT).await.unwrap();
    assert!(
        sizes.starts_with("98.4 MB download · needs about 348 MB of memory"),
        "{sizes}"
    );
    assert_eq!(app.text("#gguf-offer-url", SHORT).await.unwrap(), url);

    // Download, see the progress, cancel mid-file: a partial download that says so.
    app.click("#gguf-download").await.unwrap();
    let progress = app
        .text_when("#gguf-progress-text", LONG, |t| {
            t.contains(" MB of 98.4 MB")
        })
        .await
        .unwrap();
    assert!(progress.contains('%'), "{progress}");
    app.click("#gguf-cancel").await.unwrap();
    let partial = app
        .text_when("#gguf-offer-state", LONG, |t| {
            t.starts_with("partly downloaded")
        })
        .await
        .unwrap();
    assert!(
        partial.ends_with("of 98.4 MB (Download resumes it)"),
        "{partial}"
    );
    let note = app.text("#gguf-note", SHORT).await.unwrap();
    assert!(note.contains("cancelled"), "{note}");
    let part = app
        .home()
        .join("data/com.datagata.desktop/models")
        .join(format!("{GGUF}.part"));
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept > 0 && kept < 98_362_432, "{kept}");

    // Resume: a Range request from what the partial file holds, then the checksum, then it answers.
    app.text_when("#gguf-download", SHORT, |t| t == "Resume download")
        .await
        .unwrap();
    app.click("#gguf-download").await.unwrap();
    app.text_when("#gguf-offer-state", LONG, |t| t == "on this machine")
        .await
        .unwrap();
    let seen = server.ranges();
    assert_eq!(seen[0], None);
    let resumed_at: u64 = seen[1]
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse().ok())
        .unwrap();
    assert!(resumed_at >= kept, "{seen:?}, kept {kept}");
    let downloaded = app
        .home()
        .join("data/com.datagata.desktop/models")
        .join(GGUF);
    assert_eq!(
        std::fs::read(&downloaded).unwrap(),
        std::fs::read(&model).unwrap()
    );
    assert!(!part.exists());
    let used = app.text("#ai-native-model", SHORT).await.unwrap();
    assert!(used.ends_with(GGUF), "{used}");
    assert_eq!(app.count("#ai-native-problem").await.unwrap(), 0);

    // Delete, with the disk it frees said first.
    let delete = app
        .text(
            &format!("li.gguf-file[data-name='{GGUF}'] .gguf-remove"),
            SHORT,
        )
        .await
        .unwrap();
    assert_eq!(delete, "Delete (98.4 MB)");
    let remove = format!("li.gguf-file[data-name='{GGUF}'] .gguf-remove");
    app.click(&remove).await.unwrap();
    app.text_when(&remove, SHORT, |t| t == "Really delete? It frees 98.4 MB")
        .await
        .unwrap();
    assert!(downloaded.exists(), "asked first");
    app.click(&remove).await.unwrap();
    app.text_when("#gguf-offer-state", SHORT, |t| t == "not downloaded")
        .await
        .unwrap();
    assert!(!downloaded.exists());
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gguf_imported_from_disk_answers_and_is_remembered() {
    let Some(model) = model() else {
        eprintln!("skipped: no {GGUF} in DATAGATA_MODELS_DIR (scripts/setup puts it there)");
        return;
    };
    // A copy under another name, so the list shows it as imported, not the AI Config's file.
    let outside = tempfile::tempdir().unwrap();
    let file = outside.path().join("My-SmolLM2.gguf");
    std::fs::copy(&model, &file).unwrap();
    let app = App::start().await.expect("the app starts");
    premium_on_ask(&app).await;
    app.text("#ai-native-problem", LONG).await.unwrap();

    // Not a GGUF: refused with the reason.
    let bad = outside.path().join("notes.gguf");
    std::fs::write(&bad, b"hello").unwrap();
    app.fill("#gguf-path", &bad.display().to_string())
        .await
        .unwrap();
    app.click("#gguf-import").await.unwrap();
    let error = app.text("#gguf-error", SHORT).await.unwrap();
    assert!(error.contains("is not a GGUF model file"), "{error}");

    app.fill("#gguf-path", &file.display().to_string())
        .await
        .unwrap();
    app.click("#gguf-import").await.unwrap();
    let row = "li.gguf-file[data-name='My-SmolLM2.gguf']";
    let used = app.text(&format!("{row} .gguf-used"), SHORT).await.unwrap();
    assert_eq!(used, "answers local questions (your pick)");
    assert_eq!(
        app.text("#ai-native-model", SHORT).await.unwrap(),
        file.display().to_string()
    );
    assert_eq!(app.count("#ai-native-problem").await.unwrap(), 0);

    // Remembered across a restart, the file left where it was; then forgotten.
    let app = app.restart().await.unwrap();
    app.text("#tier", LONG).await.unwrap();
    app.click("#tab-ask").await.unwrap();
    app.text(&format!("{row} .gguf-used"), LONG).await.unwrap();
    app.click(&format!("{row} .gguf-remove")).await.unwrap();
    app.text("#ai-native-problem", SHORT).await.unwrap();
    assert_eq!(app.count(row).await.unwrap(), 0);
    assert!(file.exists(), "Forget leaves the file alone");
    app.close().await.unwrap();
}
