//! Integration tests on real DuckDB files: the sample, imports, the read-only guard, the runner's
//! timeout and row cap, pivots, `my_db`, and MotherDuck's failure path with the real extension.

use std::{path::Path, time::Duration};

use datagata_ipc::data::{
    Aggregate, ColumnKind, ColumnValues, ExportFormat, ImportMode, MotherDuckState, PivotRequest,
    PivotSource, QueryRequest, QueryTarget, SaveTableOutcome,
};

use super::*;

fn db_in(dir: &Path) -> Database {
    Database::open(&dir.join("datagata.duckdb")).unwrap()
}

fn with_sample(dir: &Path, rows: u64, seed: u64) -> Database {
    let db = db_in(dir);
    sample::generate(&db.conn().unwrap(), rows, seed).unwrap();
    db
}

fn scalar(db: &Database, sql: &str) -> String {
    let r = db.run(&QueryRequest::local(sql)).unwrap();
    r.columns[0].values.display(0)
}

#[test]
fn the_same_seed_gives_the_same_sample_and_another_seed_does_not() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let first = with_sample(a.path(), 20_000, 7)
        .origin()
        .unwrap()
        .sample
        .unwrap();
    let again = with_sample(b.path(), 20_000, 7)
        .origin()
        .unwrap()
        .sample
        .unwrap();
    let other = with_sample(c.path(), 20_000, 8)
        .origin()
        .unwrap()
        .sample
        .unwrap();
    assert_eq!(first.checksum, again.checksum);
    assert_ne!(first.checksum, other.checksum);
    assert_eq!(first.rows, 20_000);
    // Reopening the file keeps rows and origin.
    let db = db_in(b.path());
    assert_eq!(db.status().unwrap().taxi_rows, 20_000);
    assert_eq!(
        sample::checksum(&db.conn().unwrap()).unwrap(),
        first.checksum
    );
}

#[test]
fn the_sample_has_the_shapes_of_real_trips() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_sample(dir.path(), 50_000, 42);
    // Evening peak over the small hours.
    let evening: i64 = scalar(
        &db,
        "SELECT count(*) FROM taxi WHERE hour(tpep_pickup_datetime) = 18",
    )
    .parse()
    .unwrap();
    let dawn: i64 = scalar(
        &db,
        "SELECT count(*) FROM taxi WHERE hour(tpep_pickup_datetime) = 4",
    )
    .parse()
    .unwrap();
    assert!(evening > 4 * dawn, "evening {evening} vs dawn {dawn}");
    // Fares follow distance.
    let corr: f64 = scalar(&db, "SELECT corr(trip_distance, fare_amount) FROM taxi")
        .parse()
        .unwrap();
    assert!(corr > 0.8, "{corr}");
    // Tips are recorded for cards only.
    assert_eq!(
        scalar(
            &db,
            "SELECT sum(tip_amount) FROM taxi WHERE payment_type = 2"
        ),
        "0"
    );
    let card_tip: f64 = scalar(
        &db,
        "SELECT avg(tip_amount) FROM taxi WHERE payment_type = 1",
    )
    .parse()
    .unwrap();
    assert!(card_tip > 1.0, "{card_tip}");
    // Airports: JFK trips are long and flat-rate.
    assert_eq!(
        scalar(
            &db,
            "SELECT min(fare_amount) FROM taxi WHERE RatecodeID = 2"
        ),
        "70"
    );
    let jfk_miles: f64 = scalar(
        &db,
        "SELECT avg(trip_distance) FROM taxi WHERE PULocationID = 132",
    )
    .parse()
    .unwrap();
    assert!(jfk_miles > 12.0, "{jfk_miles}");
    // Totals add up, and dropoffs follow pickups.
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM taxi WHERE abs(total_amount - (fare_amount + extra + mta_tax + tip_amount + tolls_amount + improvement_surcharge + congestion_surcharge + Airport_fee)) > 0.011 OR tpep_dropoff_datetime <= tpep_pickup_datetime"
        ),
        "0"
    );
    // "Busiest pickup borough at night" has an answer.
    let busiest = scalar(
        &db,
        "SELECT z.Borough FROM taxi t JOIN taxi_zones z ON t.PULocationID = z.LocationID
         WHERE hour(tpep_pickup_datetime) < 5 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    );
    assert_eq!(busiest, "Manhattan");
}

