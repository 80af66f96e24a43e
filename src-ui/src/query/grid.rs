//! The virtualized result grid, used for query results and pivot results alike. Only the rows in
//! the scroll container's viewport (plus a small overscan) are in the DOM, each absolutely placed
//! at `index × ROW_HEIGHT` inside a spacer as tall as all rows, so 100,000 rows scroll as fast as
//! 100.
//!
//! Sizes and positions are set through the CSSOM after each render, not as `style` attributes:
//! the app's CSP (`style-src 'self'`) blocks inline style attributes, and keeps doing so.
//!
//! A header click sorts by that column ([`super::table`]); a click selects a cell, Shift+click
//! extends to a rectangle, a row number selects the row; the grid is keyboard-driven too (arrows,
//! Page Up/Down, Home/End, Shift to extend, Ctrl+A, Ctrl+C) with ARIA grid roles. Copies go to
//! the system clipboard as TSV or CSV of the raw values; cells show the locale's formatting
//! ([`super::locale`]).

use std::rc::Rc;

use datagata_ipc::data::{Column, ColumnKind, QueryResult, thousands};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

use super::Shared;
use super::locale::CellFormat;
use super::table::{Delimited, Selection, SortKey, delimited, sorted_rows};

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

/// A column's width in pixels, from its name (and sort mark) and the text of its first rows,
/// with room for what the locale adds: digit grouping, dates written out.
fn column_width(column: &Column) -> u32 {
    let extra = |raw: usize| match column.kind {
        ColumnKind::Date => 4,
        ColumnKind::Timestamp => 7,
        ColumnKind::Integer | ColumnKind::Float | ColumnKind::Decimal => raw / 3,
        _ => 0,
    };
    let longest = (0..column.values.len().min(WIDTH_SAMPLE))
        .map(|row| {
            let raw = column.values.display(row).chars().count();
            raw + extra(raw)
        })
        .max()
        .unwrap_or(0)
        .max(column.name.chars().count() + 2);
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

/// `{ "text": "…" }` for the clipboard plugin.
#[derive(serde::Serialize)]
struct ClipboardArgs<'a> {
    text: &'a str,
}

/// Puts `text` on the system clipboard (tauri-plugin-clipboard-manager; the window may only
/// write it, never read it).
pub(crate) async fn copy_to_clipboard(text: &str) -> Result<(), String> {
    crate::bridge::invoke::<_, ()>(
        "plugin:clipboard-manager|write_text",
        &ClipboardArgs { text },
    )
    .await
}

/// What a copy button or key copies.
#[derive(Clone, Copy, PartialEq)]
enum CopyWhat {
    /// The selected cells (the whole result when none), without the header.
    Selection,
    All(Delimited),
    Sql,
}

