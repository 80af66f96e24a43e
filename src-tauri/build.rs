//! Reads the app's Tauri config from the top of the workspace (`../tauri.conf.json`), and declares
//! the app's own commands so that capabilities must allow each one by name.

fn main() {
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
                "generate_sample",
                "import_files",
                "export_result",
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
            ])),
    )
    .expect("tauri-build: reading ../tauri.conf.json and capabilities/");
}
