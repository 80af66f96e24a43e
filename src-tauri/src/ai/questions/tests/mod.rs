//! The AI panel's flow on a test core: options and their reasons, the local prompt, WebLLM's
//! reply reported back, answers, the one retry, feedback, and the events each step records.

use datagata_ipc::{
    DeviceType, GpuAdapter, Profile, Tier, WebGpuReport,
    ai::{
        AskRequest, FailedAttempt, FeedbackRequest, Generation, LocalFailure, LocalGeneration,
        ProviderChoice, RunAnswerRequest, RuntimePin,
    },
};

use super::*;
use crate::test_core;

fn premium_with_webgpu(f16: bool) -> Core {
    let core = test_core();
    core.data().generate(3_000, 1).unwrap();
    core.set_profile(Profile {
        tier: Tier::Premium,
        device_type_override: Some(DeviceType::Desktop),
        ..Profile::default()
    })
    .unwrap();
    core.report_webgpu(WebGpuReport {
        api_present: true,
        adapter: Some(GpuAdapter {
            vendor: "google".into(),
            architecture: "swiftshader".into(),
            features: if f16 {
                vec!["shader-f16".into()]
            } else {
                vec![]
            },
            ..Default::default()
        }),
        problem: None,
        user_agent: "test".into(),
    });
    core
}

fn keys(core: &Core) -> Vec<String> {
    core.events()
        .recent(100)
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect()
}

#[test]
fn sql_comes_out_of_a_models_reply() {
    assert_eq!(extract_sql("SELECT 1;"), "SELECT 1");
    assert_eq!(
        extract_sql("Here you go:\n```sql\nSELECT count(*) FROM taxi;\n```\nEnjoy"),
        "SELECT count(*) FROM taxi"
    );
    assert_eq!(extract_sql("```\nFROM taxi\n```"), "FROM taxi");
    assert_eq!(extract_sql("  "), "");
    assert_eq!(
        local_model_for("Llama-3.2-3B-Instruct-q4f16_1-MLC", false),
        "Llama-3.2-3B-Instruct-q4f32_1-MLC"
    );
    assert_eq!(
        local_model_for("Llama-3.2-3B-Instruct-q4f16_1-MLC", true),
        "Llama-3.2-3B-Instruct-q4f16_1-MLC"
    );
}

#[test]
fn a_trial_user_on_this_linux_webview_sees_why_neither_provider_can_answer() {
    let core = test_core();
    let panel = core.ai_panel().unwrap();
    assert_eq!(panel.variation_key, "motherduck-ai");
    assert_eq!(panel.default_choice, ProviderChoice::Cloud);
    assert_eq!(panel.chosen, ProviderChoice::Cloud);
    let local = &panel.options[0];
    assert!(!local.available && !local.selectable);
    assert!(
        local
            .reason
            .as_deref()
            .unwrap()
            .starts_with("webllm-access is off for you"),
        "{local:?}"
    );
    let cloud = &panel.options[1];
    assert!(!cloud.available && cloud.selectable);
    assert!(
        cloud
            .reason
            .as_deref()
            .unwrap()
            .contains("MOTHERDUCK_TOKEN"),
        "{cloud:?}"
    );
    let err = core
        .ask_ai(
            &AskRequest {
                question: "How many trips?".into(),
                choice: ProviderChoice::Cloud,
                retry_of: None,
            },
            &mut |_| {},
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("motherduck-ai is not available: MotherDuck is not connected"),
        "{err}"
    );
    // The flags do not let a trial user pick local: refused with their reason, nothing saved.
    let err = core
        .set_provider_choice(ProviderChoice::Local)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("webllm cannot be chosen: webllm-access is off for you"),
        "{err}"
    );
    assert_eq!(core.ai.choice(), None);
    // A choice saved when the flags allowed it falls back once they no longer do.
    core.restore_provider_choice(Some(ProviderChoice::Local));
    assert_eq!(core.ai_panel().unwrap().chosen, ProviderChoice::Cloud);
}

