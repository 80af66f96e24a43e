//! The automation endpoint, so `datagata traffic --via-app` (or a script) can drive the running
//! app and measure its providers for real. Off by default: `DATAGATA_AUTOMATION=1` turns it on.
//! It listens on 127.0.0.1 only (`DATAGATA_AUTOMATION_PORT`, else a free port), refuses any peer
//! that is not this machine, and requires `Authorization: Bearer <token>` — a random token written,
//! with the port, to `automation.json` (owner-only) in the data directory at start and removed at
//! exit. Paths and JSON are the seed's HTTP API: `POST /api/ai-query`, `GET /api/ai-metrics`,
//! `POST /api/track-event`; bad bodies get a 4xx with `{"error": "…"}`.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{
    Json, Router,
    extract::{ConnectInfo, Query, Request, State, rejection::JsonRejection},
    http::StatusCode,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use datagata_ipc::{
    Profile,
    metrics::{QueryCompleted, TimeRange},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Core, traffic};

pub const ENV: &str = "DATAGATA_AUTOMATION";
pub const PORT_ENV: &str = "DATAGATA_AUTOMATION_PORT";
pub const FILE: &str = "automation.json";

/// Whether the person (or a test) switched the endpoint on.
pub fn enabled() -> bool {
    std::env::var(ENV).is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

/// Where a running app listens, as written to `automation.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Endpoint {
    pub port: u16,
    pub token: String,
}

#[derive(Clone)]
struct Shared {
    core: Arc<Core>,
    token: Arc<str>,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// Token and peer checks before any route runs.
async fn guard(
    State(shared): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if !peer.ip().is_loopback() {
        return error(
            StatusCode::FORBIDDEN,
            "only this machine may call the automation endpoint",
        );
    }
    let given = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compare without stopping at the first difference.
    let expected = shared.token.as_bytes();
    let same = given.len() == expected.len()
        && given
            .bytes()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return error(
            StatusCode::UNAUTHORIZED,
            format!(
                "missing or wrong token: send `Authorization: Bearer <token>` with the token from {FILE} in the app's data directory"
            ),
        );
    }
    next.run(request).await
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AiQueryRequest {
    pub query: String,
    /// Who asks (default: the app's current profile).
    pub profile: Option<Profile>,
    /// SQL that answers the question, run when the provider cannot (measures the data path).
    pub reference_sql: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AiQueryResponse {
    pub outcome: QueryCompleted,
    pub rows: Option<u64>,
    pub columns: Vec<String>,
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, Response> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, e))
}

async fn ai_query(
    State(shared): State<Shared>,
    body: Result<Json<AiQueryRequest>, JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let question = request.query.trim().to_string();
    if question.is_empty() || question.chars().count() > 2_000 {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`query` must be a question of 1 to 2,000 characters",
        );
    }
    let core = shared.core.clone();
    let answer = blocking(move || {
        let profile = request.profile.unwrap_or_else(|| core.profile());
        core.ask_headless(&crate::ai::questions::HeadlessAsk {
            question: &question,
            profile: Some(&profile),
            choice: None,
            reference_sql: request.reference_sql.as_deref(),
            source: crate::ai::questions::Source::Automation,
        })
        .map(|a| (a.completed, a.result))
        .map_err(|e| e.to_string())
    })
    .await;
    match answer {
        Ok((outcome, result)) => Json(AiQueryResponse {
            outcome,
            rows: result.as_ref().map(|r| r.total_rows),
            columns: result
                .map(|r| r.columns.into_iter().map(|c| c.name).collect())
                .unwrap_or_default(),
        })
        .into_response(),
        Err(response) => response,
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetricsQuery {
    time_range: Option<String>,
}

async fn ai_metrics(State(shared): State<Shared>, Query(q): Query<MetricsQuery>) -> Response {
    let range = match q.time_range.as_deref().unwrap_or("all") {
        "1h" => TimeRange::LastHour,
        "24h" => TimeRange::LastDay,
        "all" => TimeRange::All,
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("timeRange {other:?} is not one of 1h, 24h, all"),
            );
        }
    };
    let core = shared.core.clone();
    match blocking(move || core.metrics(range).map_err(|e| e.to_string())).await {
        Ok(report) => Json(report).into_response(),
        Err(response) => response,
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TrackEventRequest {
    event_key: String,
    data: Option<Value>,
    metric_value: Option<f64>,
}

async fn track_event(
    State(shared): State<Shared>,
    body: Result<Json<TrackEventRequest>, JsonRejection>,
) -> Response {
    let Json(event) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let key_ok = !event.event_key.is_empty()
        && event.event_key.len() <= 200
        && event
            .event_key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:$".contains(c));
    if !key_ok {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`eventKey` must be 1-200 characters of letters, digits and - _ . : $",
        );
    }
    if event.metric_value.is_some_and(|v| !v.is_finite()) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`metricValue` must be a finite number",
        );
    }
    let core = shared.core.clone();
    let tracked = blocking(move || {
        core.track(
            &event.event_key,
            event.data.unwrap_or(Value::Null),
            event.metric_value,
        )
        .map_err(|e| e.to_string())
    })
    .await;
    match tracked {
        Ok(()) => (StatusCode::ACCEPTED, Json(json!({ "ok": true }))).into_response(),
        Err(response) => response,
    }
}

