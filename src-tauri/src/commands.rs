//! The Tauri commands: each translates an IPC call into a [`Core`] call, with no logic of its own.
//! Their names are [`datagata_ipc::command`]'s constants; the capability in
//! `src-tauri/capabilities/default.json` allows exactly these.

use datagata_ipc::{DeviceFacts, WebGpuReport};
use tauri::State;

use crate::Core;

#[tauri::command]
pub fn device_facts(core: State<'_, Core>) -> DeviceFacts {
    core.device_facts()
}

#[tauri::command]
pub fn report_webgpu(core: State<'_, Core>, report: WebGpuReport) -> DeviceFacts {
    core.report_webgpu(report)
}
