//! Imports TLC yellow-trip files the person already has (Parquet or CSV, as published by the
//! NYC Taxi & Limousine Commission) into `taxi`, replacing it or adding to it. Columns are matched
//! by name, case-insensitively (TLC spells `Airport_fee` differently across years); a column a
//! file lacks becomes NULL; a file without pickup times is refused as not a trip file.

use std::path::Path;

use datagata_ipc::data::{ImportMode, ImportedFile};

use super::{DataError, quote_ident, quote_literal, read_origin, write_origin};

/// `taxi`'s columns in TLC's order, with their types.
pub const TAXI_COLUMNS: &[(&str, &str)] = &[
    ("VendorID", "INTEGER"),
    ("tpep_pickup_datetime", "TIMESTAMP"),
    ("tpep_dropoff_datetime", "TIMESTAMP"),
    ("passenger_count", "BIGINT"),
    ("trip_distance", "DOUBLE"),
    ("RatecodeID", "BIGINT"),
    ("store_and_fwd_flag", "VARCHAR"),
    ("PULocationID", "INTEGER"),
    ("DOLocationID", "INTEGER"),
    ("payment_type", "BIGINT"),
    ("fare_amount", "DOUBLE"),
    ("extra", "DOUBLE"),
    ("mta_tax", "DOUBLE"),
    ("tip_amount", "DOUBLE"),
    ("tolls_amount", "DOUBLE"),
    ("improvement_surcharge", "DOUBLE"),
    ("total_amount", "DOUBLE"),
    ("congestion_surcharge", "DOUBLE"),
    ("Airport_fee", "DOUBLE"),
];

fn reader(path: &Path) -> Result<String, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let literal = quote_literal(&path.display().to_string());
    if name.ends_with(".parquet") {
        Ok(format!("read_parquet({literal})"))
    } else if name.ends_with(".csv") || name.ends_with(".csv.gz") {
        Ok(format!("read_csv({literal})"))
    } else {
        Err("is neither a .parquet nor a .csv file".to_string())
    }
}

/// The SELECT that reads one file in `taxi`'s shape.
fn select_for(conn: &duckdb::Connection, path: &Path) -> Result<String, String> {
    if !path.is_file() {
        return Err("does not exist or is not a file".to_string());
    }
    let reader = reader(path)?;
    let mut stmt = conn
        .prepare(&format!("DESCRIBE SELECT * FROM {reader}"))
        .map_err(|e| e.to_string())?;
    let present: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(|e| e.to_string())?
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let find = |name: &str| present.iter().find(|p| p.eq_ignore_ascii_case(name));
    if find("tpep_pickup_datetime").is_none() {
        return Err(format!(
            "does not look like a TLC yellow-trip file: it has no tpep_pickup_datetime column (columns: {})",
            present.join(", ")
        ));
    }
    let list: Vec<String> = TAXI_COLUMNS
        .iter()
        .map(|(name, ty)| match find(name) {
            Some(found) => format!(
                "TRY_CAST({} AS {ty}) AS {}",
                quote_ident(found),
                quote_ident(name)
            ),
            None => format!("NULL::{ty} AS {}", quote_ident(name)),
        })
        .collect();
    Ok(format!("SELECT {} FROM {reader}", list.join(", ")))
}

/// Imports `paths` in one transaction: all files land, or none do.
pub fn import(
    conn: &duckdb::Connection,
    paths: &[&Path],
    mode: ImportMode,
    mut progress: impl FnMut(&Path, usize),
) -> Result<Vec<ImportedFile>, DataError> {
    if paths.is_empty() {
        return Err(DataError::Invalid("no files to import".into()));
    }
    let selects: Vec<String> = paths
        .iter()
        .map(|p| {
            select_for(conn, p).map_err(|why| DataError::Import {
                path: p.display().to_string(),
                why,
            })
        })
        .collect::<Result<_, _>>()?;
    let columns: Vec<String> = TAXI_COLUMNS
        .iter()
        .map(|(n, t)| format!("{} {t}", quote_ident(n)))
        .collect();
    conn.execute_batch("BEGIN TRANSACTION")?;
    let result = (|| -> Result<Vec<ImportedFile>, DataError> {
        match mode {
            ImportMode::Replace => conn.execute_batch(&format!(
                "CREATE OR REPLACE TABLE taxi ({})",
                columns.join(", ")
            ))?,
            ImportMode::Append => conn.execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS taxi ({})",
                columns.join(", ")
            ))?,
        }
        let mut done = Vec::new();
        for (i, (path, select)) in paths.iter().zip(&selects).enumerate() {
            progress(path, i);
            let rows = conn
                .execute(&format!("INSERT INTO taxi BY NAME {select}"), [])
                .map_err(|e| DataError::Import {
                    path: path.display().to_string(),
                    why: e.to_string(),
                })?;
            done.push(ImportedFile {
                path: path.display().to_string(),
                rows: rows as u64,
            });
        }
        let mut origin = read_origin(conn)?;
        if mode == ImportMode::Replace {
            origin.sample = None;
            origin.imported.clear();
        }
        origin.imported.extend(done.iter().cloned());
        write_origin(conn, &origin)?;
        Ok(done)
    })();
    match result {
        Ok(done) => {
            conn.execute_batch("COMMIT")?;
            Ok(done)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}
