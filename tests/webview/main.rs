//! The WebLLM bridge (src-ui/js/webllm.js, bundled into src-ui/dist by scripts/build-ui) in a real
//! browser: headless Chromium (apt `chromium`) driven through chromedriver (apt `chromium-driver`),
//! with real WebGPU from SwiftShader (a software adapter: vendor "google", no `shader-f16`).
//!
//! A tiny static server on 127.0.0.1 serves src-ui/dist plus this folder's test page
//! (bridge-test.html/.js) with the app's Content-Security-Policy, so the bridge, its lazily loaded
//! WebLLM chunk and its module worker load under the same rules as in the app.
//!
//! Run: `bash scripts/build-ui && cargo test -p datagata-e2e --test webview`

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime},
};

use anyhow::{Context, bail};
use datagata_e2e::free_port;
use fantoccini::{Client, ClientBuilder, wd::TimeoutConfiguration};
use serde_json::{Value, json};
use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
};
use tokio::process::{Child, Command};

/// The app's CSP (tauri.conf.json), the parts that matter to scripts, workers and wasm.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "chromedriver";
/// Files served from tests/webview; everything else comes from src-ui/dist.
const TEST_FILES: &[&str] = &["bridge-test.html", "bridge-test.js"];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// src-ui/dist must hold a build of the current bridge: this test does not build it.
fn check_dist(dist: &Path) -> anyhow::Result<()> {
    let root = repo_root();
    for f in ["webllm-bridge.js", "webllm-worker.js", "main.js"] {
        if !dist.join(f).is_file() {
            bail!(
                "{} is missing: build the front end first with `bash scripts/build-ui`",
                dist.join(f).display()
            );
        }
    }
    let built = mtime(&dist.join("webllm-bridge.js"));
    for src in ["src-ui/js/webllm.js", "src-ui/js/webllm-worker.js"] {
        if let (Some(s), Some(b)) = (mtime(&root.join(src)), built)
            && s > b
        {
            bail!("{src} is newer than src-ui/dist: rebuild with `bash scripts/build-ui`");
        }
    }
    Ok(())
}

fn mime(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// What the static server saw: "<status> <path>" per request, for failure messages.
type RequestLog = Arc<Mutex<Vec<String>>>;

fn serve_one(
    mut sock: TcpStream,
    dist: &Path,
    pages: &Path,
    log: &RequestLog,
) -> std::io::Result<()> {
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut buf)?;
        if n == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut first = head.lines().next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() {
        "bridge-test.html"
    } else {
        rel
    };
    let safe = rel
        .split('/')
        .all(|s| !s.is_empty() && s != "." && s != "..");
    // /models/<id>/resolve/main/<file>: the model folder fixtures, the way the app's dgmodel
    // protocol serves imported folders.
    let file = if TEST_FILES.contains(&rel) {
        pages.join(rel)
    } else if let Some(model) = rel.strip_prefix("models/") {
        repo_root()
            .join("tests/fixtures/models")
            .join(model.replacen("/resolve/main/", "/", 1))
    } else {
        dist.join(rel)
    };
    let body = if safe && (method == "GET" || method == "HEAD") {
        std::fs::read(&file).ok()
    } else {
        None
    };
    let (status, ctype, body) = match body {
        Some(b) => ("200 OK", mime(rel), b),
        None => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            b"not found".to_vec(),
        ),
    };
    log.lock().unwrap().push(format!("{} {path}", &status[..3]));
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
         Content-Security-Policy: {CSP}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    sock.write_all(header.as_bytes())?;
    if method != "HEAD" {
        sock.write_all(&body)?;
    }
    sock.flush()
}

/// Serves dist + the test page on 127.0.0.1 (a free port), from a thread per connection; returns
/// the base URL. The listener thread lives as long as the test process.
fn start_server(log: RequestLog) -> anyhow::Result<String> {
    let root = repo_root();
    let dist = root.join("src-ui/dist");
    check_dist(&dist)?;
    let pages = root.join("tests/webview");
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            let (dist, pages, log) = (dist.clone(), pages.clone(), log.clone());
            std::thread::spawn(move || {
                let _ = serve_one(sock, &dist, &pages, &log);
            });
        }
    });
    Ok(format!("http://{addr}"))
}

/// Headless Chromium under chromedriver, with a fresh profile; everything stops on drop.
struct Browser {
    client: Option<Client>,
    _driver: Child,
    _profile: tempfile::TempDir,
    log: RequestLog,
    base: String,
}