#[test]
fn premium_on_a_webview_without_webgpu_is_told_which_platforms_have_it() {
    let core = test_core();
    core.set_profile(Profile {
        tier: Tier::Premium,
        device_type_override: Some(DeviceType::Desktop),
        ..Profile::default()
    })
    .unwrap();
    core.report_webgpu(WebGpuReport {
        api_present: false,
        adapter: None,
        problem: Some("navigator.gpu is undefined".into()),
        user_agent: "WebKitGTK".into(),
    });
    let panel = core.ai_panel().unwrap();
    assert_eq!(panel.default_choice, ProviderChoice::Local);
    assert_eq!(
        panel.chosen,
        ProviderChoice::Local,
        "offered by the flags: stays the choice while WebGPU is missing"
    );
    assert!(panel.options[0].selectable && !panel.options[0].available);
    let reason = panel.options[0].reason.clone().unwrap();
    assert!(
        reason.contains("no WebGPU") && reason.contains("WebView2") && reason.contains("macOS 26"),
        "{reason}"
    );
}

#[test]
fn a_local_question_runs_through_webllms_reply_and_is_tracked() {
    let core = premium_with_webgpu(false);
    let panel = core.ai_panel().unwrap();
    assert!(panel.options[0].available, "{:?}", panel.options[0]);
    assert_eq!(panel.chosen, ProviderChoice::Local);
    assert_eq!(
        panel.local_model, "Llama-3.2-3B-Instruct-q4f32_1-MLC",
        "no shader-f16: the f32 build"
    );
    let prepared = core
        .ask_ai(
            &AskRequest {
                question: "How many trips are there?".into(),
                choice: ProviderChoice::Local,
                retry_of: None,
            },
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(prepared.variation_key, "webllm");
    let Generation::LocalPrompt {
        model,
        messages,
        max_tokens,
        temperature,
        grammar,
    } = &prepared.generation
    else {
        panic!("not a local prompt: {prepared:?}")
    };
    assert_eq!(model, "Llama-3.2-3B-Instruct-q4f32_1-MLC");
    // WebLLM gets the same SQL grammar from the live schema as the native engine.
    let grammar = grammar.as_deref().expect("a grammar for WebLLM");
    assert_eq!(grammar, core.sql_grammar_for("How many trips are there?").1);
    assert!(
        grammar.starts_with("root ::= ") && grammar.contains("taxi"),
        "{grammar}"
    );
    assert_eq!((*max_tokens, *temperature), (Some(500), Some(0.6)));
    assert!(messages.iter().any(
        |m| m.content.contains("taxi(") && m.content.contains("tpep_pickup_datetime TIMESTAMP")
    ));
    assert!(
        messages
            .last()
            .unwrap()
            .content
            .ends_with("NYC taxi data: How many trips are there?")
    );

    let sql = core
        .local_generated(&LocalGeneration {
            question_id: prepared.question_id.clone(),
            text: "```sql\nSELECT count(*) AS trips FROM taxi;\n```".into(),
            generation_ms: 850.0,
            time_to_first_token_ms: Some(120.0),
            input_tokens: Some(300),
            output_tokens: Some(12),
        })
        .unwrap();
    assert_eq!(sql, "SELECT count(*) AS trips FROM taxi");
    let answer = core
        .run_answer(&RunAnswerRequest {
            question_id: prepared.question_id.clone(),
            sql,
        })
        .unwrap();
    assert!(answer.error.is_none());
    assert_eq!(
        answer
            .result
            .as_ref()
            .unwrap()
            .column("trips")
            .unwrap()
            .values
            .display(0),
        "3000"
    );
    assert_eq!(
        (
            answer.provider.as_str(),
            answer.input_tokens,
            answer.cost_usd
        ),
        ("webllm", Some(300), 0.0)
    );
    core.ai_feedback(&FeedbackRequest {
        question_id: prepared.question_id.clone(),
        positive: true,
    })
    .unwrap();

    let keys = keys(&core);
    for key in [
        "$ld:ai:generation:success",
        "$ld:ai:duration:total",
        "$ld:ai:tokens:ttf",
        "$ld:ai:tokens:input",
        "$ld:ai:tokens:output",
        "$ld:ai:tokens:total",
        "query-completed",
        "$ld:ai:feedback:user:positive",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
    }
    let events = core.events().recent(100).unwrap();
    let total = events
        .iter()
        .find(|e| e.key == "$ld:ai:tokens:total")
        .unwrap();
    assert_eq!(total.metric_value, Some(312.0));
    assert_eq!(total.data["variationKey"], "webllm");
    assert_eq!(total.data["configKey"], "ai-config");
    let completed = events.iter().find(|e| e.key == "query-completed").unwrap();
    assert_eq!(completed.data["success"], true);
    assert_eq!(completed.data["provider"], "webllm");
    assert_eq!(completed.data["rows"], 1);
}

#[test]
fn failed_sql_can_be_retried_once_with_the_error_fed_back() {
    let core = premium_with_webgpu(true);
    let ask = |retry_of| {
        core.ask_ai(
            &AskRequest {
                question: "Average fare?".into(),
                choice: ProviderChoice::Local,
                retry_of,
            },
            &mut |_| {},
        )
        .unwrap()
    };
    let first = ask(None);
    let answer = core
        .run_answer(&RunAnswerRequest {
            question_id: first.question_id.clone(),
            sql: "SELECT avg(fare) FROM taxi".into(),
        })
        .unwrap();
    let error = answer.error.clone().unwrap();
    assert!(answer.can_retry && answer.result.is_none(), "{answer:?}");
    let second = ask(Some(FailedAttempt {
        sql: answer.sql.clone(),
        error: error.clone(),
    }));
    let Generation::LocalPrompt { messages, .. } = &second.generation else {
        panic!()
    };
    assert!(messages.last().unwrap().content.contains(&error));
    let again = core
        .run_answer(&RunAnswerRequest {
            question_id: second.question_id.clone(),
            sql: "DROP TABLE taxi".into(),
        })
        .unwrap();
    assert!(again.error.unwrap().starts_with("refused"));
    assert!(!again.can_retry, "only one retry");
}

#[test]
fn a_stopped_generation_is_recorded_and_the_choice_goes_into_the_context() {
    let core = premium_with_webgpu(true);
    let prepared = core
        .ask_ai(
            &AskRequest {
                question: "Busiest hour?".into(),
                choice: ProviderChoice::Local,
                retry_of: None,
            },
            &mut |_| {},
        )
        .unwrap();
    core.local_failed(&LocalFailure {
        question_id: prepared.question_id.clone(),
        error: "stopped by you".into(),
        stopped: true,
    })
    .unwrap();
    let completed = core
        .events()
        .recent(10)
        .unwrap()
        .into_iter()
        .find(|e| e.key == "query-completed")
        .unwrap();
    assert_eq!(completed.data["generation"], "stopped");
    assert!(
        core.run_answer(&RunAnswerRequest {
            question_id: prepared.question_id,
            sql: "SELECT 1".into()
        })
        .is_err()
    );

    // Cloud cannot answer here (no token) but the flags allow it: the choice stands, with why.
    let panel = core.set_provider_choice(ProviderChoice::Cloud).unwrap();
    assert_eq!(panel.chosen, ProviderChoice::Cloud);
    assert!(panel.options[1].selectable && !panel.options[1].available);
    let ctx = serde_json::to_value(core.context(None).unwrap()).unwrap();
    assert_eq!(ctx["session"]["aiProviderChoice"], "cloud");
    assert!(
        core.ask_ai(
            &AskRequest {
                question: " ".into(),
                choice: ProviderChoice::Local,
                retry_of: None
            },
            &mut |_| {}
        )
        .is_err()
    );
}

#[test]
fn past_the_limit_the_oldest_unanswered_question_is_abandoned() {
    let core = premium_with_webgpu(true);
    let ids: Vec<String> = (0..=MAX_PENDING)
        .map(|i| {
            core.ask_ai(
                &AskRequest {
                    question: format!("Question {i}?"),
                    choice: ProviderChoice::Local,
                    retry_of: None,
                },
                &mut |_| {},
            )
            .unwrap()
            .question_id
        })
        .collect();
    let run = |id: &String| {
        core.run_answer(&RunAnswerRequest {
            question_id: id.clone(),
            sql: "SELECT 1".into(),
        })
    };
    assert!(run(&ids[0]).is_err(), "the first question was abandoned");
    assert!(run(&ids[1]).is_ok());
    assert!(run(ids.last().unwrap()).is_ok());
}

mod parity;

#[test]
fn a_pinned_runtime_wins_and_the_panel_says_why() {
    // WebGPU here: auto takes WebLLM; pinned native, the native engine (no GGUF: it says so).
    let core = premium_with_webgpu(true);
    let panel = core.ai_panel().unwrap();
    assert_eq!(
        (panel.runtime_pin, panel.local_runtime),
        (RuntimePin::Auto, LocalRuntime::WebLlm)
    );
    let panel = core.set_runtime_pin(RuntimePin::Native).unwrap();
    assert_eq!(
        (panel.runtime_pin, panel.local_runtime),
        (RuntimePin::Native, LocalRuntime::LlamaCpp)
    );
    assert!(
        panel
            .local_runtime_reason
            .contains("you pinned the native llama.cpp engine"),
        "{}",
        panel.local_runtime_reason
    );
    let reason = panel.options[0].reason.clone().unwrap();
    assert!(
        reason.starts_with("the native engine cannot run: no GGUF model file"),
        "{reason}"
    );
    let asked = core.ask_ai(
        &AskRequest {
            question: "How many trips are there?".into(),
            choice: ProviderChoice::Local,
            retry_of: None,
        },
        &mut |_| {},
    );
    let Err(CoreError::Unanswered {
        error: AiError::Unavailable { reason, .. },
        completed,
        ..
    }) = asked
    else {
        panic!(
            "the route honours the pin: {:?}",
            asked.map(|p| p.generation)
        )
    };
    assert!(reason.contains("native engine cannot run"), "{reason}");
    assert_eq!(completed.runtime.as_deref(), Some("llama.cpp"));

    // No WebGPU: pinned WebLLM cannot answer and says what would.
    let core = test_core();
    core.set_profile(Profile {
        tier: Tier::Premium,
        device_type_override: Some(DeviceType::Desktop),
        ..Profile::default()
    })
    .unwrap();
    let panel = core.set_runtime_pin(RuntimePin::WebLlm).unwrap();
    assert_eq!(panel.local_runtime, LocalRuntime::WebLlm);
    let reason = panel.options[0].reason.clone().unwrap();
    assert!(
        reason.starts_with("you pinned WebLLM, but no WebView has reported WebGPU")
            && reason.ends_with("or pin the native engine (or auto)"),
        "{reason}"
    );
}

#[test]
fn auto_takes_webllm_with_webgpu_else_the_native_engine() {
    let (route, why, problem) = route_for(RuntimePin::Auto, Some(Ok(())), None);
    assert_eq!((route, problem), (Route::WebLlm, None));
    assert!(why.contains("WebGPU"), "{why}");
    let (route, why, problem) = route_for(RuntimePin::Auto, Some(Err("no adapter".into())), None);
    assert_eq!((route, problem), (Route::Native, None));
    assert_eq!(
        why,
        "this WebView has no WebGPU (no adapter), so the native llama.cpp engine answers on this machine"
    );
    let (route, _, problem) = route_for(
        RuntimePin::Auto,
        Some(Err("no adapter".into())),
        Some("no GGUF".into()),
    );
    assert_eq!(route, Route::Native);
    assert!(
        problem
            .unwrap()
            .contains("the native engine cannot run: no GGUF")
    );
    let (route, why, problem) = route_for(RuntimePin::Native, Some(Ok(())), None);
    assert_eq!((route, problem), (Route::Native, None));
    assert!(why.contains("although the WebView has WebGPU"), "{why}");
}
