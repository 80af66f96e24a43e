//! Charts of a result, shared by the Query tab's grid and the Ask tab's answer: the kind picked
//! from the column types ([`pick`]), switchable (Bar / Line / Scatter buttons, and the x and y
//! columns where more than one fits), drawn on a canvas by Chart.js ([`crate::bridge::chart`]),
//! described in words for screen readers ([`series::Series::summary`]: the canvas's label and
//! the figure's caption), and saved as PNG (Chart.js, off screen on a white page) or SVG
//! ([`svg`], drawn from the same data) through the `save_chart` command, at a typed path or one
//! chosen in the system's Save dialog.

#[cfg(test)]
mod fixtures;
pub mod pick;
pub mod series;
pub mod svg;

use std::rc::Rc;

use datagata_ipc::command;
use datagata_ipc::data::{ChartFormat, ChartSaved, SaveChartRequest, bytes};
use web_sys::Element;
use yew::prelude::*;

use crate::bridge::{self, dialog};
use crate::query::{Choice as OptionChoice, RequestArgs, Select, Shared, input_value};
use pick::{ChartKind, Plan};
use series::Series;

#[derive(Properties, PartialEq)]
pub struct ResultChartProps {
    /// The prefix of the chart's element ids (`results` → `results-chart`, `results-chart-bar` …).
    pub id: AttrValue,
    pub result: Shared,
}

#[derive(Clone, PartialEq)]
enum Saving {
    Idle,
    Writing(ChartFormat),
    Done(ChartSaved),
    Failed(String),
}

fn format_name(format: ChartFormat) -> &'static str {
    match format {
        ChartFormat::Png => "PNG",
        ChartFormat::Svg => "SVG",
    }
}

