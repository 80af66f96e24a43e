//! The Metrics view's two SVG charts, drawn with Yew elements only (no chart library, no inline
//! styles: the CSP ignores `style` attributes, so colours come from `provider-N` classes in
//! `styles.css` and geometry from SVG attributes): the latency histogram with one colour per
//! provider over shared bins, and the latency-over-time scatter (filled = answered, hollow =
//! failed). The math behind them is in [`super::scale`] and [`super::time`].

use datagata_ipc::metrics::LatencySample;
use yew::prelude::*;

use super::scale::{Bins, Scale, nice_top};
use super::time::{parse_rfc3339, time_label, time_ticks};
use super::{Palette, Report, format};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 300.0;
/// The plot area inside the SVG (left, right, top, bottom).
const LEFT: f64 = 58.0;
const RIGHT: f64 = WIDTH - 14.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = HEIGHT - 46.0;
const BINS: usize = 20;
const POINT_RADIUS: f64 = 3.0;

/// A coordinate for an SVG attribute: finite, one decimal.
fn px(v: f64) -> String {
    format!("{:.1}", if v.is_finite() { v } else { 0.0 })
}

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    pub report: Report,
    pub palette: Palette,
}

fn latency_label(log: bool) -> &'static str {
    if log {
        "latency (ms, log scale)"
    } else {
        "latency (ms)"
    }
}

/// Tick labels near the plot's right edge end there instead of running out of the SVG.
fn anchor(x: f64) -> &'static str {
    if x > RIGHT - 24.0 { "end" } else { "middle" }
}

/// The chart frame: horizontal grid lines and labels at `y_ticks`, labels under the plot at
/// `x_ticks` (pixel position, text), the axis titles, and the legend across the top.
fn frame(
    x_ticks: &[(f64, String)],
    y_ticks: &[(f64, String)],
    x_title: &str,
    y_title: &str,
    legend: Html,
) -> Html {
    html! {
        <>
            <g class="axis y-axis">
                { for y_ticks.iter().map(|(y, label)| html! {
                    <g class="tick">
                        <line class="grid" x1={ px(LEFT) } x2={ px(RIGHT) } y1={ px(*y) } y2={ px(*y) } />
                        <text x={ px(LEFT - 6.0) } y={ px(*y) } dy="0.32em" text-anchor="end">{ label.clone() }</text>
                    </g>
                }) }
                <text class="axis-title" transform={ format!("translate(14 {}) rotate(-90)", px((TOP + BOTTOM) / 2.0)) }
                    text-anchor="middle">{ y_title.to_string() }</text>
            </g>
            <g class="axis x-axis">
                <line class="domain" x1={ px(LEFT) } x2={ px(RIGHT) } y1={ px(BOTTOM) } y2={ px(BOTTOM) } />
                { for x_ticks.iter().map(|(x, label)| html! {
                    <g class="tick">
                        <line x1={ px(*x) } x2={ px(*x) } y1={ px(BOTTOM) } y2={ px(BOTTOM + 5.0) } />
                        <text x={ px(*x) } y={ px(BOTTOM + 18.0) } text-anchor={ anchor(*x) }>{ label.clone() }</text>
                    </g>
                }) }
                <text class="axis-title" x={ px((LEFT + RIGHT) / 2.0) } y={ px(HEIGHT - 6.0) }
                    text-anchor="middle">{ x_title.to_string() }</text>
            </g>
            { legend }
        </>
    }
}

/// How a legend entry's swatch is drawn.
#[derive(Clone, Copy, PartialEq)]
enum Swatch {
    Bar,
    Dot,
    Ring,
}

