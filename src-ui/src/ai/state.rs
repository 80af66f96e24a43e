//! A question's state in the Ask view: what it waits for ([`Stage`]), the prepared question, the
//! reply streaming in, the SQL, the last error, the answer shown and its feedback. A Yew reducer,
//! so the async steps in [`super::flow`] and the token stream always update the latest state.

use std::rc::Rc;

use datagata_ipc::ai::{AiAnswer, AskPrepared, Generation, ProviderChoice};
use yew::prelude::*;

use crate::query::Shared;

/// What the flow is waiting for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stage {
    Idle,
    Asking(ProviderChoice),
    Loading,
    Generating,
    Running,
}

impl Stage {
    /// The `#ai-busy` line, or `None` when idle.
    pub fn busy_text(self) -> Option<&'static str> {
        match self {
            Stage::Idle => None,
            Stage::Asking(ProviderChoice::Cloud) => Some("Asking MotherDuck…"),
            Stage::Asking(ProviderChoice::Local) => Some("Preparing the prompt…"),
            Stage::Loading => Some("Loading the model…"),
            Stage::Generating => Some("Generating…"),
            Stage::Running => Some("Running the SQL…"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Feedback {
    Open,
    Sending,
    Sent,
}

/// The answer shown, its rows apart so the grid can share them without copying.
#[derive(Clone, PartialEq)]
pub struct Shown {
    pub answer: Rc<AiAnswer>,
    pub result: Option<Shared>,
}

#[derive(Clone, PartialEq)]
pub struct Flow {
    pub stage: Stage,
    /// The question as asked (a retry asks it again).
    pub question: String,
    pub prepared: Option<Rc<AskPrepared>>,
    /// WebLLM's reply so far.
    pub stream: String,
    pub tokens_per_second: Option<f64>,
    /// The SQL to run, as generated and then edited.
    pub sql: String,
    /// The last error from a command or the bridge, shown verbatim.
    pub error: Option<String>,
    pub shown: Option<Shown>,
    pub feedback: Feedback,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            stage: Stage::Idle,
            question: String::new(),
            prepared: None,
            stream: String::new(),
            tokens_per_second: None,
            sql: String::new(),
            error: None,
            shown: None,
            feedback: Feedback::Open,
        }
    }
}

impl Flow {
    pub fn busy(&self) -> bool {
        self.stage != Stage::Idle
    }
}

pub enum Action {
    /// A question (or its retry) is on its way to `ask`.
    Start {
        question: String,
        choice: ProviderChoice,
    },
    Prepared(AskPrepared),
    Stage(Stage),
    Token {
        delta: String,
        rate: Option<f64>,
    },
    /// The SQL taken out of WebLLM's reply.
    Generated {
        sql: String,
        rate: Option<f64>,
    },
    Failed(String),
    EditSql(String),
    Answered(AiAnswer),
    /// An error from outside the flow (the panel, the provider choice).
    Notice(String),
    Feedback(Feedback),
}

impl Reducible for Flow {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Start { question, choice } => {
                next = Flow {
                    stage: Stage::Asking(choice),
                    question,
                    ..Flow::default()
                };
            }
            Action::Prepared(prepared) => {
                if let Generation::Sql { sql, .. } = &prepared.generation {
                    next.sql = sql.clone();
                    next.stage = Stage::Idle;
                }
                next.prepared = Some(Rc::new(prepared));
            }
            Action::Stage(stage) => next.stage = stage,
            Action::Token { delta, rate } => {
                next.stream.push_str(&delta);
                next.tokens_per_second = rate.or(next.tokens_per_second);
            }
            Action::Generated { sql, rate } => {
                next.sql = sql;
                next.tokens_per_second = rate.or(next.tokens_per_second);
                next.stage = Stage::Idle;
            }
            Action::Failed(error) => {
                next.error = Some(error);
                next.stage = Stage::Idle;
            }
            Action::EditSql(sql) => next.sql = sql,
            Action::Answered(mut answer) => {
                let result = answer.result.take().map(Shared::new);
                next.error = answer.error.clone();
                next.stage = Stage::Idle;
                next.feedback = Feedback::Open;
                next.shown = Some(Shown {
                    answer: Rc::new(answer),
                    result,
                });
            }
            Action::Notice(error) => next.error = Some(error),
            Action::Feedback(feedback) => next.feedback = feedback,
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(flow: Flow, action: Action) -> Flow {
        (*Rc::new(flow).reduce(action)).clone()
    }