#[test]
fn a_parquet_file_replaces_or_extends_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_sample(dir.path(), 5_000, 1);
    // A TLC-like file: older spelling of airport_fee, no congestion column, extra columns.
    // (Written where DuckDB may write, then moved out: imports start from the person's folder.)
    let written = db.imports_dir().join("yellow_tripdata_2019-01.parquet");
    let file = dir.path().join("yellow_tripdata_2019-01.parquet");
    db.conn()
        .unwrap()
        .execute_batch(&format!(
            "COPY (SELECT * EXCLUDE (congestion_surcharge, Airport_fee), Airport_fee AS airport_fee, 'x' AS surprise
                   FROM taxi LIMIT 1234) TO {} (FORMAT parquet)",
            quote_literal(&written.display().to_string())
        ))
        .unwrap();
    std::fs::rename(&written, &file).unwrap();
    let done = db.import(&[&file], ImportMode::Replace, |_, _| {}).unwrap();
    assert_eq!(done[0].rows, 1234);
    assert_eq!(done[0].path, file.display().to_string());
    assert!(
        db.imports_dir()
            .join("yellow_tripdata_2019-01.parquet")
            .is_file(),
        "the copy DuckDB read is in the imports folder"
    );
    let status = db.status().unwrap();
    assert_eq!(status.taxi_rows, 1234);
    assert!(status.origin.sample.is_none());
    assert!(
        status.origin.describe().starts_with("Real trips"),
        "{}",
        status.origin.describe()
    );
    assert_eq!(
        scalar(&db, "SELECT count(congestion_surcharge) FROM taxi"),
        "0"
    );
    assert_ne!(scalar(&db, "SELECT count(Airport_fee) FROM taxi"), "0");

    db.import(&[&file], ImportMode::Append, |_, _| {}).unwrap();
    assert_eq!(db.status().unwrap().taxi_rows, 2468);
    assert_eq!(db.origin().unwrap().imported.len(), 2);
}

#[test]
fn a_file_that_is_not_a_trip_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_sample(dir.path(), 1_000, 1);
    let good = db.imports_dir().join("good.parquet");
    db.conn()
        .unwrap()
        .execute_batch(&format!(
            "COPY (FROM taxi LIMIT 10) TO {} (FORMAT parquet)",
            quote_literal(&good.display().to_string())
        ))
        .unwrap();
    let bad = dir.path().join("zones.csv");
    std::fs::write(&bad, "LocationID,Borough\n1,EWR\n").unwrap();
    let missing = dir.path().join("nope.parquet");
    for files in [vec![good.as_path(), bad.as_path()], vec![missing.as_path()]] {
        let err = db
            .import(&files, ImportMode::Replace, |_, _| {})
            .unwrap_err();
        assert!(
            err.to_string().contains("zones.csv") || err.to_string().contains("nope.parquet"),
            "{err}"
        );
    }
    assert_eq!(db.status().unwrap().taxi_rows, 1_000);
    assert!(db.origin().unwrap().sample.is_some());
    assert!(
        !db.imports_dir().join("zones.csv").exists(),
        "a failed import leaves no copy behind"
    );
}

fn refused(db: &Database, sql: &str) -> Refusal {
    match db.check(sql) {
        Err(DataError::Refused(r)) => r,
        other => panic!("{sql:?} was not refused: {other:?}"),
    }
}

