//! Faults a desktop app meets, tried through the real `datagata` binary: `kill -9` in the middle
//! of `data generate` and `data import` (the database opens afterwards with the old table or the
//! new one, never half), a damaged database file, a truncated one, a WAL full of garbage, a data
//! folder that cannot be written, and a full disk (a small tmpfs, where this machine lets the test
//! mount one). Each gives a message saying what happened and what to do, exits without a panic,
//! and loses nothing already stored (a file DuckDB does not recognise is not touched).

use std::{
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

mod common;

fn datagata(db: &Path) -> Command {
    let mut cmd = common::datagata();
    cmd.arg("--db").arg(db);
    cmd
}

fn run(db: &Path, args: &[&str]) -> Output {
    datagata(db).args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A failure as a person should see it: one clean error, no panic, no backtrace.
fn assert_clean_failure(out: &Output, says: &str) {
    let all = text(out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        !all.contains("panicked") && !all.contains("RUST_BACKTRACE"),
        "{all}"
    );
    assert!(all.contains(says), "expected {says:?} in: {all}");
}

/// (trips, origin line) from `data status`.
fn status(db: &Path) -> (String, String) {
    let out = run(db, &["data", "status"]);
    let all = text(&out);
    assert!(out.status.success(), "data status failed: {all}");
    let line = |label: &str| {
        all.lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no {label} in {all}"))
    };
    (line("Trips"), line("Origin"))
}

fn generate(db: &Path, rows: u64, seed: u64) {
    let out = run(
        db,
        &[
            "data",
            "generate",
            "--rows",
            &rows.to_string(),
            "--seed",
            &seed.to_string(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
}

/// Starts `args`, kills it with SIGKILL after `after`; whether it was still running then.
fn kill_after(db: &Path, args: &[&str], after: Duration) -> bool {
    let mut child = datagata(db)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + after;
    while Instant::now() < until {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    true
}

#[test]
fn kill_9_during_generate_leaves_the_old_table_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gen.duckdb");
    let mut interrupted = 0;
    for after in [300, 1_000, 2_500] {
        generate(&db, 1_000, 1);
        let old = status(&db);
        if kill_after(
            &db,
            &["data", "generate", "--rows", "3000000", "--seed", "2"],
            Duration::from_millis(after),
        ) {
            interrupted += 1;
        }
        let now = status(&db);
        let new = ("3,000,000".to_string(), now.1.clone());
        assert!(
            now == old || (now == new && now.1.contains("seed 2")),
            "after a kill at {after} ms: {now:?} (old {old:?})"
        );
    }
    assert!(interrupted > 0, "no kill landed mid-generate");
}

#[test]
fn kill_9_during_import_leaves_the_old_table_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    // A TLC-shaped Parquet file of 2,000,000 trips, written by DuckDB from a generated sample.
    let source = dir.path().join("source/source.duckdb");
    std::fs::create_dir_all(source.parent().unwrap()).unwrap();
    generate(&source, 2_000_000, 3);
    let parquet = dir.path().join("trips.parquet");
    {
        let conn = duckdb::Connection::open(&source).unwrap();
        conn.execute_batch(&format!(
            "COPY taxi TO '{}' (FORMAT parquet)",
            parquet.display()
        ))
        .unwrap();
    }
    let db = dir.path().join("import/imp.duckdb");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let file = parquet.display().to_string();
    let mut interrupted = 0;
    for after in [200, 800, 2_000] {
        generate(&db, 1_000, 1);
        let old = status(&db);
        if kill_after(
            &db,
            &["data", "import", &file],
            Duration::from_millis(after),
        ) {
            interrupted += 1;
        }
        let now = status(&db);
        assert!(
            now == old || (now.0 == "2,000,000" && !now.1.contains("Generated")),
            "after a kill at {after} ms: {now:?} (old {old:?})"
        );
    }
    assert!(interrupted > 0, "no kill landed mid-import");
}

fn digest(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn a_damaged_or_truncated_database_is_named_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.duckdb");
    std::fs::write(&garbage, vec![0x5a; 100_000]).unwrap();
    let out = run(&garbage, &["data", "status"]);
    assert_clean_failure(&out, "the file is damaged");
    assert!(
        digest(&garbage) == vec![0x5a; 100_000],
        "the file was changed"
    );

    let truncated = dir.path().join("truncated.duckdb");
    generate(&truncated, 1_000, 1);
    let len = std::fs::metadata(&truncated).unwrap().len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&truncated)
        .unwrap();
    file.set_len(len / 3).unwrap();
    drop(file);
    assert_clean_failure(&run(&truncated, &["data", "status"]), "the file is damaged");
    // What does not touch the lost pages may still work; what does, fails in the same words.
    for args in [
        &["query", "SELECT sum(fare_amount) FROM taxi"][..],
        &["query", "SELECT 1"],
        &["metrics"],
    ] {
        let out = run(&truncated, args);
        if !out.status.success() {
            assert_clean_failure(&out, "the file is damaged");
        }
    }
}

#[test]
fn a_wal_full_of_garbage_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wal.duckdb");
    generate(&db, 1_000, 7);
    let before = status(&db);
    let wal = PathBuf::from(format!("{}.wal", db.display()));
    std::fs::write(
        &wal,
        (0..5_000u32)
            .map(|i| (i * 31 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let out = run(&db, &["data", "status"]);
    if out.status.success() {
        assert_eq!(status(&db), before);
    } else {
        assert_clean_failure(&out, "damaged");
    }
}

#[test]
fn a_data_folder_that_cannot_be_written_says_so() {
    // /proc refuses new folders even to root.
    let out = run(
        Path::new("/proc/datagata-test/x.duckdb"),
        &["data", "status"],
    );
    assert_clean_failure(&out, "the data folder cannot be written");
}

/// A 4 MiB tmpfs, unmounted when dropped; `None` where this machine does not let the test mount.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path) -> Option<Self> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .ok()?
            .success();
        ok.then(|| Self(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_keeps_what_was_stored_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(&dir.path().join("small")) else {
        eprintln!("SKIPPED: this machine does not allow mounting a tmpfs (needs root)");
        return;
    };
    let db = disk.0.join("full.duckdb");
    generate(&db, 1_000, 1);
    let before = status(&db);
    // Far more than 4 MiB.
    let out = run(
        &db,
        &["data", "generate", "--rows", "2000000", "--seed", "2"],
    );
    assert_clean_failure(&out, "");
    let all = text(&out);
    assert!(
        all.contains("the disk is full") || all.contains("No space left"),
        "{all}"
    );
    assert_eq!(status(&db), before, "what was stored is still there");
    // Questions still run on what is there.
    let out = run(&db, &["query", "SELECT count(*) AS n FROM taxi", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
}
