//! THE owner of a question, whoever asks — the Ask tab over IPC, `datagata ask`, `datagata
//! traffic`, the automation endpoint. From the words to the stored `query-completed`: the
//! context, the AI Config, the provider and local runtime, generation (MotherDuck's `prompt_sql`
//! or the native llama.cpp engine here; WebLLM in the WebView, reported back), the SQL taken out
//! of the reply, the read-only run, the one retry, feedback, and the tracking LaunchDarkly's AI
//! SDKs do (`$ld:ai:*` with `{configKey, variationKey, version}`). Nothing else produces those
//! events.
//!
//! A question's latency is machine time: generation plus the query, measured where they happen,
//! never the time a person spends reading or editing the SQL, and never a model's download or
//! load.

use std::{collections::HashMap, sync::Mutex, time::Instant};

use datagata_ipc::{
    Profile,
    ai::{
        AiAnswer, AiPanelView, AskPrepared, AskRequest, ChatMessage, FailedAttempt,
        FeedbackRequest, Generation, LocalFailure, LocalGeneration, LocalRuntime, ProviderChoice,
        ProviderOption, RunAnswerRequest, RuntimePin,
    },
    data::{QueryRequest, QueryResult, QueryTarget},
    metrics::{GenerationOutcome, QueryCompleted},
};
use launchdarkly_server_sdk::Context;
use serde_json::{Value, json};

use super::{AiConfig, Provider};
use crate::{Core, CoreError, context, flags::keys, metrics};

/// The local model when the person's AI Config variation is the cloud one.
pub const DEFAULT_LOCAL_MODEL: &str = "Llama-3.2-3B-Instruct-q4f16_1-MLC";
/// MotherDuck's `prompt_sql` does not name its model.
pub const CLOUD_MODEL: &str = "MotherDuck prompt_sql";
pub const MAX_QUESTION_CHARS: usize = 2_000;
/// Questions asked but not yet answered, kept at most (older ones are abandoned).
const MAX_PENDING: usize = 32;
/// Answered questions kept for feedback.
const MAX_ANSWERED: usize = 64;

/// Who asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    App,
    Cli,
    Traffic,
    Automation,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::App => "app",
            Source::Cli => "cli",
            Source::Traffic => "traffic",
            Source::Automation => "automation",
        }
    }
}

/// How a question gets its SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// MotherDuck's `prompt_sql`, in the backend.
    Cloud,
    /// WebLLM in the WebView: the backend hands it a prompt and hears back.
    WebLlm,
    /// The native llama.cpp engine, in the backend.
    Native,
}

impl Route {
    fn runtime(self) -> Option<LocalRuntime> {
        match self {
            Route::Cloud => None,
            Route::WebLlm => Some(LocalRuntime::WebLlm),
            Route::Native => Some(LocalRuntime::LlamaCpp),
        }
    }
}

/// Why a question could not be asked or answered, by kind: the UI and the CLI tell "locked"
/// from "unavailable" from "failed" by this, not by parsing a message.
#[derive(Debug, thiserror::Error)]
pub enum AiError {
    #[error("ask a question of 1 to {MAX_QUESTION_CHARS} characters")]
    BadQuestion,
    /// The flags do not let this person use the provider.
    #[error("{provider} cannot be chosen: {reason}")]
    Locked {
        provider: &'static str,
        reason: String,
    },
    /// The provider cannot run here right now (no token, no WebGPU, no model file).
    #[error("{provider} is not available: {reason}")]
    Unavailable {
        provider: &'static str,
        reason: String,
    },
    /// The provider ran and failed.
    #[error("{0}")]
    Failed(String),
    #[error("the generation was stopped")]
    Stopped,
    #[error("the model's reply held no SQL")]
    NoSql,
    #[error("no question {0} is under way (it may have ended)")]
    NoSuchQuestion(String),
    #[error("the question {0} was already answered: ask again to run it as a new question")]
    AlreadyAnswered(String),
}

