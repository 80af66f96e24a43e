//! The AI side of a question: the AI Config (LaunchDarkly's `ai-config` flag value: variation,
//! model, parameters, messages with `{{query}}`), which provider it picks, and the providers that
//! can run in the backend — MotherDuck's `prompt_sql` through the DuckDB connection, and the
//! native llama.cpp engine ([`engine`], glued to questions by [`native`]). WebLLM runs in the
//! app's WebView; [`questions`] owns a question from the words to its stored event.

pub mod accuracy;
pub mod engine;
pub mod gguf;
pub mod models;
pub mod native;
pub mod questions;

use std::time::Instant;

use serde_json::Value;

use crate::data::{DataError, Database};

/// The provider an AI Config variation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    MotherDuck,
    WebLlm,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::MotherDuck => "motherduck-ai",
            Provider::WebLlm => "webllm",
        }
    }
}

/// The parts of an AI Config variation the app uses.
#[derive(Debug, Clone, PartialEq)]
pub struct AiConfig {
    pub enabled: bool,
    pub variation_key: String,
    pub version: u64,
    pub provider: Provider,
    pub model: String,
    /// The GGUF file the native engine runs for this variation (`model.custom`: `gguf`,
    /// `ggufUrl`, `ggufBytes`, `ggufSha256`).
    pub gguf: Option<gguf::GgufSpec>,
    pub max_tokens: Option<u64>,
    pub temperature: Option<f64>,
    /// (role, content) with `{{query}}` still in place.
    pub messages: Vec<(String, String)>,
}

impl AiConfig {
    /// Reads the `ai-config` flag's value; `None` when it is not an AI Config.
    pub fn from_value(value: &Value) -> Option<Self> {
        let meta = value.get("_ldMeta")?;
        let provider = match value["provider"]["name"].as_str()? {
            "motherduck" => Provider::MotherDuck,
            "webllm" => Provider::WebLlm,
            _ => return None,
        };
        Some(Self {
            enabled: meta["enabled"].as_bool().unwrap_or(false),
            variation_key: meta["variationKey"].as_str()?.to_string(),
            version: meta["version"].as_u64().unwrap_or(0),
            provider,
            model: value["model"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            gguf: gguf::GgufSpec::from_custom(&value["model"]["custom"]),
            max_tokens: value["model"]["parameters"]["maxTokens"].as_u64(),
            temperature: value["model"]["parameters"]["temperature"].as_f64(),
            messages: value["messages"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(|m| {
                            Some((
                                m["role"].as_str()?.to_string(),
                                m["content"].as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// The messages with `{{query}}` replaced by the question.
    pub fn prompt(&self, question: &str) -> Vec<(String, String)> {
        self.messages
            .iter()
            .map(|(role, content)| (role.clone(), content.replace("{{query}}", question)))
            .collect()
    }
}

/// Why the local provider cannot answer in the backend.
pub const WEBLLM_HEADLESS: &str = "WebLLM runs inside the app's WebView on the GPU; it cannot answer \
     headless (use `datagata traffic --via-app` with the app open on a machine whose WebView has WebGPU)";

/// The longest MotherDuck's `prompt_sql` may take.
pub const PROMPT_SQL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// SQL written by MotherDuck's AI for `question` (`CALL prompt_sql(…)`), and how long it took.
pub fn motherduck_sql(db: &Database, question: &str) -> Result<(String, f64), DataError> {
    let started = Instant::now();
    let conn = db.conn_on(datagata_ipc::data::QueryTarget::MotherDuck)?;
    // A network call inside DuckDB: interrupted when MotherDuck does not answer in time.
    let sql: String = crate::data::runner::with_timeout(&conn, PROMPT_SQL_TIMEOUT, |c| {
        c.query_row("CALL prompt_sql(?)", [question], |r| r.get(0))
    })?;
    Ok((sql, started.elapsed().as_secs_f64() * 1000.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_variations_parse_and_interpolate() {
        let flags: Value = serde_json::from_str(crate::flags::EMBEDDED_FLAGS).unwrap();
        let variations = flags["flags"]["ai-config"]["variations"]
            .as_array()
            .unwrap();
        let cloud = AiConfig::from_value(&variations[0]).unwrap();
        let local = AiConfig::from_value(&variations[1]).unwrap();
        assert_eq!(
            (cloud.provider, cloud.variation_key.as_str()),
            (Provider::MotherDuck, "motherduck-ai")
        );
        assert_eq!(
            (local.provider, local.model.as_str()),
            (Provider::WebLlm, "Llama-3.2-3B-Instruct-q4f16_1-MLC")
        );
        assert_eq!(local.max_tokens, Some(500));
        let prompt = cloud.prompt("busiest borough?");
        assert!(
            prompt
                .iter()
                .any(|(r, c)| r == "user" && c.ends_with("NYC taxi data: busiest borough?"))
        );
        assert!(AiConfig::from_value(&serde_json::json!(true)).is_none());
    }
}
