//! What the app and its engine worker say to each other: one JSON object per line, requests on
//! the worker's stdin, replies on its stdout (llama.cpp's own logs go to stderr).

use serde::{Deserialize, Serialize};

/// App → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Request {
    #[serde(rename_all = "camelCase")]
    Generate {
        id: String,
        /// (role, content)
        messages: Vec<(String, String)>,
        grammar: Option<String>,
        max_tokens: u32,
        temperature: f32,
        repeat_penalty: f32,
        seed: u32,
    },
    /// Stop generation `id` (answered by its `done` with `stopped: true`).
    Stop { id: String },
    /// Exit.
    Shutdown,
}

/// Worker → app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Reply {
    /// The model is loaded.
    #[serde(rename_all = "camelCase")]
    Ready {
        /// ggml's name of what runs the model: `CPU`, `Vulkan`, `CUDA`.
        backend: String,
        /// The panel's words for it: `CPU (AVX-512)` (the CPU kernels loaded), `Vulkan (its GPU)`.
        label: String,
        threads: usize,
        model: String,
        model_bytes: u64,
        load_ms: f64,
    },
    /// A piece of text of generation `id`.
    Token { id: String, text: String },
    #[serde(rename_all = "camelCase")]
    Done {
        id: String,
        text: String,
        prompt_tokens: u64,
        output_tokens: u64,
        ttft_ms: Option<f64>,
        generation_ms: f64,
        stopped: bool,
    },
    /// `id` is none for an error outside a generation (the model did not load).
    Error { id: Option<String>, message: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let r = Request::Generate {
            id: "1".into(),
            messages: vec![("user".into(), "hi".into())],
            grammar: None,
            max_tokens: 4,
            temperature: 0.0,
            repeat_penalty: 1.1,
            seed: 7,
        };
        let line = serde_json::to_string(&r).unwrap();
        assert!(line.starts_with(r#"{"type":"generate","id":"1""#), "{line}");
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<Request>(&line).unwrap(), r);
        let stop: Request = serde_json::from_str(r#"{"type":"stop","id":"1"}"#).unwrap();
        assert_eq!(stop, Request::Stop { id: "1".into() });
        let done = Reply::Done {
            id: "1".into(),
            text: "SELECT 1".into(),
            prompt_tokens: 3,
            output_tokens: 2,
            ttft_ms: Some(1.5),
            generation_ms: 9.0,
            stopped: false,
        };
        let line = serde_json::to_string(&done).unwrap();
        assert!(line.contains(r#""promptTokens":3"#), "{line}");
        assert_eq!(serde_json::from_str::<Reply>(&line).unwrap(), done);
    }
}
