//! The dashboard view: the person's profile, each feature with whether it is unlocked and why
//! (LaunchDarkly's evaluation reason), the flag source in force, all flags for debugging, and
//! this machine.

use datagata_ipc::{FlagView, Profile, TargetingView, command};
use serde::Serialize;
use yew::prelude::*;

use crate::{bridge, machine::MachinePanel, machine::NoArgs, profile::ProfileEditor};

#[derive(Serialize)]
struct SetProfileArgs<'a> {
    profile: &'a Profile,
}

/// How often the dashboard evaluates the flags again.
const REFRESH_MS: i32 = 5_000;

#[derive(Properties, PartialEq)]
pub struct DashboardProps {
    /// The start-up WebGPU probe has reported (the machine panel reads the facts again).
    pub webgpu_reported: bool,
}

#[function_component(Dashboard)]
pub fn dashboard(props: &DashboardProps) -> Html {
    let view = use_state(|| None::<Result<TargetingView, String>>);
    let save_error = use_state(|| None::<String>);
    {
        let view = view.clone();
        // Evaluated again every few seconds while the dashboard is shown: a flag change pushed
        // from LaunchDarkly, or the stream connecting after an offline start, shows without a
        // click (the "Flags from" line changes with it).
        use_effect_with((), move |_| {
            let alive = std::rc::Rc::new(std::cell::Cell::new(true));
            let running = alive.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let mut last = None;
                while running.get() {
                    let next = Some(bridge::invoke(command::TARGETING, &NoArgs {}).await);
                    if !running.get() {
                        break;
                    }
                    if next != last {
                        view.set(next.clone());
                        last = next;
                    }
                    let _ = wasm_bindgen_futures::JsFuture::from(bridge::sleep(REFRESH_MS)).await;
                }
            });
            move || alive.set(false)
        });
    }
    let on_save = {
        let view = view.clone();
        let save_error = save_error.clone();
        Callback::from(move |profile: Profile| {
            let view = view.clone();
            let save_error = save_error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match bridge::invoke::<_, TargetingView>(
                    command::SET_PROFILE,
                    &SetProfileArgs { profile: &profile },
                )
                .await
                {
                    Ok(v) => {
                        save_error.set(None);
                        view.set(Some(Ok(v)));
                    }
                    Err(e) => save_error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <div class="dashboard">
            { match &*view {
                None => html! { <section class="panel"><p class="muted">{ "Evaluating your flags…" }</p></section> },
                Some(Err(e)) => html! {
                    <section class="panel"><p class="error" id="targeting-error">{ format!("Could not evaluate flags: {e}") }</p></section>
                },
                Some(Ok(v)) => html! {
                    <>
                        <section class="panel" id="profile-panel">
                            <h2>{ "Your profile" }</h2>
                            if v.first_launch {
                                <p class="notice" id="first-launch">
                                    { "Welcome! Tell DataGata who you are: your plan and role decide which features and which AI you get." }
                                </p>
                            }
                            <ProfileEditor profile={ v.profile.clone() } on_save={ on_save.clone() } />
                            if let Some(e) = &*save_error { <p class="error" id="profile-error">{ e.clone() }</p> }
                        </section>
                        { features(v) }
                        { about(v, "about") }
                    </>
                },
            } }
            <MachinePanel webgpu_reported={ props.webgpu_reported } />
        </div>
    }
}

/// How a feature is named and whether its value means "unlocked".
fn feature_rows(v: &TargetingView) -> Vec<(&'static str, &'static str, Option<&FlagView>)> {
    vec![
        (
            "pivot-table-access",
            "Pivot tables",
            v.flag("pivot-table-access"),
        ),
        (
            "data-materialization",
            "Save results as tables (my_db)",
            v.flag("data-materialization"),
        ),
        (
            "webllm-access",
            "Local AI (WebLLM on your GPU)",
            v.flag("webllm-access"),
        ),
    ]
}

/// Version, the flag source, and where the data and the logs are (also in Settings): element
/// ids start with `prefix`.
pub(crate) fn about(v: &TargetingView, prefix: &str) -> Html {
    html! {
        <section class="panel" id={ format!("{prefix}-panel") }>
            <h2>{ "About" }</h2>
            <dl class="facts">
                <dt>{ "Version" }</dt><dd id={ format!("{prefix}-version") }>{ v.about.version.clone() }</dd>
                <dt>{ "Flags from" }</dt><dd id={ format!("{prefix}-flags") }>{ v.source.detail.clone() }</dd>
                <dt>{ "Data folder" }</dt><dd id={ format!("{prefix}-data-dir") }><code>{ v.about.data_dir.clone() }</code></dd>
                <dt>{ "Log files" }</dt><dd id={ format!("{prefix}-log-dir") }><code>{ v.about.log_dir.clone() }</code></dd>
            </dl>
        </section>
    }
}

fn features(v: &TargetingView) -> Html {
    let ai = v.flag("ai-config");
    let ai_text = ai
        .map(|f| {
            let value = &f.evaluation.value;
            format!(
                "{} — {}",
                value["_ldMeta"]["variationKey"]
                    .as_str()
                    .unwrap_or("unknown"),
                value["model"]["name"].as_str().unwrap_or("no model")
            )
        })
        .unwrap_or_else(|| "not in the flag data".into());
    let all_flags = serde_json::to_string_pretty(&v.all_flags).unwrap_or_default();
    html! {
        <section class="panel" id="features-panel">
            <h2>{ "Your features" }</h2>
            <p class="muted">
                { "Plan: " }<strong id="tier">{ v.profile.tier.as_str() }</strong>
                { " · Flags from: " }<span id="flag-source" data-kind={ format!("{:?}", v.source.kind) }>{ v.source.detail.clone() }</span>
            </p>
            <ul class="features">
                { for feature_rows(v).into_iter().map(|(key, label, flag)| {
                    let on = flag.is_some_and(|f| f.evaluation.value == serde_json::Value::Bool(true));
                    let why = flag.map(|f| f.explanation.clone()).unwrap_or_else(|| "not in the flag data".into());
                    html! {
                        <li class={ classes!("feature", if on { "on" } else { "off" }) } id={ format!("feature-{key}") }>
                            <span class="badge" id={ format!("feature-{key}-state") }>{ if on { "Unlocked" } else { "Locked" } }</span>
                            <span class="label">{ label }</span>
                            <span class="why" id={ format!("feature-{key}-why") }>{ why }</span>
                        </li>
                    }
                }) }
                <li class="feature on" id="feature-ai-config">
                    <span class="badge">{ "AI" }</span>
                    <span class="label">{ "AI for your questions: " }<strong id="feature-ai-config-value">{ ai_text }</strong></span>
                    <span class="why" id="feature-ai-config-why">{ ai.map(|f| f.explanation.clone()).unwrap_or_default() }</span>
                </li>
            </ul>
            <details id="all-flags">
                <summary>{ "All flags (the SDK's all_flags_detail) and the context they were evaluated for" }</summary>
                <pre id="all-flags-json">{ all_flags }</pre>
                <pre id="context-json">{ serde_json::to_string_pretty(&v.context).unwrap_or_default() }</pre>
            </details>
        </section>
    }
}
