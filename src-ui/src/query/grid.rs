//! The virtualized result grid, used for query results and pivot results alike. Only the rows in
//! the scroll container's viewport (plus a small overscan) are in the DOM, each absolutely placed
//! at `index × ROW_HEIGHT` inside a spacer as tall as all rows, so 100,000 rows scroll as fast as
//! 100.
//!
//! Sizes and positions are set through the CSSOM after each render, not as `style` attributes:
//! the app's CSP (`style-src 'self'`) blocks inline style attributes, and keeps doing so.

use datagata_ipc::data::{Column, ColumnKind, QueryResult, thousands};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

use super::Shared;

/// Every row (and the header) is this many pixels tall; the CSS uses the same number.
pub const ROW_HEIGHT: i32 = 28;
/// Rows rendered above and below the viewport, so fast scrolling shows no blank band.
const OVERSCAN: usize = 10;
/// The viewport height assumed before the container has been measured.
const DEFAULT_VIEWPORT: i32 = 480;
/// Width of the row-number gutter.
const GUTTER_PX: u32 = 64;
/// Rows sampled to size the columns.
const WIDTH_SAMPLE: usize = 200;

#[derive(Properties, PartialEq)]
pub struct ResultGridProps {
    /// The grid's element id (`results`, `pivot-results`).
    pub id: AttrValue,
    /// The summary line's element id (`result-summary`, `pivot-summary`).
    pub summary_id: AttrValue,
    pub result: Shared,
}

fn is_numeric(kind: ColumnKind) -> bool {
    matches!(
        kind,
        ColumnKind::Integer | ColumnKind::Float | ColumnKind::Decimal
    )
}

/// A column's width in pixels, from its name and the text of its first rows.
fn column_width(column: &Column) -> u32 {
    let longest = (0..column.values.len().min(WIDTH_SAMPLE))
        .map(|row| column.values.display(row).chars().count())
        .max()
        .unwrap_or(0)
        .max(column.name.chars().count());
    let chars = u32::try_from(longest).unwrap_or(u32::MAX);
    chars.saturating_mul(8).saturating_add(24).clamp(64, 360)
}

struct Layout {
    /// `grid-template-columns` for the header and every row.
    template: String,
    /// Total width of a row in pixels.
    width: u32,
    rows: usize,
}

fn layout(result: &QueryResult) -> Layout {
    let widths: Vec<u32> = result.columns.iter().map(column_width).collect();
    let mut template = format!("{GUTTER_PX}px");
    for w in &widths {
        template.push_str(&format!(" {w}px"));
    }
    Layout {
        template,
        width: widths.iter().fold(GUTTER_PX, |a, w| a.saturating_add(*w)),
        rows: result
            .columns
            .iter()
            .map(|c| c.values.len())
            .max()
            .unwrap_or(0),
    }
}

/// The half-open range of rows to render for a scroll position and viewport height.
fn visible_rows(scroll_top: i32, viewport: i32, rows: usize) -> (usize, usize) {
    let height = usize::try_from(ROW_HEIGHT).unwrap_or(1);
    let first = usize::try_from(scroll_top).unwrap_or(0) / height;
    let count = usize::try_from(viewport).unwrap_or(0) / height + 1;
    let start = first.saturating_sub(OVERSCAN).min(rows);
    let end = first
        .saturating_add(count)
        .saturating_add(OVERSCAN)
        .min(rows);
    (start, end)
}

