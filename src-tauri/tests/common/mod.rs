//! What the CLI integration tests share: the `datagata` binary cargo built, run apart from this
//! machine's keyring, MotherDuck token and LaunchDarkly key.

use std::process::Command;

/// `datagata` with no keyring, no MotherDuck token and no LaunchDarkly SDK key from the caller's
/// environment (a test that wants LaunchDarkly sets its own).
pub fn datagata() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_datagata"));
    cmd.env("DATAGATA_NO_KEYRING", "1")
        .env_remove("MOTHERDUCK_TOKEN")
        .env_remove("LAUNCHDARKLY_SDK_KEY");
    cmd
}
