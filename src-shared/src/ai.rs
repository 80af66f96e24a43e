//! The AI panel's contract: which provider a person may use and why not, a question's way to SQL
//! (cloud: MotherDuck's `prompt_sql` in the backend; local: WebLLM in the WebView with the prompt
//! the backend built), the answer with its provider, model, latency and tokens, and feedback.

use serde::{Deserialize, Serialize};

use crate::data::QueryResult;

/// What the person picks in the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ProviderChoice {
    /// WebLLM on this machine's GPU, in the WebView.
    Local,
    /// MotherDuck's AI.
    Cloud,
}

impl ProviderChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderChoice::Local => "local",
            ProviderChoice::Cloud => "cloud",
        }
    }

    /// The provider name used in events and metrics.
    pub fn provider(self) -> &'static str {
        match self {
            ProviderChoice::Local => "webllm",
            ProviderChoice::Cloud => "motherduck-ai",
        }
    }
}

/// Which local runtime answers a local question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LocalRuntime {
    /// WebLLM on the GPU, inside the app's WebView (needs WebGPU).
    #[serde(rename = "webllm")]
    WebLlm,
    /// llama.cpp in the backend, on a GGUF model file (CPU, or a GPU build).
    #[serde(rename = "llama.cpp")]
    LlamaCpp,
}

impl LocalRuntime {
    pub fn as_str(self) -> &'static str {
        match self {
            LocalRuntime::WebLlm => "webllm",
            LocalRuntime::LlamaCpp => "llama.cpp",
        }
    }
}

/// Which local runtime the person pinned in the panel (saved in settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum RuntimePin {
    /// WebLLM where the WebView has WebGPU, else the native engine.
    #[default]
    Auto,
    /// Always WebLLM (it needs WebGPU).
    #[serde(rename = "webllm")]
    #[cfg_attr(feature = "clap", value(name = "webllm"))]
    WebLlm,
    /// Always the native llama.cpp engine (it needs a GGUF file).
    Native,
}

impl RuntimePin {
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimePin::Auto => "auto",
            RuntimePin::WebLlm => "webllm",
            RuntimePin::Native => "native",
        }
    }
}

/// The native engine as the panel shows it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NativeEngineView {
    /// The GGUF file it uses, when one is on this machine.
    pub model_file: Option<String>,
    pub model_bytes: Option<u64>,
    /// What runs the model: before a worker has loaded it, what this build is for (`CPU`,
    /// `Vulkan`, `CUDA`); then the worker's words (`CPU (AVX-512)`, `Vulkan (its GPU)`).
    pub backend: String,
    pub threads: usize,
    /// The model is loaded in a running worker.
    pub loaded: bool,
    /// Why it cannot answer, when it cannot (no model file …).
    pub problem: Option<String>,
    /// The GGUF files on this machine, the one the AI Config names and its download.
    pub gguf: GgufPanel,
}

/// Where a GGUF file the native engine can run came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GgufOrigin {
    /// Downloaded by the app into the data directory's `models/` (Delete removes it).
    Downloaded,
    /// Found in a folder the app was pointed at (`DATAGATA_MODELS_DIR`); not the app's to delete.
    Provided,
    /// Imported from a file on disk, which stays where it is (Forget leaves it alone).
    Imported,
}

/// One GGUF model file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GgufFile {
    /// The file's name (`SmolLM2-135M-Instruct.Q4_1.gguf`).
    pub name: String,
    pub path: String,
    pub bytes: u64,
    pub origin: GgufOrigin,
    /// The native engine answers with this file.
    pub used: bool,
    /// The person picked it ("Use"), rather than the AI Config's name or the first found.
    pub pinned: bool,
}

/// Where the GGUF the AI Config names stands on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum GgufState {
    /// The file is here.
    Present,
    /// An unfinished download (`<name>.part`) holds `bytes`; Download resumes it.
    Partial {
        bytes: u64,
    },
    Downloading,
    Missing,
}

/// The GGUF file the AI Config's variation names (`model.custom`: `gguf`, `ggufUrl`,
/// `ggufBytes`, `ggufSha256`), shown before a download starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GgufOffer {
    pub name: String,
    /// Where it downloads from, when the AI Config says.
    pub url: Option<String>,
    pub bytes: Option<u64>,
    pub sha256: Option<String>,
    /// Memory the native engine needs to run it (the file plus llama.cpp's context and buffers).
    pub memory_bytes: Option<u64>,
    pub state: GgufState,
}

/// A GGUF download under way (or just ended), sent as the `gguf-download` event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GgufDownload {
    pub name: String,
    /// Bytes in the file so far (a resumed download starts at what the `.part` held).
    pub bytes: u64,
    pub total: Option<u64>,
    /// Over the last seconds of this download.
    pub bytes_per_second: Option<f64>,
    pub eta_seconds: Option<f64>,
    /// Verifying the SHA-256 after the last byte.
    pub verifying: bool,
}

/// The GGUF side of the native engine's panel.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GgufPanel {
    pub offer: Option<GgufOffer>,
    pub files: Vec<GgufFile>,
    pub download: Option<GgufDownload>,
    /// Memory this machine has free now, to set against the offer's `memory_bytes`.
    pub memory_available_bytes: u64,
    /// Where downloads go (the data directory's `models/`).
    pub download_dir: String,
}

/// A GGUF file, by its path (import, use, delete or forget).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GgufPathRequest {
    pub path: String,
}

