//! The engine with the real worker process and a real model (SmolLM2-135M, which scripts/setup
//! puts in `DATAGATA_MODELS_DIR`): streaming, the SQL grammar (every generation parses in DuckDB),
//! Stop, a killed worker replaced on the next question, the timeout. Skipped, saying so, only
//! where the model file is absent (plain `cargo test` without scripts/setup).

use std::{
    path::PathBuf,
    sync::{Mutex, MutexGuard},
    time::Duration,
};

use super::*;
use crate::data::Database;

pub const GGUF: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// One test at a time talks to a model: two workers would halve each other's cores.
static MODEL_LOCK: Mutex<()> = Mutex::new(());

/// The test model, when scripts/setup has put it in place.
pub fn test_model() -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os("DATAGATA_MODELS_DIR")?).join(GGUF);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("skipped: {} is missing (run scripts/setup)", path.display());
        None
    }
}

/// The `datagata` binary cargo built beside this test binary (the worker's program).
pub fn app_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    dir.join("datagata")
}

pub fn engine() -> Engine {
    let engine = Engine::new();
    engine.set_program(app_binary());
    engine
}

pub fn serial() -> MutexGuard<'static, ()> {
    MODEL_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn request(question: &str, grammar: Option<String>, max_tokens: u32) -> GenerateRequest {
    GenerateRequest {
        messages: vec![
            (
                "system".into(),
                "Write one DuckDB SQL query over table taxi. Return only SQL.".into(),
            ),
            ("user".into(), question.into()),
        ],
        grammar,
        max_tokens,
        temperature: 0.0,
        repeat_penalty: 1.15,
        seed: 1,
    }
}

/// A two-token generation (loads the model, or checks a worker answers).
fn hi(engine: &Engine, model: &std::path::Path) -> Generated {
    engine
        .generate(
            model,
            request("Hi", None, 2),
            &mut |_| {},
            &StopFlag::default(),
            Duration::from_secs(120),
        )
        .unwrap()
}

#[test]
fn streams_tokens_and_reports_its_work() {
    let Some(model) = test_model() else { return };
    let _one = serial();
    let engine = engine();
    assert!(!engine.status().loaded);
    let mut pieces = Vec::new();
    let out = engine
        .generate(
            &model,
            request("Say hello.", None, 12),
            &mut |t| pieces.push(t.to_string()),
            &StopFlag::default(),
            Duration::from_secs(120),
        )
        .unwrap();
    assert!(!out.stopped);
    assert!(out.output_tokens > 0 && out.output_tokens <= 12, "{out:?}");
    assert_eq!(pieces.concat(), out.text);
    assert!(out.prompt_tokens > 10, "{out:?}");
    assert!(out.ttft_ms.unwrap() <= out.generation_ms);
    let status = engine.status();
    assert!(status.loaded && status.backend == "CPU", "{status:?}");
    let label = status.backend_label.as_deref().unwrap_or_default();
    assert!(
        label.starts_with("CPU (") && label.ends_with(')'),
        "{status:?}"
    );
    // A `cpu-variants` worker loaded the best CPU kernels this machine runs (AMX left out).
    #[cfg(all(feature = "cpu-variants", target_arch = "x86_64"))]
    {
        use std::arch::is_x86_feature_detected as has;
        let avx512 = has!("avx512f")
            && has!("avx512cd")
            && has!("avx512vl")
            && has!("avx512dq")
            && has!("avx512bw");
        let want = if avx512 {
            "AVX-512"
        } else if has!("avx2") && has!("fma") && has!("f16c") && has!("bmi2") {
            "AVX2"
        } else {
            "("
        };
        assert!(label.contains(want), "{label} on a CPU with {want}");
    }
    assert!(status.load_ms.is_some());
    engine.shutdown();
    assert!(!engine.status().loaded);
}

