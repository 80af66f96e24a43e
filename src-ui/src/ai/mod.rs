//! The Ask view: a question in words, answered by SQL from the local model (WebLLM on this
//! machine's GPU where the WebView has WebGPU, else the native llama.cpp engine in the backend)
//! or the cloud (MotherDuck AI), as the `ai-config` AI Config and the person's choice say. This module loads the panel (`ai_panel`, each time the tab shows), saves the
//! provider choice and lays the view out; the provider radios live in [`provider`], the local
//! model's download and delete in [`model`], the native engine's panel in [`native`], the question's state in [`state`] and its steps
//! in [`flow`], the answer in [`answer`] and the pure formatting in [`format`].

mod answer;
mod flow;
mod format;
mod model;
mod native;
mod provider;
mod state;

use std::cell::Cell;
use std::rc::Rc;

use datagata_ipc::ai::{AiPanelView, FailedAttempt, Generation, LocalRuntime, ProviderChoice};
use datagata_ipc::command;
use serde::Serialize;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::{bridge, machine::NoArgs};
use answer::AnswerPanel;
use flow::Steps;
use model::{ModelPanel, download_note, use_model_loader};
use native::NativePanel;
use provider::{ProviderPanel, RuntimePinPanel};
use state::{Action, Flow, Stage};

/// `{ "choice": "local" }`
#[derive(Serialize)]
struct ChoiceArgs {
    choice: ProviderChoice,
}

/// Questions offered before the first one is asked (each about the `taxi` table as it is).
const EXAMPLES: [&str; 4] = [
    "How many trips are there?",
    "What is the average fare by payment type?",
    "Which hour of the day has the most pickups?",
    "What is the average tip by pickup borough?",
];

fn textarea_value(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlTextAreaElement>().value()
}

fn local_option(view: &AiPanelView) -> Option<&datagata_ipc::ai::ProviderOption> {
    view.options
        .iter()
        .find(|o| o.choice == ProviderChoice::Local)
}

fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

#[derive(Properties, PartialEq)]
pub struct AskViewProps {
    /// True while the Ask tab is the one shown.
    pub active: bool,
}