/// Legend entries across the top: (CSS classes of the swatch, label, swatch shape).
fn legend(entries: Vec<(String, String, Swatch)>) -> Html {
    let mut x = LEFT;
    let items: Vec<Html> = entries
        .into_iter()
        .map(|(class, label, swatch)| {
            let at = x;
            x += 26.0 + 6.5 * label.chars().count() as f64;
            html! {
                <g class={ classes!("legend-item", class) }>
                    if swatch == Swatch::Bar {
                        <rect class="swatch" x={ px(at) } y="11" width="10" height="10" rx="2" />
                    } else {
                        <circle class={ classes!("swatch", (swatch == Swatch::Ring).then_some("hollow")) }
                            cx={ px(at + 5.0) } cy="16" r="4" />
                    }
                    <text x={ px(at + 15.0) } y="16" dy="0.32em">{ label }</text>
                </g>
            }
        })
        .collect();
    html! { <g class="legend">{ for items }</g> }
}

fn empty_chart(id: &'static str, text: &str) -> Html {
    html! {
        <svg id={ id } class="chart empty" viewBox={ format!("0 0 {WIDTH} {HEIGHT}") } role="img">
            <text class="empty-chart" x={ px(WIDTH / 2.0) } y={ px(HEIGHT / 2.0) } text-anchor="middle">{ text.to_string() }</text>
        </svg>
    }
}

/// The providers that have samples, each with its latencies, in palette order.
fn by_provider<'a>(
    palette: &'a Palette,
    samples: &'a [LatencySample],
) -> Vec<(&'a str, Vec<&'a LatencySample>)> {
    palette
        .providers()
        .iter()
        .map(|p| {
            let mine: Vec<&LatencySample> = samples
                .iter()
                .filter(|s| s.provider == *p && s.latency_ms.is_finite())
                .collect();
            (p.as_str(), mine)
        })
        .filter(|(_, s)| !s.is_empty())
        .collect()
}

/// Histogram of every sample's latency, bins shared by all providers, bars side by side.
#[function_component(LatencyHistogram)]
pub fn latency_histogram(props: &ChartProps) -> Html {
    let groups = by_provider(&props.palette, &props.report.samples);
    let all = groups
        .iter()
        .flat_map(|(_, s)| s.iter().map(|s| s.latency_ms));
    let Some(bins) = Bins::new(all, BINS) else {
        return empty_chart("latency-histogram", "No latency samples in this range");
    };
    let (first, last) = (bins.edges[0], bins.edges[bins.len()]);
    let x = if bins.log {
        Scale::log(first, last, LEFT, RIGHT)
    } else {
        Scale::linear(first, last, LEFT, RIGHT)
    };
    let counts: Vec<Vec<u64>> = groups
        .iter()
        .map(|(_, s)| bins.counts(s.iter().map(|s| s.latency_ms)))
        .collect();
    let max = counts.iter().flatten().copied().max().unwrap_or(0) as f64;
    let y = Scale::linear(0.0, nice_top(0.0, max.max(1.0), 4), BOTTOM, TOP);
    let x_ticks: Vec<(f64, String)> = x
        .ticks(6)
        .into_iter()
        .map(|v| (x.map(v), format::tick(v)))
        .collect();
    let y_ticks: Vec<(f64, String)> = y
        .ticks(4)
        .into_iter()
        .filter(|v| v.fract() == 0.0)
        .map(|v| (y.map(v), format::tick(v)))
        .collect();
    let k = groups.len().max(1) as f64;
    let series = groups.iter().zip(&counts).enumerate().map(|(j, ((provider, _), counts))| {
        let bars = counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, c)| {
            let (x0, x1) = (x.map(bins.edges[i]), x.map(bins.edges[i + 1]));
            let width = ((x1 - x0 - 2.0) / k).max(0.8);
            let top = y.map(*c as f64);
            html! {
                <rect x={ px(x0 + 1.0 + j as f64 * width) } y={ px(top) } width={ px(width) }
                    height={ px((BOTTOM - top).max(0.0)) }>
                    <title>{ format!("{provider}: {c} {} of {}–{} ms", if *c == 1 { "query" } else { "queries" },
                        format::ms(bins.edges[i]), format::ms(bins.edges[i + 1])) }</title>
                </rect>
            }
        });
        html! {
            <g class={ classes!("series", props.palette.class(provider)) } data-provider={ provider.to_string() }>
                { for bars }
            </g>
        }
    });
    let entries = groups
        .iter()
        .map(|(p, s)| {
            (
                props.palette.class(p),
                format!("{p} ({})", s.len()),
                Swatch::Bar,
            )
        })
        .collect();
    html! {
        <svg id="latency-histogram" class="chart" viewBox={ format!("0 0 {WIDTH} {HEIGHT}") } role="img"
            data-bins={ bins.len().to_string() } data-scale={ if bins.log { "log" } else { "linear" } }>
            <title>{ "Latency distribution per provider" }</title>
            { frame(&x_ticks, &y_ticks, latency_label(bins.log), "queries", legend(entries)) }
            { for series }
        </svg>
    }
}