/// The route for a pin, what the WebView said about WebGPU (`None`: nothing reported) and why
/// the native engine cannot run (`None`: it can): the route, why in words, and why it cannot
/// answer when it cannot.
fn route_for(
    pin: RuntimePin,
    webgpu: Option<Result<(), String>>,
    native: Option<String>,
) -> (Route, String, Option<String>) {
    let no_webgpu = match &webgpu {
        Some(Ok(())) => None,
        Some(Err(problem)) => Some(format!("this WebView has no WebGPU ({problem})")),
        None => Some("no WebView has reported WebGPU (headless)".to_string()),
    };
    const WEBGPU_WHERE: &str =
        "WebLLM needs a WebView with WebGPU: Windows (WebView2) or macOS 26+ (WKWebView)";
    match (pin, no_webgpu) {
        (RuntimePin::WebLlm, None) => (
            Route::WebLlm,
            "you pinned WebLLM: it answers on the GPU in the WebView".into(),
            None,
        ),
        (RuntimePin::WebLlm, Some(no_webgpu)) => (
            Route::WebLlm,
            format!("you pinned WebLLM, but {no_webgpu}"),
            Some(format!(
                "you pinned WebLLM, but {no_webgpu}: {WEBGPU_WHERE}, or pin the native engine \
                 (or auto)"
            )),
        ),
        (RuntimePin::Native, webgpu) => {
            let why = match webgpu {
                None => "you pinned the native llama.cpp engine: it answers on this machine's \
                         CPU although the WebView has WebGPU"
                    .to_string(),
                Some(_) => {
                    "you pinned the native llama.cpp engine: it answers on this machine".into()
                }
            };
            let problem = native.map(|p| format!("the native engine cannot run: {p}"));
            (Route::Native, why, problem)
        }
        (RuntimePin::Auto, None) => (
            Route::WebLlm,
            default_route_reason(Route::WebLlm).into(),
            None,
        ),
        (RuntimePin::Auto, Some(no_webgpu)) => match native {
            None => (
                Route::Native,
                format!("{no_webgpu}, so the native llama.cpp engine answers on this machine"),
                None,
            ),
            Some(problem) => (
                Route::Native,
                format!("{no_webgpu}; the native llama.cpp engine would answer"),
                Some(format!(
                    "{no_webgpu}, and the native engine cannot run: {problem}. {WEBGPU_WHERE}"
                )),
            ),
        },
    }
}

fn default_route_reason(route: Route) -> &'static str {
    match route {
        Route::WebLlm => "the WebView has WebGPU, so WebLLM answers on the GPU",
        Route::Native => {
            "the WebView has no WebGPU, so the native llama.cpp engine answers on this machine"
        }
        Route::Cloud => "",
    }
}

/// A question between its start and its answer.
#[derive(Clone)]
struct Pending {
    ctx: Context,
    question: String,
    choice: ProviderChoice,
    route: Route,
    model: String,
    backend: Option<String>,
    variation_key: String,
    version: u64,
    source: Source,
    generation_ms: Option<f64>,
    time_to_first_token_ms: Option<f64>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    sql: Option<String>,
    /// 1, or 2 for the one retry.
    attempt: u32,
    /// Asked in the experiment's rollout, with the variation's own provider.
    in_experiment: bool,
    /// When it was asked (the oldest unanswered question is abandoned first).
    asked_at: Instant,
}

impl Pending {
    fn provider(&self) -> &'static str {
        self.choice.provider()
    }
}

/// The question service's state in the core: the saved provider choice, questions under way,
/// and answered ones (for feedback).
#[derive(Default)]
pub struct Questions {
    choice: std::sync::RwLock<Option<ProviderChoice>>,
    pin: std::sync::RwLock<RuntimePin>,
    pending: Mutex<HashMap<String, Pending>>,
    answered: Mutex<Vec<(String, Pending)>>,
}

impl Questions {
    pub fn choice(&self) -> Option<ProviderChoice> {
        *self.choice.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The local runtime the person pinned.
    pub fn pin(&self) -> RuntimePin {
        *self.pin.read().unwrap_or_else(|e| e.into_inner())
    }

    fn insert(&self, id: String, pending: Pending) {
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        // Abandoned (asked, never run): the oldest go first.
        while map.len() >= MAX_PENDING {
            let Some(oldest) = map
                .iter()
                .min_by_key(|(_, p)| p.asked_at)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            tracing::info!(question = %oldest, "abandoned: asked but never run");
            map.remove(&oldest);
        }
        map.insert(id, pending);
    }

    fn take(&self, id: &str) -> Result<Pending, AiError> {
        if let Some(p) = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id)
        {
            return Ok(p);
        }
        let answered = self.answered.lock().unwrap_or_else(|e| e.into_inner());
        if answered.iter().any(|(k, _)| k == id) {
            Err(AiError::AlreadyAnswered(id.to_string()))
        } else {
            Err(AiError::NoSuchQuestion(id.to_string()))
        }
    }

    fn update(&self, id: &str, f: impl FnOnce(&mut Pending)) -> Result<Pending, AiError> {
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let p = map
            .get_mut(id)
            .ok_or_else(|| AiError::NoSuchQuestion(id.to_string()))?;
        f(p);
        Ok(p.clone())
    }

    fn answered(&self, id: String, pending: Pending) {
        let mut answered = self.answered.lock().unwrap_or_else(|e| e.into_inner());
        if answered.len() >= MAX_ANSWERED {
            answered.remove(0);
        }
        answered.push((id, pending));
    }

