//! The SQL editor: the statement's text, Run (and Ctrl+Enter / Cmd+Enter), Stop while a run is
//! under way (and Escape), the live status line for the run and the backend's error for the
//! last one. Extra toolbar controls (the target select) come in as children.

use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub sql: AttrValue,
    pub running: bool,
    pub error: Option<String>,
    pub on_input: Callback<String>,
    pub on_run: Callback<()>,
    pub on_stop: Callback<()>,
    #[prop_or_default]
    pub children: Html,
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let oninput = props
        .on_input
        .reform(|e: InputEvent| e.target_unchecked_into::<HtmlTextAreaElement>().value());
    let onkeydown = {
        let on_run = props.on_run.clone();
        let on_stop = props.on_stop.clone();
        let running = props.running;
        Callback::from(move |e: KeyboardEvent| {
            if (e.ctrl_key() || e.meta_key()) && e.key() == "Enter" {
                // A run under way is replaced (the backend stops it).
                e.prevent_default();
                on_run.emit(());
            } else if e.key() == "Escape" && running {
                e.prevent_default();
                on_stop.emit(());
            }
        })
    };
    let run = props.on_run.reform(|_: MouseEvent| ());
    let stop = props.on_stop.reform(|_: MouseEvent| ());
    html! {
        <div class="editor">
            <label for="sql-editor" class="visually-hidden">{ "SQL statement" }</label>
            <textarea id="sql-editor" class="sql" spellcheck="false" rows="8"
                value={ props.sql.clone() } oninput={ oninput } onkeydown={ onkeydown } />
            <div class="toolbar">
                <button id="run-query" class="primary" type="button" onclick={ run }
                    title="Run the statement (Ctrl+Enter / ⌘+Enter)">
                    { "Run" }
                </button>
                if props.running {
                    <button id="stop-query" type="button" onclick={ stop } title="Stop the query (Escape)">
                        { "Stop" }
                    </button>
                }
                <span class="muted hint">{ "Ctrl+Enter / ⌘+Enter runs · Esc stops" }</span>
                { props.children.clone() }
                <span class="busy" role="status" aria-live="polite">
                    if props.running {
                        <span id="query-running">{ "Running…" }</span>
                    }
                </span>
            </div>
            <div role="alert">
                if let Some(e) = &props.error {
                    <p class="error" id="query-error">{ e.clone() }</p>
                }
            </div>
        </div>
    }
}
