//! A question's steps, from words to rows: `ask` (the cloud, or the native engine streaming its
//! tokens as `ai-token` events), WebLLM in the WebView for a local prompt (load, generate with
//! streamed tokens, then `local_generated` or `local_failed`), `run_answer` and `ai_feedback`.
//! Each step reports to the [`Flow`] reducer.

use std::cell::Cell;
use std::rc::Rc;

use datagata_ipc::ai::{
    AiAnswer, AskPrepared, AskRequest, ChatMessage, FailedAttempt, FeedbackRequest, Generation,
    LocalFailure, LocalGeneration, ProviderChoice, RunAnswerRequest, TokenEvent,
};
use datagata_ipc::{command, event};
use serde::Serialize;
use yew::prelude::*;

use super::format;
use super::model::ModelLoader;
use super::state::{Action, Feedback, Flow, Stage};
use crate::bridge::{self, GenerateOptions};
use crate::query::RequestArgs;

/// `{ "report": … }`
#[derive(Serialize)]
struct ReportArgs<'a, T: Serialize> {
    report: &'a T,
}

/// What the async steps need: the flow's dispatcher, the model loader and the Stop flag.
#[derive(Clone)]
pub struct Steps {
    pub flow: UseReducerDispatcher<Flow>,
    pub model: ModelLoader,
    /// Set by the Stop button, cleared when a generation starts.
    pub stop_pressed: Rc<Cell<bool>>,
    /// Local questions go to the native llama.cpp engine in the backend (no WebGPU here).
    pub native: bool,
}

impl Steps {
    /// `ask`, then (for a local prompt) WebLLM; ends with SQL in the editor or an error.
    pub async fn ask(
        self,
        question: String,
        choice: ProviderChoice,
        retry_of: Option<FailedAttempt>,
    ) {
        self.flow.dispatch(Action::Start {
            question: question.clone(),
            choice,
        });
        let request = AskRequest {
            question,
            choice,
            retry_of,
        };
        // The native engine writes the SQL inside `ask`: its tokens arrive as events meanwhile.
        let tokens = if self.native && choice == ProviderChoice::Local {
            self.flow.dispatch(Action::Stage(Stage::Generating));
            self.stop_pressed.set(false);
            let flow = self.flow.clone();
            let (mut pieces, mut first) = (0u32, None::<f64>);
            let listener = bridge::listen(event::AI_TOKEN, move |token: TokenEvent| {
                let now = js_sys::Date::now();
                pieces += 1;
                let first = *first.get_or_insert(now);
                let rate = format::live_rate(pieces, first, now);
                flow.dispatch(Action::Token {
                    delta: token.text,
                    rate,
                });
            })
            .await;
            listener.ok()
        } else {
            None
        };
        let asked =
            bridge::invoke::<_, AskPrepared>(command::ASK, &RequestArgs { request: &request })
                .await;
        drop(tokens);
        let prepared = match asked {
            Ok(p) => p,
            Err(e) => return self.flow.dispatch(Action::Failed(e)),
        };
        let local = match &prepared.generation {
            Generation::LocalPrompt {
                model,
                messages,
                max_tokens,
                temperature,
                grammar,
            } => Some((
                prepared.question_id.clone(),
                model.clone(),
                messages.clone(),
                GenerateOptions {
                    max_tokens: *max_tokens,
                    temperature: *temperature,
                    grammar: grammar.clone(),
                },
            )),
            Generation::Sql { .. } => None,
        };
        self.flow.dispatch(Action::Prepared(prepared));
        if let Some((question_id, model, messages, options)) = local {
            self.generate(question_id, model, messages, options).await;
        }
    }

    async fn generate(
        &self,
        question_id: String,
        model: String,
        messages: Vec<ChatMessage>,
        options: GenerateOptions,
    ) {
        if !self.model.is_loaded(&model) {
            self.flow.dispatch(Action::Stage(Stage::Loading));
            if let Err(e) = self.model.load(&model).await {
                let error = format!("Could not load {model}: {e}");
                return self.failed(question_id, error, false).await;
            }
        }
        self.flow.dispatch(Action::Stage(Stage::Generating));
        self.stop_pressed.set(false);
        let on_token = {
            let flow = self.flow.clone();
            let mut pieces = 0u32;
            let mut first = None::<f64>;
            move |delta: String| {
                let now = js_sys::Date::now();
                pieces += 1;
                let first = *first.get_or_insert(now);
                let rate = format::live_rate(pieces, first, now);
                flow.dispatch(Action::Token { delta, rate });
            }
        };
        let generated = bridge::llm_generate(&messages, &options, on_token).await;
        let stopped = self.stop_pressed.get();
        let generated = match generated {
            Ok(g) => g,
            Err(e) => return self.failed(question_id, e, stopped).await,
        };
        if (generated.stopped || stopped) && generated.text.trim().is_empty() {
            let error = "Stopped before the model wrote any SQL.".to_string();
            return self.failed(question_id, error, true).await;
        }
        let report = LocalGeneration {
            question_id,
            text: generated.text,
            generation_ms: generated.duration_ms,
            time_to_first_token_ms: generated.time_to_first_token_ms,
            input_tokens: format::count(generated.input_tokens),
            output_tokens: format::count(generated.output_tokens),
        };
        match bridge::invoke::<_, String>(command::LOCAL_GENERATED, &ReportArgs { report: &report })
            .await
        {
            Ok(sql) => self.flow.dispatch(Action::Generated {
                sql,
                rate: generated.tokens_per_second.filter(|r| r.is_finite()),
            }),
            Err(e) => self.flow.dispatch(Action::Failed(e)),
        }
    }

    /// Tells the backend WebLLM failed (or was stopped), then shows why.
    async fn failed(&self, question_id: String, error: String, stopped: bool) {
        let report = LocalFailure {
            question_id,
            error: error.clone(),
            stopped,
        };
        let told =
            bridge::invoke::<_, ()>(command::LOCAL_FAILED, &ReportArgs { report: &report }).await;
        let shown = match told {
            Ok(()) => error,
            Err(e) => format!("{error}\n{e}"),
        };
        self.flow.dispatch(Action::Failed(shown));
    }

    /// `run_answer` with the SQL as it stands in the editor.
    pub async fn run(self, question_id: String, sql: String) {
        self.flow.dispatch(Action::Stage(Stage::Running));
        let request = RunAnswerRequest { question_id, sql };
        match bridge::invoke::<_, AiAnswer>(command::RUN_ANSWER, &RequestArgs { request: &request })
            .await
        {
            Ok(answer) => self.flow.dispatch(Action::Answered(answer)),
            Err(e) => self.flow.dispatch(Action::Failed(e)),
        }
    }

    /// Thumbs up or down on the answer shown.
    pub async fn feedback(self, question_id: String, positive: bool) {
        self.flow.dispatch(Action::Feedback(Feedback::Sending));
        let request = FeedbackRequest {
            question_id,
            positive,
        };
        match bridge::invoke::<_, ()>(command::AI_FEEDBACK, &RequestArgs { request: &request })
            .await
        {
            Ok(()) => self.flow.dispatch(Action::Feedback(Feedback::Sent)),
            Err(e) => {
                self.flow.dispatch(Action::Feedback(Feedback::Open));
                self.flow.dispatch(Action::Notice(e));
            }
        }
    }
}
