//! The Tauri commands: each translates an IPC call into a [`Core`] call, with no logic of its own.
//! Their names are [`datagata_ipc::command`]'s constants; the capability in
//! `src-tauri/capabilities/default.json` allows exactly these. Errors cross IPC as their message.

use datagata_ipc::{
    DeviceFacts, Profile, TargetingView, Theme, UiSettings, WebGpuReport,
    data::{
        ChartSaved, CompleteRequest, Completion, DataStatus, EditorState, ExportDone,
        ExportRequest, GenerateRequest, HistoryEntry, HistorySearch, ImportRequest,
        MotherDuckDisconnected, MotherDuckStatus, PivotRequest, QueryRequest, QueryResult,
        QueryTarget, SaveChartRequest, SaveTableOutcome, SaveTableRequest, SavedTable,
        SqlVocabulary, TableInfo,
    },
};
use std::sync::Arc;

use datagata_ipc::{
    ai::{
        AiAnswer, AiPanelView, AskPrepared, AskRequest, FeedbackRequest, GgufPathRequest,
        ImportModelRequest, LocalFailure, LocalGeneration, ProviderChoice, RunAnswerRequest,
        RuntimePin,
    },
    metrics::{MetricsReport, TimeRange},
};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::{Core, CoreError, settings};

#[tauri::command]
pub fn device_facts(core: State<'_, Arc<Core>>) -> DeviceFacts {
    core.device_facts()
}

#[tauri::command]
pub fn report_webgpu(core: State<'_, Arc<Core>>, report: WebGpuReport) -> DeviceFacts {
    core.report_webgpu(report)
}

#[tauri::command]
pub fn targeting(core: State<'_, Arc<Core>>) -> Result<TargetingView, String> {
    core.targeting().map_err(|e| e.to_string())
}

#[tauri::command]
pub fn set_profile(
    app: AppHandle,
    core: State<'_, Arc<Core>>,
    profile: Profile,
) -> Result<TargetingView, String> {
    let view = core.set_profile(profile).map_err(|e| e.to_string())?;
    settings::save_profile(&app, &view.profile)?;
    Ok(view)
}

