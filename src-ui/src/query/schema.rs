//! The schema sidebar: every table or view a query on the chosen target can read, with its row
//! count and columns. Clicking a table's name puts `SELECT * FROM <table> LIMIT 100` in the editor.

use std::rc::Rc;

use datagata_ipc::data::{TableInfo, thousands};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SchemaSidebarProps {
    pub schema: Option<Result<Rc<Vec<TableInfo>>, String>>,
    /// Called with the qualified name of the table clicked.
    pub on_pick: Callback<String>,
}

/// Few tables show their columns open; many (MotherDuck's sample data) start folded.
const OPEN_UP_TO: usize = 4;

#[function_component(SchemaSidebar)]
pub fn schema_sidebar(props: &SchemaSidebarProps) -> Html {
    let body = match &props.schema {
        None => html! { <p class="muted">{ "Reading the schema…" }</p> },
        Some(Err(e)) => html! { <p class="error" id="schema-error">{ e.clone() }</p> },
        Some(Ok(tables)) if tables.is_empty() => {
            html! { <p class="muted">{ "No tables yet: generate a sample or import TLC files." }</p> }
        }
        Some(Ok(tables)) => {
            let open = tables.len() <= OPEN_UP_TO;
            html! {
                <ul class="tables">
                    { for tables.iter().map(|t| table(t, open, &props.on_pick)) }
                </ul>
            }
        }
    };
    html! {
        <aside class="schema panel" id="schema">
            <h2>{ "Tables" }</h2>
            { body }
        </aside>
    }
}

fn table(t: &TableInfo, open: bool, on_pick: &Callback<String>) -> Html {
    let onclick = {
        let name = t.qualified_name.clone();
        on_pick.reform(move |_: MouseEvent| name.clone())
    };
    html! {
        <li class="schema-table" data-name={ t.qualified_name.clone() }>
            <button class="table-name" type="button" onclick={ onclick }
                title={ format!("SELECT * FROM {} LIMIT 100", t.qualified_name) }>
                { t.qualified_name.clone() }
            </button>
            if let Some(rows) = t.rows {
                <span class="rows">{ format!("{} rows", thousands(rows)) }</span>
            }
            <details class="columns" open={ open }>
                <summary>{ match t.columns.len() { 1 => "1 column".to_string(), n => format!("{n} columns") } }</summary>
                <ul>
                    { for t.columns.iter().map(|c| html! {
                        <li class="schema-column">
                            <span class="col-name">{ c.name.clone() }</span>
                            <span class="col-type">{ c.sql_type.clone() }</span>
                        </li>
                    }) }
                </ul>
            </details>
        </li>
    }
}
