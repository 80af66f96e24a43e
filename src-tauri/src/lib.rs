//! DataGata's backend: a plain-Rust core (device facts today; flags, data, AI, metrics and traffic
//! as they land) that the CLI and the Tauri shell both drive. Nothing here needs a window except
//! [`app`], so every behaviour can be tested without one.

pub mod app;
pub mod cli;
pub mod commands;
pub mod device;

use std::sync::RwLock;

use datagata_ipc::{DeviceFacts, WebGpuReport};

/// The one piece of state the app holds; the Tauri shell keeps it in managed state.
pub struct Core {
    device: RwLock<DeviceFacts>,
}

impl Core {
    /// Reads this machine's facts once, at start-up.
    pub fn start() -> Result<Self, device::DeviceError> {
        Ok(Self {
            device: RwLock::new(device::detect()?),
        })
    }

    pub fn device_facts(&self) -> DeviceFacts {
        self.device
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Records what the WebView found about WebGPU and returns the updated facts.
    pub fn report_webgpu(&self, report: WebGpuReport) -> DeviceFacts {
        let mut facts = self.device.write().unwrap_or_else(|e| e.into_inner());
        tracing::info!(
            usable = report.usable(),
            adapter = ?report.adapter.as_ref().map(|a| (&a.vendor, &a.architecture)),
            problem = ?report.problem,
            "WebView reported WebGPU"
        );
        facts.webgpu = Some(report);
        facts.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datagata_ipc::GpuAdapter;

    #[test]
    fn webgpu_report_is_merged_into_the_facts() {
        let core = Core::start().unwrap();
        assert!(core.device_facts().webgpu.is_none());
        let report = WebGpuReport {
            api_present: true,
            adapter: Some(GpuAdapter {
                vendor: "google".into(),
                architecture: "swiftshader".into(),
                ..Default::default()
            }),
            problem: None,
            user_agent: "test".into(),
        };
        let facts = core.report_webgpu(report.clone());
        assert_eq!(facts.webgpu.as_ref(), Some(&report));
        assert_eq!(core.device_facts().webgpu, Some(report));
    }
}
