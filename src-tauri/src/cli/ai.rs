//! `datagata ask`, `traffic` and `accuracy`: questions through the one question pipeline
//! (the core's), headless, with their exit codes and reports.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use datagata_ipc::{DeviceType, Profile, Tier};

use super::{headless_core, spinner};

/// The seed's `traffic` flags, in clap.
#[derive(Debug, Args)]
pub struct TrafficArgs {
    /// How many questions to ask.
    pub count: usize,
    /// Milliseconds each worker waits between its questions.
    pub delay_ms: u64,
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Seeds who asks what (the same seed, the same people and questions).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The results file (default: traffic-results-<timestamp>.json here).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Send the questions to the running app's automation endpoint (started with
    /// DATAGATA_AUTOMATION=1), so the app's providers answer them.
    #[arg(long)]
    pub via_app: bool,
}

pub(super) fn traffic_command(db: Option<PathBuf>, args: TrafficArgs) -> anyhow::Result<()> {
    let options = crate::traffic::TrafficOptions {
        count: args.count,
        delay: std::time::Duration::from_millis(args.delay_ms),
        concurrency: args.concurrency,
        seed: args.seed,
    };
    let bar = indicatif::ProgressBar::new(args.count as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} questions  {per_sec}  eta {eta}  {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |r: &crate::traffic::TrafficRecord| {
        bar.set_message(format!(
            "{}: {}",
            r.outcome.provider,
            r.outcome.generation.as_str()
        ));
        bar.inc(1);
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let run = if args.via_app {
        let client = crate::automation::Client::from_data_dir(&crate::data_dir())?;
        crate::traffic::run(&client, &options, true, &progress)
    } else {
        let core = headless_core(&runtime, db, args.concurrency)?;
        let run = crate::traffic::run(&core, &options, false, &progress);
        core.shutdown();
        run
    }
    .map_err(|e| anyhow::anyhow!(e))?;
    bar.finish_and_clear();
    print!("{}", crate::traffic::summary_table(&run.analysis));
    let out = args.out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "traffic-results-{}.json",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ))
    });
    std::fs::write(&out, serde_json::to_string_pretty(&run)?)
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "{} questions in {:.1} s; every request and the analysis: {}",
        run.count,
        run.wall_ms / 1000.0,
        out.display()
    );
    Ok(())
}

/// Exit codes of `datagata ask` beyond clap's 2 and anyhow's 1.
pub mod ask_exit {
    /// The cloud provider is unavailable (no token, offline) or failed.
    pub const CLOUD_UNAVAILABLE: i32 = 3;
    /// Local AI cannot run here: locked for the profile, or no model file.
    pub const LOCAL_UNAVAILABLE: i32 = 4;
    /// The generated SQL was refused or failed (after the one retry).
    pub const SQL_FAILED: i32 = 5;
    /// The local engine failed: its worker died, it timed out, or it wrote no SQL.
    pub const LOCAL_FAILED: i32 = 6;
}