#[test]
fn only_read_only_statements_pass_the_guard() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_sample(dir.path(), 1_000, 1);
    for ok in [
        "SELECT count(*) FROM taxi",
        "  select 1;  ",
        "WITH t AS (SELECT 1 AS a) SELECT * FROM t",
        "DESCRIBE taxi",
        "SUMMARIZE taxi",
        "PIVOT taxi ON payment_type IN (1, 2) USING count(*) GROUP BY VendorID",
        "FROM taxi_zones LIMIT 3 -- trailing comment",
        "SELECT * FROM range(3)",
        "SELECT ';' AS semicolon",
    ] {
        db.check(ok)
            .unwrap_or_else(|e| panic!("{ok:?} refused: {e}"));
        db.run(&QueryRequest::local(ok))
            .unwrap_or_else(|e| panic!("{ok:?} failed: {e}"));
    }
    for sql in [
        "DROP TABLE taxi",
        "DELETE FROM taxi",
        "UPDATE taxi SET fare_amount = 0",
        "INSERT INTO taxi SELECT * FROM taxi",
        "CREATE TABLE x AS SELECT 1",
        "ATTACH '/tmp/other.duckdb' AS other",
        "COPY taxi TO '/tmp/stolen.csv'",
        "COPY (SELECT 1) TO '/tmp/x.parquet' (FORMAT parquet)",
        "INSTALL httpfs",
        "LOAD httpfs",
        "PRAGMA database_list",
        "SET threads = 1",
        "EXPLAIN SELECT 1",
        "CALL pragma_version()",
        "EXPORT DATABASE '/tmp/out'",
        "PIVOT taxi ON payment_type USING count(*)",
    ] {
        assert_eq!(refused(&db, sql), Refusal::NotReadOnly, "{sql}");
    }
    assert_eq!(refused(&db, "SELECT 1; SELECT 2"), Refusal::Several(2));
    assert_eq!(
        refused(&db, "SELECT 1; DROP TABLE taxi"),
        Refusal::NotReadOnly
    );
    assert_eq!(refused(&db, "  ;; "), Refusal::Empty);
    assert!(matches!(refused(&db, "SELEC 1"), Refusal::Syntax(_)));
    assert!(
        matches!(refused(&db, "SELECT * FROM query('DROP TABLE taxi')"), Refusal::TableFunction(f) if f == "query")
    );
    assert!(matches!(
        refused(&db, "SELECT * FROM glob('/etc/*')"),
        Refusal::TableFunction(_)
    ));
    assert!(matches!(
        refused(&db, "SELECT * FROM read_text('/etc/passwd')"),
        Refusal::TableFunction(_)
    ));
    assert!(matches!(
        refused(&db, "SELECT getenv('HOME')"),
        Refusal::Function(_)
    ));
    assert!(matches!(
        refused(&db, "SELECT current_setting('motherduck_token')"),
        Refusal::Function(_)
    ));
    assert!(matches!(
        refused(&db, "SELECT * FROM read_csv(concat('/etc/', 'passwd'))"),
        Refusal::PathNotLiteral { .. }
    ));
    assert_eq!(db.status().unwrap().taxi_rows, 1_000, "nothing ran");
}

#[test]
fn questions_read_files_only_inside_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_sample(dir.path(), 100, 1);
    let imports = db.imports_dir().to_path_buf();
    let inside = imports.join("mine.csv");
    std::fs::write(&inside, "a,b\n1,2\n").unwrap();
    let inside = inside.display().to_string();
    assert_eq!(
        scalar(&db, &format!("SELECT b FROM read_csv('{inside}')")),
        "2"
    );
    assert_eq!(scalar(&db, &format!("SELECT a FROM '{inside}'")), "1");
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.csv");
    std::fs::write(&secret, "x\n42\n").unwrap();
    std::os::unix::fs::symlink(&secret, imports.join("link.csv")).unwrap();
    let link = imports.join("link.csv").display().to_string();
    let secret = secret.display().to_string();
    for sql in [
        "SELECT * FROM read_csv('/etc/passwd')".to_string(),
        "SELECT * FROM '/etc/passwd'".to_string(),
        format!("SELECT * FROM read_csv('{secret}')"),
        format!("SELECT * FROM read_csv(['{inside}', '{secret}'])"),
        format!("SELECT * FROM read_csv('{link}')"),
        format!(
            "SELECT * FROM read_parquet('{}/../*.parquet')",
            imports.display()
        ),
        format!(
            "SELECT * FROM read_csv('{}')",
            dir.path().join(motherduck::TOKEN_FILE).display()
        ),
        "SELECT * FROM read_csv('mine.csv')".to_string(),
        "SELECT * FROM read_csv('~/.ssh/id_rsa')".to_string(),
        "SELECT * FROM read_parquet('https://example.com/x.parquet')".to_string(),
        "SELECT * FROM 'md:my_db'".to_string(),
    ] {
        assert!(matches!(refused(&db, &sql), Refusal::Path { .. }), "{sql}");
    }
}

