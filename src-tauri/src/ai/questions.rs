//! The AI panel's flow, over the core: which providers this person may use (and why not), a
//! question's prompt (the AI Config's messages with `{{query}}` filled in, the tables' schema, the
//! failed attempt on a retry), cloud generation here or local generation reported back from the
//! WebView, the answer through the read-only runner, and the tracking LaunchDarkly's AI SDKs do
//! (`$ld:ai:*` with `{configKey, variationKey, version}`) plus `query-completed` and feedback.

use std::{
    collections::HashMap,
    sync::{Mutex, RwLock},
    time::Instant,
};

use datagata_ipc::{
    ai::{
        AiAnswer, AiPanelView, AskPrepared, AskRequest, ChatMessage, FeedbackRequest, Generation,
        LocalFailure, LocalGeneration, ProviderChoice, ProviderOption, RunAnswerRequest,
    },
    data::{QueryRequest, QueryTarget},
    metrics::QueryCompleted,
};
use launchdarkly_server_sdk::Context;
use serde_json::{Value, json};

use super::{AiConfig, Provider};
use crate::{Core, CoreError, metrics};

/// The local model when the person's AI Config variation is the cloud one.
pub const DEFAULT_LOCAL_MODEL: &str = "Llama-3.2-3B-Instruct-q4f16_1-MLC";
/// MotherDuck's `prompt_sql` does not name its model.
pub const CLOUD_MODEL: &str = "MotherDuck prompt_sql";
const MAX_QUESTION_CHARS: usize = 2_000;

/// A question between `ask` and its answer.
struct Pending {
    ctx: Context,
    question: String,
    choice: ProviderChoice,
    model: String,
    variation_key: String,
    version: u64,
    started: Instant,
    generation_ms: Option<f64>,
    time_to_first_token_ms: Option<f64>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    sql: Option<String>,
    /// This is the one retry.
    retried: bool,
}

/// The AI panel's state in the core: the saved provider choice, questions under way.
#[derive(Default)]
pub struct AiState {
    choice: RwLock<Option<ProviderChoice>>,
    pending: Mutex<HashMap<String, Pending>>,
}

impl AiState {
    pub fn choice(&self) -> Option<ProviderChoice> {
        *self.choice.read().unwrap_or_else(|e| e.into_inner())
    }
}

