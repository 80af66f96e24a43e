//! A stand-in for LaunchDarkly's streaming and events services on 127.0.0.1, speaking their
//! protocols (server-sent `put`/`patch` events on `GET /all`; gzip or plain JSON arrays on
//! `POST /bulk`), so the SDK's real HTTP paths are exercised without the internet. Test-only.

use std::{sync::Arc, time::Duration};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::{Mutex, broadcast},
    task::JoinHandle,
};

pub struct FakeLaunchDarkly {
    pub url: String,
    events: Arc<Mutex<Vec<Value>>>,
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
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let events = Arc::new(Mutex::new(Vec::new()));
        let (stream, _) = broadcast::channel(16);
        let put = sse("put", &json!({ "path": "/", "data": flag_data }));
        let server = {
            let events = events.clone();
            let stream = stream.clone();
            tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    let (events, updates, put) = (events.clone(), stream.subscribe(), put.clone());
                    tokio::spawn(serve(socket, events, updates, put));
                }
            })
        };
        Self {
            url,
            events,
            stream,
            server,
        }
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
        self.events.lock().await.clone()
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

async fn serve(
    socket: TcpStream,
    events: Arc<Mutex<Vec<Value>>>,
    mut updates: broadcast::Receiver<String>,
    put: String,
) {
    let mut reader = BufReader::new(socket);
    // Several requests may come over one kept-alive connection.
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        let mut gzip = false;
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
                if let Ok(Value::Array(batch)) = serde_json::from_slice(&body) {
                    events.lock().await.extend(batch);
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
