//! The SQL editor: the statement's text, the Run button (and Ctrl+Enter / Cmd+Enter), the
//! "Running…" indicator and the backend's error for the last run. Extra toolbar controls (the
//! target select) come in as children.

use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub sql: AttrValue,
    pub running: bool,
    pub error: Option<String>,
    pub on_input: Callback<String>,
    pub on_run: Callback<()>,
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
        let running = props.running;
        Callback::from(move |e: KeyboardEvent| {
            if (e.ctrl_key() || e.meta_key()) && e.key() == "Enter" {
                e.prevent_default();
                if !running {
                    on_run.emit(());
                }
            }
        })
    };
    let onclick = props.on_run.reform(|_: MouseEvent| ());
    html! {
        <div class="editor">
            <textarea id="sql-editor" class="sql" spellcheck="false" rows="8"
                aria-label="SQL" value={ props.sql.clone() } oninput={ oninput } onkeydown={ onkeydown } />
            <div class="toolbar">
                <button id="run-query" class="primary" type="button" disabled={ props.running } onclick={ onclick }>
                    { "Run" }
                </button>
                <span class="muted hint">{ "Ctrl+Enter / ⌘+Enter" }</span>
                { props.children.clone() }
                if props.running {
                    <span class="busy" id="query-running">{ "Running…" }</span>
                }
            </div>
            if let Some(e) = &props.error {
                <p class="error" id="query-error">{ e.clone() }</p>
            }
        </div>
    }
}
