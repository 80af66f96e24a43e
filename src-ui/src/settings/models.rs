//! Settings → AI: the models on this machine — the native engine's GGUF files and the WebLLM
//! model folders served from disk — with their disk use, and Delete (a file the app downloaded)
//! or Forget (a file or folder imported from elsewhere, left where it is). The same backend
//! commands as the Ask tab's panels (`remove_gguf`, `forget_model_folder`).

use datagata_ipc::ai::{AiPanelView, GgufOrigin, GgufPathRequest, LocalRuntime};
use datagata_ipc::command;
use datagata_ipc::data::bytes;
use serde::Serialize;
use yew::prelude::*;

use crate::bridge;
use crate::machine::NoArgs;
use crate::query::RequestArgs;

/// What can be done to a model from Settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Removes the file (the app downloaded it).
    Delete,
    /// The app stops using it; its files stay.
    Forget,
    /// Not the app's: found in `DATAGATA_MODELS_DIR`.
    None,
}

/// One model on this machine, as Settings lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRow {
    /// `gguf` or `webllm`.
    pub runtime: &'static str,
    pub name: String,
    /// Where it is, in words.
    pub place: String,
    pub bytes: u64,
    /// Answers local questions now.
    pub used: bool,
    pub action: Action,
    /// What the action needs: the GGUF's path, or the folder's model id.
    pub key: String,
}

/// The models `view` knows of, GGUF files first, and their disk use together (files the app
/// only points to count too: they are on this machine).
pub fn model_rows(view: &AiPanelView) -> (Vec<ModelRow>, u64) {
    let gguf = &view.native.gguf;
    let mut rows: Vec<ModelRow> = gguf
        .files
        .iter()
        .map(|f| ModelRow {
            runtime: "gguf",
            name: f.name.clone(),
            place: match f.origin {
                GgufOrigin::Downloaded => format!("downloaded into {}", gguf.download_dir),
                GgufOrigin::Imported => format!("imported: {}", f.path),
                GgufOrigin::Provided => format!("from DATAGATA_MODELS_DIR: {}", f.path),
            },
            bytes: f.bytes,
            used: f.used,
            action: match f.origin {
                GgufOrigin::Downloaded => Action::Delete,
                GgufOrigin::Imported => Action::Forget,
                GgufOrigin::Provided => Action::None,
            },
            key: f.path.clone(),
        })
        .collect();
    rows.extend(view.local_models.iter().map(|m| ModelRow {
        runtime: "webllm",
        name: m.model_id.clone(),
        place: format!("WebLLM folder: {} ({} files)", m.path, m.files),
        bytes: m.bytes,
        used: view.local_runtime == LocalRuntime::WebLlm && m.model_id == view.webllm_model,
        action: Action::Forget,
        key: m.model_id.clone(),
    }));
    let total = rows.iter().map(|r| r.bytes).sum();
    (rows, total)
}

/// `{ "modelId": "…" }`
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelIdArgs<'a> {
    model_id: &'a str,
}

