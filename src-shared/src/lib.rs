//! The IPC contract between DataGata's backend (`src-tauri`) and its Yew front end (`src-ui`).
//!
//! Every type that crosses the Tauri bridge is defined here once; both sides compile against it,
//! so a renamed field breaks the build instead of the running app. Field names are camelCase on the
//! wire because Tauri's `invoke` arguments and the LaunchDarkly context attributes are camelCase.

use serde::{Deserialize, Serialize};

pub mod ai;
pub mod data;
pub mod metrics;

/// Names of the Tauri commands, shared so the front end cannot misspell one.
pub mod command {
    /// `device_facts() -> DeviceFacts`
    pub const DEVICE_FACTS: &str = "device_facts";
    /// `report_webgpu(report: WebGpuReport) -> DeviceFacts`: the WebView tells the backend what
    /// WebGPU it found; the answer is the device facts with that report merged in.
    pub const REPORT_WEBGPU: &str = "report_webgpu";
    /// `targeting() -> TargetingView`
    pub const TARGETING: &str = "targeting";
    /// `set_profile(profile: Profile) -> TargetingView`: saves the profile, re-evaluates.
    pub const SET_PROFILE: &str = "set_profile";
    /// `data_status() -> DataStatus`: what the local database holds and where it came from.
    pub const DATA_STATUS: &str = "data_status";
    /// `schema(target: QueryTarget) -> Vec<TableInfo>`: the tables a query can read.
    pub const SCHEMA: &str = "schema";
    /// `run_query(request: QueryRequest, run: Option<u64>) -> QueryResult`: one read-only
    /// statement. With a `run` id it is the SQL editor's run: it stops the editor's run still
    /// going, can be stopped by [`STOP_QUERY`], and goes into the history.
    pub const RUN_QUERY: &str = "run_query";
    /// `stop_query(run: Option<u64>) -> bool`: interrupts the editor's run inside DuckDB (that
    /// run, or whichever is going); false when none was.
    pub const STOP_QUERY: &str = "stop_query";
    /// `query_history(search: HistorySearch) -> Vec<HistoryEntry>`: the editor's runs, newest first.
    pub const QUERY_HISTORY: &str = "query_history";
    /// `complete_sql(request: CompleteRequest) -> Completion`: DuckDB's `sql_auto_complete`.
    pub const COMPLETE_SQL: &str = "complete_sql";
    /// `sql_vocabulary() -> SqlVocabulary`: DuckDB's keywords, types and functions.
    pub const SQL_VOCABULARY: &str = "sql_vocabulary";
    /// `ui_settings() -> UiSettings`: how the window looks (the theme).
    pub const UI_SETTINGS: &str = "ui_settings";
    /// `set_theme(theme: Theme) -> UiSettings`: saved for the next launches.
    pub const SET_THEME: &str = "set_theme";
    /// `editor_state() -> EditorState`: the editor's text from the last session.
    pub const EDITOR_STATE: &str = "editor_state";
    /// `save_editor_sql(sql: String) -> ()`: keeps the editor's text for the next launch.
    pub const SAVE_EDITOR_SQL: &str = "save_editor_sql";
    /// `generate_sample(request: GenerateRequest) -> DataStatus`: replaces `taxi` with a sample.
    pub const GENERATE_SAMPLE: &str = "generate_sample";
    /// `import_files(request: ImportRequest) -> DataStatus`: TLC Parquet/CSV files into `taxi`.
    pub const IMPORT_FILES: &str = "import_files";
    /// `export_result(request: ExportRequest) -> ExportDone`: a query's full result to CSV/Parquet.
    pub const EXPORT_RESULT: &str = "export_result";
    /// `pivot(request: PivotRequest) -> QueryResult` (flag `pivot-table-access`).
    pub const PIVOT: &str = "pivot";
    /// `save_table(request: SaveTableRequest) -> SaveTableOutcome` (flag `data-materialization`).
    pub const SAVE_TABLE: &str = "save_table";
    /// `saved_tables(target: QueryTarget) -> Vec<SavedTable>` (flag `data-materialization`).
    pub const SAVED_TABLES: &str = "saved_tables";
    /// `drop_table(target: QueryTarget, name: String) -> Vec<SavedTable>` (flag `data-materialization`).
    pub const DROP_TABLE: &str = "drop_table";
    /// `connect_motherduck(token: Option<String>) -> MotherDuckStatus`: saves a token entered in
    /// the app (when given) and attaches MotherDuck.
    pub const CONNECT_MOTHERDUCK: &str = "connect_motherduck";
    /// `disconnect_motherduck() -> MotherDuckDisconnected`: forgets the token stored by the app
    /// (OS keyring and fallback file) and closes MotherDuck's instance.
    pub const DISCONNECT_MOTHERDUCK: &str = "disconnect_motherduck";
    /// `save_chart(request: SaveChartRequest) -> ChartSaved`: a chart as PNG or SVG, written
    /// whole or not at all.
    pub const SAVE_CHART: &str = "save_chart";
    /// `metrics(range: TimeRange) -> MetricsReport`: per provider and the ai-config experiment.
    pub const METRICS: &str = "metrics";
    /// `ai_panel() -> AiPanelView`: the AI Config for this person and each provider's state.
    pub const AI_PANEL: &str = "ai_panel";
    /// `set_provider_choice(choice: ProviderChoice) -> AiPanelView`: saved, and sent in the
    /// session context from then on.
    pub const SET_PROVIDER_CHOICE: &str = "set_provider_choice";
    /// `ask(request: AskRequest) -> AskPrepared`: cloud answers with SQL, local with the prompt.
    pub const ASK: &str = "ask";
    /// `local_generated(report: LocalGeneration) -> String`: WebLLM's reply → the SQL in it.
    pub const LOCAL_GENERATED: &str = "local_generated";
    /// `local_failed(report: LocalFailure) -> ()`: WebLLM failed or was stopped.
    pub const LOCAL_FAILED: &str = "local_failed";
    /// `run_answer(request: RunAnswerRequest) -> AiAnswer`: the (edited) SQL, read-only.
    pub const RUN_ANSWER: &str = "run_answer";
    /// `ai_feedback(request: FeedbackRequest) -> ()`: thumbs up or down on an answer.
    pub const AI_FEEDBACK: &str = "ai_feedback";
    /// `import_model_folder(request: ImportModelRequest) -> AiPanelView`: a WebLLM model folder
    /// on disk, checked and served to WebLLM by the app.
    pub const IMPORT_MODEL_FOLDER: &str = "import_model_folder";
    /// `forget_model_folder(model_id: String) -> AiPanelView`: stops serving an imported folder
    /// (its files are left alone).
    pub const FORGET_MODEL_FOLDER: &str = "forget_model_folder";
    /// `stop_generation() -> ()`: stops the native engine's generation under way (its `ask`
    /// then returns the error "stopped").
    pub const STOP_GENERATION: &str = "stop_generation";
    /// `download_gguf() -> AiPanelView`: downloads (or resumes) the GGUF the AI Config names
    /// into the data directory's `models/`, sending `gguf-download` events; ends when the file
    /// is verified, or with the error (cancelled, checksum, network).
    pub const DOWNLOAD_GGUF: &str = "download_gguf";
    /// `cancel_gguf_download() -> ()`: stops the download under way (its `.part` file stays, so
    /// Download resumes it).
    pub const CANCEL_GGUF_DOWNLOAD: &str = "cancel_gguf_download";
    /// `pick_gguf_file() -> Option<String>`: the native file dialog, filtered to `.gguf`.
    pub const PICK_GGUF_FILE: &str = "pick_gguf_file";
    /// `import_gguf(request: GgufPathRequest) -> AiPanelView`: a GGUF file on disk, checked,
    /// remembered and used from then on (it stays where it is).
    pub const IMPORT_GGUF: &str = "import_gguf";
    /// `use_gguf(request: GgufPathRequest) -> AiPanelView`: the native engine answers with this
    /// file (an empty path goes back to the AI Config's choice).
    pub const USE_GGUF: &str = "use_gguf";
    /// `remove_gguf(request: GgufPathRequest) -> AiPanelView`: deletes a downloaded file (or a
    /// `.part`), forgets an imported one (its file stays).
    pub const REMOVE_GGUF: &str = "remove_gguf";
    /// `set_runtime_pin(pin: RuntimePin) -> AiPanelView`: auto, WebLLM or the native engine for
    /// local questions, saved for the next launches.
    pub const SET_RUNTIME_PIN: &str = "set_runtime_pin";
}

