//! The Query view: where the data came from, the schema, the SQL editor (its text kept across
//! launches) and its virtualized result grid, the run under way (stoppable; a new run replaces
//! it), the query history, export, and the flag-gated pivot and "save as table" panels. This
//! module owns the view's shared state (target, schema, editor text, current run and result, flag
//! gates) and the small pieces its submodules share: IPC argument shapes, [`Shared`] results,
//! [`Gate`] and [`Select`].

mod data;
mod editor;
mod export;
mod grid;
mod history;
mod locale;
mod pivot;
mod saved;
mod schema;
mod statement;
mod table;

use std::ops::Deref;
use std::rc::Rc;

use datagata_ipc::data::{
    DataStatus, EditorState, MotherDuckState, MotherDuckStatus, QueryRequest, QueryResult,
    QueryTarget, TableInfo,
};
use datagata_ipc::{TargetingView, command};
use serde::Serialize;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::chart::ResultChart;
use crate::{bridge, machine::NoArgs};
use data::{DataManage, OriginBadge};
use editor::Editor;
use export::ExportBar;
pub(crate) use grid::{ResultGrid, copy_to_clipboard};
use history::HistoryPanel;
pub(crate) use locale::parse_wall_clock;
use pivot::PivotPanel;
use saved::SavePanel;
use schema::SchemaSidebar;

/// `{ "request": … }`: the argument of every command that takes one request object.
#[derive(Serialize)]
pub(crate) struct RequestArgs<'a, T: Serialize> {
    pub request: &'a T,
}

/// `{ "target": "local" }`
#[derive(Serialize)]
pub(crate) struct TargetArgs {
    pub target: QueryTarget,
}

/// `run_query`'s arguments for the editor's run `run`.
#[derive(Serialize)]
struct EditorRunArgs<'a> {
    request: &'a QueryRequest,
    run: u64,
}

/// `{ "run": 7 }`
#[derive(Serialize)]
struct StopArgs {
    run: Option<u64>,
}

/// `{ "sql": "…" }`
#[derive(Serialize)]
struct SqlArgs<'a> {
    sql: &'a str,
}

/// Tauri's window events for files dragged over and dropped on the window.
const DRAG_ENTER: &str = "tauri://drag-enter";
const DRAG_LEAVE: &str = "tauri://drag-leave";
const DRAG_DROP: &str = "tauri://drag-drop";

/// A drop's payload: the files' paths (and where, which does not matter here).
#[derive(serde::Deserialize)]
struct Dropped {
    #[serde(default)]
    paths: Vec<String>,
}

/// The editor's text is saved this long after the last keystroke.
const SAVE_SQL_AFTER_MS: i32 = 500;

/// A result shared by the components that show or use it. Equal only to itself, so Yew never
/// compares 100,000 rows cell by cell when deciding whether to re-render.
#[derive(Clone)]
pub struct Shared(pub Rc<QueryResult>);

impl Shared {
    pub fn new(result: QueryResult) -> Self {
        Self(Rc::new(result))
    }
}

impl PartialEq for Shared {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for Shared {
    type Target = QueryResult;
    fn deref(&self) -> &QueryResult {
        &self.0
    }
}

/// Whether a flag-gated panel may show its controls.
#[derive(Clone, PartialEq)]
pub enum Gate {
    Checking,
    Open,
    /// Locked, with LaunchDarkly's reason in words.
    Locked(String),
}

impl Gate {
    fn of(targeting: &Option<Result<TargetingView, String>>, key: &str) -> Gate {
        match targeting {
            None => Gate::Checking,
            Some(Err(e)) => Gate::Locked(format!("could not evaluate flags: {e}")),
            Some(Ok(view)) => match view.flag(key) {
                Some(f) if f.evaluation.value == serde_json::Value::Bool(true) => Gate::Open,
                Some(f) => Gate::Locked(match &f.unlocked_by {
                    Some(unlock) => format!("{} — {unlock}", f.explanation),
                    None => f.explanation.clone(),
                }),
                None => Gate::Locked(format!("the flag {key} is not in the flag data")),
            },
        }
    }