    fn prepared(generation: Generation) -> AskPrepared {
        AskPrepared {
            question_id: "q1".into(),
            choice: ProviderChoice::Cloud,
            provider: "motherduck-ai".into(),
            model: "m".into(),
            config_key: "ai-config".into(),
            variation_key: "motherduck-ai".into(),
            version: 1,
            generation,
        }
    }

    fn answer(error: Option<&str>) -> AiAnswer {
        AiAnswer {
            question_id: "q1".into(),
            provider: "motherduck-ai".into(),
            model: "m".into(),
            variation_key: "v".into(),
            sql: "SELECT 1".into(),
            result: None,
            error: error.map(str::to_string),
            can_retry: error.is_some(),
            latency_ms: 12.0,
            generation_ms: None,
            time_to_first_token_ms: None,
            input_tokens: None,
            output_tokens: None,
            cost_usd: 0.0,
            runtime: None,
            backend: None,
        }
    }

    #[test]
    fn a_new_question_clears_the_last_one() {
        let old = Flow {
            sql: "SELECT 2".into(),
            error: Some("boom".into()),
            stream: "abc".into(),
            feedback: Feedback::Sent,
            ..Flow::default()
        };
        let started = reduce(
            old,
            Action::Start {
                question: "how many trips?".into(),
                choice: ProviderChoice::Cloud,
            },
        );
        assert_eq!(started.stage, Stage::Asking(ProviderChoice::Cloud));
        assert_eq!(started.stage.busy_text(), Some("Asking MotherDuck…"));
        assert_eq!(started.question, "how many trips?");
        assert!(started.sql.is_empty() && started.error.is_none() && started.stream.is_empty());
        assert_eq!(started.feedback, Feedback::Open);
    }

    #[test]
    fn cloud_sql_lands_in_the_editor_and_a_local_prompt_keeps_waiting() {
        let sql = Generation::Sql {
            sql: "SELECT 1".into(),
            generation_ms: 5.0,
        };
        let flow = reduce(
            Flow::default(),
            Action::Stage(Stage::Asking(ProviderChoice::Cloud)),
        );
        let flow = reduce(flow, Action::Prepared(prepared(sql)));
        assert_eq!((flow.sql.as_str(), flow.stage), ("SELECT 1", Stage::Idle));

        let local = Generation::LocalPrompt {
            model: "m".into(),
            messages: vec![],
            max_tokens: None,
            temperature: None,
            grammar: None,
        };
        let flow = reduce(
            Flow::default(),
            Action::Stage(Stage::Asking(ProviderChoice::Local)),
        );
        let flow = reduce(flow, Action::Prepared(prepared(local)));
        assert!(flow.busy());
        assert!(flow.prepared.is_some());
    }

    #[test]
    fn tokens_stream_and_keep_the_last_known_rate() {
        let flow = reduce(Flow::default(), Action::Stage(Stage::Generating));
        let flow = reduce(
            flow,
            Action::Token {
                delta: "SEL".into(),
                rate: None,
            },
        );
        let flow = reduce(
            flow,
            Action::Token {
                delta: "ECT".into(),
                rate: Some(20.0),
            },
        );
        let flow = reduce(
            flow,
            Action::Token {
                delta: " 1".into(),
                rate: None,
            },
        );
        assert_eq!(flow.stream, "SELECT 1");
        assert_eq!(flow.tokens_per_second, Some(20.0));
        let flow = reduce(
            flow,
            Action::Generated {
                sql: "SELECT 1".into(),
                rate: Some(25.0),
            },
        );
        assert_eq!(
            (flow.stage, flow.tokens_per_second),
            (Stage::Idle, Some(25.0))
        );
    }

    #[test]
    fn an_answer_shows_its_error_and_reopens_feedback() {
        let flow = Flow {
            feedback: Feedback::Sent,
            stage: Stage::Running,
            ..Flow::default()
        };
        let flow = reduce(flow, Action::Answered(answer(Some("Binder Error"))));
        assert_eq!(flow.error.as_deref(), Some("Binder Error"));
        assert_eq!((flow.stage, flow.feedback), (Stage::Idle, Feedback::Open));
        assert!(
            flow.shown
                .as_ref()
                .is_some_and(|s| s.answer.can_retry && s.result.is_none())
        );
        let flow = reduce(flow, Action::Answered(answer(None)));
        assert!(flow.error.is_none());
    }
}