    fn for_feedback(&self, id: &str) -> Option<Pending> {
        let answered = self.answered.lock().unwrap_or_else(|e| e.into_inner());
        answered
            .iter()
            .rev()
            .find(|(k, _)| k == id)
            .map(|(_, p)| p.clone())
    }
}

/// The SQL in a model's reply: a fenced ```sql block when there is one, else the reply, without
/// a trailing semicolon.
pub fn extract_sql(reply: &str) -> String {
    let text = reply.trim();
    let fenced = text.split("```").nth(1).map(|block| {
        let block = block.trim_start();
        block
            .strip_prefix("sql")
            .or_else(|| block.strip_prefix("SQL"))
            .or_else(|| block.strip_prefix("duckdb"))
            .unwrap_or(block)
    });
    fenced
        .unwrap_or(text)
        .trim()
        .trim_end_matches(';')
        .trim()
        .to_string()
}

/// The model to load on a GPU with or without `shader-f16`.
pub fn local_model_for(model: &str, shader_f16: bool) -> String {
    if shader_f16 {
        model.to_string()
    } else {
        model.replace("q4f16_1", "q4f32_1")
    }
}

/// A headless question (CLI, traffic, automation): who asks, and how.
pub struct HeadlessAsk<'a> {
    pub question: &'a str,
    /// As this person (traffic's random people); `None`: the app's profile.
    pub profile: Option<&'a Profile>,
    /// `None`: the AI Config's provider for the person.
    pub choice: Option<ProviderChoice>,
    /// Run when the provider is unavailable, so the data path is still measured (traffic).
    pub reference_sql: Option<&'a str>,
    pub source: Source,
}

/// What a headless question came to.
#[derive(Debug)]
pub struct HeadlessAnswer {
    /// The last attempt's event.
    pub completed: QueryCompleted,
    /// The answer, when the SQL ran (also for a reference query).
    pub result: Option<QueryResult>,
    pub sql: Option<String>,
    /// Why it was not answered.
    pub error: Option<AiError>,
    /// The same thing as the window's answer (when generation gave SQL).
    pub answer: Option<AiAnswer>,
}

impl Core {
    /// The saved choice from an earlier launch (the settings store).
    pub fn restore_provider_choice(&self, choice: Option<ProviderChoice>) {
        *self.ai.choice.write().unwrap_or_else(|e| e.into_inner()) = choice;
    }

    /// The local runtime pinned at an earlier launch (auto when none was).
    pub fn restore_runtime_pin(&self, pin: RuntimePin) {
        *self.ai.pin.write().unwrap_or_else(|e| e.into_inner()) = pin;
    }

    /// Pins the local runtime (auto, WebLLM, native); the panel then says which answers and why.
    pub fn set_runtime_pin(&self, pin: RuntimePin) -> Result<AiPanelView, CoreError> {
        self.restore_runtime_pin(pin);
        self.ai_panel()
    }

    /// The AI Config for `ctx`, LaunchDarkly's reason in words, and whether the evaluation was
    /// in the experiment's rollout (`inExperiment`).
    pub(crate) fn ai_config(&self, ctx: &Context) -> (Option<AiConfig>, String, bool) {
        let evaluation = self.flags.evaluate(ctx, keys::AI_CONFIG);
        let explanation = self.flags.explain(keys::AI_CONFIG, &evaluation);
        let in_experiment = evaluation.reason["inExperiment"] == true;
        (
            AiConfig::from_value(&evaluation.value).filter(|c| c.enabled),
            explanation,
            in_experiment,
        )
    }

    /// Whether the WebView reported WebGPU it can use (`None`: not reported).
    fn webgpu_usable(&self) -> Option<Result<(), String>> {
        self.device_facts().webgpu.map(|w| {
            if w.usable() {
                Ok(())
            } else {
                Err(w.problem.unwrap_or_else(|| "no adapter".into()))
            }
        })
    }

    /// Which local runtime answers here, and why; or why none can. The person's pin wins over
    /// what the WebView reports; auto takes WebLLM with WebGPU, else the native engine.
    fn local_route(&self, config: Option<&AiConfig>) -> (Route, String, Option<String>) {
        route_for(
            self.ai.pin(),
            self.webgpu_usable(),
            self.native_problem(config),
        )
    }

    /// The local option, given the route [`Core::local_route`] found (computed once per call).
    fn local_option(
        &self,
        ctx: &Context,
        local: &(Route, String, Option<String>),
    ) -> ProviderOption {
        let access = self.flags.evaluate(ctx, keys::WEBLLM_ACCESS);
        let selectable = access.value == Value::Bool(true);
        let reason = if !selectable {
            Some(format!(
                "{} is off for you: {}",
                keys::WEBLLM_ACCESS,
                self.flags.explain(keys::WEBLLM_ACCESS, &access)
            ))
        } else {
            local.2.clone()
        };
        ProviderOption {
            choice: ProviderChoice::Local,
            provider: ProviderChoice::Local.provider().into(),
            selectable,
            available: reason.is_none(),
            reason,
        }
    }

