//! The harness for DataGata's end-to-end tests: starts `tauri-driver` (which starts
//! WebKitWebDriver, which starts the real app binary) on free loopback ports, opens a WebDriver
//! session on it, and cleans everything up when dropped.
//!
//! Needs a display (`scripts/test` runs these tests under `xvfb-run`), `tauri-driver` and
//! `WebKitWebDriver` on PATH (`scripts/setup` installs both), and the app built first; the app's
//! path comes from `DATAGATA_APP`, else `$CARGO_TARGET_DIR/debug/datagata`.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::process::{Child, Command};

/// How long a session may take to appear (the app's first start compiles shaders, loads wasm).
const SESSION_TIMEOUT: Duration = Duration::from_secs(90);
/// How long one attempt to open the session may take (a dead app must not hang it).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a closed app may take to exit (and let go of its database) before a restart.
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);
/// The app's (and its drivers') stderr, kept in the test's home and shown when a test fails.
const STDERR_LOG: &str = "app-stderr.log";
/// The size of the sample the app generates on its (test) first start.
pub const SAMPLE_ROWS: u64 = 50_000;
/// How long the first start may take to generate that sample and show it.
const SAMPLE_WAIT: Duration = Duration::from_secs(90);

/// The app binary under test.
pub fn app_binary() -> anyhow::Result<PathBuf> {
    let path = match std::env::var_os("DATAGATA_APP") {
        Some(p) => PathBuf::from(p),
        None => {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
            target.join("debug/datagata")
        }
    };
    if !path.is_file() {
        bail!(
            "the app binary {} does not exist: build it first (scripts/test does)",
            path.display()
        );
    }
    Ok(path)
}

/// A free TCP port on 127.0.0.1 for a driver to listen on.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running app, reached through WebDriver.
pub struct App {
    pub client: Client,
    driver: Child,
    /// The app's data and config directories: a fresh profile per test (taken by a restart).
    home: Option<tempfile::TempDir>,
    /// Where the app's stderr goes.
    stderr_log: PathBuf,
    /// Variables the app was started with (kept for a restart).
    env: Vec<(String, String)>,
}

/// The last lines of the app's stderr, for a failure message.
fn stderr_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
    if tail.is_empty() {
        "(the app wrote nothing to stderr)".into()
    } else {
        format!("the app's stderr ({}):\n{tail}", path.display())
    }
}

/// The processes of process group `group` that have not exited (zombies have: they hold no
/// files), read from /proc.
fn live_members(group: i32) -> Vec<(i32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (head, rest) = stat.rsplit_once(')')?;
            let name = head.split_once('(')?.1.to_string();
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let (state, pgrp) = (fields.first()?, fields.get(2)?.parse::<i32>().ok()?);
            (pgrp == group && !matches!(*state, "Z" | "X")).then_some((pid, name))
        })
        .collect()
}

