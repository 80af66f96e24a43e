//! Thread priorities: work nobody is waiting on gives the core to work somebody is. On a
//! 2-core machine, with two questions in flight, a question's own steps outside DuckDB (its
//! context, the AI Config, storing its event: about 0.2 ms of CPU) waited 1–5 ms for a core
//! behind DuckDB's worker thread and the event writer (seen with `perf sched`), which made the
//! pipeline's p99. The threads that do work in the background run at a lower priority, so a
//! question's steps come first, while an idle core still goes to them at once.
//!
//! Linux only (a thread's nice value); elsewhere every thread keeps the normal priority. A
//! process may always lower its threads' priority, never raise it back, so only threads that
//! stay background are lowered.

/// The event log's writer (group commits): yields to everything else, and still gets a share
/// of a busy machine, so events reach the disk within a commit or so.
pub const EVENT_WRITER: i32 = 10;
/// DuckDB's worker threads, which run a query's parallel share beside the thread that asked:
/// a little below normal, so a question's own steps are not kept waiting by another
/// question's scan.
pub const QUERY_WORKERS: i32 = 5;

/// Lowers the calling thread's priority to `nice` (0 normal … 19 lowest); threads it starts
/// afterwards inherit it. Failing to is not an error: the thread keeps its priority.
pub fn lower_this_thread(nice: i32) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid and setpriority take plain integers and change only this thread.
        let tid = unsafe { libc::gettid() };
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice) } != 0 {
            tracing::debug!(
                "thread priority unchanged: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// Runs `open` on a thread of its own at `nice`, so the threads it starts (DuckDB starts its
/// workers when a database opens) inherit that priority while the caller keeps its own.
pub fn open_at<T: Send>(nice: i32, open: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        match s
            .spawn(move || {
                lower_this_thread(nice);
                open()
            })
            .join()
        {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// This thread's nice value.
    fn this_thread() -> i32 {
        // SAFETY: gettid and getpriority take plain integers and only read; -1 is a valid nice
        // value, so errno is not consulted.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
    }

    /// The nice value of every thread of this process, from /proc.
    fn nice_of_threads() -> Vec<(String, i32)> {
        let mut out = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                continue;
            };
            // After the ")" that ends the name: state is field 3, nice field 19.
            let Some((_, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            out.push((comm.trim().to_string(), fields[16].parse().unwrap()));
        }
        out
    }

    #[test]
    fn a_lowered_thread_keeps_its_priority_and_the_caller_keeps_its_own() {
        let before = this_thread();
        let inside = open_at(QUERY_WORKERS, this_thread);
        assert_eq!(inside, QUERY_WORKERS.max(before));
        assert_eq!(this_thread(), before);
        // What the lowered thread starts inherits its priority.
        let child = open_at(EVENT_WRITER, || {
            std::thread::spawn(this_thread).join().unwrap()
        });
        assert_eq!(child, EVENT_WRITER.max(before));
    }

    #[test]
    fn duckdbs_workers_run_below_normal_and_the_event_writer_below_them() {
        let dir = tempfile::tempdir().unwrap();
        let data = crate::data::Database::open(&dir.path().join("p.duckdb")).unwrap();
        let events =
            crate::flags::events::EventLog::on(data.dedicated_connection().unwrap()).unwrap();
        let threads = nice_of_threads();
        let base = this_thread();
        // DuckDB's scheduler starts `threads - 1` workers; on one core there are none.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = threads
            .iter()
            .filter(|(_, n)| *n == QUERY_WORKERS.max(base))
            .count();
        assert!(
            cores == 1 || workers >= cores - 1,
            "{cores} cores, DuckDB's workers not lowered: {threads:?}"
        );
        assert!(
            threads
                .iter()
                .any(|(name, n)| name == "event-log-write" && *n == EVENT_WRITER.max(base)),
            "{threads:?}"
        );
        events.close();
    }
}
