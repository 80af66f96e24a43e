//! Reads the app's Tauri config from the top of the workspace (`../tauri.conf.json`), and declares
//! the app's own commands so that capabilities must allow each one by name; and tells the
//! binaries where DuckDB's prebuilt library and llama.cpp's shared libraries are at run time
//! (their rpath).

/// Where the binaries look for libduckdb and llama.cpp's libraries (libllama, libggml*; the
/// engine's CPU kernel modules are found by the worker, engine/backends.rs): where the packages
/// put them beside the program, and in development the folders they were built or fetched into
/// (the cache scripts/setup fills; llama-cpp-sys-2's build output).
fn link_libraries() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    println!("cargo:rerun-if-env-changed=DATAGATA_PACKAGING");
    let packaging = std::env::var_os("DATAGATA_PACKAGING").is_some();
    let mut dev_dirs = Vec::new();
    if std::env::var_os("CARGO_FEATURE_BUNDLED_DUCKDB").is_none() {
        dev_dirs.push(std::path::PathBuf::from(duckdb_dir()));
    }
    // llama-cpp-sys-2 installs the shared libraries in `lib` beside its `backends` folder.
    if let Some(backends) = std::env::var_os("DEP_LLAMA_BACKENDS_DIR") {
        let out = std::path::Path::new(&backends)
            .parent()
            .map(|p| p.to_path_buf());
        dev_dirs.extend(
            out.into_iter()
                .flat_map(|o| [o.join("lib"), o.join("lib64")])
                .filter(|d| d.is_dir()),
        );
    }
    let rpath = |dir: &str| println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux") => {
            // The .deb installs them in /usr/lib/datagata beside /usr/bin/datagata.
            rpath("$ORIGIN/../lib/datagata");
        }
        Ok("macos") => rpath("@executable_path/../Frameworks"),
        // Windows finds DLLs beside the program (the installer puts them there).
        _ => return,
    }
    if !packaging {
        for dir in &dev_dirs {
            rpath(&dir.to_string_lossy());
        }
    }
}

/// The folder of DuckDB's prebuilt library (scripts/setup fetches it).
fn duckdb_dir() -> std::ffi::OsString {
    let Some(dir) = std::env::var_os("DUCKDB_LIB_DIR") else {
        panic!(
            "DUCKDB_LIB_DIR is not set. Run scripts/setup (it fetches DuckDB's prebuilt library) \
             and build through scripts/ or after `source scripts/lib.sh`; or build with \
             `--features bundled-duckdb` to compile DuckDB from source"
        );
    };
    dir
}

fn main() {
    link_libraries();
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=capabilities");
    // The front end is embedded at compile time: a rebuilt UI (new or changed files) must
    // recompile the app.
    println!("cargo:rerun-if-changed=../src-ui/dist");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .config_path("../tauri.conf.json")
            .app_manifest(tauri_build::AppManifest::new().commands(&[
                "device_facts",
                "report_webgpu",
                "targeting",
                "set_profile",
                "data_status",
                "schema",
                "run_query",
                "stop_query",
                "complete_sql",
                "sql_vocabulary",
                "query_history",
                "ui_settings",
                "set_theme",
                "editor_state",
                "save_editor_sql",
                "generate_sample",
                "import_files",
                "export_result",
                "save_chart",
                "disconnect_motherduck",
                "pivot",
                "save_table",
                "saved_tables",
                "drop_table",
                "connect_motherduck",
                "metrics",
                "ai_panel",
                "set_provider_choice",
                "ask",
                "local_generated",
                "local_failed",
                "run_answer",
                "ai_feedback",
                "import_model_folder",
                "forget_model_folder",
                "stop_generation",
                "download_gguf",
                "cancel_gguf_download",
                "pick_gguf_file",
                "import_gguf",
                "use_gguf",
                "remove_gguf",
                "set_runtime_pin",
            ])),
    )
    .expect("tauri-build: reading ../tauri.conf.json and capabilities/");
}
