//! Native file dialogs (tauri-plugin-dialog, through its IPC commands): the window asks, the
//! person picks, the chosen paths come back as text (typing a path stays possible everywhere).

use serde::Serialize;

/// A filter in a dialog: a name and the file endings it shows.
#[derive(Serialize, Clone)]
pub struct Filter {
    pub name: &'static str,
    pub extensions: &'static [&'static str],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenOptions<'a> {
    title: &'a str,
    filters: &'a [Filter],
    multiple: bool,
    directory: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SaveOptions<'a> {
    title: &'a str,
    filters: &'a [Filter],
    default_path: &'a str,
}

#[derive(Serialize)]
struct Args<T: Serialize> {
    options: T,
}

/// Files picked in the system's Open dialog; empty when the person cancelled.
pub async fn pick_files(title: &str, filters: &[Filter]) -> Result<Vec<String>, String> {
    let options = OpenOptions {
        title,
        filters,
        multiple: true,
        directory: false,
    };
    let picked: serde_json::Value = super::invoke("plugin:dialog|open", &Args { options }).await?;
    Ok(match picked {
        serde_json::Value::String(p) => vec![p],
        serde_json::Value::Array(list) => list
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    })
}

/// The path chosen in the system's Save dialog; `None` when the person cancelled.
pub async fn save_path(
    title: &str,
    filters: &[Filter],
    default_name: &str,
) -> Result<Option<String>, String> {
    let options = SaveOptions {
        title,
        filters,
        default_path: default_name,
    };
    let picked: Option<String> = super::invoke("plugin:dialog|save", &Args { options }).await?;
    Ok(picked)
}
