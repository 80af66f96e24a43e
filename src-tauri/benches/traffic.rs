//! Throughput of the traffic pipeline without a provider: context → AI Config evaluation →
//! the question's reference SQL on the 1,000,000-row sample → `query-completed` stored (local log
//! and SDK), at concurrency 2, the database opened as `datagata traffic --concurrency 2` opens it
//! (DuckDB's threads shared out between the questions, `data::threads_for`). Reports questions/s,
//! DuckDB's own query time, and the per-question overhead outside the query (p50/p90/p99), then
//! the same at concurrency 1 on the database reopened for one question at a time (no other
//! question competing for the cores). Target: ≥ 1,000 questions/s with p99 overhead < 1 ms.
//!
//! `cargo bench -p datagata --bench traffic` (`BENCH_QUESTIONS`, default 2,000).

use std::{
    path::PathBuf,
    sync::Mutex,
    time::{Duration, Instant},
};

use datagata::{
    Core,
    data::Database,
    flags::{FlagSource, Flags, events::EventLog},
    traffic::{self, Asker, Question, TrafficOptions},
};
use datagata_ipc::{Profile, metrics::QueryCompleted};

const ROWS: u64 = 1_000_000;
const SEED: u64 = 42;

/// Times each whole `ask` (including storing the event) around the core.
struct Timed<'a> {
    core: &'a Core,
    times: Mutex<Vec<(f64, f64)>>,
}

impl Asker for Timed<'_> {
    fn ask(&self, profile: &Profile, question: &Question) -> Result<QueryCompleted, String> {
        let started = Instant::now();
        let done = Asker::ask(self.core, profile, question)?;
        let total = started.elapsed().as_secs_f64() * 1000.0;
        if let Ok(mut t) = self.times.lock() {
            t.push((total, done.query_ms.unwrap_or(0.0)));
        }
        Ok(done)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    datagata::metrics::stats::percentile(sorted, p).unwrap_or(f64::NAN)
}

/// One run's figures, each list sorted.
struct Measured {
    questions: usize,
    qps: f64,
    query: Vec<f64>,
    overhead: Vec<f64>,
    query_share: f64,
}

impl Measured {
    fn print_overhead(&self, label: &str) {
        println!(
            "  {label} p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms (target p99 < 1 ms)",
            percentile(&self.overhead, 50.0),
            percentile(&self.overhead, 90.0),
            percentile(&self.overhead, 99.0)
        );
    }

    fn print_run(&self, label: &str) {
        println!(
            "{label}: {} questions, {:.1} questions/s, overhead p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms",
            self.questions,
            self.qps,
            percentile(&self.overhead, 50.0),
            percentile(&self.overhead, 90.0),
            percentile(&self.overhead, 99.0)
        );
    }
}

/// `count` traffic questions on `concurrency` workers, each `ask` timed around the core.
fn run_at(core: &Core, concurrency: usize, count: usize, seed: u64) -> Measured {
    let timed = Timed {
        core,
        times: Mutex::new(Vec::new()),
    };
    let options = TrafficOptions {
        count,
        delay: Duration::ZERO,
        concurrency,
        seed,
    };
    let started = Instant::now();
    let run = traffic::run(&timed, &options, false, &|_| {}).expect("the run");
    let wall = started.elapsed().as_secs_f64();
    let times = timed.times.into_inner().unwrap_or_default();
    let mut overhead: Vec<f64> = times.iter().map(|(t, q)| t - q).collect();
    overhead.sort_by(|a, b| a.total_cmp(b));
    let mut query: Vec<f64> = times.iter().map(|(_, q)| *q).collect();
    query.sort_by(|a, b| a.total_cmp(b));
    let all: f64 = times.iter().map(|(t, _)| t).sum();
    Measured {
        questions: run.requests.len(),
        qps: run.requests.len() as f64 / wall,
        query_share: query.iter().sum::<f64>() / all.max(1e-9),
        query,
        overhead,
    }
}

