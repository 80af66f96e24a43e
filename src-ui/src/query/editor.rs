//! The SQL editor: CodeMirror 6 ([`bridge::editor`]) with DuckDB's highlighting vocabulary and
//! DuckDB's completions for the chosen target; Run (and Ctrl+Enter / Cmd+Enter: the selection,
//! or the statement under the cursor — [`statement::to_run`]), Stop while a run is under way
//! (and Escape), the live status line for the run and the backend's error for the last one.
//! Extra toolbar controls (the target select) come in as children.

use datagata_ipc::command;
use datagata_ipc::data::{CompleteRequest, Completion, QueryTarget, SqlVocabulary};
use serde::Serialize;
use yew::prelude::*;

use super::statement;
use crate::bridge::{
    self,
    editor::{CodeEditor, EditorHooks, completion_to_js},
};
use crate::machine::NoArgs;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub sql: AttrValue,
    pub target: QueryTarget,
    pub running: bool,
    pub error: Option<String>,
    pub on_input: Callback<String>,
    /// Runs this text (the whole statement, or what Ctrl+Enter picked).
    pub on_run: Callback<String>,
    pub on_stop: Callback<()>,
    #[prop_or_default]
    pub children: Html,
}

#[derive(Serialize)]
struct CompleteArgs<'a> {
    request: &'a CompleteRequest,
}

/// Hooks that do nothing until the first render installs the real ones.
fn idle_hooks() -> EditorHooks {
    EditorHooks {
        on_change: Box::new(|_| {}),
        on_run: Box::new(|_, _, _| {}),
        on_stop: Box::new(|| {}),
        complete: Box::new(|_| js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL)),
    }
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let host = use_node_ref();
    let view = use_mut_ref(|| None::<CodeEditor>);
    let hooks = use_mut_ref(idle_hooks);
    let target = use_mut_ref(|| props.target);
    let failed = use_state(|| None::<String>);
    *target.borrow_mut() = props.target;
    {
        // Every render hands the editor the current callbacks.
        let mut h = hooks.borrow_mut();
        h.on_change = Box::new({
            let cb = props.on_input.clone();
            move |t| cb.emit(t)
        });
        h.on_run = Box::new({
            let cb = props.on_run.clone();
            move |doc, from, to| cb.emit(statement::to_run(&doc, from, to))
        });
        h.on_stop = Box::new({
            let cb = props.on_stop.clone();
            let running = props.running;
            move || {
                if running {
                    cb.emit(())
                }
            }
        });
        h.complete = Box::new({
            let target = target.clone();
            move |before: String| {
                let request = CompleteRequest {
                    sql: before,
                    target: *target.borrow(),
                };
                wasm_bindgen_futures::future_to_promise(async move {
                    let answer = bridge::invoke::<_, Completion>(
                        command::COMPLETE_SQL,
                        &CompleteArgs { request: &request },
                    )
                    .await
                    .map_err(|e| wasm_bindgen::JsValue::from_str(&e))?;
                    completion_to_js(&answer).map_err(|e| wasm_bindgen::JsValue::from_str(&e))
                })
            }
        });
    }
    {
        // Created once, after the first render; highlighting learns DuckDB's words when they come.
        let (host, view, hooks, failed) =
            (host.clone(), view.clone(), hooks.clone(), failed.clone());
        let doc = props.sql.to_string();
        use_effect_with((), move |_| {
            if let Some(el) = host.cast::<web_sys::Element>() {
                match CodeEditor::create(&el, &doc, "SQL statement", hooks) {
                    Ok(editor) => *view.borrow_mut() = Some(editor),
                    Err(e) => failed.set(Some(e)),
                }
            }
            let for_words = view.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match bridge::invoke::<_, SqlVocabulary>(command::SQL_VOCABULARY, &NoArgs {}).await
                {
                    Ok(words) => {
                        if let Some(editor) = for_words.borrow().as_ref() {
                            editor.set_vocabulary(&words);
                        }
                    }
                    Err(e) => web_sys::console::warn_1(&format!("SQL vocabulary: {e}").into()),
                }
            });
            move || drop(view.borrow_mut().take())
        });
    }
    {
        // Text set from outside (history, a table picked, the last session's text).
        let view = view.clone();
        use_effect_with(props.sql.clone(), move |sql| {
            if let Some(editor) = view.borrow().as_ref()
                && editor.text() != sql.as_str()
            {
                editor.set_text(sql);
            }
        });
    }
    let run = {
        // Like Ctrl+Enter: the selection, or the statement at the cursor.
        let on_run = props.on_run.clone();
        let sql = props.sql.clone();
        let view = view.clone();
        Callback::from(move |_: MouseEvent| {
            let picked = match view.borrow().as_ref() {
                Some(editor) => {
                    let (from, to) = editor.selection();
                    statement::to_run(&editor.text(), from, to)
                }
                None => sql.to_string(),
            };
            on_run.emit(picked)
        })
    };
    let stop = props.on_stop.reform(|_: MouseEvent| ());
    html! {
        <div class="editor">
            <div id="sql-editor" class="sql-editor" ref={ host }></div>
            if let Some(e) = &*failed {
                <p class="error" id="editor-failed">{ format!("The SQL editor did not start: {e}") }</p>
            }
            <div class="toolbar">
                <button id="run-query" class="primary" type="button" onclick={ run }
                    title="Run the statement (Ctrl+Enter / ⌘+Enter runs the selection or the statement at the cursor)">
                    { "Run" }
                </button>
                if props.running {
                    <button id="stop-query" type="button" onclick={ stop } title="Stop the query (Escape)">
                        { "Stop" }
                    </button>
                }
                <span class="muted hint">{ "Ctrl+Enter / ⌘+Enter runs · Ctrl+Space completes · Esc stops" }</span>
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