#[test]
fn a_slow_query_is_interrupted_inside_duckdb() {
    let db = Database::in_memory(&std::env::temp_dir()).unwrap();
    let started = std::time::Instant::now();
    let err = db
        .run(&QueryRequest {
            timeout_ms: Some(300),
            ..QueryRequest::local("SELECT sum(hash(i)) FROM range(1000000000000) r(i)")
        })
        .unwrap_err();
    assert!(matches!(err, DataError::Timeout(_)), "{err}");
    assert!(err.to_string().contains("0.3 s"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // The pool's connections still work afterwards, one after another.
    for _ in 0..10 {
        assert_eq!(scalar(&db, "SELECT 41 + 1"), "42");
    }
}

const ENDLESS: &str = "SELECT sum(hash(i)) FROM range(1000000000000) r(i)";

#[test]
fn the_editors_run_is_stopped_inside_duckdb_within_a_second() {
    let db = std::sync::Arc::new(Database::in_memory(&std::env::temp_dir()).unwrap());
    // Nothing to stop yet.
    assert!(!db.stop_editor_run(None));
    let running = {
        let db = db.clone();
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let answer = db.run_in_editor(&QueryRequest::local(ENDLESS), 1);
            (answer, started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(400));
    // Another id is not the run under way.
    assert!(!db.stop_editor_run(Some(2)));
    let asked = std::time::Instant::now();
    assert!(db.stop_editor_run(Some(1)));
    let (answer, ran) = running.join().unwrap();
    let stopped_after = asked.elapsed();
    let err = answer.unwrap_err();
    assert!(
        matches!(err, DataError::Stopped(runner::StopCause::Asked)),
        "{err}"
    );
    assert_eq!(err.to_string(), "the query was stopped");
    assert!(ran >= Duration::from_millis(400), "{ran:?}");
    assert!(stopped_after < Duration::from_secs(1), "{stopped_after:?}");
    // Stopped means gone: nothing left to stop, and the pool's connections still answer.
    assert!(!db.stop_editor_run(None));
    for _ in 0..10 {
        assert_eq!(scalar(&db, "SELECT 41 + 1"), "42");
    }
}

#[test]
fn a_new_editor_run_stops_the_one_it_replaces() {
    let db = std::sync::Arc::new(Database::in_memory(&std::env::temp_dir()).unwrap());
    let first = {
        let db = db.clone();
        std::thread::spawn(move || db.run_in_editor(&QueryRequest::local(ENDLESS), 1))
    };
    std::thread::sleep(Duration::from_millis(400));
    let replaced_at = std::time::Instant::now();
    let second = db
        .run_in_editor(&QueryRequest::local("SELECT 6 * 7 AS answer"), 2)
        .unwrap();
    assert_eq!(second.columns[0].values.display(0), "42");
    let err = first.join().unwrap().unwrap_err();
    assert!(
        matches!(err, DataError::Stopped(runner::StopCause::Replaced)),
        "{err}"
    );
    assert!(
        replaced_at.elapsed() < Duration::from_secs(1),
        "{:?}",
        replaced_at.elapsed()
    );
    // A finished run is not stopped by anything that comes later.
    assert!(!db.stop_editor_run(Some(2)));
    let third = db
        .run_in_editor(&QueryRequest::local("SELECT 1 AS one"), 3)
        .unwrap();
    assert_eq!(third.rows_shown, 1);
}

#[test]
fn answers_are_typed_and_capped_with_the_total_counted() {
    let db = Database::in_memory(&std::env::temp_dir()).unwrap();
    let r = db
        .run(&QueryRequest {
            max_rows: Some(10),
            ..QueryRequest::local(
                "SELECT i, i / 2 AS half, i::DECIMAL(10,2) AS money, i % 2 = 0 AS even, 'n' || i AS name,
                        TIMESTAMP '2024-01-01 08:00:00' + to_seconds(i) AS at, sum(i) OVER () AS total, NULL AS nothing
                 FROM range(1000) r(i) ORDER BY i",
            )
        })
        .unwrap();
    assert_eq!((r.rows_shown, r.total_rows), (10, 1000));
    assert_eq!(r.summary(), "showing 10 of 1,000 rows");
    let kinds: Vec<ColumnKind> = r.columns.iter().map(|c| c.kind).collect();
    use ColumnKind::*;
    assert_eq!(
        kinds,
        [
            Integer, Float, Decimal, Boolean, Text, Timestamp, Integer, Integer
        ]
    );
    assert_eq!(
        r.column("i").unwrap().values,
        ColumnValues::Int((0..10).map(Some).collect())
    );
    assert_eq!(r.column("money").unwrap().values.display(3), "3");
    assert_eq!(
        r.column("at").unwrap().values.display(1),
        "2024-01-01 08:00:01"
    );
    assert_eq!(r.column("total").unwrap().values.display(0), "499500");
    assert_eq!(r.column("nothing").unwrap().values.display(0), "NULL");
    assert_eq!(r.column("i").unwrap().sql_type, "BIGINT");
}

#[test]
fn a_pivot_matches_the_hand_computed_table() {
    let db = Database::in_memory(&std::env::temp_dir()).unwrap();
    let source = "SELECT * FROM (VALUES ('a', 'x', 1), ('a', 'y', 2), ('b', 'x', 3), ('a', 'x', 4), ('b', NULL, 9)) t(r, c, m)";
    let request = |aggregate| PivotRequest {
        source: PivotSource::Query { sql: source.into() },
        target: QueryTarget::Local,
        rows: vec!["r".into()],
        column: "c".into(),
        measure: "m".into(),
        aggregate,
    };
    let sum = db
        .pivot(&request(Aggregate::Sum), RunLimits::default())
        .unwrap();
    let names: Vec<&str> = sum.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["r", "x", "y"]);
    let cells = |res: &datagata_ipc::data::QueryResult, col: &str| -> Vec<String> {
        (0..res.rows_shown as usize)
            .map(|i| res.column(col).unwrap().values.display(i))
            .collect()
    };
    assert_eq!(cells(&sum, "r"), ["a", "b"]);
    assert_eq!(cells(&sum, "x"), ["5", "3"]);
    assert_eq!(cells(&sum, "y"), ["2", "NULL"]);
    let count = db
        .pivot(&request(Aggregate::Count), RunLimits::default())
        .unwrap();
    assert_eq!(cells(&count, "x"), ["2", "1"]);
    let max = db
        .pivot(&request(Aggregate::Max), RunLimits::default())
        .unwrap();
    assert_eq!(cells(&max, "x"), ["4", "3"]);
    // No row columns: one row of totals.
    let mut totals = request(Aggregate::Sum);
    totals.rows.clear();
    let totals = db.pivot(&totals, RunLimits::default()).unwrap();
    assert_eq!(totals.rows_shown, 1);
    assert_eq!(cells(&totals, "x"), ["8"]);
    assert_eq!(cells(&totals, "y"), ["2"]);

    let mut bad = request(Aggregate::Sum);
    bad.measure = "m\"; DROP TABLE x; --".into();
    assert!(
        db.pivot(&bad, RunLimits::default())
            .unwrap_err()
            .to_string()
            .contains("no column")
    );
    let mut hostile = request(Aggregate::Sum);
    hostile.source = PivotSource::Query {
        sql: "DROP TABLE taxi_zones".into(),
    };
    assert!(matches!(
        db.pivot(&hostile, RunLimits::default()),
        Err(DataError::Refused(_))
    ));
}

#[test]
fn a_pivot_over_a_table_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_sample(dir.path(), 3_000, 3);
    let r = db
        .pivot(
            &PivotRequest {
                source: PivotSource::Table {
                    name: "taxi".into(),
                },
                target: QueryTarget::Local,
                rows: vec!["VendorID".into()],
                column: "payment_type".into(),
                measure: "tip_amount".into(),
                aggregate: Aggregate::Count,
            },
            RunLimits::default(),
        )
        .unwrap();
    assert_eq!(r.rows_shown, 2);
    let total: i64 = ["1", "2", "3", "4"]
        .iter()
        .filter_map(|c| r.column(c))
        .flat_map(|c| (0..2).map(|i| c.values.display(i).parse::<i64>().unwrap_or(0)))
        .sum();
    assert_eq!(total, 3_000);
}

#[test]
fn saved_tables_land_in_my_db_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_sample(dir.path(), 1_000, 1);
    let sql = db
        .check("SELECT VendorID, count(*) AS trips FROM taxi GROUP BY 1")
        .unwrap();
    let limits = RunLimits::default();
    let SaveTableOutcome::Saved { tables } = db
        .save_table("by_vendor", &sql, QueryTarget::Local, false, limits)
        .unwrap()
    else {
        panic!("not saved");
    };
    assert_eq!(tables.len(), 1);
    assert_eq!(
        (
            tables[0].qualified_name.as_str(),
            tables[0].rows,
            tables[0].columns
        ),
        ("my_db.by_vendor", 2, 2)
    );
    assert_eq!(
        scalar(&db, "SELECT sum(trips) FROM my_db.by_vendor"),
        "1000"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT string_agg(DISTINCT schema_name) FROM duckdb_tables() WHERE table_name = 'by_vendor'"
        ),
        "my_db"
    );
    // Same name again: asks first, then replaces when told to.
    let one = db.check("SELECT 1 AS n").unwrap();
    assert_eq!(
        db.save_table("BY_VENDOR", &one, QueryTarget::Local, false, limits)
            .unwrap(),
        SaveTableOutcome::AlreadyExists {
            name: "BY_VENDOR".into()
        }
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM my_db.by_vendor"), "2");
    db.save_table("by_vendor", &one, QueryTarget::Local, true, limits)
        .unwrap();
    assert_eq!(scalar(&db, "SELECT count(*) FROM my_db.by_vendor"), "1");
    for bad in [
        "main.taxi",
        "taxi; DROP TABLE taxi",
        "1st",
        "",
        "naïve",
        &"x".repeat(64),
    ] {
        assert!(
            db.save_table(bad, &one, QueryTarget::Local, true, limits)
                .is_err(),
            "{bad:?}"
        );
    }
    assert_eq!(db.status().unwrap().taxi_rows, 1_000);
    assert_eq!(
        db.drop_table("by_vendor", QueryTarget::Local).unwrap(),
        vec![]
    );
    assert!(db.drop_table("by_vendor", QueryTarget::Local).is_err());
    assert!(
        db.drop_table("taxi", QueryTarget::Local).is_err(),
        "only my_db tables can be dropped"
    );
    assert_eq!(db.status().unwrap().taxi_rows, 1_000);
}