fn main() {
    // Without a provider: no GGUF model, so local answers are recorded as unavailable instead of
    // starting the engine (whose worker is the datagata binary, not this one).
    let no_models = tempfile::tempdir().expect("a temporary folder");
    // SAFETY: set before any other thread starts.
    unsafe { std::env::set_var("DATAGATA_MODELS_DIR", no_models.path()) };
    let questions: usize = std::env::var("BENCH_QUESTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = tempfile::tempdir().expect("a temporary folder");
    let cached = target.join(format!("bench-data/taxi-{ROWS}-seed{SEED}.duckdb"));
    let path = dir.path().join("bench.duckdb");
    if cached.exists() {
        std::fs::copy(&cached, &path).expect("copying the cached sample");
    }
    let data = Database::open(&path).expect("opening the bench database");
    if data.origin().ok().and_then(|o| o.sample).is_none() {
        eprintln!("generating {ROWS} trips …");
        data.generate(ROWS, SEED).expect("generating");
        drop(data);
        let _ = std::fs::create_dir_all(cached.parent().unwrap_or(&target));
        let _ = std::fs::copy(&path, &cached);
        return main_with(&path, questions);
    }
    drop(data);
    main_with(&path, questions)
}

/// The core over the bench database, opened as `datagata traffic --concurrency N` opens it.
fn core_for(path: &std::path::Path, concurrent: usize) -> Core {
    let data =
        Database::open_for(path, Duration::ZERO, concurrent).expect("opening the bench database");
    let events = EventLog::on(data.dedicated_connection().expect("a connection")).expect("log");
    let flags = Flags::open(&FlagSource::Embedded).expect("flags");
    Core::new(None, flags, events, data).expect("core")
}

fn main_with(path: &std::path::Path, questions: usize) {
    let core = core_for(path, 2);
    // Warm the pool and DuckDB's caches.
    run_at(&core, 2, 20, 1);
    let two = run_at(&core, 2, questions, 7);
    println!(
        "traffic pipeline: {} questions, concurrency 2, {ROWS}-row sample, DuckDB threads per query {}",
        two.questions,
        datagata::data::threads_for(2).map_or("all".into(), |n| n.to_string())
    );
    println!(
        "  throughput                 {:8.1} questions/s (target ≥ 1,000)",
        two.qps
    );
    println!(
        "  DuckDB query time          p50 {:.2} ms  p99 {:.2} ms  ({:.0}% of all time)",
        percentile(&two.query, 50.0),
        percentile(&two.query, 99.0),
        two.query_share * 100.0
    );
    two.print_overhead("overhead outside the query");
    core.shutdown();
    drop(core);
    // The same questions one at a time, the database opened for one (DuckDB's threads on every
    // core): no other question competes for the cores while one question's own steps run, so
    // what remains is the pipeline itself.
    let core = core_for(path, 1);
    run_at(&core, 1, 20, 1);
    let one = run_at(&core, 1, questions / 4, 7);
    one.print_run("  one at a time (concurrency 1)");
    // Where the overhead goes: the read-only check (a statement seen before, as in the run, and
    // one parsed and walked the first time) and storing one event, each alone.
    let mut check: Vec<f64> = (0..500)
        .map(|i| {
            let started = Instant::now();
            let sql = traffic::QUESTIONS[i % traffic::QUESTIONS.len()].reference_sql;
            core.data().check(sql).expect("reference SQL passes");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    check.sort_by(|a, b| a.total_cmp(b));
    let conn = core.data().conn().expect("a connection");
    let mut first_check: Vec<f64> = (0..500)
        .map(|i| {
            let started = Instant::now();
            let sql = traffic::QUESTIONS[i % traffic::QUESTIONS.len()].reference_sql;
            datagata::data::guard::check(&conn, sql, core.data().imports_dir())
                .expect("reference SQL passes");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    drop(conn);
    first_check.sort_by(|a, b| a.total_cmp(b));
    let mut track: Vec<f64> = (0..500)
        .map(|_| {
            let started = Instant::now();
            core.track("bench-event", serde_json::json!({"n": 1}), Some(1.0))
                .expect("tracked");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    track.sort_by(|a, b| a.total_cmp(b));
    // Until it is on disk: tracking, then waiting for the writer's group commit.
    let mut durable: Vec<f64> = (0..500)
        .map(|_| {
            let started = Instant::now();
            core.track("bench-event", serde_json::json!({"n": 1}), Some(1.0))
                .expect("tracked");
            core.events().sync();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    durable.sort_by(|a, b| a.total_cmp(b));
    println!(
        "  of which: read-only check  p50 {:.3} ms  p99 {:.3} ms (seen before; the first time p50 {:.3} ms  p99 {:.3} ms)",
        percentile(&check, 50.0),
        percentile(&check, 99.0),
        percentile(&first_check, 50.0),
        percentile(&first_check, 99.0)
    );
    println!(
        "            tracking an event p50 {:.3} ms  p99 {:.3} ms",
        percentile(&track, 50.0),
        percentile(&track, 99.0)
    );
    println!(
        "  an event tracked and committed to disk (one at a time) p50 {:.3} ms  p99 {:.3} ms",
        percentile(&durable, 50.0),
        percentile(&durable, 99.0)
    );
    // The pipeline's own capacity: questions/s if DuckDB's query time were zero, at concurrency 2.
    let overhead_total: f64 = two.overhead.iter().sum::<f64>() / 1000.0;
    println!(
        "  throughput outside the query {:8.1} questions/s (2 workers over {:.2} s of overhead)",
        2.0 * two.overhead.len() as f64 / overhead_total.max(1e-9),
        overhead_total
    );
    core.shutdown();
}
