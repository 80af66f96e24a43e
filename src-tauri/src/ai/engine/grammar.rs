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

/// The statement's shape a question asks for, from its words: whether it groups ("per", "by",
/// "each"), filters ("from", "over", "at night"), or ranks ("top", "most", "busiest"). A small
/// model given room for a `WHERE` invents one; a question without such words gets a grammar
/// without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub group: bool,
    pub filter: bool,
    pub rank: bool,
    /// It counts ("how many", "number of"): `count(*)` is the aggregate.
    pub count: bool,
    /// The rows a ranking asks for: "top 10" → 10, "which … busiest" → 1.
    pub limit: Option<u32>,
}

impl Shape {
    /// Every form (the grammar's widest).
    pub const ANY: Shape = Shape {
        group: true,
        filter: true,
        rank: true,
        count: false,
        limit: None,
    };

    pub fn of(question: &str) -> Shape {
        let q = question.to_lowercase();
        let words: Vec<&str> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let any = |cues: &[&str]| words.iter().any(|w| cues.contains(w));
        // "top 10 …", "which … busiest": the first rows of a ranking; a lone superlative ("the
        // longest trip distance") is an aggregate, max() or min().
        let superlative = any(&[
            "most", "highest", "lowest", "least", "busiest", "largest", "biggest", "fewest",
            "best", "worst", "longest", "shortest", "cheapest",
        ]);
        let top = words
            .iter()
            .position(|w| *w == "top")
            .map(|i| words.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(10));
        let rank = top.is_some() || (any(&["which"]) && superlative);
        let limit = top.or(rank.then_some(1));
        let count = q.contains("how many") || q.contains("number of") || any(&["count"]);
        Shape {
            group: rank || any(&["per", "by", "each", "every", "which", "breakdown"]),
            filter: any(&[
                "from", "where", "with", "over", "under", "above", "below", "more", "less", "than",
                "night", "morning", "evening", "only", "airport", "between", "after", "before",
                "during", "without",
            ]),
            rank,
            count,
            limit,
        }
    }
}

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
    /// The grouping key's columns the question names (not times), its times, and the numeric
    /// columns it names outside the key (what is measured); empty when it names none.
    keys: Vec<String>,
    key_times: Vec<String>,
    measures: Vec<String>,
}

/// The columns a question names in its grouping key ("by payment type", "per hour", "which
/// pickup borough", "top 10 pickup zones by …") and elsewhere (what it measures).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Linked {
    pub keys: Vec<String>,
    pub measures: Vec<String>,
}

/// The key's words and the rest of the question.
fn split_key(question: &str) -> (String, String) {
    let q = question.to_lowercase();
    let word_at = |w: &str| {
        q.match_indices(w).map(|(i, _)| i).find(|&i| {
            (i == 0 || !q.as_bytes()[i - 1].is_ascii_alphanumeric())
                && q[i + w.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric())
        })
    };
    if let Some(i) = word_at("top") {
        let after = &q[i + 3..];
        return match after.find(" by ") {
            Some(j) => (
                after[..j].to_string(),
                format!("{} {}", &q[..i], &after[j + 4..]),
            ),
            None => (after.to_string(), q[..i].to_string()),
        };
    }
    if let Some(i) = word_at("which") {
        let after = &q[i + 5..];
        let end = [
            " is ", " had ", " has ", " are ", " gets ", " get ", " was ", " were ",
        ]
        .iter()
        .filter_map(|v| after.find(v))
        .min()
        .unwrap_or(after.len());
        return (
            after[..end].to_string(),
            format!("{} {}", &q[..i], &after[end..]),
        );
    }
    for cue in [" by ", " per ", " for each ", " each "] {
        if let Some(i) = q.rfind(cue) {
            return (q[i + cue.len()..].to_string(), q[..i].to_string());
        }
    }
    (String::new(), q)
}

