//! The query history panel: the editor's past runs on the chosen target (kept by the backend
//! across launches), newest first, searchable; each one can be put back in the editor or run
//! again with one click.

use datagata_ipc::command;
use datagata_ipc::data::{HistoryEntry, HistorySearch, QueryTarget, RunOutcome, thousands};
use serde::Serialize;
use yew::prelude::*;

use super::input_value;
use crate::bridge;

#[derive(Serialize)]
struct SearchArgs<'a> {
    search: &'a HistorySearch,
}

#[derive(Properties, PartialEq)]
pub struct HistoryPanelProps {
    pub target: QueryTarget,
    /// Changes after each run, so the list is read again.
    pub generation: u64,
    /// Puts a statement in the editor.
    pub on_load: Callback<String>,
    /// Puts a statement in the editor and runs it.
    pub on_rerun: Callback<String>,
}

/// Entries listed at most.
const SHOWN: u32 = 50;

#[function_component(HistoryPanel)]
pub fn history_panel(props: &HistoryPanelProps) -> Html {
    let search = use_state(String::new);
    let entries = use_state(|| None::<Result<Vec<HistoryEntry>, String>>);
    let seq = use_mut_ref(|| 0u64);
    {
        let entries = entries.clone();
        let seq = seq.clone();
        use_effect_with(
            (props.target, props.generation, (*search).clone()),
            move |(target, _, text)| {
                let request = HistorySearch {
                    target: *target,
                    search: text.clone(),
                    limit: Some(SHOWN),
                };
                let n = {
                    let mut s = seq.borrow_mut();
                    *s += 1;
                    *s
                };
                wasm_bindgen_futures::spawn_local(async move {
                    let answer = bridge::invoke::<_, Vec<HistoryEntry>>(
                        command::QUERY_HISTORY,
                        &SearchArgs { search: &request },
                    )
                    .await;
                    if *seq.borrow() == n {
                        entries.set(Some(answer));
                    }
                });
            },
        );
    }
    let oninput = {
        let search = search.clone();
        Callback::from(move |e: InputEvent| search.set(input_value(&e)))
    };
    let body = match &*entries {
        None => html! { <p class="muted">{ "Reading the history…" }</p> },
        Some(Err(e)) => html! { <p class="error" id="history-error">{ e.clone() }</p> },
        Some(Ok(list)) if list.is_empty() => html! {
            <p class="muted" id="history-empty">{
                if search.is_empty() { "Statements you run appear here." } else { "No statement in the history contains that." }
            }</p>
        },
        Some(Ok(list)) => html! {
            <ol class="history" id="history-list">
                { for list.iter().enumerate().map(|(i, e)| entry(i, e, &props.on_load, &props.on_rerun)) }
            </ol>
        },
    };
    html! {
        <section class="panel" id="history-panel" aria-labelledby="history-title">
            <h2 id="history-title">{ "History" }</h2>
            <label class="stacked">{ "Search the history" }
                <input id="history-search" type="search" placeholder="e.g. GROUP BY"
                    value={ (*search).clone() } oninput={ oninput } />
            </label>
            { body }
        </section>
    }
}

fn outcome(o: &RunOutcome) -> (String, &'static str) {
    match o {
        RunOutcome::Answered {
            total_rows,
            more_rows,
            elapsed_ms,
        } => {
            let rows = match (*total_rows, *more_rows) {
                (n, true) => format!("more than {} rows", thousands(n)),
                (1, false) => "1 row".to_string(),
                (n, false) => format!("{} rows", thousands(n)),
            };
            (
                format!("{rows} · {}", crate::metrics::format::ms(*elapsed_ms)),
                "ok",
            )
        }
        RunOutcome::Failed { error } => (format!("failed: {error}"), "failed"),
        RunOutcome::Stopped => ("stopped".to_string(), "stopped"),
    }
}

/// "14:03" today, else "2 Dec 14:03", in the WebView's time zone.
fn when(at_ms: i64) -> String {
    let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms as f64));
    let now = js_sys::Date::new_0();
    let time = format!("{:02}:{:02}", at.get_hours(), at.get_minutes());
    if at.to_date_string() == now.to_date_string() {
        time
    } else {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "{} {} {time}",
            at.get_date(),
            MONTHS[(at.get_month() as usize).min(11)]
        )
    }
}

fn entry(
    index: usize,
    e: &HistoryEntry,
    on_load: &Callback<String>,
    on_rerun: &Callback<String>,
) -> Html {
    let load = {
        let sql = e.sql.clone();
        on_load.reform(move |_: MouseEvent| sql.clone())
    };
    let rerun = {
        let sql = e.sql.clone();
        on_rerun.reform(move |_: MouseEvent| sql.clone())
    };
    let (result, class) = outcome(&e.outcome);
    let one_line: String = e.sql.split_whitespace().collect::<Vec<_>>().join(" ");
    html! {
        <li class={ classes!("history-entry", class) } data-index={ index.to_string() }>
            <button type="button" class="history-sql" onclick={ load } title={ e.sql.clone() }
                aria-label={ format!("Put in the editor: {one_line}") }>
                <code>{ one_line.clone() }</code>
            </button>
            <span class="history-meta muted">{ format!("{} · {result}", when(e.at_ms)) }</span>
            <button type="button" class="history-run" onclick={ rerun }
                aria-label={ format!("Run again: {one_line}") }>{ "Run again" }</button>
        </li>
    }
}