    /// What a gated panel shows instead of its controls, or `None` when it is open.
    fn notice(&self, locked_id: &'static str) -> Option<Html> {
        match self {
            Gate::Open => None,
            Gate::Checking => Some(html! { <p class="muted">{ "Checking access…" }</p> }),
            Gate::Locked(why) => Some(html! {
                <p class="locked" id={ locked_id }>{ format!("Locked: {why}") }</p>
            }),
        }
    }
}

pub(crate) fn input_value(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

pub(crate) fn target_value(target: QueryTarget) -> &'static str {
    match target {
        QueryTarget::Local => "local",
        QueryTarget::MotherDuck => "mother-duck",
    }
}

/// One `<option>` of a [`Select`].
#[derive(Clone, PartialEq)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub disabled: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
            disabled: false,
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct SelectProps {
    pub id: AttrValue,
    pub options: Vec<Choice>,
    pub value: AttrValue,
    pub onchange: Callback<String>,
    #[prop_or_default]
    pub disabled: bool,
}

/// A `<select>` whose selection follows `value` even when its options change under it (Yew sets
/// no `value` property on selects, and `selected` attributes stop counting once a person picks).
#[function_component(Select)]
pub fn select(props: &SelectProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        let value = props.value.clone();
        use_effect(move || {
            if let Some(el) = node.cast::<HtmlSelectElement>()
                && el.value() != *value
            {
                el.set_value(&value);
            }
        });
    }
    let onchange = props
        .onchange
        .reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value());
    html! {
        <select id={ props.id.clone() } ref={ node } onchange={ onchange } disabled={ props.disabled }>
            { for props.options.iter().map(|c| html! {
                <option value={ c.value.clone() } selected={ *props.value == c.value } disabled={ c.disabled }>
                    { c.label.clone() }
                </option>
            }) }
        </select>
    }
}

#[derive(Properties, PartialEq)]
pub struct QueryViewProps {
    /// True while the Query tab is the one shown.
    pub active: bool,
}

/// What the editor holds on a first launch.
const DEFAULT_SQL: &str = "SELECT * FROM taxi LIMIT 100";

/// How often, and how many times at most, the data status is asked for while the backend works.
const STATUS_POLL_MS: i32 = 1_000;
const MAX_STATUS_POLLS: u32 = 300;

