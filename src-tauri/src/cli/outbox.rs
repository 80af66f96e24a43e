//! `datagata metrics` and `datagata events`: what the stored events say per provider, and the
//! event outbox (stored, sent, waiting), with `--send` delivering what waits.

use std::path::PathBuf;

use super::start_core;

pub(super) fn metrics_command(
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

pub(super) fn events_command(
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
