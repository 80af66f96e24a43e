//! The page's chart drawer (`window.datagataChart`, `src-ui/js/chart.js`: Chart.js bundled from
//! npm): draws a [`Series`] on a canvas, frees it, and draws it again off screen as a PNG.

use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

use crate::chart::series::Series;

fn call(method: &str, args: &[&JsValue]) -> Result<JsValue, String> {
    let window = web_sys::window().ok_or("no window")?;
    let drawer = Reflect::get(&window, &JsValue::from_str("datagataChart"))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
        .ok_or("the chart drawer did not load (window.datagataChart is missing)")?;
    let function = Reflect::get(&drawer, &JsValue::from_str(method))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| format!("the chart drawer has no {method}()"))?;
    let list = js_sys::Array::new();
    for arg in args {
        list.push(arg);
    }
    function
        .apply(&drawer, &list)
        .map_err(|e| super::describe(&e))
}

fn spec(series: &Series) -> Result<JsValue, String> {
    super::to_js(series)
}

/// Draws `series` on `canvas` (replacing what it showed); returns the points drawn.
pub fn render(canvas: &Element, series: &Series) -> Result<u32, String> {
    let drawn = call("render", &[canvas.as_ref(), &spec(series)?])?;
    Ok(drawn.as_f64().unwrap_or(0.0) as u32)
}

/// Frees the chart on `canvas`.
pub fn destroy(canvas: &Element) {
    let _ = call("destroy", &[canvas.as_ref()]);
}

/// `series` drawn off screen on a white page, as a `data:image/png;base64,…` URL.
pub fn png(series: &Series) -> Result<String, String> {
    call("png", &[&spec(series)?])?
        .as_string()
        .ok_or_else(|| "the chart drawer made no PNG".to_string())
}