#[function_component(ResultChart)]
pub fn result_chart(props: &ResultChartProps) -> Html {
    let plan = use_memo(props.result.clone(), |r| Plan::for_columns(&r.columns));
    let choice = use_state(|| plan.as_ref().as_ref().map(|p| p.default));
    {
        // A new result starts from its own default chart.
        let (choice, plan) = (choice.clone(), plan.clone());
        use_effect_with(props.result.clone(), move |_| {
            choice.set(plan.as_ref().as_ref().map(|p| p.default));
        });
    }
    // The choice may belong to the previous result for one render: use it only when it fits.
    let current = match (plan.as_ref(), *choice) {
        (Some(p), Some(c)) if p.fits(c) => Some(c),
        (Some(p), _) => Some(p.default),
        (None, _) => None,
    };
    let series = use_memo((props.result.clone(), current), |(r, c)| {
        c.and_then(|c| Series::build(&r.columns, c)).map(Rc::new)
    });
    let canvas = use_node_ref();
    let draw_error = use_state(|| None::<String>);
    {
        let (canvas, draw_error) = (canvas.clone(), draw_error.clone());
        use_effect_with(series.clone(), move |series| {
            let el = canvas.cast::<Element>();
            if let (Some(el), Some(s)) = (&el, series.as_ref()) {
                draw_error.set(bridge::chart::render(el, s).err());
            }
            move || {
                if let Some(el) = el {
                    bridge::chart::destroy(&el);
                }
            }
        });
    }
    let path = use_state(String::new);
    let saving = use_state(|| Saving::Idle);
    {
        // What was saved (or refused) belongs to the chart it was said for.
        let saving = saving.clone();
        use_effect_with(series.clone(), move |_| saving.set(Saving::Idle));
    }

    let id = props.id.as_str();
    let Some(plan) = plan.as_ref().as_ref() else {
        return html! {
            <p class="muted chart-none" id={ format!("{id}-chart-none") }>
                { "No chart for this result: it needs a number column and a column to plot it against." }
            </p>
        };
    };
    let (Some(current), Some(series)) = (current, series.as_ref().clone()) else {
        return html! {};
    };
    let summary = series.summary();

    let pick_kind = |kind: ChartKind| {
        let (choice, plan) = (choice.clone(), plan.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(next) = plan.switch(current, kind) {
                choice.set(Some(next));
            }
        })
    };
    let columns = &props.result.columns;
    let option = |i: &usize| OptionChoice::new(i.to_string(), columns[*i].name.clone());
    let x_options = plan.x_options(current.kind);
    let y_options = plan.y_options(current.x);
    let on_x = {
        let (choice, plan) = (choice.clone(), plan.clone());
        Callback::from(move |v: String| {
            if let Some(next) = v.parse().ok().and_then(|x| plan.with_x(current, x)) {
                choice.set(Some(next));
            }
        })
    };
    let on_y = {
        let (choice, plan) = (choice.clone(), plan.clone());
        Callback::from(move |v: String| {
            if let Some(next) = v.parse().ok().and_then(|y| plan.with_y(current, y)) {
                choice.set(Some(next));
            }
        })
    };

    let on_path = {
        let path = path.clone();
        Callback::from(move |e: InputEvent| path.set(input_value(&e)))
    };
    let save = |format: ChartFormat| {
        let (path, saving, series) = (path.clone(), saving.clone(), series.clone());
        Callback::from(move |_: MouseEvent| {
            let target = path.trim().to_string();
            if target.is_empty() {
                saving.set(Saving::Failed(
                    "Enter the full path of the file to write, or choose it.".into(),
                ));
                return;
            }
            let data = match format {
                ChartFormat::Png => bridge::chart::png(&series),
                ChartFormat::Svg => Ok(svg::render(&series)),
            };
            let data = match data {
                Ok(d) => d,
                Err(e) => return saving.set(Saving::Failed(e)),
            };
            saving.set(Saving::Writing(format));
            let saving = saving.clone();
            let request = SaveChartRequest {
                path: target,
                format,
                data,
            };
            wasm_bindgen_futures::spawn_local(async move {
                let answer = bridge::invoke::<_, ChartSaved>(
                    command::SAVE_CHART,
                    &RequestArgs { request: &request },
                )
                .await;
                saving.set(match answer {
                    Ok(done) => Saving::Done(done),
                    Err(e) => Saving::Failed(e),
                });
            });
        })
    };
    let on_choose = {
        let (path, saving) = (path.clone(), saving.clone());
        let name = format!("{}-by-{}.png", series.y_name, series.x_name)
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>();
        Callback::from(move |_: MouseEvent| {
            let (path, saving, name) = (path.clone(), saving.clone(), name.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let filters = [
                    dialog::Filter {
                        name: "PNG image",
                        extensions: &["png"],
                    },
                    dialog::Filter {
                        name: "SVG image",
                        extensions: &["svg"],
                    },
                ];
                match dialog::save_path("Save the chart", &filters, &name).await {
                    Ok(Some(p)) => path.set(p),
                    Ok(None) => {}
                    Err(e) => saving.set(Saving::Failed(e)),
                }
            });
        })
    };
    let busy = matches!(*saving, Saving::Writing(_));
    let summary_id = format!("{id}-chart-summary");
    html! {
        <section class="chart-panel" id={ format!("{id}-chart") } data-kind={ current.kind.key() }
            aria-label="Chart of the result">
            <div class="toolbar chart-controls">
                <div class="chart-kinds" role="group" aria-label="Chart type">
                    { for ChartKind::ALL.iter().map(|k| html! {
                        <button type="button" id={ format!("{id}-chart-{}", k.key()) }
                            aria-pressed={ (current.kind == *k).to_string() }
                            class={ classes!((current.kind == *k).then_some("active")) }
                            disabled={ !plan.allows(*k) } onclick={ pick_kind(*k) }>{ k.label() }</button>
                    }) }
                </div>
                if x_options.len() > 1 {
                    <label class="inline">{ "X " }
                        <Select id={ format!("{id}-chart-x") } options={ x_options.iter().map(option).collect::<Vec<_>>() }
                            value={ current.x.to_string() } onchange={ on_x } />
                    </label>
                }
                if y_options.len() > 1 {
                    <label class="inline">{ "Y " }
                        <Select id={ format!("{id}-chart-y") } options={ y_options.iter().map(option).collect::<Vec<_>>() }
                            value={ current.y.to_string() } onchange={ on_y } />
                    </label>
                }
            </div>
            <figure class="chart-figure">
                <div class="chart-box">
                    <canvas id={ format!("{id}-chart-canvas") } ref={ canvas } role="img"
                        aria-label={ summary.clone() } aria-describedby={ summary_id.clone() }></canvas>
                </div>
                <figcaption class="muted" id={ summary_id } aria-live="polite">{ summary }</figcaption>
            </figure>
            if let Some(e) = &*draw_error {
                <p class="error" role="alert" id={ format!("{id}-chart-error") }>{ e.clone() }</p>
            }
            <div class="export chart-save">
                <label class="inline">{ "Save the chart to " }
                    <input id={ format!("{id}-chart-path") } type="text" class="path" spellcheck="false"
                        placeholder="/home/you/Pictures/chart.png" value={ (*path).clone() } oninput={ on_path } />
                </label>
                <button id={ format!("{id}-chart-choose") } type="button" disabled={ busy } onclick={ on_choose }
                    title="Choose the file in the system's Save dialog">{ "Choose…" }</button>
                <button id={ format!("{id}-chart-png") } type="button" disabled={ busy } onclick={ save(ChartFormat::Png) }>{ "PNG" }</button>
                <button id={ format!("{id}-chart-svg") } type="button" disabled={ busy } onclick={ save(ChartFormat::Svg) }>{ "SVG" }</button>
                <span role="status" aria-live="polite">
                    { match &*saving {
                        Saving::Idle => html! {},
                        Saving::Writing(f) => html! { <span class="busy">{ format!("Writing {}…", format_name(*f)) }</span> },
                        Saving::Done(d) => html! {
                            <span class="ok" id={ format!("{id}-chart-saved") }>{ format!("Saved {} to {}", bytes(d.bytes), d.path) }</span>
                        },
                        Saving::Failed(e) => html! { <span class="error" id={ format!("{id}-chart-save-error") }>{ e.clone() }</span> },
                    } }
                </span>
            </div>
        </section>
    }
}
