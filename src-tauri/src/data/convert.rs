//! Arrow record batches from DuckDB → the typed columns the UI shows ([`Column`]).

use datagata_ipc::data::{Column, ColumnKind, ColumnValues};
use duckdb::arrow::{
    array::{Array, ArrayRef, AsArray},
    datatypes::{DataType, Float64Type, Int64Type, Schema},
    record_batch::RecordBatch,
    util::display::{ArrayFormatter, FormatOptions},
};

/// Collects at most `max_rows` rows from record batches as they stream in, counting the rest.
pub struct Collector {
    columns: Vec<Column>,
    max_rows: u64,
    shown: u64,
    total: u64,
    more: bool,
}

impl Collector {
    pub fn new(schema: &Schema, max_rows: u64) -> Self {
        let columns = schema
            .fields()
            .iter()
            .map(|f| {
                let (kind, values) = empty_for(f.data_type());
                Column {
                    name: f.name().clone(),
                    sql_type: sql_type(f.data_type()),
                    kind,
                    values,
                }
            })
            .collect();
        Self {
            columns,
            max_rows,
            shown: 0,
            total: 0,
            more: false,
        }
    }

    /// Takes what fits under the cap from `batch` and counts it; false once `count_limit` rows
    /// are counted (the reader should stop: the total is then a lower bound).
    pub fn add(&mut self, batch: &RecordBatch, count_limit: u64) -> bool {
        let rows = batch.num_rows() as u64;
        self.total += rows;
        let take = rows.min(self.max_rows.saturating_sub(self.shown));
        if take > 0 {
            for (column, array) in self.columns.iter_mut().zip(batch.columns()) {
                append(&mut column.values, &array.slice(0, take as usize));
            }
            self.shown += take;
        }
        if self.total >= count_limit && self.total > self.shown {
            self.more = true;
            return false;
        }
        true
    }

    /// (columns, rows shown, rows counted, whether more rows were left uncounted).
    pub fn finish(self) -> (Vec<Column>, u64, u64, bool) {
        (self.columns, self.shown, self.total, self.more)
    }
}

fn empty_for(t: &DataType) -> (ColumnKind, ColumnValues) {
    use DataType::*;
    match t {
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 => {
            (ColumnKind::Integer, ColumnValues::Int(vec![]))
        }
        // Beyond i64: kept exact as text.
        UInt64 => (ColumnKind::Integer, ColumnValues::Text(vec![])),
        Float16 | Float32 | Float64 => (ColumnKind::Float, ColumnValues::Float(vec![])),
        Decimal128(_, 0) | Decimal256(_, 0) => (ColumnKind::Integer, ColumnValues::Float(vec![])),
        Decimal128(..) | Decimal256(..) => (ColumnKind::Decimal, ColumnValues::Float(vec![])),
        Boolean => (ColumnKind::Boolean, ColumnValues::Bool(vec![])),
        Utf8 | LargeUtf8 | Utf8View => (ColumnKind::Text, ColumnValues::Text(vec![])),
        Timestamp(..) => (ColumnKind::Timestamp, ColumnValues::Text(vec![])),
        Date32 | Date64 => (ColumnKind::Date, ColumnValues::Text(vec![])),
        _ => (ColumnKind::Other, ColumnValues::Text(vec![])),
    }
}

fn append(values: &mut ColumnValues, array: &ArrayRef) {
    let nulls = |i: usize| array.is_null(i);
    match values {
        ColumnValues::Int(out) => {
            if let Ok(cast) = duckdb::arrow::compute::cast(array, &DataType::Int64) {
                let ints = cast.as_primitive::<Int64Type>();
                out.extend((0..ints.len()).map(|i| (!nulls(i)).then(|| ints.value(i))));
            }
        }
        ColumnValues::Float(out) => {
            if let Ok(cast) = duckdb::arrow::compute::cast(array, &DataType::Float64) {
                let floats = cast.as_primitive::<Float64Type>();
                out.extend((0..floats.len()).map(|i| (!nulls(i)).then(|| floats.value(i))));
            }
        }
        ColumnValues::Bool(out) => {
            let bools = array.as_boolean();
            out.extend((0..bools.len()).map(|i| (!nulls(i)).then(|| bools.value(i))));
        }
        ColumnValues::Text(out) => {
            let options = FormatOptions::default()
                .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"))
                .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S%.f%:z"));
            match ArrayFormatter::try_new(array.as_ref(), &options) {
                Ok(f) => out
                    .extend((0..array.len()).map(|i| (!nulls(i)).then(|| f.value(i).to_string()))),
                Err(e) => out.extend((0..array.len()).map(|_| Some(format!("<{e}>")))),
            }
        }
    }
}

/// DuckDB's name for the Arrow type it sent.
fn sql_type(t: &DataType) -> String {
    use DataType::*;
    match t {
        Boolean => "BOOLEAN".into(),
        Int8 => "TINYINT".into(),
        Int16 => "SMALLINT".into(),
        Int32 => "INTEGER".into(),
        Int64 => "BIGINT".into(),
        UInt8 => "UTINYINT".into(),
        UInt16 => "USMALLINT".into(),
        UInt32 => "UINTEGER".into(),
        UInt64 => "UBIGINT".into(),
        Float16 | Float32 => "FLOAT".into(),
        Float64 => "DOUBLE".into(),
        Decimal128(38, 0) => "HUGEINT".into(),
        Decimal128(p, s) | Decimal256(p, s) => format!("DECIMAL({p},{s})"),
        Utf8 | LargeUtf8 | Utf8View => "VARCHAR".into(),
        Timestamp(_, None) => "TIMESTAMP".into(),
        Timestamp(_, Some(_)) => "TIMESTAMP WITH TIME ZONE".into(),
        Date32 | Date64 => "DATE".into(),
        Time32(_) | Time64(_) => "TIME".into(),
        Interval(_) | Duration(_) => "INTERVAL".into(),
        List(f) | LargeList(f) => format!("{}[]", sql_type(f.data_type())),
        Struct(_) => "STRUCT".into(),
        Map(..) => "MAP".into(),
        other => format!("{other}"),
    }
}
