//! Table tests: every rule, individual target and segment of `flags/default.json`, evaluated by
//! the SDK's `Client` over the embedded source.

use super::*;
use crate::context::{self, Session, test_device as device};
use datagata_ipc::{DeviceType, Organization, Profile, Role, Tier};
use serde_json::json;

fn session(id: &str) -> Session {
    Session {
        id: id.into(),
        started_at: chrono::Utc::now(),
        region: "US-EAST".into(),
        ai_provider: None,
    }
}

fn ctx(email: &str, tier: Tier, role: Option<Role>, device_type: DeviceType) -> Context {
    let profile = Profile {
        email: email.into(),
        tier,
        role,
        ..Profile::default()
    };
    context::build(&profile, &device(device_type), &session("s-1"), None).unwrap()
}

fn flags() -> Flags {
    Flags::open(&FlagSource::Embedded).unwrap()
}

/// (value, variation index, reason kind, rule index when a rule matched)
fn answer(f: &Flags, c: &Context, key: &str) -> (Value, Option<i64>, String, Option<i64>) {
    let e = f.evaluate(c, key);
    (
        e.value,
        e.variation_index,
        e.reason["kind"].as_str().unwrap_or_default().to_string(),
        e.reason["ruleIndex"].as_i64(),
    )
}

use DeviceType::{Desktop, Laptop, Mobile, Tablet};
use Tier::{Premium, Starter, Trial};

#[test]
fn ai_query_provider() {
    let f = flags();
    let webllm = json!({"provider": "webllm", "model": "Llama-3.2-3B-Instruct-q4f16_1-MLC"});
    let motherduck = json!({"provider": "motherduck-ai", "model": "gpt-4"});
    let cases = [
        ("p@x.com", Premium, Desktop, &webllm, "RULE_MATCH", Some(0)),
        ("p@x.com", Premium, Mobile, &webllm, "RULE_MATCH", Some(0)),
        (
            "s@x.com",
            Starter,
            Desktop,
            &motherduck,
            "RULE_MATCH",
            Some(1),
        ),
        ("t@x.com", Trial, Desktop, &motherduck, "FALLTHROUGH", None),
        (
            "demo@example.com",
            Trial,
            Mobile,
            &webllm,
            "TARGET_MATCH",
            None,
        ),
        (
            "test@example.com",
            Premium,
            Desktop,
            &motherduck,
            "TARGET_MATCH",
            None,
        ),
    ];
    for (email, tier, dev, want, reason, rule) in cases {
        let (value, _, kind, rule_index) =
            answer(&f, &ctx(email, tier, None, dev), "ai-query-provider");
        assert_eq!(
            (&value, kind.as_str(), rule_index),
            (want, reason, rule),
            "{email} {tier:?} {dev:?}"
        );
    }
}

#[test]
fn tier_gated_features() {
    let f = flags();
    for key in ["pivot-table-access", "data-materialization"] {
        let cases = [
            ("t@x.com", Trial, false, "FALLTHROUGH"),
            ("s@x.com", Starter, true, "RULE_MATCH"),
            ("p@x.com", Premium, true, "RULE_MATCH"),
            ("demo@example.com", Trial, true, "TARGET_MATCH"),
            ("test@example.com", Trial, true, "TARGET_MATCH"),
        ];
        for (email, tier, want, reason) in cases {
            let c = ctx(email, tier, None, Mobile);
            let (value, _, kind, _) = answer(&f, &c, key);
            assert_eq!(
                (value, kind.as_str()),
                (json!(want), reason),
                "{key} {email} {tier:?}"
            );
            assert_eq!(f.bool_flag(&c, key), want);
        }
    }
}

