//! One GGUF download over HTTP(S): into `<file>.part` beside the destination, resumed with an
//! HTTP `Range` request from what the `.part` already holds, its progress (bytes, total, speed
//! over the last seconds, time left) reported as it goes, cancelled between chunks, and the
//! finished file checked against the expected size and SHA-256 before it is renamed into place.
//! Blocking (reqwest's blocking client): callers run it on a worker thread.

use std::{
    collections::VecDeque,
    fs::{File, OpenOptions},
    io::{Read, Write},
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use sha2::{Digest, Sha256};

/// The longest a connection may take to open, and a read to bring a byte.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// How often progress is reported (and the speed sampled).
const REPORT_EVERY: Duration = Duration::from_millis(250);
/// The speed is the bytes of this last stretch of time.
const SPEED_WINDOW: Duration = Duration::from_secs(5);

/// What to download, and what the finished file must be.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadSpec {
    pub url: String,
    pub dest: PathBuf,
    pub expected_bytes: Option<u64>,
    /// Lowercase hex.
    pub sha256: Option<String>,
}

/// Progress, as reported while the download runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Bytes in the `.part` file (what an earlier attempt left included).
    pub bytes: u64,
    pub total: Option<u64>,
    pub bytes_per_second: Option<f64>,
    pub eta_seconds: Option<f64>,
    /// Every byte is in; the checksum is being computed.
    pub verifying: bool,
}

/// The Cancel button's switch.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Why a download did not finish; the `.part` file stays (so the next try resumes) unless the
/// message says it was removed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("the download was cancelled at {bytes} bytes; Download resumes it")]
    Cancelled { bytes: u64 },
    #[error("{url} answered HTTP {status}")]
    Http { url: String, status: u16 },
    #[error(
        "the connection broke at {bytes} bytes ({error}); the partial file is kept and Download resumes it"
    )]
    Network { bytes: u64, error: String },
    #[error(
        "the file is {got} bytes, the AI Config says {expected}: the download was removed (is the URL right?)"
    )]
    Size { expected: u64, got: u64 },
    #[error("the file's SHA-256 is {got}, the AI Config says {expected}: the download was removed")]
    Checksum { expected: String, got: String },
    #[error("{0}")]
    Io(String),
}

fn io(what: &str, path: &Path, e: std::io::Error) -> DownloadError {
    DownloadError::Io(format!("{what} {}: {e}", path.display()))
}

/// The unfinished download of `dest`.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    dest.with_file_name(name)
}

/// Speed over the last [`SPEED_WINDOW`], from samples of (when, bytes).
#[derive(Default)]
struct Speed {
    samples: VecDeque<(Instant, u64)>,
}

impl Speed {
    fn sample(&mut self, at: Instant, bytes: u64) -> Option<f64> {
        self.samples.push_back((at, bytes));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| at.duration_since(*t) > SPEED_WINDOW)
            && self.samples.len() > 2
        {
            self.samples.pop_front();
        }
        let (t0, b0) = *self.samples.front()?;
        let seconds = at.duration_since(t0).as_secs_f64();
        (seconds >= 0.2).then(|| (bytes.saturating_sub(b0)) as f64 / seconds)
    }
}

/// `bytes 100-199/1000` → (100, Some(1000)).
fn content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let start = range.split_once('-')?.0.trim().parse().ok()?;
    Some((start, total.trim().parse().ok()))
}

