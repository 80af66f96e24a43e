//! Hostile SQL, as an attacker (or a confused AI) would write it: every class must be refused or
//! fail without a byte of a file outside the imports folder, or of a secret inside the data
//! directory, appearing in the answer, the error, the public error text or the stored events —
//! with the read-only guard on, and with it switched off, where DuckDB's own containment is all
//! that stands in the way.

use std::path::{Path, PathBuf};

use datagata_ipc::data::{
    Aggregate, ExportFormat, PivotRequest, PivotSource, QueryRequest, QueryTarget,
};
use proptest::prelude::*;

use super::*;

const FILE_CANARY: &str = "CANARYfile7f3a9c";
const TOKEN_CANARY: &str = "CANARYtoken51e2d8";

/// A data directory with the database and secrets planted in it, and a folder outside it with
/// the canary in every format DuckDB reads.
struct Scene {
    _data: tempfile::TempDir,
    _outside: tempfile::TempDir,
    data: PathBuf,
    outside: PathBuf,
    db: Database,
}

fn scene() -> Scene {
    let data_tmp = tempfile::tempdir().unwrap();
    let outside_tmp = tempfile::tempdir().unwrap();
    let data = data_tmp.path().canonicalize().unwrap();
    let outside = outside_tmp.path().canonicalize().unwrap();
    // The canaries, written by an unrestricted DuckDB of their own (not the app's).
    let free = duckdb::Connection::open_in_memory().unwrap();
    let o = outside.display();
    free.execute_batch(&format!(
        "CREATE TABLE c AS SELECT '{FILE_CANARY}' AS secret, 1 AS n;
         COPY c TO '{o}/canary.csv' (HEADER);
         COPY c TO '{o}/canary.json';
         COPY c TO '{o}/canary.parquet' (FORMAT parquet);
         COPY c TO '{o}/canary.csv.gz' (HEADER, COMPRESSION gzip);
         ATTACH '{o}/canary.duckdb' AS f; CREATE TABLE f.t AS FROM c; DETACH f;"
    ))
    .unwrap();
    drop(free);
    std::fs::write(outside.join("canary.txt"), format!("{FILE_CANARY}\n")).unwrap();
    std::fs::write(outside.join("canary"), format!("{FILE_CANARY}\n")).unwrap();

    let db = Database::open(&data.join("datagata.duckdb")).unwrap();
    sample::generate(&db.conn().unwrap(), 200, 1).unwrap();
    // Secrets where the app keeps them (the keyring is off in tests: the fallback file).
    motherduck::save_token(&data, TOKEN_CANARY).unwrap();
    std::fs::write(
        data.join("automation.json"),
        format!("{{\"port\":1,\"token\":\"{TOKEN_CANARY}\"}}"),
    )
    .unwrap();
    std::fs::write(
        data.join("settings.json"),
        format!("{{\"t\":\"{TOKEN_CANARY}\"}}"),
    )
    .unwrap();
    // Symlinks out of the imports folder: a file and a folder.
    let imports = db.imports_dir().to_path_buf();
    std::fs::write(imports.join("ok.csv"), "a,b\n1,2\n").unwrap();
    std::os::unix::fs::symlink(outside.join("canary.csv"), imports.join("link.csv")).unwrap();
    std::os::unix::fs::symlink(&outside, imports.join("outlink")).unwrap();
    std::os::unix::fs::symlink(data.join("motherduck-token"), imports.join("token.csv")).unwrap();
    Scene {
        _data: data_tmp,
        _outside: outside_tmp,
        data,
        outside,
        db,
    }
}

/// `path` relative to the working directory (`"../../tmp/x"`), for DuckDB's relative reads.
fn relative_to_cwd(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap().canonicalize().unwrap();
    let ups = cwd.components().count() - 1;
    let rest = path.strip_prefix("/").unwrap();
    format!("{}{}", "../".repeat(ups), rest.display())
}

