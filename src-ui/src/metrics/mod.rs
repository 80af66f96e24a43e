//! The Metrics view: what every provider (and AI Config variation) measured over a time range,
//! from the backend's `metrics` command. This module owns loading the report (each time the tab
//! shows, on a range change and on Refresh), the header, the per-provider table and the provider
//! colours ([`Palette`]); the charts live in [`charts`], the `ai-config` experiment panel in
//! [`experiment`], and the pure layout math in [`scale`], [`time`] and [`format`].

mod charts;
mod experiment;
pub(crate) mod format;
pub(crate) mod scale;
pub(crate) mod time;

use std::ops::Deref;
use std::rc::Rc;

use datagata_ipc::command;
use datagata_ipc::data::thousands;
use datagata_ipc::metrics::{EventDelivery, MetricsReport, ProviderSummary, TimeRange};
use serde::Serialize;
use yew::prelude::*;

use crate::bridge;
use crate::query::{Choice, Select};
use charts::{LatencyHistogram, LatencyOverTime};
use experiment::ExperimentPanel;

/// How many provider colours `styles.css` defines (`.provider-0` …).
const PALETTE_SIZE: usize = 6;

/// `{ "range": "24h" }`
#[derive(Serialize)]
struct RangeArgs {
    range: TimeRange,
}

/// A report shared by the components that draw it; equal only to itself, so Yew never compares
/// thousands of samples when deciding whether to re-render.
#[derive(Clone)]
pub struct Report(Rc<MetricsReport>);

impl PartialEq for Report {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for Report {
    type Target = MetricsReport;
    fn deref(&self) -> &MetricsReport {
        &self.0
    }
}

/// Every provider in the report, in name order, so a provider keeps its colour across ranges and
/// across the charts and the table.
#[derive(Clone, PartialEq)]
pub struct Palette(Rc<Vec<String>>);

impl Palette {
    pub fn of(report: &MetricsReport) -> Palette {
        let mut names: Vec<String> = report
            .summary
            .iter()
            .map(|s| s.provider.clone())
            .chain(report.samples.iter().map(|s| s.provider.clone()))
            .collect();
        names.sort();
        names.dedup();
        Palette(Rc::new(names))
    }

    pub fn providers(&self) -> &[String] {
        &self.0
    }

    /// `provider-N`, the CSS class that colours this provider.
    pub fn class(&self, provider: &str) -> String {
        let i = self.0.iter().position(|p| p == provider).unwrap_or(0);
        format!("provider-{}", i % PALETTE_SIZE)
    }
}

fn range_from(value: &str) -> TimeRange {
    TimeRange::ALL
        .into_iter()
        .find(|r| r.as_str() == value)
        .unwrap_or_default()
}

fn range_label(range: TimeRange) -> &'static str {
    match range {
        TimeRange::LastHour => "Last hour",
        TimeRange::LastDay => "Last 24 hours",
        TimeRange::All => "All time",
    }
}

#[derive(Properties, PartialEq)]
pub struct MetricsViewProps {
    /// True while the Metrics tab is the one shown: the report is loaded each time it becomes so.
    pub active: bool,
}

#[function_component(MetricsView)]
pub fn metrics_view(props: &MetricsViewProps) -> Html {
    let range = use_state(TimeRange::default);
    let refreshes = use_state(|| 0u32);
    let report = use_state(|| None::<Report>);
    let error = use_state(|| None::<String>);
    let loading = use_state(|| false);
    let seq = use_mut_ref(|| 0u64);
    {
        let (report, error, loading) = (report.clone(), error.clone(), loading.clone());
        use_effect_with(
            (props.active, *range, *refreshes),
            move |(active, range, _)| {
                if !*active {
                    return;
                }
                let range = *range;
                let n = {
                    let mut s = seq.borrow_mut();
                    *s += 1;
                    *s
                };
                loading.set(true);
                wasm_bindgen_futures::spawn_local(async move {
                    let answer =
                        bridge::invoke::<_, MetricsReport>(command::METRICS, &RangeArgs { range })
                            .await;
                    if *seq.borrow() != n {
                        return; // a later load superseded this one
                    }
                    loading.set(false);
                    match answer {
                        Ok(r) => {
                            error.set(None);
                            report.set(Some(Report(Rc::new(r))));
                        }
                        Err(e) => error.set(Some(e)),
                    }
                });
            },
        );
    }
    let on_range = {
        let range = range.clone();
        Callback::from(move |v: String| range.set(range_from(&v)))
    };
    let on_refresh = {
        let refreshes = refreshes.clone();
        Callback::from(move |_: MouseEvent| refreshes.set(refreshes.wrapping_add(1)))
    };
    let ranges: Vec<Choice> = TimeRange::ALL
        .into_iter()
        .map(|r| Choice::new(r.as_str(), range_label(r)))
        .collect();

    html! {
        <div class="metrics-view" id="metrics-view">
            <section class="panel metrics-header">
                <h2>{ "Metrics" }</h2>
                <div class="toolbar">
                    <label class="inline">{ "Range " }
                        <Select id="metrics-range" options={ ranges } value={ range.as_str() }
                            onchange={ on_range } />
                    </label>
                    <button id="metrics-refresh" type="button" onclick={ on_refresh } disabled={ *loading }>
                        { if *loading { "Loading…" } else { "Refresh" } }
                    </button>
                    if let Some(r) = &*report {
                        <span id="metrics-total" class="total">{ queries(r.total_queries) }</span>
                    }
                </div>
                if let Some(e) = &*error {
                    <p class="error" id="metrics-error">{ e.clone() }</p>
                }
                if let Some(r) = &*report {
                    <p id="metrics-delivery" class={ if r.delivery.last_error.is_some() { "notice" } else { "muted" } }
                        aria-live="polite">{ delivery_line(&r.delivery) }</p>
                }
            </section>
            { body(report.as_ref(), *loading) }
        </div>
    }
}

