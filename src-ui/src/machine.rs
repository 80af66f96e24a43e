//! The "This machine" panel: the device facts the backend read, and what this WebView reported
//! about WebGPU (which it probes, then reports to the backend for the session context).

use datagata_ipc::{DeviceFacts, WebGpuReport, command};
use serde::Serialize;
use yew::prelude::*;

use crate::bridge;

#[derive(Serialize)]
pub struct NoArgs {}

/// `{ "report": … }` for `report_webgpu`.
#[derive(Serialize)]
pub struct ReportArgs<'a> {
    pub report: &'a WebGpuReport,
}

#[derive(Clone, PartialEq)]
enum Load {
    Reading,
    Ready(Box<DeviceFacts>),
    Failed(String),
}

#[derive(Properties, PartialEq)]
pub struct MachinePanelProps {
    /// The app's start-up WebGPU probe has reported: read the facts again.
    pub webgpu_reported: bool,
}

/// This machine's facts, read when shown and again once the start-up WebGPU probe reported.
#[function_component(MachinePanel)]
pub fn machine_panel(props: &MachinePanelProps) -> Html {
    let state = use_state(|| Load::Reading);
    {
        let state = state.clone();
        use_effect_with(props.webgpu_reported, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match bridge::invoke::<_, DeviceFacts>(command::DEVICE_FACTS, &NoArgs {}).await {
                    Ok(facts) => state.set(Load::Ready(Box::new(facts))),
                    Err(e) => state.set(Load::Failed(e)),
                }
            });
        });
    }
    html! {
        <section class="panel" id="machine-panel">
            <h2>{ "This machine" }</h2>
            { match &*state {
                Load::Reading => html! { <p class="muted" id="machine-status">{ "Reading this machine…" }</p> },
                Load::Failed(e) => html! { <p class="error" id="machine-status">{ format!("Could not read this machine: {e}") }</p> },
                Load::Ready(facts) => machine_facts(facts),
            } }
        </section>
    }
}

fn cores(facts: &DeviceFacts) -> String {
    match facts.physical_cores {
        Some(p) => format!("{} logical, {p} physical", facts.cpu_cores),
        None => format!("{} logical", facts.cpu_cores),
    }
}

fn machine_facts(facts: &DeviceFacts) -> Html {
    let row = |id: &str, label: &str, value: String| {
        html! {
            <div class="fact">
                <dt>{ label.to_string() }</dt>
                <dd id={ id.to_string() }>{ value }</dd>
            </div>
        }
    };
    html! {
        <>
            <dl class="facts" id="machine-facts" data-cpu-cores={ facts.cpu_cores.to_string() }
                data-memory-bytes={ facts.memory_bytes.to_string() }>
                { row("machine-os", "Operating system", facts.os_version.clone()) }
                { row("machine-arch", "Architecture", facts.arch.clone()) }
                { row("machine-cpu", "CPU", facts.cpu_brand.clone()) }
                { row("machine-cores", "Cores", cores(facts)) }
                { row("machine-memory", "Memory", datagata_ipc::data::bytes(facts.memory_bytes)) }
                { row("machine-device-type", "Device type", facts.device_type.to_string()) }
                { row("machine-device-reason", "Because", facts.device_type_reason.clone()) }
            </dl>
            { webgpu(facts.webgpu.as_ref()) }
        </>
    }
}

fn webgpu(report: Option<&WebGpuReport>) -> Html {
    let (class, text, detail) = match report {
        None => ("muted", "Checking WebGPU…".to_string(), None),
        Some(r) => match &r.adapter {
            Some(a) => {
                let shader_f16 = a.features.iter().any(|f| f == "shader-f16");
                (
                    "ok",
                    format!("WebGPU available: {} {}", a.vendor, a.architecture)
                        .trim()
                        .to_string(),
                    Some(format!(
                        "shader-f16 {}; max storage buffer {}",
                        if shader_f16 { "yes" } else { "no" },
                        a.max_storage_buffer_binding_size
                            .map(datagata_ipc::data::bytes)
                            .unwrap_or_else(|| "unknown".into())
                    )),
                )
            }
            None => (
                "warn",
                "WebGPU not available".to_string(),
                Some(r.problem.clone().unwrap_or_else(|| "no adapter".into())),
            ),
        },
    };
    html! {
        <div class={ classes!("webgpu", class) } id="webgpu">
            <strong id="webgpu-status">{ text }</strong>
            if let Some(detail) = detail { <span class="detail" id="webgpu-detail">{ detail }</span> }
            if class == "warn" {
                <span class="detail">
                    { "WebLLM needs a WebView with WebGPU: Windows (WebView2) or macOS 26+ (WKWebView). \
                       Linux's WebKitGTK builds usually have none: local AI runs on the native \
                       llama.cpp engine instead, and cloud AI still works." }
                </span>
            }
        </div>
    }
}
