//! The provider choice: which AI Config variation this person gets and why, and the local and
//! cloud options as radio buttons, each with its model and why it cannot be used when it cannot.

use datagata_ipc::ai::{AiPanelView, ProviderChoice, ProviderOption};
use yew::prelude::*;

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
            ProviderChoice::Local => ("Local: WebLLM on this machine's GPU", &view.local_model),
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
