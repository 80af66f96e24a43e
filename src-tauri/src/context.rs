//! Who is asking, on what, about what: the person's [`Profile`], this machine's [`DeviceFacts`]
//! and the current question become one LaunchDarkly multi-context (`user`, `session`, and
//! `organization` when the profile has one), built with the SDK's own builders.
//!
//! Decisions written down here:
//! - `session.deviceType` is the real form factor (`laptop` stays `laptop`). The seed's rules said
//!   "desktop" when its web app could only tell desktop browsers from phones and tablets, so a
//!   laptop was "desktop" there; the shipped flag rules therefore match `deviceType` in
//!   `[desktop, laptop]`, and targeting can still single out laptops.
//! - `email` is a private attribute: rules can use it, events carry it redacted. (The user key is
//!   the email as the product asks; LaunchDarkly never redacts keys.)
//! - `queryComplexity` follows [`query_complexity`]'s rule.

use chrono::{DateTime, SecondsFormat, Utc};
use datagata_ipc::{DeviceFacts, Profile, QueryComplexity};
use launchdarkly_server_sdk::{Context, ContextBuilder, MultiContextBuilder};

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("the email is empty: the user context needs it as its key")]
    MissingEmail,
    #[error("{0:?} is not an email address")]
    BadEmail(String),
    #[error("the organization needs a name")]
    MissingOrganizationName,
    #[error("the contract value must be a number of zero or more, not {0}")]
    BadContractValue(f64),
    #[error("LaunchDarkly refused the {kind} context: {reason}")]
    Invalid { kind: &'static str, reason: String },
}

/// One launch of the app: the `session` context's key and start time, and its region.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: String,
    pub started_at: DateTime<Utc>,
    /// Region from the system time zone (see [`region_for_time_zone`]).
    pub region: String,
    /// The AI provider the person chose in the AI panel (`local` or `cloud`), once chosen.
    pub ai_provider: Option<String>,
}

impl Session {
    /// A new session: a random UUID, now, and the region of the system time zone.
    pub fn start() -> Self {
        let zone = iana_time_zone::get_timezone().unwrap_or_default();
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            started_at: Utc::now(),
            region: region_for_time_zone(&zone).to_string(),
            ai_provider: None,
        }
    }
}

/// US regions by the city part of an IANA time-zone name (`America/New_York` → `New_York`).
const US_REGIONS: [(&str, &[&str]); 4] = [
    (
        "US-WEST",
        &[
            "Los_Angeles",
            "Vancouver",
            "Anchorage",
            "Pacific",
            "Tijuana",
        ],
    ),
    (
        "US-MOUNTAIN",
        &["Denver", "Phoenix", "Boise", "Edmonton", "Mountain"],
    ),
    (
        "US-CENTRAL",
        &[
            "Chicago",
            "Winnipeg",
            "Mexico_City",
            "Central",
            "Indiana/Knox",
        ],
    ),
    (
        "US-EAST",
        &[
            "New_York", "Toronto", "Detroit", "Montreal", "Indiana", "Kentucky", "Eastern",
        ],
    ),
];

/// Maps an IANA time zone to the seed's coarse regions (`US-EAST`, `US-WEST`, `EU`, …).
pub fn region_for_time_zone(zone: &str) -> &'static str {
    let (area, city) = zone.split_once('/').unwrap_or((zone, ""));
    match area {
        "America" | "US" | "Canada" => US_REGIONS
            .iter()
            .find(|(_, cities)| cities.iter().any(|c| city.starts_with(c)))
            .map_or("AMERICAS", |(region, _)| region),
        "Europe" => "EU",
        "Africa" => "AFRICA",
        "Asia" | "Australia" | "Pacific" | "Indian" => "APAC",
        _ => "UNKNOWN",
    }
}

