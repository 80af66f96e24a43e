//! SQL a small model can get right: a GBNF grammar (llama.cpp's grammar format) built from the
//! live schema, so the engine can only write one DuckDB `SELECT` that parses and names real
//! tables and columns. The shape is bounded where small models run away — at most three select
//! items, two conditions with short literals, no aliases — and puts aggregates, `GROUP BY ALL`
//! (so every statement binds), `ORDER BY` an aggregate or a position, and `LIMIT` where
//! questions need them; `hour(…)` of a timestamp covers "at night" and "busiest hour". With `taxi` and `taxi_zones` both present it also allows the one join questions about
//! boroughs and zones need. [`columns_named`] is the schema linking: the columns a question
//! names, which the select list is narrowed to.

use datagata_ipc::data::TableInfo;

/// Words that name a column without spelling it (TLC's schema).
const SYNONYMS: &[(&str, &[&str])] = &[
    ("fare", &["fare_amount"]),
    ("fares", &["fare_amount"]),
    ("tip", &["tip_amount"]),
    ("tips", &["tip_amount"]),
    ("distance", &["trip_distance"]),
    ("miles", &["trip_distance"]),
    ("passenger", &["passenger_count"]),
    ("passengers", &["passenger_count"]),
    ("total", &["total_amount"]),
    ("amount", &["total_amount"]),
    ("toll", &["tolls_amount"]),
    ("tolls", &["tolls_amount"]),
    ("payment", &["payment_type"]),
    ("vendor", &["VendorID"]),
    ("borough", &["Borough"]),
    ("boroughs", &["Borough"]),
    ("zone", &["Zone"]),
    ("zones", &["Zone"]),
    ("airport", &["Airport_fee"]),
    ("congestion", &["congestion_surcharge"]),
    ("hour", &["tpep_pickup_datetime"]),
    ("night", &["tpep_pickup_datetime"]),
    ("time", &["tpep_pickup_datetime"]),
    ("day", &["tpep_pickup_datetime"]),
    ("pickup", &["PULocationID"]),
    ("pickups", &["PULocationID"]),
    ("dropoff", &["DOLocationID"]),
    ("dropoffs", &["DOLocationID"]),
];

/// The columns of `tables` that `question` names, by name (`trip_distance`, "trip distance") or
/// by a word for it ("fare" → `fare_amount`), in schema order, each once.
pub fn columns_named(tables: &[TableInfo], question: &str) -> Vec<String> {
    let q = question.to_lowercase();
    let words: Vec<&str> = q
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .collect();
    let mut named = Vec::new();
    for table in tables.iter().filter(|t| t.schema == "main") {
        for c in &table.columns {
            let lower = c.name.to_lowercase();
            let spaced = lower.replace('_', " ");
            let by_word = SYNONYMS.iter().any(|(w, cols)| {
                words.contains(w) && cols.iter().any(|n| n.eq_ignore_ascii_case(&c.name))
            });
            let hit = words.contains(&lower.as_str()) || q.contains(&spaced) || by_word;
            if hit && !named.contains(&c.name) {
                named.push(c.name.clone());
            }
        }
    }
    named
}

