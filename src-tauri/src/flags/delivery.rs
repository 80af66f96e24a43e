//! Delivery: the thread that sends the event log's pending events to LaunchDarkly's events
//! endpoint (`POST {events}/bulk`, the SDK's own format: schema 4, `Authorization` = the SDK key,
//! an `X-LaunchDarkly-Payload-ID` per payload) and marks them sent only after a 2xx.
//!
//! A payload's id is stored with its events before it is sent, so a send cut short — the process
//! killed, the connection dropped, a 500 or 429 — is repeated later with the same events under the
//! same id, which LaunchDarkly uses to drop a retried duplicate. Failures back off (1 s doubling to
//! a minute); 401/403 stop delivery for the session (a wrong SDK key: the events stay pending for
//! a session with the right one); 400/413 mark that payload rejected. Events left pending by a
//! crash or an offline session go out when LaunchDarkly is reachable again.

use std::{
    sync::{Arc, Condvar, Mutex},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use serde::Serialize;

use super::events::{Delivery, EventLog};

/// The most events in one payload.
const BATCH: usize = 500;

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// The events service's base URL (`https://events.launchdarkly.com`, a Relay Proxy's …).
    pub events_url: String,
    pub sdk_key: String,
    /// How often pending events are looked for without a new commit ringing.
    pub interval: Duration,
    /// The longest wait between failed attempts.
    pub max_backoff: Duration,
    /// One request's deadline.
    pub request_timeout: Duration,
}

