//! The command line: no subcommand opens the window; each subcommand is a few lines over the core.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use datagata_ipc::{DeviceType, Organization, Profile, Role, Tier};

use crate::{app, context, data, device};

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
    /// and network exist; local AI needs the app (WebLLM runs in its WebView). Exit codes: 3 cloud
    /// unavailable or failed, 4 local asked for, 5 the SQL failed.
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
    /// With `--send` (and LAUNCHDARKLY_SDK_KEY), delivers the waiting ones now; exits 6 when some
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

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Replace `taxi` with a generated sample (synthetic, TLC-shaped, seeded).
    Generate {
        #[arg(long, default_value_t = data::sample::DEFAULT_ROWS)]
        rows: u64,
        #[arg(long, default_value_t = data::sample::DEFAULT_SEED)]
        seed: u64,
    },
    /// Import TLC yellow-trip Parquet/CSV files into `taxi` (replacing it unless --append).
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[arg(long)]
        append: bool,
    },
    /// Where the rows came from, how many there are, and MotherDuck's state.
    Status,
}

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

fn flags_eval(args: EvalArgs) -> anyhow::Result<serde_json::Value> {
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

fn parse_range(s: &str) -> Result<datagata_ipc::metrics::TimeRange, String> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_string()))
        .map_err(|_| format!("{s:?} is not a time range: use 1h, 24h or all"))
}

/// The core over `--db` (else the app's database) with the embedded or live flags, as the app
/// would start it; the sample is generated when the database has none.
fn headless_core(
    runtime: &tokio::runtime::Runtime,
    db: Option<PathBuf>,
) -> anyhow::Result<crate::Core> {
    let path = db.unwrap_or_else(|| crate::data_dir().join(crate::DATABASE_FILE));
    let data_dir = path.parent().map(PathBuf::from).unwrap_or_default();
    let core = runtime.block_on(crate::Core::start_on(&path, None, crate::CLI_LOCK_WAIT))?;
    core.prepare_data()?;
    if data::motherduck::token(&data_dir).is_some() {
        let status = core.connect_motherduck(None)?;
        eprintln!("MotherDuck: {}", status.message);
    }
    Ok(core)
}

fn traffic_command(db: Option<PathBuf>, args: TrafficArgs) -> anyhow::Result<()> {
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
        let core = headless_core(&runtime, db)?;
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

/// The core over `--db` (else the app's database) as the app starts it, without preparing data.
fn start_core(
    runtime: &tokio::runtime::Runtime,
    db: Option<PathBuf>,
) -> anyhow::Result<crate::Core> {
    let path = db.unwrap_or_else(|| crate::data_dir().join(crate::DATABASE_FILE));
    Ok(runtime.block_on(crate::Core::start_on(&path, None, crate::CLI_LOCK_WAIT))?)
}

fn metrics_command(
    db: Option<PathBuf>,
    json: bool,
    since: datagata_ipc::metrics::TimeRange,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let core = start_core(&runtime, db)?;
    let report = core.metrics(since);
    core.shutdown();
    let report = report?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{} queries ({})", report.total_queries, since.as_str());
        print!("{}", crate::traffic::summary_table(&report));
    }
    Ok(())
}

/// Exit code of `datagata events --send` when events are still waiting at the deadline.
pub const EXIT_EVENTS_WAITING: i32 = 7;