impl Browser {
    async fn start() -> anyhow::Result<Self> {
        if !Path::new(CHROMIUM).exists() {
            bail!(
                "{CHROMIUM} is missing: run scripts/setup (it installs apt packages chromium and chromium-driver)"
            );
        }
        let log = RequestLog::default();
        let base = start_server(log.clone())?;
        let profile = tempfile::tempdir()?;
        let port = free_port()?;
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context(
                "chromedriver did not start: run scripts/setup (apt package chromium-driver)",
            )?;
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--enable-unsafe-webgpu".into(),
            "--use-webgpu-adapter=swiftshader".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = loop {
            match ClientBuilder::native()
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => {
                    bail!("no WebDriver session from chromedriver at {url} within 60 s: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        };
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(180)),
                Some(Duration::from_secs(60)),
                Some(Duration::ZERO),
            ))
            .await?;
        Ok(Self {
            client: Some(client),
            _driver: driver,
            _profile: profile,
            log,
            base,
        })
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("client open")
    }

    async fn open(&self, query: &str) -> anyhow::Result<()> {
        self.client()
            .goto(&format!("{}/bridge-test.html{query}", self.base))
            .await?;
        Ok(())
    }

    /// Runs `window.bridgeTest[name](arg)` in the page and returns what it resolves to.
    async fn call(&self, name: &str, arg: Value) -> anyhow::Result<Value> {
        const SCRIPT: &str = r#"
            const [name, arg, done] = arguments;
            (async () => {
              for (let i = 0; i < 600 && !window.bridgeTestReady && !window.bridgeTestError; i++) {
                await new Promise((r) => setTimeout(r, 100));
              }
              if (!window.bridgeTestReady) {
                throw new Error(window.bridgeTestError || "the test page never became ready");
              }
              return window.bridgeTest[name](arg);
            })().then(
              (value) => done({ value: value === undefined ? null : value, log: window.bridgeTestLog || [] }),
              (e) => done({ error: String((e && e.stack) || e), log: window.bridgeTestLog || [] }),
            );
        "#;
        let started = Instant::now();
        let out = self
            .client()
            .execute_async(SCRIPT, vec![json!(name), arg])
            .await
            .with_context(|| format!("scenario {name}: {}", self.diagnostics()))?;
        eprintln!(
            "[webview] {name} ({:.1} s): {}",
            started.elapsed().as_secs_f64(),
            out["value"]
        );
        if let Some(e) = out.get("error") {
            bail!(
                "scenario {name} threw: {e}\npage log: {}\n{}",
                out["log"],
                self.diagnostics()
            );
        }
        Ok(out["value"].clone())
    }

    fn diagnostics(&self) -> String {
        format!("requests served: {:?}", self.log.lock().unwrap())
    }

    async fn close(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }
}

// ---- assertion helpers ---------------------------------------------------------------------

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{ptr} is not a string in {v}"))
}
fn f(v: &Value, ptr: &str) -> f64 {
    v.pointer(ptr)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{ptr} is not a number in {v}"))
}
fn b(v: &Value, ptr: &str) -> bool {
    v.pointer(ptr)
        .and_then(Value::as_bool)
        .unwrap_or_else(|| panic!("{ptr} is not a bool in {v}"))
}
fn err<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(&format!("{ptr}/error"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| {
            panic!(
                "{ptr} should have failed with an Error, got {}",
                v.pointer(ptr).unwrap_or(&Value::Null)
            )
        })
}
fn ok<'a>(v: &'a Value, ptr: &str) -> &'a Value {
    if let Some(e) = v.pointer(&format!("{ptr}/error")) {
        panic!("{ptr} failed: {e}");
    }
    v.pointer(&format!("{ptr}/value"))
        .unwrap_or_else(|| panic!("{ptr} has no value in {v}"))
}

// ---- tests ---------------------------------------------------------------------------------

