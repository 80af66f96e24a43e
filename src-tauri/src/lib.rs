//! DataGata's backend: a plain-Rust core (device facts, targeting; data, AI, metrics and traffic
//! as they land) that the CLI and the Tauri shell both drive. Nothing here needs a window except
//! [`app`], so every behaviour can be tested without one.

pub mod app;
pub mod cli;
pub mod commands;
pub mod context;
pub mod device;
pub mod flags;

use std::{
    path::{Path, PathBuf},
    sync::RwLock,
};

use datagata_ipc::{DeviceFacts, Profile, TargetingView, WebGpuReport};
use serde_json::Value;

use crate::{
    context::{ContextError, Session},
    flags::{
        FlagSource, Flags, FlagsError, LiveConfig,
        events::{EventLog, EventLogError, TrackedEvent},
    },
};

/// The app's identifier (tauri.conf.json); its data directory is named after it.
pub const APP_IDENTIFIER: &str = "com.datagata.desktop";

/// Where the app keeps its data: `DATAGATA_DATA_DIR`, else the platform's data directory
/// (`~/.local/share/com.datagata.desktop` on Linux) — the same one the window uses.
pub fn data_dir() -> PathBuf {
    std::env::var_os("DATAGATA_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join(APP_IDENTIFIER)))
        .unwrap_or_else(|| PathBuf::from(".datagata"))
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Device(#[from] device::DeviceError),
    #[error("loading feature flags: {0}")]
    Flags(#[from] FlagsError),
    #[error(transparent)]
    Events(#[from] EventLogError),
    #[error(transparent)]
    Context(#[from] ContextError),
}

/// The one piece of state the app holds; the Tauri shell keeps it in managed state.
pub struct Core {
    device: RwLock<DeviceFacts>,
    session: Session,
    /// The person's profile, and whether it is still the first-launch default.
    profile: RwLock<(Profile, bool)>,
    flags: Flags,
    events: EventLog,
}

impl Core {
    /// Starts with the app's data in `data_dir`: the event log in its DuckDB database, and the
    /// flags live from LaunchDarkly when `LAUNCHDARKLY_SDK_KEY` is set (falling back to the last
    /// data received, then the embedded file), else the embedded file. `saved` is the profile
    /// an earlier launch saved, if any.
    pub async fn start(data_dir: &Path, saved: Option<Profile>) -> Result<Self, CoreError> {
        let events = EventLog::open(&data_dir.join("datagata.duckdb"))?;
        let flags = match LiveConfig::from_env(data_dir.join("flags-last-known-good.json")) {
            Some(live) => Flags::open_live(&live).await?,
            None => Flags::open(&FlagSource::Embedded)?,
        };
        tracing::info!(source = %flags.source().detail, "flags ready");
        Self::new(saved, flags, events)
    }

    /// Reads this machine and starts a session over the given flags and event log.
    pub fn new(saved: Option<Profile>, flags: Flags, events: EventLog) -> Result<Self, CoreError> {
        let first_launch = saved.is_none();
        Ok(Self {
            device: RwLock::new(device::detect()?),
            session: Session::start(),
            profile: RwLock::new((saved.unwrap_or_default(), first_launch)),
            flags,
            events,
        })
    }

    /// Records an event: first in the local event log, then through the SDK.
    pub fn track(&self, key: &str, data: Value, metric: Option<f64>) -> Result<(), CoreError> {
        let ctx = self.context(None)?;
        self.events
            .append(&TrackedEvent::new(&ctx, key, data.clone(), metric))?;
        self.flags.track(&ctx, key, &data, metric);
        Ok(())
    }

    pub fn events(&self) -> &EventLog {
        &self.events
    }

    /// Delivers pending events and closes the SDK client (at exit).
    pub fn shutdown(&self) {
        self.flags.close();
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

    pub fn profile(&self) -> Profile {
        self.profile
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// The LaunchDarkly multi-context for the current profile, machine and question.
    pub fn context(
        &self,
        question: Option<&str>,
    ) -> Result<launchdarkly_server_sdk::Context, ContextError> {
        context::build(
            &self.profile(),
            &self.device_facts(),
            &self.session,
            question,
        )
    }

    /// Who gets what, and why, for the current profile.
    pub fn targeting(&self) -> Result<TargetingView, ContextError> {
        let (profile, first_launch) = self
            .profile
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let ctx = context::build(&profile, &self.device_facts(), &self.session, None)?;
        Ok(TargetingView {
            flags: self.flags.views(&ctx),
            all_flags: self.flags.all_flags_state(&ctx),
            context: serde_json::to_value(&ctx).unwrap_or_default(),
            source: self.flags.source().clone(),
            profile,
            first_launch,
        })
    }

    /// Replaces the profile (after checking it) and re-evaluates.
    pub fn set_profile(&self, profile: Profile) -> Result<TargetingView, ContextError> {
        let profile = context::validate_profile(profile)?;
        *self.profile.write().unwrap_or_else(|e| e.into_inner()) = (profile, false);
        self.targeting()
    }
}

#[cfg(test)]
pub(crate) fn test_core() -> Core {
    Core::new(
        None,
        Flags::open(&FlagSource::Embedded).unwrap(),
        EventLog::in_memory().unwrap(),
    )
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datagata_ipc::GpuAdapter;

    #[test]
    fn webgpu_report_is_merged_into_the_facts() {
        let core = test_core();
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

#[cfg(test)]
mod event_tests {
    use super::*;

    #[test]
    fn the_identifier_matches_the_tauri_config() {
        let conf: Value = serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        assert_eq!(conf["identifier"], APP_IDENTIFIER);
    }

    #[test]
    fn tracked_events_land_in_the_local_log_first() {
        let core = test_core();
        core.track(
            "feature-clicked",
            serde_json::json!({"feature": "pivot-table"}),
            Some(1.0),
        )
        .unwrap();
        let events = core.events().recent(5).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].key, "feature-clicked");
        assert_eq!(events[0].context_keys["user"], "you@example.com");
        assert!(events[0].context_keys.contains_key("session"));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn start_uses_the_data_dir_and_the_embedded_flags_without_a_key() {
        let dir = tempfile::tempdir().unwrap();
        if std::env::var_os("LAUNCHDARKLY_SDK_KEY").is_some() {
            return; // a developer's live key: the live path is covered in flags::tests_live
        }
        let core = Core::start(dir.path(), None).await.unwrap();
        assert!(dir.path().join("datagata.duckdb").exists());
        let view = core.targeting().unwrap();
        assert_eq!(view.source.kind, datagata_ipc::FlagSourceKind::Embedded);
    }
}

#[cfg(test)]
mod profile_tests {
    use super::*;
    use datagata_ipc::{DeviceType, Tier};

    #[test]
    fn switching_the_profile_changes_the_answers_at_once() {
        let core = test_core();
        let view = core.targeting().unwrap();
        assert!(view.first_launch);
        assert_eq!(view.profile.tier, Tier::Trial);
        assert_eq!(
            view.flag("pivot-table-access").unwrap().evaluation.value,
            false
        );
        assert_eq!(view.source.kind, datagata_ipc::FlagSourceKind::Embedded);
        assert_eq!(view.context["kind"], "multi");

        let premium = Profile {
            tier: Tier::Premium,
            device_type_override: Some(DeviceType::Desktop),
            ..Profile::default()
        };
        let view = core.set_profile(premium).unwrap();
        assert!(!view.first_launch);
        assert_eq!(
            view.flag("pivot-table-access").unwrap().evaluation.value,
            true
        );
        assert_eq!(view.flag("webllm-access").unwrap().evaluation.value, true);
        assert_eq!(core.profile().tier, Tier::Premium);
    }

    #[test]
    fn a_bad_profile_is_refused_and_the_old_one_kept() {
        let core = test_core();
        let bad = Profile {
            email: "not an email".into(),
            ..Profile::default()
        };
        let err = core.set_profile(bad).unwrap_err();
        assert!(err.to_string().contains("email"), "{err}");
        assert_eq!(core.profile(), Profile::default());
    }
}
