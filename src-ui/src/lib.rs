//! DataGata's front end: Yew components compiled to wasm32 and served by the Tauri WebView.
//! [`bridge`] is the only place that touches Tauri's IPC or browser APIs by name; views call it
//! with the shared [`datagata_ipc`] types.

pub mod ai;
pub mod bridge;
pub mod chart;
pub mod dashboard;
pub mod machine;
pub mod metrics;
pub mod profile;
pub mod query;
pub mod settings;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Dashboard,
    Query,
    Ask,
    Metrics,
    Settings,
}

/// The tabs: which view, the tab's id, its label, the id of the panel it controls.
const TABS: [(Tab, &str, &str, &str); 5] = [
    (
        Tab::Dashboard,
        "tab-dashboard",
        "Dashboard",
        "panel-dashboard",
    ),
    (Tab::Query, "tab-query", "Query", "panel-query"),
    (Tab::Ask, "tab-ask", "Ask", "panel-ask"),
    (Tab::Metrics, "tab-metrics", "Metrics", "panel-metrics"),
    (Tab::Settings, "tab-settings", "Settings", "panel-settings"),
];

/// The app shell: header, the tab bar and the views. The dashboard is the default view; the
/// Query view mounts on its first visit and then stays mounted (hidden) so its result survives;
/// so does the Ask view (its question and answer survive a tab change) and the Metrics view,
/// both of which reload what they show each time they are shown.
#[function_component(App)]
pub fn app() -> Html {
    let tab = use_state(|| Tab::Dashboard);
    // The WebView's WebGPU is probed once, at start, and reported to the backend (it decides
    // whether WebLLM or the native engine answers local questions); views re-read the facts.
    let webgpu_reported = use_state(|| false);
    {
        let webgpu_reported = webgpu_reported.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let report = bridge::probe_webgpu().await;
                let args = machine::ReportArgs { report: &report };
                let told = bridge::invoke::<_, datagata_ipc::DeviceFacts>(
                    datagata_ipc::command::REPORT_WEBGPU,
                    &args,
                )
                .await;
                if let Err(e) = told {
                    web_sys::console::warn_1(&format!("reporting WebGPU: {e}").into());
                }
                webgpu_reported.set(true);
            });
            // The theme saved in Settings (the system's until one is chosen).
            wasm_bindgen_futures::spawn_local(settings::restore_theme());
        });
    }
    let query_opened = use_state(|| false);
    let ask_opened = use_state(|| false);
    let metrics_opened = use_state(|| false);
    let open = {
        let tab = tab.clone();
        let query_opened = query_opened.clone();
        let ask_opened = ask_opened.clone();
        let metrics_opened = metrics_opened.clone();
        Callback::from(move |t: Tab| {
            if t == Tab::Query && !*query_opened {
                query_opened.set(true);
            }
            if t == Tab::Ask && !*ask_opened {
                ask_opened.set(true);
            }
            if t == Tab::Metrics && !*metrics_opened {
                metrics_opened.set(true);
            }
            tab.set(t);
        })
    };
    // The tab bar follows WAI-ARIA's tabs pattern: one tab in the tab order (the open one),
    // arrow keys move between tabs and open them, Home/End go to the first/last.
    let onkeydown = {
        let open = open.clone();
        let current = *tab;
        Callback::from(move |e: KeyboardEvent| {
            let at = TABS.iter().position(|(t, ..)| *t == current).unwrap_or(0);
            let next = match e.key().as_str() {
                "ArrowRight" => (at + 1) % TABS.len(),
                "ArrowLeft" => (at + TABS.len() - 1) % TABS.len(),
                "Home" => 0,
                "End" => TABS.len() - 1,
                _ => return,
            };
            e.prevent_default();
            let (t, id, ..) = TABS[next];
            open.emit(t);
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(id))
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        })
    };
    let tab_button = |(t, id, label, panel): (Tab, &'static str, &'static str, &'static str)| {
        let selected = *tab == t;
        let open = open.clone();
        html! {
            <button id={ id } type="button" role="tab" class={ classes!("tab", selected.then_some("active")) }
                aria-selected={ selected.to_string() } aria-controls={ panel }
                tabindex={ if selected { "0" } else { "-1" } }
                onclick={ Callback::from(move |_: MouseEvent| open.emit(t)) }>{ label }</button>
        }
    };
    html! {
        <div class="shell">
            <header class="app-header">
                <img class="logo" src="icon.png" alt="" />
                <h1>{ "DataGata" }</h1>
                <span class="tagline">{ "NYC-taxi questions, answered by local or cloud AI" }</span>
                <nav class="tabs" role="tablist" aria-label="Views" onkeydown={ onkeydown }>
                    { for TABS.iter().copied().map(tab_button) }
                </nav>
            </header>
            <main>
                <div class="view" id="panel-dashboard" role="tabpanel" aria-labelledby="tab-dashboard"
                    hidden={ *tab != Tab::Dashboard }>
                    <dashboard::Dashboard webgpu_reported={ *webgpu_reported } />
                </div>
                <div class="view" id="panel-query" role="tabpanel" aria-labelledby="tab-query"
                    hidden={ *tab != Tab::Query }>
                    if *query_opened {
                        <query::QueryView active={ *tab == Tab::Query } />
                    }
                </div>
                <div class="view" id="panel-ask" role="tabpanel" aria-labelledby="tab-ask"
                    hidden={ *tab != Tab::Ask }>
                    if *ask_opened {
                        <ai::AskView active={ *tab == Tab::Ask } />
                    }
                </div>
                <div class="view" id="panel-metrics" role="tabpanel" aria-labelledby="tab-metrics"
                    hidden={ *tab != Tab::Metrics }>
                    if *metrics_opened {
                        <metrics::MetricsView active={ *tab == Tab::Metrics } />
                    }
                </div>
                <div class="view" id="panel-settings" role="tabpanel" aria-labelledby="tab-settings"
                    hidden={ *tab != Tab::Settings }>
                    <settings::SettingsView active={ *tab == Tab::Settings } />
                </div>
            </main>
        </div>
    }
}

/// Called by wasm-bindgen's glue once the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    yew::Renderer::<App>::new().render();
}