/// The viewer's offset from UTC in minutes (east positive), for the time axis labels.
fn utc_offset_minutes() -> f64 {
    if cfg!(target_arch = "wasm32") {
        -js_sys::Date::new_0().get_timezone_offset()
    } else {
        0.0
    }
}

/// Every sample at its time and latency, one colour per provider, failed ones hollow.
#[function_component(LatencyOverTime)]
pub fn latency_over_time(props: &ChartProps) -> Html {
    let groups = by_provider(&props.palette, &props.report.samples);
    let timed: Vec<(&str, Vec<(f64, &LatencySample)>)> = groups
        .iter()
        .map(|(p, s)| {
            (
                *p,
                s.iter()
                    .filter_map(|s| Some((parse_rfc3339(&s.at)?, *s)))
                    .collect(),
            )
        })
        .collect();
    let points = || timed.iter().flat_map(|(_, s)| s.iter());
    let Some((t0, t1)) = super::scale::extent(points().map(|(t, _)| *t)) else {
        return empty_chart("latency-over-time", "No latency samples in this range");
    };
    // a little room on both sides; a single instant gets a few seconds either way
    let pad = ((t1 - t0) * 0.03).max(2_000.0);
    let x = Scale::linear(t0 - pad, t1 + pad, LEFT, RIGHT);
    let y = Scale::auto(points().map(|(_, s)| s.latency_ms), BOTTOM, TOP);
    let offset = utc_offset_minutes();
    let (lo, hi) = x.domain();
    let (ticks, step) = time_ticks(lo, hi, 6, offset);
    let x_ticks: Vec<(f64, String)> = ticks
        .into_iter()
        .map(|t| (x.map(t), time_label(t, step, hi - lo, offset)))
        .collect();
    let y_ticks: Vec<(f64, String)> = y
        .ticks(5)
        .into_iter()
        .map(|v| (y.map(v), format::tick(v)))
        .collect();
    let series = timed.iter().map(|(provider, samples)| {
        let dots = samples.iter().map(|(t, s)| {
            let when = time_label(*t, 1_000.0, 0.0, offset);
            let outcome = if s.success { "answered" } else { "failed" };
            html! {
                <circle class={ classes!("point", (!s.success).then_some("failed")) }
                    cx={ px(x.map(*t)) } cy={ px(y.map(s.latency_ms)) } r={ px(POINT_RADIUS) }>
                    <title>{ format!("{provider} · {} ms · {when} · {outcome}", format::ms(s.latency_ms)) }</title>
                </circle>
            }
        });
        html! {
            <g class={ classes!("series", props.palette.class(provider)) } data-provider={ provider.to_string() }>
                { for dots }
            </g>
        }
    });
    let mut entries: Vec<(String, String, Swatch)> = timed
        .iter()
        .map(|(p, _)| (props.palette.class(p), p.to_string(), Swatch::Dot))
        .collect();
    entries.push(("neutral".into(), "answered".into(), Swatch::Dot));
    entries.push(("neutral".into(), "failed".into(), Swatch::Ring));
    html! {
        <svg id="latency-over-time" class="chart" viewBox={ format!("0 0 {WIDTH} {HEIGHT}") } role="img"
            data-scale={ if y.is_log() { "log" } else { "linear" } }>
            <title>{ "Latency over time" }</title>
            { frame(&x_ticks, &y_ticks, "time (local)", latency_label(y.is_log()), legend(entries)) }
            { for series }
        </svg>
    }
}
