//! DataGata's front end: Yew components compiled to wasm32 and served by the Tauri WebView.
//! [`bridge`] is the only place that touches Tauri's IPC or browser APIs by name; views call it
//! with the shared [`datagata_ipc`] types.

pub mod bridge;
pub mod dashboard;
pub mod machine;
pub mod profile;

use wasm_bindgen::prelude::*;
use yew::prelude::*;

/// The app shell: header and the current view.
#[function_component(App)]
pub fn app() -> Html {
    html! {
        <div class="shell">
            <header class="app-header">
                <img class="logo" src="icon.png" alt="" />
                <h1>{ "DataGata" }</h1>
                <span class="tagline">{ "NYC-taxi questions, answered by local or cloud AI" }</span>
            </header>
            <main>
                <dashboard::Dashboard />
            </main>
        </div>
    }
}

/// Called by wasm-bindgen's glue once the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    yew::Renderer::<App>::new().render();
}