#[test]
fn webllm_access() {
    let f = flags();
    let cases = [
        // Individual target, whatever the tier and device.
        (
            "beta@example.com",
            Trial,
            None,
            Mobile,
            true,
            "TARGET_MATCH",
            None,
        ),
        (
            "demo@example.com",
            Trial,
            None,
            Tablet,
            true,
            "TARGET_MATCH",
            None,
        ),
        // power-users segment (premium analyst) on a desktop-class machine: rule 0.
        (
            "a@x.com",
            Premium,
            Some(Role::Analyst),
            Desktop,
            true,
            "RULE_MATCH",
            Some(0),
        ),
        (
            "a@x.com",
            Premium,
            Some(Role::Analyst),
            Laptop,
            true,
            "RULE_MATCH",
            Some(0),
        ),
        // Premium on desktop or laptop: rule 1.
        (
            "b@x.com",
            Premium,
            Some(Role::Admin),
            Desktop,
            true,
            "RULE_MATCH",
            Some(1),
        ),
        (
            "b@x.com",
            Premium,
            None,
            Laptop,
            true,
            "RULE_MATCH",
            Some(1),
        ),
        // Not desktop-class, or not premium: off.
        (
            "a@x.com",
            Premium,
            Some(Role::Analyst),
            Mobile,
            false,
            "FALLTHROUGH",
            None,
        ),
        ("b@x.com", Premium, None, Tablet, false, "FALLTHROUGH", None),
        (
            "c@x.com",
            Starter,
            Some(Role::Analyst),
            Desktop,
            false,
            "FALLTHROUGH",
            None,
        ),
        ("d@x.com", Trial, None, Desktop, false, "FALLTHROUGH", None),
    ];
    for (email, tier, role, dev, want, reason, rule) in cases {
        let (value, _, kind, rule_index) =
            answer(&f, &ctx(email, tier, role, dev), "webllm-access");
        assert_eq!(
            (value, kind.as_str(), rule_index),
            (json!(want), reason, rule),
            "{email} {tier:?} {role:?} {dev:?}"
        );
    }
}

fn variation_key(value: &Value) -> &str {
    value["_ldMeta"]["variationKey"]
        .as_str()
        .unwrap_or_default()
}

#[test]
fn ai_config_variations_and_targets() {
    let f = flags();
    let cases = [
        ("p@x.com", Premium, Desktop, "webllm", "RULE_MATCH", Some(0)),
        ("p@x.com", Premium, Laptop, "webllm", "RULE_MATCH", Some(0)),
        (
            "p@x.com",
            Premium,
            Mobile,
            "motherduck-ai",
            "FALLTHROUGH",
            None,
        ),
        (
            "s@x.com",
            Starter,
            Tablet,
            "motherduck-ai",
            "FALLTHROUGH",
            None,
        ),
        (
            "t@x.com",
            Trial,
            Desktop,
            "motherduck-ai",
            "FALLTHROUGH",
            None,
        ),
        (
            "demo@example.com",
            Trial,
            Mobile,
            "webllm",
            "TARGET_MATCH",
            None,
        ),
        (
            "test@example.com",
            Premium,
            Desktop,
            "motherduck-ai",
            "TARGET_MATCH",
            None,
        ),
    ];
    for (email, tier, dev, want, reason, rule) in cases {
        let (value, _, kind, rule_index) = answer(&f, &ctx(email, tier, None, dev), "ai-config");
        assert_eq!(
            (variation_key(&value), kind.as_str(), rule_index),
            (want, reason, rule),
            "{email} {tier:?} {dev:?}"
        );
    }
    // The variations carry the AI Config's model, parameters, provider and template.
    let (webllm, ..) = answer(&f, &ctx("p@x.com", Premium, None, Desktop), "ai-config");
    assert_eq!(webllm["model"]["name"], "Llama-3.2-3B-Instruct-q4f16_1-MLC");
    assert_eq!(
        webllm["model"]["parameters"],
        json!({"maxTokens": 500, "temperature": 0.6})
    );
    assert_eq!(webllm["provider"]["name"], "webllm");
    assert_eq!(webllm["_ldMeta"]["enabled"], true);
    let (cloud, ..) = answer(&f, &ctx("t@x.com", Trial, None, Desktop), "ai-config");
    assert_eq!(cloud["model"]["name"], "gpt-4-turbo");
    assert_eq!(
        cloud["model"]["parameters"],
        json!({"maxTokens": 1000, "temperature": 0.7})
    );
    for value in [&webllm, &cloud] {
        let messages = value["messages"].as_array().unwrap();
        assert!(
            messages
                .iter()
                .any(|m| m["content"].as_str().unwrap().contains("{{query}}"))
        );
    }
}

