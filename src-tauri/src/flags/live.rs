//! Live flags: LaunchDarkly's streaming connection (or a Relay Proxy's), through the SDK.
//!
//! The SDK's streaming source writes every `put`/`patch` into a [`FlagStore`] mirrored to disk —
//! the last-known-good copy that a start without network falls back to, before the embedded file.
//! Analytics events (evaluations, custom events) go to LaunchDarkly's events endpoint with `email`
//! redacted.

use std::{collections::HashSet, path::PathBuf, sync::Arc, time::Duration};

use launchdarkly_server_sdk::{
    Client, ConfigBuilder, EventProcessorBuilder, PersistentDataStoreBuilder,
    ServiceEndpointsBuilder,
};

use super::{FlagStore, FlagsError};

/// How to reach LaunchDarkly.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveConfig {
    pub sdk_key: String,
    /// Streaming, polling and events base URLs; `None` for LaunchDarkly's own.
    pub endpoints: Option<Endpoints>,
    /// Where the last data received is kept.
    pub last_known_good: PathBuf,
    /// How long a start waits for the first flag data before falling back.
    pub connect_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Endpoints {
    pub streaming: String,
    pub polling: String,
    pub events: String,
}

impl Endpoints {
    /// All three services behind one URL, as with a Relay Proxy.
    pub fn relay_proxy(url: &str) -> Self {
        let url = url.trim_end_matches('/').to_string();
        Self {
            streaming: url.clone(),
            polling: url.clone(),
            events: url,
        }
    }
}

impl LiveConfig {
    /// From the environment: `LAUNCHDARKLY_SDK_KEY` (required), and either
    /// `LAUNCHDARKLY_RELAY_PROXY` or all of `LAUNCHDARKLY_STREAM_URI`, `LAUNCHDARKLY_BASE_URI`,
    /// `LAUNCHDARKLY_EVENTS_URI`.
    pub fn from_env(last_known_good: PathBuf) -> Option<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let sdk_key = var("LAUNCHDARKLY_SDK_KEY")?;
        let endpoints = match (
            var("LAUNCHDARKLY_RELAY_PROXY"),
            var("LAUNCHDARKLY_STREAM_URI"),
            var("LAUNCHDARKLY_BASE_URI"),
            var("LAUNCHDARKLY_EVENTS_URI"),
        ) {
            (Some(relay), ..) => Some(Endpoints::relay_proxy(&relay)),
            (None, Some(streaming), Some(polling), Some(events)) => Some(Endpoints {
                streaming,
                polling,
                events,
            }),
            _ => None,
        };
        Some(Self {
            sdk_key,
            endpoints,
            last_known_good,
            connect_timeout: Duration::from_secs(5),
        })
    }

    /// Where events go: the custom events URL, or LaunchDarkly's.
    pub fn events_url(&self) -> &str {
        self.endpoints
            .as_ref()
            .map_or("https://events.launchdarkly.com", |e| e.events.as_str())
    }

    /// Where the flags stream from, in words: the custom streaming URL, or "LaunchDarkly".
    pub fn stream_name(&self) -> &str {
        self.endpoints
            .as_ref()
            .map_or("LaunchDarkly", |e| e.streaming.as_str())
    }
}

/// The SDK's HTTPS stack (rustls) needs one process-wide crypto provider; the app links two
/// (ring via the SDK's transport, aws-lc via reqwest), so rustls cannot pick by itself.
fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// How a live start went.
pub enum Connected {
    /// The first flag data arrived in time.
    Ready(Client),
    /// Not in time (why): the client keeps retrying in the background.
    Retrying(Client, String),
    /// An unrecoverable answer (why): the client is closed.
    Refused(String),
}

/// Connects and waits for the first flag data. The last-known-good file is untouched until data
/// is received.
pub async fn connect(config: &LiveConfig, store: &FlagStore) -> Result<Connected, FlagsError> {
    install_crypto_provider();
    let mut data_store = PersistentDataStoreBuilder::new(Arc::new(store.clone()));
    data_store.cache_forever();
    // The SDK's own HTTPS transport (it also speaks plain HTTP, for a local Relay Proxy).
    let transport = launchdarkly_sdk_transport::HyperTransport::new_https()
        .map_err(|e| FlagsError::Config(format!("no HTTPS transport: {e}")))?;
    let mut events = EventProcessorBuilder::new();
    events
        .transport(transport)
        .private_attributes(HashSet::from(["email"]));
    let mut builder = ConfigBuilder::new(&config.sdk_key)
        .data_store(&data_store)
        .event_processor(&events);
    if let Some(e) = &config.endpoints {
        let mut endpoints = ServiceEndpointsBuilder::new();
        endpoints
            .streaming_base_url(&e.streaming)
            .polling_base_url(&e.polling)
            .events_base_url(&e.events);
        builder = builder.service_endpoints(&endpoints);
    }
    let sdk_config = builder
        .build()
        .map_err(|e| FlagsError::Config(e.to_string()))?;
    let client = Client::build(sdk_config).map_err(|e| FlagsError::Client(e.to_string()))?;
    client.start_with_default_executor();
    let endpoint = config.stream_name();
    match client.wait_for_initialization(config.connect_timeout).await {
        Some(true) => Ok(Connected::Ready(client)),
        // An unrecoverable answer: 401/403 for a wrong or revoked SDK key, 404 …
        Some(false) => {
            let why = format!("{endpoint} refused the connection (is the SDK key right?)");
            tracing::warn!("no live flags: {why}");
            client.close();
            Ok(Connected::Refused(why))
        }
        None => {
            let why = format!(
                "{endpoint} did not answer within {:?}",
                config.connect_timeout
            );
            tracing::warn!("no live flags yet: {why}; the stream keeps retrying");
            Ok(Connected::Retrying(client, why))
        }
    }
}
