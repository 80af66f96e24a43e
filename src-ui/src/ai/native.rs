//! The native engine's panel: which runtime answers a local question here and why, the GGUF file
//! it runs (and its size), the backend and threads, or why it cannot run; the GGUF the AI Config
//! names with its size and the memory it needs before a download starts, the download's progress
//! (bytes, percent, speed, time left) with Cancel, a partial download that says so and resumes;
//! the GGUF files on this machine (Use, Delete with the disk it frees, Forget), and importing a
//! file from disk (the native file dialog, or a typed path).

use std::cell::Cell;
use std::rc::Rc;

use datagata_ipc::ai::{
    AiPanelView, GgufDownload, GgufFile, GgufOffer, GgufOrigin, GgufPathRequest, GgufState,
    NativeEngineView,
};
use datagata_ipc::{command, event};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::format;
use crate::{bridge, machine::NoArgs, query::RequestArgs};

#[derive(Properties, PartialEq)]
pub struct NativePanelProps {
    pub view: NativeEngineView,
    /// Why this runtime answers, in words.
    pub reason: String,
    /// The panel after a download, an import, a Use or a removal.
    pub on_panel: Callback<AiPanelView>,
}

/// "98.4 MB download · needs about 348 MB of memory (12.3 GB free)".
pub fn offer_sizes(offer: &GgufOffer, memory_available: u64) -> String {
    let mut parts = Vec::new();
    if let Some(bytes) = offer.bytes {
        parts.push(format!("{} download", format::bytes(bytes as f64)));
    }
    if let Some(memory) = offer.memory_bytes {
        let mut need = format!("needs about {} of memory", format::bytes(memory as f64));
        if memory_available > 0 {
            need.push_str(&format!(
                " ({} free{})",
                format::bytes(memory_available as f64),
                if memory > memory_available {
                    ": not enough now"
                } else {
                    ""
                }
            ));
        }
        parts.push(need);
    }
    parts.join(" · ")
}

/// The offer's state in words.
pub fn offer_state(offer: &GgufOffer) -> String {
    match offer.state {
        GgufState::Present => "on this machine".into(),
        GgufState::Downloading => "downloading…".into(),
        GgufState::Missing => "not downloaded".into(),
        GgufState::Partial { bytes } => match offer.bytes {
            Some(total) => format!(
                "partly downloaded: {} of {} (Download resumes it)",
                format::bytes(bytes as f64),
                format::bytes(total as f64)
            ),
            None => format!(
                "partly downloaded: {} (Download resumes it)",
                format::bytes(bytes as f64)
            ),
        },
    }
}

/// A download's progress line: "42% · 41.3 MB of 98.4 MB · 8.5 MB/s · 7 s left".
pub fn download_text(d: &GgufDownload) -> String {
    if d.verifying {
        return format!("checking the SHA-256 of {}…", format::bytes(d.bytes as f64));
    }
    let fraction = d
        .total
        .filter(|t| *t > 0)
        .map_or(0.0, |t| d.bytes as f64 / t as f64);
    format::transfer_text(
        fraction,
        Some(d.bytes as f64),
        d.total.map(|t| t as f64),
        d.bytes_per_second,
        d.eta_seconds,
    )
}

fn origin_text(f: &GgufFile, download_dir: &str) -> String {
    match f.origin {
        GgufOrigin::Downloaded => format!("downloaded into {download_dir}"),
        GgufOrigin::Provided => "from DATAGATA_MODELS_DIR".into(),
        GgufOrigin::Imported => format!("imported from {}", f.path),
    }
}

type Work = std::pin::Pin<Box<dyn std::future::Future<Output = Result<AiPanelView, String>>>>;

