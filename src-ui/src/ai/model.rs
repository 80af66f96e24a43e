//! The local model: whether its files are downloaded, downloading and loading it with a progress
//! bar, deleting it, and model folders imported from disk (served by the app, for machines without
//! internet). [`ModelLoader`] is shared with the question flow, which loads the model the same way
//! (and so moves the same progress bar) when a local question needs it.

use std::cell::RefCell;
use std::rc::Rc;

use datagata_ipc::ai::{AiPanelView, ImportModelRequest, ImportedModel};
use datagata_ipc::command;
use serde::Serialize;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::format;
use crate::bridge::{self, LoadProgress};
use crate::query::RequestArgs;

/// The model's state, shared by the model panel and the question flow.
#[derive(Clone, PartialEq)]
pub struct ModelLoader {
    /// `Some` while a load is under way.
    pub progress: UseStateHandle<Option<LoadProgress>>,
    /// `None` while checking; whether the model's files are in the browser cache.
    pub cached: UseStateHandle<Option<Result<bool, String>>>,
    /// The model loaded onto the GPU in this window, if any.
    loaded: Rc<RefCell<Option<String>>>,
}

impl ModelLoader {
    pub fn is_loaded(&self, model: &str) -> bool {
        self.loaded.borrow().as_deref() == Some(model)
    }

    pub fn loading(&self) -> bool {
        self.progress.is_some()
    }

    /// Downloads (when needed) and loads `model`, moving the progress bar as it goes.
    pub async fn load(&self, model: &str) -> Result<(), String> {
        self.progress.set(Some(LoadProgress::default()));
        let progress = self.progress.clone();
        let outcome = bridge::llm_load(model, move |p| progress.set(Some(p))).await;
        self.progress.set(None);
        if outcome.is_ok() {
            *self.loaded.borrow_mut() = Some(model.to_string());
            self.cached.set(Some(Ok(true)));
        }
        outcome
    }

    /// Deletes the model's files (and forgets it was loaded).
    pub async fn delete(&self, model: &str) -> Result<(), String> {
        bridge::llm_delete_model(model).await?;
        *self.loaded.borrow_mut() = None;
        self.cached.set(Some(Ok(false)));
        Ok(())
    }
}

/// The model state for `model` (`None` while the flags do not offer local AI), telling the bridge
/// which folders the app serves and checking the cache whenever either changes.
#[hook]
pub fn use_model_loader(model: Option<String>, imported: Vec<ImportedModel>) -> ModelLoader {
    let loader = ModelLoader {
        progress: use_state(|| None),
        cached: use_state(|| None),
        loaded: use_mut_ref(|| None),
    };
    {
        let cached = loader.cached.clone();
        use_effect_with((model, imported), move |(model, imported)| {
            cached.set(None);
            if let Some(model) = model.clone() {
                let imported = imported.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let known = match bridge::llm_set_local_models(&imported) {
                        Ok(()) => bridge::llm_is_cached(&model).await,
                        Err(e) => Err(e),
                    };
                    cached.set(Some(known));
                });
            }
        });
    }
    loader
}

/// What the local option's status adds about the model, when local AI can answer.
pub fn download_note(
    model: &str,
    cached: Option<&Result<bool, String>>,
    imported: &[ImportedModel],
    online: bool,
) -> Option<String> {
    if imported.iter().any(|m| m.model_id == model) {
        return None;
    }
    match cached {
        Some(Ok(false)) if !online => Some(format!(
            "but {model} is not downloaded and this computer is offline: import a model folder below"
        )),
        Some(Ok(false)) => Some(format!(
            "{model} is not downloaded yet; the first question downloads it (or use Download below)"
        )),
        _ => None,
    }
}

/// `{ "modelId": "…" }`
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelIdArgs {
    model_id: String,
}

#[derive(Properties, PartialEq)]
pub struct ModelPanelProps {
    pub model: AttrValue,
    pub loader: ModelLoader,
    pub imported: Vec<ImportedModel>,
    /// Whether WebLLM answers local questions here (else the native engine does).
    pub answers: bool,
    /// Local AI can answer here (else Download is off; the option says why).
    pub can_load: bool,
    /// The panel after an import or a forget.
    pub on_panel: Callback<AiPanelView>,
}

