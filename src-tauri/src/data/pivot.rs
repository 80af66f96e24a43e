//! Pivot tables (flag `pivot-table-access`): one row per distinct `rows` tuple, one column per
//! distinct value of `column`, cells `aggregate(measure)` — computed by DuckDB's `PIVOT`, over
//! the current result's statement or a table. The values of `column` are read first and listed
//! in the statement (`ON col IN (…)`), which bounds the width and keeps it a single read-only
//! statement that passes the guard like any question.

use datagata_ipc::data::{PivotRequest, PivotSource, QueryResult};

use super::{DataError, Database, RunLimits, quote_ident, quote_literal, runner::with_timeout};

/// More distinct values than this in the pivot column make an unreadable grid: refused.
pub const MAX_PIVOT_COLUMNS: usize = 100;

impl Database {
    pub fn pivot(
        &self,
        request: &PivotRequest,
        limits: RunLimits,
    ) -> Result<QueryResult, DataError> {
        let sql = self.pivot_sql(request, limits)?;
        let checked = self.check(&sql)?;
        self.run_checked(&checked, request.target, limits)
    }

    /// The PIVOT statement for `request`, after checking its source and columns.
    pub fn pivot_sql(
        &self,
        request: &PivotRequest,
        limits: RunLimits,
    ) -> Result<String, DataError> {
        let source = match &request.source {
            PivotSource::Query { sql } => self.check(sql)?.as_subquery(),
            PivotSource::Table { name } => {
                let tables = self.schema(request.target)?;
                let table = tables
                    .iter()
                    .find(|t| t.qualified_name == *name || t.name == *name)
                    .ok_or_else(|| DataError::Invalid(format!("there is no table {name}")))?;
                format!("(FROM {})", table.qualified_name)
            }
        };
        let conn = self.conn_on(request.target)?;
        let columns: Vec<String> = with_timeout(&conn, limits.timeout, |conn| {
            let mut stmt = conn.prepare(&format!("DESCRIBE SELECT * FROM {source}"))?;
            let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
            names.collect()
        })?;
        let known = |name: &str| -> Result<String, DataError> {
            if columns.iter().any(|c| c == name) {
                Ok(quote_ident(name))
            } else {
                Err(DataError::Invalid(format!(
                    "there is no column {name:?} to pivot on; the source has {}",
                    columns.join(", ")
                )))
            }
        };
        let on = known(&request.column)?;
        let measure = known(&request.measure)?;
        let rows = request
            .rows
            .iter()
            .map(|r| known(r))
            .collect::<Result<Vec<_>, _>>()?;
        if request.rows.contains(&request.column) {
            return Err(DataError::Invalid(format!(
                "{} cannot be both a row and the pivot column",
                request.column
            )));
        }
        let values: Vec<String> = with_timeout(&conn, limits.timeout, |conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT CAST(v AS VARCHAR) FROM (SELECT DISTINCT {on} AS v FROM {source} WHERE {on} IS NOT NULL)
                 ORDER BY v LIMIT {}",
                MAX_PIVOT_COLUMNS + 1
            ))?;
            let values = stmt.query_map([], |r| r.get::<_, String>(0))?;
            values.collect()
        })?;
        if values.is_empty() {
            return Err(DataError::Invalid(format!(
                "{} has no values to make columns of",
                request.column
            )));
        }
        if values.len() > MAX_PIVOT_COLUMNS {
            return Err(DataError::Invalid(format!(
                "{} has more than {MAX_PIVOT_COLUMNS} distinct values; pick a column with fewer",
                request.column
            )));
        }
        let listed: Vec<String> = values.iter().map(|v| quote_literal(v)).collect();
        // Only the named columns go in: PIVOT groups by every column it is not told about, so
        // no rows means one total row rather than one per distinct source row.
        let mut keep = rows.clone();
        keep.push(on.clone());
        if measure != on {
            keep.push(measure.clone());
        }
        let mut sql = format!(
            "PIVOT (SELECT {} FROM {source}) ON {on} IN ({}) USING {}({measure})",
            keep.join(", "),
            listed.join(", "),
            request.aggregate.as_str()
        );
        if !rows.is_empty() {
            sql.push_str(&format!(
                " GROUP BY {} ORDER BY {}",
                rows.join(", "),
                rows.join(", ")
            ));
        }
        Ok(sql)
    }
}