/// The documented rule for `session.queryComplexity`, applied to a question or its SQL:
/// - **advanced**: window functions (`OVER (`), CTEs (`WITH … AS`), `PIVOT`, two or more joins, a
///   subquery, or analysis words: percentile, median, rolling, moving average, correlation,
///   rank, year over year, cohort, forecast;
/// - **medium**: one join, `GROUP BY`, an aggregate (`avg(`, `sum(`, `count(` …), or comparison
///   words: average, total, per, by, top, busiest, most, compare, trend, distribution;
/// - **simple**: anything else, including an empty question.
pub fn query_complexity(text: &str) -> QueryComplexity {
    let t = format!(
        " {} ",
        text.to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    );
    let count = |needle: &str| t.matches(needle).count();
    let has = |needles: &[&str]| needles.iter().any(|n| t.contains(n));
    let selects = count("select ");
    let advanced = has(&[
        " over (",
        " over(",
        " pivot ",
        "percentile",
        "median",
        "rolling",
        "moving average",
        "correlation",
        " rank",
        "year over year",
        "cohort",
        "forecast",
    ]) || (t.trim_start().starts_with("with ") && t.contains(" as ("))
        || count(" join ") >= 2
        || selects >= 2
        || t.contains("(select ");
    if advanced {
        return QueryComplexity::Advanced;
    }
    let medium = count(" join ") == 1
        || has(&[
            "group by",
            "avg(",
            "sum(",
            "count(",
            "min(",
            "max(",
            " average",
            " total",
            " per ",
            " by ",
            " top ",
            "busiest",
            " most ",
            "compare",
            "trend",
            "distribution",
        ]);
    if medium {
        QueryComplexity::Medium
    } else {
        QueryComplexity::Simple
    }
}

/// Checks and tidies a profile a person entered: an email address, an organization with a name
/// (its key derived from the name when empty) and a contract value of zero or more.
pub fn validate_profile(mut profile: Profile) -> Result<Profile, ContextError> {
    profile.email = profile.email.trim().to_string();
    if profile.email.is_empty() {
        return Err(ContextError::MissingEmail);
    }
    let valid_email = profile
        .email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !profile.email.contains(char::is_whitespace);
    if !valid_email {
        return Err(ContextError::BadEmail(profile.email));
    }
    profile.region_override = profile
        .region_override
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if let Some(org) = &mut profile.organization {
        org.name = org.name.trim().to_string();
        org.industry = org.industry.trim().to_lowercase();
        if org.name.is_empty() {
            return Err(ContextError::MissingOrganizationName);
        }
        if !org.contract_value.is_finite() || org.contract_value < 0.0 {
            return Err(ContextError::BadContractValue(org.contract_value));
        }
        if org.key.trim().is_empty() {
            org.key = org
                .name
                .to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("-");
        }
    }
    Ok(profile)
}

fn invalid(kind: &'static str) -> impl Fn(String) -> ContextError {
    move |reason| ContextError::Invalid { kind, reason }
}

/// Builds the multi-context for one evaluation.
pub fn build(
    profile: &Profile,
    device: &DeviceFacts,
    session: &Session,
    question: Option<&str>,
) -> Result<Context, ContextError> {
    let email = profile.email.trim();
    if email.is_empty() {
        return Err(ContextError::MissingEmail);
    }
    let mut user = ContextBuilder::new(email);
    user.set_string("email", email)
        .set_string("tier", profile.tier.as_str())
        .set_string(
            "sessionStart",
            session
                .started_at
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        )
        .add_private_attribute("email");
    if let Some(role) = profile.role {
        user.set_string("role", role.as_str());
    }

    let device_type = profile.device_type_override.unwrap_or(device.device_type);
    let region = profile
        .region_override
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(&session.region);
    let mut sess = ContextBuilder::new(session.id.as_str());
    sess.kind("session")
        .set_string("deviceType", device_type.as_str())
        .set_string("region", region)
        .set_string(
            "queryComplexity",
            query_complexity(question.unwrap_or_default()).as_str(),
        )
        .set_string("os", device.os.as_str())
        .set_string("arch", device.arch.as_str())
        .set_float("cpuCores", device.cpu_cores as f64)
        .set_float("memoryGb", device.memory_gib());
    if let Some(choice) = &session.ai_provider {
        sess.set_string("aiProviderChoice", choice.as_str());
    }
    let webgpu = device.webgpu.as_ref();
    sess.set_bool("webgpu", webgpu.is_some_and(|w| w.usable()));
    if let Some(adapter) = webgpu.and_then(|w| w.adapter.as_ref())
        && !adapter.vendor.is_empty()
    {
        sess.set_string("gpuVendor", adapter.vendor.as_str());
    }

    let mut multi = MultiContextBuilder::new();
    multi.add_context(user.build().map_err(invalid("user"))?);
    multi.add_context(sess.build().map_err(invalid("session"))?);
    if let Some(org) = &profile.organization {
        let mut o = ContextBuilder::new(org.key.as_str());
        o.kind("organization")
            .set_string("name", org.name.as_str())
            .set_string("industry", org.industry.as_str())
            .set_float("contractValue", org.contract_value);
        multi.add_context(o.build().map_err(invalid("organization"))?);
    }
    multi.build().map_err(invalid("multi"))
}

