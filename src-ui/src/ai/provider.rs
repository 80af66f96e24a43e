//! The provider choice: which AI Config variation this person gets and why, and the local and
//! cloud options as radio buttons, each with its model and why it cannot be used when it cannot;
//! and the local runtime pin (auto, WebLLM, native) with which runtime will answer and why.

use datagata_ipc::ai::{AiPanelView, LocalRuntime, ProviderChoice, ProviderOption, RuntimePin};
use datagata_ipc::command;
use serde::Serialize;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::bridge;

/// `{ "pin": "native" }`
#[derive(Serialize)]
struct PinArgs {
    pin: RuntimePin,
}

/// "llama.cpp (native engine)" / "WebLLM (WebGPU)": the runtime in words.
pub fn runtime_name(runtime: LocalRuntime) -> &'static str {
    match runtime {
        LocalRuntime::WebLlm => "WebLLM on the GPU (WebGPU)",
        LocalRuntime::LlamaCpp => "llama.cpp, the native engine",
    }
}

#[derive(Properties, PartialEq)]
pub struct RuntimePinProps {
    pub view: AiPanelView,
    /// The panel after the pin was saved.
    pub on_panel: Callback<AiPanelView>,
}

/// The pin as a select, and which runtime answers local questions and why.
#[function_component(RuntimePinPanel)]
pub fn runtime_pin_panel(props: &RuntimePinProps) -> Html {
    let saving = use_state(|| false);
    let error = use_state(|| None::<String>);
    let onchange = {
        let (saving, error, on_panel) = (saving.clone(), error.clone(), props.on_panel.clone());
        Callback::from(move |e: Event| {
            let pin = match e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .as_str()
            {
                "webllm" => RuntimePin::WebLlm,
                "native" => RuntimePin::Native,
                _ => RuntimePin::Auto,
            };
            let (saving, error, on_panel) = (saving.clone(), error.clone(), on_panel.clone());
            saving.set(true);
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                match bridge::invoke::<_, AiPanelView>(command::SET_RUNTIME_PIN, &PinArgs { pin })
                    .await
                {
                    Ok(view) => on_panel.emit(view),
                    Err(e) => error.set(Some(e)),
                }
                saving.set(false);
            });
        })
    };
    let v = &props.view;
    let option = |pin: RuntimePin, label: &str| {
        html! { <option value={ pin.as_str() } selected={ v.runtime_pin == pin }>{ label.to_string() }</option> }
    };
    html! {
        <div class="runtime-pin" id="ai-runtime">
            <label for="ai-runtime-pin">{ "Local runtime " }</label>
            <select id="ai-runtime-pin" disabled={ *saving } { onchange } key={ v.runtime_pin.as_str() }>
                { option(RuntimePin::Auto, "Auto (WebLLM where there is WebGPU, else native)") }
                { option(RuntimePin::WebLlm, "WebLLM (WebGPU in the WebView)") }
                { option(RuntimePin::Native, "Native llama.cpp engine") }
            </select>
            <p class="small" id="ai-runtime-answers">
                { "Local questions are answered by " }<strong id="ai-runtime-name">{ runtime_name(v.local_runtime) }</strong>
                { ": " }<span id="ai-runtime-why">{ v.local_runtime_reason.clone() }</span>
            </p>
            if let Some(e) = &*error {
                <p class="error" id="ai-runtime-error">{ e.clone() }</p>
            }
        </div>
    }
}

/// The status line under an option: "Available" (with `note`, e.g. that the model still has to
/// be downloaded), or the reason it is not.
pub fn option_status(option: &ProviderOption, note: Option<&str>) -> String {
    match (option.available, note) {
        (true, None) => "Available".into(),
        (true, Some(note)) => format!("Available — {note}"),
        (false, _) => option
            .reason
            .clone()
            .unwrap_or_else(|| "Not available".into()),
    }
}

