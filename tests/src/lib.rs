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
/// The size of the sample the app generates on its (test) first start.
pub const SAMPLE_ROWS: u64 = 50_000;

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
}

impl App {
    /// Starts the real app through tauri-driver and waits for a WebDriver session. The app gets
    /// empty data and config directories (XDG), so it starts as on a first launch and never
    /// touches the tester's own settings.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_in(tempfile::tempdir()?).await
    }

    /// Runs the `datagata` CLI with `home` as its XDG home: the same data directory the app
    /// started with [`App::start_in`] uses.
    pub fn cli(home: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
        Ok(std::process::Command::new(app_binary()?)
            .args(args)
            .current_dir(home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("DATAGATA_SAMPLE_ROWS", SAMPLE_ROWS.to_string())
            .env_remove("DATAGATA_DATA_DIR")
            .env_remove("MOTHERDUCK_TOKEN")
            .env_remove("LAUNCHDARKLY_SDK_KEY")
            .output()?)
    }

    /// Starts the app with `home` as its XDG home (data prepared there, e.g. by [`App::cli`]).
    pub async fn start_in(home: tempfile::TempDir) -> anyhow::Result<Self> {
        let app = app_binary()?;
        let port = free_port()?;
        let native_port = free_port()?;
        // Its own process group, so stopping it also stops the WebKitWebDriver it starts (which
        // would otherwise outlive the test, holding our stdout open).
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
            .env_remove("MOTHERDUCK_TOKEN")
            .env_remove("LAUNCHDARKLY_SDK_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
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
            match ClientBuilder::native()
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) => {
                    if let Some(status) = driver.try_wait()? {
                        bail!("tauri-driver exited ({status}) before a session opened: {e}");
                    }
                    if Instant::now() > deadline {
                        bail!("no WebDriver session within {SESSION_TIMEOUT:?}: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        };
        Ok(Self {
            client,
            driver,
            home: Some(home),
        })
    }

    /// Stops tauri-driver and everything in its process group: SIGTERM first (tauri-driver then
    /// stops its WebKitWebDriver), SIGKILL for whatever is left after a grace period.
    fn stop_driver(&mut self) {
        let Some(pid) = self.driver.id() else { return };
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

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> anyhow::Result<usize> {
        Ok(self.client.find_all(Locator::Css(css)).await?.len())
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.client.find(Locator::Css(css)).await?.click().await?;
        Ok(())
    }

    /// Closes the app and starts it again on the same data and settings, as a relaunch would.
    pub async fn restart(mut self) -> anyhow::Result<Self> {
        let closed = self.client.clone().close().await;
        self.stop_driver();
        closed.context("closing the WebDriver session")?;
        let home = self.home.take().context("the app's home is gone")?;
        Self::start_in(home).await
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
        self.stop_driver();
        closed.context("closing the WebDriver session")
    }
}

impl Drop for App {
    /// A failed test never leaves a driver, a WebKitWebDriver or an app window behind.
    fn drop(&mut self) {
        self.stop_driver();
    }
}