/// Every hostile statement, with `{P}` the outside folder, `{D}` the data directory, `{I}` the
/// imports folder and `{R}` the outside folder relative to the working directory.
const HOSTILE: &[&str] = &[
    // Qualified names DuckDB joins into file paths.
    r#"SELECT * FROM "{P}/canary"."csv""#,
    r#"SELECT * FROM "{P}/canary"."json""#,
    r#"SELECT * FROM "{P}/canary"."parquet""#,
    r#"SELECT * FROM "{P}/canary.csv"."gz""#,
    r#"SELECT * FROM "{P}/canary"."duckdb""#,
    r#"SELECT * FROM "{P}"."canary"."csv""#,
    r#"SELECT * FROM "{P}/*"."csv""#,
    r#"SELECT * FROM "{P}/canary"."txt""#,
    r#"DESCRIBE "{P}/canary"."csv""#,
    r#"DESCRIBE SELECT * FROM "{P}/canary"."csv""#,
    r#"SUMMARIZE "{P}/canary"."csv""#,
    r#"SUMMARIZE SELECT * FROM "{P}/canary"."parquet""#,
    r#"SELECT * FROM range(1) r, LATERAL (SELECT * FROM "{P}/canary"."csv")"#,
    r#"SELECT (SELECT secret FROM "{P}/canary"."csv")"#,
    r#"WITH x AS (FROM "{P}/canary"."csv") SELECT * FROM x"#,
    r#"SELECT * FROM taxi_zones UNION ALL BY NAME SELECT * FROM "{P}/canary"."csv""#,
    // Working-directory-relative names.
    r#"SELECT * FROM "{R}/canary"."csv""#,
    r#"SELECT * FROM '{R}/canary.csv'"#,
    r#"SELECT * FROM read_csv('{R}/canary.csv')"#,
    // Plain paths and readers.
    "SELECT * FROM '{P}/canary.csv'",
    "SELECT * FROM '{P}/canary.parquet'",
    "SELECT * FROM '{P}/canary.duckdb'",
    "SELECT * FROM read_csv('{P}/canary.csv')",
    "SELECT * FROM read_csv('{P}/*.csv')",
    "SELECT * FROM read_csv(['{I}/ok.csv', '{P}/canary.csv'], union_by_name = true)",
    "SELECT * FROM read_json('{P}/canary.json')",
    "SELECT * FROM read_parquet('{P}/canary.parquet')",
    "SELECT * FROM parquet_metadata('{P}/canary.parquet')",
    "SELECT * FROM sniff_csv('{P}/canary.csv')",
    "SELECT * FROM read_text('{P}/canary.txt')",
    "SELECT * FROM read_blob('{P}/canary.txt')",
    "SELECT * FROM '{I}/../../*/canary.csv'",
    "SELECT * FROM read_csv('{I}/../canary.csv')",
    // The secrets in the data directory.
    "SELECT * FROM read_csv('{D}/motherduck-token', header = false)",
    "SELECT * FROM read_text('{D}/motherduck-token')",
    "SELECT * FROM read_blob('{D}/motherduck-token')",
    "SELECT * FROM read_text('{D}/automation.json')",
    "SELECT * FROM read_json('{D}/automation.json')",
    "SELECT * FROM read_text('{D}/settings.json')",
    "SELECT * FROM read_text('{D}/*')",
    r#"SELECT * FROM "{D}/motherduck-token"."csv""#,
    "SELECT * FROM glob('{D}/*')",
    // Symlinks out of the imports folder, and globs through them.
    "SELECT * FROM '{I}/link.csv'",
    "SELECT * FROM read_csv('{I}/*.csv', union_by_name = true)",
    "SELECT * FROM read_csv('{I}/**/*.csv', union_by_name = true)",
    "SELECT * FROM '{I}/outlink/canary.csv'",
    "SELECT * FROM read_text('{I}/outlink/canary.txt')",
    "SELECT * FROM read_csv('{I}/token.csv', header = false)",
    "SELECT * FROM read_text('{I}/*')",
    // Other databases, files and extensions.
    "ATTACH '{P}/canary.duckdb' AS c",
    "ATTACH '{P}/canary.duckdb' AS c (READ_ONLY); SELECT * FROM c.t",
    "ATTACH '{D}/datagata.duckdb' AS again",
    "ATTACH ':memory:' AS m",
    "COPY (SELECT 1 AS x) TO '{P}/written.csv'",
    "COPY taxi_zones FROM '{P}/canary.csv'",
    "COPY (FROM read_text('{D}/motherduck-token')) TO '{I}/stolen.csv'",
    "EXPORT DATABASE '{P}/exported'",
    "IMPORT DATABASE '{P}'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "LOAD '{P}/evil.duckdb_extension'",
    "FORCE INSTALL motherduck",
    "SELECT * FROM read_csv('https://example.com/x.csv')",
    "CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')",
    // Settings: changing them, listing them.
    "SET enable_external_access = true",
    "RESET enable_external_access",
    "SET allowed_directories = ['/']",
    "SET allowed_paths = ['{P}/canary.csv']",
    "SET lock_configuration = false",
    "RESET lock_configuration",
    "SET autoinstall_known_extensions = true",
    "SET temp_directory = '{P}'",
    "PRAGMA enable_profiling = 'json'",
    "SELECT * FROM duckdb_settings()",
    "SELECT * FROM pg_catalog.pg_settings",
    "SELECT * FROM duckdb_secrets()",
    "SELECT * FROM duckdb_extensions()",
    "SELECT * FROM duckdb_logs",
    "SELECT * FROM pragma_database_list",
    "SELECT * FROM pragma_show_tables()",
    "PRAGMA database_list",
    "SELECT current_setting('allowed_directories')",
    "SELECT current_setting('motherduck_token')",
    "SELECT getenv('MOTHERDUCK_TOKEN')",
    "SELECT * FROM which_secret('s3://x/y', 's3')",
    "CALL query('SELECT * FROM read_text(''{D}/motherduck-token'')')",
    "SELECT * FROM query('SELECT * FROM read_text(''{P}/canary.txt'')')",
    "SELECT * FROM query_table('{P}/canary.csv')",
    // Errors that would carry file contents.
    "SELECT error(content) FROM read_text('{P}/canary.txt')",
    "SELECT error(content) FROM read_text('{D}/motherduck-token')",
    "SELECT CAST(content AS INTEGER) FROM read_text('{D}/motherduck-token')",
    "SELECT content::DATE FROM read_text('{P}/canary.txt')",
    "SELECT * FROM read_csv('{P}/canary.csv', columns = {'secret': 'INTEGER', 'n': 'INTEGER'})",
    "SELECT * FROM read_csv('{D}/motherduck-token', columns = {'a': 'INTEGER'}, header = false)",
    "SELECT * FROM read_json('{D}/motherduck-token')",
    "SELECT * FROM read_parquet('{D}/motherduck-token')",
];

