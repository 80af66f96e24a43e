//! Where the data came from and how to change it: the origin badge (generated sample or real TLC
//! files, and how many trips), MotherDuck's state with its token field, and the "Manage data"
//! drawer that generates a sample or imports TLC Parquet/CSV files.

use datagata_ipc::command;
use datagata_ipc::data::{
    DataStatus, GenerateRequest, ImportMode, ImportRequest, MotherDuckState, MotherDuckStatus,
    thousands,
};
use serde::Serialize;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use super::{Choice, RequestArgs, Select, input_value};
use crate::bridge::{self, dialog};

#[derive(Serialize)]
struct TokenArgs {
    token: Option<String>,
}

#[derive(Properties, PartialEq)]
pub struct OriginBadgeProps {
    pub status: Option<Result<DataStatus, String>>,
    pub motherduck: Option<MotherDuckStatus>,
    pub on_motherduck: Callback<MotherDuckStatus>,
}

#[function_component(OriginBadge)]
pub fn origin_badge(props: &OriginBadgeProps) -> Html {
    let origin = match &props.status {
        None => html! { <p class="muted" id="data-origin">{ "Reading the local database…" }</p> },
        Some(Err(e)) => html! {
            <p class="error" id="data-origin">{ format!("Could not read the local database: {e}") }</p>
        },
        Some(Ok(s)) => {
            let real = s.origin.sample.is_none() && !s.origin.imported.is_empty();
            html! {
                <p class="origin" title={ s.database_path.clone() }>
                    <span class={ classes!("origin-badge", if real { "real" } else { "synthetic" }) } id="data-origin">
                        { s.origin.describe() }
                    </span>
                    <span class="muted">
                        { " · " }<span id="data-rows">{ thousands(s.taxi_rows) }</span>{ " trips in taxi" }
                    </span>
                    if let Some(busy) = &s.busy {
                        <span class="busy" id="data-status-busy">{ format!(" · {busy}") }</span>
                    }
                </p>
            }
        }
    };
    html! {
        <div class="origin-line">
            { origin }
            <MotherDuckLine status={ props.motherduck.clone() } on_status={ props.on_motherduck.clone() } />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct MotherDuckLineProps {
    status: Option<MotherDuckStatus>,
    on_status: Callback<MotherDuckStatus>,
}

#[function_component(MotherDuckLine)]
fn motherduck_line(props: &MotherDuckLineProps) -> Html {
    let token = use_state(String::new);
    let connecting = use_state(|| false);
    let error = use_state(|| None::<String>);
    let on_token = {
        let token = token.clone();
        Callback::from(move |e: InputEvent| token.set(input_value(&e)))
    };
    let on_connect = {
        let token = token.clone();
        let connecting = connecting.clone();
        let error = error.clone();
        let on_status = props.on_status.clone();
        Callback::from(move |_: MouseEvent| {
            let typed = token.trim().to_string();
            let args = TokenArgs {
                token: (!typed.is_empty()).then_some(typed),
            };
            connecting.set(true);
            error.set(None);
            let (token, connecting, error, on_status) = (
                token.clone(),
                connecting.clone(),
                error.clone(),
                on_status.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let answer =
                    bridge::invoke::<_, MotherDuckStatus>(command::CONNECT_MOTHERDUCK, &args).await;
                connecting.set(false);
                match answer {
                    Ok(s) => {
                        token.set(String::new()); // the backend keeps it; the page need not
                        on_status.emit(s);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let (class, text) = if *connecting {
        ("busy", "Connecting…".to_string())
    } else if let Some(e) = &*error {
        ("error", e.clone())
    } else {
        match &props.status {
            None => ("muted", "Checking…".to_string()),
            Some(s) => (
                match s.state {
                    MotherDuckState::Connected => "ok",
                    MotherDuckState::Failed => "error",
                    MotherDuckState::Connecting => "busy",
                    MotherDuckState::NotConfigured => "muted",
                },
                s.message.clone(),
            ),
        }
    };
    html! {
        <div class="motherduck">
            <span class="label">{ "MotherDuck: " }</span>
            <span class={ classes!("md-status", class) } id="motherduck-status">{ text }</span>
            <input id="motherduck-token" type="password" autocomplete="off" value={ (*token).clone() }
                aria-label="MotherDuck token"
                placeholder="token (leave empty to use the saved one)" oninput={ on_token } />
            <button id="motherduck-connect" type="button" disabled={ *connecting } onclick={ on_connect }>
                { "Connect" }
            </button>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct DataManageProps {
    /// Called with the database's new state after a generate or import succeeded.
    pub on_status: Callback<DataStatus>,
    /// Files dropped on the Query tab (a new number each drop): imported at once, in the mode
    /// chosen here.
    #[prop_or_default]
    pub dropped: Option<(u64, Vec<String>)>,
}

/// What the Open dialog shows when choosing TLC files.
const TLC_FILES: [dialog::Filter; 1] = [dialog::Filter {
    name: "TLC trip files (Parquet, CSV)",
    extensions: &["parquet", "csv", "gz"],
}];

/// "a.parquet, b.csv" or one path a line → the paths, without blanks or surrounding quotes.
fn split_paths(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(|p| p.trim().trim_matches(['"', '\'']).trim())
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_count(text: &str) -> Option<u64> {
    text.trim().replace(['_', ','], "").parse().ok()
}

#[function_component(DataManage)]
pub fn data_manage(props: &DataManageProps) -> Html {
    let rows = use_state(|| "1000000".to_string());
    let seed = use_state(|| "42".to_string());
    let paths = use_state(String::new);
    let mode = use_state(ImportMode::default);
    let busy = use_state(|| None::<String>);
    let error = use_state(|| None::<String>);

    let set_text = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(input_value(&e)))
    };
    let on_paths = {
        let paths = paths.clone();
        Callback::from(move |e: InputEvent| {
            paths.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let on_mode = {
        let mode = mode.clone();
        Callback::from(move |v: String| {
            mode.set(if v == "append" {
                ImportMode::Append
            } else {
                ImportMode::Replace
            })
        })
    };
    // Runs one data command with the busy text shown, then hands the new status up.
    let run = {
        let busy = busy.clone();
        let error = error.clone();
        let on_status = props.on_status.clone();
        move |label: String, command: &'static str, request: serde_json::Value| {
            busy.set(Some(label));
            error.set(None);
            let (busy, error, on_status) = (busy.clone(), error.clone(), on_status.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer =
                    bridge::invoke::<_, DataStatus>(command, &RequestArgs { request: &request })
                        .await;
                busy.set(None);
                match answer {
                    Ok(s) => on_status.emit(s),
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let on_generate = {
        let (rows, seed, error, run) = (rows.clone(), seed.clone(), error.clone(), run.clone());
        Callback::from(move |_: MouseEvent| {
            let (Some(n), Some(s)) = (parse_count(&rows), parse_count(&seed)) else {
                error.set(Some(
                    "Rows and seed must be whole numbers, e.g. 1000000 and 42.".into(),
                ));
                return;
            };
            if n == 0 {
                error.set(Some("Generate at least one row.".into()));
                return;
            }
            match serde_json::to_value(GenerateRequest { rows: n, seed: s }) {
                Ok(request) => run(
                    format!("Generating {} rows…", thousands(n)),
                    command::GENERATE_SAMPLE,
                    request,
                ),
                Err(e) => error.set(Some(e.to_string())),
            }
        })
    };
    let import = {
        let (mode, error) = (mode.clone(), error.clone());
        Callback::from(move |list: Vec<String>| {
            if list.is_empty() {
                error.set(Some(
                    "Enter the absolute path of at least one TLC Parquet or CSV file.".into(),
                ));
                return;
            }
            let label = match list.len() {
                1 => "Importing 1 file…".to_string(),
                n => format!("Importing {n} files…"),
            };
            match serde_json::to_value(ImportRequest {
                paths: list,
                mode: *mode,
            }) {
                Ok(request) => run(label, command::IMPORT_FILES, request),
                Err(e) => error.set(Some(e.to_string())),
            }
        })
    };
    let on_import = {
        let (paths, import) = (paths.clone(), import.clone());
        Callback::from(move |_: MouseEvent| import.emit(split_paths(&paths)))
    };
    let on_choose = {
        let (paths, error) = (paths.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let (paths, error) = (paths.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match dialog::pick_files("Import TLC trip files", &TLC_FILES).await {
                    Ok(picked) if !picked.is_empty() => {
                        let mut list = split_paths(&paths);
                        list.extend(picked);
                        paths.set(list.join("\n"));
                    }
                    Ok(_) => {}
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let open = use_state(|| false);
    {
        // Dropped files: shown in the form, the panel opened, and imported.
        let (paths, import, open) = (paths.clone(), import.clone(), open.clone());
        use_effect_with(props.dropped.clone(), move |dropped| {
            if let Some((_, list)) = dropped
                && !list.is_empty()
            {
                paths.set(list.join("\n"));
                open.set(true);
                import.emit(list.clone());
            }
        });
    }
    let working = busy.is_some();
    let modes = vec![
        Choice::new("replace", "replace taxi"),
        Choice::new("append", "append to taxi"),
    ];
    html! {
        <details class="data-manage" id="data-manage" open={ *open }>
            <summary>{ "Manage data: generate a sample or import TLC files" }</summary>
            <div class="manage-forms">
                <fieldset>
                    <legend>{ "Generate sample" }</legend>
                    <label>{ "Rows" }
                        <input id="generate-rows" type="number" min="1" step="1" value={ (*rows).clone() }
                            oninput={ set_text(&rows) } />
                    </label>
                    <label>{ "Seed" }
                        <input id="generate-seed" type="number" min="0" step="1" value={ (*seed).clone() }
                            oninput={ set_text(&seed) } />
                    </label>
                    <button id="generate-run" type="button" disabled={ working } onclick={ on_generate }>
                        { "Generate" }
                    </button>
                    <p class="muted small">{ "Synthetic trips that replace taxi; always labelled as not real." }</p>
                </fieldset>
                <fieldset>
                    <legend>{ "Import TLC files" }</legend>
                    <label class="wide">{ "Files (absolute paths, one a line or comma-separated; Parquet or CSV)" }
                        <textarea id="import-paths" rows="2" spellcheck="false" value={ (*paths).clone() }
                            placeholder="/home/you/Downloads/yellow_tripdata_2024-01.parquet" oninput={ on_paths } />
                    </label>
                    <label>{ "Mode" }
                        <Select id="import-mode" options={ modes } onchange={ on_mode }
                            value={ if *mode == ImportMode::Append { "append" } else { "replace" } } />
                    </label>
                    <button id="import-choose" type="button" disabled={ working } onclick={ on_choose }>
                        { "Choose files…" }
                    </button>
                    <button id="import-run" type="button" disabled={ working } onclick={ on_import }>
                        { "Import" }
                    </button>
                    <p class="muted small">{ "Or drop the files anywhere on the Query tab." }</p>
                </fieldset>
            </div>
            <div role="status" aria-live="polite">
                if let Some(text) = &*busy { <p class="busy" id="data-busy">{ text.clone() }</p> }
            </div>
            <div role="alert">
                if let Some(e) = &*error { <p class="error" id="data-error">{ e.clone() }</p> }
            </div>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_on_lines_and_commas() {
        assert_eq!(
            split_paths(" /a/x.parquet,\n'/b/y.csv'\n\n , "),
            vec!["/a/x.parquet".to_string(), "/b/y.csv".to_string()]
        );
        assert!(split_paths("  \n,").is_empty());
        assert_eq!(parse_count("1_000_000"), Some(1_000_000));
        assert_eq!(parse_count("-1"), None);
    }
}