fn events(n: u64) -> String {
    if n == 1 {
        "1 event".into()
    } else {
        format!("{} events", thousands(n))
    }
}

/// Where the tracked events are on their way to LaunchDarkly, in one line.
fn delivery_line(d: &EventDelivery) -> String {
    let mut parts = Vec::new();
    match &d.destination {
        Some(to) if d.stopped => parts.push(format!(
            "{} waiting: {to} refused the SDK key, so none are sent this session",
            events(d.pending)
        )),
        Some(to) => {
            parts.push(format!("{} waiting to be sent to {to}", events(d.pending)));
            parts.push(format!("{} sent", thousands(d.sent)));
        }
        None if d.pending > 0 => parts.push(format!(
            "{} waiting to be sent when a session has a LaunchDarkly SDK key",
            events(d.pending)
        )),
        None => parts.push("Events are kept on this machine only (no LaunchDarkly SDK key)".into()),
    }
    if d.unstored > 0 {
        parts.push(format!("{} not stored yet", events(d.unstored)));
    }
    if d.dropped > 0 {
        parts.push(format!("{} lost: the disk refused them", events(d.dropped)));
    }
    if d.rejected > 0 {
        parts.push(format!("{} rejected by LaunchDarkly", events(d.rejected)));
    }
    let mut line = parts.join(" · ");
    if let Some(e) = &d.last_error {
        line.push_str(" — ");
        line.push_str(e);
    }
    line
}

fn queries(n: u64) -> String {
    if n == 1 {
        "1 query".into()
    } else {
        format!("{} queries", thousands(n))
    }
}

/// The charts, the table and the experiment, or what stands in for them.
fn body(report: Option<&Report>, loading: bool) -> Html {
    let Some(report) = report else {
        return html! {
            <section class="panel">
                <p class="muted">{ if loading { "Loading the metrics…" } else { "No metrics loaded." } }</p>
            </section>
        };
    };
    if report.total_queries == 0 && report.samples.is_empty() {
        return html! {
            <section class="panel">
                <p class="notice" id="metrics-empty">
                    { "No queries recorded yet: ask a question, or run " }
                    <code>{ "datagata traffic 200 0" }</code>
                </p>
            </section>
        };
    }
    let palette = Palette::of(report);
    html! {
        <>
            <div class="chart-row">
                <section class="panel chart-panel">
                    <h3>{ "Latency distribution per provider" }</h3>
                    <LatencyHistogram report={ report.clone() } palette={ palette.clone() } />
                </section>
                <section class="panel chart-panel">
                    <h3>{ "Latency over time" }</h3>
                    <LatencyOverTime report={ report.clone() } palette={ palette.clone() } />
                </section>
            </div>
            <section class="panel wide">
                <h3>{ "Per provider" }</h3>
                { table(&report.summary, &palette) }
            </section>
            <ExperimentPanel experiment={ report.experiment.clone() } />
        </>
    }
}

fn table(summary: &[ProviderSummary], palette: &Palette) -> Html {
    let num = |text: String| html! { <td class="num">{ text }</td> };
    html! {
        <div class="table-scroll">
            <table id="metrics-table" class="metrics-table">
                <thead>
                    <tr>
                        <th>{ "Provider" }</th><th>{ "Variation" }</th>
                        <th class="num">{ "Queries" }</th><th class="num">{ "Success" }</th>
                        <th class="num">{ "Unavailable" }</th>
                        <th class="num">{ "Avg ms" }</th><th class="num">{ "p50 ms" }</th>
                        <th class="num">{ "p95 ms" }</th><th class="num">{ "p99 ms" }</th>
                        <th class="num">{ "Total cost" }</th><th class="num">{ "Cost / query" }</th>
                        <th class="num">{ "Tokens in" }</th><th class="num">{ "Tokens out" }</th>
                        <th class="num">{ "Avg TTFT ms" }</th>
                    </tr>
                </thead>
                <tbody>
                    { for summary.iter().map(|s| {
                        let reason = s.unavailable_reasons.first()
                            .map(|r| format!("{} ({}×)", r.reason, thousands(r.count)));
                        html! {
                            <tr class="provider-row" data-provider={ s.provider.clone() }
                                data-variation={ s.variation_key.clone() }>
                                <td class="provider">
                                    <span class={ classes!("swatch", palette.class(&s.provider)) }></span>
                                    { s.provider.clone() }
                                </td>
                                <td class="variation">{ s.variation_key.clone() }</td>
                                { num(thousands(s.queries)) }
                                { num(format::percent(s.success_rate)) }
                                <td class={ classes!("num", "unavailable", reason.is_some().then_some("has-reason")) }
                                    title={ reason.clone() }>
                                    { thousands(s.unavailable) }
                                </td>
                                { num(format::ms(s.avg_latency)) }
                                { num(format::ms(s.p50_latency)) }
                                { num(format::ms(s.p95_latency)) }
                                { num(format::ms(s.p99_latency)) }
                                { num(format::usd(s.total_cost)) }
                                { num(format::usd(s.cost_per_query)) }
                                { num(thousands(s.input_tokens)) }
                                { num(thousands(s.output_tokens)) }
                                { num(format::opt_ms(s.avg_time_to_first_token)) }
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </div>
    }
}