/// Events the backend emits to the window.
pub mod event {
    /// A token the native local engine produced: [`crate::ai::TokenEvent`].
    pub const AI_TOKEN: &str = "ai-token";
    /// A GGUF download's progress: [`crate::ai::GgufDownload`].
    pub const GGUF_DOWNLOAD: &str = "gguf-download";
}

/// The kind of machine, as used by the LaunchDarkly `session` context (`deviceType`).
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
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

/// The person's plan, as LaunchDarkly's `user.tier` attribute.
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    #[default]
    Trial,
    Starter,
    Premium,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Trial, Tier::Starter, Tier::Premium];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Trial => "trial",
            Tier::Starter => "starter",
            Tier::Premium => "premium",
        }
    }
}

/// The person's role, as LaunchDarkly's `user.role` attribute.
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Analyst,
    Admin,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Analyst, Role::Admin, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }
}

/// The organization a person works for: LaunchDarkly's `organization` context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub key: String,
    pub name: String,
    pub industry: String,
    pub contract_value: f64,
}

/// Who is using the app: set in the app (persisted), the source of the `user` and
/// `organization` contexts, and of the session overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub email: String,
    pub tier: Tier,
    pub role: Option<Role>,
    pub organization: Option<Organization>,
    /// Replaces the detected device type in the session context (for demos and tests).
    pub device_type_override: Option<DeviceType>,
    /// Replaces the region derived from the system time zone.
    pub region_override: Option<String>,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            email: "you@example.com".into(),
            tier: Tier::Trial,
            role: Some(Role::Analyst),
            organization: None,
            device_type_override: None,
            region_override: None,
        }
    }
}

