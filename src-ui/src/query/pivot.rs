//! The pivot panel (flag `pivot-table-access`): pivots the current result or a table — rows,
//! one column per distinct value, an aggregate of a measure — and shows the answer in its own
//! virtualized grid. Locked, it shows LaunchDarkly's reason instead of its controls.

use std::rc::Rc;

use datagata_ipc::command;
use datagata_ipc::data::{
    Aggregate, ColumnKind, PivotRequest, PivotSource, QueryResult, QueryTarget, TableInfo,
};
use yew::prelude::*;

use super::grid::ResultGrid;
use super::{Choice, Gate, RequestArgs, Select, Shared, input_value};
use crate::bridge;

/// The source select's value for "the current result".
const CURRENT_RESULT: &str = "query";

#[derive(Properties, PartialEq)]
pub struct PivotPanelProps {
    pub gate: Gate,
    pub result: Option<Shared>,
    pub tables: Rc<Vec<TableInfo>>,
    pub target: QueryTarget,
}

/// A pivotable column: its name and whether it holds numbers (a good default measure).
struct SourceColumn {
    name: String,
    numeric: bool,
}

fn numeric_sql_type(sql_type: &str) -> bool {
    let t = sql_type.to_ascii_uppercase();
    [
        "TINYINT",
        "SMALLINT",
        "INT",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
        "INTEGER",
        "FLOAT",
        "REAL",
        "DOUBLE",
        "DECIMAL",
        "NUMERIC",
    ]
    .iter()
    .any(|n| t == *n || t.starts_with(&format!("{n}(")))
}