/// Real WebGPU (SwiftShader), the real WebLLM library on the page and the real worker.
#[tokio::test(flavor = "multi_thread")]
async fn bridge_on_real_webgpu_and_worker() {
    let br = Browser::start()
        .await
        .expect("headless Chromium under chromedriver");
    br.open("").await.unwrap();

    let cap = br.call("capability", Value::Null).await.unwrap();
    assert!(b(&cap, "/ok"), "capability() not ok on SwiftShader: {cap}");
    assert_eq!(cap["reason"], Value::Null, "{cap}");
    assert!(
        !b(&cap, "/shaderF16"),
        "SwiftShader has no shader-f16: {cap}"
    );
    assert_eq!(s(&cap, "/adapter/vendor"), "google", "{cap}");
    assert_eq!(s(&cap, "/adapter/architecture"), "swiftshader", "{cap}");
    assert!(f(&cap, "/maxStorageBufferBindingSize") > 0.0, "{cap}");

    let m = br.call("modelFor", Value::Null).await.unwrap();
    assert_eq!(ok(&m, "/f32"), "Llama-3.2-3B-Instruct-q4f32_1-MLC");
    assert_eq!(ok(&m, "/f16"), "Llama-3.2-3B-Instruct-q4f16_1-MLC");
    assert_eq!(ok(&m, "/alreadyF32"), "Llama-3.2-3B-Instruct-q4f32_1-MLC");
    let unknown = err(&m, "/unknown");
    assert!(
        unknown.contains("No-Such-Model-q4f16_1-MLC") && unknown.contains("prebuilt"),
        "{unknown}"
    );
    let no_f32 = err(&m, "/noF32Build");
    assert!(
        no_f32.contains("shader-f16") && no_f32.contains("gemma3-1b-it-q4f16_1-MLC"),
        "{no_f32}"
    );
    err(&m, "/empty");

    let c = br.call("cache", Value::Null).await.unwrap();
    assert_eq!(ok(&c, "/cached"), &json!(false), "{c}");
    assert!(err(&c, "/unknown").contains("No-Such-Model"), "{c}");
    assert_eq!(ok(&c, "/deleteUncached"), "deleted", "{c}");
    assert_eq!(
        c["partialLeft"], false,
        "the partial download was removed: {c}"
    );
    assert_eq!(
        c["otherLeft"], true,
        "another model's files were left alone: {c}"
    );

    // The real worker starts under the CSP, answers a call that needs no model with an error, and
    // sees WebGPU from inside the worker.
    let w = br.call("realWorker", Value::Null).await.unwrap();
    assert!(b(&w, "/alive"), "{w}");
    let no_model = s(&w, "/noModelError");
    assert!(no_model.to_lowercase().contains("model"), "{no_model}");
    assert_eq!(w["gpuVendor"], "google", "WebGPU inside the worker: {w}");

    // Loading for real cannot fetch anything here (the CSP allows only 'self'): it must fail with
    // a clear Error, quickly, and leave the bridge usable.
    let r = br.call("realLoadFails", Value::Null).await.unwrap();
    let e = err(&r, "");
    assert!(
        e.starts_with("Could not load the model Llama-3.2-1B-Instruct-q4f32_1-MLC: "),
        "{e}"
    );
    assert!(f(&r, "/ms") < 60_000.0, "{r}");
    assert!(err(&r, "/afterwards").contains("No model is loaded"), "{r}");

    // Every file came from the local server: nothing was missing.
    let log = br.log.lock().unwrap().clone();
    assert!(
        log.iter().all(|l| l.starts_with("200")),
        "requests: {log:?}"
    );
    assert!(
        log.iter().any(|l| l.ends_with("/webllm-worker.js")),
        "requests: {log:?}"
    );
    br.close().await;
}

