//! Saved tables (flag `data-materialization`, enforced by the core, not only the UI): "save as
//! table" writes a checked read-only result into `my_db` — a schema of the local database, or
//! on MotherDuck the person's own `my_db` database — and nowhere else. Names are plain
//! identifiers; an existing table is replaced only when the request says so (the UI asks first).

use datagata_ipc::data::{QueryTarget, SaveTableOutcome, SavedTable};

use super::{DataError, Database, ReadOnlySql, RunLimits, quote_ident, runner::with_timeout};

/// A valid saved-table name: letters, digits and `_`, not starting with a digit, ≤ 63 chars.
pub fn validate_name(name: &str) -> Result<&str, DataError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(name)
    } else {
        Err(DataError::Invalid(format!(
            "{name:?} is not a table name: use letters, digits and _, start with a letter or _, at most 63 characters"
        )))
    }
}

/// Where `my_db` is for a target: (database filter in `duckdb_tables()`, schema, SQL prefix).
fn location(target: QueryTarget) -> (&'static str, &'static str, &'static str) {
    match target {
        QueryTarget::Local => ("database_name = current_database()", "my_db", "my_db"),
        QueryTarget::MotherDuck => ("database_name = 'my_db'", "main", "my_db.main"),
    }
}

impl Database {
    pub fn saved_tables(&self, target: QueryTarget) -> Result<Vec<SavedTable>, DataError> {
        let conn = self.conn_on(target)?;
        let (database, schema, prefix) = location(target);
        let mut stmt = conn.prepare(&format!(
            "SELECT table_name, column_count FROM duckdb_tables()
             WHERE {database} AND schema_name = ? ORDER BY table_name"
        ))?;
        let names: Vec<(String, i64)> = stmt
            .query_map([schema], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        names
            .into_iter()
            .map(|(name, columns)| {
                let qualified_name = format!("{prefix}.{}", quote_ident(&name));
                let rows: i64 =
                    conn.query_row(&format!("SELECT count(*) FROM {qualified_name}"), [], |r| {
                        r.get(0)
                    })?;
                Ok(SavedTable {
                    qualified_name: format!("my_db.{name}"),
                    name,
                    rows: rows as u64,
                    columns: columns as u64,
                })
            })
            .collect()
    }

    /// Saves the full answer of `sql` as `my_db.<name>`.
    pub fn save_table(
        &self,
        name: &str,
        sql: &ReadOnlySql,
        target: QueryTarget,
        overwrite: bool,
        limits: RunLimits,
    ) -> Result<SaveTableOutcome, DataError> {
        let name = validate_name(name)?;
        let exists = self
            .saved_tables(target)?
            .iter()
            .any(|t| t.name.eq_ignore_ascii_case(name));
        if exists && !overwrite {
            return Ok(SaveTableOutcome::AlreadyExists {
                name: name.to_string(),
            });
        }
        let (_, _, prefix) = location(target);
        let conn = self.conn_on(target)?;
        let create = format!(
            "CREATE OR REPLACE TABLE {prefix}.{} AS FROM {}",
            quote_ident(name),
            sql.as_subquery()
        );
        with_timeout(&conn, limits.timeout, |conn| conn.execute_batch(&create))?;
        drop(conn);
        Ok(SaveTableOutcome::Saved {
            tables: self.saved_tables(target)?,
        })
    }

    pub fn drop_table(
        &self,
        name: &str,
        target: QueryTarget,
    ) -> Result<Vec<SavedTable>, DataError> {
        let name = validate_name(name)?;
        if !self
            .saved_tables(target)?
            .iter()
            .any(|t| t.name.eq_ignore_ascii_case(name))
        {
            return Err(DataError::Invalid(format!(
                "there is no saved table {name}"
            )));
        }
        let (_, _, prefix) = location(target);
        self.conn_on(target)?
            .execute_batch(&format!("DROP TABLE {prefix}.{}", quote_ident(name)))?;
        self.saved_tables(target)
    }
}
