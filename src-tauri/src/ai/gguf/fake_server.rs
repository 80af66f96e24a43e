//! A stand-in for a model host on 127.0.0.1: HTTP/1.1 serving one file at any path, with Range
//! requests (206 from the asked offset), and misbehaving on purpose ([`Mode`]). Test-only: the
//! download's unit tests and the window's GGUF test (`tests/e2e/gguf.rs`, which includes this
//! file) both use it. Bounded: at most `connections` requests and `lifetime`, then it stops.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// How the server answers.
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(dead_code)]
pub enum Mode {
    Normal,
    /// The first response stops after this many bytes of the body and closes the connection.
    DropFirstAt(usize),
    /// Answers every request with the whole file (200), Range or not.
    IgnoreRange,
    /// Sends the body in pieces of `piece` bytes with `pause` after each (a cancel lands mid-file;
    /// a progress bar has time to move).
    Paced {
        piece: usize,
        pause: Duration,
    },
    NotFound,
}

/// A running server: where it is, and the Range header of each request it answered.
pub struct Server {
    pub url: String,
    ranges: Arc<Mutex<Vec<Option<String>>>>,
}

impl Server {
    /// Serves `body` as `http://127.0.0.1:PORT/{name}` (any path is answered the same).
    pub fn start(
        name: &str,
        body: Vec<u8>,
        mode: Mode,
        connections: usize,
        lifetime: Duration,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port on 127.0.0.1");
        let url = format!(
            "http://{}/{name}",
            listener.local_addr().expect("its address")
        );
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let seen = ranges.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + lifetime;
            let mut served = 0;
            while served < connections && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let range = answer(stream, &body, mode, served == 0);
                        seen.lock().unwrap_or_else(|e| e.into_inner()).push(range);
                        served += 1;
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { url, ranges }
    }

    /// The Range header of each request answered so far (`None`: the request had none).
    pub fn ranges(&self) -> Vec<Option<String>> {
        self.ranges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Reads one request and answers it; the Range header it had.
fn answer(stream: TcpStream, body: &[u8], mode: Mode, first: bool) -> Option<String> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(read_half) = stream.try_clone() else {
        return None;
    };
    let mut reader = BufReader::new(read_half);
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_string());
        }
    }
    let mut out = stream;
    if mode == Mode::NotFound {
        let _ = out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        return range;
    }
    let start = match (&range, mode) {
        (Some(r), m) if m != Mode::IgnoreRange => r
            .strip_prefix("bytes=")
            .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
            .unwrap_or(0)
            .min(body.len()),
        _ => 0,
    };
    let head = if start > 0 {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {}-{}/{}\r\nConnection: close\r\n\r\n",
            body.len() - start,
            start,
            body.len() - 1,
            body.len()
        )
    } else {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n",
            body.len()
        )
    };
    let _ = out.write_all(head.as_bytes());
    let rest = &body[start..];
    match mode {
        Mode::DropFirstAt(n) if first => {
            let _ = out.write_all(&rest[..n.min(rest.len())]);
            let _ = out.flush();
            // Dropping the stream closes the connection mid-body.
            return range;
        }
        Mode::Paced { piece, pause } => {
            for chunk in rest.chunks(piece.max(1)) {
                if out.write_all(chunk).is_err() {
                    break;
                }
                std::thread::sleep(pause);
            }
        }
        _ => {
            let _ = out.write_all(rest);
        }
    }
    let _ = out.flush();
    // Until the client closes its side (or 2 s), so closing here never resets what it has yet
    // to read.
    let _ = out.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = reader.read_to_end(&mut Vec::new());
    range
}