fn fill(sql: &str, s: &Scene) -> String {
    fill_paths(sql, &s.outside, &s.data, s.db.imports_dir())
}

fn fill_paths(sql: &str, outside: &Path, data: &Path, imports: &Path) -> String {
    sql.replace("{P}", &outside.display().to_string())
        .replace("{D}", &data.display().to_string())
        .replace("{I}", &imports.display().to_string())
        .replace("{R}", &relative_to_cwd(outside))
        .replace("{FILE}", FILE_CANARY)
}

/// Panics when a canary shows in `text`.
fn assert_clean(sql: &str, what: &str, text: &str) {
    for canary in [FILE_CANARY, TOKEN_CANARY] {
        assert!(
            !text.contains(canary),
            "{canary} leaked through {what} of {sql:?}: {text}"
        );
    }
}

/// Runs `sql` through every entry point of the data module and checks each outcome.
fn attempt(s: &Scene, sql: &str) {
    let result = s.db.run(&QueryRequest::local(sql));
    match &result {
        Ok(r) => assert_clean(sql, "the answer", &serde_json::to_string(r).unwrap()),
        Err(e) => {
            assert_clean(sql, "the error", &format!("{e} {e:?}"));
            assert_clean(sql, "the public error", &public_error(e));
        }
    }
    if let Ok(checked) = s.db.check(sql) {
        let out = s.data.join("export.csv");
        match s.db.export(
            &checked,
            QueryTarget::Local,
            ExportFormat::Csv,
            &out,
            std::time::Duration::from_secs(10),
        ) {
            Ok(_) => {
                let text = std::fs::read_to_string(&out).unwrap_or_default();
                assert_clean(sql, "an export", &text);
                std::fs::remove_file(&out).unwrap();
            }
            Err(e) => assert_clean(sql, "an export's error", &format!("{e} {e:?}")),
        }
        let saved = s.db.save_table(
            "stolen",
            &checked,
            QueryTarget::Local,
            true,
            RunLimits::default(),
        );
        if saved.is_ok() {
            let r =
                s.db.run_checked(
                    &s.db.check("FROM my_db.stolen").unwrap(),
                    QueryTarget::Local,
                    RunLimits::default(),
                )
                .unwrap();
            assert_clean(sql, "a saved table", &serde_json::to_string(&r).unwrap());
            s.db.drop_table("stolen", QueryTarget::Local).unwrap();
        }
        let pivot = s.db.pivot(
            &PivotRequest {
                source: PivotSource::Query {
                    sql: sql.to_string(),
                },
                target: QueryTarget::Local,
                rows: vec![],
                column: "secret".into(),
                measure: "n".into(),
                aggregate: Aggregate::Count,
            },
            RunLimits::default(),
        );
        if let Err(e) = &pivot {
            assert_clean(sql, "a pivot's error", &format!("{e} {e:?}"));
        } else if let Ok(r) = &pivot {
            assert_clean(sql, "a pivot", &serde_json::to_string(r).unwrap());
        }
    }
}

