//! DataGata's backend: a plain-Rust core (device facts, targeting; data, AI, metrics and traffic
//! as they land) that the CLI and the Tauri shell both drive. Nothing here needs a window except
//! [`app`], so every behaviour can be tested without one.

pub mod ai;
pub mod app;
pub mod automation;
pub mod chart_file;
pub mod cli;
pub mod commands;
pub mod context;
pub mod data;
pub mod device;
pub mod flags;
pub mod history;
pub mod logs;
pub mod metrics;
pub mod priority;
pub mod settings;
pub mod traffic;
pub mod webview;

use std::{
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
};

use datagata_ipc::{
    DeviceFacts, Profile, TargetingView, WebGpuReport,
    data::{
        CompleteRequest, Completion, DataStatus, ExportDone, ExportRequest, GenerateRequest,
        HistoryEntry, HistorySearch, ImportRequest, MotherDuckDisconnected, MotherDuckStatus,
        PivotRequest, QueryRequest, QueryResult, QueryTarget, RunOutcome, SaveTableOutcome,
        SaveTableRequest, SavedTable, SqlVocabulary, TableInfo,
    },
    metrics::{MetricsReport, QueryCompleted, TimeRange},
};
use serde_json::Value;

use crate::{
    context::{ContextError, Session},
    data::{DataError, Database, RunLimits},
    flags::{
        FlagSource, Flags, FlagsError, LiveConfig,
        events::{EventLog, EventLogError, TrackedEvent},
    },
};

/// The app's identifier (tauri.conf.json); its data directory is named after it.
pub const APP_IDENTIFIER: &str = "com.datagata.desktop";
/// The DuckDB database in the data directory: trips, saved tables and the event log.
pub const DATABASE_FILE: &str = "datagata.duckdb";