#[test]
fn starter_desktop_rollout_is_ten_percent_and_sticky() {
    let f = flags();
    let n = 10_000;
    let mut webllm = 0;
    for i in 0..n {
        let profile = Profile {
            email: format!("starter-{i}@example.com"),
            tier: Starter,
            role: None,
            ..Profile::default()
        };
        let c = context::build(
            &profile,
            &device(Desktop),
            &session(&format!("session-{i}")),
            None,
        )
        .unwrap();
        let e = f.evaluate(&c, "ai-config");
        assert_eq!(e.reason["kind"], "RULE_MATCH");
        assert_eq!(e.reason["ruleIndex"], 1);
        if variation_key(&e.value) == "webllm" {
            webllm += 1;
        }
    }
    let share = webllm as f64 / n as f64 * 100.0;
    assert!(
        (8.5..=11.5).contains(&share),
        "webllm share {share}% over {n} contexts"
    );

    // Bucketed by the user: the same person gets the same answer in every session.
    let profile = Profile {
        email: "sticky@example.com".into(),
        tier: Starter,
        ..Profile::default()
    };
    let answers: Vec<String> = (0..20)
        .map(|i| {
            let c = context::build(&profile, &device(Desktop), &session(&format!("s{i}")), None)
                .unwrap();
            variation_key(&f.evaluate(&c, "ai-config").value).to_string()
        })
        .collect();
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
}

#[test]
fn org_less_and_org_contexts_evaluate_alike_where_no_rule_uses_the_org() {
    let f = flags();
    let mut profile = Profile {
        email: "o@x.com".into(),
        tier: Premium,
        ..Profile::default()
    };
    let without = context::build(&profile, &device(Desktop), &session("s"), None).unwrap();
    profile.organization = Some(Organization {
        key: "org-9".into(),
        name: "Hauling Inc".into(),
        industry: "logistics".into(),
        contract_value: 10_000.0,
    });
    let with = context::build(&profile, &device(Desktop), &session("s"), None).unwrap();
    assert_eq!(f.evaluate_all(&without), f.evaluate_all(&with));
}