#[function_component(NativePanel)]
pub fn native_panel(props: &NativePanelProps) -> Html {
    let v = &props.view;
    let gguf = &v.gguf;
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let note = use_state(|| None::<String>);
    let live = use_state(|| None::<GgufDownload>);
    let path = use_state(String::new);
    let cancelled: Rc<Cell<bool>> = use_memo((), |_| Cell::new(false));
    let confirming = use_state(|| None::<String>);

    // Runs one panel-changing command; on failure the error shows and the panel is read again
    // (a cancelled download leaves a partial file the panel should show).
    let run = {
        let (busy, error, note, on_panel) = (
            busy.clone(),
            error.clone(),
            note.clone(),
            props.on_panel.clone(),
        );
        move |work: Work| {
            let (busy, error, note, on_panel) =
                (busy.clone(), error.clone(), note.clone(), on_panel.clone());
            busy.set(true);
            error.set(None);
            note.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                match work.await {
                    Ok(view) => on_panel.emit(view),
                    Err(e) => {
                        error.set(Some(e));
                        if let Ok(view) =
                            bridge::invoke::<_, AiPanelView>(command::AI_PANEL, &NoArgs {}).await
                        {
                            on_panel.emit(view);
                        }
                    }
                }
                busy.set(false);
            });
        }
    };

    let on_download = {
        let (run, live, cancelled, note) =
            (run.clone(), live.clone(), cancelled.clone(), note.clone());
        Callback::from(move |_: MouseEvent| {
            let (live, cancelled, note) = (live.clone(), cancelled.clone(), note.clone());
            cancelled.set(false);
            run(Box::pin(async move {
                let shown = live.clone();
                let listener = bridge::listen(event::GGUF_DOWNLOAD, move |p: GgufDownload| {
                    shown.set(Some(p))
                })
                .await
                .ok();
                let outcome =
                    bridge::invoke::<_, AiPanelView>(command::DOWNLOAD_GGUF, &NoArgs {}).await;
                drop(listener);
                live.set(None);
                match outcome {
                    Err(e) if cancelled.get() => {
                        // Said as a note, not an error: the person asked for it.
                        note.set(Some(e));
                        bridge::invoke::<_, AiPanelView>(command::AI_PANEL, &NoArgs {}).await
                    }
                    other => other,
                }
            }));
        })
    };
    let on_cancel = {
        let cancelled = cancelled.clone();
        Callback::from(move |_: MouseEvent| {
            cancelled.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let _ = bridge::invoke::<_, ()>(command::CANCEL_GGUF_DOWNLOAD, &NoArgs {}).await;
            });
        })
    };
    let path_command = {
        let run = run.clone();
        move |name: &'static str, path: String| {
            let request = GgufPathRequest { path };
            run(Box::pin(async move {
                bridge::invoke(name, &RequestArgs { request: &request }).await
            }));
        }
    };
    let on_path = {
        let path = path.clone();
        Callback::from(move |e: InputEvent| {
            path.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_import = {
        let (path_command, path) = (path_command.clone(), path.clone());
        Callback::from(move |_: MouseEvent| {
            path_command(command::IMPORT_GGUF, path.trim().to_string())
        })
    };
    let on_pick = {
        let (run, path) = (run.clone(), path.clone());
        Callback::from(move |_: MouseEvent| {
            let path = path.clone();
            run(Box::pin(async move {
                let picked =
                    bridge::invoke::<_, Option<String>>(command::PICK_GGUF_FILE, &NoArgs {})
                        .await?;
                match picked {
                    Some(file) => {
                        path.set(file.clone());
                        let request = GgufPathRequest { path: file };
                        bridge::invoke(command::IMPORT_GGUF, &RequestArgs { request: &request })
                            .await
                    }
                    None => bridge::invoke(command::AI_PANEL, &NoArgs {}).await,
                }
            }));
        })
    };

    let progress = (*live).clone().or_else(|| gguf.download.clone());
    let downloading = progress.is_some();
    html! {
        <div class="ai-native" id="ai-native">
            <h3>{ "Local runtime: llama.cpp (native engine)" }</h3>
            <p class="muted" id="ai-native-reason">{ props.reason.clone() }</p>
            <dl class="facts">
                <dt>{ "Model file" }</dt>
                <dd id="ai-native-model">{ v.model_file.clone().unwrap_or_else(|| "none".into()) }</dd>
                if let Some(bytes) = v.model_bytes {
                    <dt>{ "Size" }</dt>
                    <dd id="ai-native-size">{ format::bytes(bytes as f64) }</dd>
                }
                <dt>{ "Backend" }</dt>
                <dd id="ai-native-backend">{ format!("{} · {} threads", v.backend, v.threads) }</dd>
                <dt>{ "State" }</dt>
                <dd id="ai-native-state">{ if v.loaded { "loaded" } else { "loads on the first question" } }</dd>
            </dl>
            if let Some(problem) = &v.problem {
                <p class="error" id="ai-native-problem">{ problem.clone() }</p>
            }
            if let Some(offer) = &gguf.offer {
                <div class="gguf-offer" id="gguf-offer" data-state={ format!("{:?}", offer.state) }>
                    <p class="model-line">
                        { "The AI Config's model: " }<code>{ offer.name.clone() }</code>
                        { " — " }<span id="gguf-offer-state">{ offer_state(offer) }</span>
                    </p>
                    <p class="muted small" id="gguf-offer-sizes">{ offer_sizes(offer, gguf.memory_available_bytes) }</p>
                    if let Some(url) = &offer.url {
                        <p class="muted small">{ "From " }<code id="gguf-offer-url">{ url.clone() }</code>
                            if offer.sha256.is_some() { { " · SHA-256 checked" } }
                        </p>
                    }
                    <div class="toolbar">
                        if offer.state != GgufState::Present {
                            <button id="gguf-download" type="button" class="primary" onclick={ on_download }
                                disabled={ *busy || downloading || offer.url.is_none() }>
                                { if matches!(offer.state, GgufState::Partial { .. }) { "Resume download" } else { "Download" } }
                            </button>
                        }
                        if downloading {
                            <button id="gguf-cancel" type="button" onclick={ on_cancel }>{ "Cancel" }</button>
                        }
                        if let (GgufState::Partial { bytes }, false) = (offer.state, downloading) {
                            <button id="gguf-delete-partial" type="button" disabled={ *busy } onclick={
                                let (path_command, dir, name) = (path_command.clone(), gguf.download_dir.clone(), offer.name.clone());
                                Callback::from(move |_: MouseEvent| path_command(command::REMOVE_GGUF, format!("{dir}/{name}.part")))
                            }>{ format!("Delete the partial download ({})", format::bytes(bytes as f64)) }</button>
                        }
                    </div>
                    if let Some(p) = &progress {
                        <div class="model-progress">
                            <progress id="gguf-progress" max="1" value={
                                p.total.filter(|t| *t > 0).map_or(0.0, |t| p.bytes as f64 / t as f64).to_string()
                            } />
                            <span id="gguf-progress-text">{ download_text(p) }</span>
                        </div>
                    }
                </div>
            }
            if let Some(e) = &*error {
                <p class="error" id="gguf-error">{ e.clone() }</p>
            }
            if let Some(n) = &*note {
                <p class="muted" id="gguf-note">{ n.clone() }</p>
            }
            <ul class="model-folders" id="gguf-files">
                { for gguf.files.iter().map(|f| {
                    let use_it = {
                        let (run, p) = (path_command.clone(), f.path.clone());
                        Callback::from(move |_: MouseEvent| run(command::USE_GGUF, p.clone()))
                    };
                    // Deleting a download asks once more in the page, saying what it frees.
                    let asking = confirming.as_deref() == Some(f.path.as_str());
                    let remove = {
                        let (run, p, confirming) = (path_command.clone(), f.path.clone(), confirming.clone());
                        let ask = f.origin == GgufOrigin::Downloaded && !asking;
                        Callback::from(move |_: MouseEvent| {
                            if ask {
                                confirming.set(Some(p.clone()));
                            } else {
                                confirming.set(None);
                                run(command::REMOVE_GGUF, p.clone())
                            }
                        })
                    };
                    html! {
                        <li class="model-folder gguf-file" data-name={ f.name.clone() } data-origin={ format!("{:?}", f.origin) }>
                            <code>{ f.name.clone() }</code>
                            <span class="muted small">{ format!("{} · {}", format::bytes(f.bytes as f64), origin_text(f, &gguf.download_dir)) }</span>
                            if f.used {
                                <span class="small ok gguf-used">{ if f.pinned { "answers local questions (your pick)" } else { "answers local questions" } }</span>
                            } else {
                                <button type="button" class="gguf-use" disabled={ *busy } onclick={ use_it }>{ "Use" }</button>
                            }
                            { match f.origin {
                                GgufOrigin::Downloaded => html! {
                                    <button type="button" class="gguf-remove" disabled={ *busy } onclick={ remove }>
                                        { if asking {
                                            format!("Really delete? It frees {}", format::bytes(f.bytes as f64))
                                        } else {
                                            format!("Delete ({})", format::bytes(f.bytes as f64))
                                        } }
                                    </button>
                                },
                                GgufOrigin::Imported => html! {
                                    <button type="button" class="gguf-remove" disabled={ *busy } onclick={ remove }>{ "Forget" }</button>
                                },
                                GgufOrigin::Provided => html! {},
                            } }
                        </li>
                    }
                }) }
            </ul>
            <div class="model-import">
                <button id="gguf-pick" type="button" disabled={ *busy } onclick={ on_pick }>{ "Choose a GGUF file…" }</button>
                <input id="gguf-path" type="text" value={ (*path).clone() } oninput={ on_path }
                    placeholder="/path/to/model.gguf" spellcheck="false" aria-label="GGUF file path" />
                <button id="gguf-import" type="button" onclick={ on_import }
                    disabled={ *busy || path.trim().is_empty() }>{ "Import GGUF file" }</button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(state: GgufState) -> GgufOffer {
        GgufOffer {
            name: "m.gguf".into(),
            url: Some("http://127.0.0.1/m.gguf".into()),
            bytes: Some(98_362_432),
            sha256: None,
            memory_bytes: Some(348_362_432),
            state,
        }
    }

    #[test]
    fn the_offer_says_size_memory_and_a_partial_download() {
        assert_eq!(
            offer_sizes(&offer(GgufState::Missing), 12_300_000_000),
            "98.4 MB download · needs about 348 MB of memory (12.3 GB free)"
        );
        assert_eq!(
            offer_sizes(&offer(GgufState::Missing), 200_000_000),
            "98.4 MB download · needs about 348 MB of memory (200 MB free: not enough now)"
        );
        assert_eq!(
            offer_state(&offer(GgufState::Partial { bytes: 41_300_000 })),
            "partly downloaded: 41.3 MB of 98.4 MB (Download resumes it)"
        );
        assert_eq!(offer_state(&offer(GgufState::Present)), "on this machine");
    }

    #[test]
    fn a_download_line_has_bytes_percent_speed_and_time_left() {
        let d = GgufDownload {
            name: "m.gguf".into(),
            bytes: 41_300_000,
            total: Some(98_362_432),
            bytes_per_second: Some(8_500_000.0),
            eta_seconds: Some(6.7),
            verifying: false,
        };
        assert_eq!(
            download_text(&d),
            "41% · 41.3 MB of 98.4 MB · 8.5 MB/s · 7 s left"
        );
        let checking = GgufDownload {
            verifying: true,
            ..d
        };
        assert_eq!(download_text(&checking), "checking the SHA-256 of 41.3 MB…");
    }
}
