//! The endpoint over real HTTP on 127.0.0.1: the token, body validation, the seed's routes, and a
//! peer from another address refused.

use std::sync::Arc;

use axum::{body::Body, extract::ConnectInfo, http::Request};
use tower::ServiceExt;

use super::*;

fn core() -> Arc<Core> {
    let core = crate::test_core();
    core.data().generate(2_000, 1).unwrap();
    Arc::new(core)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seeds_routes_answer_only_with_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = serve(core(), dir.path()).await.unwrap();
    let file = dir.path().join(FILE);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let saved: Endpoint = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved.port, endpoint.port);
    let base = format!("http://127.0.0.1:{}", endpoint.port);
    let http = reqwest::Client::new();
    let query = json!({
        "query": "What is the average trip distance?",
        "referenceSql": "SELECT avg(trip_distance) FROM taxi"
    });

    let no_token = http
        .post(format!("{base}/api/ai-query"))
        .json(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    let body: Value = no_token.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("token"), "{body}");
    let wrong = http
        .get(format!("{base}/api/ai-metrics"))
        .bearer_auth("x".repeat(64))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let ok = http
        .post(format!("{base}/api/ai-query"))
        .bearer_auth(&endpoint.token)
        .json(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let answer: AiQueryResponse = ok.json().await.unwrap();
    assert_eq!(answer.outcome.source, "automation");
    assert_eq!(
        answer.outcome.generation,
        datagata_ipc::metrics::GenerationOutcome::Unavailable
    );
    assert_eq!(answer.rows, Some(1));

    for (body, status) in [
        (json!({}), 400),
        (json!({"query": "x", "extra": 1}), 400),
        (json!({"query": "   "}), 422),
    ] {
        let r = http
            .post(format!("{base}/api/ai-query"))
            .bearer_auth(&endpoint.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{body}");
        let e: Value = r.json().await.unwrap();
        assert!(e["error"].is_string(), "{e}");
    }
    let not_json = http
        .post(format!("{base}/api/ai-query"))
        .bearer_auth(&endpoint.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);

    let metrics: Value = http
        .get(format!("{base}/api/ai-metrics?timeRange=1h"))
        .bearer_auth(&endpoint.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metrics["timeRange"], "1h");
    assert_eq!(metrics["totalQueries"], 1);
    assert_eq!(metrics["summary"][0]["provider"], "motherduck-ai");
    let bad_range = http
        .get(format!("{base}/api/ai-metrics?timeRange=week"))
        .bearer_auth(&endpoint.token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_range.status(), 400);

    let tracked = http
        .post(format!("{base}/api/track-event"))
        .bearer_auth(&endpoint.token)
        .json(&json!({"eventKey": "feature-clicked", "data": {"feature": "pivot-table"}, "metricValue": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(tracked.status(), 202);
    let bad_key = http
        .post(format!("{base}/api/track-event"))
        .bearer_auth(&endpoint.token)
        .json(&json!({"eventKey": "no spaces please"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_key.status(), 422);
    forget(dir.path());
    assert!(!file.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_peer_from_another_address_is_refused_even_with_the_token() {
    let app = router(core(), "secret");
    let mut request = Request::get("/api/ai-metrics")
        .header("authorization", "Bearer secret")
        .body(Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 40000))));
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 403);
    let mut local = Request::get("/api/ai-metrics")
        .header("authorization", "Bearer secret")
        .body(Body::empty())
        .unwrap();
    local
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    assert_eq!(app.oneshot(local).await.unwrap().status(), 200);
}

#[test]
fn traffic_via_the_app_goes_through_the_endpoint() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let core = core();
    runtime.block_on(serve(core.clone(), dir.path())).unwrap();
    let client = Client::from_data_dir(dir.path()).unwrap();
    let run = traffic::run(
        &client,
        &traffic::TrafficOptions {
            count: 6,
            delay: std::time::Duration::ZERO,
            concurrency: 2,
            seed: 4,
        },
        true,
        &|_| {},
    )
    .unwrap();
    assert_eq!(run.requests.len(), 6);
    assert!(
        run.requests
            .iter()
            .all(|r| r.outcome.source == "automation")
    );
    assert_eq!(core.metrics(TimeRange::All).unwrap().total_queries, 6);
    let missing = Client::from_data_dir(&dir.path().join("nowhere"))
        .err()
        .unwrap();
    assert!(
        missing.to_string().contains("DATAGATA_AUTOMATION=1"),
        "{missing}"
    );
}