/// A machine for tests: 8 cores, 16 GiB, Linux, no WebGPU report.
#[cfg(test)]
pub(crate) fn test_device(device_type: datagata_ipc::DeviceType) -> DeviceFacts {
    DeviceFacts {
        os: "linux".into(),
        os_version: "Debian 12".into(),
        arch: "x86_64".into(),
        cpu_brand: "Test".into(),
        cpu_cores: 8,
        physical_cores: Some(4),
        memory_bytes: 16 << 30,
        device_type,
        device_type_reason: "fixture".into(),
        webgpu: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datagata_ipc::{DeviceType, GpuAdapter, Organization, Tier, WebGpuReport};
    use launchdarkly_server_sdk::{AttributeValue, Kind};

    use super::test_device as device;

    fn session() -> Session {
        Session {
            id: "5f0c6a5e-0000-4000-8000-000000000001".into(),
            started_at: DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
                .unwrap()
                .into(),
            region: "EU".into(),
            ai_provider: None,
        }
    }

    fn attr(ctx: &Context, kind: &str, name: &str) -> Option<AttributeValue> {
        ctx.as_kind(&Kind::try_from(kind).unwrap())
            .and_then(|c| c.get_value(&launchdarkly_server_sdk::Reference::new(name)))
    }

    #[test]
    fn user_and_session_from_profile_and_machine() {
        let profile = Profile {
            email: "ana@example.com".into(),
            tier: Tier::Premium,
            ..Profile::default()
        };
        let ctx = build(
            &profile,
            &device(DeviceType::Laptop),
            &session(),
            Some("busiest borough by hour"),
        )
        .unwrap();
        assert!(ctx.is_multi());
        assert_eq!(
            attr(&ctx, "user", "key"),
            Some(AttributeValue::String("ana@example.com".into()))
        );
        assert_eq!(
            attr(&ctx, "user", "tier"),
            Some(AttributeValue::String("premium".into()))
        );
        assert_eq!(
            attr(&ctx, "user", "role"),
            Some(AttributeValue::String("analyst".into()))
        );
        assert_eq!(
            attr(&ctx, "user", "sessionStart"),
            Some(AttributeValue::String("2026-11-25T12:00:00Z".into()))
        );
        assert_eq!(
            attr(&ctx, "session", "deviceType"),
            Some(AttributeValue::String("laptop".into()))
        );
        assert_eq!(
            attr(&ctx, "session", "region"),
            Some(AttributeValue::String("EU".into()))
        );
        assert_eq!(
            attr(&ctx, "session", "queryComplexity"),
            Some(AttributeValue::String("medium".into()))
        );
        assert_eq!(
            attr(&ctx, "session", "cpuCores"),
            Some(AttributeValue::Number(8.0))
        );
        assert_eq!(
            attr(&ctx, "session", "memoryGb"),
            Some(AttributeValue::Number(16.0))
        );
        assert_eq!(
            attr(&ctx, "session", "webgpu"),
            Some(AttributeValue::Bool(false))
        );
        assert_eq!(attr(&ctx, "session", "gpuVendor"), None);
        assert!(
            ctx.as_kind(&Kind::try_from("organization").unwrap())
                .is_none()
        );
    }

    #[test]
    fn email_is_private_but_present() {
        let ctx = build(
            &Profile::default(),
            &device(DeviceType::Desktop),
            &session(),
            None,
        )
        .unwrap();
        // The SDK's own JSON form of the context carries the private-attribute list.
        let json = serde_json::to_value(&ctx).unwrap();
        assert_eq!(
            json["user"]["_meta"]["privateAttributes"],
            serde_json::json!(["email"]),
            "{json}"
        );
        assert_eq!(
            attr(&ctx, "user", "email"),
            Some(AttributeValue::String("you@example.com".into()))
        );
    }

    #[test]
    fn overrides_organization_and_gpu() {
        let mut dev = device(DeviceType::Laptop);
        dev.webgpu = Some(WebGpuReport {
            api_present: true,
            adapter: Some(GpuAdapter {
                vendor: "nvidia".into(),
                ..Default::default()
            }),
            problem: None,
            user_agent: String::new(),
        });
        let profile = Profile {
            device_type_override: Some(DeviceType::Tablet),
            region_override: Some(" US-WEST ".into()),
            organization: Some(Organization {
                key: "org-1".into(),
                name: "Yellow Cabs".into(),
                industry: "transportation".into(),
                contract_value: 75_000.0,
            }),
            role: None,
            ..Profile::default()
        };
        let ctx = build(&profile, &dev, &session(), None).unwrap();
        assert_eq!(
            attr(&ctx, "session", "deviceType"),
            Some(AttributeValue::String("tablet".into()))
        );
        assert_eq!(
            attr(&ctx, "session", "region"),
            Some(AttributeValue::String("US-WEST".into()))
        );
        assert_eq!(
            attr(&ctx, "session", "webgpu"),
            Some(AttributeValue::Bool(true))
        );
        assert_eq!(
            attr(&ctx, "session", "gpuVendor"),
            Some(AttributeValue::String("nvidia".into()))
        );
        assert_eq!(attr(&ctx, "user", "role"), None);
        assert_eq!(
            attr(&ctx, "organization", "contractValue"),
            Some(AttributeValue::Number(75_000.0))
        );
        assert_eq!(
            attr(&ctx, "organization", "industry"),
            Some(AttributeValue::String("transportation".into()))
        );
    }

    #[test]
    fn empty_email_is_refused_with_a_reason() {
        let profile = Profile {
            email: "  ".into(),
            ..Profile::default()
        };
        let err = build(&profile, &device(DeviceType::Desktop), &session(), None).unwrap_err();
        assert!(matches!(err, ContextError::MissingEmail));
    }

    #[test]
    fn profiles_are_checked_and_tidied() {
        let ok = validate_profile(Profile {
            email: "  ana@example.com ".into(),
            region_override: Some("  ".into()),
            organization: Some(Organization {
                key: String::new(),
                name: " Yellow Cab Co. ".into(),
                industry: "Transportation".into(),
                contract_value: 0.0,
            }),
            ..Profile::default()
        })
        .unwrap();
        assert_eq!(ok.email, "ana@example.com");
        assert_eq!(ok.region_override, None);
        let org = ok.organization.unwrap();
        assert_eq!(
            (org.key.as_str(), org.name.as_str(), org.industry.as_str()),
            ("yellow-cab-co", "Yellow Cab Co.", "transportation")
        );

        let bad = |p: Profile| validate_profile(p).unwrap_err().to_string();
        assert!(
            bad(Profile {
                email: "ana".into(),
                ..Profile::default()
            })
            .contains("not an email")
        );
        assert!(
            bad(Profile {
                email: "a b@c.d".into(),
                ..Profile::default()
            })
            .contains("not an email")
        );
        assert!(
            bad(Profile {
                email: "".into(),
                ..Profile::default()
            })
            .contains("empty")
        );
        let org = |name: &str, value: f64| Profile {
            organization: Some(Organization {
                key: "k".into(),
                name: name.into(),
                industry: "x".into(),
                contract_value: value,
            }),
            ..Profile::default()
        };
        assert!(bad(org("", 1.0)).contains("needs a name"));
        assert!(bad(org("A", -1.0)).contains("zero or more"));
        assert!(bad(org("A", f64::NAN)).contains("zero or more"));
    }

    #[test]
    fn complexity_rule() {
        use QueryComplexity::*;
        let cases = [
            ("", Simple),
            ("How many trips are there?", Simple),
            ("SELECT * FROM taxi LIMIT 10", Simple),
            ("What is the average fare?", Medium),
            ("busiest pickup borough at night", Medium),
            (
                "SELECT borough, count(*) FROM taxi JOIN zones ON x = y GROUP BY 1",
                Medium,
            ),
            ("rolling 7-day average of trips", Advanced),
            ("median tip by payment type", Advanced),
            (
                "SELECT rank() OVER (PARTITION BY b ORDER BY n) FROM t",
                Advanced,
            ),
            ("WITH t AS (SELECT 1) SELECT * FROM t", Advanced),
            ("SELECT * FROM a JOIN b ON 1 JOIN c ON 1", Advanced),
            ("SELECT * FROM t WHERE x IN (SELECT y FROM u)", Advanced),
        ];
        for (text, want) in cases {
            assert_eq!(query_complexity(text), want, "{text:?}");
        }
    }

    #[test]
    fn regions_from_time_zones() {
        assert_eq!(region_for_time_zone("America/New_York"), "US-EAST");
        assert_eq!(region_for_time_zone("America/Los_Angeles"), "US-WEST");
        assert_eq!(region_for_time_zone("America/Chicago"), "US-CENTRAL");
        assert_eq!(region_for_time_zone("America/Denver"), "US-MOUNTAIN");
        assert_eq!(region_for_time_zone("America/Sao_Paulo"), "AMERICAS");
        assert_eq!(region_for_time_zone("Europe/Berlin"), "EU");
        assert_eq!(region_for_time_zone("Asia/Tokyo"), "APAC");
        assert_eq!(region_for_time_zone("Etc/UTC"), "UNKNOWN");
        assert_eq!(region_for_time_zone(""), "UNKNOWN");
    }
}