impl DeliveryConfig {
    pub fn new(events_url: &str, sdk_key: &str) -> Self {
        Self {
            events_url: events_url.trim_end_matches('/').to_string(),
            sdk_key: sdk_key.to_string(),
            interval: Duration::from_secs(5),
            max_backoff: Duration::from_secs(60),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// What delivery has done this session, for the Metrics tab and the CLI.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryReport {
    pub destination: String,
    /// Events LaunchDarkly accepted this session.
    pub sent_this_session: u64,
    /// The last failure, until a send succeeds again.
    pub last_error: Option<String>,
    /// LaunchDarkly refused the SDK key: nothing more is sent this session.
    pub stopped: bool,
}

#[derive(Default)]
struct Shared {
    report: Mutex<DeliveryReport>,
    /// Rung by the log after a commit, and at shutdown.
    bell: Mutex<Bell>,
    ring: Condvar,
}

#[derive(Default)]
struct Bell {
    rung: bool,
    stop: bool,
}

/// The running delivery thread.
pub struct Deliverer {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// Why one payload was not delivered.
#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error("LaunchDarkly answered {0}; retrying")]
    Retry(u16),
    #[error("LaunchDarkly refused the SDK key ({0}); events stay pending")]
    Refused(u16),
    #[error("LaunchDarkly rejected a payload as malformed ({0})")]
    Rejected(u16),
    #[error("LaunchDarkly's events service could not be reached: {0}")]
    Network(String),
}

impl Deliverer {
    /// Starts delivering `log`'s pending events (those left from earlier sessions first).
    pub fn start(log: Arc<EventLog>, config: DeliveryConfig) -> Self {
        let shared = Arc::new(Shared::default());
        shared
            .report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .destination = config.events_url.clone();
        {
            let shared = shared.clone();
            log.deliver_to_launchdarkly(move || shared.ring_bell(false));
        }
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("event-delivery".into())
                .spawn(move || deliver_loop(&log, &config, &shared))
                .ok()
        };
        Self {
            shared,
            thread: Mutex::new(thread),
        }
    }

    pub fn report(&self) -> DeliveryReport {
        self.shared
            .report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Rings the bell: pending events are looked for now.
    pub fn nudge(&self) {
        self.shared.ring_bell(false);
    }

    /// One last round of delivery (bounded by the request timeout), then stops the thread.
    pub fn close(&self) {
        self.shared.ring_bell(true);
        if let Some(thread) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Deliverer {
    fn drop(&mut self) {
        self.close();
    }
}

impl Shared {
    fn ring_bell(&self, stop: bool) {
        let mut bell = self.bell.lock().unwrap_or_else(|e| e.into_inner());
        bell.rung = true;
        bell.stop |= stop;
        self.ring.notify_all();
    }

    /// Waits for the bell or `timeout`; `true` when delivery should stop after this round.
    fn wait(&self, timeout: Duration) -> bool {
        let mut bell = self.bell.lock().unwrap_or_else(|e| e.into_inner());
        let deadline = Instant::now() + timeout;
        while !bell.rung && !bell.stop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            bell = self
                .ring
                .wait_timeout(bell, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        bell.rung = false;
        bell.stop
    }

    fn set(&self, change: impl FnOnce(&mut DeliveryReport)) {
        change(&mut self.report.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

fn deliver_loop(log: &EventLog, config: &DeliveryConfig, shared: &Shared) {
    let client = match reqwest::blocking::Client::builder()
        .timeout(config.request_timeout)
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            shared.set(|r| r.last_error = Some(format!("no HTTP client: {e}")));
            return;
        }
    };
    let url = format!("{}/bulk", config.events_url);
    let mut backoff = Duration::from_secs(1);
    let mut wait = Duration::ZERO;
    loop {
        let stopping = shared.wait(wait);
        // At exit, a few seconds for what is pending; the rest waits for the next session.
        let stop_by = Instant::now() + Duration::from_secs(3);
        wait = config.interval;
        // Send batches until nothing is pending or a send fails.
        loop {
            let outgoing = match log.next_outgoing(BATCH) {
                Ok(Some(outgoing)) => outgoing,
                Ok(None) => break,
                Err(e) => {
                    shared.set(|r| r.last_error = Some(e.to_string()));
                    wait = backoff;
                    break;
                }
            };
            let body: Vec<_> = outgoing
                .events
                .iter()
                .map(|e| e.to_launchdarkly())
                .collect();
            // At exit a stalled network must not hold the window open: a short deadline.
            let timeout = if stopping {
                config.request_timeout.min(Duration::from_secs(2))
            } else {
                config.request_timeout
            };
            match post(
                &client,
                &url,
                &config.sdk_key,
                &outgoing.payload_id,
                &body,
                timeout,
            ) {
                Ok(()) => {
                    let marked = log.mark(&outgoing.payload_id, Delivery::Sent).unwrap_or(0);
                    backoff = Duration::from_secs(1);
                    shared.set(|r| {
                        r.sent_this_session += marked as u64;
                        r.last_error = None;
                    });
                }
                Err(SendError::Rejected(status)) => {
                    let _ = log.mark(&outgoing.payload_id, Delivery::Rejected);
                    tracing::error!("LaunchDarkly rejected {} events ({status})", body.len());
                    shared.set(|r| r.last_error = Some(SendError::Rejected(status).to_string()));
                }
                Err(e @ SendError::Refused(_)) => {
                    tracing::error!("{e}");
                    shared.set(|r| {
                        r.last_error = Some(e.to_string());
                        r.stopped = true;
                    });
                    return;
                }
                Err(e) => {
                    tracing::warn!("{e}");
                    shared.set(|r| r.last_error = Some(e.to_string()));
                    wait = backoff;
                    backoff = (backoff * 2).min(config.max_backoff);
                    break;
                }
            }
            if stopping && Instant::now() > stop_by {
                break;
            }
        }
        if stopping {
            return;
        }
    }
}

fn post(
    client: &reqwest::blocking::Client,
    url: &str,
    sdk_key: &str,
    payload_id: &str,
    body: &[serde_json::Value],
    timeout: Duration,
) -> Result<(), SendError> {
    let response = client
        .post(url)
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .header("Authorization", sdk_key)
        .header(
            "User-Agent",
            concat!("DataGata/", env!("CARGO_PKG_VERSION")),
        )
        .header("X-LaunchDarkly-Event-Schema", "4")
        .header("X-LaunchDarkly-Payload-ID", payload_id)
        .json(body)
        .send()
        .map_err(|e| SendError::Network(e.to_string()))?;
    let status = response.status().as_u16();
    match status {
        200..=299 => Ok(()),
        401 | 403 => Err(SendError::Refused(status)),
        400 | 413 => Err(SendError::Rejected(status)),
        // 408, 429 and the rest of 4xx are recoverable for LaunchDarkly's SDKs, as is 5xx.
        _ => Err(SendError::Retry(status)),
    }
}

#[cfg(test)]
mod tests;