/// The segments not used by a shipped flag are checked through a probe flag per segment,
/// evaluated by the same client over a file that adds those flags to the shipped data.
#[test]
fn segments() {
    let mut data: Value = serde_json::from_str(EMBEDDED_FLAGS).unwrap();
    for segment in ["power-users", "enterprise", "mobile-users"] {
        data["flags"][format!("probe-{segment}")] = json!({
            "key": format!("probe-{segment}"), "version": 1, "on": true, "prerequisites": [],
            "targets": [], "contextTargets": [],
            "rules": [{"id": format!("r-{segment}"), "variation": 0, "trackEvents": false,
                "clauses": [{"attribute": "", "op": "segmentMatch", "values": [segment], "negate": false}]}],
            "fallthrough": {"variation": 1}, "offVariation": 1, "variations": [true, false],
            "salt": format!("probe-{segment}"), "trackEvents": false, "trackEventsFallthrough": false,
            "clientSide": false
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("probe.json");
    std::fs::write(&path, data.to_string()).unwrap();
    let f = Flags::open(&FlagSource::File(path)).unwrap();
    assert_eq!(f.source().kind, FlagSourceKind::File);

    let with_org = |industry: &str, value: f64| {
        let profile = Profile {
            email: "e@x.com".into(),
            organization: Some(Organization {
                key: "org".into(),
                name: "Org".into(),
                industry: industry.into(),
                contract_value: value,
            }),
            ..Profile::default()
        };
        context::build(&profile, &device(Desktop), &session("s"), None).unwrap()
    };
    let is_in = |c: &Context, segment: &str| f.bool_flag(c, &format!("probe-{segment}"));

    assert!(is_in(
        &ctx("a@x.com", Premium, Some(Role::Analyst), Desktop),
        "power-users"
    ));
    assert!(!is_in(
        &ctx("a@x.com", Premium, Some(Role::Viewer), Desktop),
        "power-users"
    ));
    assert!(!is_in(
        &ctx("a@x.com", Starter, Some(Role::Analyst), Desktop),
        "power-users"
    ));

    assert!(is_in(&with_org("retail", 50_000.0), "enterprise"));
    assert!(!is_in(&with_org("retail", 49_999.0), "enterprise"));
    assert!(is_in(&with_org("logistics", 1_000.0), "enterprise"));
    assert!(is_in(&with_org("transportation", 0.0), "enterprise"));
    assert!(!is_in(
        &ctx("a@x.com", Premium, None, Desktop),
        "enterprise"
    ));

    assert!(is_in(&ctx("m@x.com", Trial, None, Mobile), "mobile-users"));
    assert!(!is_in(&ctx("m@x.com", Trial, None, Tablet), "mobile-users"));
}

#[test]
fn unknown_flags_and_sources_fail_plainly() {
    let f = flags();
    let e = f.evaluate(&ctx("a@x.com", Trial, None, Desktop), "no-such-flag");
    assert_eq!(e.value, Value::Null);
    assert_eq!(e.variation_index, None);
    assert_eq!(
        e.reason,
        json!({"kind": "ERROR", "errorKind": "FLAG_NOT_FOUND"})
    );
    assert_eq!(f.source().kind, FlagSourceKind::Embedded);

    let err = Flags::open(&FlagSource::File("/no/such/flags.json".into()))
        .err()
        .unwrap();
    assert!(err.to_string().contains("/no/such/flags.json"), "{err}");
}

#[test]
fn reasons_in_words() {
    let f = flags();
    let c = ctx("p@x.com", Premium, Some(Role::Admin), Desktop);
    let views = f.views(&c);
    let webllm = views.iter().find(|v| v.key == "webllm-access").unwrap();
    assert!(
        webllm.explanation.starts_with("rule 2 matched"),
        "{}",
        webllm.explanation
    );
    let c = ctx("s@x.com", Starter, None, Desktop);
    let ai = f
        .views(&c)
        .into_iter()
        .find(|v| v.key == "ai-config")
        .unwrap();
    assert!(
        ai.explanation.ends_with("(percentage rollout)"),
        "{}",
        ai.explanation
    );
    let c = ctx("beta@example.com", Trial, None, Desktop);
    assert_eq!(
        f.explain("webllm-access", &f.evaluate(&c, "webllm-access")),
        "individually targeted"
    );
    assert_eq!(
        f.explain("pivot-table-access", &f.evaluate(&c, "pivot-table-access")),
        "no rule matched, so the default applies"
    );
    assert_eq!(
        f.explain("nope", &f.evaluate(&c, "nope")),
        "error: no such flag in the flag data"
    );
}

#[test]
fn all_flags_state_is_the_sdks() {
    let f = flags();
    let state = f.all_flags_state(&ctx("p@x.com", Premium, None, Desktop));
    assert_eq!(state["$valid"], true);
    assert_eq!(state["pivot-table-access"], true);
    assert_eq!(
        state["$flagsState"]["webllm-access"]["reason"]["kind"],
        "RULE_MATCH"
    );
    assert_eq!(state["$flagsState"]["ai-config"]["variation"], 1);
}

/// Faults in flag data and contexts: each gives the default with LaunchDarkly's error reason or
/// a plain error naming the problem — never a panic.
mod faults {
    use super::*;

    fn flag(key: &str, prerequisites: Value) -> Value {
        json!({
            "key": key, "version": 1, "on": true, "salt": key,
            "variations": [false, true], "offVariation": 0,
            "fallthrough": {"variation": 1},
            "prerequisites": prerequisites,
            "targets": [], "rules": []
        })
    }

    #[test]
    fn a_malformed_flag_file_is_refused_with_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        for (text, says) in [
            ("{not json", "not LaunchDarkly flag JSON"),
            (
                r#"{"flags": {"x": {"key": "x", "on": "yes"}}, "segments": {}}"#,
                "\"x\"",
            ),
            ("", "not LaunchDarkly flag JSON"),
        ] {
            let path = dir.path().join("flags.json");
            std::fs::write(&path, text).unwrap();
            let err = Flags::open(&FlagSource::File(path)).err().expect(text);
            assert!(err.to_string().contains(says), "{text:?}: {err}");
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_malformed_last_known_good_file_falls_back_to_the_embedded_flags() {
        let dir = tempfile::tempdir().unwrap();
        let saved = dir.path().join("lkg.json");
        std::fs::write(&saved, "{\"flags\": 3}").unwrap();
        let gone = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", listener.local_addr().unwrap())
        };
        let flags = Flags::open_live(&LiveConfig {
            sdk_key: "sdk-x".into(),
            endpoints: Some(Endpoints::relay_proxy(&gone)),
            last_known_good: saved,
            connect_timeout: std::time::Duration::from_millis(200),
        })
        .await
        .unwrap();
        assert_eq!(flags.source().kind, FlagSourceKind::Embedded);
        let c = ctx("a@x.com", Premium, None, Desktop);
        assert_eq!(flags.evaluate(&c, "pivot-table-access").value, json!(true));
    }

    #[test]
    fn a_prerequisite_cycle_gives_the_default_with_the_sdks_reason() {
        let data = json!({
            "flags": {
                "a": flag("a", json!([{"key": "b", "variation": 1}])),
                "b": flag("b", json!([{"key": "a", "variation": 1}])),
                "c": flag("c", json!([{"key": "c", "variation": 1}])),
            },
            "segments": {}
        });
        let store = FlagStore::from_json(&data.to_string()).unwrap();
        let f = Flags::daemon(
            store,
            FlagSourceInfo {
                kind: FlagSourceKind::File,
                detail: "cycle".into(),
            },
        )
        .map(|offline| Flags {
            offline: Some(offline),
            live: None,
        })
        .unwrap();
        let c = ctx("a@x.com", Premium, None, Desktop);
        for key in ["a", "b", "c"] {
            let e = f.evaluate(&c, key);
            assert_eq!(e.value, Value::Null, "{key}: {e:?}");
            assert_eq!(e.reason["kind"], "ERROR", "{key}: {e:?}");
            assert_eq!(e.reason["errorKind"], "MALFORMED_FLAG", "{key}: {e:?}");
            assert_eq!(f.explain(key, &e), "error: the flag's data is malformed");
        }
    }

    #[test]
    fn contexts_with_bad_attributes_are_refused_or_evaluated_without_panicking() {
        let f = flags();
        // An empty key is no context for LaunchDarkly: the builder refuses it.
        assert!(
            launchdarkly_server_sdk::ContextBuilder::new("")
                .build()
                .is_err()
        );
        // Attributes of the wrong type (a number for the tier, an array for the email) match
        // no rule: the flag's fallthrough, not a panic.
        let mut b = launchdarkly_server_sdk::ContextBuilder::new("odd@example.com");
        b.set_value("tier", launchdarkly_server_sdk::AttributeValue::Number(3.0));
        b.set_value(
            "email",
            launchdarkly_server_sdk::AttributeValue::Array(vec![true.into()]),
        );
        let odd = b.build().unwrap();
        for key in f.flag_keys() {
            let e = f.evaluate(&odd, &key);
            assert_ne!(e.reason["kind"], "ERROR", "{key}: {e:?}");
        }
        // A context JSON that is not a context is refused by the SDK's own parser.
        assert!(serde_json::from_str::<Context>(r#"{"kind": "user"}"#).is_err());
        assert!(serde_json::from_str::<Context>(r#"{"kind": 3, "key": "x"}"#).is_err());
    }
}

#[test]
fn a_locked_feature_says_what_unlocks_it_from_the_rules() {
    let f = flags();
    assert_eq!(
        f.unlocked_by("pivot-table-access").as_deref(),
        Some("available on the Starter and Premium plans")
    );
    assert_eq!(
        f.unlocked_by("data-materialization").as_deref(),
        Some("available on the Starter and Premium plans")
    );
    let webllm = f.unlocked_by("webllm-access").unwrap();
    assert!(
        webllm.starts_with("available to power users on a desktop or laptop; or on the Premium plan on a desktop or laptop"),
        "{webllm}"
    );
    // Not a boolean gate, or unknown: nothing to say.
    assert_eq!(f.unlocked_by("no-such-flag"), None);
    let trial = ctx("t@x.com", Trial, None, Desktop);
    let view = f.views(&trial);
    let pivot = view.iter().find(|v| v.key == "pivot-table-access").unwrap();
    assert!(
        pivot
            .unlocked_by
            .as_deref()
            .unwrap()
            .contains("Starter and Premium")
    );
}