/// The routes, behind the token and peer checks.
pub fn router(core: Arc<Core>, token: &str) -> Router {
    let shared = Shared {
        core,
        token: Arc::from(token),
    };
    Router::new()
        .route("/api/ai-query", post(ai_query))
        .route("/api/ai-metrics", get(ai_metrics))
        .route("/api/track-event", post(track_event))
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Writes `automation.json` readable by its owner only.
fn write_endpoint(data_dir: &Path, endpoint: &Endpoint) -> std::io::Result<PathBuf> {
    let path = data_dir.join(FILE);
    std::fs::create_dir_all(data_dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let text = serde_json::to_string(endpoint).map_err(std::io::Error::other)?;
    std::io::Write::write_all(&mut options.open(&path)?, text.as_bytes())?;
    Ok(path)
}

/// Starts the endpoint on 127.0.0.1 and records where it is; runs until the process ends.
pub async fn serve(core: Arc<Core>, data_dir: &Path) -> std::io::Result<Endpoint> {
    let port = std::env::var(PORT_ENV)
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let endpoint = Endpoint {
        port: listener.local_addr()?.port(),
        token: new_token(),
    };
    let path = write_endpoint(data_dir, &endpoint)?;
    tracing::info!(port = endpoint.port, file = %path.display(), "automation endpoint on 127.0.0.1");
    let app = router(core, &endpoint.token).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("automation endpoint stopped: {e}");
        }
    });
    Ok(endpoint)
}

/// Removes `automation.json` (at exit).
pub fn forget(data_dir: &Path) {
    let _ = std::fs::remove_file(data_dir.join(FILE));
}

/// The traffic generator's side: asks the running app.
pub struct Client {
    http: reqwest::blocking::Client,
    base: String,
    token: String,
}

impl Client {
    pub fn from_data_dir(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join(FILE);
        let text = std::fs::read_to_string(&path).map_err(|_| {
            anyhow::anyhow!(
                "the app's automation endpoint is not running: start the app with {ENV}=1 (there is no {})",
                path.display()
            )
        })?;
        let endpoint: Endpoint = serde_json::from_str(&text)?;
        Ok(Self::new(endpoint))
    }

    pub fn new(endpoint: Endpoint) -> Self {
        Self {
            http: reqwest::blocking::Client::new(),
            base: format!("http://127.0.0.1:{}", endpoint.port),
            token: endpoint.token,
        }
    }
}

impl traffic::Asker for Client {
    fn ask(
        &self,
        profile: &Profile,
        question: &traffic::Question,
    ) -> Result<QueryCompleted, String> {
        let response = self
            .http
            .post(format!("{}/api/ai-query", self.base))
            .bearer_auth(&self.token)
            .json(&AiQueryRequest {
                query: question.text.to_string(),
                profile: Some(profile.clone()),
                reference_sql: Some(question.reference_sql.to_string()),
            })
            .send()
            .map_err(|e| format!("the app did not answer: {e}"))?;
        let status = response.status();
        let body: Value = response.json().map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("the app answered {status}: {}", body["error"]));
        }
        serde_json::from_value::<AiQueryResponse>(body)
            .map(|r| r.outcome)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests;