#[function_component(ResultGrid)]
pub fn result_grid(props: &ResultGridProps) -> Html {
    let scroller = use_node_ref();
    // (scrollTop, clientHeight) of the scroll container.
    let view = use_state(|| (0, DEFAULT_VIEWPORT));
    let layout = use_memo(props.result.clone(), |r| layout(r));
    let sort = use_state(|| None::<SortKey>);
    let selection = use_state(|| None::<Selection>);
    let copied = use_state(|| None::<Result<String, String>>);
    let cells = use_memo((), |_| CellFormat::new());
    let order = use_memo((props.result.clone(), *sort), |(r, key)| {
        Rc::new(sorted_rows(r, *key))
    });
    {
        // A new result starts at its top, unsorted, nothing selected; measure the viewport once
        // it is in the DOM.
        let scroller = scroller.clone();
        let view = view.clone();
        let (sort, selection, copied) = (sort.clone(), selection.clone(), copied.clone());
        use_effect_with(props.result.clone(), move |_| {
            sort.set(None);
            selection.set(None);
            copied.set(None);
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
    let columns = result.columns.len();
    let rows = layout.rows;
    let copy = {
        let result = props.result.clone();
        let order = order.clone();
        let selection = selection.clone();
        let copied = copied.clone();
        Callback::from(move |what: CopyWhat| {
            let (text, said) = match what {
                CopyWhat::Sql => (result.sql.clone(), "Copied the SQL".to_string()),
                CopyWhat::All(format) => (
                    delimited(
                        &result,
                        &order,
                        0..order.len(),
                        0..result.columns.len(),
                        format,
                        true,
                    ),
                    format!(
                        "Copied {} as {}",
                        rows_text(order.len()),
                        if format == Delimited::Csv {
                            "CSV"
                        } else {
                            "TSV"
                        }
                    ),
                ),
                CopyWhat::Selection => {
                    let s = selection.unwrap_or(Selection::all(order.len(), result.columns.len()));
                    (
                        delimited(
                            &result,
                            &order,
                            s.row_range(),
                            s.column_range(),
                            Delimited::Tsv,
                            false,
                        ),
                        format!("Copied {}", s.describe()),
                    )
                }
            };
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(Some(copy_to_clipboard(&text).await.map(|()| said)));
            });
        })
    };
    let onkeydown = {
        let selection = selection.clone();
        let scroller = scroller.clone();
        let copy = copy.clone();
        let viewport = view.1;
        Callback::from(move |e: KeyboardEvent| {
            let ctrl = e.ctrl_key() || e.meta_key();
            match e.key().as_str() {
                "c" | "C" if ctrl => {
                    e.prevent_default();
                    copy.emit(CopyWhat::Selection);
                    return;
                }
                "a" | "A" if ctrl => {
                    e.prevent_default();
                    selection.set(Some(Selection::all(rows, columns)));
                    return;
                }
                _ => {}
            }
            if rows == 0 || columns == 0 {
                return;
            }
            let page = usize::try_from(viewport / ROW_HEIGHT).unwrap_or(1).max(1);
            let current = selection.map_or((0, 0), |s| s.focus);
            let (r, c) = current;
            let next = match e.key().as_str() {
                "ArrowDown" => (r.saturating_add(1).min(rows - 1), c),
                "ArrowUp" => (r.saturating_sub(1), c),
                "ArrowRight" => (r, c.saturating_add(1).min(columns - 1)),
                "ArrowLeft" => (r, c.saturating_sub(1)),
                "PageDown" => (r.saturating_add(page).min(rows - 1), c),
                "PageUp" => (r.saturating_sub(page), c),
                "Home" if ctrl => (0, 0),
                "End" if ctrl => (rows - 1, columns - 1),
                "Home" => (r, 0),
                "End" => (r, columns - 1),
                _ => return,
            };
            e.prevent_default();
            let moved = match (*selection, e.shift_key()) {
                (Some(s), true) => s.extend(next),
                _ => Selection::cell(next.0, next.1),
            };
            selection.set(Some(moved));
            if let Some(el) = scroller.cast::<Element>() {
                scroll_into_view(&el, next.0);
            }
        })
    };
    let pick = {
        let selection = selection.clone();
        Callback::from(move |(row, column, extend): (usize, Option<usize>, bool)| {
            let next = match (column, *selection, extend) {
                (Some(c), Some(s), true) => s.extend((row, c)),
                (Some(c), _, _) => Selection::cell(row, c),
                (None, Some(s), true) => Selection::rows(s.anchor.0, row, columns),
                (None, _, _) => Selection::rows(row, row, columns),
            };
            selection.set(Some(next));
        })
    };
    let (start, end) = visible_rows(view.0, view.1, rows);
    let numeric: Vec<bool> = result.columns.iter().map(|c| is_numeric(c.kind)).collect();
    let id = props.id.clone();
    let active = selection.map(|s| s.focus);
    let active_id = active
        .filter(|(r, _)| (start..end).contains(r))
        .map(|(r, c)| format!("{id}-cell-{r}-{c}"));
    let copy_button = |what: CopyWhat, suffix: &str, label: &str, title: &str| {
        let copy = copy.clone();
        html! {
            <button type="button" id={ format!("{id}-{suffix}") } title={ title.to_string() }
                onclick={ Callback::from(move |_: MouseEvent| copy.emit(what)) }>{ label }</button>
        }
    };
    html! {
        <div class="result-grid" id={ props.id.clone() } data-rows={ rows.to_string() }>
            <div class="grid-bar">
                <p class="result-summary" id={ props.summary_id.clone() } role="status" aria-live="polite">
                    { format!("{} in {} ms", result.summary(), elapsed(result.elapsed_ms)) }
                </p>
                <div class="copy-bar" role="group" aria-label="Copy">
                    { copy_button(CopyWhat::Selection, "copy", "Copy",
                        "Copy the selected cells as TSV (Ctrl+C in the grid); all rows when nothing is selected") }
                    { copy_button(CopyWhat::All(Delimited::Tsv), "copy-tsv", "Copy all (TSV)",
                        "Copy every row with the column names, tab-separated") }
                    { copy_button(CopyWhat::All(Delimited::Csv), "copy-csv", "Copy all (CSV)",
                        "Copy every row with the column names as CSV") }
                    { copy_button(CopyWhat::Sql, "copy-sql", "Copy SQL", "Copy the statement that ran") }
                </div>
                <span class="copy-status" id={ format!("{id}-copy-status") } role="status" aria-live="polite">
                    { match &*copied {
                        Some(Ok(said)) => html! { <span class="ok">{ said.clone() }</span> },
                        Some(Err(e)) => html! { <span class="error">{ format!("Copying failed: {e}") }</span> },
                        None => html! {},
                    } }
                </span>
                if let Some(s) = *selection {
                    <span class="muted selection-size">{ format!("{} selected", s.describe()) }</span>
                }
            </div>
            <div class="grid-scroll" ref={ scroller } onscroll={ onscroll } tabindex="0"
                role="grid" aria-label={ format!("Result: {}", result.summary()) }
                aria-rowcount={ (rows + 1).to_string() } aria-colcount={ (columns + 1).to_string() }
                aria-multiselectable="true" aria-activedescendant={ active_id } onkeydown={ onkeydown }>
                <div class="grid-header" role="row" aria-rowindex="1">
                    <div class="cell gutter" role="columnheader" aria-colindex="1">{ "#" }</div>
                    { for result.columns.iter().enumerate().map(|(i, c)| {
                        let sorted = sort.filter(|k| k.column == i);
                        let aria_sort = match sorted {
                            Some(k) if k.descending => "descending",
                            Some(_) => "ascending",
                            None => "none",
                        };
                        let onclick = {
                            let sort = sort.clone();
                            Callback::from(move |_: MouseEvent| sort.set(SortKey::next(*sort, i)))
                        };
                        html! {
                            <div class={ classes!("cell", "head", is_numeric(c.kind).then_some("num")) }
                                role="columnheader" aria-colindex={ (i + 2).to_string() } aria-sort={ aria_sort }
                                title={ format!("{} ({}): click to sort", c.name, c.sql_type) } data-column={ c.name.clone() }>
                                <button type="button" class="sort" onclick={ onclick }>
                                    <span class="name">{ c.name.clone() }</span>
                                    <span class="sort-mark" aria-hidden="true">{ match sorted {
                                        Some(k) if k.descending => "▼",
                                        Some(_) => "▲",
                                        None => "",
                                    } }</span>
                                </button>
                            </div>
                        }
                    }) }
                </div>
                <div class="grid-body" role="rowgroup">
                    { for (start..end).map(|position| {
                        let row = order.get(position).copied().unwrap_or(position);
                        let on_gutter = {
                            let pick = pick.clone();
                            Callback::from(move |e: MouseEvent| pick.emit((position, None, e.shift_key())))
                        };
                        let row_selected = selection.is_some_and(|s| s.row_range().contains(&position)
                            && s.column_range().len() == columns);
                        html! {
                            <div class={ classes!("result-row", row_selected.then_some("selected")) } key={ position }
                                data-row={ position.to_string() } role="row" aria-rowindex={ (position + 2).to_string() }>
                                <div class="cell gutter" role="rowheader" aria-colindex="1" onclick={ on_gutter }>
                                    { thousands(position as u64 + 1) }
                                </div>
                                { for result.columns.iter().zip(&numeric).enumerate().map(|(ci, (c, num))| {
                                    let raw = c.values.display(row);
                                    let is_null = raw == "NULL";
                                    let text = if is_null { raw.clone() } else { cells.cell(c, row) };
                                    let chosen = selection.is_some_and(|s| s.contains(position, ci));
                                    let focused = active == Some((position, ci));
                                    let onclick = {
                                        let pick = pick.clone();
                                        Callback::from(move |e: MouseEvent| pick.emit((position, Some(ci), e.shift_key())))
                                    };
                                    html! {
                                        <div class={ classes!("cell", num.then_some("num"), is_null.then_some("null"),
                                                chosen.then_some("selected"), focused.then_some("active")) }
                                            id={ format!("{id}-cell-{position}-{ci}") } role="gridcell"
                                            aria-colindex={ (ci + 2).to_string() } aria-selected={ chosen.to_string() }
                                            title={ raw } onclick={ onclick }>
                                            { text }
                                        </div>
                                    }
                                }) }
                            </div>
                        }
                    }) }
                </div>
            </div>
            if rows == 0 {
                <p class="muted grid-empty">{ "The query returned no rows." }</p>
            }
        </div>
    }
}

fn rows_text(n: usize) -> String {
    match n {
        1 => "1 row".into(),
        n => format!("{} rows", thousands(n as u64)),
    }
}

/// Scrolls the grid so that displayed row `row` is in view (below the sticky header).
fn scroll_into_view(scroller: &Element, row: usize) {
    let top = i32::try_from(row)
        .unwrap_or(i32::MAX)
        .saturating_mul(ROW_HEIGHT);
    let viewport = scroller.client_height() - ROW_HEIGHT;
    let scrolled = scroller.scroll_top();
    if top < scrolled {
        scroller.set_scroll_top(top);
    } else if top + ROW_HEIGHT > scrolled + viewport {
        scroller.set_scroll_top(top + ROW_HEIGHT - viewport);
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
