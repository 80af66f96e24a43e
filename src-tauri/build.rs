//! Reads the app's Tauri config from the top of the workspace (`../tauri.conf.json`), and declares
//! the app's own commands so that capabilities must allow each one by name; and tells the
//! binaries where DuckDB's prebuilt library is at run time (their rpath).

/// Where the binaries look for libduckdb: the folder it was linked from (development: the cache
/// scripts/setup fills), and where the packages put it beside the program.
fn link_duckdb() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    println!("cargo:rerun-if-env-changed=DATAGATA_PACKAGING");
    if std::env::var_os("CARGO_FEATURE_BUNDLED_DUCKDB").is_some() {
        return; // DuckDB compiled into the binary
    }
    let Some(dir) = std::env::var_os("DUCKDB_LIB_DIR") else {
        panic!(
            "DUCKDB_LIB_DIR is not set. Run scripts/setup (it fetches DuckDB's prebuilt library) \
             and build through scripts/ or after `source scripts/lib.sh`; or build with \
             `--features bundled-duckdb` to compile DuckDB from source"
        );
    };
    let packaging = std::env::var_os("DATAGATA_PACKAGING").is_some();
    match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux") => {
            // The .deb installs it in /usr/lib/datagata beside /usr/bin/datagata.
            println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN/../lib/datagata");
            if !packaging {
                println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.to_string_lossy());
            }
        }
        Ok("macos") => {
            println!("cargo:rustc-link-arg=-Wl,-rpath,@executable_path/../Frameworks");
            if !packaging {
                println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.to_string_lossy());
            }
        }
        // Windows finds duckdb.dll beside the program (the installer puts it there).
        _ => {}
    }
}

fn main() {
    link_duckdb();
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
