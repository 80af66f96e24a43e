//! The `datagata` binary: the CLI, which opens the window when given no subcommand.

fn main() -> anyhow::Result<()> {
    datagata::cli::main()
}
