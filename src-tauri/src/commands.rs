//! The Tauri commands: each translates an IPC call into a [`Core`] call, with no logic of its own.
//! Their names are [`datagata_ipc::command`]'s constants; the capability in
//! `src-tauri/capabilities/default.json` allows exactly these. Errors cross IPC as their message.

use datagata_ipc::{DeviceFacts, Profile, TargetingView, WebGpuReport};
use tauri::{AppHandle, State};

use crate::{Core, app};

#[tauri::command]
pub fn device_facts(core: State<'_, Core>) -> DeviceFacts {
    core.device_facts()
}

#[tauri::command]
pub fn report_webgpu(core: State<'_, Core>, report: WebGpuReport) -> DeviceFacts {
    core.report_webgpu(report)
}

#[tauri::command]
pub fn targeting(core: State<'_, Core>) -> Result<TargetingView, String> {
    core.targeting().map_err(|e| e.to_string())
}

#[tauri::command]
pub fn set_profile(
    app: AppHandle,
    core: State<'_, Core>,
    profile: Profile,
) -> Result<TargetingView, String> {
    let view = core.set_profile(profile).map_err(|e| e.to_string())?;
    app::save_profile(&app, &view.profile)?;
    Ok(view)
}