#[test]
fn results_export_to_csv_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_sample(dir.path(), 2_000, 1);
    let sql = db
        .check("SELECT PULocationID, count(*) AS n FROM taxi GROUP BY 1")
        .unwrap();
    let expected = db
        .run_checked(&sql, QueryTarget::Local, RunLimits::default())
        .unwrap()
        .total_rows;
    for (format, name) in [
        (ExportFormat::Csv, "out.csv"),
        (ExportFormat::Parquet, "out.parquet"),
    ] {
        // Anywhere the person types; read back where questions may read.
        let path = dir.path().join(name);
        let done = db
            .export(
                &sql,
                QueryTarget::Local,
                format,
                &path,
                Duration::from_secs(30),
            )
            .unwrap();
        assert_eq!(done.rows, expected);
        let back = db.imports_dir().join(name);
        std::fs::copy(&path, &back).unwrap();
        let p = back.display().to_string();
        assert_eq!(scalar(&db, &format!("SELECT sum(n) FROM '{p}'")), "2000");
    }
    let partial = db.imports_dir().join(EXPORT_PARTIAL_DIR);
    assert_eq!(
        std::fs::read_dir(&partial).unwrap().count(),
        0,
        "nothing is left half-written"
    );
    // A failing export leaves nothing at its path.
    let failing = db
        .check("SELECT error('stop') AS x FROM range(10)")
        .unwrap();
    let nothing = dir.path().join("failed.csv");
    db.export(
        &failing,
        QueryTarget::Local,
        ExportFormat::Csv,
        &nothing,
        Duration::from_secs(5),
    )
    .unwrap_err();
    assert!(!nothing.exists());
    assert_eq!(std::fs::read_dir(&partial).unwrap().count(), 0);
    let again = db
        .export(
            &sql,
            QueryTarget::Local,
            ExportFormat::Csv,
            &dir.path().join("out.csv"),
            Duration::from_secs(5),
        )
        .unwrap_err();
    assert!(again.to_string().contains("already exists"), "{again}");
    let err = db
        .export(
            &sql,
            QueryTarget::Local,
            ExportFormat::Csv,
            Path::new("relative.csv"),
            Duration::from_secs(5),
        )
        .unwrap_err();
    assert!(err.to_string().contains("full file path"), "{err}");
}

