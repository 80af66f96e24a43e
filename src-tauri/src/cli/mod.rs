//! The command line: no subcommand opens the window; each subcommand is a few lines over the core,
//! grouped by what it is about: [`flags`] (evaluation), [`trips`] (the trip data and read-only SQL),
//! [`ai`] (questions: ask, traffic, accuracy), [`outbox`] (metrics and the event outbox). This
//! module parses and dispatches, and owns what they share (starting the core, a spinner).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use datagata_ipc::Tier;

use crate::{app, data, device};

mod ai;
mod flags;
mod outbox;
mod trips;

pub use ai::{TrafficArgs, ask_exit};
pub use flags::{EvalArgs, FlagsCommand};
pub use outbox::EXIT_EVENTS_WAITING;
pub use trips::DataCommand;

#[derive(Debug, Parser)]
#[command(
    name = "datagata",
    version,
    about = "DataGata: ask NYC-taxi questions with local or cloud AI"
)]
pub struct Cli {
    /// The DuckDB database file for `data` and `query` (default: the app's, in its data folder).
    #[arg(long, global = true, value_name = "PATH", value_parser = crate::data::absolute_db_path)]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print this machine's facts (the seed of the LaunchDarkly session context).
    Device {
        /// Print JSON (the same shape the app's IPC returns) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Feature flags and the AI Config.
    Flags {
        #[command(subcommand)]
        command: FlagsCommand,
    },
    /// The trip data: generate the sample, import TLC files, show where the rows came from.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Ask a question as the AI panel does, headless: the cloud provider where a MotherDuck token
    /// and network exist, local AI on the native engine where a GGUF model is (WebLLM needs the
    /// window's WebView). Exit codes: 3 cloud unavailable or failed, 4 local unavailable (locked,
    /// no model), 5 the SQL failed, 6 the local engine failed.
    Ask {
        question: String,
        /// cloud or local (default: the AI Config's choice for the profile).
        #[arg(long, value_enum, ignore_case = true)]
        provider: Option<datagata_ipc::ai::ProviderChoice>,
        /// Ask as this plan (trial, starter, premium) instead of the default profile.
        #[arg(long, value_enum, ignore_case = true)]
        tier: Option<Tier>,
        /// Print the answer (SQL, rows, provider, latency, tokens) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Ask N random people's questions through the app's core (or the running app) and report
    /// per provider: `datagata traffic 100 50`.
    Traffic(Box<TrafficArgs>),
    /// Latency, success, cost and tokens per provider from the stored events, and the ai-config
    /// experiment's analysis.
    Metrics {
        #[arg(long)]
        json: bool,
        /// 1h, 24h or all.
        #[arg(long, default_value = "all", value_parser = parse_range)]
        since: datagata_ipc::metrics::TimeRange,
    },
    /// The event outbox: how many tracked events are stored, sent to LaunchDarkly, or waiting.
    /// With `--send` (and LAUNCHDARKLY_SDK_KEY), delivers the waiting ones now; exits 7 when some
    /// are still waiting at the deadline.
    Events {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        send: bool,
        /// How long `--send` waits for LaunchDarkly, in seconds.
        #[arg(long, default_value_t = 30)]
        timeout_s: u64,
    },
    /// The local model's execution accuracy: the ten traffic questions asked locally (the native
    /// engine), each answer's rows compared with the reference SQL's.
    Accuracy {
        #[arg(long)]
        json: bool,
    },
    /// The native engine's worker process (started by the app; speaks JSON lines on stdio).
    #[command(hide = true)]
    EngineWorker {
        /// The GGUF model file.
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Run one read-only statement (the same guard, timeout and row cap as the app's editor).
    /// A refused statement exits non-zero with the reason on stderr.
    Query {
        sql: String,
        /// Print the typed result as JSON (the IPC's QueryResult).
        #[arg(long)]
        json: bool,
        /// Rows printed at most (all are counted).
        #[arg(long, default_value_t = 100)]
        max_rows: u64,
        /// Stop the query after this many milliseconds.
        #[arg(long)]
        timeout_ms: Option<u64>,
    },
}

fn parse_range(s: &str) -> Result<datagata_ipc::metrics::TimeRange, String> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_string()))
        .map_err(|_| format!("{s:?} is not a time range: use 1h, 24h or all"))
}

/// The core over `--db` (else the app's database) with the embedded or live flags, as the app
/// would start it, for `concurrent` questions at once; the sample is generated when the database
/// has none.
fn headless_core(
    runtime: &tokio::runtime::Runtime,
    db: Option<PathBuf>,
    concurrent: usize,
) -> anyhow::Result<crate::Core> {
    let path = db.unwrap_or_else(|| crate::data_dir().join(crate::DATABASE_FILE));
    let data_dir = path.parent().map(PathBuf::from).unwrap_or_default();
    let core = runtime.block_on(crate::Core::start_for(
        &path,
        None,
        crate::CLI_LOCK_WAIT,
        concurrent,
    ))?;
    core.prepare_data()?;
    if data::motherduck::token(&data_dir).is_some() {
        let status = core.connect_motherduck(None)?;
        eprintln!("MotherDuck: {}", status.message);
    }
    Ok(core)
}

/// The core over `--db` (else the app's database) as the app starts it, without preparing data.
fn start_core(
    runtime: &tokio::runtime::Runtime,
    db: Option<PathBuf>,
) -> anyhow::Result<crate::Core> {
    let path = db.unwrap_or_else(|| crate::data_dir().join(crate::DATABASE_FILE));
    Ok(runtime.block_on(crate::Core::start_on(&path, None, crate::CLI_LOCK_WAIT))?)
}

/// The database `--db` names, else the app's.
fn open_database(db: Option<PathBuf>) -> anyhow::Result<data::Database> {
    let path = db.unwrap_or_else(|| crate::data_dir().join(crate::DATABASE_FILE));
    Ok(data::Database::open_waiting(&path, crate::CLI_LOCK_WAIT)?)
}

fn spinner(message: String) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner().with_message(message);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Runs the command line and turns its outcome into the process's exit code. Errors are one
/// line (with their causes) on stderr, never a backtrace; a database another DataGata holds is
/// said in the app's words.
pub fn main() -> std::process::ExitCode {
    match run() {
        Ok(0) => std::process::ExitCode::SUCCESS,
        Ok(code) => std::process::ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            match locked_by(&e) {
                Some(holder) if holder.is_datagata() => eprintln!(
                    "{holder} is open: close it, or use `--via-app` (datagata traffic --via-app)"
                ),
                Some(holder) => {
                    eprintln!("the database is in use by {holder}: close it and try again")
                }
                None => eprintln!("error: {e:#}"),
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// The process holding the database, when that is why `e` happened.
fn locked_by(e: &anyhow::Error) -> Option<data::lock::Holder> {
    e.chain().find_map(|cause| {
        let data = cause.downcast_ref::<data::DataError>().or_else(|| {
            match cause.downcast_ref::<crate::CoreError>() {
                Some(crate::CoreError::Data(d)) => Some(d),
                _ => None,
            }
        });
        match data {
            Some(data::DataError::Locked { holder, .. }) => Some(holder.clone()),
            _ => None,
        }
    })
}

fn run() -> anyhow::Result<i32> {
    let cli = Cli::parse();
    // The window also logs to a file (kept while it runs); CLI commands log to stderr.
    let _log = crate::logs::init(cli.command.is_none());
    match cli.command {
        None => app::run()
            .context("running the DataGata window")
            .map(|()| 0),
        Some(Command::Device { json }) => {
            let facts = device::detect()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&facts)?);
            } else {
                println!("OS           {}", facts.os_version);
                println!("Architecture {}", facts.arch);
                println!("CPU          {}", facts.cpu_brand);
                match facts.physical_cores {
                    Some(p) => println!("Cores        {} logical, {p} physical", facts.cpu_cores),
                    None => println!("Cores        {} logical", facts.cpu_cores),
                }
                println!(
                    "Memory       {}",
                    datagata_ipc::data::bytes(facts.memory_bytes)
                );
                println!(
                    "Device type  {} ({})",
                    facts.device_type, facts.device_type_reason
                );
                println!("WebGPU       reported by the app's WebView when the window is open");
            }
            Ok(0)
        }
        Some(Command::Flags {
            command: FlagsCommand::Eval(args),
        }) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&flags::flags_eval(*args)?)?
            );
            Ok(0)
        }
        Some(Command::Data { command }) => trips::data_command(cli.db, command).map(|()| 0),
        Some(Command::Traffic(args)) => ai::traffic_command(cli.db, *args).map(|()| 0),
        Some(Command::Ask {
            question,
            provider,
            tier,
            json,
        }) => ai::ask_command(cli.db, question, provider, tier, json),
        Some(Command::Metrics { json, since }) => {
            outbox::metrics_command(cli.db, json, since).map(|()| 0)
        }
        Some(Command::Events {
            json,
            send,
            timeout_s,
        }) => outbox::events_command(cli.db, json, send, timeout_s),
        Some(Command::Query {
            sql,
            json,
            max_rows,
            timeout_ms,
        }) => trips::query_command(cli.db, sql, json, max_rows, timeout_ms).map(|()| 0),
        Some(Command::Accuracy { json }) => ai::accuracy_command(cli.db, json).map(|()| 0),
        Some(Command::EngineWorker { model, threads }) => {
            crate::ai::engine::worker::main(&model, threads).map(|()| 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_the_window() {
        assert!(Cli::try_parse_from(["datagata"]).unwrap().command.is_none());
        let cli = Cli::try_parse_from(["datagata", "device", "--json"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Device { json: true })));
        assert!(Cli::try_parse_from(["datagata", "nonsense"]).is_err());
    }
}
