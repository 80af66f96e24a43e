//! Feature flags and the AI Config, evaluated by LaunchDarkly's own Rust SDK (`Client`) — never
//! by hand-written rules.
//!
//! Where the flag data comes from ([`FlagSource`]): the file shipped in the app
//! (`flags/default.json`, LaunchDarkly's own data model), another flag file, or the last data
//! received from LaunchDarkly. Offline sources are served to the SDK through its
//! `PersistentDataStore` extension point with the client in daemon mode — the mode LaunchDarkly
//! documents for reading flags from a store without connecting — rather than through `TestData`,
//! which the SDK documents as a test utility, and which rewrites each flag's version. The same
//! [`store::FlagStore`] is what the live streaming source writes into, so offline and live share
//! one path through the SDK's evaluator.

pub mod delivery;
pub mod events;

/// Every flag key the app evaluates, named once.
pub mod keys {
    /// The AI Config (and the experiment on it): which provider and model answer a question.
    pub const AI_CONFIG: &str = "ai-config";
    /// Who may choose local AI.
    pub const WEBLLM_ACCESS: &str = "webllm-access";
    pub const PIVOT_TABLE_ACCESS: &str = "pivot-table-access";
    pub const DATA_MATERIALIZATION: &str = "data-materialization";
}
#[cfg(test)]
mod fake_launchdarkly;
pub mod live;
pub mod store;

use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

use datagata_ipc::{FlagEvaluation, FlagSourceInfo, FlagSourceKind, FlagView};
use launchdarkly_server_sdk::{
    Client, ConfigBuilder, Context, FlagDetailConfig, FlagValue, NullEventProcessorBuilder,
    PersistentDataStore, PersistentDataStoreBuilder,
};
use serde_json::Value;

pub use live::{Endpoints, LiveConfig};
pub use store::{FlagDataError, FlagStore};

/// The flag data shipped inside the app.
pub const EMBEDDED_FLAGS: &str = include_str!("../../flags/default.json");

#[derive(Debug, thiserror::Error)]
pub enum FlagsError {
    #[error(transparent)]
    Data(#[from] FlagDataError),
    #[error("LaunchDarkly's SDK refused its configuration: {0}")]
    Config(String),
    #[error("LaunchDarkly's SDK could not be built: {0}")]
    Client(String),
}

/// Where flag data comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum FlagSource {
    /// `flags/default.json`, compiled into the app.
    Embedded,
    /// A flag file in LaunchDarkly's data model (`datagata flags eval --flags FILE`).
    File(PathBuf),
}

/// The LaunchDarkly client over one flag source — and, live, the streaming client that takes
/// over from the offline one as soon as its first data arrives (a start without network keeps
/// retrying through the SDK's own stream backoff).
pub struct Flags {
    /// What answers without LaunchDarkly, or until its data arrives.
    offline: Option<Offline>,
    live: Option<Live>,
}

struct Offline {
    client: Client,
    store: FlagStore,
    source: FlagSourceInfo,
}

struct Live {
    client: Client,
    store: FlagStore,
    name: String,
}

impl Flags {
    pub fn open(source: &FlagSource) -> Result<Self, FlagsError> {
        match source {
            FlagSource::Embedded => Self::daemon(
                FlagStore::from_json(EMBEDDED_FLAGS)?,
                FlagSourceInfo {
                    kind: FlagSourceKind::Embedded,
                    detail: "flags shipped with the app (flags/default.json)".into(),
                },
            ),
            FlagSource::File(path) => Self::daemon(
                FlagStore::from_file(path)?,
                FlagSourceInfo {
                    kind: FlagSourceKind::File,
                    detail: format!("flag file {}", path.display()),
                },
            ),
        }
        .map(|offline| Self {
            offline: Some(offline),
            live: None,
        })
    }