#[function_component(ResultGrid)]
pub fn result_grid(props: &ResultGridProps) -> Html {
    let scroller = use_node_ref();
    // (scrollTop, clientHeight) of the scroll container.
    let view = use_state(|| (0, DEFAULT_VIEWPORT));
    let layout = use_memo(props.result.clone(), |r| layout(r));
    {
        // A new result starts at its top; measure the viewport once it is in the DOM.
        let scroller = scroller.clone();
        let view = view.clone();
        use_effect_with(props.result.clone(), move |_| {
            if let Some(el) = scroller.cast::<Element>() {
                el.set_scroll_top(0);
                let height = el.client_height();
                view.set((0, if height > 0 { height } else { DEFAULT_VIEWPORT }));
            }
        });
    }
    let onscroll = {
        let view = view.clone();
        Callback::from(move |e: Event| {
            let el: Element = e.target_unchecked_into();
            let next = (el.scroll_top(), el.client_height());
            if *view != next {
                view.set(next);
            }
        })
    };

    {
        // After every render: column template, sizes and each rendered row's offset.
        let scroller = scroller.clone();
        let layout = layout.clone();
        use_effect(move || {
            if let Some(el) = scroller.cast::<HtmlElement>() {
                apply_layout(&el, &layout);
            }
        });
    }

    let result = &*props.result;
    let (start, end) = visible_rows(view.0, view.1, layout.rows);
    let numeric: Vec<bool> = result.columns.iter().map(|c| is_numeric(c.kind)).collect();
    html! {
        <div class="result-grid" id={ props.id.clone() } data-rows={ layout.rows.to_string() }>
            <p class="result-summary" id={ props.summary_id.clone() }>
                { format!("{} in {} ms", result.summary(), elapsed(result.elapsed_ms)) }
            </p>
            <div class="grid-scroll" ref={ scroller } onscroll={ onscroll }>
                <div class="grid-header" role="row">
                    <div class="cell gutter">{ "#" }</div>
                    { for result.columns.iter().map(|c| html! {
                        <div class={ classes!("cell", "head", is_numeric(c.kind).then_some("num")) }
                            title={ format!("{} ({})", c.name, c.sql_type) } data-column={ c.name.clone() }>
                            { c.name.clone() }
                        </div>
                    }) }
                </div>
                <div class="grid-body">
                    { for (start..end).map(|i| html! {
                        <div class="result-row" key={ i } data-row={ i.to_string() }>
                            <div class="cell gutter">{ thousands(i as u64 + 1) }</div>
                            { for result.columns.iter().zip(&numeric).map(|(c, num)| {
                                let text = c.values.display(i);
                                html! {
                                    <div class={ classes!("cell", num.then_some("num"), (text == "NULL").then_some("null")) }
                                        title={ text.clone() }>
                                        { text }
                                    </div>
                                }
                            }) }
                        </div>
                    }) }
                </div>
            </div>
            if layout.rows == 0 {
                <p class="muted grid-empty">{ "The query returned no rows." }</p>
            }
        </div>
    }
}

/// Sets the grid's sizes and row offsets on the rendered elements (CSSOM, allowed by the CSP).
fn apply_layout(scroller: &HtmlElement, layout: &Layout) {
    let set = |el: &HtmlElement, name: &str, value: &str| {
        let _ = el.style().set_property(name, value);
    };
    let all_rows = layout.rows.saturating_mul(ROW_HEIGHT as usize);
    set(scroller, "--grid-cols", &layout.template);
    set(scroller, "--grid-width", &format!("{}px", layout.width));
    // header + rows + border, capped by the CSS max-height
    set(
        scroller,
        "height",
        &format!("{}px", all_rows.saturating_add(ROW_HEIGHT as usize + 2)),
    );
    let Ok(Some(body)) = scroller.query_selector(".grid-body") else {
        return;
    };
    if let Ok(body) = body.dyn_into::<HtmlElement>() {
        set(&body, "height", &format!("{all_rows}px"));
    }
    let Ok(rows) = scroller.query_selector_all(".result-row") else {
        return;
    };
    for i in 0..rows.length() {
        let Some(row) = rows.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) else {
            continue;
        };
        let index: usize = row
            .get_attribute("data-row")
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        set(
            &row,
            "transform",
            &format!(
                "translateY({}px)",
                index.saturating_mul(ROW_HEIGHT as usize)
            ),
        );
    }
}

/// Milliseconds as people read them: "0.4", "35", "1,204".
fn elapsed(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        return "?".into();
    }
    if ms < 10.0 {
        format!("{ms:.1}")
    } else {
        thousands(ms.round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_viewport_and_overscan_are_rendered() {
        assert_eq!(visible_rows(0, 480, 100_000), (0, 18 + OVERSCAN));
        let (start, end) = visible_rows(28 * 50_000, 480, 100_000);
        assert_eq!(start, 50_000 - OVERSCAN);
        assert_eq!(end, 50_000 + 18 + OVERSCAN);
        assert_eq!(visible_rows(28 * 99_999, 480, 100_000).1, 100_000);
        assert_eq!(visible_rows(-50, 480, 5), (0, 5));
        assert_eq!(visible_rows(0, 480, 0), (0, 0));
    }
}
