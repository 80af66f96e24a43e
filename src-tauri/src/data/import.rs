//! Imports TLC yellow-trip files the person already has (Parquet or CSV, as published by the
//! NYC Taxi & Limousine Commission) into `taxi`, replacing it or adding to it. Columns are matched
//! by name, case-insensitively (TLC spells `Airport_fee` differently across years); a column a
//! file lacks becomes NULL; a file without pickup times is refused as not a trip file.
//!
//! DuckDB reads only the imports folder (see [`super`]): [`stage`] first copies each chosen file
//! there (trusted Rust code, symlinks resolved), and DuckDB reads the copy. A copy, not a hard
//! link: SQL may write inside that folder, and must never reach the person's own file.

use std::path::{Path, PathBuf};

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

/// A file chosen for import and its copy inside the imports folder.
pub struct Staged {
    pub original: PathBuf,
    pub inside: PathBuf,
    /// Whether [`stage`] made the copy (so a failed import removes it).
    made: bool,
}

/// Copies each of `paths` into `imports` (unless it is already there) for DuckDB to read.
pub fn stage(imports: &Path, paths: &[&Path]) -> Result<Vec<Staged>, DataError> {
    let mut staged: Vec<Staged> = Vec::new();
    for path in paths {
        let fail = |why: String| DataError::Import {
            path: path.display().to_string(),
            why,
        };
        let result = (|| {
            if !path.is_file() {
                return Err(fail("does not exist or is not a file".to_string()));
            }
            reader(path).map_err(&fail)?;
            let real = path.canonicalize().map_err(|e| fail(e.to_string()))?;
            if real.starts_with(imports) {
                return Ok(Staged {
                    original: path.to_path_buf(),
                    inside: real,
                    made: false,
                });
            }
            let name = real
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut inside = imports.join(&name);
            let mut n = 2;
            while inside.exists() {
                inside = imports.join(format!("{n}-{name}"));
                n += 1;
            }
            std::fs::copy(&real, &inside).map_err(|e| {
                let _ = std::fs::remove_file(&inside);
                fail(format!("copying it into {}: {e}", imports.display()))
            })?;
            Ok(Staged {
                original: path.to_path_buf(),
                inside,
                made: true,
            })
        })();
        match result {
            Ok(s) => staged.push(s),
            Err(e) => {
                for s in staged.iter().filter(|s| s.made) {
                    let _ = std::fs::remove_file(&s.inside);
                }
                return Err(e);
            }
        }
    }
    Ok(staged)
}

/// After an import of staged files: on failure the copies made are removed; names in the
/// answer (and errors) are the files the person chose.
pub fn finish(
    staged: &[Staged],
    result: Result<Vec<ImportedFile>, DataError>,
) -> Result<Vec<ImportedFile>, DataError> {
    let original = |inside: &str| {
        staged
            .iter()
            .find(|s| s.inside.display().to_string() == inside)
            .map(|s| s.original.display().to_string())
            .unwrap_or_else(|| inside.to_string())
    };
    match result {
        Ok(done) => Ok(done
            .into_iter()
            .map(|f| ImportedFile {
                path: original(&f.path),
                rows: f.rows,
            })
            .collect()),
        Err(e) => {
            for s in staged.iter().filter(|s| s.made) {
                let _ = std::fs::remove_file(&s.inside);
            }
            Err(match e {
                DataError::Import { path, why } => DataError::Import {
                    path: original(&path),
                    why,
                },
                e => e,
            })
        }
    }
}

/// Imports `paths` (files DuckDB may read: inside the imports folder) in one transaction: all
/// files land, or none do.
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
