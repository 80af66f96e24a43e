//! The native engine's panel: which runtime answers a local question here and why, the GGUF file
//! it runs (and its size), the backend and threads, or why it cannot run.

use datagata_ipc::ai::NativeEngineView;
use yew::prelude::*;

use super::format;

#[derive(Properties, PartialEq)]
pub struct NativePanelProps {
    pub view: NativeEngineView,
    /// Why this runtime answers, in words.
    pub reason: String,
}

#[function_component(NativePanel)]
pub fn native_panel(props: &NativePanelProps) -> Html {
    let v = &props.view;
    html! {
        <div class="ai-native" id="ai-native">
            <h3>{ "Local runtime: llama.cpp (native engine)" }</h3>
            <p class="muted" id="ai-native-reason">{ props.reason.clone() }</p>
            <dl class="facts">
                <dt>{ "Model file" }</dt>
                <dd id="ai-native-model">{ v.model_file.clone().unwrap_or_else(|| "none".into()) }</dd>
                if let Some(bytes) = v.model_bytes {
                    <dt>{ "Size" }</dt>
                    <dd id="ai-native-size">{ format::megabytes(bytes as f64) }</dd>
                }
                <dt>{ "Backend" }</dt>
                <dd id="ai-native-backend">{ format!("{} · {} threads", v.backend, v.threads) }</dd>
                <dt>{ "State" }</dt>
                <dd id="ai-native-state">{ if v.loaded { "loaded" } else { "loads on the first question" } }</dd>
            </dl>
            if let Some(problem) = &v.problem {
                <p class="error" id="ai-native-problem">{ problem.clone() }</p>
            }
        </div>
    }
}
