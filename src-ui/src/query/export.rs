//! The export bar under the results: writes the current result's whole statement (not only the
//! rows shown) to a CSV or Parquet file at a path the person types.

use datagata_ipc::command;
use datagata_ipc::data::{ExportDone, ExportFormat, ExportRequest, thousands};
use yew::prelude::*;

use super::{RequestArgs, Shared, input_value};
use crate::bridge::{self, dialog};

#[derive(Properties, PartialEq)]
pub struct ExportBarProps {
    pub result: Shared,
}

#[derive(Clone, PartialEq)]
enum Outcome {
    Idle,
    Writing(ExportFormat),
    Done(ExportDone),
    Failed(String),
}

#[function_component(ExportBar)]
pub fn export_bar(props: &ExportBarProps) -> Html {
    let path = use_state(String::new);
    let outcome = use_state(|| Outcome::Idle);
    let on_path = {
        let path = path.clone();
        Callback::from(move |e: InputEvent| path.set(input_value(&e)))
    };
    let export = |format: ExportFormat| {
        let path = path.clone();
        let outcome = outcome.clone();
        let result = props.result.clone();
        Callback::from(move |_: MouseEvent| {
            let target_path = path.trim().to_string();
            if target_path.is_empty() {
                outcome.set(Outcome::Failed(
                    "Enter the absolute path of the file to write.".into(),
                ));
                return;
            }
            outcome.set(Outcome::Writing(format));
            let outcome = outcome.clone();
            let request = ExportRequest {
                sql: result.sql.clone(),
                target: result.target,
                format,
                path: target_path,
            };
            wasm_bindgen_futures::spawn_local(async move {
                let answer = bridge::invoke::<_, ExportDone>(
                    command::EXPORT_RESULT,
                    &RequestArgs { request: &request },
                )
                .await;
                outcome.set(match answer {
                    Ok(done) => Outcome::Done(done),
                    Err(e) => Outcome::Failed(e),
                });
            });
        })
    };
    let on_choose = {
        let path = path.clone();
        let outcome = outcome.clone();
        Callback::from(move |_: MouseEvent| {
            let (path, outcome) = (path.clone(), outcome.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let filters = [
                    dialog::Filter {
                        name: "CSV",
                        extensions: &["csv"],
                    },
                    dialog::Filter {
                        name: "Parquet",
                        extensions: &["parquet"],
                    },
                ];
                match dialog::save_path("Export the result", &filters, "result.csv").await {
                    Ok(Some(p)) => path.set(p),
                    Ok(None) => {}
                    Err(e) => outcome.set(Outcome::Failed(e)),
                }
            });
        })
    };
    let busy = matches!(*outcome, Outcome::Writing(_));
    html! {
        <div class="export" id="export-bar">
            <label class="inline">{ "Export to " }
                <input id="export-path" type="text" class="path" spellcheck="false"
                    placeholder="/home/you/Downloads/result.csv" value={ (*path).clone() } oninput={ on_path } />
            </label>
            <button id="export-choose" type="button" disabled={ busy } onclick={ on_choose }
                title="Choose the file in the system's Save dialog">{ "Choose…" }</button>
            <button id="export-csv" type="button" disabled={ busy } onclick={ export(ExportFormat::Csv) }>{ "CSV" }</button>
            <button id="export-parquet" type="button" disabled={ busy } onclick={ export(ExportFormat::Parquet) }>{ "Parquet" }</button>
            { match &*outcome {
                Outcome::Idle => html! {},
                Outcome::Writing(f) => html! {
                    <span class="busy">{ format!("Writing {}…", if *f == ExportFormat::Csv { "CSV" } else { "Parquet" }) }</span>
                },
                Outcome::Done(d) => html! {
                    <span class="ok" id="export-done">{ format!("Wrote {} rows to {}", thousands(d.rows), d.path) }</span>
                },
                Outcome::Failed(e) => html! { <span class="error" id="export-error">{ e.clone() }</span> },
            } }
        </div>
    }
}