    /// Live from LaunchDarkly when it answers within the configured time; otherwise the last data
    /// received (saved by an earlier live start), otherwise the embedded file, while the stream
    /// keeps retrying and takes over when it connects. The source says which, and why.
    pub async fn open_live(config: &LiveConfig) -> Result<Self, FlagsError> {
        let store = FlagStore::mirrored_to(config.last_known_good.clone());
        let (client, why) = match live::connect(config, &store).await? {
            live::Connected::Ready(client) => {
                return Ok(Self {
                    offline: None,
                    live: Some(Live {
                        client,
                        store,
                        name: config.stream_name().to_string(),
                    }),
                });
            }
            live::Connected::Retrying(client, why) => (Some(client), why),
            live::Connected::Refused(why) => (None, why),
        };
        let retrying = if client.is_some() {
            " (still trying to connect)"
        } else {
            ""
        };
        let offline = match FlagStore::from_file(&config.last_known_good) {
            Ok(saved) => Self::daemon(
                saved,
                FlagSourceInfo {
                    kind: FlagSourceKind::LastKnownGood,
                    detail: format!(
                        "{why}{retrying}; using the flags last received, saved in {}",
                        config.last_known_good.display()
                    ),
                },
            )?,
            Err(e) => {
                if config.last_known_good.exists() {
                    tracing::warn!("the last-known-good flags are unusable: {e}");
                }
                let mut embedded = Self::open(&FlagSource::Embedded)?
                    .offline
                    .ok_or_else(|| FlagsError::Client("no embedded flags".into()))?;
                embedded.source.detail = format!(
                    "{why}{retrying}; nothing saved yet, so {}",
                    embedded.source.detail
                );
                embedded
            }
        };
        Ok(Self {
            offline: Some(offline),
            live: client.map(|client| Live {
                client,
                store,
                name: config.stream_name().to_string(),
            }),
        })
    }

    /// The live client once its data has arrived.
    fn live_ready(&self) -> Option<&Live> {
        self.live.as_ref().filter(|l| l.client.initialized())
    }

    /// The client and data that answer now.
    fn active(&self) -> (&Client, &FlagStore) {
        match (self.live_ready(), &self.offline) {
            (Some(live), _) => (&live.client, &live.store),
            (None, Some(offline)) => (&offline.client, &offline.store),
            // Live without an offline fallback only exists once ready.
            (None, None) => {
                let live = self.live.as_ref().expect("flags have a source");
                (&live.client, &live.store)
            }
        }
    }

    /// Shuts the SDK clients down, delivering the SDK's own evaluation events (blocks until sent).
    pub fn close(&self) {
        if let Some(live) = &self.live {
            live.client.close();
        }
    }

    /// Delivers the SDK's pending evaluation events, waiting at most `timeout`.
    pub async fn flush(&self, timeout: std::time::Duration) -> bool {
        match &self.live {
            Some(live) => live.client.flush_blocking(timeout).await,
            None => true,
        }
    }

    /// A client in daemon mode reading `store`: no connection, no events sent.
    fn daemon(store: FlagStore, source: FlagSourceInfo) -> Result<Offline, FlagsError> {
        let mut data_store = PersistentDataStoreBuilder::new(Arc::new(store.clone()));
        // The data only changes through the SDK itself, which writes through this cache.
        data_store.cache_forever();
        let config = ConfigBuilder::new("datagata-offline")
            .daemon_mode(true)
            .data_store(&data_store)
            .event_processor(&NullEventProcessorBuilder::new())
            .build()
            .map_err(|e| FlagsError::Config(e.to_string()))?;
        let client = Client::build(config).map_err(|e| FlagsError::Client(e.to_string()))?;
        Ok(Offline {
            client,
            store,
            source,
        })
    }

    /// The SDK client itself (the benchmark compares its raw evaluation with [`Flags::evaluate_all`]).
    pub fn sdk(&self) -> &Client {
        self.active().0
    }

    /// Where the flags answering now come from. Changes from the fallback to live when a
    /// retried connection succeeds.
    pub fn source(&self) -> FlagSourceInfo {
        if let Some(live) = self.live_ready() {
            let mut detail = format!("streaming from {}", live.name);
            if let Some(error) = live.store.mirror_error() {
                detail.push_str(&format!(
                    "; the last-known-good copy could not be saved ({error})"
                ));
            }
            return FlagSourceInfo {
                kind: FlagSourceKind::Live,
                detail,
            };
        }
        match &self.offline {
            Some(offline) => offline.source.clone(),
            None => FlagSourceInfo {
                kind: FlagSourceKind::Live,
                detail: "connecting".into(),
            },
        }
    }

