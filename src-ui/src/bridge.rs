//! The front end's doors to the outside: Tauri's `invoke` (through `window.__TAURI__`, which the
//! app config exposes) and the WebView's WebGPU API (`navigator.gpu`), reached with js-sys so no
//! unstable web-sys bindings are needed.

use datagata_ipc::{GpuAdapter, WebGpuReport};
use js_sys::{Function, Promise, Reflect};
use serde::{Serialize, de::DeserializeOwned};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How long the WebGPU probe waits for `requestAdapter()` before calling it a failure.
const ADAPTER_TIMEOUT_MS: i32 = 5_000;

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn describe(err: &JsValue) -> String {
    if let Some(s) = err.as_string() {
        return s;
    }
    let message = get(err, "message");
    if let Some(s) = message.as_string() {
        return s;
    }
    js_sys::JSON::stringify(err)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "unknown error".to_string())
}

/// Calls a backend command with typed arguments and a typed answer.
pub async fn invoke<A: Serialize, R: DeserializeOwned>(
    command: &str,
    args: &A,
) -> Result<R, String> {
    let window = web_sys::window().ok_or("no window")?;
    let core = get(&get(&window, "__TAURI__"), "core");
    let invoke = get(&core, "invoke");
    let Some(invoke) = invoke.dyn_ref::<Function>() else {
        return Err("not running inside the DataGata app: Tauri's IPC is missing".to_string());
    };
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let args = args.serialize(&serializer).map_err(|e| e.to_string())?;
    let promise = invoke
        .call2(&core, &JsValue::from_str(command), &args)
        .map_err(|e| describe(&e))?;
    let value = JsFuture::from(Promise::from(promise))
        .await
        .map_err(|e| format!("{command} failed: {}", describe(&e)))?;
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| format!("{command} answered in an unexpected shape: {e}"))
}

/// A promise that resolves to `undefined` after `ms` milliseconds.
pub fn sleep(ms: i32) -> Promise {
    Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    })
}

fn string_list(set_like: &JsValue) -> Vec<String> {
    let mut out: Vec<String> = js_sys::try_iter(set_like)
        .ok()
        .flatten()
        .map(|iter| {
            iter.filter_map(|v| v.ok().and_then(|v| v.as_string()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn limit(limits: &JsValue, name: &str) -> Option<u64> {
    get(limits, name).as_f64().map(|v| v as u64)
}

/// Looks for WebGPU the way WebLLM will: `navigator.gpu`, then `requestAdapter()` (bounded in
/// time), then the adapter's info, features and limits. Never hangs, never throws.
pub async fn probe_webgpu() -> WebGpuReport {
    let Some(window) = web_sys::window() else {
        return WebGpuReport {
            problem: Some("no window object".into()),
            ..Default::default()
        };
    };
    let navigator = window.navigator();
    let mut report = WebGpuReport {
        user_agent: navigator.user_agent().unwrap_or_default(),
        ..Default::default()
    };
    let gpu = get(&navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        report.problem =
            Some("navigator.gpu is undefined: this WebView does not expose WebGPU".into());
        return report;
    }
    report.api_present = true;
    let request = get(&gpu, "requestAdapter");
    let Some(request) = request.dyn_ref::<Function>() else {
        report.problem = Some("navigator.gpu.requestAdapter is not a function".into());
        return report;
    };
    let adapter_promise = match request.call0(&gpu) {
        Ok(p) => Promise::from(p),
        Err(e) => {
            report.problem = Some(format!("requestAdapter() threw: {}", describe(&e)));
            return report;
        }
    };
    let race = Promise::race(&js_sys::Array::of2(
        &adapter_promise,
        &sleep(ADAPTER_TIMEOUT_MS),
    ));
    let adapter = match JsFuture::from(race).await {
        Ok(adapter) => adapter,
        Err(e) => {
            report.problem = Some(format!("requestAdapter() failed: {}", describe(&e)));
            return report;
        }
    };
    if adapter.is_undefined() {
        report.problem = Some(format!(
            "requestAdapter() gave no answer within {} s",
            ADAPTER_TIMEOUT_MS / 1000
        ));
        return report;
    }
    if adapter.is_null() {
        report.problem = Some("requestAdapter() returned null: no suitable GPU adapter".into());
        return report;
    }
    let info = get(&adapter, "info");
    let text = |key: &str| get(&info, key).as_string().unwrap_or_default();
    let limits = get(&adapter, "limits");
    report.adapter = Some(GpuAdapter {
        vendor: text("vendor"),
        architecture: text("architecture"),
        device: text("device"),
        description: text("description"),
        features: string_list(&get(&adapter, "features")),
        max_storage_buffer_binding_size: limit(&limits, "maxStorageBufferBindingSize"),
        max_buffer_size: limit(&limits, "maxBufferSize"),
    });
    report
}
