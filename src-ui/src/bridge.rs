//! The front end's doors to the outside: Tauri's `invoke` (through `window.__TAURI__`, which the
//! app config exposes), the WebView's WebGPU API (`navigator.gpu`) and the page's WebLLM bridge
//! (`window.datagataWebLLM`) and the SQL editor ([`editor`], `window.datagataEditor`), reached
//! with js-sys so no unstable web-sys bindings are needed; the chart drawer ([`chart`],
//! `window.datagataChart`).

pub mod chart;
pub mod dialog;
pub mod editor;

use datagata_ipc::ai::{ChatMessage, ImportedModel};
use datagata_ipc::{GpuAdapter, WebGpuReport};
use js_sys::{Function, Promise, Reflect};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use wasm_bindgen::closure::Closure;
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
    // The backend's errors are already written for people: shown as they are.
    let value = JsFuture::from(Promise::from(promise))
        .await
        .map_err(|e| describe(&e))?;
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| format!("{command} answered in an unexpected shape: {e}"))
}

/// A subscription to a backend event; dropping it unsubscribes.
pub struct Listener {
    unlisten: Option<Function>,
    _handler: Closure<dyn FnMut(JsValue)>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(unlisten) = &self.unlisten {
            let _ = unlisten.call0(&JsValue::NULL);
        }
    }
}

/// Hears the backend's `event` (Tauri's `event.listen`), each payload typed.
pub async fn listen<T: DeserializeOwned + 'static>(
    event: &str,
    mut on: impl FnMut(T) + 'static,
) -> Result<Listener, String> {
    let window = web_sys::window().ok_or("no window")?;
    let events = get(&get(&window, "__TAURI__"), "event");
    let listen = get(&events, "listen");
    let Some(listen) = listen.dyn_ref::<Function>() else {
        return Err("not running inside the DataGata app: Tauri's events are missing".into());
    };
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        if let Ok(payload) = serde_wasm_bindgen::from_value::<T>(get(&e, "payload")) {
            on(payload);
        }
    });
    let promise = listen
        .call2(&events, &JsValue::from_str(event), handler.as_ref())
        .map_err(|e| describe(&e))?;
    let unlisten = JsFuture::from(Promise::from(promise))
        .await
        .map_err(|e| describe(&e))?;
    Ok(Listener {
        unlisten: unlisten.dyn_into::<Function>().ok(),
        _handler: handler,
    })
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

// ---- The WebLLM bridge (`window.datagataWebLLM`, loaded by the page) ----

/// The page global the WebLLM bridge sets.
const WEBLLM: &str = "datagataWebLLM";

/// What the bridge found about running a model here.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LlmCapability {
    pub ok: bool,
    pub reason: Option<String>,
    pub shader_f16: bool,
    pub adapter: Option<LlmAdapter>,
    pub max_storage_buffer_binding_size: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct LlmAdapter {
    pub vendor: String,
    pub architecture: String,
}

/// One progress report while a model downloads and loads.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LoadProgress {
    /// 0 to 1.
    pub progress: f64,
    /// WebLLM's own words ("Fetching param cache[3/40]…").
    pub text: String,
    pub loaded_bytes: Option<f64>,
    pub total_bytes: Option<f64>,
    pub bytes_per_second: Option<f64>,
}

/// Sampling settings for [`llm_generate`]; unset ones are left to the bridge.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// EBNF the reply must match (WebLLM's `response_format` grammar mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grammar: Option<String>,
}

/// A finished (or stopped) generation. Counts are JS numbers, hence `f64`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Generated {
    pub text: String,
    pub input_tokens: Option<f64>,
    pub output_tokens: Option<f64>,
    pub time_to_first_token_ms: Option<f64>,
    pub duration_ms: f64,
    pub tokens_per_second: Option<f64>,
    /// `stop()` ended it early.
    pub stopped: bool,
}

fn webllm() -> Result<JsValue, String> {
    let window = web_sys::window().ok_or("no window")?;
    let bridge = get(&window, WEBLLM);
    if bridge.is_undefined() || bridge.is_null() {
        return Err("the local AI bridge did not load (window.datagataWebLLM is missing)".into());
    }
    Ok(bridge)
}