    fn cloud_option(&self) -> ProviderOption {
        let reason = self
            .data
            .motherduck()
            .require_connected()
            .err()
            .map(|e| e.to_string());
        ProviderOption {
            choice: ProviderChoice::Cloud,
            provider: ProviderChoice::Cloud.provider().into(),
            // No flag gates the cloud provider: it is the AI Config's fallback for everyone.
            selectable: true,
            available: reason.is_none(),
            reason,
        }
    }

    /// The one place a provider's option (may it be chosen, can it answer, why not) is made.
    fn option(
        &self,
        ctx: &Context,
        config: Option<&AiConfig>,
        choice: ProviderChoice,
    ) -> ProviderOption {
        match choice {
            ProviderChoice::Local => self.local_option(ctx, &self.local_route(config)),
            ProviderChoice::Cloud => self.cloud_option(),
        }
    }

    fn webllm_model(&self, config: Option<&AiConfig>) -> String {
        let model = config
            .filter(|c| c.provider == Provider::WebLlm)
            .map(|c| c.model.as_str())
            .unwrap_or(DEFAULT_LOCAL_MODEL);
        let f16 = self
            .device_facts()
            .webgpu
            .and_then(|w| w.adapter)
            .is_none_or(|a| a.features.iter().any(|f| f == "shader-f16"));
        local_model_for(model, f16)
    }

    fn default_choice(config: Option<&AiConfig>) -> ProviderChoice {
        match config.map(|c| c.provider) {
            Some(Provider::WebLlm) => ProviderChoice::Local,
            _ => ProviderChoice::Cloud,
        }
    }

    /// What the AI panel shows for the current profile and machine.
    pub fn ai_panel(&self) -> Result<AiPanelView, CoreError> {
        let ctx = self.context(None)?;
        let (config, explanation, _) = self.ai_config(&ctx);
        let config_ref = config.as_ref();
        let default_choice = Self::default_choice(config_ref);
        let local = self.local_route(config_ref);
        let options = vec![self.local_option(&ctx, &local), self.cloud_option()];
        // A choice the flags allow stands even while that provider cannot answer (no WebGPU, no
        // token): the panel shows why, and nothing is switched behind the person's back.
        let selectable =
            |c: &ProviderChoice| options.iter().any(|o| o.choice == *c && o.selectable);
        let chosen = self
            .ai
            .choice()
            .filter(selectable)
            .or(Some(default_choice).filter(selectable))
            .unwrap_or(ProviderChoice::Cloud);
        let (route, route_reason, _) = local;
        Ok(AiPanelView {
            config_key: keys::AI_CONFIG.into(),
            variation_key: config_ref
                .map(|c| c.variation_key.clone())
                .unwrap_or_default(),
            version: config_ref.map(|c| c.version).unwrap_or_default(),
            explanation,
            default_choice,
            chosen,
            options,
            local_model: match route {
                Route::Native => self.native_model_name(config_ref),
                _ => self.webllm_model(config_ref),
            },
            webllm_model: self.webllm_model(config_ref),
            cloud_model: CLOUD_MODEL.into(),
            local_models: self.models.list(),
            local_runtime: route.runtime().unwrap_or(LocalRuntime::WebLlm),
            runtime_pin: self.ai.pin(),
            local_runtime_reason: route_reason,
            native: self.native_view(config_ref),
        })
    }

    /// Saves the person's provider choice (sent in the session context from now on); a choice
    /// the flags do not allow is refused with their reason.
    pub fn set_provider_choice(&self, choice: ProviderChoice) -> Result<AiPanelView, CoreError> {
        let ctx = self.context(None)?;
        let (config, _, _) = self.ai_config(&ctx);
        let option = self.option(&ctx, config.as_ref(), choice);
        if !option.selectable {
            return Err(AiError::Locked {
                provider: choice.provider(),
                reason: option.reason.unwrap_or_default(),
            }
            .into());
        }
        self.restore_provider_choice(Some(choice));
        self.ai_panel()
    }

    /// Checks a WebLLM model folder on disk and serves it to WebLLM from now on.
    pub fn import_model_folder(&self, path: &std::path::Path) -> Result<AiPanelView, CoreError> {
        self.models.import(path)?;
        self.ai_panel()
    }

    /// Stops serving an imported model folder (its files stay).
    pub fn forget_model_folder(&self, model_id: &str) -> Result<AiPanelView, CoreError> {
        self.models.forget(model_id)?;
        self.ai_panel()
    }

