//! A stand-in for LaunchDarkly's streaming and events services on 127.0.0.1, speaking their
//! protocols (server-sent `put`/`patch` events on `GET /all`; gzip or plain JSON arrays on
//! `POST /bulk`, each with its `X-LaunchDarkly-Payload-ID`), so the SDK's and the outbox's real
//! HTTP paths are exercised without the internet. It can misbehave on purpose ([`Fault`]): answer
//! 500 or 429, drop the connection, or be slow. Test-only (the integration tests include this
//! file too).

use std::{sync::Arc, time::Duration};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::{Mutex, broadcast},
    task::JoinHandle,
};

/// How the stand-in misbehaves.
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(dead_code)]
pub enum Fault {
    None,
    /// Every request is answered with this status (500, 429 …).
    Status(u16),
    /// Every connection is closed without an answer.
    Drop,
    /// Answers, after this long.
    Slow(Duration),
}

/// One `POST /bulk` as received.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct Payload {
    pub id: Option<String>,
    pub authorization: Option<String>,
    pub events: Vec<Value>,
}

pub struct FakeLaunchDarkly {
    pub url: String,
    payloads: Arc<Mutex<Vec<Payload>>>,
    fault: Arc<std::sync::Mutex<Fault>>,
    stream: broadcast::Sender<String>,
    server: JoinHandle<()>,
}

impl Drop for FakeLaunchDarkly {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn sse(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

impl FakeLaunchDarkly {
    /// Serves `flag_data` (`{"flags", "segments"}`) as the stream's initial `put`.
    pub async fn start(flag_data: Value) -> Self {
        Self::start_on(0, flag_data).await
    }

    /// On a given port of 127.0.0.1 (0: any free one).
    pub async fn start_on(port: u16, flag_data: Value) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let payloads = Arc::new(Mutex::new(Vec::new()));
        let fault = Arc::new(std::sync::Mutex::new(Fault::None));
        let (stream, _) = broadcast::channel(16);
        let put = sse("put", &json!({ "path": "/", "data": flag_data }));
        let server = {
            let (payloads, fault) = (payloads.clone(), fault.clone());
            let stream = stream.clone();
            tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    let state = Served {
                        payloads: payloads.clone(),
                        fault: fault.clone(),
                        put: put.clone(),
                    };
                    tokio::spawn(serve(socket, state, stream.subscribe()));
                }
            })
        };
        Self {
            url,
            payloads,
            fault,
            stream,
            server,
        }
    }

    /// From now on, misbehave this way (`Fault::None` to stop).
    #[allow(dead_code)]
    pub fn set_fault(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    /// Every payload received, in order (retries included).
    #[allow(dead_code)]
    pub async fn payloads(&self) -> Vec<Payload> {
        self.payloads.lock().await.clone()
    }

    /// The events as LaunchDarkly keeps them: a payload id seen before is a retry, dropped.
    #[allow(dead_code)]
    pub async fn deduplicated_events(&self) -> Vec<Value> {
        let mut seen = std::collections::HashSet::new();
        self.payloads
            .lock()
            .await
            .iter()
            .filter(|p| p.id.as_ref().is_none_or(|id| seen.insert(id.clone())))
            .flat_map(|p| p.events.clone())
            .collect()
    }

    /// Pushes a changed flag to every open stream.
    pub fn patch_flag(&self, flag: &Value) {
        let key = flag["key"].as_str().unwrap();
        let _ = self.stream.send(sse(
            "patch",
            &json!({ "path": format!("/flags/{key}"), "data": flag }),
        ));
    }

    /// Every event received so far, flattened out of the `/bulk` payloads.
    pub async fn events(&self) -> Vec<Value> {
        self.payloads
            .lock()
            .await
            .iter()
            .flat_map(|p| p.events.clone())
            .collect()
    }

    /// Waits (bounded) until an event satisfies `found`.
    pub async fn wait_for_event(&self, found: impl Fn(&Value) -> bool) -> Option<Value> {
        for _ in 0..100 {
            if let Some(e) = self.events().await.into_iter().find(&found) {
                return Some(e);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }
}

struct Served {
    payloads: Arc<Mutex<Vec<Payload>>>,
    fault: Arc<std::sync::Mutex<Fault>>,
    put: String,
}

async fn serve(socket: TcpStream, state: Served, mut updates: broadcast::Receiver<String>) {
    let Served {
        payloads,
        fault,
        put,
    } = state;
    let mut reader = BufReader::new(socket);
    // Several requests may come over one kept-alive connection.
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        let mut gzip = false;
        let (mut payload_id, mut authorization) = (None, None);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "content-encoding" => gzip = value.trim().eq_ignore_ascii_case("gzip"),
                "x-launchdarkly-payload-id" => payload_id = Some(value.trim().to_string()),
                "authorization" => authorization = Some(value.trim().to_string()),
                _ => {}
            }
        }
        let mut body = vec![0; length.min(16 << 20)];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let socket = reader.get_mut();
        let fault = *fault.lock().unwrap();
        match fault {
            Fault::None => {}
            Fault::Slow(delay) => tokio::time::sleep(delay).await,
            Fault::Drop => return,
            Fault::Status(status) => {
                let head = format!("HTTP/1.1 {status} Fault\r\nContent-Length: 0\r\n\r\n");
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                continue;
            }
        }
        match (method, path) {
            ("GET", p) if p.starts_with("/all") => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err()
                    || socket.write_all(put.as_bytes()).await.is_err()
                {
                    return;
                }
                while let Ok(message) = updates.recv().await {
                    if socket.write_all(message.as_bytes()).await.is_err() {
                        return;
                    }
                }
                return;
            }
            ("POST", p) if p.starts_with("/bulk") => {
                if gzip {
                    let mut plain = Vec::new();
                    let decoded = std::io::Read::read_to_end(
                        &mut flate2::read::GzDecoder::new(body.as_slice()),
                        &mut plain,
                    );
                    if decoded.is_ok() {
                        body = plain;
                    }
                }
                if let Ok(Value::Array(events)) = serde_json::from_slice(&body) {
                    payloads.lock().await.push(Payload {
                        id: payload_id,
                        authorization,
                        events,
                    });
                }
                let _ = socket
                    .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                    .await;
            }
            ("POST", _) => {
                let _ = socket
                    .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                    .await;
            }
            _ => {
                let _ = socket
                    .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    .await;
            }
        }
    }
}