/// A test double in place of the worker engine (setEngineFactory): progress, streaming, usage,
/// stop, failures and timeouts.
#[tokio::test(flavor = "multi_thread")]
async fn bridge_with_a_test_double_engine() {
    let br = Browser::start()
        .await
        .expect("headless Chromium under chromedriver");
    br.open("").await.unwrap();

    // Progress: relayed with bytes parsed from WebLLM's text, totals and a speed.
    let p = br.call("progress", Value::Null).await.unwrap();
    ok(&p, "/first");
    let reports = p["reports"].as_array().expect("reports");
    assert!(reports.len() >= 5, "{p}");
    let fetch: Vec<&Value> = reports
        .iter()
        .filter(|r| !r["loadedBytes"].is_null())
        .collect();
    assert_eq!(fetch.len(), 4, "{p}");
    for (i, r) in fetch.iter().enumerate() {
        let n = (i + 1) as f64;
        assert_eq!(f(r, "/loadedBytes"), n * 10.0 * 1048576.0, "{r}");
        assert_eq!(f(r, "/progress"), n / 4.0, "{r}");
        assert!((f(r, "/totalBytes") - 40.0 * 1048576.0).abs() < 1.0, "{r}");
        assert!(s(r, "/text").starts_with("Fetching param cache["), "{r}");
    }
    for r in &fetch[1..] {
        let bps = f(r, "/bytesPerSecond");
        // 10 MiB every ~200 ms: about 50 MiB/s.
        assert!(
            bps > 10.0 * 1048576.0 && bps < 200.0 * 1048576.0,
            "speed {bps}: {r}"
        );
    }
    let last = reports.last().unwrap();
    assert_eq!(f(last, "/progress"), 1.0, "{last}");
    assert!(
        last["loadedBytes"].is_null() && last["bytesPerSecond"].is_null(),
        "{last}"
    );
    // Loading the model already loaded reloads nothing; another model reloads the same engine.
    ok(&p, "/again");
    assert_eq!(p["reloadsAfterAgain"], 1, "{p}");
    ok(&p, "/other");
    assert_eq!(
        p["log"]["reloads"],
        json!([
            "Llama-3.2-1B-Instruct-q4f32_1-MLC",
            "Llama-3.2-3B-Instruct-q4f32_1-MLC"
        ]),
        "{p}"
    );
    assert_eq!(p["log"]["factoryCalls"], 1, "{p}");
    assert_eq!(
        p["log"]["factoryModel"], "Llama-3.2-1B-Instruct-q4f32_1-MLC",
        "{p}"
    );

    // Streaming: tokens in order, the request as WebLLM wants it, usage -> token counts.
    let st = br.call("stream", Value::Null).await.unwrap();
    assert_eq!(
        st["tokens"],
        json!(["Hel", "lo", ",", " world", "!"]),
        "{st}"
    );
    let res = ok(&st, "/result");
    assert_eq!(res["text"], "Hello, world!", "{st}");
    assert_eq!(res["inputTokens"], 17, "{st}");
    assert_eq!(res["outputTokens"], 5, "{st}");
    assert_eq!(res["stopped"], false, "{st}");
    assert!(f(res, "/timeToFirstTokenMs") > 0.0, "{st}");
    assert!(
        f(res, "/durationMs") >= f(res, "/timeToFirstTokenMs"),
        "{st}"
    );
    assert!(f(res, "/tokensPerSecond") > 0.0, "{st}");
    let req = &st["log"]["requests"][0];
    assert_eq!(req["stream"], true, "{req}");
    assert_eq!(
        req["stream_options"],
        json!({ "include_usage": true }),
        "{req}"
    );
    assert_eq!(req["max_tokens"], 64, "{req}");
    assert_eq!(req["temperature"], 0.2, "{req}");
    assert_eq!(
        req["messages"][1],
        json!({ "role": "user", "content": "Say hello." }),
        "{req}"
    );
    // The SQL grammar reaches the engine as WebLLM's response_format grammar mode.
    assert_eq!(
        req["response_format"],
        json!({
            "type": "grammar",
            "grammar": "root ::= \"SELECT \" item (\", \" item){0,2} \" FROM taxi\"\nitem ::= \"count(*)\" | \"max(fare_amount)\"\n"
        }),
        "{req}"
    );
    assert_eq!(ok(&st, "/second")["text"], "Hello, world!", "{st}");
    assert_eq!(st["log"]["requests"][1]["max_tokens"], 8, "{st}");
    assert!(
        st["log"]["requests"][1].get("response_format").is_none(),
        "no grammar, no response_format: {st}"
    );

    // stop() mid-stream: the engine is interrupted, generate resolves stopped with the text so far.
    let sp = br.call("stop", json!(false)).await.unwrap();
    let r = ok(&sp, "/result");
    assert_eq!(r["stopped"], true, "{sp}");
    assert_eq!(sp["stopReturned"], true, "{sp}");
    assert_eq!(sp["stopWhenIdle"], false, "{sp}");
    let text = s(r, "/text");
    assert!(text.starts_with("Hello,"), "{sp}");
    assert_eq!(sp["tokensAtResolve"], 3, "{sp}");
    assert!(
        f(&sp, "/result/ms") < 2_500.0,
        "the engine honoured the interrupt: {sp}"
    );
    assert!(sp["log"]["interrupts"].as_u64().unwrap() >= 1, "{sp}");
    // ... and when the engine ignores the interrupt, generate still resolves after a grace period.
    let sp = br.call("stop", json!(true)).await.unwrap();
    let r = ok(&sp, "/result");
    assert_eq!(r["stopped"], true, "{sp}");
    assert!(f(&sp, "/result/ms") < 10_000.0, "{sp}");

    // An engine whose reload throws: a clear Error naming the model and the cause.
    let rt = br.call("reloadThrows", Value::Null).await.unwrap();
    let e = err(&rt, "/r");
    assert_eq!(
        e,
        "Could not load the model Llama-3.2-1B-Instruct-q4f32_1-MLC: GPUDevice was lost (test double)"
    );
    assert!(
        err(&rt, "/generateAfter").contains("No model is loaded"),
        "{rt}"
    );

    // A load that reports nothing fails on its stall timeout.
    let ls = br.call("loadStalls", Value::Null).await.unwrap();
    assert!(err(&ls, "/r").contains("stalled"), "{ls}");
    assert!(f(&ls, "/r/ms") < 5_000.0, "{ls}");

    // An engine that never yields: generate rejects on its timeouts instead of hanging.
    let ny = br.call("neverYields", Value::Null).await.unwrap();
    assert!(
        err(&ny, "/idle").contains("produced nothing for 1 s"),
        "{ny}"
    );
    let idle_ms = f(&ny, "/idle/ms");
    assert!((600.0..5_000.0).contains(&idle_ms), "{ny}");
    assert!(err(&ny, "/total").contains("took longer than 1 s"), "{ny}");
    let total_ms = f(&ny, "/total/ms");
    assert!((800.0..5_000.0).contains(&total_ms), "{ny}");
    assert!(
        ny["log"]["interrupts"].as_u64().unwrap() >= 2,
        "timeouts interrupt the engine: {ny}"
    );

    let nm = br.call("noModel", Value::Null).await.unwrap();
    assert!(err(&nm, "/r").contains("No model is loaded"), "{nm}");
    br.close().await;
}