fn columns_of(source: &str, result: Option<&Shared>, tables: &[TableInfo]) -> Vec<SourceColumn> {
    if source == CURRENT_RESULT {
        return result
            .map(|r| {
                r.columns
                    .iter()
                    .map(|c| SourceColumn {
                        name: c.name.clone(),
                        numeric: matches!(
                            c.kind,
                            ColumnKind::Integer | ColumnKind::Float | ColumnKind::Decimal
                        ),
                    })
                    .collect()
            })
            .unwrap_or_default();
    }
    tables
        .iter()
        .find(|t| t.qualified_name == source)
        .map(|t| {
            t.columns
                .iter()
                .map(|c| SourceColumn {
                    name: c.name.clone(),
                    numeric: numeric_sql_type(&c.sql_type),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The chosen value when it is still on offer, else the fallback.
fn pick(chosen: &str, offered: &[SourceColumn], fallback: Option<&SourceColumn>) -> String {
    if offered.iter().any(|c| c.name == chosen) {
        chosen.to_string()
    } else {
        fallback.map(|c| c.name.clone()).unwrap_or_default()
    }
}

fn split_names(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[function_component(PivotPanel)]
pub fn pivot_panel(props: &PivotPanelProps) -> Html {
    let source = use_state(String::new);
    let rows = use_state(String::new);
    let column = use_state(String::new);
    let measure = use_state(String::new);
    let aggregate = use_state(|| Aggregate::Sum);
    let running = use_state(|| false);
    let error = use_state(|| None::<String>);
    let answer = use_state(|| None::<Shared>);

    if let Some(notice) = props.gate.notice("pivot-locked") {
        return html! {
            <section class="panel" id="pivot-panel"><h2>{ "Pivot table" }</h2>{ notice }</section>
        };
    }

    // What is on offer now: the current result (when there is one) and every table.
    let mut sources = Vec::new();
    if props.result.is_some() {
        sources.push(Choice::new(CURRENT_RESULT, "current result"));
    }
    sources.extend(
        props
            .tables
            .iter()
            .map(|t| Choice::new(t.qualified_name.clone(), t.qualified_name.clone())),
    );
    let chosen_source = if sources.iter().any(|c| c.value == *source) {
        (*source).clone()
    } else {
        sources.first().map(|c| c.value.clone()).unwrap_or_default()
    };
    let offered = columns_of(&chosen_source, props.result.as_ref(), &props.tables);
    let chosen_column = pick(&column, &offered, offered.iter().find(|c| !c.numeric));
    let chosen_measure = pick(
        &measure,
        &offered,
        offered.iter().find(|c| c.numeric).or(offered.first()),
    );
    let column_choices: Vec<Choice> = offered
        .iter()
        .map(|c| Choice::new(c.name.clone(), c.name.clone()))
        .collect();

    let set = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |v: String| state.set(v))
    };
    let on_rows = {
        let rows = rows.clone();
        Callback::from(move |e: InputEvent| rows.set(input_value(&e)))
    };
    let on_aggregate = {
        let aggregate = aggregate.clone();
        Callback::from(move |v: String| {
            if let Some(a) = Aggregate::ALL.iter().find(|a| a.as_str() == v) {
                aggregate.set(*a);
            }
        })
    };
    let on_run = {
        let (running, error, answer) = (running.clone(), error.clone(), answer.clone());
        let result: Option<Rc<QueryResult>> = props.result.as_ref().map(|r| r.0.clone());
        let (rows, aggregate, target) = ((*rows).clone(), *aggregate, props.target);
        let (source, column, measure) = (
            chosen_source.clone(),
            chosen_column.clone(),
            chosen_measure.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let (pivot_source, target) = if source == CURRENT_RESULT {
                match &result {
                    Some(r) => (PivotSource::Query { sql: r.sql.clone() }, r.target),
                    None => {
                        error.set(Some("Run a query first, or pick a table.".into()));
                        return;
                    }
                }
            } else if source.is_empty() {
                error.set(Some(
                    "Nothing to pivot yet: run a query or load data.".into(),
                ));
                return;
            } else {
                (
                    PivotSource::Table {
                        name: source.clone(),
                    },
                    target,
                )
            };
            if column.is_empty() || measure.is_empty() {
                error.set(Some("Pick a pivot column and a measure.".into()));
                return;
            }
            let request = PivotRequest {
                source: pivot_source,
                target,
                rows: split_names(&rows),
                column: column.clone(),
                measure: measure.clone(),
                aggregate,
            };
            running.set(true);
            error.set(None);
            let (running, error, answer) = (running.clone(), error.clone(), answer.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let reply = bridge::invoke::<_, QueryResult>(
                    command::PIVOT,
                    &RequestArgs { request: &request },
                )
                .await;
                running.set(false);
                match reply {
                    Ok(r) => answer.set(Some(Shared::new(r))),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let aggregates: Vec<Choice> = Aggregate::ALL
        .iter()
        .map(|a| Choice::new(a.as_str(), a.as_str()))
        .collect();
    let names: Vec<&str> = offered.iter().map(|c| c.name.as_str()).collect();
    html! {
        <section class="panel" id="pivot-panel">
            <h2>{ "Pivot table" }</h2>
            <div class="pivot-form">
                <label>{ "Source" }
                    <Select id="pivot-source" options={ sources } value={ chosen_source } onchange={ set(&source) } />
                </label>
                <label>{ "Rows (comma-separated)" }
                    <input id="pivot-rows" type="text" spellcheck="false" value={ (*rows).clone() }
                        placeholder="e.g. pickup_borough" oninput={ on_rows } />
                </label>
                <label>{ "Column" }
                    <Select id="pivot-column" options={ column_choices.clone() } value={ chosen_column } onchange={ set(&column) } />
                </label>
                <label>{ "Measure" }
                    <Select id="pivot-measure" options={ column_choices } value={ chosen_measure } onchange={ set(&measure) } />
                </label>
                <label>{ "Aggregate" }
                    <Select id="pivot-aggregate" options={ aggregates } value={ aggregate.as_str() } onchange={ on_aggregate } />
                </label>
                <button id="pivot-run" class="primary" type="button" disabled={ *running } onclick={ on_run }>
                    { "Pivot" }
                </button>
            </div>
            if !names.is_empty() {
                <p class="muted small" id="pivot-columns">{ format!("Columns: {}", names.join(", ")) }</p>
            }
            if *running { <p class="busy" id="pivot-running">{ "Pivoting…" }</p> }
            if let Some(e) = &*error { <p class="error" id="pivot-error">{ e.clone() }</p> }
            if let Some(r) = &*answer {
                <ResultGrid id="pivot-results" summary_id="pivot-summary" result={ r.clone() } />
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_types_are_recognized() {
        assert!(numeric_sql_type("BIGINT"));
        assert!(numeric_sql_type("decimal(18,3)"));
        assert!(!numeric_sql_type("TIMESTAMP"));
        assert!(!numeric_sql_type("VARCHAR"));
        assert_eq!(split_names(" a, ,b "), vec!["a".to_string(), "b".into()]);
    }
}
