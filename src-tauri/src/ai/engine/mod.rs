//! The native local engine: llama.cpp (through the `llama-cpp-2` crate) running a GGUF model in
//! a worker child process — the app's own binary with the hidden `engine-worker` subcommand — so
//! an abort inside ggml never takes the window down. This side owns the worker: it starts it on
//! the first question (and again after it died), speaks the line-delimited JSON [`protocol`] over
//! its stdin/stdout, streams tokens, honours Stop and the timeout, and shuts it down at exit.
//! [`grammar`] builds the GBNF that keeps a small model's output to SQL over the live schema;
//! [`worker`] is the child's side; [`backends`] finds and loads the CPU kernels (or GPU backend)
//! it runs on.

pub mod backends;
pub mod grammar;
pub mod protocol;
pub mod worker;

#[cfg(test)]
pub(crate) mod tests;

use std::{
    collections::VecDeque,
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use protocol::{Reply, Request};

/// How long a worker may take to load its model.
const LOAD_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a stopped generation may take to answer before its worker is killed.
const STOP_GRACE: Duration = Duration::from_secs(3);
/// Lines of the worker's stderr kept for an error message.
const STDERR_LINES: usize = 40;

/// What this build of llama.cpp runs on, before a worker has said (a GPU build falls back to the
/// CPU where the machine has no such GPU).
pub fn backend() -> &'static str {
    if cfg!(feature = "cuda") {
        "CUDA"
    } else if cfg!(feature = "vulkan") {
        "Vulkan"
    } else {
        "CPU"
    }
}

/// Threads a generation uses: the physical cores, at most 8 (llama.cpp decodes no faster with
/// hyper-threads).
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8)
}

/// Why the engine could not answer.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("no model file at {0}")]
    NoModel(PathBuf),
    #[error("the engine worker could not start: {0}")]
    WorkerStart(String),
    #[error("the engine worker stopped unexpectedly{detail}")]
    WorkerDied { detail: String },
    #[error("the local model took longer than {} s", .after.as_secs())]
    Timeout { after: Duration },
    #[error("the model could not be loaded: {0}")]
    Load(String),
    #[error("generation failed: {0}")]
    Generation(String),
    #[error("the engine worker answered out of protocol: {0}")]
    Protocol(String),
}

/// The Stop button's switch for one generation.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// One generation.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateRequest {
    /// (role, content), rendered with the model's own chat template.
    pub messages: Vec<(String, String)>,
    /// GBNF the output must match, when given.
    pub grammar: Option<String>,
    pub max_tokens: u32,
    /// 0: greedy.
    pub temperature: f32,
    pub repeat_penalty: f32,
    pub seed: u32,
}

/// A finished (or stopped) generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub text: String,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    pub ttft_ms: Option<f64>,
    pub generation_ms: f64,
    pub stopped: bool,
}

/// What the panel shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// `CPU`, `Vulkan`, `CUDA`: what the last worker ran on, else what this build is for.
    pub backend: String,
    /// The last worker's words for it (`CPU (AVX-512)`), once one has loaded its model.
    pub backend_label: Option<String>,
    pub threads: usize,
    /// A worker is running with its model loaded.
    pub loaded: bool,
    pub model: Option<PathBuf>,
    pub load_ms: Option<f64>,
}

/// A running worker.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    replies: mpsc::Receiver<Reply>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    model: PathBuf,
    load_ms: Option<f64>,
    /// What it runs on, from its `ready`: (`CPU`, `CPU (AVX-512)`).
    ran_on: Option<(String, String)>,
}

/// The last worker that loaded its model.
#[derive(Debug, Clone)]
struct Last {
    model: PathBuf,
    load_ms: Option<f64>,
    backend: String,
    label: String,
}

impl Worker {
    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn send(&mut self, request: &Request) -> Result<(), EngineError> {
        let line =
            serde_json::to_string(request).map_err(|e| EngineError::Protocol(e.to_string()))?;
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .map_err(|_| self.died())
    }

    /// The error for a worker that is gone, with the end of its stderr.
    fn died(&mut self) -> EngineError {
        // Give the process a moment to be reaped so its exit status can be named.
        let deadline = Instant::now() + Duration::from_millis(500);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => break None,
            }
        };
        let tail: Vec<String> = self
            .stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .rev()
            .take(5)
            .rev()
            .cloned()
            .collect();
        let mut detail = match status {
            Some(s) => format!(" ({s})"),
            None => String::new(),
        };
        if !tail.is_empty() {
            detail.push_str(&format!(": {}", tail.join(" | ")));
        }
        EngineError::WorkerDied { detail }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The native engine: one worker, one generation at a time.
pub struct Engine {
    worker: Mutex<Option<Worker>>,
    /// The worker's program (the app's own binary).
    program: Mutex<Option<PathBuf>>,
    threads: usize,
    last: Mutex<Option<Last>>,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    pub fn new() -> Self {
        Self {
            worker: Mutex::new(None),
            program: Mutex::new(None),
            threads: default_threads(),
            last: Mutex::new(None),
        }
    }

