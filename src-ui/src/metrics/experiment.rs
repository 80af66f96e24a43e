//! The `ai-config` experiment panel: each arm's users and questions, per-user mean latency and
//! success rate (Student's t intervals) and cost per query, treatment − control for both
//! (Welch across users) with their intervals, the sample-ratio-mismatch line, what stayed
//! outside the experiment, and the backend's verdict in words, marked "not enough data" while
//! an arm is below the minimum.

use datagata_ipc::data::thousands;
use datagata_ipc::metrics::{ArmStats, Difference, ExperimentReport, Interval};
use yew::prelude::*;

use super::format;

/// The providers behind the arms, as the contract fixes them.
const CONTROL_PROVIDER: &str = "motherduck-ai";
const TREATMENT_PROVIDER: &str = "webllm";

fn bounds(ci: Option<Interval>) -> Option<(f64, f64)> {
    ci.map(|i| (i.low, i.high))
}

#[derive(Properties, PartialEq)]
pub struct ExperimentProps {
    pub experiment: ExperimentReport,
}

#[function_component(ExperimentPanel)]
pub fn experiment_panel(props: &ExperimentProps) -> Html {
    let e = &props.experiment;
    let flag = if e.flag_key.is_empty() {
        "ai-config"
    } else {
        e.flag_key.as_str()
    };
    html! {
        <section class="panel wide" id="experiment">
            <h3>{ "Experiment" }</h3>
            <p class="experiment-title" id="experiment-title">
                { format!("{flag}: control {CONTROL_PROVIDER} vs treatment {TREATMENT_PROVIDER}") }
            </p>
            <div class="arms">
                { arm("control", "Control", CONTROL_PROVIDER, &e.control) }
                { arm("treatment", "Treatment", TREATMENT_PROVIDER, &e.treatment) }
            </div>
            <dl class="differences">
                <div class="difference">
                    <dt>{ "Latency, treatment − control" }</dt>
                    { difference("experiment-latency-diff", e.latency_difference.as_ref(),
                        |v| format!("{} ms", format::signed(v, format::ms))) }
                </div>
                <div class="difference">
                    <dt>{ "Success rate, treatment − control" }</dt>
                    { difference("experiment-success-diff", e.success_difference.as_ref(),
                        |v| format::signed(v, format::points)) }
                </div>
            </dl>
            <p class={ classes!("verdict", (!e.enough_data).then_some("insufficient")) }>
                if !e.enough_data {
                    <span class="insufficient-marker">{ "not enough data" }</span>
                }
                <span class="verdict-text" id="experiment-verdict">{ e.verdict.clone() }</span>
            </p>
            if !e.enough_data {
                <p class="muted small" id="experiment-minimum">
                    { format!("A verdict needs at least {} users in each arm (now {} and {}).",
                        thousands(e.min_per_arm), thousands(e.control.n), thousands(e.treatment.n)) }
                </p>
            }
            if let Some(srm) = &e.srm {
                <p class={ classes!("srm", srm.mismatch.then_some("error")) } id="experiment-srm">
                    { srm.message.clone() }
                </p>
            }
            <p class="muted small" id="experiment-outside">
                { format!("Per user: each user's mean, then Welch across users. Outside the experiment \
                    (targeted people, other rules and tiers, forced choices): {} questions from {} users.",
                    thousands(e.outside_queries), thousands(e.outside_users)) }
            </p>
        </section>
    }
}

/// One arm's card; element ids are `experiment-<role>-n`, `-latency`, `-success`, `-cost`.
fn arm(role: &'static str, title: &str, provider: &str, a: &ArmStats) -> Html {
    let id = |what: &str| format!("experiment-{role}-{what}");
    let latency = match a.mean_latency {
        Some(m) => format::with_ci(
            format!("{} ms", format::ms(m)),
            bounds(a.latency_ci),
            format::ms,
        ),
        None => format::DASH.into(),
    };
    let success = match a.success_rate {
        Some(r) => format::with_ci(format::fraction(r), bounds(a.success_ci), format::fraction),
        None => format::DASH.into(),
    };
    html! {
        <div class={ classes!("arm", role) } id={ format!("experiment-{role}") }>
            <h4>
                { format!("{title} · {provider}") }
                if !a.variation_key.is_empty() && a.variation_key != provider {
                    <span class="muted small">{ format!(" (variation {})", a.variation_key) }</span>
                }
            </h4>
            <dl class="facts">
                <div class="fact"><dt>{ "Users" }</dt><dd id={ id("n") }>{ thousands(a.n) }</dd></div>
                <div class="fact"><dt>{ "Questions" }</dt><dd id={ id("queries") }>{ thousands(a.queries) }</dd></div>
                <div class="fact"><dt>{ "Mean latency" }</dt><dd id={ id("latency") }>{ latency }</dd></div>
                <div class="fact"><dt>{ "Success rate" }</dt><dd id={ id("success") }>{ success }</dd></div>
                <div class="fact"><dt>{ "Cost / query" }</dt><dd id={ id("cost") }>{ format::opt_usd(a.cost_per_query) }</dd></div>
            </dl>
        </div>
    }
}

/// A difference with its interval and the relative change, or "—" when it cannot be computed.
fn difference(id: &'static str, d: Option<&Difference>, f: impl Fn(f64) -> String) -> Html {
    let Some(d) = d else {
        return html! { <dd id={ id } class="muted">{ format::DASH }</dd> };
    };
    let absolute = format::with_ci(f(d.estimate), Some((d.ci.low, d.ci.high)), &f);
    let relative = d.relative.filter(|r| r.is_finite()).map(|r| {
        let pct = |v: f64| format::signed(v, format::fraction);
        format::with_ci(pct(r), bounds(d.relative_ci), pct)
    });
    html! {
        <dd id={ id } class={ if d.significant { "significant" } else { "not-significant" } }>
            <span class="absolute">{ absolute }</span>
            if let Some(r) = relative {
                <span class="relative">{ format!(" · {r} relative") }</span>
            }
            <span class="significance">
                { if d.significant { " · significant" } else { " · not significant" } }
            </span>
        </dd>
    }
}