/// `datagata ask`: the Ask tab's steps without a window, through the one question owner;
/// returns the process exit code.
pub(super) fn ask_command(
    db: Option<PathBuf>,
    question: String,
    provider: Option<datagata_ipc::ai::ProviderChoice>,
    tier: Option<Tier>,
    json: bool,
) -> anyhow::Result<i32> {
    use crate::ai::questions::{AiError, HeadlessAsk, Source};
    use datagata_ipc::ai::ProviderChoice;
    let runtime = tokio::runtime::Runtime::new()?;
    let core = headless_core(&runtime, db, 1)?;
    if let Some(tier) = tier {
        core.set_profile(Profile {
            tier,
            ..Profile::default()
        })?;
    }
    let choice = match provider {
        Some(p) => p,
        None => core.ai_panel()?.chosen,
    };
    let asked = core.ask_headless(&HeadlessAsk {
        question: &question,
        profile: None,
        choice: Some(choice),
        reference_sql: None,
        source: Source::Cli,
    });
    core.shutdown();
    let answered = asked?;
    let Some(answer) = answered.answer else {
        let error = answered
            .error
            .map(|e| e.to_string())
            .unwrap_or_else(|| "no answer".into());
        eprintln!("datagata ask: {error}");
        return Ok(match choice {
            ProviderChoice::Cloud => ask_exit::CLOUD_UNAVAILABLE,
            ProviderChoice::Local => match answered.completed.generation {
                datagata_ipc::metrics::GenerationOutcome::Unavailable => {
                    ask_exit::LOCAL_UNAVAILABLE
                }
                _ => ask_exit::LOCAL_FAILED,
            },
        });
    };
    let tokens_per_second = match (answer.output_tokens, answer.generation_ms) {
        (Some(n), Some(ms)) if ms > 0.0 => Some(n as f64 / (ms / 1000.0)),
        _ => None,
    };
    if json {
        let mut value = serde_json::to_value(&answer)?;
        value["tokensPerSecond"] = serde_json::json!(tokens_per_second);
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("{}", answer.sql);
        if let Some(r) = &answer.result {
            eprintln!(
                "{} ({} via {}{}, {:.0} ms{})",
                r.summary(),
                answer.model,
                answer.provider,
                answer
                    .runtime
                    .as_ref()
                    .map(|r| format!(" / {r} on {}", answer.backend.as_deref().unwrap_or("?")))
                    .unwrap_or_default(),
                answer.latency_ms,
                tokens_per_second
                    .map(|t| format!(", {t:.1} tokens/s"))
                    .unwrap_or_default()
            );
        }
    }
    match &answered.error {
        Some(AiError::Failed(e)) => {
            eprintln!("datagata ask: the SQL did not run: {e}");
            Ok(ask_exit::SQL_FAILED)
        }
        Some(e) => {
            eprintln!("datagata ask: {e}");
            Ok(ask_exit::SQL_FAILED)
        }
        None => Ok(0),
    }
}

/// `datagata accuracy`: as a premium desktop user (who gets local AI), through the pipeline.
pub(super) fn accuracy_command(db: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let core = headless_core(&runtime, db, 1)?;
    let profile = Profile {
        email: "accuracy@example.com".into(),
        tier: Tier::Premium,
        device_type_override: Some(DeviceType::Desktop),
        ..Profile::default()
    };
    let bar = spinner("asking the local model the ten traffic questions".into());
    let report = crate::ai::accuracy::run(&core, &profile);
    bar.finish_and_clear();
    core.shutdown();
    let report = report?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    for c in &report.checked {
        let mark = if c.correct {
            "right"
        } else if c.ran {
            "ran, wrong rows"
        } else {
            "did not run"
        };
        println!(
            "{mark:<16} {}\n                 {}",
            c.question,
            c.sql.as_deref().unwrap_or("-")
        );
    }
    println!(
        "{}: {} of {} right, {} of {} ran",
        report.model, report.correct, report.questions, report.ran, report.questions
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data;

    #[test]
    fn ask_says_why_each_provider_cannot_answer_here_with_its_exit_code() {
        if std::env::var_os(data::motherduck::TOKEN_ENV).is_some() {
            return; // a developer's real token: the cloud path may answer
        }
        let dir = tempfile::tempdir().unwrap();
        let db = Some(dir.path().join("ask.duckdb"));
        data::Database::open(db.as_ref().unwrap())
            .unwrap()
            .generate(1_000, 1)
            .unwrap();
        let q = "What is the average trip distance?".to_string();
        let cloud = Some(datagata_ipc::ai::ProviderChoice::Cloud);
        let local = Some(datagata_ipc::ai::ProviderChoice::Local);
        assert_eq!(
            ask_command(db.clone(), q.clone(), cloud, None, false).unwrap(),
            ask_exit::CLOUD_UNAVAILABLE
        );
        assert_eq!(
            ask_command(db.clone(), q.clone(), local, None, false).unwrap(),
            ask_exit::LOCAL_UNAVAILABLE
        );
        // A trial user's AI Config picks the cloud.
        assert_eq!(
            ask_command(db, q, None, Some(Tier::Trial), false).unwrap(),
            ask_exit::CLOUD_UNAVAILABLE
        );
    }
}
