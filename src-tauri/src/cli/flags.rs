//! `datagata flags eval`: every flag for a context (built from options, or LaunchDarkly's context
//! JSON), printed with values, variation indexes and reasons.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use datagata_ipc::{DeviceType, Organization, Profile, Role, Tier};

use crate::{context, device};

#[derive(Debug, Subcommand)]
pub enum FlagsCommand {
    /// Evaluate every flag for a context and print, as JSON, each flag's value, variation index
    /// and reason: an object keyed by flag key, or an array of those for an array of contexts.
    Eval(Box<EvalArgs>),
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Flag data in LaunchDarkly's model (default: the flags shipped with the app).
    #[arg(long, value_name = "FILE")]
    pub flags: Option<PathBuf>,
    /// A LaunchDarkly context (or a JSON array of them) in the SDKs' context JSON format.
    /// Replaces the context options below.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["email", "tier", "role", "device", "region", "question", "org_key"])]
    pub context_json: Option<PathBuf>,
    /// The user's email (the user context's key).
    #[arg(long, default_value = "you@example.com")]
    pub email: String,
    /// trial, starter or premium.
    #[arg(long, value_enum, ignore_case = true, default_value = "trial")]
    pub tier: Tier,
    /// analyst, admin or viewer.
    #[arg(long, value_enum, ignore_case = true)]
    pub role: Option<Role>,
    /// desktop, laptop, tablet or mobile (default: this machine's).
    #[arg(long, value_enum, ignore_case = true)]
    pub device: Option<DeviceType>,
    /// Region (default: from the system time zone).
    #[arg(long)]
    pub region: Option<String>,
    /// The question or SQL whose complexity goes into the session context.
    #[arg(long)]
    pub question: Option<String>,
    /// Include an organization context with this key.
    #[arg(long, requires = "org_value")]
    pub org_key: Option<String>,
    #[arg(long, default_value = "")]
    pub org_name: String,
    #[arg(long, default_value = "")]
    pub org_industry: String,
    /// The organization's contract value.
    #[arg(long)]
    pub org_value: Option<f64>,
}

pub(super) fn flags_eval(args: EvalArgs) -> anyhow::Result<serde_json::Value> {
    // The live SDK client runs its stream on this runtime, so it lives as long as the command.
    let runtime = tokio::runtime::Runtime::new()?;
    let flags = runtime.block_on(crate::open_flags(&crate::data_dir(), args.flags.as_deref()))?;
    tracing::info!("flags from: {}", flags.source().detail);
    if let Some(path) = &args.context_json {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        let parse = |v: serde_json::Value| -> anyhow::Result<launchdarkly_server_sdk::Context> {
            serde_json::from_value(v).with_context(|| {
                format!("{} holds an invalid LaunchDarkly context", path.display())
            })
        };
        return Ok(match json {
            serde_json::Value::Array(items) => serde_json::Value::Array(
                items
                    .into_iter()
                    .map(|v| Ok(serde_json::to_value(flags.evaluate_all(&parse(v)?))?))
                    .collect::<anyhow::Result<_>>()?,
            ),
            one => serde_json::to_value(flags.evaluate_all(&parse(one)?))?,
        });
    }
    let profile = Profile {
        email: args.email,
        tier: args.tier,
        role: args.role,
        organization: args.org_key.map(|key| Organization {
            key,
            name: args.org_name,
            industry: args.org_industry,
            contract_value: args.org_value.unwrap_or_default(),
        }),
        device_type_override: args.device,
        region_override: args.region,
    };
    let ctx = context::build(
        &profile,
        &device::detect()?,
        &context::Session::start(),
        args.question.as_deref(),
    )?;
    Ok(serde_json::to_value(flags.evaluate_all(&ctx))?)
}

#[cfg(test)]
mod tests {
    use super::super::{Cli, Command};
    use super::*;
    use clap::Parser;

    fn eval(args: &[&str]) -> anyhow::Result<serde_json::Value> {
        let cli = Cli::try_parse_from([&["datagata", "flags", "eval"], args].concat())?;
        match cli.command {
            Some(Command::Flags {
                command: FlagsCommand::Eval(args),
            }) => flags_eval(*args),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn flags_eval_from_options() {
        let out = eval(&[
            "--tier", "Premium", "--device", "desktop", "--email", "x@y.com",
        ])
        .unwrap();
        assert_eq!(out["webllm-access"]["value"], true);
        assert_eq!(out["webllm-access"]["variationIndex"], 0);
        assert_eq!(out["webllm-access"]["reason"]["kind"], "RULE_MATCH");
        assert_eq!(
            out["ai-config"]["value"]["_ldMeta"]["variationKey"],
            "webllm"
        );
        let out = eval(&["--tier", "trial", "--device", "mobile"]).unwrap();
        assert_eq!(out["pivot-table-access"]["value"], false);
        assert_eq!(out["pivot-table-access"]["reason"]["kind"], "FALLTHROUGH");
        let out = eval(&[
            "--org-key",
            "o1",
            "--org-value",
            "60000",
            "--org-industry",
            "retail",
        ])
        .unwrap();
        assert!(out.as_object().unwrap().len() >= 5);
        assert!(eval(&["--tier", "gold"]).is_err());
        assert!(
            eval(&["--org-key", "o1"]).is_err(),
            "an organization needs its contract value"
        );
    }

    #[test]
    fn flags_eval_from_context_json() {
        let dir = tempfile::tempdir().unwrap();
        let one = dir.path().join("one.json");
        std::fs::write(
            &one,
            r#"{"kind": "multi",
                "user": {"key": "beta@example.com", "tier": "trial"},
                "session": {"key": "s1", "deviceType": "mobile"}}"#,
        )
        .unwrap();
        let out = eval(&["--context-json", one.to_str().unwrap()]).unwrap();
        assert_eq!(out["webllm-access"]["value"], true);
        assert_eq!(out["webllm-access"]["reason"]["kind"], "TARGET_MATCH");

        let many = dir.path().join("many.json");
        std::fs::write(
            &many,
            r#"[{"kind": "user", "key": "p@x.com", "tier": "premium"},
                {"kind": "user", "key": "t@x.com", "tier": "trial"}]"#,
        )
        .unwrap();
        let out = eval(&["--context-json", many.to_str().unwrap()]).unwrap();
        let out = out.as_array().unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["pivot-table-access"]["value"], true);
        assert_eq!(out[1]["pivot-table-access"]["value"], false);

        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, r#"{"kind": "user"}"#).unwrap();
        let err = eval(&["--context-json", bad.to_str().unwrap()]).unwrap_err();
        assert!(
            format!("{err:#}").contains("invalid LaunchDarkly context"),
            "{err:#}"
        );
    }
}
