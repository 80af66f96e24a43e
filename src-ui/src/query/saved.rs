//! The "save as table" panel (flag `data-materialization`): saves the current result's statement
//! as a table in `my_db` (asking before it replaces one), and lists the saved tables with a drop
//! button each. Locked, it shows LaunchDarkly's reason instead of its controls.

use datagata_ipc::command;
use datagata_ipc::data::{QueryTarget, SaveTableOutcome, SaveTableRequest, SavedTable, thousands};
use serde::Serialize;
use yew::prelude::*;

use super::{Gate, RequestArgs, Shared, TargetArgs, input_value};
use crate::bridge;

#[derive(Serialize)]
struct DropArgs<'a> {
    target: QueryTarget,
    name: &'a str,
}

#[derive(Properties, PartialEq)]
pub struct SavePanelProps {
    pub gate: Gate,
    pub result: Option<Shared>,
    pub target: QueryTarget,
    /// Goes up each time the Query tab is shown: the list is re-read then.
    pub shown: u32,
    /// Called after a table was saved or dropped (the schema changed).
    pub on_changed: Callback<()>,
}

fn ask(question: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(false)
}

#[function_component(SavePanel)]
pub fn save_panel(props: &SavePanelProps) -> Html {
    let name = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let confirm = use_state(|| None::<(String, SaveTableRequest)>);
    let done = use_state(|| None::<String>);
    let tables = use_state(|| None::<Vec<SavedTable>>);
    let open = props.gate == Gate::Open;
    {
        let (tables, error) = (tables.clone(), error.clone());
        use_effect_with(
            (open, props.target, props.shown),
            move |(open, target, _)| {
                if *open {
                    let target = *target;
                    wasm_bindgen_futures::spawn_local(async move {
                        match bridge::invoke::<_, Vec<SavedTable>>(
                            command::SAVED_TABLES,
                            &TargetArgs { target },
                        )
                        .await
                        {
                            Ok(list) => tables.set(Some(list)),
                            Err(e) => error.set(Some(e)),
                        }
                    });
                }
            },
        );
    }

    if let Some(notice) = props.gate.notice("save-locked") {
        return html! {
            <section class="panel" id="save-panel"><h2>{ "Save as table" }</h2>{ notice }</section>
        };
    }

    // Sends one save request; an existing table of that name turns into a question.
    let send = {
        let (busy, error, confirm, done, tables) = (
            busy.clone(),
            error.clone(),
            confirm.clone(),
            done.clone(),
            tables.clone(),
        );
        let (on_changed, list_target) = (props.on_changed.clone(), props.target);
        move |request: SaveTableRequest| {
            busy.set(true);
            error.set(None);
            done.set(None);
            confirm.set(None);
            let (busy, error, confirm, done, tables, on_changed) = (
                busy.clone(),
                error.clone(),
                confirm.clone(),
                done.clone(),
                tables.clone(),
                on_changed.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let answer = bridge::invoke::<_, SaveTableOutcome>(
                    command::SAVE_TABLE,
                    &RequestArgs { request: &request },
                )
                .await;
                busy.set(false);
                match answer {
                    Ok(SaveTableOutcome::AlreadyExists { name }) => {
                        confirm.set(Some((name, request)))
                    }
                    Ok(SaveTableOutcome::Saved { tables: list }) => {
                        let saved = list
                            .iter()
                            .find(|t| t.name.eq_ignore_ascii_case(&request.name))
                            .map(|t| t.qualified_name.clone())
                            .unwrap_or_else(|| format!("my_db.{}", request.name));
                        done.set(Some(format!("Saved {saved}")));
                        // The answer lists the tables where the result ran; the list shows the
                        // target chosen now.
                        if request.target == list_target {
                            tables.set(Some(list));
                        }
                        on_changed.emit(());
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let on_name = {
        let name = name.clone();
        Callback::from(move |e: InputEvent| name.set(input_value(&e)))
    };
    let on_save = {
        let (name, error, send) = (name.clone(), error.clone(), send.clone());
        let result = props.result.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(result) = &result else {
                error.set(Some(
                    "Run a query first: its statement is what gets saved.".into(),
                ));
                return;
            };
            let table = name.trim().to_string();
            if table.is_empty() {
                error.set(Some("Name the table, e.g. busy_hours.".into()));
                return;
            }
            send(SaveTableRequest {
                name: table,
                sql: result.sql.clone(),
                target: result.target,
                overwrite: false,
            });
        })
    };
    let on_overwrite = {
        let (confirm, send) = (confirm.clone(), send.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some((_, request)) = &*confirm {
                send(SaveTableRequest {
                    overwrite: true,
                    ..request.clone()
                });
            }
        })
    };
    let on_cancel = {
        let confirm = confirm.clone();
        Callback::from(move |_: MouseEvent| confirm.set(None))
    };
    let on_drop = {
        let (tables, error, done) = (tables.clone(), error.clone(), done.clone());
        let (target, on_changed) = (props.target, props.on_changed.clone());
        Callback::from(move |table: SavedTable| {
            if !ask(&format!(
                "Drop {}? Its {} rows will be deleted.",
                table.qualified_name,
                thousands(table.rows)
            )) {
                return;
            }
            error.set(None);
            done.set(None);
            let (tables, error, on_changed) = (tables.clone(), error.clone(), on_changed.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match bridge::invoke::<_, Vec<SavedTable>>(
                    command::DROP_TABLE,
                    &DropArgs {
                        target,
                        name: &table.name,
                    },
                )
                .await
                {
                    Ok(list) => {
                        tables.set(Some(list));
                        on_changed.emit(());
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let no_result = props.result.is_none();
    html! {
        <section class="panel" id="save-panel">
            <h2>{ "Save as table" }</h2>
            <div class="save-form">
                <label class="inline">{ "my_db." }
                    <input id="save-name" type="text" spellcheck="false" placeholder="busy_hours"
                        value={ (*name).clone() } oninput={ on_name } />
                </label>
                <button id="save-run" class="primary" type="button" disabled={ *busy || no_result } onclick={ on_save }>
                    { "Save current result" }
                </button>
                if no_result { <span class="muted small">{ "Run a query first." }</span> }
                if *busy { <span class="busy">{ "Saving…" }</span> }
            </div>
            if let Some((existing, _)) = &*confirm {
                <div class="confirm" id="save-confirm">
                    <span>{ format!("A table named {existing} already exists in my_db. Replace it?") }</span>
                    <button id="save-overwrite" type="button" onclick={ on_overwrite }>{ "Replace" }</button>
                    <button id="save-cancel" type="button" onclick={ on_cancel }>{ "Cancel" }</button>
                </div>
            }
            if let Some(text) = &*done { <p class="ok" id="save-done">{ text.clone() }</p> }
            if let Some(e) = &*error { <p class="error" id="save-error">{ e.clone() }</p> }
            { saved_list(tables.as_deref(), &on_drop) }
        </section>
    }
}

fn saved_list(tables: Option<&[SavedTable]>, on_drop: &Callback<SavedTable>) -> Html {
    let Some(tables) = tables else {
        return html! { <ul id="saved-tables" class="saved-tables"></ul> };
    };
    html! {
        <>
            <h3>{ "Saved tables" }</h3>
            if tables.is_empty() {
                <p class="muted small">{ "None yet." }</p>
            }
            <ul id="saved-tables" class="saved-tables">
                { for tables.iter().map(|t| {
                    let onclick = {
                        let t = t.clone();
                        on_drop.reform(move |_: MouseEvent| t.clone())
                    };
                    html! {
                        <li class="saved-table" data-name={ t.name.clone() } key={ t.name.clone() }>
                            <span class="name">{ t.qualified_name.clone() }</span>
                            <span class="muted">{ format!("{} rows · {} columns", thousands(t.rows), t.columns) }</span>
                            <button class="drop-table" type="button" onclick={ onclick }
                                title={ format!("Drop {}", t.qualified_name) }>{ "Drop" }</button>
                        </li>
                    }
                }) }
            </ul>
        </>
    }
}