/// How hard a question is, as LaunchDarkly's `session.queryComplexity` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryComplexity {
    Simple,
    Medium,
    Advanced,
}

impl QueryComplexity {
    pub fn as_str(self) -> &'static str {
        match self {
            QueryComplexity::Simple => "simple",
            QueryComplexity::Medium => "medium",
            QueryComplexity::Advanced => "advanced",
        }
    }
}

/// Where the flag data in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagSourceKind {
    /// The flag file shipped inside the app.
    Embedded,
    /// A flag file chosen by the person.
    File,
    /// The last data received from LaunchDarkly, saved on disk.
    LastKnownGood,
    /// Streaming from LaunchDarkly (or a Relay Proxy) now.
    Live,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagSourceInfo {
    pub kind: FlagSourceKind,
    /// In words, for the UI: which file, which URL, since when.
    pub detail: String,
}

/// One flag's answer for one context, in LaunchDarkly's terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagEvaluation {
    pub value: serde_json::Value,
    pub variation_index: Option<i64>,
    /// The evaluation reason in LaunchDarkly's JSON form, e.g.
    /// `{"kind": "RULE_MATCH", "ruleIndex": 0, "ruleId": "…"}`.
    pub reason: serde_json::Value,
}

/// One flag as the dashboard shows it: the SDK's answer and that answer's reason in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagView {
    pub key: String,
    pub evaluation: FlagEvaluation,
    /// E.g. "rule 1 matched: Premium users on desktop-class machines", "individually targeted".
    pub explanation: String,
    /// Who gets `true` from the flag's rules, in words ("available on the Starter and Premium
    /// plans"), for a locked feature to say what unlocks it; `None` when the rules do not say.
    #[serde(default)]
    pub unlocked_by: Option<String>,
}

/// Everything the dashboard needs to show who gets what, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetingView {
    pub profile: Profile,
    /// True until the person first saves a profile.
    pub first_launch: bool,
    pub source: FlagSourceInfo,
    /// The LaunchDarkly multi-context the flags were evaluated for, in the SDKs' JSON form.
    pub context: serde_json::Value,
    pub flags: Vec<FlagView>,
    /// The SDK's all-flags state for the context (`all_flags_detail`, with reasons).
    pub all_flags: serde_json::Value,
    /// The About panel: version and where things live.
    #[serde(default)]
    pub about: About,
}

/// What the About panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct About {
    pub version: String,
    /// The data directory: database, settings, models/, logs/.
    pub data_dir: String,
    /// The window's log files (rotated daily).
    pub log_dir: String,
}

impl TargetingView {
    pub fn flag(&self, key: &str) -> Option<&FlagView> {
        self.flags.iter().find(|f| f.key == key)
    }
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

/// The window's colours: the system's (`prefers-color-scheme`), or always light or dark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// How the window looks, as the person chose in Settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UiSettings {
    pub theme: Theme,
}
