//! The Tauri shell: plugins, managed state, command registration — nothing else. One
//! instance at a time (a second launch focuses the first window); a start-up failure is shown
//! in a native dialog, never a panic.

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

use std::sync::Arc;

use crate::{
    Core,
    ai::models,
    automation, commands, data,
    settings::{load_profile, load_provider_choice, load_runtime_pin},
    webview,
};

/// Answers a request on the `dgmodel` protocol (imported model folders, read off the main thread).
fn serve_model_file<R: Runtime>(
    app: AppHandle<R>,
    request: tauri::http::Request<Vec<u8>>,
    responder: tauri::UriSchemeResponder,
) {
    tauri::async_runtime::spawn_blocking(move || {
        let path = request.uri().path();
        let served = match app.try_state::<Arc<Core>>() {
            Some(core) => core.model_folders().serve(path),
            None => models::Served::error(503, "the app is still starting".into()),
        };
        let response = tauri::http::Response::builder()
            .status(served.status)
            .header(tauri::http::header::CONTENT_TYPE, served.content_type)
            // WebLLM fetches from the page's origin and from its worker.
            .header(tauri::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .body(served.body)
            .unwrap_or_default();
        responder.respond(response);
    });
}

/// What to tell a person whose DataGata could not start, and what to do about it.
fn startup_message(e: &crate::CoreError) -> String {
    match e {
        crate::CoreError::Data(crate::data::DataError::Locked { holder, .. })
            if holder.is_datagata() =>
        {
            format!(
                "DataGata is already running ({holder}) and holds its database. Switch to that \
                 window, or close it and start DataGata again."
            )
        }
        crate::CoreError::Data(crate::data::DataError::Locked { holder, path }) => format!(
            "The database {path} is in use by {holder}. Close that program and start DataGata \
             again."
        ),
        other => format!(
            "DataGata could not start: {other}\n\nIts data is in {}. The log has the details \
             (RUST_LOG=datagata=debug).",
            crate::data_dir().display()
        ),
    }
}

/// Shows why the app cannot start, then exits when the dialog is closed.
fn startup_failed<R: Runtime>(app: &AppHandle<R>, e: crate::CoreError) {
    let message = startup_message(&e);
    tracing::error!("start-up failed: {e}");
    eprintln!("{message}");
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.hide();
    }
    let handle = app.clone();
    app.dialog()
        .message(message)
        .title("DataGata could not start")
        .kind(MessageDialogKind::Error)
        .show(move |_| handle.exit(1));
}

/// Builds the core and everything that starts with it; on error the caller shows why.
fn start_core<R: Runtime>(app: &AppHandle<R>) -> Result<(), crate::CoreError> {
    let data_dir = crate::data_dir();
    let profile = load_profile(app);
    let core = tauri::async_runtime::block_on(Core::start(&data_dir, profile))?;
    core.restore_provider_choice(load_provider_choice(app));
    core.restore_runtime_pin(load_runtime_pin(app));
    if let Some(window) = app.get_webview_window("main") {
        webview::enable_webgpu(&window);
    }
    let motherduck = data::motherduck::token(core.data().files_root()).is_some();
    let core = Arc::new(core);
    app.manage(core.clone());
    if automation::enabled() {
        let data_dir = data_dir.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(e) = automation::serve(core, &data_dir).await {
                tracing::error!("the automation endpoint did not start: {e}");
            }
        });
    }
    // The first start's sample takes seconds: generated while the window opens.
    let handle = app.clone();
    std::thread::spawn(move || {
        if let Err(e) = handle.state::<Arc<Core>>().prepare_data() {
            tracing::error!("preparing the trip data: {e}");
        }
    });
    if motherduck {
        // Attaching takes seconds (more when offline): the window opens meanwhile.
        let handle = app.clone();
        std::thread::spawn(move || {
            if let Err(e) = handle.state::<Arc<Core>>().connect_motherduck(None) {
                tracing::warn!("MotherDuck: {e}");
            }
        });
    }
    Ok(())
}

/// Brings the running window forward (a second launch asked for it).
fn focus_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Opens the DataGata window and runs until it closes.
pub fn run() -> tauri::Result<()> {
    tauri::Builder::default()
        // First: a second launch hands over to the running one before touching the database.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("another launch asked for the window");
            focus_main(app);
        }))
        .plugin(tauri_plugin_dialog::init())
        // Copies from the result grid (the window may write the clipboard, never read it).
        .plugin(tauri_plugin_clipboard_manager::init())
        // Size, position and maximized state remembered between launches.
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_store::Builder::new().build())
        .register_asynchronous_uri_scheme_protocol(models::SCHEME, |ctx, request, responder| {
            serve_model_file(ctx.app_handle().clone(), request, responder)
        })
        .setup(|app| {
            if let Err(e) = start_core(app.handle()) {
                startup_failed(app.handle(), e);
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::device_facts,
            commands::report_webgpu,
            commands::targeting,
            commands::set_profile,
            commands::data_status,
            commands::schema,
            commands::run_query,
            commands::stop_query,
            commands::complete_sql,
            commands::sql_vocabulary,
            commands::query_history,
            commands::ui_settings,
            commands::set_theme,
            commands::editor_state,
            commands::save_editor_sql,
            commands::generate_sample,
            commands::import_files,
            commands::export_result,
            commands::save_chart,
            commands::disconnect_motherduck,
            commands::pivot,
            commands::save_table,
            commands::saved_tables,
            commands::drop_table,
            commands::connect_motherduck,
            commands::metrics,
            commands::ai_panel,
            commands::set_provider_choice,
            commands::ask,
            commands::local_generated,
            commands::local_failed,
            commands::run_answer,
            commands::ai_feedback,
            commands::import_model_folder,
            commands::forget_model_folder,
            commands::stop_generation,
            commands::download_gguf,
            commands::cancel_gguf_download,
            commands::pick_gguf_file,
            commands::import_gguf,
            commands::use_gguf,
            commands::remove_gguf,
            commands::set_runtime_pin,
        ])
        .build(tauri::generate_context!("../tauri.conf.json"))?
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                // Deliver pending LaunchDarkly events; the local log already has them.
                if let Some(core) = app.try_state::<Arc<Core>>() {
                    core.shutdown();
                    automation::forget(&crate::data_dir());
                }
            }
        });
    Ok(())
}