/// One option in the panel, and why it cannot be used when it cannot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderOption {
    pub choice: ProviderChoice,
    pub provider: String,
    /// The flags let this person pick it (it may still be unable to answer right now).
    pub selectable: bool,
    /// It can answer right now.
    pub available: bool,
    /// E.g. "webllm-access is off for you: no rule matched, so the default applies", "this
    /// WebView has no WebGPU …", "no MotherDuck token …".
    pub reason: Option<String>,
}

/// A chat message for the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

/// Everything the AI panel shows before a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AiPanelView {
    pub config_key: String,
    /// The AI Config variation this person gets (`motherduck-ai` or `webllm`).
    pub variation_key: String,
    pub version: u64,
    /// Why this variation, in words (LaunchDarkly's reason).
    pub explanation: String,
    /// The variation's provider.
    pub default_choice: ProviderChoice,
    /// The saved choice when there is one and the flags allow it, else the default when the
    /// flags allow it, else cloud.
    pub chosen: ProviderChoice,
    /// Local first, then cloud.
    pub options: Vec<ProviderOption>,
    /// The model a local question runs on: the GGUF file's name where the native engine
    /// answers, else [`AiPanelView::webllm_model`].
    pub local_model: String,
    /// The model WebLLM would load (the AI Config's, or its q4f32 build when the GPU lacks
    /// `shader-f16`), whichever runtime answers here.
    pub webllm_model: String,
    pub cloud_model: String,
    /// Model folders imported from disk, served to WebLLM by the app itself.
    pub local_models: Vec<ImportedModel>,
    /// Which runtime a local question goes to on this machine, and why, in words.
    pub local_runtime: LocalRuntime,
    /// The runtime the person pinned (auto unless they chose one).
    pub runtime_pin: RuntimePin,
    pub local_runtime_reason: String,
    /// The native llama.cpp engine (used where the WebView has no WebGPU).
    pub native: NativeEngineView,
}

/// A WebLLM model folder already on this machine (weights, `mlc-chat-config.json`, tokenizer and
/// usually the model library `.wasm`), served to WebLLM from the app's own `dgmodel` protocol so
/// a machine without internet can still run it. The files stay where they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedModel {
    /// WebLLM's model id: the folder's name.
    pub model_id: String,
    /// The folder on disk.
    pub path: String,
    pub files: u64,
    pub bytes: u64,
    /// WebLLM's `ModelRecord.model` for it (the app's protocol).
    pub model_url: String,
    /// WebLLM's `ModelRecord.model_lib`: the `.wasm` in the folder, or `None` when the folder has
    /// none and WebLLM's prebuilt library for this id is downloaded instead.
    pub model_lib_url: Option<String>,
}

/// Import a model folder from disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportModelRequest {
    pub path: String,
}

/// A previous attempt whose SQL failed, fed back once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedAttempt {
    pub sql: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AskRequest {
    pub question: String,
    pub choice: ProviderChoice,
    /// Set on the one retry after the SQL failed.
    pub retry_of: Option<FailedAttempt>,
}

/// The way to SQL the backend prepared for one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Generation {
    /// Cloud, or the native local engine: the backend already has the SQL.
    #[serde(rename_all = "camelCase")]
    Sql { sql: String, generation_ms: f64 },
    /// Local: run these messages through WebLLM in the WebView, then report with
    /// `local_generated`.
    #[serde(rename_all = "camelCase")]
    LocalPrompt {
        model: String,
        messages: Vec<ChatMessage>,
        max_tokens: Option<u64>,
        temperature: Option<f64>,
        /// The SQL grammar from the live schema (the native engine's GBNF, which WebLLM's
        /// xgrammar reads as EBNF): WebLLM's `response_format: { type: "grammar" }`.
        #[serde(default)]
        grammar: Option<String>,
    },
}

/// A question under way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AskPrepared {
    /// Names this question in the calls that follow.
    pub question_id: String,
    pub choice: ProviderChoice,
    pub provider: String,
    pub model: String,
    pub config_key: String,
    pub variation_key: String,
    pub version: u64,
    pub generation: Generation,
}

/// What WebLLM produced in the WebView for a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalGeneration {
    pub question_id: String,
    /// The model's whole reply (the backend takes the SQL out of it).
    pub text: String,
    pub generation_ms: f64,
    pub time_to_first_token_ms: Option<f64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

/// WebLLM failed (or was stopped) in the WebView.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalFailure {
    pub question_id: String,
    pub error: String,
    /// The person pressed Stop.
    pub stopped: bool,
}

/// The generated SQL (as the person may have edited it) to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunAnswerRequest {
    pub question_id: String,
    pub sql: String,
}

/// The answer to a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AiAnswer {
    pub question_id: String,
    pub provider: String,
    pub model: String,
    pub variation_key: String,
    pub sql: String,
    pub result: Option<QueryResult>,
    /// Why the SQL did not run (refused or failed), when it did not.
    pub error: Option<String>,
    /// A failed first attempt may be retried once with the error fed back.
    pub can_retry: bool,
    /// Question to answer, end to end.
    pub latency_ms: f64,
    pub generation_ms: Option<f64>,
    pub time_to_first_token_ms: Option<f64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cost_usd: f64,
    /// Where a local answer's model ran (`webllm`, `llama.cpp`), and on what (`CPU` …).
    pub runtime: Option<String>,
    pub backend: Option<String>,
}

/// A token the native engine produced, sent to the window as the `ai-token` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenEvent {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackRequest {
    pub question_id: String,
    pub positive: bool,
}