#[function_component(QueryView)]
pub fn query_view(props: &QueryViewProps) -> Html {
    let targeting = use_state(|| None::<Result<TargetingView, String>>);
    let shown = use_state(|| 0u32);
    let status = use_state(|| None::<Result<DataStatus, String>>);
    let motherduck = use_state(|| None::<MotherDuckStatus>);
    let target = use_state(QueryTarget::default);
    let schema_generation = use_state(|| 0u32);
    let schema = use_state(|| None::<Result<Rc<Vec<TableInfo>>, String>>);
    let schema_seq = use_mut_ref(|| 0u64);
    let sql = use_state(|| DEFAULT_SQL.to_string());
    // The editor's run under way, by id (ids start from the clock, so a reloaded page never
    // reuses one the backend may still hold).
    let running = use_state(|| None::<u64>);
    let next_run = use_mut_ref(|| js_sys::Date::now() as u64);
    let query_error = use_state(|| None::<String>);
    let result = use_state(|| None::<Shared>);
    let history_generation = use_state(|| 0u64);
    let dropped = use_state(|| None::<(u64, Vec<String>)>);
    let dragging = use_state(|| false);
    let active = use_mut_ref(|| props.active);
    *active.borrow_mut() = props.active;
    {
        // Files dropped on the window while this tab shows are imported (the data panel says how
        // it went). The listeners live as long as the view.
        let (dropped, dragging, active) = (dropped.clone(), dragging.clone(), active.clone());
        use_effect_with((), move |_| {
            let listeners = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
            let kept = listeners.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let n = std::rc::Rc::new(std::cell::Cell::new(0u64));
                let on_drop = {
                    let (dropped, dragging, active) =
                        (dropped.clone(), dragging.clone(), active.clone());
                    move |d: Dropped| {
                        dragging.set(false);
                        if *active.borrow() && !d.paths.is_empty() {
                            n.set(n.get() + 1);
                            dropped.set(Some((n.get(), d.paths)));
                        }
                    }
                };
                let on_enter = {
                    let (dragging, active) = (dragging.clone(), active.clone());
                    move |_: serde_json::Value| dragging.set(*active.borrow())
                };
                let on_leave = move |_: serde_json::Value| dragging.set(false);
                for made in [
                    bridge::listen(DRAG_DROP, on_drop).await,
                    bridge::listen(DRAG_ENTER, on_enter).await,
                    bridge::listen(DRAG_LEAVE, on_leave).await,
                ] {
                    match made {
                        Ok(l) => kept.borrow_mut().push(l),
                        Err(e) => web_sys::console::warn_1(&format!("file drops: {e}").into()),
                    }
                }
            });
            move || listeners.borrow_mut().clear()
        });
    }
    let save_seq = use_mut_ref(|| 0u64);
    {
        // The text the editor had when the app last closed.
        let sql = sql.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match bridge::invoke::<_, EditorState>(command::EDITOR_STATE, &NoArgs {}).await {
                    Ok(EditorState { sql: Some(text) }) if !text.trim().is_empty() => sql.set(text),
                    Ok(_) => {}
                    Err(e) => web_sys::console::warn_1(&format!("editor state: {e}").into()),
                }
            });
        });
    }

    // The data status is asked for again every second while the backend is busy (the first
    // start's sample is generated while the window opens), then the schema is reloaded.
    let status_tick = use_state(|| 0u32);
    {
        let status = status.clone();
        let motherduck = motherduck.clone();
        let status_tick = status_tick.clone();
        let schema_generation = schema_generation.clone();
        use_effect_with(*status_tick, move |tick| {
            let tick = *tick;
            wasm_bindgen_futures::spawn_local(async move {
                if tick > 0 {
                    let _ =
                        wasm_bindgen_futures::JsFuture::from(bridge::sleep(STATUS_POLL_MS)).await;
                }
                let answer =
                    bridge::invoke::<_, DataStatus>(command::DATA_STATUS, &NoArgs {}).await;
                let mut again = false;
                if let Ok(s) = &answer {
                    motherduck.set(Some(s.motherduck.clone()));
                    let empty = s.taxi_rows == 0 && s.origin == Default::default();
                    again = (s.busy.is_some() || empty) && tick < MAX_STATUS_POLLS;
                    if tick > 0 && !again {
                        schema_generation.set(schema_generation.wrapping_add(1));
                    }
                }
                status.set(Some(answer));
                if again {
                    status_tick.set(tick + 1);
                }
            });
        });
    }
    {
        // The profile may have changed on the dashboard: re-read the flags each time the tab shows.
        let targeting = targeting.clone();
        let shown = shown.clone();
        use_effect_with(props.active, move |active| {
            if *active {
                shown.set(shown.wrapping_add(1));
                wasm_bindgen_futures::spawn_local(async move {
                    targeting.set(Some(bridge::invoke(command::TARGETING, &NoArgs {}).await));
                });
            }
        });
    }
    {
        let schema = schema.clone();
        let seq = schema_seq.clone();
        use_effect_with((*target, *schema_generation), move |(target, _)| {
            let target = *target;
            let n = {
                let mut s = seq.borrow_mut();
                *s += 1;
                *s
            };
            wasm_bindgen_futures::spawn_local(async move {
                let answer =
                    bridge::invoke::<_, Vec<TableInfo>>(command::SCHEMA, &TargetArgs { target })
                        .await;
                if *seq.borrow() == n {
                    schema.set(Some(answer.map(Rc::new)));
                }
            });
        });
    }
    let connected = motherduck
        .as_ref()
        .is_some_and(|m| m.state == MotherDuckState::Connected);
    {
        // MotherDuck went away: queries go back to the local database.
        let target = target.clone();
        use_effect_with(connected, move |connected| {
            if !*connected && *target == QueryTarget::MotherDuck {
                target.set(QueryTarget::Local);
            }
        });
    }

    let reload_schema = {
        let generation = schema_generation.clone();
        Callback::from(move |()| generation.set(generation.wrapping_add(1)))
    };
    let on_status = {
        let status = status.clone();
        let motherduck = motherduck.clone();
        let reload_schema = reload_schema.clone();
        Callback::from(move |s: DataStatus| {
            motherduck.set(Some(s.motherduck.clone()));
            status.set(Some(Ok(s)));
            reload_schema.emit(());
        })
    };
    let on_motherduck = {
        let motherduck = motherduck.clone();
        let reload_schema = reload_schema.clone();
        Callback::from(move |m: MotherDuckStatus| {
            motherduck.set(Some(m));
            reload_schema.emit(());
        })
    };
    let on_target = {
        let target = target.clone();
        Callback::from(move |v: String| {
            target.set(if v == "mother-duck" {
                QueryTarget::MotherDuck
            } else {
                QueryTarget::Local
            })
        })
    };
    // Sets the editor's text and saves it for the next launch once typing pauses.
    let set_sql = {
        let sql = sql.clone();
        let save_seq = save_seq.clone();
        Callback::from(move |text: String| {
            sql.set(text.clone());
            let n = {
                let mut s = save_seq.borrow_mut();
                *s += 1;
                *s
            };
            let save_seq = save_seq.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ =
                    wasm_bindgen_futures::JsFuture::from(bridge::sleep(SAVE_SQL_AFTER_MS)).await;
                if *save_seq.borrow() != n {
                    return; // more typing came
                }
                let saved =
                    bridge::invoke::<_, ()>(command::SAVE_EDITOR_SQL, &SqlArgs { sql: &text })
                        .await;
                if let Err(e) = saved {
                    web_sys::console::warn_1(&format!("saving the editor's SQL: {e}").into());
                }
            });
        })
    };
    let on_pick = set_sql.reform(|table: String| format!("SELECT * FROM {table} LIMIT 100"));
    // Runs `text` as the editor's run; a run still going is replaced (the backend stops it).
    let run_text = {
        let target = *target;
        let running = running.clone();
        let query_error = query_error.clone();
        let result = result.clone();
        let next_run = next_run.clone();
        let history_generation = history_generation.clone();
        Callback::from(move |text: String| {
            if text.trim().is_empty() {
                query_error.set(Some("Write a query first.".into()));
                return;
            }
            let id = {
                let mut n = next_run.borrow_mut();
                *n += 1;
                *n
            };
            running.set(Some(id));
            query_error.set(None);
            let (next_run, running, query_error, result, history_generation) = (
                next_run.clone(),
                running.clone(),
                query_error.clone(),
                result.clone(),
                history_generation.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let request = QueryRequest {
                    sql: text,
                    target,
                    max_rows: None,
                    timeout_ms: None,
                };
                let answer = bridge::invoke::<_, QueryResult>(
                    command::RUN_QUERY,
                    &EditorRunArgs {
                        request: &request,
                        run: id,
                    },
                )
                .await;
                history_generation.set(id);
                if *next_run.borrow() != id {
                    return; // a later run superseded this one
                }
                running.set(None);
                match answer {
                    Ok(r) => result.set(Some(Shared::new(r))),
                    Err(e) => query_error.set(Some(e)),
                }
            });
        })
    };
    let on_rerun = {
        let set_sql = set_sql.clone();
        let run_text = run_text.clone();
        Callback::from(move |text: String| {
            set_sql.emit(text.clone());
            run_text.emit(text);
        })
    };
    let on_stop = {
        let running = running.clone();
        Callback::from(move |()| {
            let run = *running;
            wasm_bindgen_futures::spawn_local(async move {
                let stopped =
                    bridge::invoke::<_, bool>(command::STOP_QUERY, &StopArgs { run }).await;
                if let Err(e) = stopped {
                    web_sys::console::warn_1(&format!("stopping the query: {e}").into());
                }
            });
        })
    };

    let tables: Rc<Vec<TableInfo>> = match &*schema {
        Some(Ok(t)) => t.clone(),
        _ => Rc::new(Vec::new()),
    };
    let targets = vec![
        Choice::new("local", "Local DuckDB"),
        Choice {
            disabled: !connected,
            ..Choice::new("mother-duck", "MotherDuck (cloud)")
        },
    ];
    html! {
        <div class={ classes!("query-view", dragging.then_some("dragging")) } id="query-view">
            <section class="panel" id="data-panel">
                <OriginBadge status={ (*status).clone() } motherduck={ (*motherduck).clone() }
                    on_motherduck={ on_motherduck } />
                <DataManage on_status={ on_status } dropped={ (*dropped).clone() } />
                if *dragging {
                    <p class="drop-hint" id="drop-hint">{ "Drop TLC Parquet or CSV files to import them into taxi" }</p>
                }
            </section>
            <div class="query-layout">
                <SchemaSidebar schema={ (*schema).clone() } on_pick={ on_pick } />
                <div class="query-main">
                    <section class="panel" id="editor-panel">
                        <Editor sql={ AttrValue::from((*sql).clone()) } target={ *target }
                            running={ running.is_some() } error={ (*query_error).clone() }
                            on_input={ set_sql.clone() } on_run={ run_text.clone() } on_stop={ on_stop }>
                            <label class="inline">{ "Run on " }
                                <Select id="query-target" options={ targets }
                                    value={ target_value(*target) } onchange={ on_target } />
                            </label>
                        </Editor>
                    </section>
                    <section class="panel" id="results-panel">
                        { results(&result) }
                    </section>
                    <HistoryPanel target={ *target } generation={ *history_generation }
                        on_load={ set_sql } on_rerun={ on_rerun } />
                    <PivotPanel gate={ Gate::of(&targeting, "pivot-table-access") }
                        result={ (*result).clone() } tables={ tables } target={ *target } />
                    <SavePanel gate={ Gate::of(&targeting, "data-materialization") }
                        result={ (*result).clone() } target={ *target } shown={ *shown }
                        on_changed={ reload_schema } />
                </div>
            </div>
        </div>
    }
}

/// The current result with its export bar and chart, or a hint before the first run.
fn results(result: &Option<Shared>) -> Html {
    match result {
        None => html! {
            <div id="results" class="grid-empty muted">{ "Run a query to see its rows here." }</div>
        },
        Some(r) => html! {
            <>
                <ResultGrid id="results" summary_id="result-summary" result={ r.clone() } />
                <ExportBar result={ r.clone() } />
                <ResultChart id="results" result={ r.clone() } />
            </>
        },
    }
}
