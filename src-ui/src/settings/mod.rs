//! The Settings view: the theme (the system's, light or dark — saved, applied at once and at
//! every start), and in one place what the other views set or show: the profile, the AI (the
//! provider, the runtime, and the models on this machine with their disk use — [`models`]), the
//! data, MotherDuck's state with Disconnect ([`motherduck`]), and the About facts (version, flag
//! source, data and log folders).

mod models;
mod motherduck;

use datagata_ipc::data::DataStatus;
use datagata_ipc::{TargetingView, Theme, UiSettings, command};
use serde::Serialize;
use yew::prelude::*;

use crate::{bridge, dashboard, machine::NoArgs};
use models::ModelsSection;
use motherduck::MotherDuckSection;

#[derive(Serialize)]
struct ThemeArgs {
    theme: Theme,
}

/// Puts `theme` on the page: `data-theme` on the root element (the CSS follows
/// `prefers-color-scheme` when it is absent).
pub fn apply_theme(theme: Theme) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = match theme {
        Theme::System => root.remove_attribute("data-theme"),
        Theme::Light => root.set_attribute("data-theme", "light"),
        Theme::Dark => root.set_attribute("data-theme", "dark"),
    };
}

/// Reads the saved theme and applies it (the shell calls this once at start).
pub async fn restore_theme() {
    match bridge::invoke::<_, UiSettings>(command::UI_SETTINGS, &NoArgs {}).await {
        Ok(s) => apply_theme(s.theme),
        Err(e) => web_sys::console::warn_1(&format!("reading the theme: {e}").into()),
    }
}

#[derive(Properties, PartialEq)]
pub struct SettingsViewProps {
    pub active: bool,
}

const THEMES: [(Theme, &str, &str); 3] = [
    (Theme::System, "system", "Follow the system"),
    (Theme::Light, "light", "Light"),
    (Theme::Dark, "dark", "Dark"),
];

#[function_component(SettingsView)]
pub fn settings_view(props: &SettingsViewProps) -> Html {
    let theme = use_state(|| None::<Theme>);
    let error = use_state(|| None::<String>);
    let targeting = use_state(|| None::<Result<TargetingView, String>>);
    let data = use_state(|| None::<Result<DataStatus, String>>);
    {
        let theme = theme.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(s) =
                    bridge::invoke::<_, UiSettings>(command::UI_SETTINGS, &NoArgs {}).await
                {
                    theme.set(Some(s.theme));
                }
            });
        });
    }
    {
        // What other views may have changed: read again each time Settings shows.
        let (targeting, data) = (targeting.clone(), data.clone());
        use_effect_with(props.active, move |active| {
            if *active {
                wasm_bindgen_futures::spawn_local(async move {
                    targeting.set(Some(bridge::invoke(command::TARGETING, &NoArgs {}).await));
                    data.set(Some(bridge::invoke(command::DATA_STATUS, &NoArgs {}).await));
                });
            }
        });
    }
    let choose = |t: Theme| {
        let (theme, error) = (theme.clone(), error.clone());
        Callback::from(move |_: Event| {
            apply_theme(t);
            theme.set(Some(t));
            let error = error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let saved =
                    bridge::invoke::<_, UiSettings>(command::SET_THEME, &ThemeArgs { theme: t })
                        .await;
                error.set(saved.err());
            });
        })
    };
    let profile = match &*targeting {
        Some(Ok(v)) => html! {
            <dl class="facts">
                <dt>{ "Email" }</dt><dd id="settings-email">{ v.profile.email.clone() }</dd>
                <dt>{ "Plan" }</dt><dd id="settings-tier">{ v.profile.tier.as_str() }</dd>
                <dt>{ "Change it" }</dt><dd>{ "on the Dashboard (the features follow at once)" }</dd>
            </dl>
        },
        Some(Err(e)) => html! { <p class="error">{ e.clone() }</p> },
        None => html! { <p class="muted">{ "Reading…" }</p> },
    };
    let data_facts = match &*data {
        Some(Ok(d)) => html! {
            <dl class="facts">
                <dt>{ "Database" }</dt><dd id="settings-database"><code>{ d.database_path.clone() }</code></dd>
                <dt>{ "Trips" }</dt><dd>{ datagata_ipc::data::thousands(d.taxi_rows) }</dd>
                <dt>{ "From" }</dt><dd id="settings-origin">{ d.origin.describe() }</dd>
                <dt>{ "Change it" }</dt><dd>{ "on the Query tab (generate a sample, import files)" }</dd>
            </dl>
        },
        Some(Err(e)) => html! { <p class="error">{ e.clone() }</p> },
        None => html! { <p class="muted">{ "Reading…" }</p> },
    };
    html! {
        <div class="settings-view" id="settings-view">
            <section class="panel" id="appearance-panel">
                <h2>{ "Appearance" }</h2>
                <fieldset class="theme-choice">
                    <legend>{ "Theme" }</legend>
                    { for THEMES.iter().map(|(t, value, label)| html! {
                        <label>
                            <input type="radio" name="theme" id={ format!("theme-{value}") } value={ *value }
                                checked={ *theme == Some(*t) } onchange={ choose(*t) } />
                            { *label }
                        </label>
                    }) }
                </fieldset>
                <div role="alert">
                    if let Some(e) = &*error {
                        <p class="error" id="theme-error">{ e.clone() }</p>
                    }
                </div>
            </section>
            <section class="panel" id="settings-profile">
                <h2>{ "Profile" }</h2>
                { profile }
            </section>
            <section class="panel" id="settings-ai">
                <h2>{ "AI" }</h2>
                <ModelsSection active={ props.active } />
            </section>
            <section class="panel" id="settings-data">
                <h2>{ "Data" }</h2>
                { data_facts }
            </section>
            <section class="panel" id="settings-motherduck-panel">
                <h2>{ "MotherDuck" }</h2>
                { match &*data {
                    Some(Ok(d)) => html! { <MotherDuckSection status={ d.motherduck.clone() } /> },
                    Some(Err(e)) => html! { <p class="error">{ e.clone() }</p> },
                    None => html! { <p class="muted">{ "Reading…" }</p> },
                } }
            </section>
            if let Some(Ok(v)) = &*targeting {
                { dashboard::about(v, "settings-about") }
            }
        </div>
    }
}
