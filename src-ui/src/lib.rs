//! DataGata's front end: Yew components compiled to wasm32 and served by the Tauri WebView.
//! [`bridge`] is the only place that touches Tauri's IPC or browser APIs by name; views call it
//! with the shared [`datagata_ipc`] types.

pub mod ai;
pub mod bridge;
pub mod dashboard;
pub mod machine;
pub mod metrics;
pub mod profile;
pub mod query;

use wasm_bindgen::prelude::*;
use yew::prelude::*;

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Dashboard,
    Query,
    Ask,
    Metrics,
}

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
        });
    }
    let query_opened = use_state(|| false);
    let ask_opened = use_state(|| false);
    let metrics_opened = use_state(|| false);
    let choose = |t: Tab| {
        let tab = tab.clone();
        let query_opened = query_opened.clone();
        let ask_opened = ask_opened.clone();
        let metrics_opened = metrics_opened.clone();
        Callback::from(move |_: MouseEvent| {
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
    let tab_button = |t: Tab, id: &'static str, label: &'static str| {
        let selected = *tab == t;
        html! {
            <button id={ id } type="button" role="tab" class={ classes!("tab", selected.then_some("active")) }
                aria-selected={ selected.to_string() } onclick={ choose(t) }>{ label }</button>
        }
    };
    html! {
        <div class="shell">
            <header class="app-header">
                <img class="logo" src="icon.png" alt="" />
                <h1>{ "DataGata" }</h1>
                <span class="tagline">{ "NYC-taxi questions, answered by local or cloud AI" }</span>
                <nav class="tabs" role="tablist">
                    { tab_button(Tab::Dashboard, "tab-dashboard", "Dashboard") }
                    { tab_button(Tab::Query, "tab-query", "Query") }
                    { tab_button(Tab::Ask, "tab-ask", "Ask") }
                    { tab_button(Tab::Metrics, "tab-metrics", "Metrics") }
                </nav>
            </header>
            <main>
                <div class="view" hidden={ *tab != Tab::Dashboard }>
                    <dashboard::Dashboard webgpu_reported={ *webgpu_reported } />
                </div>
                if *query_opened {
                    <div class="view" hidden={ *tab != Tab::Query }>
                        <query::QueryView active={ *tab == Tab::Query } />
                    </div>
                }
                if *ask_opened {
                    <div class="view" hidden={ *tab != Tab::Ask }>
                        <ai::AskView active={ *tab == Tab::Ask } />
                    </div>
                }
                if *metrics_opened {
                    <div class="view" hidden={ *tab != Tab::Metrics }>
                        <metrics::MetricsView active={ *tab == Tab::Metrics } />
                    </div>
                }
            </main>
        </div>
    }
}

/// Called by wasm-bindgen's glue once the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    yew::Renderer::<App>::new().render();
}
