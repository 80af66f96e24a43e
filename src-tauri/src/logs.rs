//! Where DataGata logs: always to stderr; the window also to a file rotated daily in the data
//! directory's `logs/` folder (the last 7 days kept), whose path the About panel shows.

use std::path::PathBuf;

use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

/// How many daily log files are kept.
const KEEP_DAYS: usize = 7;

/// The folder of the window's log files.
pub fn log_dir() -> PathBuf {
    crate::data_dir().join("logs")
}

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| "datagata=info,warn".into())
}

/// Starts logging; with `to_file`, also into [`log_dir`]. Keep the guard alive as long as the
/// program runs (dropping it flushes the file).
pub fn init(to_file: bool) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let file = to_file
        .then(|| {
            tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix("datagata")
                .filename_suffix("log")
                .max_log_files(KEEP_DAYS)
                .build(log_dir())
                .inspect_err(|e| eprintln!("no log file in {}: {e}", log_dir().display()))
                .ok()
        })
        .flatten()
        .map(tracing_appender::non_blocking);
    let (file_layer, guard) = match file {
        Some((writer, guard)) => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(writer)
                    .with_filter(filter()),
            ),
            Some(guard),
        ),
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(stderr)
        .with(file_layer)
        .init();
    guard
}