/// A model folder imported from disk (setLocalModels): it replaces WebLLM's prebuilt record, a
/// folder without a library is refused by name, and the real worker fetches the folder's files
/// from the URL it was given (here the test server; in the app the dgmodel protocol).
#[tokio::test(flavor = "multi_thread")]
async fn bridge_with_an_imported_model_folder() {
    let br = Browser::start()
        .await
        .expect("headless Chromium under chromedriver");
    br.open("").await.unwrap();
    let v = br.call("importedModel", Value::Null).await.unwrap();
    let no_lib = err(&v, "/noLib");
    assert!(
        no_lib.contains("Tiny-Test-q4f32_1-MLC") && no_lib.contains("has no model library (.wasm)"),
        "{no_lib}"
    );
    assert_eq!(ok(&v, "/withLib"), "Tiny-Test-q4f32_1-MLC", "{v}");
    assert_eq!(
        ok(&v, "/prebuiltLib"),
        "Llama-3.2-1B-Instruct-q4f32_1-MLC",
        "{v}"
    );
    assert_eq!(ok(&v, "/cached"), &json!(false), "{v}");
    let load = err(&v, "/load");
    assert!(
        load.starts_with("Could not load the model Tiny-Test-q4f32_1-MLC: "),
        "{load}"
    );
    assert!(f(&v, "/load/ms") < 30_000.0, "{v}");
    assert!(
        err(&v, "/gone").contains("nor an imported model folder"),
        "{v}"
    );
    assert!(err(&v, "/bad").contains("bad record"), "{v}");
    let log = br.log.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l == "200 /models/Tiny-Test-q4f32_1-MLC/resolve/main/mlc-chat-config.json"),
        "the worker fetched the imported folder's config from its URL: {log:?}"
    );
    br.close().await;
}

/// A WebView without WebGPU (navigator.gpu hidden before the bridge loads).
#[tokio::test(flavor = "multi_thread")]
async fn bridge_without_webgpu() {
    let br = Browser::start()
        .await
        .expect("headless Chromium under chromedriver");
    br.open("?nogpu").await.unwrap();
    let v = br.call("noGpu", Value::Null).await.unwrap();
    assert!(!b(&v, "/capability/ok"), "{v}");
    let reason = s(&v, "/capability/reason");
    assert!(
        reason.contains("WebGPU is not available") && reason.contains("navigator.gpu"),
        "{reason}"
    );
    assert!(
        reason.contains("Chromium"),
        "the reason names the WebView: {reason}"
    );
    assert_eq!(v["capability"]["adapter"], Value::Null, "{v}");
    assert!(
        err(&v, "/modelForBeforeReady").contains("not loaded yet"),
        "{v}"
    );
    br.close().await;
}