#[test]
fn under_the_grammar_every_generation_parses_in_duckdb() {
    let Some(model) = test_model() else { return };
    let _one = serial();
    let db = Database::in_memory(&std::env::temp_dir()).unwrap();
    db.generate(200, 1).unwrap();
    let tables = db.schema(datagata_ipc::data::QueryTarget::Local).unwrap();
    let engine = engine();
    let questions = crate::traffic::QUESTIONS;
    let extra = [
        "How many trips are there?",
        "What is the highest fare?",
        "Average tip per passenger count?",
        "Which vendor has the most trips?",
        "Total tolls by payment type?",
    ];
    let all: Vec<&str> = questions.iter().map(|q| q.text).chain(extra).collect();
    let mut parsed = 0;
    // 12 here (CI's time); `datagata accuracy` runs the full 50 and the README has its count.
    for i in 0..12 {
        let q = all[i % all.len()];
        let named = grammar::columns_named(&tables, q);
        let mut r = request(q, Some(grammar::sql_grammar(&tables, &named)), 400);
        r.temperature = [0.0, 0.6][i % 2];
        r.seed = i as u32;
        let out = engine
            .generate(
                &model,
                r,
                &mut |_| {},
                &StopFlag::default(),
                Duration::from_secs(120),
            )
            .unwrap();
        let sql = out.text.trim();
        let conn = db.conn().unwrap();
        // json_serialize_sql parses without binding (DuckDB's own parser).
        let literal = format!("'{}'", sql.replace('\'', "''"));
        let error: String = conn
            .query_row(
                &format!("SELECT json_extract_string(json_serialize_sql({literal}), '$.error')"),
                [],
                |r| r.get::<_, Option<String>>(0),
            )
            .unwrap()
            .unwrap_or_else(|| "false".into());
        assert_eq!(
            error, "false",
            "generation {i} for {q:?} does not parse: {sql}"
        );
        parsed += 1;
    }
    assert_eq!(parsed, 12);
}

#[test]
fn stop_ends_a_generation_with_what_it_wrote() {
    let Some(model) = test_model() else { return };
    let _one = serial();
    let engine = engine();
    let stop = StopFlag::default();
    let mut seen = 0;
    let out = engine
        .generate(
            &model,
            request("Write a long story about taxis.", None, 400),
            &mut |_| {
                seen += 1;
                if seen == 3 {
                    stop.stop();
                }
            },
            &stop,
            Duration::from_secs(120),
        )
        .unwrap();
    assert!(out.stopped, "{out:?}");
    assert!(out.output_tokens < 400, "{out:?}");
}

#[test]
fn a_killed_worker_fails_its_question_and_the_next_one_gets_a_new_worker() {
    let Some(model) = test_model() else { return };
    let _one = serial();
    let engine = std::sync::Arc::new(engine());
    // Load first, so the kill lands during a generation.
    hi(&engine, &model);
    let pid = engine.worker_pid().unwrap();
    let mut killed = false;
    let err = engine
        .generate(
            &model,
            request("Write a long story about taxis.", None, 400),
            &mut |_| {
                if !killed {
                    // SAFETY: kill(2) on our own child; no memory is touched.
                    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                    killed = true;
                }
            },
            &StopFlag::default(),
            Duration::from_secs(120),
        )
        .unwrap_err();
    assert!(matches!(err, EngineError::WorkerDied { .. }), "{err}");
    assert!(err.to_string().contains("worker"), "{err}");
    let again = hi(&engine, &model);
    assert!(again.output_tokens > 0);
    assert_ne!(engine.worker_pid(), Some(pid));
}

#[test]
fn a_generation_past_its_time_is_stopped_and_fails() {
    let Some(model) = test_model() else { return };
    let _one = serial();
    let engine = engine();
    let err = engine
        .generate(
            &model,
            request("Write a long story about taxis.", None, 2000),
            &mut |_| {},
            &StopFlag::default(),
            Duration::from_millis(300),
        )
        .unwrap_err();
    assert!(matches!(err, EngineError::Timeout { .. }), "{err}");
    assert!(matches!(
        engine.generate(
            std::path::Path::new("/no/such.gguf"),
            request("Hi", None, 2),
            &mut |_| {},
            &StopFlag::default(),
            Duration::from_secs(5),
        ),
        Err(EngineError::NoModel(_))
    ));
}