    /// The imported model folders, for the app's `dgmodel` protocol.
    pub fn model_folders(&self) -> &super::models::ModelFolders {
        &self.models
    }

    fn schema_text(&self) -> String {
        let tables = self.data.schema(QueryTarget::Local).unwrap_or_default();
        let lines: Vec<String> = tables
            .iter()
            .filter(|t| t.schema == "main")
            .map(|t| {
                let cols: Vec<String> = t
                    .columns
                    .iter()
                    .map(|c| format!("{} {}", c.name, c.sql_type))
                    .collect();
                format!("{}({})", t.qualified_name, cols.join(", "))
            })
            .collect();
        format!("Tables (DuckDB):\n{}", lines.join("\n"))
    }

    /// The prompt both local runtimes get: the AI Config's messages with `{{query}}` filled
    /// in, the schema after the system messages, and the failed attempt on a retry.
    fn local_messages(
        &self,
        config: Option<&AiConfig>,
        question: &str,
        retry_of: Option<&FailedAttempt>,
    ) -> Vec<ChatMessage> {
        let template = config.map(|c| c.prompt(question)).unwrap_or_default();
        let mut messages: Vec<ChatMessage> = template
            .into_iter()
            .map(|(role, content)| ChatMessage { role, content })
            .collect();
        let schema = ChatMessage {
            role: "system".into(),
            content: self.schema_text(),
        };
        let at = messages.iter().take_while(|m| m.role == "system").count();
        messages.insert(at, schema);
        if !messages.iter().any(|m| m.role == "user") {
            messages.push(ChatMessage {
                role: "user".into(),
                content: question.to_string(),
            });
        }
        if let Some(f) = retry_of {
            messages.push(ChatMessage {
                role: "user".into(),
                content: format!(
                    "That query failed.\nSQL: {}\nError: {}\nWrite a corrected query. Return only SQL.",
                    f.sql, f.error
                ),
            });
        }
        messages
    }

    fn track_ai(&self, key: &str, pending: &Pending, extra: Value, metric: Option<f64>) {
        let mut data = json!({
            "configKey": keys::AI_CONFIG,
            "variationKey": pending.variation_key,
            "version": pending.version,
            "provider": pending.provider(),
            "model": pending.model,
        });
        if let Some(d) = data.as_object_mut() {
            if let Some(runtime) = pending.route.runtime() {
                d.insert("runtime".into(), runtime.as_str().into());
            }
            if let Some(backend) = &pending.backend {
                d.insert("backend".into(), backend.clone().into());
            }
            if let Value::Object(e) = extra {
                d.extend(e);
            }
        }
        if let Err(e) = self.track_for(&pending.ctx, key, data, metric) {
            tracing::warn!("tracking {key}: {e}");
        }
    }

    /// The AI SDKs' events for a finished generation.
    fn track_generation(&self, pending: &Pending) {
        self.track_ai("$ld:ai:generation:success", pending, json!({}), Some(1.0));
        if let Some(ms) = pending.generation_ms {
            self.track_ai("$ld:ai:duration:total", pending, json!({}), Some(ms));
        }
        if let Some(ms) = pending.time_to_first_token_ms {
            self.track_ai("$ld:ai:tokens:ttf", pending, json!({}), Some(ms));
        }
        let (input, output) = (pending.input_tokens, pending.output_tokens);
        if let Some(n) = input {
            self.track_ai("$ld:ai:tokens:input", pending, json!({}), Some(n as f64));
        }
        if let Some(n) = output {
            self.track_ai("$ld:ai:tokens:output", pending, json!({}), Some(n as f64));
        }
        if input.is_some() || output.is_some() {
            let total = input.unwrap_or(0) + output.unwrap_or(0);
            self.track_ai(
                "$ld:ai:tokens:total",
                pending,
                json!({}),
                Some(total as f64),
            );
        }
    }

    fn track_generation_error(&self, pending: &Pending, error: &str, stopped: bool) {
        self.track_ai(
            "$ld:ai:generation:error",
            pending,
            json!({ "error": error, "stopped": stopped }),
            Some(1.0),
        );
    }

