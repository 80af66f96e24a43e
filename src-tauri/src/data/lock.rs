//! Who holds the database file: DuckDB allows one process to open it for writing, and names the
//! holder in its error ("Conflicting lock is held in /usr/bin/datagata (PID 1234) …"). A DataGata
//! that is still closing lets go within seconds, so opening waits a little before giving up.

use std::{
    path::Path,
    time::{Duration, Instant},
};

/// The process that holds the lock on a database file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The holder's program, as DuckDB names it (its executable's path), when it does.
    pub program: Option<String>,
    pub pid: Option<u32>,
}

impl Holder {
    /// Whether the holder is DataGata (the window or another `datagata` command).
    pub fn is_datagata(&self) -> bool {
        self.program.as_deref().is_some_and(|p| {
            Path::new(p)
                .file_name()
                .is_some_and(|n| n.to_string_lossy().to_lowercase().starts_with("datagata"))
        })
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = if self.is_datagata() {
            "DataGata".to_string()
        } else {
            self.program
                .clone()
                .unwrap_or_else(|| "another program".into())
        };
        match self.pid {
            Some(pid) => write!(f, "{name} (pid {pid})"),
            None => write!(f, "{name}"),
        }
    }
}

/// The holder named in a DuckDB error, when the error is a lock conflict.
pub fn holder(message: &str) -> Option<Holder> {
    if !message.contains("Could not set lock on file") {
        return None;
    }
    let held = message.split("Conflicting lock is held in ").nth(1);
    let program = held
        .and_then(|rest| rest.split(" (PID ").next())
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    let pid = message
        .split("(PID ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.trim().parse().ok());
    Some(Holder { program, pid })
}

/// Calls `open` until it succeeds, fails for another reason than a lock, or `wait` has passed.
pub fn retry_while_locked<T, E: std::fmt::Display>(
    wait: Duration,
    mut open: impl FnMut() -> Result<T, E>,
) -> Result<T, (E, Option<Holder>)> {
    let deadline = Instant::now() + wait;
    loop {
        match open() {
            Ok(v) => return Ok(v),
            Err(e) => {
                let Some(who) = holder(&e.to_string()) else {
                    return Err((e, None));
                };
                if Instant::now() >= deadline {
                    return Err((e, Some(who)));
                }
                tracing::info!(holder = %who, "the database is locked; waiting for it to close");
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_duckdbs_lock_message() {
        let m = "IO Error: Could not set lock on file \"/h/datagata.duckdb\": Conflicting lock is \
                 held in /usr/bin/datagata (PID 4242) by user ana. See also \
                 https://duckdb.org/docs/stable/connect/concurrency";
        let h = holder(m).unwrap();
        assert_eq!(h.pid, Some(4242));
        assert!(h.is_datagata());
        assert_eq!(h.to_string(), "DataGata (pid 4242)");
        let other = holder(
            "IO Error: Could not set lock on file \"x\": Conflicting lock is held in /usr/bin/duckdb (PID 7) by user a.",
        )
        .unwrap();
        assert_eq!(other.to_string(), "/usr/bin/duckdb (pid 7)");
        assert!(holder("Catalog Error: no table").is_none());
    }

    #[test]
    fn a_real_second_opener_is_told_who_holds_the_file_after_waiting() {
        // DuckDB locks the file with fcntl, per process: another process (Python, taking the
        // same kind of lock) holds it while this one tries.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.duckdb");
        let mut child = std::process::Command::new("python3")
            .args([
                "-c",
                "import fcntl,sys,time; f=open(sys.argv[1],'a+'); \
                 fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(30)",
            ])
            .arg(&path)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line.trim(), "locked");
        let started = Instant::now();
        let err = retry_while_locked(Duration::from_millis(600), || {
            duckdb::Connection::open(&path)
        })
        .map(|_| ())
        .unwrap_err();
        let _ = child.kill();
        let _ = child.wait();
        assert!(started.elapsed() >= Duration::from_millis(600));
        let holder = err.1.expect("a lock conflict");
        assert_eq!(holder.pid, Some(child.id()));
    }
}
