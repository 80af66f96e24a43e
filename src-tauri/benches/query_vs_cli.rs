//! The app's query path against DuckDB's own CLI (PyPI `duckdb-cli`, the same DuckDB 1.5.5) on the
//! same database file and statement: a group-by over 10 million generated trips. The app's side is
//! everything a question goes through — pool checkout, the read-only guard, the timeout watcher,
//! execution, Arrow → typed columns; the CLI's side is its own `.timer` for the statement. Each
//! runs warm, several times; the medians and their ratio are printed and written to
//! `$CARGO_TARGET_DIR/bench-results/query_vs_cli.json`. Target: ratio ≤ 1.10.
//!
//! `cargo bench -p datagata --bench query_vs_cli` (the CLI from `scripts/setup`'s venv, or
//! `DUCKDB_CLI`; rows from `BENCH_ROWS`, default 10,000,000).

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

use datagata::data::Database;
use datagata_ipc::data::QueryRequest;

const QUERY: &str = "SELECT PULocationID, count(*) AS trips, avg(total_amount) AS avg_total, \
                     sum(tip_amount) AS tips FROM taxi GROUP BY PULocationID ORDER BY PULocationID";
const RUNS: usize = 9;
const SEED: u64 = 42;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn cli() -> PathBuf {
    std::env::var_os("DUCKDB_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            dirs::cache_dir()
                .unwrap_or_default()
                .join("datagata/venv/bin/duckdb")
        })
}

/// The bench database, generated once per row count and kept beside the build.
fn database(rows: u64) -> PathBuf {
    let path = target_dir().join(format!("bench-data/taxi-{rows}-seed{SEED}.duckdb"));
    let db = Database::open(&path).expect("opening the bench database");
    let ready = db
        .origin()
        .ok()
        .and_then(|o| o.sample)
        .is_some_and(|s| s.rows == rows && s.seed == SEED);
    if !ready {
        eprintln!("generating {rows} trips into {} …", path.display());
        let started = Instant::now();
        db.generate(rows, SEED).expect("generating the sample");
        eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
    }
    path
}

/// Milliseconds per run through the app's runner.
fn app_runs(path: &Path) -> (Vec<f64>, u64) {
    let db = Database::open(path).expect("opening the bench database");
    let request = QueryRequest::local(QUERY);
    let warm = db.run(&request).expect("the query runs");
    let times = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            let r = db.run(&request).expect("the query runs");
            std::hint::black_box(&r);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    (times, warm.total_rows)
}

/// Milliseconds per run as the CLI's `.timer` reports them (one process, warm after the first).
fn cli_runs(path: &Path) -> Vec<f64> {
    let mut script = String::from(".mode trash\n");
    script.push_str(&format!("{QUERY};\n.timer on\n"));
    for _ in 0..RUNS {
        script.push_str(&format!("{QUERY};\n"));
    }
    let mut child = Command::new(cli())
        .arg("-readonly")
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "running {} (scripts/setup installs it): {e}",
                cli().display()
            )
        });
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .expect("writing the CLI's script");
    }
    let out = child.wait_with_output().expect("waiting for the CLI");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "duckdb CLI failed: {text}");
    let times: Vec<f64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("Run Time (s): real "))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .map(|s| s * 1000.0)
        .collect();
    assert_eq!(times.len(), RUNS, "unexpected CLI output: {text}");
    times
}

fn main() {
    // `cargo bench` passes harness flags such as `--bench`; this benchmark takes none.
    let rows: u64 = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10_000_000);
    let path = database(rows);
    let (app, groups) = app_runs(&path);
    let duck = cli_runs(&path);
    let (app_ms, cli_ms) = (median(app), median(duck));
    let ratio = app_ms / cli_ms;
    println!("query_vs_cli: {rows} rows → {groups} groups, {RUNS} warm runs each");
    println!("  app query path  median {app_ms:8.1} ms");
    println!("  duckdb CLI      median {cli_ms:8.1} ms");
    println!(
        "  ratio           {ratio:.3}× (target ≤ 1.10×: {})",
        if ratio <= 1.10 { "met" } else { "missed" }
    );
    let out = target_dir().join("bench-results/query_vs_cli.json");
    let _ = std::fs::create_dir_all(out.parent().unwrap_or(Path::new(".")));
    let _ = std::fs::write(
        &out,
        serde_json::json!({
            "rows": rows, "groups": groups, "runs": RUNS, "query": QUERY,
            "app_median_ms": app_ms, "cli_median_ms": cli_ms, "ratio": ratio,
        })
        .to_string(),
    );
}