    /// The weights of flag `key`'s experiment rollout (LaunchDarkly's `"kind": "experiment"`),
    /// by variation key (`_ldMeta.variationKey`, else the variation's index), tracked arms only.
    pub fn experiment_weights(&self, key: &str) -> Option<Vec<(String, f64)>> {
        let data = self.active().1.to_json();
        let flag = &data["flags"][key];
        let rollout = flag["rules"]
            .as_array()?
            .iter()
            .map(|r| &r["rollout"])
            .chain(std::iter::once(&flag["fallthrough"]["rollout"]))
            .find(|r| r["kind"] == "experiment")?;
        let variations = flag["variations"].as_array()?;
        rollout["variations"]
            .as_array()?
            .iter()
            .filter(|v| v["untracked"] != true)
            .map(|v| {
                let index = v["variation"].as_u64()? as usize;
                let name = variations
                    .get(index)
                    .and_then(|x| x["_ldMeta"]["variationKey"].as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| index.to_string());
                Some((name, v["weight"].as_f64()?))
            })
            .collect()
    }

    pub fn flag_keys(&self) -> Vec<String> {
        self.active().1.flag_keys()
    }

    /// Evaluates one flag with its reason. Never panics: an unknown flag or an unusable context
    /// gives `null` with the SDK's error reason.
    pub fn evaluate(&self, context: &Context, key: &str) -> FlagEvaluation {
        let detail = self
            .active()
            .0
            .variation_detail(context, key, FlagValue::Json(Value::Null));
        FlagEvaluation {
            value: match detail.value {
                // Moved, not cloned: the AI Config's value is a sizeable object.
                Some(FlagValue::Json(value)) => value,
                Some(other) => other.as_json().unwrap_or(Value::Null),
                None => Value::Null,
            },
            variation_index: detail.variation_index.map(|i| i as i64),
            reason: serde_json::to_value(&detail.reason).unwrap_or(Value::Null),
        }
    }

    /// Every flag, by key.
    pub fn evaluate_all(&self, context: &Context) -> BTreeMap<String, FlagEvaluation> {
        self.active()
            .1
            .present_flag_keys()
            .into_iter()
            .map(|key| {
                let result = self.evaluate(context, &key);
                (key, result)
            })
            .collect()
    }

    /// The SDK's own all-flags state for a context (`all_flags_detail`, with reasons), as the
    /// JSON LaunchDarkly's client-side bootstrap uses: `{key: value, …, "$flagsState": {…},
    /// "$valid": bool}`.
    pub fn all_flags_state(&self, context: &Context) -> Value {
        let mut config = FlagDetailConfig::new();
        config.with_reasons();
        serde_json::to_value(self.active().0.all_flags_detail(context, config)).unwrap_or_default()
    }

    /// Every flag with its reason in words, for the dashboard.
    pub fn views(&self, context: &Context) -> Vec<FlagView> {
        self.evaluate_all(context)
            .into_iter()
            .map(|(key, evaluation)| FlagView {
                explanation: self.explain(&key, &evaluation),
                unlocked_by: self.unlocked_by(&key),
                key,
                evaluation,
            })
            .collect()
    }

    /// Who gets `true` from boolean flag `key`, read from its rules: "available on the Starter and
    /// Premium plans", "available to Power users on a desktop or laptop; or on the Premium plan on a
    /// desktop or laptop". `None` when the flag is off, its default already serves `true`, or no
    /// plain rule serves it (rollouts, individual targets).
    pub fn unlocked_by(&self, key: &str) -> Option<String> {
        let flag = self.raw_flag(key)?;
        let variations = flag["variations"].as_array()?;
        let serves_true = |v: &Value| {
            v.as_u64()
                .and_then(|i| variations.get(i as usize))
                .is_some_and(|x| x == &Value::Bool(true))
        };
        if flag["on"] != true || serves_true(&flag["fallthrough"]["variation"]) {
            return None;
        }
        let rules: Vec<String> = flag["rules"]
            .as_array()?
            .iter()
            .filter(|r| serves_true(&r["variation"]))
            .filter_map(|r| {
                let clauses: Option<Vec<String>> = r["clauses"]
                    .as_array()?
                    .iter()
                    .map(|c| self.clause_in_words(c))
                    .collect();
                clauses
                    .map(|c| c.join(" "))
                    .or_else(|| r["description"].as_str().map(|d| format!("to {d}")))
            })
            .collect();
        (!rules.is_empty()).then(|| format!("available {}", rules.join("; or ")))
    }