    /// Runs workers with `program` (tests point it at the built `datagata` binary).
    pub fn set_program(&self, program: PathBuf) {
        *self.program.lock().unwrap_or_else(|e| e.into_inner()) = Some(program);
    }

    fn program(&self) -> Result<PathBuf, EngineError> {
        if let Some(p) = self
            .program
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(p);
        }
        if let Some(p) = std::env::var_os("DATAGATA_ENGINE_PROGRAM") {
            return Ok(PathBuf::from(p));
        }
        let exe = std::env::current_exe().map_err(|e| EngineError::WorkerStart(e.to_string()))?;
        // The worker is `datagata engine-worker`: a test or benchmark binary that links the core
        // would otherwise start copies of itself (each running its own main again).
        let is_app = exe.file_stem().is_some_and(|n| {
            n.to_string_lossy()
                .to_ascii_lowercase()
                .starts_with("datagata")
        });
        if !is_app {
            return Err(EngineError::WorkerStart(format!(
                "{} is not the datagata binary: set DATAGATA_ENGINE_PROGRAM",
                exe.display()
            )));
        }
        Ok(exe)
    }

    pub fn status(&self) -> Status {
        let loaded = match self.worker.try_lock() {
            Ok(mut guard) => guard
                .as_mut()
                .is_some_and(|w| w.load_ms.is_some() && w.alive()),
            // A generation holds the lock: a worker is running, loaded or loading.
            Err(std::sync::TryLockError::WouldBlock) => true,
            Err(std::sync::TryLockError::Poisoned(_)) => false,
        };
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Status {
            threads: self.threads,
            loaded,
            backend: last
                .as_ref()
                .map_or_else(|| backend().to_string(), |l| l.backend.clone()),
            backend_label: last.as_ref().map(|l| l.label.clone()),
            model: last.as_ref().map(|l| l.model.clone()),
            load_ms: last.and_then(|l| l.load_ms),
        }
    }

    /// The running worker's process id (an e2e test kills it mid-answer).
    pub fn worker_pid(&self) -> Option<u32> {
        let mut guard = self.worker.try_lock().ok()?;
        let worker = guard.as_mut()?;
        worker.alive().then(|| worker.child.id())
    }

    fn spawn(&self, model: &Path) -> Result<Worker, EngineError> {
        let program = self.program()?;
        let mut child = Command::new(&program)
            .arg("engine-worker")
            .arg("--model")
            .arg(model)
            .arg("--threads")
            .arg(self.threads.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| EngineError::WorkerStart(format!("{}: {e}", program.display())))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| EngineError::WorkerStart("the worker's stdin is not a pipe".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| EngineError::WorkerStart("the worker's stdout is not a pipe".into()))?;
        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                match serde_json::from_str::<Reply>(&line) {
                    Ok(reply) => {
                        if tx.send(reply).is_err() {
                            break;
                        }
                    }
                    Err(e) => tracing::warn!("engine worker wrote {line:?}: {e}"),
                }
            }
        });
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(err) = child.stderr.take() {
            let lines = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    tracing::debug!(target: "datagata::engine_worker", "{line}");
                    let mut lines = lines.lock().unwrap_or_else(|e| e.into_inner());
                    if lines.len() == STDERR_LINES {
                        lines.pop_front();
                    }
                    lines.push_back(line);
                }
            });
        }
        Ok(Worker {
            child,
            stdin,
            replies,
            stderr,
            model: model.to_path_buf(),
            load_ms: None,
            ran_on: None,
        })
    }

    /// Keeps what a worker that loaded its model said, for the panel.
    fn remember(&self, worker: &Worker) {
        let (backend, label) = worker
            .ran_on
            .clone()
            .unwrap_or_else(|| (backend().to_string(), backend().to_string()));
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(Last {
            model: worker.model.clone(),
            load_ms: worker.load_ms,
            backend,
            label,
        });
    }

    /// Waits for a new worker's `ready` (its model loaded); Stop cancels the wait.
    fn wait_ready(worker: &mut Worker, stop: &StopFlag) -> Result<bool, EngineError> {
        let deadline = Instant::now() + LOAD_TIMEOUT;
        loop {
            if stop.is_stopped() {
                return Ok(false);
            }
            match worker.replies.recv_timeout(Duration::from_millis(50)) {
                Ok(Reply::Ready {
                    load_ms,
                    backend,
                    label,
                    ..
                }) => {
                    worker.load_ms = Some(load_ms);
                    worker.ran_on = Some((backend, label));
                    return Ok(true);
                }
                Ok(Reply::Error { message, .. }) => return Err(EngineError::Load(message)),
                Ok(other) => {
                    return Err(EngineError::Protocol(format!(
                        "expected ready, got {other:?}"
                    )));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(worker.died()),
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() > deadline => {
                    return Err(EngineError::Timeout {
                        after: LOAD_TIMEOUT,
                    });
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// Generates with `model` (starting a worker for it when none runs, or when the running one
    /// has another model or has died), streaming each piece of text to `on_token`. Stop ends it
    /// early with what was generated (`stopped: true`); past `timeout` it is stopped and fails.
    pub fn generate(
        &self,
        model: &Path,
        request: GenerateRequest,
        on_token: &mut dyn FnMut(&str),
        stop: &StopFlag,
        timeout: Duration,
    ) -> Result<Generated, EngineError> {
        if !model.is_file() {
            return Err(EngineError::NoModel(model.to_path_buf()));
        }
        let mut guard = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = guard.as_mut()
            && (w.model != model || !w.alive())
        {
            if !w.alive() {
                tracing::warn!("the engine worker had exited; starting a new one");
            }
            w.kill();
            *guard = None;
        }
        if guard.is_none() {
            let mut worker = self.spawn(model)?;
            let ready = Self::wait_ready(&mut worker, stop);
            match ready {
                Ok(true) => {
                    self.remember(&worker);
                    *guard = Some(worker);
                }
                Ok(false) => {
                    // Stopped while the model loaded: keep loading for the next question.
                    *guard = Some(worker);
                    return Ok(stopped_before_start());
                }
                Err(e) => {
                    worker.kill();
                    return Err(e);
                }
            }
        }
        let Some(worker) = guard.as_mut() else {
            return Err(EngineError::WorkerStart("no worker".into()));
        };
        if worker.load_ms.is_none() {
            // A worker whose load was interrupted by Stop: finish waiting for it.
            match Self::wait_ready(worker, stop) {
                Ok(true) => self.remember(worker),
                Ok(false) => return Ok(stopped_before_start()),
                Err(e) => {
                    worker.kill();
                    *guard = None;
                    return Err(e);
                }
            }
        }
        let outcome = Self::run(worker, request, on_token, stop, timeout);
        if matches!(
            outcome,
            Err(EngineError::WorkerDied { .. }
                | EngineError::Timeout { .. }
                | EngineError::Protocol(_))
        ) {
            worker.kill();
            *guard = None;
        }
        outcome
    }

    fn run(
        worker: &mut Worker,
        request: GenerateRequest,
        on_token: &mut dyn FnMut(&str),
        stop: &StopFlag,
        timeout: Duration,
    ) -> Result<Generated, EngineError> {
        // Replies of an earlier, abandoned generation are not this one's.
        while worker.replies.try_recv().is_ok() {}
        let id = uuid::Uuid::new_v4().to_string();
        worker.send(&Request::Generate {
            id: id.clone(),
            messages: request.messages,
            grammar: request.grammar,
            max_tokens: request.max_tokens,
            temperature: request.temperature,
            repeat_penalty: request.repeat_penalty,
            seed: request.seed,
        })?;
        let deadline = Instant::now() + timeout;
        let mut stop_sent: Option<Instant> = None;
        let mut timed_out = false;
        loop {
            if stop_sent.is_none() && (stop.is_stopped() || Instant::now() > deadline) {
                timed_out = !stop.is_stopped();
                worker.send(&Request::Stop { id: id.clone() })?;
                stop_sent = Some(Instant::now());
            }
            if stop_sent.is_some_and(|at| at.elapsed() > STOP_GRACE) {
                return Err(if timed_out {
                    EngineError::Timeout { after: timeout }
                } else {
                    worker.died()
                });
            }
            match worker.replies.recv_timeout(Duration::from_millis(25)) {
                Ok(Reply::Token { id: got, text }) if got == id => on_token(&text),
                Ok(Reply::Done {
                    id: got,
                    text,
                    prompt_tokens,
                    output_tokens,
                    ttft_ms,
                    generation_ms,
                    stopped,
                }) if got == id => {
                    if timed_out {
                        return Err(EngineError::Timeout { after: timeout });
                    }
                    return Ok(Generated {
                        text,
                        prompt_tokens,
                        output_tokens,
                        ttft_ms,
                        generation_ms,
                        stopped,
                    });
                }
                Ok(Reply::Error { id: got, message }) if got.as_deref() == Some(&id) => {
                    return Err(EngineError::Generation(message));
                }
                Ok(_) => {} // another generation's leftovers
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(worker.died()),
            }
        }
    }

    /// Asks the worker to exit and waits for it (bounded), at the app's exit.
    pub fn shutdown(&self) {
        let mut guard = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut w) = guard.take() {
            let _ = w.send(&Request::Shutdown);
            let deadline = Instant::now() + Duration::from_secs(3);
            while w.alive() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            w.kill();
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn stopped_before_start() -> Generated {
    Generated {
        text: String::new(),
        prompt_tokens: 0,
        output_tokens: 0,
        ttft_ms: None,
        generation_ms: 0.0,
        stopped: true,
    }
}