    /// The one place `query-completed` is made and stored.
    fn record_completed(
        &self,
        pending: &Pending,
        generation: GenerationOutcome,
        reason: Option<String>,
        result: Option<&QueryResult>,
    ) -> QueryCompleted {
        let cost = if pending.route == Route::Cloud && pending.generation_ms.is_some() {
            metrics::MOTHERDUCK_AI_COST_PER_QUERY
        } else {
            0.0
        };
        let query_ms = result.map(|r| r.elapsed_ms);
        let done = QueryCompleted {
            provider: pending.provider().into(),
            config_key: keys::AI_CONFIG.into(),
            variation_key: pending.variation_key.clone(),
            question: pending.question.clone(),
            generation,
            reason,
            success: generation == GenerationOutcome::Ok && result.is_some(),
            // Machine time: what the provider and DuckDB took, nothing a person waited on.
            latency_ms: pending.generation_ms.unwrap_or(0.0) + query_ms.unwrap_or(0.0),
            generation_ms: pending.generation_ms,
            query_ms,
            rows: result.map(|r| r.total_rows),
            input_tokens: pending.input_tokens,
            output_tokens: pending.output_tokens,
            time_to_first_token_ms: pending.time_to_first_token_ms,
            cost_usd: cost,
            source: pending.source.as_str().into(),
            runtime: pending.route.runtime().map(|r| r.as_str().to_string()),
            backend: pending.backend.clone(),
            model: Some(pending.model.clone()),
            attempt: pending.attempt,
            in_experiment: pending.in_experiment,
        };
        if let Err(e) = self.track_for(
            &pending.ctx,
            metrics::QUERY_COMPLETED,
            serde_json::to_value(&done).unwrap_or_default(),
            Some(done.latency_ms),
        ) {
            tracing::warn!("tracking query-completed: {e}");
        }
        done
    }

