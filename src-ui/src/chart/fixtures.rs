//! Result columns for the chart modules' tests.

use datagata_ipc::data::{Column, ColumnKind, ColumnValues};

pub fn column(name: &str, kind: ColumnKind, values: ColumnValues) -> Column {
    Column {
        name: name.into(),
        sql_type: String::new(),
        kind,
        values,
    }
}

pub fn ints(name: &str, v: &[i64]) -> Column {
    column(
        name,
        ColumnKind::Integer,
        ColumnValues::Int(v.iter().map(|x| Some(*x)).collect()),
    )
}

pub fn floats(name: &str, v: &[f64]) -> Column {
    column(
        name,
        ColumnKind::Float,
        ColumnValues::Float(v.iter().map(|x| Some(*x)).collect()),
    )
}

pub fn text(name: &str, kind: ColumnKind, v: &[&str]) -> Column {
    column(
        name,
        kind,
        ColumnValues::Text(v.iter().map(|x| Some(x.to_string())).collect()),
    )
}