#[derive(Properties, PartialEq)]
struct ImportedListProps {
    imported: Vec<ImportedModel>,
    model: AttrValue,
    on_panel: Callback<AiPanelView>,
    on_error: Callback<Option<String>>,
}

/// Import a folder by its path, and the folders imported so far with Forget.
#[function_component(ImportedList)]
fn imported_list(props: &ImportedListProps) -> Html {
    let path = use_state(String::new);
    let busy = use_state(|| false);
    let run = {
        let (busy, on_panel, on_error) =
            (busy.clone(), props.on_panel.clone(), props.on_error.clone());
        move |work: std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<AiPanelView, String>>>,
        >| {
            let (busy, on_panel, on_error) = (busy.clone(), on_panel.clone(), on_error.clone());
            busy.set(true);
            on_error.emit(None);
            wasm_bindgen_futures::spawn_local(async move {
                match work.await {
                    Ok(view) => on_panel.emit(view),
                    Err(e) => on_error.emit(Some(e)),
                }
                busy.set(false);
            });
        }
    };
    let on_path = {
        let path = path.clone();
        Callback::from(move |e: InputEvent| {
            path.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_import = {
        let (run, path) = (run.clone(), path.clone());
        Callback::from(move |_: MouseEvent| {
            let request = ImportModelRequest {
                path: path.trim().to_string(),
            };
            run(Box::pin(async move {
                bridge::invoke(
                    command::IMPORT_MODEL_FOLDER,
                    &RequestArgs { request: &request },
                )
                .await
            }));
        })
    };
    html! {
        <div class="model-folders-panel">
            <div class="model-import">
                <input id="model-folder-path" type="text" value={ (*path).clone() } oninput={ on_path }
                    placeholder="/path/to/Llama-3.2-3B-Instruct-q4f16_1-MLC" spellcheck="false" />
                <button id="model-folder-import" type="button" onclick={ on_import }
                    disabled={ *busy || path.trim().is_empty() }>{ "Import model folder" }</button>
            </div>
            <ul class="model-folders" id="model-folders">
                { for props.imported.iter().map(|m| {
                    let model_id = m.model_id.clone();
                    let on_forget = {
                        let run = run.clone();
                        Callback::from(move |_: MouseEvent| {
                            let args = ModelIdArgs { model_id: model_id.clone() };
                            run(Box::pin(async move {
                                bridge::invoke(command::FORGET_MODEL_FOLDER, &args).await
                            }));
                        })
                    };
                    let used = m.model_id == props.model.as_str();
                    html! {
                        <li class="model-folder" data-model={ m.model_id.clone() }>
                            <code>{ m.model_id.clone() }</code>
                            <span class="muted small">{ format!("{} · {} files · {}", m.path, m.files, format::bytes(m.bytes as f64)) }</span>
                            if m.model_lib_url.is_none() {
                                <span class="small warn">{ "no .wasm library in the folder: WebLLM's prebuilt one is downloaded" }</span>
                            }
                            if used {
                                <span class="small ok">{ "used for local answers" }</span>
                            }
                            <button type="button" class="model-folder-forget" disabled={ *busy } onclick={ on_forget }>{ "Forget" }</button>
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}

/// `#model-status`, Download/Load and Delete, and the progress bar while loading.
#[function_component(ModelPanel)]
pub fn model_panel(props: &ModelPanelProps) -> Html {
    let deleting = use_state(|| false);
    let error = use_state(|| None::<String>);
    let on_error = {
        let error = error.clone();
        Callback::from(move |e: Option<String>| error.set(e))
    };
    let loader = &props.loader;
    let cached = match &*loader.cached {
        Some(Ok(c)) => Some(*c),
        _ => None,
    };
    let loaded = loader.is_loaded(&props.model);

    let on_download = {
        let loader = loader.clone();
        let model = props.model.clone();
        let error = error.clone();
        Callback::from(move |_: MouseEvent| {
            let (loader, model, error) = (loader.clone(), model.clone(), error.clone());
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = loader.load(&model).await {
                    error.set(Some(format!("Could not load {model}: {e}")));
                }
            });
        })
    };
    let on_delete = {
        let loader = loader.clone();
        let model = props.model.clone();
        let (deleting, error) = (deleting.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let question = format!(
                "Delete the downloaded files of {model}? It will have to be downloaded again to answer locally."
            );
            let sure = web_sys::window()
                .and_then(|w| w.confirm_with_message(&question).ok())
                .unwrap_or(false);
            if !sure {
                return;
            }
            let (loader, model) = (loader.clone(), model.clone());
            let (deleting, error) = (deleting.clone(), error.clone());
            deleting.set(true);
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = loader.delete(&model).await {
                    error.set(Some(format!("Could not delete {model}: {e}")));
                }
                deleting.set(false);
            });
        })
    };

    let (status, status_class) = match &*loader.cached {
        None => ("Checking…".to_string(), "muted"),
        Some(Ok(true)) => ("Downloaded".to_string(), "ok"),
        Some(Ok(false)) => ("Not downloaded".to_string(), "muted"),
        Some(Err(e)) => (format!("Unknown: {e}"), "error"),
    };
    let busy = loader.loading() || *deleting;
    let download_label = match (loaded, cached) {
        (true, _) => "Loaded",
        (false, Some(true)) => "Load",
        _ => "Download",
    };
    html! {
        <div class="model-manage" id="model-manage">
            if !props.answers {
                <h3>{ "WebLLM (answers where the WebView has WebGPU)" }</h3>
            }
            <p class="model-line">
                { "Local model files: " }
                <span id="model-status" class={ status_class }>{ status }</span>
                if loaded {
                    <span class="muted">{ " · loaded on the GPU" }</span>
                }
            </p>
            <div class="toolbar">
                <button id="model-download" type="button" class="primary" onclick={ on_download }
                    disabled={ busy || loaded || !props.can_load || loader.cached.is_none() }>
                    { download_label }
                </button>
                <button id="model-delete" type="button" onclick={ on_delete }
                    disabled={ busy || cached != Some(true) }>
                    { if *deleting { "Deleting…" } else { "Delete" } }
                </button>
            </div>
            if let Some(p) = &*loader.progress {
                <div class="model-progress">
                    <progress id="model-progress" value={ format::fraction(p.progress).to_string() } max="1" />
                    <span id="model-progress-text">{ format::progress_text(p) }</span>
                    if !p.text.is_empty() {
                        <span class="muted small" id="model-progress-detail">{ format::phase(&p.text) }</span>
                    }
                </div>
            }
            if let Some(e) = &*error {
                <p class="error" id="model-error">{ e.clone() }</p>
            }
            <ImportedList imported={ props.imported.clone() } model={ props.model.clone() }
                on_panel={ props.on_panel.clone() } on_error={ on_error } />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(id: &str) -> ImportedModel {
        ImportedModel {
            model_id: id.into(),
            path: format!("/models/{id}"),
            files: 4,
            bytes: 10,
            model_url: format!("dgmodel://localhost/{id}/"),
            model_lib_url: None,
        }
    }

    #[test]
    fn the_note_says_what_a_missing_download_means() {
        let m = "Llama-3.2-3B-Instruct-q4f16_1-MLC";
        let not_cached = Ok(false);
        assert!(
            download_note(m, Some(&not_cached), &[], true)
                .unwrap()
                .ends_with(
                    "is not downloaded yet; the first question downloads it (or use Download below)"
                )
        );
        assert!(
            download_note(m, Some(&not_cached), &[], false)
                .unwrap()
                .contains("offline: import a model folder")
        );
        assert_eq!(download_note(m, Some(&Ok(true)), &[], false), None);
        assert_eq!(download_note(m, None, &[], true), None);
        assert_eq!(
            download_note(m, Some(&not_cached), &[folder(m)], false),
            None
        );
        assert!(download_note(m, Some(&not_cached), &[folder("Other-MLC")], true).is_some());
    }
}
