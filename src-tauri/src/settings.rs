//! What the app remembers between launches: the person's profile, AI provider choice, pinned
//! local runtime, the SQL editor's text and the theme, in
//! tauri-plugin-store's `settings.json` in the data directory. The window's commands save here;
//! the shell reads it at start.

use datagata_ipc::{
    Profile, Theme,
    ai::{ProviderChoice, RuntimePin},
};
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;

/// The settings file, in the data directory (`DATAGATA_DATA_DIR` moves it with the rest).
pub fn settings_path() -> std::path::PathBuf {
    crate::data_dir().join("settings.json")
}
const PROFILE_KEY: &str = "profile";
const PROVIDER_KEY: &str = "aiProvider";
const EDITOR_SQL_KEY: &str = "editorSql";
const THEME_KEY: &str = "theme";
/// The longest editor text kept (a pasted dump is not worth a slow settings file).
pub const EDITOR_SQL_MAX_CHARS: usize = 200_000;
const RUNTIME_PIN_KEY: &str = "localRuntime";

/// The profile an earlier launch saved; `None` on first launch (or if the saved one is
/// unreadable, which is logged and treated as a first launch rather than a crash).
pub fn load_profile<R: Runtime>(app: &AppHandle<R>) -> Option<Profile> {
    let store = app
        .store(settings_path())
        .inspect_err(|e| tracing::warn!("settings store unavailable: {e}"))
        .ok()?;
    let value = store.get(PROFILE_KEY)?;
    serde_json::from_value(value)
        .inspect_err(|e| tracing::warn!("ignoring the saved profile, it does not parse: {e}"))
        .ok()
}

/// The AI provider chosen at an earlier launch, if any.
pub fn load_provider_choice<R: Runtime>(app: &AppHandle<R>) -> Option<ProviderChoice> {
    let value = app.store(settings_path()).ok()?.get(PROVIDER_KEY)?;
    serde_json::from_value(value).ok()
}

/// Saves the AI provider choice for the next launches.
pub fn save_provider_choice<R: Runtime>(
    app: &AppHandle<R>,
    choice: ProviderChoice,
) -> Result<(), String> {
    let store = app.store(settings_path()).map_err(|e| e.to_string())?;
    store.set(PROVIDER_KEY, serde_json::json!(choice));
    store
        .save()
        .map_err(|e| format!("saving your provider choice failed: {e}"))
}

/// The local runtime pinned at an earlier launch (auto when none was, or it does not parse).
pub fn load_runtime_pin<R: Runtime>(app: &AppHandle<R>) -> RuntimePin {
    app.store(settings_path())
        .ok()
        .and_then(|s| s.get(RUNTIME_PIN_KEY))
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// Saves the pinned local runtime for the next launches.
pub fn save_runtime_pin<R: Runtime>(app: &AppHandle<R>, pin: RuntimePin) -> Result<(), String> {
    let store = app.store(settings_path()).map_err(|e| e.to_string())?;
    store.set(RUNTIME_PIN_KEY, serde_json::json!(pin));
    store
        .save()
        .map_err(|e| format!("saving the pinned runtime failed: {e}"))
}

/// Saves the profile so the next launch starts with it.
pub fn save_profile<R: Runtime>(app: &AppHandle<R>, profile: &Profile) -> Result<(), String> {
    let store = app.store(settings_path()).map_err(|e| e.to_string())?;
    store.set(
        PROFILE_KEY,
        serde_json::to_value(profile).map_err(|e| e.to_string())?,
    );
    store
        .save()
        .map_err(|e| format!("saving your profile failed: {e}"))
}

/// The SQL editor's text when the last session left it, if any.
pub fn load_editor_sql<R: Runtime>(app: &AppHandle<R>) -> Option<String> {
    let value = app.store(settings_path()).ok()?.get(EDITOR_SQL_KEY)?;
    value.as_str().map(str::to_string)
}

/// Keeps the SQL editor's text for the next launch (cut at [`EDITOR_SQL_MAX_CHARS`]).
pub fn save_editor_sql<R: Runtime>(app: &AppHandle<R>, sql: &str) -> Result<(), String> {
    let store = app.store(settings_path()).map_err(|e| e.to_string())?;
    let kept: String = sql.chars().take(EDITOR_SQL_MAX_CHARS).collect();
    store.set(EDITOR_SQL_KEY, serde_json::json!(kept));
    store
        .save()
        .map_err(|e| format!("saving the editor's SQL failed: {e}"))
}

/// The theme chosen in Settings (the system's until one is).
pub fn load_theme<R: Runtime>(app: &AppHandle<R>) -> Theme {
    app.store(settings_path())
        .ok()
        .and_then(|s| s.get(THEME_KEY))
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// Saves the theme for the next launches.
pub fn save_theme<R: Runtime>(app: &AppHandle<R>, theme: Theme) -> Result<(), String> {
    let store = app.store(settings_path()).map_err(|e| e.to_string())?;
    store.set(THEME_KEY, serde_json::json!(theme));
    store
        .save()
        .map_err(|e| format!("saving the theme failed: {e}"))
}
