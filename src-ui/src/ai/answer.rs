//! The answer: its rows in the Query view's virtualized grid and chart, what it cost to get them (provider,
//! model, latency, generation time, tokens, time to first token, dollars) and thumbs up or down.

use datagata_ipc::ai::AiAnswer;
use yew::prelude::*;

use super::format;
use super::state::{Feedback, Shown};
use crate::chart::ResultChart;
use crate::query::ResultGrid;

/// The `#ai-answer-meta` rows: (element id, label, value).
pub fn meta_rows(a: &AiAnswer) -> Vec<(&'static str, &'static str, String)> {
    vec![
        // The AI Config's provider key, said as where the answer came from (the runtime
        // below says which local engine ran it).
        (
            "ai-meta-provider",
            "Provider",
            match a.runtime {
                Some(_) => format!("local ({})", a.provider),
                None => format!("cloud ({})", a.provider),
            },
        ),
        ("ai-meta-model", "Model", a.model.clone()),
        (
            "ai-meta-runtime",
            "Runs on",
            match (&a.runtime, &a.backend) {
                (Some(r), Some(b)) => format!("{r} · {b}"),
                (Some(r), None) => r.clone(),
                _ => "the cloud".into(),
            },
        ),
        ("ai-meta-latency", "Latency", format::millis(a.latency_ms)),
        (
            "ai-meta-generation",
            "Generation",
            format::maybe_millis(a.generation_ms),
        ),
        (
            "ai-meta-tokens",
            "Tokens",
            format::tokens(a.input_tokens, a.output_tokens),
        ),
        (
            "ai-meta-ttft",
            "First token after",
            format::maybe_millis(a.time_to_first_token_ms),
        ),
        ("ai-meta-cost", "Cost", format::cost(a.cost_usd)),
    ]
}

#[derive(Properties, PartialEq)]
pub struct AnswerPanelProps {
    pub shown: Shown,
    pub feedback: Feedback,
    /// Thumbs up (`true`) or down.
    pub on_feedback: Callback<bool>,
}

#[function_component(AnswerPanel)]
pub fn answer_panel(props: &AnswerPanelProps) -> Html {
    let answer = &props.shown.answer;
    let thumb = |positive: bool| {
        let on_feedback = props.on_feedback.clone();
        Callback::from(move |_: MouseEvent| on_feedback.emit(positive))
    };
    let closed = props.feedback != Feedback::Open;
    html! {
        <section class="panel ai-answer" id="ai-answer-panel">
            <h2>{ "Answer" }</h2>
            { match &props.shown.result {
                Some(result) => html! {
                    <>
                        <ResultGrid id="ai-results" summary_id="ai-summary" result={ result.clone() } />
                        <ResultChart id="ai-results" result={ result.clone() } />
                    </>
                },
                None => html! {
                    <p class="muted grid-empty" id="ai-results">{ "No rows: the SQL did not run." }</p>
                },
            } }
            <dl class="answer-meta" id="ai-answer-meta" data-variation={ answer.variation_key.clone() }>
                { for meta_rows(answer).into_iter().map(|(id, label, value)| html! {
                    <div class="meta">
                        <dt>{ label }</dt>
                        <dd id={ id }>{ value }</dd>
                    </div>
                }) }
            </dl>
            <div class="toolbar feedback">
                <span class="muted">{ "Was this answer right?" }</span>
                <button id="ai-thumbs-up" type="button" title="Thumbs up: a good answer"
                    disabled={ closed } onclick={ thumb(true) }>{ "Yes" }</button>
                <button id="ai-thumbs-down" type="button" title="Thumbs down: a wrong answer"
                    disabled={ closed } onclick={ thumb(false) }>{ "No" }</button>
                if props.feedback == Feedback::Sending {
                    <span class="muted">{ "Sending…" }</span>
                }
                if props.feedback == Feedback::Sent {
                    <span class="ok" id="ai-feedback-sent">{ "Thanks" }</span>
                }
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_lists_every_measure() {
        let answer = AiAnswer {
            question_id: "q".into(),
            provider: "webllm".into(),
            model: "Qwen2.5-Coder-1.5B".into(),
            variation_key: "webllm".into(),
            sql: "SELECT 1".into(),
            result: None,
            error: None,
            can_retry: false,
            latency_ms: 2_345.6,
            generation_ms: Some(2_001.0),
            time_to_first_token_ms: Some(312.0),
            input_tokens: Some(812),
            output_tokens: Some(40),
            cost_usd: 0.0,
            runtime: Some("webllm".into()),
            backend: Some("WebGPU".into()),
        };
        let rows = meta_rows(&answer);
        let value = |id: &str| rows.iter().find(|r| r.0 == id).map(|r| r.2.clone());
        assert_eq!(value("ai-meta-provider").as_deref(), Some("local (webllm)"));
        assert_eq!(value("ai-meta-latency").as_deref(), Some("2,346 ms"));
        assert_eq!(value("ai-meta-generation").as_deref(), Some("2,001 ms"));
        assert_eq!(value("ai-meta-tokens").as_deref(), Some("812 in / 40 out"));
        assert_eq!(value("ai-meta-ttft").as_deref(), Some("312 ms"));
        assert_eq!(value("ai-meta-cost").as_deref(), Some("$0"));
        assert_eq!(value("ai-meta-runtime").as_deref(), Some("webllm · WebGPU"));
        assert_eq!(rows.len(), 8);

        let cloud = AiAnswer {
            provider: "motherduck-ai".into(),
            runtime: None,
            backend: None,
            ..answer
        };
        let rows = meta_rows(&cloud);
        let value = |id: &str| rows.iter().find(|r| r.0 == id).map(|r| r.2.clone());
        assert_eq!(
            value("ai-meta-provider").as_deref(),
            Some("cloud (motherduck-ai)")
        );
        assert_eq!(value("ai-meta-runtime").as_deref(), Some("the cloud"));
    }
}