fn events_command(
    db: Option<PathBuf>,
    json: bool,
    send: bool,
    timeout_s: u64,
) -> anyhow::Result<i32> {
    let runtime = tokio::runtime::Runtime::new()?;
    let core = start_core(&runtime, db)?;
    let delivery = || crate::metrics::delivery(core.events(), core.delivery());
    if send {
        let Some(deliverer) = core.delivery() else {
            anyhow::bail!("no LaunchDarkly to send to: set LAUNCHDARKLY_SDK_KEY (see README)");
        };
        deliverer.nudge();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout_s);
        while std::time::Instant::now() < deadline {
            let now = delivery()?;
            if now.pending == 0 || now.stopped {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    let d = delivery()?;
    core.shutdown();
    if json {
        println!("{}", serde_json::to_string_pretty(&d)?);
    } else {
        println!("pending    {}", d.pending);
        println!("sent       {}", d.sent);
        println!("local only {}", d.local_only);
        if d.rejected > 0 {
            println!("rejected   {}", d.rejected);
        }
        match &d.destination {
            Some(to) => println!("to         {to}"),
            None => println!("to         nowhere: no LAUNCHDARKLY_SDK_KEY in this session"),
        }
        if let Some(e) = &d.last_error {
            println!("last error {e}");
        }
    }
    Ok(if send && d.pending > 0 {
        EXIT_EVENTS_WAITING
    } else {
        0
    })
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
fn ask_command(
    db: Option<PathBuf>,
    question: String,
    provider: Option<datagata_ipc::ai::ProviderChoice>,
    tier: Option<Tier>,
    json: bool,
) -> anyhow::Result<i32> {
    use crate::ai::questions::{AiError, HeadlessAsk, Source};
    use datagata_ipc::ai::ProviderChoice;
    let runtime = tokio::runtime::Runtime::new()?;
    let core = headless_core(&runtime, db)?;
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
fn accuracy_command(db: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let core = headless_core(&runtime, db)?;
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

fn data_command(db: Option<PathBuf>, command: DataCommand) -> anyhow::Result<()> {
    let database = open_database(db)?;
    match command {
        DataCommand::Generate { rows, seed } => {
            let bar = spinner(format!(
                "Generating {} trips (seed {seed})",
                datagata_ipc::data::thousands(rows)
            ));
            let info = database.generate(rows, seed)?;
            bar.finish_and_clear();
            eprintln!(
                "Generated {} synthetic trips, seed {}, checksum {}",
                datagata_ipc::data::thousands(info.rows),
                info.seed,
                info.checksum
            );
        }
        DataCommand::Import { files, append } => {
            let mode = if append {
                datagata_ipc::data::ImportMode::Append
            } else {
                datagata_ipc::data::ImportMode::Replace
            };
            let paths: Vec<&std::path::Path> = files.iter().map(PathBuf::as_path).collect();
            let bar = spinner(format!("Importing {} file(s)", paths.len()));
            let done = database.import(&paths, mode, |p, i| {
                bar.set_message(format!(
                    "Importing {}/{}: {}",
                    i + 1,
                    paths.len(),
                    p.display()
                ))
            });
            bar.finish_and_clear();
            for file in done? {
                eprintln!(
                    "Imported {} rows from {}",
                    datagata_ipc::data::thousands(file.rows),
                    file.path
                );
            }
        }
        DataCommand::Status => {}
    }
    let status = database.status()?;
    println!("Database     {}", status.database_path);
    println!(
        "Trips        {}",
        datagata_ipc::data::thousands(status.taxi_rows)
    );
    println!("Origin       {}", status.origin.describe());
    println!("MotherDuck   {}", status.motherduck.message);
    Ok(())
}

fn query_command(
    db: Option<PathBuf>,
    sql: String,
    json: bool,
    max_rows: u64,
    timeout_ms: Option<u64>,
) -> anyhow::Result<()> {
    let database = open_database(db)?;
    database.ensure_sample(data::sample::default_rows(), data::sample::DEFAULT_SEED)?;
    let result = database.run(&datagata_ipc::data::QueryRequest {
        sql,
        target: datagata_ipc::data::QueryTarget::Local,
        max_rows: Some(max_rows),
        timeout_ms,
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    let rows = result.rows_shown as usize;
    let cells: Vec<Vec<String>> = result
        .columns
        .iter()
        .map(|c| {
            std::iter::once(c.name.clone())
                .chain((0..rows).map(|i| c.values.display(i)))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = cells
        .iter()
        .map(|c| c.iter().map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    for row in 0..=rows {
        let line: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{:<w$}", c[row], w = *w))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    eprintln!("{} in {:.1} ms", result.summary(), result.elapsed_ms);
    Ok(())
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
            println!("{}", serde_json::to_string_pretty(&flags_eval(*args)?)?);
            Ok(0)
        }
        Some(Command::Data { command }) => data_command(cli.db, command).map(|()| 0),
        Some(Command::Traffic(args)) => traffic_command(cli.db, *args).map(|()| 0),
        Some(Command::Ask {
            question,
            provider,
            tier,
            json,
        }) => ask_command(cli.db, question, provider, tier, json),
        Some(Command::Metrics { json, since }) => metrics_command(cli.db, json, since).map(|()| 0),
        Some(Command::Events {
            json,
            send,
            timeout_s,
        }) => events_command(cli.db, json, send, timeout_s),
        Some(Command::Query {
            sql,
            json,
            max_rows,
            timeout_ms,
        }) => query_command(cli.db, sql, json, max_rows, timeout_ms).map(|()| 0),
        Some(Command::Accuracy { json }) => accuracy_command(cli.db, json).map(|()| 0),
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

#[cfg(test)]
mod data_cli_tests {
    use super::*;

    fn run(args: &[&str]) -> anyhow::Result<()> {
        let cli = Cli::try_parse_from([&["datagata"], args].concat())?;
        match cli.command {
            Some(Command::Data { command }) => data_command(cli.db, command),
            Some(Command::Query {
                sql,
                json,
                max_rows,
                timeout_ms,
            }) => query_command(cli.db, sql, json, max_rows, timeout_ms),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn generate_then_query_and_a_refusal_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cli.duckdb");
        let db = db.to_str().unwrap();
        run(&[
            "data", "generate", "--rows", "2000", "--seed", "5", "--db", db,
        ])
        .unwrap();
        run(&["--db", db, "query", "SELECT count(*) FROM taxi", "--json"]).unwrap();
        let err = run(&["--db", db, "query", "DELETE FROM taxi"]).unwrap_err();
        assert!(err.to_string().starts_with("refused:"), "{err}");
        let status = data::Database::open(std::path::Path::new(db))
            .unwrap()
            .status()
            .unwrap();
        assert_eq!(status.taxi_rows, 2000);
        assert_eq!(status.origin.sample.unwrap().seed, 5);
        assert!(
            run(&["data", "import", "--db", db]).is_err(),
            "import needs files"
        );
        assert!(run(&["data", "import", "/no/such.parquet", "--db", db]).is_err());
    }

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