/// The SHA-256 of `path`, lowercase hex.
pub fn sha256_of(path: &Path) -> Result<String, DownloadError> {
    let mut file = File::open(path).map_err(|e| io("reading", path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| io("reading", path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Downloads `spec.url` to `spec.dest` (resuming its `.part`), reporting progress; returns the
/// file's size once it is verified and in place.
pub fn download(
    spec: &DownloadSpec,
    cancel: &CancelFlag,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<u64, DownloadError> {
    let part = part_path(&spec.dest);
    if let Some(dir) = spec.dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io("creating", dir, e))?;
    }
    let mut have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    let complete = spec.expected_bytes.is_some_and(|n| n == have && n > 0);
    if !complete {
        have = fetch(spec, &part, have, cancel, on_progress)?;
    }
    finish(spec, &part, have, on_progress)
}

fn fetch(
    spec: &DownloadSpec,
    part: &Path,
    have: u64,
    cancel: &CancelFlag,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<u64, DownloadError> {
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(READ_TIMEOUT)
        .user_agent(concat!("DataGata/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| DownloadError::Io(format!("the HTTP client could not start: {e}")))?;
    let mut request = client.get(&spec.url);
    if have > 0 {
        request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
    }
    let network = |bytes, e: &dyn std::fmt::Display| DownloadError::Network {
        bytes,
        error: e.to_string(),
    };
    let mut response = request.send().map_err(|e| network(have, &e))?;
    let status = response.status().as_u16();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (start, total) = match status {
        206 => {
            let (start, total) = header(reqwest::header::CONTENT_RANGE)
                .as_deref()
                .and_then(content_range)
                .ok_or_else(|| DownloadError::Http {
                    url: spec.url.clone(),
                    status,
                })?;
            if start != have {
                return Err(DownloadError::Io(format!(
                    "the server resumed at byte {start}, not at {have}"
                )));
            }
            (start, total)
        }
        // The server sent the whole file (it ignores ranges): start again.
        200 => (0, response.content_length()),
        // The .part holds more than the file has: start again from nothing.
        416 => {
            std::fs::remove_file(part).map_err(|e| io("removing", part, e))?;
            return fetch(spec, part, 0, cancel, on_progress);
        }
        _ => {
            return Err(DownloadError::Http {
                url: spec.url.clone(),
                status,
            });
        }
    };
    let total = total.or(spec.expected_bytes);
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .append(start > 0)
        .truncate(start == 0)
        .open(part)
        .map_err(|e| io("writing", part, e))?;
    let mut bytes = start;
    let mut speed = Speed::default();
    let mut last_report = Instant::now();
    let mut rate = speed.sample(last_report, bytes);
    let report = |bytes: u64, rate: Option<f64>, on_progress: &mut dyn FnMut(Progress)| {
        on_progress(Progress {
            bytes,
            total,
            bytes_per_second: rate,
            eta_seconds: match (total, rate) {
                (Some(t), Some(r)) if r > 0.0 => Some(t.saturating_sub(bytes) as f64 / r),
                _ => None,
            },
            verifying: false,
        })
    };
    report(bytes, rate, on_progress);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        if cancel.is_cancelled() {
            file.flush().map_err(|e| io("writing", part, e))?;
            return Err(DownloadError::Cancelled { bytes });
        }
        let n = match response.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                file.flush().map_err(|e| io("writing", part, e))?;
                return Err(network(bytes, &e));
            }
        };
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n])
            .map_err(|e| io("writing", part, e))?;
        bytes += n as u64;
        let now = Instant::now();
        if now.duration_since(last_report) >= REPORT_EVERY {
            rate = speed.sample(now, bytes).or(rate);
            last_report = now;
            report(bytes, rate, on_progress);
        }
    }
    file.sync_all().map_err(|e| io("writing", part, e))?;
    report(bytes, rate, on_progress);
    if let Some(total) = total.filter(|t| bytes < *t) {
        return Err(network(
            bytes,
            &format!("the server closed the connection before byte {total}"),
        ));
    }
    Ok(bytes)
}

fn finish(
    spec: &DownloadSpec,
    part: &Path,
    bytes: u64,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<u64, DownloadError> {
    let remove = || std::fs::remove_file(part).map_err(|e| io("removing", part, e));
    if let Some(expected) = spec.expected_bytes.filter(|e| *e != bytes) {
        remove()?;
        return Err(DownloadError::Size {
            expected,
            got: bytes,
        });
    }
    if let Some(expected) = &spec.sha256 {
        on_progress(Progress {
            bytes,
            total: Some(bytes),
            bytes_per_second: None,
            eta_seconds: None,
            verifying: true,
        });
        let got = sha256_of(part)?;
        if !got.eq_ignore_ascii_case(expected) {
            remove()?;
            return Err(DownloadError::Checksum {
                expected: expected.to_lowercase(),
                got,
            });
        }
    }
    std::fs::rename(part, &spec.dest).map_err(|e| io("moving into place", &spec.dest, e))?;
    Ok(bytes)
}