/// The real MotherDuck extension (installed by scripts/setup from PyPI) cannot reach MotherDuck
/// from here: the status must say so in words, and the local database must keep answering.
#[test]
fn motherduck_without_a_network_says_what_failed_and_local_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_sample(dir.path(), 100, 1);
    let status = db.motherduck_status();
    assert_eq!(status.state, MotherDuckState::NotConfigured);
    motherduck::save_token(dir.path(), "not-a-real-token\n").unwrap();
    let saved = dir.path().join(motherduck::TOKEN_FILE);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (source, token) = motherduck::token(dir.path()).unwrap();
    if std::env::var_os(motherduck::TOKEN_ENV).is_none() {
        assert_eq!((source, token.as_str()), ("settings", "not-a-real-token"));
    }
    let status = db.connect_motherduck(&token);
    assert!(
        !status.message.contains("not-a-real-token"),
        "{}",
        status.message
    );
    assert_eq!(status.state, MotherDuckState::Failed);
    assert!(
        status.message.starts_with("Could not reach MotherDuck")
            || status.message.starts_with("MotherDuck refused the token"),
        "the real extension should fail on the network (or the token) here; run scripts/setup to install it. Got: {}",
        status.message
    );
    assert!(
        status
            .message
            .contains("keeps answering from the local database")
    );
    let err = db
        .run(&QueryRequest {
            target: QueryTarget::MotherDuck,
            ..QueryRequest::local("SELECT count(*) FROM taxi")
        })
        .unwrap_err();
    assert!(matches!(err, DataError::MotherDuckOffline(_)), "{err}");
    assert_eq!(scalar(&db, "SELECT count(*) FROM taxi"), "100");

    // Disconnect forgets the stored token and the failed state.
    assert_eq!(db.disconnect_motherduck().unwrap(), ["settings"]);
    assert!(!saved.exists());
    if std::env::var_os(motherduck::TOKEN_ENV).is_none() {
        let status = db.motherduck_status();
        assert_eq!(status.state, MotherDuckState::NotConfigured);
        assert_eq!(status.token_source, None);
        assert!(status.message.contains("not set up"), "{}", status.message);
    }
}

