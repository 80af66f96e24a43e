//! The `datagata` binary: the CLI, which opens the window when given no subcommand. On Windows a
//! release build is a GUI program (no console window behind the app); its CLI commands attach to
//! the console they were started from, so they still print.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    #[cfg(windows)]
    attach_parent_console();
    datagata::cli::main()
}

/// Prints of a GUI-subsystem program go nowhere unless it joins its parent's console.
#[cfg(windows)]
fn attach_parent_console() {
    const ATTACH_PARENT_PROCESS: u32 = u32::MAX;
    #[link(name = "kernel32")]
    unsafe extern "system" {
        fn AttachConsole(process_id: u32) -> i32;
    }
    // SAFETY: AttachConsole takes a process id and touches no memory of ours; failing (no parent
    // console, e.g. started from the Start menu) is fine and ignored.
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}
