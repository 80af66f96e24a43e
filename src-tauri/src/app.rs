//! The Tauri shell: plugins, managed state and command registration — nothing else.

use crate::{Core, commands};

/// Opens the DataGata window and runs until it closes.
pub fn run(core: Core) -> tauri::Result<()> {
    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::new().build())
        .manage(core)
        .invoke_handler(tauri::generate_handler![
            commands::device_facts,
            commands::report_webgpu
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
}