/// Calls `window.datagataWebLLM[method](...args)`; a throw becomes its message.
fn webllm_call(method: &str, args: &[&JsValue]) -> Result<JsValue, String> {
    let bridge = webllm()?;
    let function = get(&bridge, method);
    let Some(function) = function.dyn_ref::<Function>() else {
        return Err(format!("the local AI bridge has no {method}()"));
    };
    let list = js_sys::Array::new();
    for arg in args {
        list.push(arg);
    }
    function.apply(&bridge, &list).map_err(|e| describe(&e))
}

/// Waits for a returned value (a promise or not); a rejection becomes its message.
async fn settle(value: JsValue) -> Result<JsValue, String> {
    JsFuture::from(Promise::resolve(&value))
        .await
        .map_err(|e| describe(&e))
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, String> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| e.to_string())
}

fn from_js<T: DeserializeOwned>(method: &str, value: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value).map_err(|e| {
        format!("the local AI bridge's {method}() answered in an unexpected shape: {e}")
    })
}

/// `capability()`: whether WebLLM can run here, and why not.
pub async fn llm_capability() -> Result<LlmCapability, String> {
    let value = settle(webllm_call("capability", &[])?).await?;
    from_js("capability", value)
}

/// `modelFor(configModel, shaderF16)`: the model id to load for the AI Config's model.
pub fn llm_model_for(config_model: &str, shader_f16: bool) -> Result<String, String> {
    let value = webllm_call(
        "modelFor",
        &[
            &JsValue::from_str(config_model),
            &JsValue::from_bool(shader_f16),
        ],
    )?;
    value
        .as_string()
        .ok_or_else(|| "the local AI bridge's modelFor() gave no model id".to_string())
}

/// `isCached(model)`: whether the model's files are already downloaded.
pub async fn llm_is_cached(model: &str) -> Result<bool, String> {
    let value = settle(webllm_call("isCached", &[&JsValue::from_str(model)])?).await?;
    Ok(value.is_truthy())
}

/// `load(model, onProgress)`: downloads the model when needed and loads it onto the GPU,
/// calling `on_progress` as it goes.
pub async fn llm_load(
    model: &str,
    mut on_progress: impl FnMut(LoadProgress) + 'static,
) -> Result<(), String> {
    let callback = Closure::<dyn FnMut(JsValue)>::new(move |value: JsValue| {
        if let Ok(progress) = serde_wasm_bindgen::from_value::<LoadProgress>(value) {
            on_progress(progress);
        }
    });
    let call = webllm_call("load", &[&JsValue::from_str(model), callback.as_ref()]);
    let outcome = match call {
        Ok(promise) => settle(promise).await.map(|_| ()),
        Err(e) => Err(e),
    };
    // The bridge is done with the callback once its promise settled.
    drop(callback);
    outcome
}

/// `generate(messages, options, onToken)`: streams each piece of text to `on_token`.
pub async fn llm_generate(
    messages: &[ChatMessage],
    options: &GenerateOptions,
    mut on_token: impl FnMut(String) + 'static,
) -> Result<Generated, String> {
    let callback = Closure::<dyn FnMut(JsValue)>::new(move |value: JsValue| {
        if let Some(delta) = value.as_string() {
            on_token(delta);
        }
    });
    let outcome = async {
        let promise = webllm_call(
            "generate",
            &[&to_js(messages)?, &to_js(options)?, callback.as_ref()],
        )?;
        let value = settle(promise).await?;
        from_js("generate", value)
    }
    .await;
    drop(callback);
    outcome
}

/// `stop()`: ends the generation under way (it then resolves with `stopped: true`).
pub fn llm_stop() -> Result<(), String> {
    webllm_call("stop", &[]).map(|_| ())
}

/// `deleteModel(model)`: removes the model's downloaded files.
pub async fn llm_delete_model(model: &str) -> Result<(), String> {
    settle(webllm_call("deleteModel", &[&JsValue::from_str(model)])?)
        .await
        .map(|_| ())
}

/// `unload()`: frees the GPU memory the loaded model holds.
pub async fn llm_unload() -> Result<(), String> {
    settle(webllm_call("unload", &[])?).await.map(|_| ())
}

/// `setLocalModels(records)`: the model folders the app serves from disk, in place of WebLLM's
/// prebuilt records with the same ids.
pub fn llm_set_local_models(models: &[ImportedModel]) -> Result<(), String> {
    webllm_call("setLocalModels", &[&to_js(models)?]).map(|_| ())
}