    /// Starts a question for the window: the cloud and the native engine write SQL now (the
    /// native one streaming its tokens to `on_token`); WebLLM gets the prompt to run in the
    /// WebView.
    pub fn ask_ai(
        &self,
        request: &AskRequest,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<AskPrepared, CoreError> {
        self.start_question(
            request.question.trim(),
            None,
            Some(request.choice),
            request.retry_of.as_ref(),
            None,
            Source::App,
            on_token,
        )
        .map(|(prepared, _)| prepared)
    }

    /// Every way in starts here.
    #[allow(clippy::too_many_arguments)]
    fn start_question(
        &self,
        question: &str,
        profile: Option<&Profile>,
        choice: Option<ProviderChoice>,
        retry_of: Option<&FailedAttempt>,
        reference_sql: Option<&str>,
        source: Source,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<(AskPrepared, Option<QueryCompleted>), CoreError> {
        if question.is_empty() || question.chars().count() > MAX_QUESTION_CHARS {
            return Err(AiError::BadQuestion.into());
        }
        let ctx = match profile {
            Some(p) => {
                let p = context::validate_profile(p.clone())?;
                context::build(&p, &self.device_facts(), &self.session(), Some(question))?
            }
            None => self.context(Some(question))?,
        };
        let (config, _, in_experiment) = self.ai_config(&ctx);
        // A forced choice against the variation's provider is not the experiment's treatment.
        let in_experiment =
            in_experiment && choice.is_none_or(|c| c == Self::default_choice(config.as_ref()));
        let choice = choice.unwrap_or_else(|| Self::default_choice(config.as_ref()));
        let (option, route) = match choice {
            ProviderChoice::Cloud => (self.cloud_option(), Route::Cloud),
            ProviderChoice::Local => {
                let local = self.local_route(config.as_ref());
                (self.local_option(&ctx, &local), local.0)
            }
        };
        let model = match route {
            Route::Cloud => CLOUD_MODEL.to_string(),
            Route::WebLlm => self.webllm_model(config.as_ref()),
            Route::Native => self.native_model_name(config.as_ref()),
        };
        let mut pending = Pending {
            ctx,
            question: question.to_string(),
            choice,
            route,
            model: model.clone(),
            backend: match route {
                Route::WebLlm => Some("WebGPU".into()),
                _ => None,
            },
            variation_key: config
                .as_ref()
                .map(|c| c.variation_key.clone())
                .unwrap_or_default(),
            version: config.as_ref().map(|c| c.version).unwrap_or_default(),
            source,
            generation_ms: None,
            time_to_first_token_ms: None,
            input_tokens: None,
            output_tokens: None,
            sql: None,
            attempt: if retry_of.is_some() { 2 } else { 1 },
            in_experiment,
            asked_at: Instant::now(),
        };
        if !option.selectable || !option.available {
            let reason = option.reason.unwrap_or_default();
            // The data path is still measured when the caller gave the question's own SQL.
            let reference = reference_sql.and_then(|sql| {
                self.data
                    .run(&QueryRequest::local(sql))
                    .inspect_err(|e| tracing::warn!("reference SQL: {e}"))
                    .ok()
            });
            let done = self.record_completed(
                &pending,
                GenerationOutcome::Unavailable,
                Some(reason.clone()),
                reference.as_ref(),
            );
            let error = if option.selectable {
                AiError::Unavailable {
                    provider: choice.provider(),
                    reason,
                }
            } else {
                AiError::Locked {
                    provider: choice.provider(),
                    reason,
                }
            };
            return Err(CoreError::Unanswered {
                error,
                completed: Box::new(done),
                result: reference.map(Box::new),
            });
        }
        let generated = match route {
            Route::Cloud => {
                let asked = match retry_of {
                    Some(f) => format!(
                        "{question} (an earlier query failed with: {}; avoid that)",
                        f.error
                    ),
                    None => question.to_string(),
                };
                super::motherduck_sql(&self.data, &asked)
                    .map(|(sql, ms)| {
                        pending.generation_ms = Some(ms);
                        sql
                    })
                    .map_err(|e| {
                        AiError::Failed(format!(
                            "MotherDuck could not write SQL: {}",
                            crate::data::public_error(&e)
                        ))
                    })
            }
            Route::Native => {
                let messages = self.local_messages(config.as_ref(), question, retry_of);
                pending.backend = Some(self.native_backend());
                self.native_generate(config.as_ref(), question, &messages, on_token)
                    .map(|reply| {
                        pending.generation_ms = Some(reply.generation_ms);
                        pending.time_to_first_token_ms = reply.ttft_ms;
                        pending.input_tokens = Some(reply.prompt_tokens);
                        pending.output_tokens = Some(reply.output_tokens);
                        reply.text
                    })
            }
            Route::WebLlm => {
                let messages = self.local_messages(config.as_ref(), question, retry_of);
                let question_id = uuid::Uuid::new_v4().to_string();
                let prepared = self.prepared(&question_id, &pending, {
                    Generation::LocalPrompt {
                        model: model.clone(),
                        messages,
                        max_tokens: config.as_ref().and_then(|c| c.max_tokens),
                        temperature: config.as_ref().and_then(|c| c.temperature),
                        grammar: Some(self.sql_grammar_for(question).1),
                    }
                });
                self.ai.insert(question_id, pending);
                return Ok((prepared, None));
            }
        };
        let generated = generated.and_then(|reply| {
            let sql = extract_sql(&reply);
            if sql.is_empty() {
                Err(AiError::NoSql)
            } else {
                Ok(sql)
            }
        });
        match generated {
            Ok(sql) => {
                self.track_generation(&pending);
                pending.sql = Some(sql.clone());
                let question_id = uuid::Uuid::new_v4().to_string();
                let generation_ms = pending.generation_ms.unwrap_or(0.0);
                let prepared = self.prepared(
                    &question_id,
                    &pending,
                    Generation::Sql { sql, generation_ms },
                );
                self.ai.insert(question_id, pending);
                Ok((prepared, None))
            }
            Err(error) => {
                let stopped = matches!(error, AiError::Stopped);
                let message = error.to_string();
                self.track_generation_error(&pending, &message, stopped);
                let done = self.record_completed(
                    &pending,
                    if stopped {
                        GenerationOutcome::Stopped
                    } else {
                        GenerationOutcome::Error
                    },
                    Some(message),
                    None,
                );
                Err(CoreError::Unanswered {
                    error,
                    completed: Box::new(done),
                    result: None,
                })
            }
        }
    }

    fn prepared(
        &self,
        question_id: &str,
        pending: &Pending,
        generation: Generation,
    ) -> AskPrepared {
        AskPrepared {
            question_id: question_id.to_string(),
            choice: pending.choice,
            provider: pending.provider().into(),
            model: pending.model.clone(),
            config_key: keys::AI_CONFIG.into(),
            variation_key: pending.variation_key.clone(),
            version: pending.version,
            generation,
        }
    }

    /// WebLLM's reply from the WebView: tracked, and the SQL taken out of it.
    pub fn local_generated(&self, report: &LocalGeneration) -> Result<String, CoreError> {
        let sql = extract_sql(&report.text);
        let pending = self.ai.update(&report.question_id, |p| {
            p.generation_ms = Some(report.generation_ms);
            p.time_to_first_token_ms = report.time_to_first_token_ms;
            p.input_tokens = report.input_tokens;
            p.output_tokens = report.output_tokens;
            p.sql = Some(sql.clone());
        })?;
        if sql.is_empty() {
            let pending = self.ai.take(&report.question_id)?;
            let message = AiError::NoSql.to_string();
            self.track_generation_error(&pending, &message, false);
            self.record_completed(&pending, GenerationOutcome::Error, Some(message), None);
            return Err(AiError::NoSql.into());
        }
        self.track_generation(&pending);
        Ok(sql)
    }

    /// WebLLM failed or was stopped in the WebView: the question ends here.
    pub fn local_failed(&self, report: &LocalFailure) -> Result<(), CoreError> {
        let pending = self.ai.take(&report.question_id)?;
        self.track_generation_error(&pending, &report.error, report.stopped);
        self.record_completed(
            &pending,
            if report.stopped {
                GenerationOutcome::Stopped
            } else {
                GenerationOutcome::Error
            },
            Some(report.error.clone()),
            None,
        );
        Ok(())
    }

    /// Runs the (possibly edited) SQL read-only and records the answer; the question ends
    /// here (a second Run is refused: asking again is a new question).
    pub fn run_answer(&self, request: &RunAnswerRequest) -> Result<AiAnswer, CoreError> {
        self.answer(request).map(|(answer, _)| answer)
    }

    fn answer(&self, request: &RunAnswerRequest) -> Result<(AiAnswer, QueryCompleted), CoreError> {
        let sql = request.sql.trim().to_string();
        let mut pending = self.ai.take(&request.question_id)?;
        // No lock is held while DuckDB runs or events are written.
        let outcome = self.data.run(&QueryRequest::local(sql.clone()));
        pending.sql = Some(sql.clone());
        let (result, error) = match outcome {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(crate::data::public_error(&e))),
        };
        let done = self.record_completed(
            &pending,
            GenerationOutcome::Ok,
            error.clone(),
            result.as_ref(),
        );
        let answer = AiAnswer {
            question_id: request.question_id.clone(),
            provider: done.provider.clone(),
            model: pending.model.clone(),
            variation_key: pending.variation_key.clone(),
            sql,
            can_retry: error.is_some() && pending.attempt == 1,
            result,
            error,
            latency_ms: done.latency_ms,
            generation_ms: done.generation_ms,
            time_to_first_token_ms: done.time_to_first_token_ms,
            input_tokens: done.input_tokens,
            output_tokens: done.output_tokens,
            cost_usd: done.cost_usd,
            runtime: done.runtime.clone(),
            backend: done.backend.clone(),
        };
        self.ai.answered(request.question_id.clone(), pending);
        Ok((answer, done))
    }

    /// Thumbs up or down on an answer.
    pub fn ai_feedback(&self, request: &FeedbackRequest) -> Result<(), CoreError> {
        let pending = self
            .ai
            .for_feedback(&request.question_id)
            .ok_or_else(|| AiError::NoSuchQuestion(request.question_id.clone()))?;
        let key = if request.positive {
            "$ld:ai:feedback:user:positive"
        } else {
            "$ld:ai:feedback:user:negative"
        };
        self.track_ai(key, &pending, json!({}), Some(1.0));
        Ok(())
    }

    /// A question without a window (CLI, traffic, automation): the same steps the Ask tab
    /// takes — start, generate, run, and the one retry with the error fed back — with the SQL
    /// run as written. WebLLM needs the WebView, so a headless local question goes to the
    /// native engine.
    pub fn ask_headless(&self, ask: &HeadlessAsk<'_>) -> Result<HeadlessAnswer, CoreError> {
        let mut retry_of: Option<FailedAttempt> = None;
        loop {
            let started = self.start_question(
                ask.question.trim(),
                ask.profile,
                ask.choice,
                retry_of.as_ref(),
                ask.reference_sql,
                ask.source,
                &mut |_| {},
            );
            let prepared = match started {
                Ok((prepared, _)) => prepared,
                Err(CoreError::Unanswered {
                    error,
                    completed,
                    result,
                }) => {
                    return Ok(HeadlessAnswer {
                        completed: *completed,
                        result: result.map(|r| *r),
                        sql: None,
                        error: Some(error),
                        answer: None,
                    });
                }
                Err(e) => return Err(e),
            };
            let sql = match &prepared.generation {
                Generation::Sql { sql, .. } => sql.clone(),
                Generation::LocalPrompt { .. } => {
                    // Only with a WebView that has WebGPU; headless there is none.
                    let _ = self.local_failed(&LocalFailure {
                        question_id: prepared.question_id.clone(),
                        error: super::WEBLLM_HEADLESS.into(),
                        stopped: false,
                    });
                    return Err(AiError::Unavailable {
                        provider: prepared.choice.provider(),
                        reason: super::WEBLLM_HEADLESS.into(),
                    }
                    .into());
                }
            };
            let (answer, completed) = self.answer(&RunAnswerRequest {
                question_id: prepared.question_id.clone(),
                sql: sql.clone(),
            })?;
            if answer.can_retry && retry_of.is_none() {
                retry_of = Some(FailedAttempt {
                    sql,
                    error: answer.error.clone().unwrap_or_default(),
                });
                continue;
            }
            return Ok(HeadlessAnswer {
                completed,
                result: answer.result.clone(),
                sql: Some(answer.sql.clone()),
                error: answer.error.clone().map(AiError::Failed),
                answer: Some(answer),
            });
        }
    }
}

#[cfg(test)]
mod tests;