#[function_component(AskView)]
pub fn ask_view(props: &AskViewProps) -> Html {
    let panel = use_state(|| None::<Result<AiPanelView, String>>);
    let saving = use_state(|| false);
    let epoch = use_state(|| 0u32);
    let question = use_state(String::new);
    let flow = use_reducer(Flow::default);
    let stop_pressed: Rc<Cell<bool>> = use_memo((), |_| Cell::new(false));
    let view = match &*panel {
        Some(Ok(v)) => Some(v.clone()),
        _ => None,
    };
    // WebLLM's model panel shows whenever the flags offer local AI (importing a folder needs no
    // GPU); it manages WebLLM's model whichever runtime answers here.
    let local_model = view
        .as_ref()
        .filter(|v| local_option(v).is_some_and(|o| o.selectable))
        .map(|v| v.webllm_model.clone());
    let local_selectable = view
        .as_ref()
        .is_some_and(|v| local_option(v).is_some_and(|o| o.selectable));
    let local_ready = view
        .as_ref()
        .is_some_and(|v| local_option(v).is_some_and(|o| o.available));
    let imported = view
        .as_ref()
        .map(|v| v.local_models.clone())
        .unwrap_or_default();
    let loader = use_model_loader(local_model.clone(), imported.clone());
    let local_note = local_model
        .as_deref()
        .and_then(|m| download_note(m, loader.cached.as_ref(), &imported, online()));
    let native = view
        .as_ref()
        .is_some_and(|v| v.local_runtime == LocalRuntime::LlamaCpp);
    let steps = Steps {
        flow: flow.dispatcher(),
        model: loader.clone(),
        stop_pressed: stop_pressed.clone(),
        native,
    };

    {
        // The flags, the token or the GPU may have changed elsewhere: reload on every show.
        let panel = panel.clone();
        let dispatch = flow.dispatcher();
        use_effect_with(props.active, move |active| {
            if *active {
                wasm_bindgen_futures::spawn_local(async move {
                    let answer =
                        bridge::invoke::<_, AiPanelView>(command::AI_PANEL, &NoArgs {}).await;
                    match answer {
                        Ok(v) => panel.set(Some(Ok(v))),
                        Err(e) => {
                            dispatch.dispatch(Action::Notice(e.clone()));
                            panel.set(Some(Err(e)));
                        }
                    }
                });
            }
        });
    }

    let on_choose = {
        let (panel, saving, epoch) = (panel.clone(), saving.clone(), epoch.clone());
        let dispatch = flow.dispatcher();
        Callback::from(move |choice: ProviderChoice| {
            let (panel, saving, epoch) = (panel.clone(), saving.clone(), epoch.clone());
            let dispatch = dispatch.clone();
            saving.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let args = ChoiceArgs { choice };
                match bridge::invoke::<_, AiPanelView>(command::SET_PROVIDER_CHOICE, &args).await {
                    Ok(v) => panel.set(Some(Ok(v))),
                    Err(e) => dispatch.dispatch(Action::Notice(e)),
                }
                saving.set(false);
                epoch.set(epoch.wrapping_add(1));
            });
        })
    };
    let on_panel = {
        let panel = panel.clone();
        Callback::from(move |v: AiPanelView| panel.set(Some(Ok(v))))
    };
    let on_question = {
        let question = question.clone();
        Callback::from(move |e: InputEvent| question.set(textarea_value(&e)))
    };
    let chosen = view.as_ref().map(|v| v.chosen);
    let ask_text = {
        let (steps, dispatch) = (steps.clone(), flow.dispatcher());
        Callback::from(move |text: String| {
            let text = text.trim().to_string();
            if text.is_empty() {
                return dispatch.dispatch(Action::Notice("Write a question first.".into()));
            }
            let Some(choice) = chosen else {
                return dispatch.dispatch(Action::Notice("The AI panel has not loaded.".into()));
            };
            wasm_bindgen_futures::spawn_local(steps.clone().ask(text, choice, None));
        })
    };
    let on_ask = {
        let (ask_text, question) = (ask_text.clone(), question.clone());
        Callback::from(move |_: MouseEvent| ask_text.emit((*question).clone()))
    };
    let busy = flow.busy() || loader.loading();
    // Ctrl/Cmd+Enter in the question asks it.
    let on_question_key = {
        let (ask_text, question) = (ask_text.clone(), question.clone());
        let can_ask = !busy && chosen.is_some();
        Callback::from(move |e: KeyboardEvent| {
            if (e.ctrl_key() || e.meta_key()) && e.key() == "Enter" {
                e.prevent_default();
                if can_ask {
                    ask_text.emit((*question).clone());
                }
            }
        })
    };
    let on_example = {
        let (ask_text, question) = (ask_text.clone(), question.clone());
        Callback::from(move |text: String| {
            question.set(text.clone());
            ask_text.emit(text);
        })
    };
    let sql_copied = use_state(|| None::<Result<(), String>>);
    let on_copy_sql = {
        let (sql, sql_copied) = (flow.sql.clone(), sql_copied.clone());
        Callback::from(move |_: MouseEvent| {
            let (sql, sql_copied) = (sql.clone(), sql_copied.clone());
            wasm_bindgen_futures::spawn_local(async move {
                sql_copied.set(Some(crate::query::copy_to_clipboard(&sql).await));
            });
        })
    };
    let on_stop = {
        let stop_pressed = stop_pressed.clone();
        let dispatch = flow.dispatcher();
        Callback::from(move |_: MouseEvent| {
            stop_pressed.set(true);
            if native {
                let dispatch = dispatch.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(e) =
                        bridge::invoke::<_, ()>(command::STOP_GENERATION, &NoArgs {}).await
                    {
                        dispatch.dispatch(Action::Notice(e));
                    }
                });
            } else if let Err(e) = bridge::llm_stop() {
                dispatch.dispatch(Action::Notice(e));
            }
        })
    };
    let on_sql = {
        let dispatch = flow.dispatcher();
        Callback::from(move |e: InputEvent| dispatch.dispatch(Action::EditSql(textarea_value(&e))))
    };
    let question_id = flow.prepared.as_ref().map(|p| p.question_id.clone());
    let on_run = {
        let (steps, sql, question_id) = (steps.clone(), flow.sql.clone(), question_id.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(id) = question_id.clone() {
                wasm_bindgen_futures::spawn_local(steps.clone().run(id, sql.clone()));
            }
        })
    };
    let on_retry = {
        let steps = steps.clone();
        let retry = flow.shown.as_ref().and_then(|s| {
            let error = s.answer.error.clone()?;
            let choice = flow.prepared.as_ref().map(|p| p.choice).or(chosen)?;
            Some((
                choice,
                FailedAttempt {
                    sql: s.answer.sql.clone(),
                    error,
                },
            ))
        });
        let text = flow.question.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some((choice, failed)) = retry.clone() {
                wasm_bindgen_futures::spawn_local(steps.clone().ask(
                    text.clone(),
                    choice,
                    Some(failed),
                ));
            }
        })
    };
    let on_feedback = {
        let (steps, question_id) = (
            steps.clone(),
            flow.shown.as_ref().map(|s| s.answer.question_id.clone()),
        );
        Callback::from(move |positive: bool| {
            if let Some(id) = question_id.clone() {
                wasm_bindgen_futures::spawn_local(steps.clone().feedback(id, positive));
            }
        })
    };

    let local_prompt = flow
        .prepared
        .as_ref()
        .is_some_and(|p| matches!(p.generation, Generation::LocalPrompt { .. }));
    let can_retry = flow
        .shown
        .as_ref()
        .is_some_and(|s| s.answer.can_retry && s.answer.error.is_some());
    html! {
        <div class="ask-view" id="ask-view">
            <section class="panel" id="ai-provider-panel">
                <h2>{ "AI provider" }</h2>
                { match (&*panel, view.clone()) {
                    (_, Some(v)) => html! {
                        <ProviderPanel view={ v } epoch={ *epoch } saving={ *saving } on_choose={ on_choose }
                            local_note={ local_note.map(AttrValue::from) } />
                    },
                    (Some(Err(e)), None) => html! {
                        <p class="error" id="ai-panel-status">{ format!("Could not load the AI panel: {e}") }</p>
                    },
                    (_, None) => html! { <p class="muted" id="ai-panel-status">{ "Reading the AI Config…" }</p> },
                } }
                if let Some(v) = view.as_ref().filter(|_| local_selectable) {
                    <RuntimePinPanel view={ v.clone() } on_panel={ on_panel.clone() } />
                }
                // The runtime that answers comes first; WebLLM's panel, when it does not answer
                // here, follows (its cache check, finishing later, then moves nothing above it).
                if let (Some(v), true) = (view.as_ref().filter(|_| local_selectable), native) {
                    <NativePanel view={ v.native.clone() } reason={ v.local_runtime_reason.clone() }
                        on_panel={ on_panel.clone() } />
                }
                if let Some(model) = local_model {
                    <ModelPanel model={ model } loader={ loader.clone() } imported={ imported }
                        can_load={ local_ready && !native } answers={ !native } on_panel={ on_panel.clone() } />
                }
            </section>
            <section class="panel" id="ai-question-panel">
                <h2><label for="ai-question">{ "Ask a question" }</label></h2>
                <textarea id="ai-question" class="ai-question" rows="3" value={ (*question).clone() } oninput={ on_question }
                    onkeydown={ on_question_key }
                    placeholder="e.g. Which 5 pickup zones had the highest average tip in January?" />
                if flow.prepared.is_none() && flow.shown.is_none() {
                    <div class="examples" id="ai-examples" role="group" aria-label="Example questions">
                        <span class="muted">{ "Try: " }</span>
                        { for EXAMPLES.iter().enumerate().map(|(i, q)| {
                            let on_example = on_example.clone();
                            html! {
                                <button type="button" class="example" id={ format!("ai-example-{i}") }
                                    disabled={ busy || chosen.is_none() }
                                    onclick={ Callback::from(move |_: MouseEvent| on_example.emit(q.to_string())) }>
                                    { *q }
                                </button>
                            }
                        }) }
                    </div>
                }
                <div class="toolbar">
                    <button id="ai-ask" type="button" class="primary" disabled={ busy || chosen.is_none() } onclick={ on_ask }>
                        { "Ask" }
                    </button>
                    <span class="hint muted">{ "Ctrl+Enter / ⌘+Enter asks" }</span>
                    <span role="status" aria-live="polite">
                        if let Some(text) = flow.stage.busy_text() {
                            <span class="busy" id="ai-busy">{ text }</span>
                        }
                    </span>
                    if flow.stage == Stage::Generating {
                        <button id="ai-stop" type="button" onclick={ on_stop }>{ "Stop" }</button>
                    }
                </div>
                if let Some(p) = &flow.prepared {
                    <p class="ai-source muted">
                        { "Provider " }<strong id="ai-provider">{ p.provider.clone() }</strong>
                        { " · model " }<code id="ai-model">{ p.model.clone() }</code>
                    </p>
                }
                if (local_prompt || native) && (flow.stage == Stage::Generating || !flow.stream.is_empty()) {
                    <div class="ai-generation">
                        <pre id="ai-stream" class="ai-stream">{ flow.stream.clone() }</pre>
                        if let Some(rate) = flow.tokens_per_second {
                            <span class="muted small" id="ai-tokens-per-second">{ format::rate(rate) }</span>
                        }
                    </div>
                }
                if flow.prepared.is_some() {
                    <label class="ai-sql-label" for="ai-sql">{ "SQL (you may edit it before running)" }</label>
                    <textarea id="ai-sql" class="ai-sql" rows="6" value={ flow.sql.clone() } oninput={ on_sql }
                        spellcheck="false" />
                    <div class="toolbar">
                        <button id="ai-run" type="button" class="primary" onclick={ on_run }
                            disabled={ busy || flow.sql.trim().is_empty() }>{ "Run" }</button>
                        <button id="ai-copy-sql" type="button" onclick={ on_copy_sql }
                            disabled={ flow.sql.trim().is_empty() }>{ "Copy SQL" }</button>
                        <span role="status" aria-live="polite" id="ai-copy-status">
                            { match &*sql_copied {
                                Some(Ok(())) => html! { <span class="ok">{ "Copied the SQL" }</span> },
                                Some(Err(e)) => html! { <span class="error">{ format!("Copying failed: {e}") }</span> },
                                None => html! {},
                            } }
                        </span>
                    </div>
                }
                <div role="alert">
                    if let Some(e) = &flow.error {
                        <p class="error" id="ai-error">{ e.clone() }</p>
                    }
                </div>
                if can_retry {
                    <button id="ai-retry" type="button" disabled={ busy } onclick={ on_retry }>
                        { "Retry with the error" }
                    </button>
                }
            </section>
            if let Some(shown) = &flow.shown {
                <AnswerPanel shown={ shown.clone() } feedback={ flow.feedback } on_feedback={ on_feedback } />
            }
        </div>
    }
}