/// After all attempts: nothing was written outside, the containment still holds.
fn assert_still_contained(s: &Scene) {
    assert!(!s.outside.join("written.csv").exists());
    assert!(!s.outside.join("exported").exists());
    let conn = s.db.conn().unwrap();
    let (external, locked): (String, String) = conn
        .query_row(
            "SELECT current_setting('enable_external_access')::VARCHAR,
                    current_setting('lock_configuration')::VARCHAR",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((external.as_str(), locked.as_str()), ("false", "true"));
    // And a plain question still works.
    let r =
        s.db.run(&QueryRequest::local("SELECT count(*) FROM taxi"))
            .unwrap();
    assert_eq!(r.columns[0].values.display(0), "200");
}

struct GuardOff;

impl GuardOff {
    fn new() -> Self {
        guard::set_disabled_for_tests(true);
        GuardOff
    }
}

impl Drop for GuardOff {
    fn drop(&mut self) {
        guard::set_disabled_for_tests(false);
    }
}

#[test]
fn hostile_sql_is_refused_by_the_guard_and_leaks_nothing() {
    let s = scene();
    for sql in HOSTILE {
        let sql = fill(sql, &s);
        attempt(&s, &sql);
    }
    assert_still_contained(&s);
}

#[test]
fn hostile_sql_with_the_guard_off_is_stopped_by_duckdb_itself() {
    let s = scene();
    let _off = GuardOff::new();
    let mut refused_by_engine = 0;
    for sql in HOSTILE {
        let sql = fill(sql, &s);
        // With the guard off nothing friendly stands in front: the statement reaches DuckDB.
        assert!(s.db.check(&sql).is_ok(), "{sql}");
        if s.db.run(&QueryRequest::local(&sql)).is_err() {
            refused_by_engine += 1;
        }
        attempt(&s, &sql);
    }
    assert!(refused_by_engine > HOSTILE.len() / 2, "{refused_by_engine}");
    // The engine's own words, for the main classes.
    let err = |sql: &str| {
        s.db.run(&QueryRequest::local(fill(sql, &s)))
            .unwrap_err()
            .to_string()
    };
    for sql in [
        r#"SELECT * FROM "{P}/canary"."csv""#,
        "SELECT * FROM read_text('{D}/motherduck-token')",
        "SELECT * FROM '{I}/link.csv'",
        "ATTACH '{P}/canary.duckdb' AS c",
        "COPY (SELECT 1 AS x) TO '{P}/written.csv'",
    ] {
        let e = err(sql);
        assert!(
            e.contains("disabled by configuration") || e.contains("Permission Error"),
            "{sql}: {e}"
        );
    }
    for sql in [
        "SET enable_external_access = true",
        "SET lock_configuration = false",
    ] {
        let e = err(sql);
        assert!(e.contains("locked"), "{sql}: {e}");
    }
    assert!(
        err("LOAD httpfs").contains("disabled"),
        "{}",
        err("LOAD httpfs")
    );
    assert_still_contained(&s);
}

#[test]
fn stored_events_carry_no_file_contents() {
    // The core gets the scene's database (one instance per file), its event log included.
    let Scene {
        _data,
        _outside,
        data,
        outside,
        db,
    } = scene();
    let imports = db.imports_dir().to_path_buf();
    let events = crate::flags::events::EventLog::on(db.dedicated_connection().unwrap()).unwrap();
    let core = crate::Core::new(
        None,
        crate::flags::Flags::open(&crate::flags::FlagSource::Embedded).unwrap(),
        events,
        db,
    )
    .unwrap();
    let profile = core.profile();
    for guard_off in [false, true] {
        let _off = guard_off.then(GuardOff::new);
        for sql in HOSTILE
            .iter()
            .map(|q| fill_paths(q, &outside, &data, &imports))
        {
            let done = core
                .ask_headless(&crate::ai::questions::HeadlessAsk {
                    question: "what is the secret?",
                    profile: Some(&profile),
                    choice: None,
                    reference_sql: Some(&sql),
                    source: crate::ai::questions::Source::Traffic,
                })
                .unwrap()
                .completed;
            assert_clean(
                &sql,
                "query-completed",
                &serde_json::to_string(&done).unwrap(),
            );
        }
    }
    let stored = core.events.recent(10_000).unwrap();
    assert!(stored.len() >= 2 * HOSTILE.len(), "{}", stored.len());
    for event in stored {
        assert_clean("events", "the event log", &event.data.to_string());
    }
}

#[test]
fn public_errors_are_short_and_unquoted() {
    let long = DataError::Invalid(format!(
        "Conversion Error: Could not convert string '{FILE_CANARY} and more' to INT32\nLINE 1: SELECT {TOKEN_CANARY}"
    ));
    let text = public_error(&long);
    assert_clean("", "public_error", &text);
    assert!(
        text.contains("Could not convert string '…' to INT32"),
        "{text}"
    );
    let names = DataError::Invalid(
        "Binder Error: Referenced column \"PULocationId\" not found".to_string(),
    );
    assert!(public_error(&names).contains("\"PULocationId\""));
    let huge = DataError::Invalid("x".repeat(5000));
    assert_eq!(public_error(&huge).chars().count(), PUBLIC_ERROR_MAX_CHARS);
}

#[test]
fn a_billion_rows_with_a_small_cap_stream_and_stop() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::in_memory(dir.path()).unwrap();
    let started = std::time::Instant::now();
    let r = db
        .run(&QueryRequest {
            max_rows: Some(5),
            ..QueryRequest::local("SELECT * FROM range(1e9::BIGINT)")
        })
        .unwrap();
    assert_eq!(r.rows_shown, 5);
    assert!(r.more_rows);
    assert!(
        r.summary().starts_with("showing 5 of more than"),
        "{}",
        r.summary()
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    // Limits from a request are clamped.
    let limits = RunLimits::for_request(&QueryRequest {
        max_rows: Some(u64::MAX),
        timeout_ms: Some(u64::MAX),
        ..QueryRequest::local("SELECT 1")
    });
    assert_eq!(limits.max_rows, runner::MAX_ROWS_LIMIT);
    assert_eq!(limits.timeout, runner::MAX_TIMEOUT);
}

const FRAGMENTS: &[&str] = &[
    "SELECT * FROM ",
    "FROM ",
    "read_csv(",
    "read_text(",
    "read_blob(",
    "glob(",
    "'",
    "\"",
    "{P}/canary",
    "{D}/motherduck-token",
    "{I}/link.csv",
    "{I}/outlink/",
    "{R}/canary",
    "*",
    ".",
    "csv",
    "json",
    "parquet",
    ")",
    ";",
    " ",
    ",",
    "ATTACH ",
    "COPY ",
    "SET ",
    "LOAD ",
    "DESCRIBE ",
    "SUMMARIZE ",
    "LATERAL ",
    "UNION ALL ",
    "error(",
    "CAST(",
    " AS INT)",
    "content",
    "/*",
    "*/",
    "--",
    "\n",
    "..",
    "/",
    "x",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn fuzzed_sql_never_panics_or_leaks(
        picks in proptest::collection::vec(0..FRAGMENTS.len(), 1..14),
        guard_off in any::<bool>(),
    ) {
        thread_local! {
            static SCENE: Scene = scene();
        }
        SCENE.with(|s| {
            let sql: String = picks.iter().map(|&i| fill(FRAGMENTS[i], s)).collect();
            let _off = guard_off.then(GuardOff::new);
            let result = s.db.run(&QueryRequest::local(&sql));
            match &result {
                Ok(r) => assert_clean(&sql, "the answer", &serde_json::to_string(r).unwrap()),
                Err(e) => {
                    assert_clean(&sql, "the error", &format!("{e} {e:?}"));
                    assert_clean(&sql, "the public error", &public_error(e));
                }
            }
        });
    }
}