/// The status's class: ok, `warn` (may be chosen but cannot answer now), `locked` (the flags say no).
fn status_class(option: Option<&ProviderOption>) -> &'static str {
    match option {
        Some(o) if o.available => "ok",
        Some(o) if o.selectable => "warn",
        _ => "locked",
    }
}

#[derive(Properties, PartialEq)]
pub struct ProviderPanelProps {
    pub view: AiPanelView,
    /// Changes whenever a choice was sent, so the radios are rebuilt from `view` (the browser
    /// keeps a clicked radio checked even when saving the choice failed).
    pub epoch: u32,
    /// True while a choice is being saved.
    pub saving: bool,
    pub on_choose: Callback<ProviderChoice>,
    /// Added to the local option's status when it is available (the model's download state).
    #[prop_or_default]
    pub local_note: Option<AttrValue>,
}

#[function_component(ProviderPanel)]
pub fn provider_panel(props: &ProviderPanelProps) -> Html {
    let view = &props.view;
    let option = |choice: ProviderChoice| {
        let found = view.options.iter().find(|o| o.choice == choice);
        let selectable = found.is_some_and(|o| o.selectable);
        let note = match choice {
            ProviderChoice::Local => props.local_note.as_deref(),
            ProviderChoice::Cloud => None,
        };
        let status = found.map_or_else(|| "Not offered".to_string(), |o| option_status(o, note));
        let class = status_class(found);
        let (label, model) = match choice {
            ProviderChoice::Local => ("Local: on this machine", &view.local_model),
            ProviderChoice::Cloud => ("Cloud: MotherDuck AI", &view.cloud_model),
        };
        let name = choice.as_str();
        let onchange = {
            let on_choose = props.on_choose.clone();
            Callback::from(move |_: Event| on_choose.emit(choice))
        };
        html! {
            <label class={ classes!("provider-option", (!selectable).then_some("unavailable")) }
                for={ format!("provider-{name}") }>
                <input type="radio" name="ai-provider-choice" id={ format!("provider-{name}") }
                    value={ name } checked={ view.chosen == choice }
                    disabled={ !selectable || props.saving } onchange={ onchange } />
                <span class="provider-text">
                    <span class="provider-label">{ label }</span>
                    <span class="muted small">{ "Model: " }
                        <code id={ format!("{name}-model") }>{ model.clone() }</code>
                    </span>
                    <span id={ format!("provider-{name}-reason") }
                        class={ classes!("small", class) }>
                        { status }
                    </span>
                </span>
            </label>
        }
    };
    html! {
        <div class="provider-panel">
            <div class="variation" id="ai-variation" data-variation={ view.variation_key.clone() }>
                <p class="variation-line">
                    { "You get the " }<strong class="variation-key">{ view.variation_key.clone() }</strong>
                    { " variation of " }<code>{ format!("{} v{}", view.config_key, view.version) }</code>
                    { " (default provider: " }{ view.default_choice.as_str() }{ ")" }
                </p>
                <p class="muted small" id="ai-variation-why">{ view.explanation.clone() }</p>
            </div>
            <fieldset class="provider-options" key={ props.epoch.to_string() }>
                <legend>{ "Answer with" }</legend>
                { option(ProviderChoice::Local) }
                { option(ProviderChoice::Cloud) }
            </fieldset>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_available_or_the_reason() {
        let mut option = ProviderOption {
            choice: ProviderChoice::Cloud,
            provider: "motherduck-ai".into(),
            selectable: true,
            available: true,
            reason: None,
        };
        assert_eq!(option_status(&option, None), "Available");
        assert_eq!(
            option_status(&option, Some("download the model first")),
            "Available — download the model first"
        );
        assert_eq!(status_class(Some(&option)), "ok");
        option.available = false;
        assert_eq!(option_status(&option, Some("ignored")), "Not available");
        assert_eq!(status_class(Some(&option)), "warn");
        option.reason = Some("no MotherDuck token".into());
        assert_eq!(option_status(&option, None), "no MotherDuck token");
        option.selectable = false;
        assert_eq!(status_class(Some(&option)), "locked");
        assert_eq!(status_class(None), "locked");
    }
}