fn fail(message: impl Into<String>) -> CoreError {
    CoreError::Ai(message.into())
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

impl Core {
    /// The saved choice from an earlier launch (the settings store).
    pub fn restore_provider_choice(&self, choice: Option<ProviderChoice>) {
        *self.ai.choice.write().unwrap_or_else(|e| e.into_inner()) = choice;
    }

    fn ai_config(&self, ctx: &Context) -> (Option<AiConfig>, String) {
        let evaluation = self.flags.evaluate(ctx, metrics::EXPERIMENT_FLAG);
        let explanation = self.flags.explain(metrics::EXPERIMENT_FLAG, &evaluation);
        (
            AiConfig::from_value(&evaluation.value).filter(|c| c.enabled),
            explanation,
        )
    }

    fn local_option(&self, ctx: &Context) -> ProviderOption {
        let access = self.flags.evaluate(ctx, "webllm-access");
        let selectable = access.value == Value::Bool(true);
        let reason = if !selectable {
            Some(format!(
                "webllm-access is off for you: {}",
                self.flags.explain("webllm-access", &access)
            ))
        } else {
            match self.device_facts().webgpu.as_ref() {
                None => Some("the WebView has not reported WebGPU yet".to_string()),
                Some(w) if !w.usable() => Some(format!(
                    "this WebView has no WebGPU ({}); local AI needs a WebView with WebGPU: \
                     Windows (WebView2) or macOS 26+ (WKWebView) — Linux's WebKitGTK builds \
                     usually lack it",
                    w.problem.as_deref().unwrap_or("no adapter")
                )),
                Some(_) => None,
            }
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

    fn option(&self, ctx: &Context, choice: ProviderChoice) -> ProviderOption {
        match choice {
            ProviderChoice::Local => self.local_option(ctx),
            ProviderChoice::Cloud => self.cloud_option(),
        }
    }

    fn local_model(&self, config: Option<&AiConfig>) -> String {
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

    /// What the AI panel shows for the current profile and machine.
    pub fn ai_panel(&self) -> Result<AiPanelView, CoreError> {
        let ctx = self.context(None)?;
        let (config, explanation) = self.ai_config(&ctx);
        let config_ref = config.as_ref();
        let default_choice = match config_ref.map(|c| c.provider) {
            Some(Provider::WebLlm) => ProviderChoice::Local,
            _ => ProviderChoice::Cloud,
        };
        let options = vec![self.local_option(&ctx), self.cloud_option()];
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
        Ok(AiPanelView {
            config_key: metrics::EXPERIMENT_FLAG.into(),
            variation_key: config_ref
                .map(|c| c.variation_key.clone())
                .unwrap_or_default(),
            version: config_ref.map(|c| c.version).unwrap_or_default(),
            explanation,
            default_choice,
            chosen,
            options,
            local_model: self.local_model(config_ref),
            cloud_model: CLOUD_MODEL.into(),
            local_models: self.models.list(),
        })
    }

    /// Saves the person's provider choice (sent in the session context from now on); a choice
    /// the flags do not allow is refused with their reason.
    pub fn set_provider_choice(&self, choice: ProviderChoice) -> Result<AiPanelView, CoreError> {
        let option = self.option(&self.context(None)?, choice);
        if !option.selectable {
            return Err(fail(format!(
                "{} cannot be chosen: {}",
                option.provider,
                option.reason.unwrap_or_default()
            )));
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

    fn track_ai(
        &self,
        ctx: &Context,
        key: &str,
        pending: &Pending,
        extra: Value,
        metric: Option<f64>,
    ) {
        let mut data = json!({
            "configKey": metrics::EXPERIMENT_FLAG,
            "variationKey": pending.variation_key,
            "version": pending.version,
        });
        if let (Some(d), Value::Object(e)) = (data.as_object_mut(), extra) {
            d.extend(e);
        }
        if let Err(e) = self.track_for(ctx, key, data, metric) {
            tracing::warn!("tracking {key}: {e}");
        }
    }

    /// The AI SDKs' events for a finished generation.
    fn track_generation(&self, pending: &Pending) {
        let ctx = &pending.ctx;
        self.track_ai(
            ctx,
            "$ld:ai:generation:success",
            pending,
            json!({}),
            Some(1.0),
        );
        if let Some(ms) = pending.generation_ms {
            self.track_ai(ctx, "$ld:ai:duration:total", pending, json!({}), Some(ms));
        }
        if let Some(ms) = pending.time_to_first_token_ms {
            self.track_ai(ctx, "$ld:ai:tokens:ttf", pending, json!({}), Some(ms));
        }
        let (input, output) = (pending.input_tokens, pending.output_tokens);
        if let Some(n) = input {
            self.track_ai(
                ctx,
                "$ld:ai:tokens:input",
                pending,
                json!({}),
                Some(n as f64),
            );
        }
        if let Some(n) = output {
            self.track_ai(
                ctx,
                "$ld:ai:tokens:output",
                pending,
                json!({}),
                Some(n as f64),
            );
        }
        if input.is_some() || output.is_some() {
            let total = input.unwrap_or(0) + output.unwrap_or(0);
            self.track_ai(
                ctx,
                "$ld:ai:tokens:total",
                pending,
                json!({}),
                Some(total as f64),
            );
        }
    }

    fn record_completed(
        &self,
        pending: &Pending,
        generation: &str,
        reason: Option<String>,
        rows: Option<u64>,
        query_ms: Option<f64>,
        success: bool,
    ) -> QueryCompleted {
        let cost = if pending.choice == ProviderChoice::Cloud && pending.generation_ms.is_some() {
            metrics::MOTHERDUCK_AI_COST_PER_QUERY
        } else {
            0.0
        };
        let done = QueryCompleted {
            provider: pending.choice.provider().into(),
            config_key: metrics::EXPERIMENT_FLAG.into(),
            variation_key: pending.variation_key.clone(),
            question: pending.question.clone(),
            generation: generation.into(),
            reason,
            success,
            latency_ms: pending.started.elapsed().as_secs_f64() * 1000.0,
            generation_ms: pending.generation_ms,
            query_ms,
            rows,
            input_tokens: pending.input_tokens,
            output_tokens: pending.output_tokens,
            time_to_first_token_ms: pending.time_to_first_token_ms,
            cost_usd: cost,
            source: "app".into(),
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

    /// Starts a question: cloud answers with SQL now; local gets the prompt to run in the WebView.
    pub fn ask_ai(&self, request: &AskRequest) -> Result<AskPrepared, CoreError> {
        let question = request.question.trim();
        if question.is_empty() || question.chars().count() > MAX_QUESTION_CHARS {
            return Err(fail(format!(
                "ask a question of 1 to {MAX_QUESTION_CHARS} characters"
            )));
        }
        let ctx = self.context(Some(question))?;
        let (config, _) = self.ai_config(&ctx);
        let option = self.option(&ctx, request.choice);
        if let Some(reason) = option.reason {
            return Err(fail(format!(
                "{} is not available: {reason}",
                request.choice.provider()
            )));
        }
        let model = match request.choice {
            ProviderChoice::Local => self.local_model(config.as_ref()),
            ProviderChoice::Cloud => CLOUD_MODEL.to_string(),
        };
        let mut pending = Pending {
            ctx,
            question: question.to_string(),
            choice: request.choice,
            model: model.clone(),
            variation_key: config
                .as_ref()
                .map(|c| c.variation_key.clone())
                .unwrap_or_default(),
            version: config.as_ref().map(|c| c.version).unwrap_or_default(),
            started: Instant::now(),
            generation_ms: None,
            time_to_first_token_ms: None,
            input_tokens: None,
            output_tokens: None,
            sql: None,
            retried: request.retry_of.is_some(),
        };
        let generation = match request.choice {
            ProviderChoice::Cloud => {
                let asked = match &request.retry_of {
                    Some(f) => format!(
                        "{question} (an earlier query failed with: {}; avoid that)",
                        f.error
                    ),
                    None => question.to_string(),
                };
                match super::motherduck_sql(&self.data, &asked) {
                    Ok((sql, ms)) => {
                        pending.generation_ms = Some(ms);
                        self.track_generation(&pending);
                        pending.sql = Some(extract_sql(&sql));
                        Generation::Sql {
                            sql: extract_sql(&sql),
                            generation_ms: ms,
                        }
                    }
                    Err(e) => {
                        let message = format!("MotherDuck could not write SQL: {e}");
                        self.track_ai(
                            &pending.ctx,
                            "$ld:ai:generation:error",
                            &pending,
                            json!({ "error": message }),
                            Some(1.0),
                        );
                        self.record_completed(
                            &pending,
                            "error",
                            Some(message.clone()),
                            None,
                            None,
                            false,
                        );
                        return Err(fail(message));
                    }
                }
            }
            ProviderChoice::Local => {
                let template = config
                    .as_ref()
                    .map(|c| c.prompt(question))
                    .unwrap_or_default();
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
                if let Some(f) = &request.retry_of {
                    messages.push(ChatMessage {
                        role: "user".into(),
                        content: format!(
                            "That query failed.\nSQL: {}\nError: {}\nWrite a corrected query. Return only SQL.",
                            f.sql, f.error
                        ),
                    });
                }
                Generation::LocalPrompt {
                    model: model.clone(),
                    messages,
                    max_tokens: config.as_ref().and_then(|c| c.max_tokens),
                    temperature: config.as_ref().and_then(|c| c.temperature),
                }
            }
        };
        let question_id = uuid::Uuid::new_v4().to_string();
        let prepared = AskPrepared {
            question_id: question_id.clone(),
            choice: request.choice,
            provider: request.choice.provider().into(),
            model,
            config_key: metrics::EXPERIMENT_FLAG.into(),
            variation_key: pending.variation_key.clone(),
            version: pending.version,
            generation,
        };
        self.ai
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(question_id, pending);
        Ok(prepared)
    }

    fn with_pending<T>(&self, id: &str, f: impl FnOnce(&mut Pending) -> T) -> Result<T, CoreError> {
        let mut map = self.ai.pending.lock().unwrap_or_else(|e| e.into_inner());
        let pending = map
            .get_mut(id)
            .ok_or_else(|| fail(format!("no question {id} is under way (it may have ended)")))?;
        Ok(f(pending))
    }

    /// WebLLM's reply from the WebView: tracked, and the SQL taken out of it.
    pub fn local_generated(&self, report: &LocalGeneration) -> Result<String, CoreError> {
        let sql = extract_sql(&report.text);
        let snapshot = self.with_pending(&report.question_id, |p| {
            p.generation_ms = Some(report.generation_ms);
            p.time_to_first_token_ms = report.time_to_first_token_ms;
            p.input_tokens = report.input_tokens;
            p.output_tokens = report.output_tokens;
            p.sql = Some(sql.clone());
            Pending {
                ctx: p.ctx.clone(),
                question: p.question.clone(),
                model: p.model.clone(),
                variation_key: p.variation_key.clone(),
                sql: p.sql.clone(),
                ..*p
            }
        })?;
        self.track_generation(&snapshot);
        if sql.is_empty() {
            return Err(fail("the model's reply held no SQL"));
        }
        Ok(sql)
    }

    /// WebLLM failed or was stopped in the WebView.
    pub fn local_failed(&self, report: &LocalFailure) -> Result<(), CoreError> {
        let pending = self
            .ai
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&report.question_id)
            .ok_or_else(|| fail(format!("no question {} is under way", report.question_id)))?;
        let what = if report.stopped { "stopped" } else { "error" };
        self.track_ai(
            &pending.ctx,
            "$ld:ai:generation:error",
            &pending,
            json!({ "error": report.error, "stopped": report.stopped }),
            Some(1.0),
        );
        self.record_completed(
            &pending,
            what,
            Some(report.error.clone()),
            None,
            None,
            false,
        );
        Ok(())
    }

    /// Runs the (possibly edited) SQL read-only and records the answer.
    pub fn run_answer(&self, request: &RunAnswerRequest) -> Result<AiAnswer, CoreError> {
        let sql = request.sql.trim().to_string();
        let outcome = self.data.run(&QueryRequest::local(sql.clone()));
        let mut map = self.ai.pending.lock().unwrap_or_else(|e| e.into_inner());
        let pending = map
            .get_mut(&request.question_id)
            .ok_or_else(|| fail(format!("no question {} is under way", request.question_id)))?;
        pending.sql = Some(sql.clone());
        let (result, error) = match outcome {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let done = self.record_completed(
            pending,
            "ok",
            error.clone(),
            result.as_ref().map(|r| r.total_rows),
            result.as_ref().map(|r| r.elapsed_ms),
            result.is_some(),
        );
        Ok(AiAnswer {
            question_id: request.question_id.clone(),
            provider: done.provider,
            model: pending.model.clone(),
            variation_key: pending.variation_key.clone(),
            sql,
            can_retry: error.is_some() && !pending.retried,
            result,
            error,
            latency_ms: done.latency_ms,
            generation_ms: done.generation_ms,
            time_to_first_token_ms: done.time_to_first_token_ms,
            input_tokens: done.input_tokens,
            output_tokens: done.output_tokens,
            cost_usd: done.cost_usd,
        })
    }

    /// Thumbs up or down on an answer.
    pub fn ai_feedback(&self, request: &FeedbackRequest) -> Result<(), CoreError> {
        let map = self.ai.pending.lock().unwrap_or_else(|e| e.into_inner());
        let pending = map
            .get(&request.question_id)
            .ok_or_else(|| fail(format!("no answer {} to rate", request.question_id)))?;
        let key = if request.positive {
            "$ld:ai:feedback:user:positive"
        } else {
            "$ld:ai:feedback:user:negative"
        };
        self.track_ai(&pending.ctx, key, pending, json!({}), Some(1.0));
        Ok(())
    }
}

#[cfg(test)]
mod tests;