/// A GBNF string literal.
fn lit(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// How SQL writes a column: bare when it is a plain identifier, else double-quoted.
fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn alternatives(items: &[String]) -> String {
    items.iter().map(|i| lit(i)).collect::<Vec<_>>().join(" | ")
}

fn is_numeric(sql_type: &str) -> bool {
    let t = sql_type.to_uppercase();
    [
        "INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "NUMERIC", "BIGINT", "HUGEINT",
    ]
    .iter()
    .any(|n| t.contains(n))
}

fn is_time(sql_type: &str) -> bool {
    let t = sql_type.to_uppercase();
    t.contains("TIMESTAMP") || t.contains("DATE")
}

/// The columns of one FROM form as SQL text (prefixed for the join), by kind.
struct Columns {
    all: Vec<String>,
    numeric: Vec<String>,
    time: Vec<String>,
    /// The select list's columns (the named ones, when the question names any).
    selected: Vec<String>,
}

impl Columns {
    fn of(tables: &[(&TableInfo, &str)], named: &[String]) -> Self {
        let mut c = Columns {
            all: vec![],
            numeric: vec![],
            time: vec![],
            selected: vec![],
        };
        for (table, prefix) in tables {
            for col in &table.columns {
                let text = format!("{prefix}{}", ident(&col.name));
                if is_numeric(&col.sql_type) {
                    c.numeric.push(text.clone());
                }
                if is_time(&col.sql_type) {
                    c.time.push(text.clone());
                }
                if named.iter().any(|n| n == &col.name) {
                    c.selected.push(text.clone());
                }
                c.all.push(text);
            }
        }
        if c.selected.is_empty() {
            c.selected = c.all.clone();
        }
        c
    }

    /// The rules of one FROM form, named `<p>-…`.
    fn rules(&self, p: &str, from: &str) -> String {
        let mut r = String::new();
        let push = |r: &mut String, name: &str, body: String| {
            r.push_str(&format!("{p}-{name} ::= {body}\n"));
        };
        push(
            &mut r,
            "query",
            format!(
                "\"SELECT \" {p}-items {} {p}-where? {p}-group? {p}-order? limit?",
                lit(from)
            ),
        );
        push(
            &mut r,
            "items",
            format!("{p}-item (\", \" {p}-item){{0,2}}"),
        );
        push(&mut r, "item", format!("{p}-agg | {p}-pick"));
        let mut picks = vec![format!("{p}-sel")];
        if !self.time.is_empty() {
            picks.push(format!("{p}-hour"));
        }
        push(&mut r, "pick", picks.join(" | "));
        push(&mut r, "sel", alternatives(&self.selected));
        push(&mut r, "col", alternatives(&self.all));
        let mut aggs = vec![
            lit("count(*)"),
            format!("\"count(DISTINCT \" {p}-col \")\""),
        ];
        if !self.numeric.is_empty() {
            push(&mut r, "num", alternatives(&self.numeric));
            aggs.push(format!(
                "(\"sum\" | \"avg\" | \"min\" | \"max\" | \"median\") \"(\" {p}-num \")\""
            ));
        }
        push(&mut r, "agg", aggs.join(" | "));
        let mut groupable = vec![format!("{p}-col")];
        if !self.time.is_empty() {
            push(&mut r, "time", alternatives(&self.time));
            push(&mut r, "hour", format!("\"hour(\" {p}-time \")\""));
            groupable.push(format!("{p}-hour"));
        }
        push(&mut r, "gcol", groupable.join(" | "));
        push(
            &mut r,
            "where",
            format!("\" WHERE \" {p}-cond (\" AND \" {p}-cond)?"),
        );
        push(&mut r, "cond", format!("{p}-gcol \" \" cmp \" \" value"));
        // GROUP BY ALL: whatever is selected beside the aggregates, so every statement binds.
        push(&mut r, "group", lit(" GROUP BY ALL"));
        push(
            &mut r,
            "order",
            format!("\" ORDER BY \" ({p}-agg | [1-3]) (\" DESC\" | \" ASC\")?"),
        );
        r
    }
}

/// The grammar for `tables` (the `main` schema's, as the schema view lists them); the select
/// list narrowed to `named` columns when the question names any.
pub fn sql_grammar(tables: &[TableInfo], named: &[String]) -> String {
    let main: Vec<&TableInfo> = tables
        .iter()
        .filter(|t| t.schema == "main" && !t.columns.is_empty())
        .collect();
    let mut forms = Vec::new();
    let mut rules = String::new();
    let names = |t: &TableInfo| named.iter().any(|n| t.columns.iter().any(|c| &c.name == n));
    let trips_named = main.iter().any(|t| t.name == "taxi" && names(t));
    for (i, t) in main.iter().enumerate() {
        // Questions are about trips: the zone lookup alone only when it alone is named.
        if t.name == "taxi_zones" && (trips_named || !names(t)) {
            continue;
        }
        let p = format!("t{i}");
        let cols = Columns::of(&[(t, "")], named);
        rules.push_str(&cols.rules(&p, &format!(" FROM {}", t.qualified_name)));
        forms.push(format!("{p}-query"));
    }
    // Trips with their zones: the join borough and zone questions need.
    let find = |n: &str| main.iter().find(|t| t.name == n).copied();
    if let (Some(trips), Some(zones)) = (find("taxi"), find("taxi_zones")) {
        let has = |t: &TableInfo, c: &str| t.columns.iter().any(|x| x.name == c);
        if has(zones, "LocationID") {
            for (j, key) in ["PULocationID", "DOLocationID"].iter().enumerate() {
                if has(trips, key) {
                    let p = format!("j{j}");
                    let cols = Columns::of(&[(trips, "t."), (zones, "z.")], named);
                    let from = format!(" FROM taxi t JOIN taxi_zones z ON t.{key} = z.LocationID");
                    rules.push_str(&cols.rules(&p, &from));
                    forms.push(format!("{p}-query"));
                }
            }
        }
    }
    if forms.is_empty() {
        // No table yet: only a constant query parses.
        forms.push(lit("SELECT 1"));
    }
    format!(
        "root ::= {}\n{rules}\
         cmp ::= \"=\" | \"<>\" | \"<=\" | \">=\" | \"<\" | \">\"\n\
         value ::= number | \"'\" [A-Za-z0-9 ._-]{{1,20}} \"'\"\n\
         number ::= [0-9]{{1,4}} (\".\" [0-9]{{1,2}})?\n\
         limit ::= \" LIMIT \" [1-9] [0-9]{{0,2}}\n",
        forms.join(" | ")
    )
}

#[cfg(test)]
mod tests {
    use datagata_ipc::data::{ColumnInfo, TableInfo};

    use super::*;

    fn table(name: &str, cols: &[(&str, &str)]) -> TableInfo {
        TableInfo {
            catalog: "memory".into(),
            schema: "main".into(),
            name: name.into(),
            qualified_name: name.into(),
            columns: cols
                .iter()
                .map(|(n, t)| ColumnInfo {
                    name: n.to_string(),
                    sql_type: t.to_string(),
                })
                .collect(),
            rows: None,
        }
    }

    fn tables() -> Vec<TableInfo> {
        vec![
            table(
                "taxi",
                &[
                    ("tpep_pickup_datetime", "TIMESTAMP"),
                    ("PULocationID", "INTEGER"),
                    ("DOLocationID", "INTEGER"),
                    ("trip_distance", "DOUBLE"),
                    ("fare_amount", "DOUBLE"),
                ],
            ),
            table(
                "taxi_zones",
                &[("LocationID", "INTEGER"), ("Borough", "VARCHAR")],
            ),
        ]
    }

    #[test]
    fn questions_name_their_columns() {
        assert_eq!(
            columns_named(&tables(), "What is the average fare per borough?"),
            vec!["fare_amount", "Borough"]
        );
        assert_eq!(
            columns_named(&tables(), "Average trip distance?"),
            vec!["trip_distance"]
        );
        assert!(columns_named(&tables(), "How many trips are there?").is_empty());
    }

    #[test]
    fn the_grammar_names_only_real_tables_and_columns() {
        let g = sql_grammar(&tables(), &["fare_amount".to_string()]);
        assert!(
            g.starts_with("root ::= t0-query | j0-query | j1-query\n"),
            "{g}"
        );
        assert!(
            g.contains(r#"t0-query ::= "SELECT " t0-items " FROM taxi""#),
            "{g}"
        );
        assert!(g.contains(r#"t0-sel ::= "fare_amount""#), "{g}");
        assert!(
            g.contains(r#""tpep_pickup_datetime" | "PULocationID""#),
            "{g}"
        );
        assert!(g.contains(r#"" FROM taxi t JOIN taxi_zones z ON t.PULocationID = z.LocationID""#));
        assert!(g.contains(r#""z.Borough""#), "{g}");
        assert!(!g.contains("Borough\" | \"LocationID") || g.contains("t1-col"));
        // Bounded lists.
        assert!(
            g.contains(r#"t0-items ::= t0-item (", " t0-item){0,2}"#),
            "{g}"
        );
        assert_eq!(ident("Airport fee"), "\"Airport fee\"");
        assert_eq!(ident("VendorID"), "VendorID");
        assert_eq!(sql_grammar(&[], &[]), sql_grammar(&[], &[]));
        assert!(sql_grammar(&[], &[]).starts_with("root ::= \"SELECT 1\""));
    }
}
