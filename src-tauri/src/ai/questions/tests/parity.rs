//! The parity test: one question, one profile, one provider through every way in — the window
//! (`ask_ai`), `datagata ask` (`ask_headless`), `datagata traffic` (its `Asker`) and the
//! automation endpoint (real HTTP on 127.0.0.1) — stores `query-completed` events of the same
//! shape with the same fields; only the source and the timings differ.

use std::sync::Arc;

use datagata_ipc::{
    DeviceType, Profile, Tier,
    ai::{AskRequest, ProviderChoice},
};
use serde_json::{Value, json};

use super::{HeadlessAsk, Source};
use crate::{Core, traffic::Asker};

/// What must be equal whoever asked (the rest is the source and machine time).
const SAME: [&str; 13] = [
    "provider",
    "configKey",
    "variationKey",
    "question",
    "generation",
    "reason",
    "success",
    "inputTokens",
    "outputTokens",
    "costUsd",
    "runtime",
    "model",
    "attempt",
];

fn premium() -> Profile {
    Profile {
        email: "parity@example.com".into(),
        tier: Tier::Premium,
        device_type_override: Some(DeviceType::Desktop),
        ..Profile::default()
    }
}

fn completed_events(core: &Core) -> Vec<Value> {
    let mut events: Vec<Value> = core
        .events()
        .recent(100)
        .unwrap()
        .into_iter()
        .filter(|e| e.key == crate::metrics::QUERY_COMPLETED)
        .map(|e| e.data)
        .collect();
    events.reverse(); // oldest first
    events
}

#[tokio::test(flavor = "multi_thread")]
async fn every_way_in_records_the_same_event() {
    let core = crate::test_core();
    core.data().generate(2_000, 1).unwrap();
    core.set_profile(premium()).unwrap();
    let core = Arc::new(core);
    let question = &crate::traffic::QUESTIONS[0];

    // The window.
    let window = core.ask_ai(
        &AskRequest {
            question: question.text.into(),
            choice: ProviderChoice::Local,
            retry_of: None,
        },
        &mut |_| {},
    );
    assert!(window.is_err(), "no WebGPU and no model file here");
    // `datagata ask`.
    let cli = core
        .ask_headless(&HeadlessAsk {
            question: question.text,
            profile: None,
            choice: Some(ProviderChoice::Local),
            reference_sql: None,
            source: Source::Cli,
        })
        .unwrap();
    assert!(cli.error.is_some());
    // `datagata traffic`.
    Asker::ask(&*core, &premium(), question).unwrap();
    // The automation endpoint.
    let dir = tempfile::tempdir().unwrap();
    let endpoint = crate::automation::serve(core.clone(), dir.path())
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/api/ai-query", endpoint.port))
        .bearer_auth(&endpoint.token)
        .json(&json!({ "query": question.text, "profile": premium() }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let events = completed_events(&core);
    assert_eq!(events.len(), 4, "{events:#?}");
    let sources: Vec<&str> = events
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["app", "cli", "traffic", "automation"]);
    let keys = |e: &Value| {
        let mut k: Vec<String> = e.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let first = &events[0];
    assert_eq!(first["generation"], "unavailable");
    assert_eq!(first["runtime"], "llama.cpp");
    assert!(
        first["reason"]
            .as_str()
            .unwrap()
            .contains("no GGUF model file"),
        "{first}"
    );
    for e in &events[1..] {
        assert_eq!(keys(e), keys(first), "{e} vs {first}");
        for field in SAME {
            assert_eq!(e[field], first[field], "{field}: {e} vs {first}");
        }
    }
    // Traffic ran the question's reference SQL so the data path is measured; the others had
    // none: that is the only difference in what ran.
    assert_eq!(events[2]["rows"], 1);
}

/// With the real model: the window and `datagata ask` get their SQL from the native engine,
/// and record the same event with the runtime, backend and model.
#[test]
fn the_native_engine_answers_the_window_and_the_cli_alike() {
    let Some(model) = crate::ai::engine::tests::test_model() else {
        return;
    };
    let _one = crate::ai::engine::tests::serial();
    let core = crate::test_core();
    core.data().generate(2_000, 1).unwrap();
    core.set_profile(premium()).unwrap();
    let own = tempfile::tempdir().unwrap();
    core.gguf_files()
        .set_dirs(own.path(), vec![model.parent().unwrap().to_path_buf()]);
    core.native()
        .engine()
        .set_program(crate::ai::engine::tests::app_binary());
    let question = "How many trips are there?";
    let mut streamed = String::new();
    let prepared = core
        .ask_ai(
            &AskRequest {
                question: question.into(),
                choice: ProviderChoice::Local,
                retry_of: None,
            },
            &mut |t| streamed.push_str(t),
        )
        .unwrap();
    let datagata_ipc::ai::Generation::Sql { sql, generation_ms } = &prepared.generation else {
        panic!("the native engine writes the SQL in the backend: {prepared:?}")
    };
    assert!(*generation_ms > 0.0);
    assert_eq!(
        super::extract_sql(&streamed),
        *sql,
        "the tokens streamed are the SQL"
    );
    let answer = core
        .run_answer(&datagata_ipc::ai::RunAnswerRequest {
            question_id: prepared.question_id.clone(),
            sql: sql.clone(),
        })
        .unwrap();
    assert_eq!(answer.runtime.as_deref(), Some("llama.cpp"));
    assert_eq!(answer.backend.as_deref(), Some("CPU"));
    // A second Run of the same question is refused: asking again is a new question.
    assert!(
        core.run_answer(&datagata_ipc::ai::RunAnswerRequest {
            question_id: prepared.question_id.clone(),
            sql: sql.clone(),
        })
        .is_err()
    );
    let cli = core
        .ask_headless(&HeadlessAsk {
            question,
            profile: None,
            choice: Some(ProviderChoice::Local),
            reference_sql: None,
            source: Source::Cli,
        })
        .unwrap();
    assert!(cli.sql.is_some());
    let events = completed_events(&core);
    let (window, headless) = (&events[0], events.last().unwrap());
    for field in [
        "provider",
        "configKey",
        "variationKey",
        "question",
        "runtime",
        "backend",
        "model",
    ] {
        assert_eq!(window[field], headless[field], "{field}");
    }
    assert_eq!(window["generation"], "ok");
    assert_eq!(window["model"], crate::ai::native::DEFAULT_GGUF);
    assert!(window["outputTokens"].as_u64().unwrap() > 0);
    // Machine time: the generation plus the query, nothing else.
    let latency = window["latencyMs"].as_f64().unwrap();
    let parts =
        window["generationMs"].as_f64().unwrap() + window["queryMs"].as_f64().unwrap_or(0.0);
    assert!((latency - parts).abs() < 1e-6, "{window}");
    core.native().engine().shutdown();
}