/// Runs blocking core work (DuckDB) on Tauri's blocking pool, never on the UI thread.
async fn blocking<T: Send + 'static>(
    app: AppHandle,
    work: impl FnOnce(&Core) -> Result<T, CoreError> + Send + 'static,
) -> Result<T, String> {
    let core = app
        .try_state::<Arc<Core>>()
        .ok_or("DataGata has not started (see the start-up message)")?
        .inner()
        .clone();
    tauri::async_runtime::spawn_blocking(move || work(&core))
        .await
        .map_err(|e| format!("the background task failed: {e}"))?
        .map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn data_status(app: AppHandle) -> Result<DataStatus, String> {
    blocking(app, |core| core.data_status()).await
}

#[tauri::command]
pub async fn schema(app: AppHandle, target: QueryTarget) -> Result<Vec<TableInfo>, String> {
    blocking(app, move |core| core.schema(target)).await
}

/// With a `run` id: the SQL editor's run (stoppable, replaces the editor's earlier run, kept
/// in the history).
#[tauri::command]
pub async fn run_query(
    app: AppHandle,
    request: QueryRequest,
    run: Option<u64>,
) -> Result<QueryResult, String> {
    blocking(app, move |core| match run {
        Some(id) => core.run_editor_query(&request, id),
        None => core.run_query(&request),
    })
    .await
}

#[tauri::command]
pub async fn complete_sql(app: AppHandle, request: CompleteRequest) -> Result<Completion, String> {
    blocking(app, move |core| core.complete_sql(&request)).await
}

#[tauri::command]
pub async fn sql_vocabulary(app: AppHandle) -> Result<SqlVocabulary, String> {
    blocking(app, |core| core.sql_vocabulary()).await
}

/// Not on the blocking pool: it must get through while every worker runs a query.
#[tauri::command]
pub fn stop_query(core: State<'_, Arc<Core>>, run: Option<u64>) -> bool {
    core.stop_query(run)
}

#[tauri::command]
pub fn query_history(core: State<'_, Arc<Core>>, search: HistorySearch) -> Vec<HistoryEntry> {
    core.query_history(&search)
}

#[tauri::command]
pub fn ui_settings(app: AppHandle) -> UiSettings {
    UiSettings {
        theme: settings::load_theme(&app),
    }
}

#[tauri::command]
pub fn set_theme(app: AppHandle, theme: Theme) -> Result<UiSettings, String> {
    settings::save_theme(&app, theme)?;
    Ok(UiSettings { theme })
}

#[tauri::command]
pub fn editor_state(app: AppHandle) -> EditorState {
    EditorState {
        sql: settings::load_editor_sql(&app),
    }
}

#[tauri::command]
pub fn save_editor_sql(app: AppHandle, sql: String) -> Result<(), String> {
    settings::save_editor_sql(&app, &sql)
}

#[tauri::command]
pub async fn generate_sample(
    app: AppHandle,
    request: GenerateRequest,
) -> Result<DataStatus, String> {
    blocking(app, move |core| core.generate_sample(&request)).await
}

#[tauri::command]
pub async fn import_files(app: AppHandle, request: ImportRequest) -> Result<DataStatus, String> {
    blocking(app, move |core| core.import_files(&request)).await
}

#[tauri::command]
pub async fn export_result(app: AppHandle, request: ExportRequest) -> Result<ExportDone, String> {
    blocking(app, move |core| core.export_result(&request)).await
}

#[tauri::command]
pub async fn pivot(app: AppHandle, request: PivotRequest) -> Result<QueryResult, String> {
    blocking(app, move |core| core.pivot(&request)).await
}

#[tauri::command]
pub async fn save_table(
    app: AppHandle,
    request: SaveTableRequest,
) -> Result<SaveTableOutcome, String> {
    blocking(app, move |core| core.save_table(&request)).await
}

#[tauri::command]
pub async fn saved_tables(app: AppHandle, target: QueryTarget) -> Result<Vec<SavedTable>, String> {
    blocking(app, move |core| core.saved_tables(target)).await
}

#[tauri::command]
pub async fn drop_table(
    app: AppHandle,
    target: QueryTarget,
    name: String,
) -> Result<Vec<SavedTable>, String> {
    blocking(app, move |core| core.drop_table(target, &name)).await
}

#[tauri::command]
pub async fn connect_motherduck(
    app: AppHandle,
    token: Option<String>,
) -> Result<MotherDuckStatus, String> {
    blocking(app, move |core| core.connect_motherduck(token.as_deref())).await
}

#[tauri::command]
pub async fn disconnect_motherduck(app: AppHandle) -> Result<MotherDuckDisconnected, String> {
    blocking(app, |core| core.disconnect_motherduck()).await
}

/// No core state is needed: the file is written off the UI thread.
#[tauri::command]
pub async fn save_chart(request: SaveChartRequest) -> Result<ChartSaved, String> {
    tauri::async_runtime::spawn_blocking(move || crate::chart_file::save(&request))
        .await
        .map_err(|e| format!("the background task failed: {e}"))?
        .map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn metrics(app: AppHandle, range: TimeRange) -> Result<MetricsReport, String> {
    blocking(app, move |core| core.metrics(range)).await
}

#[tauri::command]
pub async fn ai_panel(app: AppHandle) -> Result<AiPanelView, String> {
    blocking(app, |core| core.ai_panel()).await
}

#[tauri::command]
pub async fn set_provider_choice(
    app: AppHandle,
    choice: ProviderChoice,
) -> Result<AiPanelView, String> {
    let view = blocking(app.clone(), move |core| core.set_provider_choice(choice)).await?;
    settings::save_provider_choice(&app, choice)?;
    Ok(view)
}

#[tauri::command]
pub async fn ask(app: AppHandle, request: AskRequest) -> Result<AskPrepared, String> {
    let emitter = app.clone();
    blocking(app, move |core| {
        core.ask_ai(&request, &mut |text| {
            let token = datagata_ipc::ai::TokenEvent { text: text.into() };
            if let Err(e) = emitter.emit(datagata_ipc::event::AI_TOKEN, token) {
                tracing::debug!("sending a token to the window: {e}");
            }
        })
    })
    .await
}

/// Stops the native engine's generation under way.
#[tauri::command]
pub async fn stop_generation(app: AppHandle) -> Result<(), String> {
    blocking(app, move |core| {
        core.stop_generation();
        Ok::<(), crate::CoreError>(())
    })
    .await
}

#[tauri::command]
pub async fn local_generated(app: AppHandle, report: LocalGeneration) -> Result<String, String> {
    blocking(app, move |core| core.local_generated(&report)).await
}

#[tauri::command]
pub async fn local_failed(app: AppHandle, report: LocalFailure) -> Result<(), String> {
    blocking(app, move |core| core.local_failed(&report)).await
}

#[tauri::command]
pub async fn run_answer(app: AppHandle, request: RunAnswerRequest) -> Result<AiAnswer, String> {
    blocking(app, move |core| core.run_answer(&request)).await
}

#[tauri::command]
pub async fn ai_feedback(app: AppHandle, request: FeedbackRequest) -> Result<(), String> {
    blocking(app, move |core| core.ai_feedback(&request)).await
}

#[tauri::command]
pub async fn import_model_folder(
    app: AppHandle,
    request: ImportModelRequest,
) -> Result<AiPanelView, String> {
    blocking(app, move |core| {
        core.import_model_folder(std::path::Path::new(&request.path))
    })
    .await
}

#[tauri::command]
pub async fn forget_model_folder(app: AppHandle, model_id: String) -> Result<AiPanelView, String> {
    blocking(app, move |core| core.forget_model_folder(&model_id)).await
}

#[tauri::command]
pub async fn download_gguf(app: AppHandle) -> Result<AiPanelView, String> {
    let emitter = app.clone();
    blocking(app, move |core| {
        core.download_gguf(&mut |progress| {
            if let Err(e) = emitter.emit(datagata_ipc::event::GGUF_DOWNLOAD, progress) {
                tracing::debug!("sending download progress to the window: {e}");
            }
        })
    })
    .await
}

#[tauri::command]
pub fn cancel_gguf_download(core: State<'_, Arc<Core>>) {
    core.cancel_gguf_download();
}

/// The native file dialog (GTK, Cocoa, Win32), answered off the UI thread.
#[tauri::command]
pub async fn pick_gguf_file(app: AppHandle) -> Result<Option<String>, String> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Import a GGUF model file")
        .add_filter("GGUF model", &["gguf"])
        .pick_file(move |file| {
            let _ = tx.send(file);
        });
    let file = rx
        .await
        .map_err(|_| "the file dialog closed unexpectedly")?;
    file.map(|f| {
        f.into_path()
            .map(|p| p.display().to_string())
            .map_err(|e| format!("that file cannot be used: {e}"))
    })
    .transpose()
}

#[tauri::command]
pub async fn import_gguf(app: AppHandle, request: GgufPathRequest) -> Result<AiPanelView, String> {
    blocking(app, move |core| {
        core.import_gguf(std::path::Path::new(&request.path))
    })
    .await
}

#[tauri::command]
pub async fn use_gguf(app: AppHandle, request: GgufPathRequest) -> Result<AiPanelView, String> {
    blocking(app, move |core| {
        let path = std::path::PathBuf::from(&request.path);
        core.use_gguf(Some(path.as_path()).filter(|_| !request.path.is_empty()))
    })
    .await
}

#[tauri::command]
pub async fn remove_gguf(app: AppHandle, request: GgufPathRequest) -> Result<AiPanelView, String> {
    blocking(app, move |core| {
        core.remove_gguf(std::path::Path::new(&request.path))
    })
    .await
}

#[tauri::command]
pub async fn set_runtime_pin(app: AppHandle, pin: RuntimePin) -> Result<AiPanelView, String> {
    let view = blocking(app.clone(), move |core| core.set_runtime_pin(pin)).await?;
    settings::save_runtime_pin(&app, pin)?;
    Ok(view)
}
