//! The command line: no subcommand opens the window; each subcommand is a few lines over the core.

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::{Core, app, device};

#[derive(Debug, Parser)]
#[command(
    name = "datagata",
    version,
    about = "DataGata: ask NYC-taxi questions with local or cloud AI"
)]
pub struct Cli {
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
}

pub fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "datagata=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        None => {
            let core = Core::start().context("starting DataGata")?;
            app::run(core).context("running the DataGata window")
        }
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
                println!("Memory       {:.1} GiB", facts.memory_gib());
                println!(
                    "Device type  {} ({})",
                    facts.device_type, facts.device_type_reason
                );
                println!("WebGPU       reported by the app's WebView when the window is open");
            }
            Ok(())
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