async fn act(row: ModelRow) -> Result<AiPanelView, String> {
    match row.runtime {
        "gguf" => {
            let request = GgufPathRequest { path: row.key };
            bridge::invoke(command::REMOVE_GGUF, &RequestArgs { request: &request }).await
        }
        _ => {
            bridge::invoke(
                command::FORGET_MODEL_FOLDER,
                &ModelIdArgs { model_id: &row.key },
            )
            .await
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ModelsSectionProps {
    /// True while Settings shows: the list is read again each time.
    pub active: bool,
}

#[function_component(ModelsSection)]
pub fn models_section(props: &ModelsSectionProps) -> Html {
    let view = use_state(|| None::<Result<AiPanelView, String>>);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    // The row whose Delete waits for a second click.
    let confirming = use_state(|| None::<String>);
    {
        let view = view.clone();
        use_effect_with(props.active, move |active| {
            if *active {
                wasm_bindgen_futures::spawn_local(async move {
                    view.set(Some(bridge::invoke(command::AI_PANEL, &NoArgs {}).await));
                });
            }
        });
    }
    let v = match &*view {
        None => return html! { <p class="muted">{ "Reading…" }</p> },
        Some(Err(e)) => return html! { <p class="error">{ e.clone() }</p> },
        Some(Ok(v)) => v,
    };
    let (rows, total) = model_rows(v);
    let on_act = |row: &ModelRow| {
        let (view, busy, error, confirming, row) = (
            view.clone(),
            busy.clone(),
            error.clone(),
            confirming.clone(),
            row.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if row.action == Action::Delete && confirming.as_deref() != Some(row.key.as_str()) {
                confirming.set(Some(row.key.clone()));
                return;
            }
            confirming.set(None);
            busy.set(true);
            error.set(None);
            let (view, busy, error, row) = (view.clone(), busy.clone(), error.clone(), row.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match act(row).await {
                    Ok(next) => view.set(Some(Ok(next))),
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        })
    };
    html! {
        <>
            <dl class="facts">
                <dt>{ "Provider" }</dt><dd id="settings-provider">{ format!("{:?}", v.chosen).to_lowercase() }</dd>
                <dt>{ "Local questions" }</dt><dd id="settings-runtime">{ v.local_runtime_reason.clone() }</dd>
                <dt>{ "Change them" }</dt><dd>{ "on the Ask tab" }</dd>
                <dt>{ "Models on this machine" }</dt>
                <dd id="settings-models-total">{ format!("{} model{}, {}", rows.len(), if rows.len() == 1 { "" } else { "s" }, bytes(total)) }</dd>
            </dl>
            if rows.is_empty() {
                <p class="muted" id="settings-models-none">{ "No model files yet: download or import one on the Ask tab." }</p>
            } else {
                <ul class="model-list" id="settings-models">
                    { for rows.iter().map(|r| {
                        let asking = confirming.as_deref() == Some(r.key.as_str());
                        html! {
                            <li class="model-folder settings-model" data-runtime={ r.runtime } data-name={ r.name.clone() }>
                                <code>{ r.name.clone() }</code>
                                <span class="muted small">{ format!("{} · {}", bytes(r.bytes), r.place) }</span>
                                if r.used { <span class="badge ok">{ "in use" }</span> }
                                { match r.action {
                                    Action::None => html! {},
                                    Action::Delete => html! {
                                        <button type="button" class="settings-model-action" disabled={ *busy } onclick={ on_act(r) }
                                            aria-label={ format!("Delete {}", r.name) }>
                                            { if asking { format!("Delete {} for good?", bytes(r.bytes)) } else { "Delete".to_string() } }
                                        </button>
                                    },
                                    Action::Forget => html! {
                                        <button type="button" class="settings-model-action" disabled={ *busy } onclick={ on_act(r) }
                                            aria-label={ format!("Forget {} (its files stay)", r.name) }>{ "Forget" }</button>
                                    },
                                } }
                            </li>
                        }
                    }) }
                </ul>
            }
            <div role="alert">
                if let Some(e) = &*error {
                    <p class="error" id="settings-models-error">{ e.clone() }</p>
                }
            </div>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datagata_ipc::ai::{GgufFile, ImportedModel};

    fn view() -> AiPanelView {
        let json = serde_json::json!({
            "configKey": "ai-config", "variationKey": "webllm", "version": 1,
            "explanation": "", "defaultChoice": "local", "chosen": "local", "options": [],
            "localModel": "m", "webllmModel": "Qwen2.5-0.5B-Instruct-q4f16_1-MLC", "cloudModel": "c",
            "localModels": [], "localRuntime": "llama.cpp", "runtimePin": "auto",
            "localRuntimeReason": "", "native": {
                "backend": "CPU", "threads": 2, "loaded": false,
                "gguf": { "files": [], "memoryAvailableBytes": 0, "downloadDir": "/data/models" }
            }
        });
        serde_json::from_value(json).expect("an AiPanelView")
    }

    #[test]
    fn every_model_with_its_disk_use_and_what_can_be_done() {
        let mut v = view();
        let file = |name: &str, origin, used| GgufFile {
            name: name.into(),
            path: format!("/somewhere/{name}"),
            bytes: 100_000_000,
            origin,
            used,
            pinned: false,
        };
        v.native.gguf.files = vec![
            file("a.gguf", GgufOrigin::Downloaded, true),
            file("b.gguf", GgufOrigin::Imported, false),
            file("c.gguf", GgufOrigin::Provided, false),
        ];
        v.local_models = vec![ImportedModel {
            model_id: "Qwen2.5-0.5B-Instruct-q4f16_1-MLC".into(),
            path: "/models/qwen".into(),
            files: 12,
            bytes: 280_000_000,
            model_url: String::new(),
            model_lib_url: None,
        }];
        let (rows, total) = model_rows(&v);
        assert_eq!(total, 580_000_000);
        let actions: Vec<_> = rows.iter().map(|r| (r.runtime, r.action, r.used)).collect();
        assert_eq!(
            actions,
            [
                ("gguf", Action::Delete, true),
                ("gguf", Action::Forget, false),
                ("gguf", Action::None, false),
                ("webllm", Action::Forget, false),
            ]
        );
        assert_eq!(rows[0].place, "downloaded into /data/models");
        assert_eq!(rows[0].key, "/somewhere/a.gguf");
        assert_eq!(rows[3].key, "Qwen2.5-0.5B-Instruct-q4f16_1-MLC");
        // The folder answers only where WebLLM is the runtime.
        v.local_runtime = LocalRuntime::WebLlm;
        assert!(model_rows(&v).0[3].used);
        assert_eq!(model_rows(&view()), (vec![], 0));
    }
}