/// How long the window waits for a closing DataGata to let go of the database.
pub const APP_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a CLI command waits for it (a person is waiting at the prompt).
pub const CLI_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Where the app keeps its data: `DATAGATA_DATA_DIR`, else the platform's data directory
/// (`~/.local/share/com.datagata.desktop` on Linux) — the same one the window uses.
pub fn data_dir() -> PathBuf {
    std::env::var_os("DATAGATA_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join(APP_IDENTIFIER)))
        .unwrap_or_else(|| PathBuf::from(".datagata"))
}

/// The flags the app evaluates: `file` when given (`flags eval --flags`), else live from
/// LaunchDarkly when `LAUNCHDARKLY_SDK_KEY` is set (falling back to the last data received, kept
/// in `data_dir`, then the embedded file), else the embedded file.
pub async fn open_flags(data_dir: &Path, file: Option<&Path>) -> Result<Flags, FlagsError> {
    flags_from(
        file,
        LiveConfig::from_env(data_dir.join(LAST_KNOWN_GOOD_FILE)),
    )
    .await
}

/// [`open_flags`] with the live configuration already read.
async fn flags_from(file: Option<&Path>, live: Option<LiveConfig>) -> Result<Flags, FlagsError> {
    match (file, live) {
        (Some(path), _) => Flags::open(&FlagSource::File(path.to_path_buf())),
        (None, Some(live)) => Flags::open_live(&live).await,
        (None, None) => Flags::open(&FlagSource::Embedded),
    }
}

/// The copy of the last flag data LaunchDarkly sent, in the data directory.
pub const LAST_KNOWN_GOOD_FILE: &str = "flags-last-known-good.json";

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
    #[error(transparent)]
    Data(#[from] DataError),
    /// The AI panel: a provider that cannot answer, a question that is unknown, bad input.
    #[error(transparent)]
    Ai(#[from] ai::questions::AiError),
    /// A question that ended without SQL to run: why, and the `query-completed` recorded for
    /// it (with the reference query's result, when one ran).
    #[error("{error}")]
    Unanswered {
        error: ai::questions::AiError,
        completed: Box<QueryCompleted>,
        result: Option<Box<QueryResult>>,
    },
    /// Importing or serving a local model folder.
    #[error(transparent)]
    Models(#[from] ai::models::ModelError),
    /// A GGUF file's import, download or removal.
    #[error(transparent)]
    Gguf(#[from] ai::gguf::GgufError),
    /// A flag-gated feature the current profile does not get (the reason is LaunchDarkly's).
    #[error("{feature} is locked for you: {reason}")]
    Locked { feature: String, reason: String },
}

/// The one piece of state the app holds; the Tauri shell keeps it in managed state.
pub struct Core {
    device: RwLock<DeviceFacts>,
    session: Session,
    /// The person's profile, and whether it is still the first-launch default.
    profile: RwLock<(Profile, bool)>,
    flags: Flags,
    events: Arc<EventLog>,
    /// Sends the stored events to LaunchDarkly (a session with an SDK key).
    delivery: Option<flags::delivery::Deliverer>,
    data: Database,
    ai: ai::questions::Questions,
    models: ai::models::ModelFolders,
    native: ai::native::Native,
    history: history::QueryHistory,
    gguf: ai::gguf::GgufFiles,
}

impl Core {
    /// Starts with the app's data in `data_dir`: the event log in its DuckDB database, and the
    /// flags from [`open_flags`]. `saved` is the profile an earlier launch saved, if any.
    pub async fn start(data_dir: &Path, saved: Option<Profile>) -> Result<Self, CoreError> {
        Self::start_on(&data_dir.join(DATABASE_FILE), saved, APP_LOCK_WAIT).await
    }

    /// The one start-up, for the window and every CLI command: the database at `db` (waiting
    /// up to `lock_wait` for a DataGata that is closing), its event log, and the flags with the
    /// last-known-good copy beside the database.
    pub async fn start_on(
        db: &Path,
        saved: Option<Profile>,
        lock_wait: std::time::Duration,
    ) -> Result<Self, CoreError> {
        Self::start_for(db, saved, lock_wait, 1).await
    }

    /// [`Core::start_on`] for `concurrent` questions at once (a traffic run): DuckDB's threads
    /// per query are shared out ([`data::threads_for`]).
    pub async fn start_for(
        db: &Path,
        saved: Option<Profile>,
        lock_wait: std::time::Duration,
        concurrent: usize,
    ) -> Result<Self, CoreError> {
        let data = Database::open_for(db, lock_wait, concurrent)?;
        let events = EventLog::on(data.dedicated_connection()?)?;
        let live = LiveConfig::from_env(data.files_root().join(LAST_KNOWN_GOOD_FILE));
        let flags = flags_from(None, live.clone()).await?;
        tracing::info!(source = %flags.source().detail, "flags ready");
        let mut core = Self::new(saved, flags, events, data)?;
        if let Some(live) = live {
            core.deliver_events(flags::delivery::DeliveryConfig::new(
                live.events_url(),
                &live.sdk_key,
            ));
        }
        Ok(core)
    }

    /// Sends the stored events (those pending from earlier sessions first, then every new one)
    /// to LaunchDarkly's events endpoint.
    pub fn deliver_events(&mut self, config: flags::delivery::DeliveryConfig) {
        self.delivery = Some(flags::delivery::Deliverer::start(
            self.events.clone(),
            config,
        ));
    }

    /// Reads this machine and starts a session over the given flags and event log.
    pub fn new(
        saved: Option<Profile>,
        flags: Flags,
        events: EventLog,
        data: Database,
    ) -> Result<Self, CoreError> {
        let first_launch = saved.is_none();
        Ok(Self {
            device: RwLock::new(device::detect()?),
            session: Session::start(),
            profile: RwLock::new((saved.unwrap_or_default(), first_launch)),
            flags,
            events: Arc::new(events),
            delivery: None,
            models: ai::models::ModelFolders::open(data.files_root()),
            native: ai::native::Native::default(),
            gguf: ai::gguf::GgufFiles::open(data.files_root(), ai::gguf::provided_dirs()),
            history: history::QueryHistory::open(data.files_root()),
            data,
            ai: ai::questions::Questions::default(),
        })
    }

    /// Records an event for the current profile in the event log, from where delivery sends it
    /// to LaunchDarkly (with an SDK key).
    pub fn track(&self, key: &str, data: Value, metric: Option<f64>) -> Result<(), CoreError> {
        let ctx = self.context(None)?;
        self.track_for(&ctx, key, data, metric)
    }

    /// Records an event for `ctx` (the traffic generator's contexts are not the app's profile).
    pub fn track_for(
        &self,
        ctx: &launchdarkly_server_sdk::Context,
        key: &str,
        data: Value,
        metric: Option<f64>,
    ) -> Result<(), CoreError> {
        self.events
            .append(&TrackedEvent::new(ctx, key, data, metric))?;
        Ok(())
    }

    pub fn events(&self) -> &EventLog {
        &self.events
    }

    /// At exit: stores what is tracked, sends what LaunchDarkly can take in a few seconds (the
    /// rest stays pending for the next session), and closes the SDK client.
    pub fn shutdown(&self) {
        self.native.engine().shutdown();
        self.events.sync();
        if let Some(delivery) = &self.delivery {
            delivery.close();
        }
        self.flags.close();
        self.events.close();
    }

    /// What delivery to LaunchDarkly has done, when this session has it.
    pub fn delivery(&self) -> Option<&flags::delivery::Deliverer> {
        self.delivery.as_ref()
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
            &self.session(),
            question,
        )
    }

    /// This launch's session, with the AI provider the person chose.
    fn session(&self) -> Session {
        Session {
            ai_provider: self.ai.choice().map(|c| c.as_str().to_string()),
            ..self.session.clone()
        }
    }

    /// Who gets what, and why, for the current profile.
    pub fn targeting(&self) -> Result<TargetingView, ContextError> {
        let (profile, first_launch) = self
            .profile
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let ctx = context::build(&profile, &self.device_facts(), &self.session(), None)?;
        Ok(TargetingView {
            flags: self.flags.views(&ctx),
            all_flags: self.flags.all_flags_state(&ctx),
            context: serde_json::to_value(&ctx).unwrap_or_default(),
            source: self.flags.source(),
            profile,
            first_launch,
            about: datagata_ipc::About {
                version: env!("CARGO_PKG_VERSION").into(),
                data_dir: self.data.files_root().display().to_string(),
                log_dir: logs::log_dir().display().to_string(),
            },
        })
    }

    /// Replaces the profile (after checking it) and re-evaluates.
    pub fn set_profile(&self, profile: Profile) -> Result<TargetingView, ContextError> {
        let profile = context::validate_profile(profile)?;
        *self.profile.write().unwrap_or_else(|e| e.into_inner()) = (profile, false);
        self.targeting()
    }
}

/// The data side: every call here is blocking (DuckDB); the Tauri commands run them off the UI
/// thread. Flag-gated features are checked here, so the UI is not the only gate, and each use
/// of one is tracked as `feature-clicked`.
impl Core {
    pub fn data(&self) -> &Database {
        &self.data
    }

    /// First start: generates the sample when there is no `taxi` table (seconds; the window is
    /// open meanwhile and shows it as busy).
    pub fn prepare_data(&self) -> Result<(), CoreError> {
        Ok(self
            .data
            .ensure_sample(data::sample::default_rows(), data::sample::DEFAULT_SEED)?)
    }

    pub fn data_status(&self) -> Result<DataStatus, CoreError> {
        Ok(self.data.status()?)
    }

    pub fn schema(&self, target: QueryTarget) -> Result<Vec<TableInfo>, CoreError> {
        Ok(self.data.schema(target)?)
    }

    pub fn run_query(&self, request: &QueryRequest) -> Result<QueryResult, CoreError> {
        Ok(self.data.run(request)?)
    }

    /// The SQL editor's run `id`: it stops the editor's earlier run if that is still going, can
    /// itself be stopped ([`Core::stop_query`]), and goes into the query history however it ends.
    pub fn run_editor_query(
        &self,
        request: &QueryRequest,
        id: u64,
    ) -> Result<QueryResult, CoreError> {
        let started_ms = chrono::Utc::now().timestamp_millis();
        let answer = self.data.run_in_editor(request, id);
        let outcome = match &answer {
            Ok(r) => RunOutcome::Answered {
                total_rows: r.total_rows,
                more_rows: r.more_rows,
                elapsed_ms: r.elapsed_ms,
            },
            Err(DataError::Stopped(_)) => RunOutcome::Stopped,
            Err(e) => RunOutcome::Failed {
                error: e.to_string().lines().next().unwrap_or_default().to_string(),
            },
        };
        let entry = HistoryEntry {
            sql: request.sql.clone(),
            target: request.target,
            at_ms: started_ms,
            outcome,
        };
        if let Err(e) = self.history.record(entry) {
            tracing::warn!("{e}");
        }
        Ok(answer?)
    }

    /// DuckDB's completions for the editor's text before the cursor.
    pub fn complete_sql(&self, request: &CompleteRequest) -> Result<Completion, CoreError> {
        Ok(self.data.complete(&request.sql, request.target)?)
    }

    /// DuckDB's keywords, types and functions, for the editor's highlighting.
    pub fn sql_vocabulary(&self) -> Result<SqlVocabulary, CoreError> {
        Ok(self.data.vocabulary()?)
    }

    /// Interrupts the editor's run `id` (or whichever is going) inside DuckDB.
    pub fn stop_query(&self, id: Option<u64>) -> bool {
        self.data.stop_editor_run(id)
    }

    /// The editor's past runs on one target, newest first.
    pub fn query_history(&self, search: &HistorySearch) -> Vec<HistoryEntry> {
        self.history.search(search)
    }

    pub fn generate_sample(&self, request: &GenerateRequest) -> Result<DataStatus, CoreError> {
        self.data.generate(request.rows, request.seed)?;
        self.data_status()
    }

    pub fn import_files(&self, request: &ImportRequest) -> Result<DataStatus, CoreError> {
        let paths: Vec<&Path> = request.paths.iter().map(Path::new).collect();
        self.data.import(
            &paths,
            request.mode,
            |p, i| tracing::info!(file = %p.display(), n = i + 1, of = paths.len(), "importing"),
        )?;
        self.data_status()
    }

    pub fn export_result(&self, request: &ExportRequest) -> Result<ExportDone, CoreError> {
        let sql = self.data.check(&request.sql)?;
        Ok(self.data.export(
            &sql,
            request.target,
            request.format,
            Path::new(&request.path),
            data::runner::DEFAULT_TIMEOUT,
        )?)
    }

    /// Checks a gated feature for the current profile and records the click either way.
    fn unlock(&self, flag: &str, feature: &str) -> Result<(), CoreError> {
        let ctx = self.context(None)?;
        let evaluation = self.flags.evaluate(&ctx, flag);
        let allowed = evaluation.value == Value::Bool(true);
        self.track(
            "feature-clicked",
            serde_json::json!({ "feature": feature, "flag": flag, "allowed": allowed }),
            None,
        )?;
        if allowed {
            Ok(())
        } else {
            Err(CoreError::Locked {
                feature: feature.to_string(),
                reason: match self.flags.unlocked_by(flag) {
                    Some(unlock) => format!("{} ({unlock})", self.flags.explain(flag, &evaluation)),
                    None => self.flags.explain(flag, &evaluation),
                },
            })
        }
    }

    pub fn pivot(&self, request: &PivotRequest) -> Result<QueryResult, CoreError> {
        self.unlock(flags::keys::PIVOT_TABLE_ACCESS, "pivot-table")?;
        Ok(self.data.pivot(request, RunLimits::default())?)
    }

    pub fn save_table(&self, request: &SaveTableRequest) -> Result<SaveTableOutcome, CoreError> {
        self.unlock(flags::keys::DATA_MATERIALIZATION, "save-as-table")?;
        let sql = self.data.check(&request.sql)?;
        Ok(self.data.save_table(
            &request.name,
            &sql,
            request.target,
            request.overwrite,
            RunLimits::default(),
        )?)
    }

    pub fn saved_tables(&self, target: QueryTarget) -> Result<Vec<SavedTable>, CoreError> {
        self.unlock(flags::keys::DATA_MATERIALIZATION, "saved-tables")?;
        Ok(self.data.saved_tables(target)?)
    }

    pub fn drop_table(
        &self,
        target: QueryTarget,
        name: &str,
    ) -> Result<Vec<SavedTable>, CoreError> {
        self.unlock(flags::keys::DATA_MATERIALIZATION, "drop-table")?;
        Ok(self.data.drop_table(name, target)?)
    }

    /// Saves a token entered in the app (when given), then attaches MotherDuck with the token in
    /// force. Takes seconds.
    pub fn connect_motherduck(&self, token: Option<&str>) -> Result<MotherDuckStatus, CoreError> {
        let data_dir = self.data.files_root();
        if let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) {
            data::motherduck::save_token(data_dir, token)?;
        }
        let Some((_, token)) = data::motherduck::token(data_dir) else {
            return Ok(self.data.motherduck_status());
        };
        self.data.connect_motherduck(&token);
        Ok(self.data.motherduck_status())
    }

    /// Forgets the MotherDuck token the app stored and closes MotherDuck's instance. A token in
    /// `MOTHERDUCK_TOKEN` still provides one (the app cannot unset its environment): the answer
    /// says so, and so does the status.
    pub fn disconnect_motherduck(&self) -> Result<MotherDuckDisconnected, CoreError> {
        let forgotten = self.data.disconnect_motherduck()?;
        let status = self.data.motherduck_status();
        Ok(MotherDuckDisconnected {
            forgotten,
            environment_token: status.token_source.as_deref() == Some("environment"),
            status,
        })
    }
}

/// Metrics over the stored events.
impl Core {
    /// The metrics over the stored events.
    pub fn metrics(&self, range: TimeRange) -> Result<MetricsReport, CoreError> {
        let events = metrics::load(&self.events, range, chrono::Utc::now())?;
        let weights = self.flags.experiment_weights(flags::keys::AI_CONFIG);
        let mut report = metrics::report(range, &events, weights.as_deref());
        report.delivery = metrics::delivery(&self.events, self.delivery.as_ref())?;
        Ok(report)
    }
}

/// A core on an in-memory database with the embedded flags, and no GGUF model (tests that
/// need the real one point it at the folder scripts/setup fills).
#[cfg(test)]
pub(crate) fn test_core() -> Core {
    let data = Database::in_memory(&std::env::temp_dir()).unwrap();
    let core = Core::new(
        None,
        Flags::open(&FlagSource::Embedded).unwrap(),
        EventLog::on(data.dedicated_connection().unwrap()).unwrap(),
        data,
    )
    .unwrap();
    // A folder of its own: no GGUF files, no list shared with other tests.
    let own = tempfile::tempdir().unwrap().keep();
    core.gguf_files().set_dirs(&own, vec![]);
    core
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

#[cfg(test)]
mod data_gate_tests {
    use super::*;
    use datagata_ipc::{
        Tier,
        data::{Aggregate, PivotSource},
    };

    fn pivot_request() -> PivotRequest {
        PivotRequest {
            source: PivotSource::Query {
                sql: "SELECT * FROM (VALUES ('a', 'x', 1)) t(r, c, m)".into(),
            },
            target: QueryTarget::Local,
            rows: vec!["r".into()],
            column: "c".into(),
            measure: "m".into(),
            aggregate: Aggregate::Sum,
        }
    }

    fn save_request() -> SaveTableRequest {
        SaveTableRequest {
            name: "mine".into(),
            sql: "SELECT 1 AS n".into(),
            target: QueryTarget::Local,
            overwrite: false,
        }
    }

    #[test]
    fn trial_users_are_refused_by_the_core_with_the_flag_reason() {
        let core = test_core();
        let err = core.pivot(&pivot_request()).unwrap_err();
        assert!(matches!(err, CoreError::Locked { .. }), "{err}");
        assert!(
            err.to_string().starts_with("pivot-table is locked for you"),
            "{err}"
        );
        assert!(
            err.to_string()
                .ends_with("(available on the Starter and Premium plans)"),
            "{err}"
        );
        let err = core.save_table(&save_request()).unwrap_err();
        assert!(matches!(err, CoreError::Locked { .. }), "{err}");
        assert!(core.saved_tables(QueryTarget::Local).is_err());
        let clicks = core.events().recent(10).unwrap();
        assert_eq!(clicks.len(), 3);
        assert!(clicks.iter().all(|e| e.key == "feature-clicked"));
        assert!(clicks.iter().all(|e| e.data["allowed"] == false));
        assert_eq!(
            core.data().saved_tables(QueryTarget::Local).unwrap(),
            vec![]
        );
    }

    #[test]
    fn starter_users_pivot_and_save() {
        let core = test_core();
        core.set_profile(Profile {
            tier: Tier::Starter,
            ..Profile::default()
        })
        .unwrap();
        let pivot = core.pivot(&pivot_request()).unwrap();
        assert_eq!(pivot.column("x").unwrap().values.display(0), "1");
        let SaveTableOutcome::Saved { tables } = core.save_table(&save_request()).unwrap() else {
            panic!("not saved")
        };
        assert_eq!(tables[0].qualified_name, "my_db.mine");
        assert_eq!(
            core.save_table(&save_request()).unwrap(),
            SaveTableOutcome::AlreadyExists {
                name: "mine".into()
            }
        );
        assert_eq!(core.drop_table(QueryTarget::Local, "mine").unwrap(), vec![]);
        let clicks = core.events().recent(10).unwrap();
        assert!(
            clicks
                .iter()
                .any(|e| e.data["feature"] == "pivot-table" && e.data["allowed"] == true)
        );
        assert!(clicks.iter().any(|e| e.data["feature"] == "save-as-table"));
    }

    #[test]
    fn a_log_that_cannot_be_written_never_blocks_an_allowed_feature() {
        let core = test_core();
        core.set_profile(Profile {
            tier: Tier::Starter,
            ..Profile::default()
        })
        .unwrap();
        // The log's table becomes unwritable (as on a full disk or a read-only file).
        core.data()
            .conn()
            .unwrap()
            .execute_batch("ALTER TABLE datagata_events RENAME TO datagata_events_away")
            .unwrap();
        let pivot = core.pivot(&pivot_request()).expect("the feature works");
        assert_eq!(pivot.column("x").unwrap().values.display(0), "1");
        core.events().sync();
        let report = core.metrics(TimeRange::All);
        assert!(report.is_err(), "the log cannot be read either");
        let status = core.events().write_status();
        assert_eq!(status.unstored, 1, "{status:?}");
        // Writable again: the click is stored by the writer's retry.
        core.data()
            .conn()
            .unwrap()
            .execute_batch("ALTER TABLE datagata_events_away RENAME TO datagata_events")
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while core.events().write_status().unstored > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let delivery = core.metrics(TimeRange::All).unwrap().delivery;
        assert_eq!(
            (delivery.unstored, delivery.local_only),
            (0, 1),
            "{delivery:?}"
        );
        assert_eq!(delivery.destination, None);
    }
}
