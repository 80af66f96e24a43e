//! `datagata query` with hostile SQL, as a person (or a script) would run it: a canary file
//! outside the data folder and secrets inside it must appear in neither stdout nor stderr, and a
//! relative `--db` must work from the folder it names.

use std::process::Command;

const CANARY: &str = "CANARYcli90b1e4";

mod common;

fn datagata() -> Command {
    let mut cmd = common::datagata();
    cmd.env("DATAGATA_SAMPLE_ROWS", "100");
    cmd
}

#[test]
fn hostile_queries_leak_nothing_on_stdout_or_stderr() {
    let outside = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let o = outside.path().display().to_string();
    std::fs::write(
        outside.path().join("canary.csv"),
        format!("secret\n{CANARY}\n"),
    )
    .unwrap();
    std::fs::write(outside.path().join("canary.txt"), CANARY).unwrap();
    std::fs::write(data.path().join("motherduck-token"), CANARY).unwrap();
    std::fs::write(data.path().join("automation.json"), CANARY).unwrap();
    let d = data.path().display().to_string();
    // A relative --db, resolved against the working directory.
    let out = datagata()
        .current_dir(data.path())
        .args(["--db", "cli.duckdb", "data", "generate", "--rows", "100"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(data.path().join("imports").is_dir());
    for sql in [
        format!(r#"SELECT * FROM "{o}/canary"."csv""#),
        format!("SELECT * FROM read_csv('{o}/canary.csv')"),
        format!("SELECT * FROM read_text('{d}/motherduck-token')"),
        format!("SELECT error(content) FROM read_text('{o}/canary.txt')"),
        format!(r#"SELECT * FROM "{d}/motherduck-token"."csv""#),
        format!("ATTACH '{o}/x.duckdb'"),
        "SELECT * FROM duckdb_settings()".to_string(),
        r#"SELECT * FROM "canary"."csv""#.to_string(),
    ] {
        for args in [
            vec!["query", sql.as_str()],
            vec!["query", sql.as_str(), "--json"],
        ] {
            let out = datagata()
                .current_dir(outside.path())
                .arg("--db")
                .arg(data.path().join("cli.duckdb"))
                .args(&args)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !stdout.contains(CANARY) && !stderr.contains(CANARY),
                "{sql}: leaked\nstdout: {stdout}\nstderr: {stderr}"
            );
        }
    }
    let out = datagata()
        .current_dir(data.path())
        .args([
            "--db",
            "cli.duckdb",
            "query",
            "SELECT count(*) AS n FROM taxi",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("100"));
}
