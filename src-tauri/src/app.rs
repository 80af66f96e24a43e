//! The Tauri shell: plugins, managed state, command registration, and where the person's
//! settings live (tauri-plugin-store's `settings.json` in the app's data directory).

use datagata_ipc::{Profile, ai::ProviderChoice};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_store::StoreExt;

use std::sync::Arc;

use crate::{Core, ai::models, automation, commands, data, webview};

const SETTINGS: &str = "settings.json";
const PROFILE_KEY: &str = "profile";
const PROVIDER_KEY: &str = "aiProvider";

/// The profile an earlier launch saved; `None` on first launch (or if the saved one is
/// unreadable, which is logged and treated as a first launch rather than a crash).
fn load_profile<R: Runtime>(app: &AppHandle<R>) -> Option<Profile> {
    let store = app
        .store(SETTINGS)
        .inspect_err(|e| tracing::warn!("settings store unavailable: {e}"))
        .ok()?;
    let value = store.get(PROFILE_KEY)?;
    serde_json::from_value(value)
        .inspect_err(|e| tracing::warn!("ignoring the saved profile, it does not parse: {e}"))
        .ok()
}

/// The AI provider chosen at an earlier launch, if any.
fn load_provider_choice<R: Runtime>(app: &AppHandle<R>) -> Option<ProviderChoice> {
    let value = app.store(SETTINGS).ok()?.get(PROVIDER_KEY)?;
    serde_json::from_value(value).ok()
}

/// Saves the AI provider choice for the next launches.
pub fn save_provider_choice<R: Runtime>(
    app: &AppHandle<R>,
    choice: ProviderChoice,
) -> Result<(), String> {
    let store = app.store(SETTINGS).map_err(|e| e.to_string())?;
    store.set(PROVIDER_KEY, serde_json::json!(choice));
    store
        .save()
        .map_err(|e| format!("saving your provider choice failed: {e}"))
}

/// Saves the profile so the next launch starts with it.
pub fn save_profile<R: Runtime>(app: &AppHandle<R>, profile: &Profile) -> Result<(), String> {
    let store = app.store(SETTINGS).map_err(|e| e.to_string())?;
    store.set(
        PROFILE_KEY,
        serde_json::to_value(profile).map_err(|e| e.to_string())?,
    );
    store
        .save()
        .map_err(|e| format!("saving your profile failed: {e}"))
}

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

/// Opens the DataGata window and runs until it closes.
pub fn run() -> tauri::Result<()> {
    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::new().build())
        .register_asynchronous_uri_scheme_protocol(models::SCHEME, |ctx, request, responder| {
            serve_model_file(ctx.app_handle().clone(), request, responder)
        })
        .setup(|app| {
            let data_dir = app.path().app_data_dir()?;
            let profile = load_profile(app.handle());
            let core = tauri::async_runtime::block_on(Core::start(&data_dir, profile))?;
            core.restore_provider_choice(load_provider_choice(app.handle()));
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
            let handle = app.handle().clone();
            std::thread::spawn(move || {
                if let Err(e) = handle.state::<Arc<Core>>().prepare_data() {
                    tracing::error!("preparing the trip data: {e}");
                }
            });
            if motherduck {
                // Attaching takes seconds (more when offline): the window opens meanwhile.
                let handle = app.handle().clone();
                std::thread::spawn(move || {
                    if let Err(e) = handle.state::<Arc<Core>>().connect_motherduck(None) {
                        tracing::warn!("MotherDuck: {e}");
                    }
                });
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
            commands::generate_sample,
            commands::import_files,
            commands::export_result,
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
        ])
        .build(tauri::generate_context!("../tauri.conf.json"))?
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                // Deliver pending LaunchDarkly events; the local log already has them.
                app.state::<Arc<Core>>().shutdown();
                if let Ok(dir) = app.path().app_data_dir() {
                    automation::forget(&dir);
                }
            }
        });
    Ok(())
}
