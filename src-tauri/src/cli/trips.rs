//! `datagata data …` and `datagata query`: generate or import the trips, their status, and one
//! read-only statement through the app's guard.

use std::path::PathBuf;

use clap::Subcommand;

use super::{open_database, spinner};
use crate::data;

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

pub(super) fn data_command(db: Option<PathBuf>, command: DataCommand) -> anyhow::Result<()> {
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

pub(super) fn query_command(
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

#[cfg(test)]
mod tests {
    use super::super::{Cli, Command};
    use super::*;
    use clap::Parser;

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
}