/// Disconnect without a stored token removes nothing and leaves MotherDuck unconfigured.
#[test]
fn forgetting_the_token_removes_only_what_the_app_stored() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("keep-me");
    std::fs::write(&other, "x").unwrap();
    assert!(motherduck::forget_token(dir.path()).unwrap().is_empty());
    motherduck::save_token(dir.path(), "tok").unwrap();
    assert_eq!(motherduck::forget_token(dir.path()).unwrap(), ["settings"]);
    assert!(motherduck::forget_token(dir.path()).unwrap().is_empty());
    assert!(other.exists());
    if std::env::var_os(motherduck::TOKEN_ENV).is_none() {
        assert_eq!(motherduck::token(dir.path()), None);
    }
}

#[test]
fn a_database_for_concurrent_questions_shares_out_duckdbs_threads() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(threads_for(0), None);
    assert_eq!(threads_for(1), None);
    assert_eq!(threads_for(cores), Some(1));
    assert_eq!(threads_for(cores * 4), Some(1));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.duckdb");
    let threads = |db: &Database| -> i64 {
        db.conn()
            .unwrap()
            .query_row("SELECT current_setting('threads')::BIGINT", [], |r| {
                r.get(0)
            })
            .unwrap()
    };
    let all = threads(&Database::open(&path).unwrap());
    assert_eq!(all, cores as i64, "one at a time: every core");
    let shared = Database::open_for(&path, Duration::ZERO, cores.max(2)).unwrap();
    assert_eq!(threads(&shared), 1);
}