    /// One clause as words, for the clauses the app's flags use; `None` for any other.
    fn clause_in_words(&self, clause: &Value) -> Option<String> {
        if clause["negate"] == true {
            return None;
        }
        let values: Vec<String> = clause["values"]
            .as_array()?
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()?;
        let title = |v: &String| {
            let mut c = v.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        };
        let list = |words: Vec<String>, last: &str| match words.len() {
            0 => String::new(),
            1 => words[0].clone(),
            n => format!("{} {last} {}", words[..n - 1].join(", "), words[n - 1]),
        };
        let (attribute, op) = (clause["attribute"].as_str()?, clause["op"].as_str()?);
        match (attribute, op) {
            ("tier", "in") => {
                let plans = list(values.iter().map(title).collect(), "and");
                Some(if values.len() == 1 {
                    format!("on the {plans} plan")
                } else {
                    format!("on the {plans} plans")
                })
            }
            ("deviceType", "in") => Some(format!("on a {}", list(values, "or"))),
            ("role", "in") => Some(format!("as {}", list(values, "or"))),
            (_, "segmentMatch") => {
                let names: Vec<String> = values
                    .iter()
                    .map(|k| {
                        self.active()
                            .1
                            .segment(k)
                            .ok()
                            .flatten()
                            .and_then(|s| serde_json::from_str::<Value>(&s.serialized_item).ok())
                            .and_then(|s| s["name"].as_str().map(str::to_string))
                            .unwrap_or_else(|| k.replace('-', " "))
                    })
                    .collect();
                Some(format!("to {}", list(names, "or")))
            }
            _ => None,
        }
    }

    /// The evaluation reason in words, naming the matched rule by its description in the data.
    pub fn explain(&self, key: &str, evaluation: &FlagEvaluation) -> String {
        let reason = &evaluation.reason;
        match reason["kind"].as_str().unwrap_or_default() {
            "OFF" => "the flag is switched off".into(),
            "TARGET_MATCH" => "individually targeted".into(),
            "FALLTHROUGH" => "no rule matched, so the default applies".into(),
            "RULE_MATCH" => {
                let index = reason["ruleIndex"].as_u64().unwrap_or_default() as usize;
                let rule = self.raw_flag(key).map(|f| f["rules"][index].clone());
                let mut text = format!("rule {} matched", index + 1);
                if let Some(description) = rule.as_ref().and_then(|r| r["description"].as_str()) {
                    text.push_str(": ");
                    text.push_str(description);
                }
                if rule.is_some_and(|r| r.get("rollout").is_some()) {
                    text.push_str(" (percentage rollout)");
                }
                text
            }
            "PREREQUISITE_FAILED" => format!(
                "prerequisite flag {} is not met",
                reason["prerequisiteKey"].as_str().unwrap_or("?")
            ),
            "ERROR" => match reason["errorKind"].as_str().unwrap_or_default() {
                "FLAG_NOT_FOUND" => "error: no such flag in the flag data".into(),
                "CLIENT_NOT_READY" => "error: flag data not loaded yet".into(),
                "MALFORMED_FLAG" => "error: the flag's data is malformed".into(),
                "USER_NOT_SPECIFIED" => "error: no usable context".into(),
                "WRONG_TYPE" => "error: the flag has another type".into(),
                other => format!("error: {other}"),
            },
            other => other.to_string(),
        }
    }

    pub(crate) fn raw_flag(&self, key: &str) -> Option<Value> {
        let item = self.active().1.flag(key).ok().flatten()?;
        serde_json::from_str(&item.serialized_item).ok()
    }

    /// A boolean flag; `false` when it is missing or not a boolean.
    pub fn bool_flag(&self, context: &Context, key: &str) -> bool {
        self.active().0.bool_variation(context, key, false)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_live;