impl App {
    /// Starts the real app through tauri-driver and waits for a WebDriver session. The app gets
    /// empty data and config directories (XDG), so it starts as on a first launch and never
    /// touches the tester's own settings.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_in(tempfile::tempdir()?).await
    }

    /// Starts the app with the GGUF models in `models` (the native engine's folder, as
    /// `DATAGATA_MODELS_DIR`): a fresh home whose `models` folder links to it.
    pub async fn start_with_models(models: &Path) -> anyhow::Result<Self> {
        let home = tempfile::tempdir()?;
        let data = home.path().join("data/com.datagata.desktop");
        std::fs::create_dir_all(&data)?;
        std::os::unix::fs::symlink(models, data.join("models"))?;
        Self::start_in(home).await
    }

    /// The `datagata` binary with `home` as its XDG home: the same data directory the app
    /// started with [`App::start_in`] uses.
    pub fn command(home: &Path) -> anyhow::Result<std::process::Command> {
        let mut command = std::process::Command::new(app_binary()?);
        command
            .current_dir(home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("DATAGATA_SAMPLE_ROWS", SAMPLE_ROWS.to_string())
            .env_remove("DATAGATA_DATA_DIR")
            .env_remove("DATAGATA_MODELS_DIR")
            .env_remove("MOTHERDUCK_TOKEN")
            .env_remove("LAUNCHDARKLY_SDK_KEY");
        Ok(command)
    }

    /// Runs the `datagata` CLI with `home` as its XDG home (see [`App::command`]).
    pub fn cli(home: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
        Ok(Self::command(home)?.args(args).output()?)
    }

    /// Saves a premium profile on a desktop in the dashboard and waits until it is in force.
    pub async fn become_premium_desktop(&self) -> anyhow::Result<()> {
        self.click("#tab-dashboard").await?;
        self.select("#profile-tier", "premium").await?;
        self.select("#profile-device", "desktop").await?;
        self.click("#profile-save").await?;
        self.text_when("#tier", Duration::from_secs(20), |t| t == "premium")
            .await?;
        Ok(())
    }

    /// The running app's XDG home.
    pub fn home(&self) -> &Path {
        self.home
            .as_ref()
            .map(|h| h.path())
            .unwrap_or(Path::new("/"))
    }

    /// Starts the app with `home` as its XDG home (data prepared there, e.g. by [`App::cli`]).
    pub async fn start_in(home: tempfile::TempDir) -> anyhow::Result<Self> {
        Self::start_with_env(home, Vec::new()).await
    }

    /// [`App::start_in`], the app also given the variables `env` (e.g. a test-only override).
    pub async fn start_with_env(
        home: tempfile::TempDir,
        env: Vec<(String, String)>,
    ) -> anyhow::Result<Self> {
        let app = app_binary()?;
        let port = free_port()?;
        let native_port = free_port()?;
        // Its own process group, so stopping it also stops the WebKitWebDriver it starts (which
        // would otherwise outlive the test, holding our stdout open).
        let stderr_log = home.path().join(STDERR_LOG);
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr_log)
            .context("opening the app's stderr log")?;
        let mut driver = Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            // A first start generates the sample: a small one keeps tests quick.
            .env("DATAGATA_SAMPLE_ROWS", SAMPLE_ROWS.to_string())
            // Tests see the app as a person without a MotherDuck token or a LaunchDarkly key.
            .env_remove("DATAGATA_DATA_DIR")
            .env_remove("DATAGATA_MODELS_DIR")
            .env_remove("MOTHERDUCK_TOKEN")
            .env_remove("LAUNCHDARKLY_SDK_KEY")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .context("starting tauri-driver (run scripts/setup to install it)")?;

        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app.to_string_lossy() }),
        );
        caps.insert("browserName".into(), "wry".into());

        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + SESSION_TIMEOUT;
        let client = loop {
            let attempt = tokio::time::timeout(
                CONNECT_TIMEOUT.min(deadline.saturating_duration_since(Instant::now())),
                ClientBuilder::native()
                    .capabilities(caps.clone())
                    .connect(&url),
            )
            .await;
            let why = match attempt {
                Ok(Ok(client)) => break client,
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!("opening the session took over {CONNECT_TIMEOUT:?}"),
            };
            if let Some(status) = driver.try_wait()? {
                bail!(
                    "tauri-driver exited ({status}) before a session opened: {why}\n{}",
                    stderr_tail(&stderr_log)
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "no WebDriver session within {SESSION_TIMEOUT:?}: {why}\n{}",
                    stderr_tail(&stderr_log)
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        Ok(Self {
            client,
            driver,
            home: Some(home),
            stderr_log,
            env,
        })
    }

    /// The live processes this test's tauri-driver started (it, WebKitWebDriver, the app, the
    /// app's engine worker …: its process group), each with its command line. Only these: other
    /// tests' or sessions' apps on the same machine are not in the group.
    pub fn own_processes(&self) -> Vec<(i32, String)> {
        let Some(pid) = self.driver.id() else {
            return vec![];
        };
        live_members(pid as i32)
            .into_iter()
            .filter_map(|(pid, _)| {
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
                Some((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")))
            })
            .collect()
    }

    /// Stops tauri-driver and everything in its process group: SIGTERM first (tauri-driver then
    /// stops its WebKitWebDriver), SIGKILL for whatever is left after a grace period. Returns
    /// once every process of the group has exited (the app too: its database is free), or says
    /// which are still there after [`EXIT_TIMEOUT`].
    fn stop_driver(&mut self) -> anyhow::Result<()> {
        let Some(pid) = self.driver.id() else {
            return Ok(());
        };
        let group = -(pid as libc::pid_t);
        // SAFETY: plain kill(2) on the process group we created; no memory is touched.
        unsafe { libc::kill(group, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && !matches!(self.driver.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: as above.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = self.driver.try_wait();
        let deadline = Instant::now() + EXIT_TIMEOUT;
        loop {
            let _ = self.driver.try_wait();
            let left = live_members(pid as i32);
            if left.is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("still running {EXIT_TIMEOUT:?} after being stopped: {left:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The text of the first element matching `css`, waiting up to `timeout` for it to appear.
    pub async fn text(&self, css: &str, timeout: Duration) -> anyhow::Result<String> {
        let element = self
            .client
            .wait()
            .at_most(timeout)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for {css}"))?;
        Ok(element.text().await?)
    }

    /// Opens the Query tab once the first start's synthetic sample is in place, and returns
    /// the data origin line.
    pub async fn open_query_tab(&self) -> anyhow::Result<String> {
        self.click("#tab-query").await?;
        self.text_when("#data-origin", SAMPLE_WAIT, |t| t.contains("synthetic"))
            .await
    }

    /// Waits until the element's text satisfies `done`, and returns it.
    pub async fn text_when(
        &self,
        css: &str,
        timeout: Duration,
        done: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.text(css, timeout).await?;
            if done(&text) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                bail!("{css} still reads {text:?} after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Chooses an option of a `<select>` by its value (which fires its change event).
    pub async fn select(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let element = self.client.find(Locator::Css(css)).await?;
        element.select_by_value(value).await?;
        Ok(())
    }

    /// Replaces the text of an input or textarea, as typing would.
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let element = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for {css}"))?;
        element.clear().await?;
        element.send_keys(text).await?;
        Ok(())
    }

    /// Replaces the Query tab editor's text, as typed: select all, then the keys.
    pub async fn set_sql(&self, sql: &str) -> anyhow::Result<()> {
        let content = self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("#sql-editor .cm-content"))
            .await
            .context("waiting for the SQL editor")?;
        content.click().await?;
        // Ctrl+A (the null key releases Ctrl), Delete, then the text.
        content.send_keys("\u{E009}a\u{E000}\u{E017}").await?;
        content.send_keys(sql).await?;
        Ok(())
    }

    /// How many elements match `css` now. The view may replace an element while the driver
    /// collects them ("stale element"): then it counts again (a few times).
    pub async fn count(&self, css: &str) -> anyhow::Result<usize> {
        let mut tries = 0;
        loop {
            match self.client.find_all(Locator::Css(css)).await {
                Ok(found) => return Ok(found.len()),
                Err(e) if tries < 5 && e.to_string().contains("tale element") => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        // WebKitWebDriver clicks at the element's centre: a view still filling in (a panel above
        // it growing once an async check finishes) can move the element between the two, and
        // the click lands beside it. So click once it has stayed put for one short look.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut last = None;
        loop {
            let element = self.client.find(Locator::Css(css)).await?;
            // A view re-rendering between the find and the read: look again.
            let rect = element.rectangle().await.ok();
            if (rect.is_some() && last == rect) || Instant::now() > deadline {
                element.click().await?;
                return Ok(());
            }
            last = rect;
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
    }

    /// Closes the app and starts it again on the same data and settings, as a relaunch would.
    pub async fn restart(mut self) -> anyhow::Result<Self> {
        let closed = self.client.clone().close().await;
        self.stop_driver()?;
        closed.context("closing the WebDriver session")?;
        let home = self.home.take().context("the app's home is gone")?;
        Self::start_with_env(home, std::mem::take(&mut self.env)).await
    }

    /// Whether the boolean property `prop` of the element `css` is true now. The view may replace
    /// the element between finding it and reading it: then it is found again (a few times).
    async fn flag(&self, css: &str, prop: &str) -> anyhow::Result<bool> {
        let mut tries = 0;
        loop {
            let read = async {
                let element = self.client.find(Locator::Css(css)).await?;
                anyhow::Ok(element.prop(prop).await?.as_deref() == Some("true"))
            };
            match read.await {
                Ok(value) => return Ok(value),
                Err(e) if tries >= 5 => return Err(e.context(format!("reading {prop} of {css}"))),
                Err(_) => tries += 1,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the checkbox or radio button `css` is checked now.
    pub async fn checked(&self, css: &str) -> anyhow::Result<bool> {
        self.flag(css, "checked").await
    }

    /// Whether the control `css` is disabled now.
    pub async fn disabled(&self, css: &str) -> anyhow::Result<bool> {
        self.flag(css, "disabled").await
    }

    /// Ends the session (closing the app) and stops tauri-driver.
    pub async fn close(mut self) -> anyhow::Result<()> {
        let closed = self.client.clone().close().await;
        self.stop_driver()?;
        closed.context("closing the WebDriver session")
    }

    /// Saves what the window shows as `<name>.png` for a person to look at: in
    /// `DATAGATA_SCREENSHOT_DIR`, else `datagata-e2e-screenshots/` in the system's temp folder
    /// (never in the repository). Returns the file's path.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let dir = std::env::var_os("DATAGATA_SCREENSHOT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("datagata-e2e-screenshots"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Waits up to `timeout` for the system clipboard (the X server's, under Xvfb) to hold text
    /// that satisfies `done`, and returns it.
    pub async fn clipboard_when(
        &self,
        timeout: Duration,
        done: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        loop {
            let read = tokio::task::spawn_blocking(|| {
                arboard::Clipboard::new().and_then(|mut c| c.get_text())
            })
            .await?;
            if let Ok(text) = read {
                if done(&text) {
                    return Ok(text);
                }
                last = text;
            }
            if Instant::now() > deadline {
                bail!("the clipboard never held what was expected; last: {last:?}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// The last lines the app wrote to stderr.
    pub fn stderr(&self) -> String {
        stderr_tail(&self.stderr_log)
    }
}

impl Drop for App {
    /// A failed test never leaves a driver, a WebKitWebDriver or an app window behind.
    fn drop(&mut self) {
        if let Err(e) = self.stop_driver() {
            eprintln!("stopping the app: {e}");
        }
        if std::thread::panicking() {
            eprintln!("{}", stderr_tail(&self.stderr_log));
        }
    }
}

/// Waits up to `timeout` for `child` (a launch that should hand over to the running window) to
/// exit; kills it and panics, naming `what`, when it does not.
pub fn wait_exit(
    child: &mut std::process::Child,
    timeout: Duration,
    what: &str,
) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("polling a child process") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} neither handed over nor exited within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
