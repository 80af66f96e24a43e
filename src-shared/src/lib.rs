//! The IPC contract between DataGata's backend (`src-tauri`) and its Yew front end (`src-ui`).
//!
//! Every type that crosses the Tauri bridge is defined here once; both sides compile against it,
//! so a renamed field breaks the build instead of the running app. Field names are camelCase on the
//! wire because Tauri's `invoke` arguments and the LaunchDarkly context attributes are camelCase.

use serde::{Deserialize, Serialize};

/// Names of the Tauri commands, shared so the front end cannot misspell one.
pub mod command {
    /// `device_facts() -> DeviceFacts`
    pub const DEVICE_FACTS: &str = "device_facts";
    /// `report_webgpu(report: WebGpuReport) -> DeviceFacts`: the WebView tells the backend what
    /// WebGPU it found; the answer is the device facts with that report merged in.
    pub const REPORT_WEBGPU: &str = "report_webgpu";
}

/// The kind of machine, as used by the LaunchDarkly `session` context (`deviceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceType {
    Desktop,
    Laptop,
    Tablet,
    Mobile,
}

impl DeviceType {
    /// The attribute value LaunchDarkly rules compare against.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceType::Desktop => "desktop",
            DeviceType::Laptop => "laptop",
            DeviceType::Tablet => "tablet",
            DeviceType::Mobile => "mobile",
        }
    }
}

impl std::fmt::Display for DeviceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What this machine is: the seed of the LaunchDarkly `session` context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceFacts {
    /// Operating system family, e.g. "linux", "macos", "windows".
    pub os: String,
    /// Human name and version, e.g. "Debian GNU/Linux 12 (bookworm)".
    pub os_version: String,
    /// CPU architecture, e.g. "x86_64", "aarch64".
    pub arch: String,
    pub cpu_brand: String,
    /// Logical cores (what the OS schedules on).
    pub cpu_cores: usize,
    pub physical_cores: Option<usize>,
    pub memory_bytes: u64,
    pub device_type: DeviceType,
    /// The evidence the device type was derived from, in words.
    pub device_type_reason: String,
    /// What the app's WebView reported about WebGPU; `None` until the WebView has reported.
    pub webgpu: Option<WebGpuReport>,
}

impl DeviceFacts {
    /// Memory in GiB, rounded to one decimal — the unit people and targeting rules use.
    pub fn memory_gib(&self) -> f64 {
        (self.memory_bytes as f64 / (1024.0 * 1024.0 * 1024.0) * 10.0).round() / 10.0
    }
}

/// What the WebView found when it looked for WebGPU (`navigator.gpu` and `requestAdapter()`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct WebGpuReport {
    /// `navigator.gpu` exists.
    pub api_present: bool,
    /// `requestAdapter()` returned an adapter.
    pub adapter: Option<GpuAdapter>,
    /// Why there is no adapter, when there is none (missing API, null adapter, an exception).
    pub problem: Option<String>,
    /// The WebView's user agent, so the report says which engine answered.
    pub user_agent: String,
}

impl WebGpuReport {
    pub fn usable(&self) -> bool {
        self.api_present && self.adapter.is_some()
    }
}

/// `GPUAdapterInfo` plus the capabilities the local AI needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GpuAdapter {
    pub vendor: String,
    pub architecture: String,
    pub device: String,
    pub description: String,
    /// The adapter's feature names, e.g. "shader-f16".
    pub features: Vec<String>,
    pub max_storage_buffer_binding_size: Option<u64>,
    pub max_buffer_size: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_type_is_lowercase_on_the_wire() {
        assert_eq!(
            serde_json::to_string(&DeviceType::Laptop).unwrap(),
            "\"laptop\""
        );
        let back: DeviceType = serde_json::from_str("\"tablet\"").unwrap();
        assert_eq!(back, DeviceType::Tablet);
    }

    #[test]
    fn facts_use_camel_case_and_round_trip() {
        let facts = DeviceFacts {
            os: "linux".into(),
            os_version: "Debian 12".into(),
            arch: "x86_64".into(),
            cpu_brand: "Test CPU".into(),
            cpu_cores: 8,
            physical_cores: Some(4),
            memory_bytes: 16 * 1024 * 1024 * 1024,
            device_type: DeviceType::Desktop,
            device_type_reason: "chassis 3".into(),
            webgpu: Some(WebGpuReport {
                api_present: true,
                adapter: Some(GpuAdapter {
                    vendor: "google".into(),
                    architecture: "swiftshader".into(),
                    ..Default::default()
                }),
                problem: None,
                user_agent: "test".into(),
            }),
        };
        let json = serde_json::to_value(&facts).unwrap();
        assert_eq!(json["cpuCores"], 8);
        assert_eq!(json["deviceType"], "desktop");
        assert_eq!(json["webgpu"]["adapter"]["architecture"], "swiftshader");
        let back: DeviceFacts = serde_json::from_value(json).unwrap();
        assert_eq!(back, facts);
        assert_eq!(back.memory_gib(), 16.0);
        assert!(back.webgpu.unwrap().usable());
    }
}