/// [`Linked`] for `question`: a zone's name wins over the location id the same words name.
pub fn link(tables: &[TableInfo], question: &str) -> Linked {
    let (key, rest) = split_key(question);
    let mut keys = columns_named(tables, &key);
    let zone_named = tables.iter().any(|t| {
        t.name == "taxi_zones"
            && t.columns
                .iter()
                .any(|c| keys.contains(&c.name) && c.name != "LocationID")
    });
    if zone_named {
        keys.retain(|k| !k.ends_with("LocationID"));
    }
    let numeric: Vec<&str> = tables
        .iter()
        .flat_map(|t| &t.columns)
        .filter(|c| is_numeric(&c.sql_type))
        .map(|c| c.name.as_str())
        .collect();
    let measures = columns_named(tables, &rest)
        .into_iter()
        .filter(|c| numeric.contains(&c.as_str()) && !keys.contains(c))
        .collect();
    Linked { keys, measures }
}

impl Columns {
    fn linked(tables: &[(&TableInfo, &str)], named: &[String], linked: &Linked) -> Self {
        let mut c = Columns {
            all: vec![],
            numeric: vec![],
            time: vec![],
            selected: vec![],
            keys: vec![],
            key_times: vec![],
            measures: vec![],
        };
        for (table, prefix) in tables {
            for col in &table.columns {
                let text = format!("{prefix}{}", ident(&col.name));
                let key = linked.keys.contains(&col.name);
                if is_numeric(&col.sql_type) {
                    c.numeric.push(text.clone());
                    if linked.measures.contains(&col.name) {
                        c.measures.push(text.clone());
                    }
                }
                if is_time(&col.sql_type) {
                    c.time.push(text.clone());
                    if key {
                        c.key_times.push(text.clone());
                    }
                } else if key {
                    c.keys.push(text.clone());
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

    /// The rules of one FROM form, named `<p>-…`, for statements of `shape`.
    fn rules(&self, p: &str, from: &str, shape: Shape) -> String {
        let mut r = String::new();
        let push = |r: &mut String, name: &str, body: String| {
            r.push_str(&format!("{p}-{name} ::= {body}\n"));
        };
        let (items, tail) = if shape == Shape::ANY {
            (
                format!("{p}-item (\", \" {p}-item){{0,2}}"),
                format!(" {p}-where? {p}-group? {p}-order? limit?"),
            )
        } else {
            // A grouped question: a key, then its aggregates, grouped; else aggregates alone.
            // One key and one aggregate: a small model given room for more adds columns.
            let items = if shape.group {
                format!("{p}-pick \", \" {p}-agg")
            } else {
                format!("{p}-agg")
            };
            let mut tail = String::new();
            if shape.filter {
                tail.push_str(&format!(" {p}-where?"));
            }
            if shape.group {
                tail.push_str(&format!(" {p}-group"));
            }
            if shape.rank {
                match shape.limit {
                    Some(n) => {
                        tail.push_str(&format!(" {p}-order {}", lit(&format!(" LIMIT {n}"))))
                    }
                    None => tail.push_str(&format!(" {p}-order limit?")),
                }
            }
            (items, tail)
        };
        push(
            &mut r,
            "query",
            format!("\"SELECT \" {p}-items {}{tail}", lit(from)),
        );
        push(&mut r, "items", items);
        push(&mut r, "item", format!("{p}-agg | {p}-pick"));
        // A question with a key picks only the key: its columns, or the hour of its times.
        let linked = shape != Shape::ANY && !(self.keys.is_empty() && self.key_times.is_empty());
        let (sel, times) = if linked {
            (&self.keys, &self.key_times)
        } else {
            (&self.selected, &self.time)
        };
        let mut picks = Vec::new();
        if !sel.is_empty() {
            picks.push(format!("{p}-sel"));
            push(&mut r, "sel", alternatives(sel));
        }
        if !times.is_empty() {
            picks.push(format!("\"hour(\" {p}-ktime \")\""));
            push(&mut r, "ktime", alternatives(times));
        }
        push(&mut r, "pick", picks.join(" | "));
        push(&mut r, "col", alternatives(&self.all));
        let mut aggs = vec![
            lit("count(*)"),
            format!("\"count(DISTINCT \" {p}-col \")\""),
        ];
        let counting = shape != Shape::ANY && shape.count && self.measures.is_empty();
        let measured = if shape != Shape::ANY && !self.measures.is_empty() {
            &self.measures
        } else {
            &self.numeric
        };
        if counting {
            // "How many trips": count(*) is the only aggregate.
            aggs.truncate(1);
        } else if !measured.is_empty() {
            push(&mut r, "num", alternatives(measured));
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
/// list narrowed to `named` columns when the question names any; every statement shape.
pub fn sql_grammar(tables: &[TableInfo], named: &[String]) -> String {
    shaped_grammar(tables, named, Shape::ANY)
}

/// The grammar for `question`: its columns ([`columns_named`]), its shape ([`Shape::of`]), its
/// key and measures ([`link`]); the zones join only when it names a zone's column (the pickup
/// zone unless it says "dropoff"). The columns named come back too, for the prompt.
pub fn question_grammar(tables: &[TableInfo], question: &str) -> (Vec<String>, String) {
    let named = columns_named(tables, question);
    let linked = link(tables, question);
    let grammar = build(tables, &named, Shape::of(question), Some(&linked), question);
    (named, grammar)
}

/// [`sql_grammar`] for statements of the `shape` a question asks for ([`Shape::of`]).
pub fn shaped_grammar(tables: &[TableInfo], named: &[String], shape: Shape) -> String {
    build(tables, named, shape, None, "")
}

fn build(
    tables: &[TableInfo],
    named: &[String],
    shape: Shape,
    linked: Option<&Linked>,
    question: &str,
) -> String {
    let none = Linked::default();
    let link_of = linked.unwrap_or(&none);
    let main: Vec<&TableInfo> = tables
        .iter()
        .filter(|t| t.schema == "main" && !t.columns.is_empty())
        .collect();
    let mut forms = Vec::new();
    let mut rules = String::new();
    let names = |t: &TableInfo| named.iter().any(|n| t.columns.iter().any(|c| &c.name == n));
    let trips_named = main.iter().any(|t| t.name == "taxi" && names(t));
    let find = |n: &str| main.iter().find(|t| t.name == n).copied();
    let zone_named = find("taxi_zones").is_some_and(|zones| {
        zones
            .columns
            .iter()
            .any(|c| c.name != "LocationID" && named.contains(&c.name))
    });
    for (i, t) in main.iter().enumerate() {
        // Questions are about trips: the zone lookup alone only when it alone is named.
        if t.name == "taxi_zones" && (trips_named || !names(t)) {
            continue;
        }
        // A question that names a zone's column is answered through the join.
        if linked.is_some() && zone_named && t.name == "taxi" && find("taxi_zones").is_some() {
            continue;
        }
        let p = format!("t{i}");
        let cols = Columns::linked(&[(t, "")], named, link_of);
        rules.push_str(&cols.rules(&p, &format!(" FROM {}", t.qualified_name), shape));
        forms.push(format!("{p}-query"));
    }
    // Trips with their zones: the join borough and zone questions need.
    if let (Some(trips), Some(zones)) = (find("taxi"), find("taxi_zones")) {
        let has = |t: &TableInfo, c: &str| t.columns.iter().any(|x| x.name == c);
        let dropoff = question.to_lowercase().contains("dropoff");
        // Linked to a question: the join only when it names a zone, on the side it names.
        let wanted = |j: usize| linked.is_none() || (zone_named && (j == 1) == dropoff);
        if has(zones, "LocationID") {
            for (j, key) in ["PULocationID", "DOLocationID"].iter().enumerate() {
                if has(trips, key) && wanted(j) {
                    let p = format!("j{j}");
                    let cols = Columns::linked(&[(trips, "t."), (zones, "z.")], named, link_of);
                    let from = format!(" FROM taxi t JOIN taxi_zones z ON t.{key} = z.LocationID");
                    rules.push_str(&cols.rules(&p, &from, shape));
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
                    ("payment_type", "BIGINT"),
                    ("tip_amount", "DOUBLE"),
                ],
            ),
            table(
                "taxi_zones",
                &[
                    ("LocationID", "INTEGER"),
                    ("Borough", "VARCHAR"),
                    ("Zone", "VARCHAR"),
                ],
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
    fn a_question_shapes_its_statement() {
        let plain = Shape::of("How many trips are there?");
        assert_eq!(
            plain,
            Shape {
                group: false,
                filter: false,
                rank: false,
                count: true,
                limit: None,
            }
        );
        let g = shaped_grammar(&tables(), &[], plain);
        assert!(
            g.contains(
                r#"t0-query ::= "SELECT " t0-items " FROM taxi"
"#
            ),
            "no WHERE, GROUP BY or ORDER BY: {g}"
        );
        assert!(g.contains(r#"t0-items ::= t0-agg"#), "{g}");
        assert!(
            g.contains(r#"t0-agg ::= "count(*)""#),
            "how many: count(*) alone: {g}"
        );
        let per = Shape::of("What is the average tip by payment type?");
        assert_eq!((per.group, per.filter, per.rank), (true, false, false));
        let g = shaped_grammar(&tables(), &[], per);
        assert!(
            g.contains(r#"t0-query ::= "SELECT " t0-items " FROM taxi" t0-group"#),
            "{g}"
        );
        assert!(g.contains(r#"t0-items ::= t0-pick ", " t0-agg"#), "{g}");
        let top = Shape::of("What are the top 10 pickup zones by number of trips?");
        assert_eq!((top.group, top.filter, top.rank), (true, false, true));
        assert!(
            shaped_grammar(&tables(), &[], top)
                .contains(r#"" FROM taxi" t0-group t0-order " LIMIT 10""#)
        );
        let lone = Shape::of("What is the longest trip distance?");
        assert_eq!(
            (lone.group, lone.rank),
            (false, false),
            "max(), not a ranking"
        );
        let which = Shape::of("Which pickup borough is busiest at night?");
        assert_eq!((which.group, which.filter, which.rank), (true, true, true));
        let from = Shape::of("What is the average fare for trips from JFK airport?");
        assert_eq!((from.group, from.filter, from.rank), (false, true, false));
        assert_eq!(
            sql_grammar(&tables(), &[]),
            shaped_grammar(&tables(), &[], Shape::ANY)
        );
    }

    #[test]
    fn a_question_links_its_key_and_what_it_measures() {
        let t = tables();
        assert_eq!(
            link(&t, "What is the average tip by payment type?"),
            Linked {
                keys: vec!["payment_type".into()],
                measures: vec!["tip_amount".into()]
            }
        );
        // A zone's name wins over the location id; the join is the only form, on pickups.
        let q = "What are the top 10 pickup zones by number of trips?";
        assert_eq!(link(&t, q).keys, vec!["Zone".to_string()]);
        let (_, g) = question_grammar(&t, q);
        assert!(g.starts_with("root ::= j0-query\n"), "{g}");
        assert!(g.contains(r#"j0-sel ::= "z.Zone""#), "{g}");
        // A time key is grouped by its hour; no zone named, no join.
        let (_, g) = question_grammar(&t, "How many trips are there per hour of the day?");
        assert!(g.starts_with("root ::= t0-query\n"), "{g}");
        assert!(g.contains(r#"t0-pick ::= "hour(" t0-ktime ")""#), "{g}");
        let (_, g) = question_grammar(&t, "What is the average trip distance?");
        assert!(g.contains(r#"t0-num ::= "trip_distance""#), "{g}");
        assert!(!g.contains("JOIN"), "{g}");
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
