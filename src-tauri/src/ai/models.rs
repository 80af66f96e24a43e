//! WebLLM model folders imported from disk: the list (kept in `model-folders.json` in the data
//! directory), the check a folder must pass (`mlc-chat-config.json`, the tensor-cache manifest and
//! every shard it names, the tokenizer files, at most one model library `.wasm`), and how a request
//! on the app's `dgmodel` protocol maps to a file inside one of them. The Tauri shell registers the
//! protocol and calls [`ModelFolders::serve`]; nothing here needs a window.
//!
//! WebLLM asks for `<model url>/resolve/main/<file>` (it appends `resolve/main/` to a model URL
//! that has none), so the served paths are `/<model id>/resolve/main/<file>`. The files are read
//! where they are: importing copies nothing (models are gigabytes; WebLLM copies them into its own
//! cache on the first load anyway).

use std::{
    io::ErrorKind,
    path::{Path, PathBuf},
    sync::RwLock,
};

use datagata_ipc::ai::ImportedModel;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The URI scheme the app serves imported model folders on.
pub const SCHEME: &str = "dgmodel";
/// Where the list of imported folders is kept, in the data directory.
pub const LIST_FILE: &str = "model-folders.json";
/// The manifest WebLLM 0.2.86 reads; older MLC builds named it `ndarray-cache.json` (same
/// format), which is served under the new name when the new one is missing.
const TENSOR_CACHE: &str = "tensor-cache.json";
const NDARRAY_CACHE: &str = "ndarray-cache.json";
const CHAT_CONFIG: &str = "mlc-chat-config.json";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path} is not a folder")]
    NotAFolder { path: String },
    #[error(
        "{path} is not a WebLLM model folder: it has no {file} (a folder of an MLC model, e.g. a \
         download of huggingface.co/mlc-ai/<model>, holds {CHAT_CONFIG}, {TENSOR_CACHE} or \
         {NDARRAY_CACHE}, the params shards and the tokenizer)"
    )]
    Missing { path: String, file: String },
    #[error("{file} in {path} does not parse: {error}")]
    BadFile {
        path: String,
        file: String,
        error: String,
    },
    #[error("{path} is incomplete: {missing} named by {manifest} is missing")]
    Incomplete {
        path: String,
        missing: String,
        manifest: String,
    },
    #[error(
        "the folder's name {name:?} is not a model id WebLLM can use (letters, digits, '.', '_' \
         and '-'; e.g. Llama-3.2-3B-Instruct-q4f16_1-MLC): rename the folder"
    )]
    BadName { name: String },
    #[error(
        "{path} holds several model libraries ({found}); keep only the .wasm built for this model"
    )]
    SeveralLibraries { path: String, found: String },
    #[error("no imported model folder is called {0}")]
    Unknown(String),
    #[error("{0}")]
    Io(String),
}

fn io(what: &str, path: &Path, e: std::io::Error) -> ModelError {
    ModelError::Io(format!("{what} {}: {e}", path.display()))
}

/// One imported folder, as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    model_id: String,
    path: PathBuf,
}

/// What a checked folder holds.
#[derive(Debug, Clone, PartialEq)]
struct Checked {
    model_id: String,
    path: PathBuf,
    files: u64,
    bytes: u64,
    library: Option<String>,
}

/// The `ModelRecord.model` URL WebLLM gets for `model_id` (Tauri serves custom schemes as
/// `http://<scheme>.localhost/` on Windows and Android, `<scheme>://localhost/` elsewhere).
pub fn model_url(model_id: &str) -> String {
    if cfg!(any(windows, target_os = "android")) {
        format!("http://{SCHEME}.localhost/{model_id}/")
    } else {
        format!("{SCHEME}://localhost/{model_id}/")
    }
}

fn valid_id(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn read_json(folder: &Path, file: &str) -> Result<Value, ModelError> {
    let path = folder.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => ModelError::Missing {
            path: folder.display().to_string(),
            file: file.to_string(),
        },
        _ => io("reading", &path, e),
    })?;
    serde_json::from_str(&text).map_err(|e| ModelError::BadFile {
        path: folder.display().to_string(),
        file: file.to_string(),
        error: e.to_string(),
    })
}

/// A relative path from a manifest, if it stays inside the folder.
fn inside(folder: &Path, relative: &str) -> Option<PathBuf> {
    let mut path = folder.to_path_buf();
    for segment in relative.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." || segment.contains('\\') {
            return None;
        }
        path.push(segment);
    }
    Some(path)
}

/// Checks that `path` is a complete WebLLM model folder.
fn check(path: &Path) -> Result<Checked, ModelError> {
    let shown = path.display().to_string();
    let folder = path.canonicalize().map_err(|_| ModelError::NotAFolder {
        path: shown.clone(),
    })?;
    if !folder.is_dir() {
        return Err(ModelError::NotAFolder { path: shown });
    }
    let name = folder
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if !valid_id(&name) {
        return Err(ModelError::BadName { name });
    }
    let config = read_json(&folder, CHAT_CONFIG)?;
    let manifest_name = if folder.join(TENSOR_CACHE).is_file() {
        TENSOR_CACHE
    } else if folder.join(NDARRAY_CACHE).is_file() {
        NDARRAY_CACHE
    } else {
        return Err(ModelError::Missing {
            path: shown,
            file: TENSOR_CACHE.into(),
        });
    };
    let manifest = read_json(&folder, manifest_name)?;
    let records = manifest["records"]
        .as_array()
        .ok_or_else(|| ModelError::BadFile {
            path: shown.clone(),
            file: manifest_name.into(),
            error: "it has no \"records\" list".into(),
        })?;
    let shards = records
        .iter()
        .map(|r| (r["dataPath"].as_str(), manifest_name));
    let tokenizer = config["tokenizer_files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| (f.as_str(), CHAT_CONFIG));
    for (file, named_by) in shards.chain(tokenizer) {
        let found = file
            .and_then(|f| inside(&folder, f))
            .is_some_and(|p| p.is_file());
        if !found {
            return Err(ModelError::Incomplete {
                path: shown,
                missing: file.unwrap_or("an entry without a path").to_string(),
                manifest: named_by.into(),
            });
        }
    }
    let (mut files, mut bytes, mut libraries) = (0u64, 0u64, Vec::new());
    for entry in std::fs::read_dir(&folder).map_err(|e| io("reading", &folder, e))? {
        let entry = entry.map_err(|e| io("reading", &folder, e))?;
        let meta = entry
            .metadata()
            .map_err(|e| io("reading", &entry.path(), e))?;
        if meta.is_file() {
            files += 1;
            bytes += meta.len();
            let file = entry.file_name().to_string_lossy().to_string();
            if file.ends_with(".wasm") {
                libraries.push(file);
            }
        }
    }
    if libraries.len() > 1 {
        libraries.sort();
        return Err(ModelError::SeveralLibraries {
            path: shown,
            found: libraries.join(", "),
        });
    }
    Ok(Checked {
        model_id: name,
        path: folder,
        files,
        bytes,
        library: libraries.pop(),
    })
}

impl Checked {
    fn view(&self) -> ImportedModel {
        let url = model_url(&self.model_id);
        ImportedModel {
            model_id: self.model_id.clone(),
            path: self.path.display().to_string(),
            files: self.files,
            bytes: self.bytes,
            model_lib_url: self
                .library
                .as_ref()
                .map(|lib| format!("{url}resolve/main/{lib}")),
            model_url: url,
        }
    }
}

/// A response on the `dgmodel` protocol, free of any HTTP crate so the core stays plain.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Served {
    /// A plain-text error response.
    pub fn error(status: u16, message: String) -> Self {
        Served {
            status,
            content_type: "text/plain; charset=utf-8",
            body: message.into_bytes(),
        }
    }
}

/// The imported model folders.
pub struct ModelFolders {
    list_file: PathBuf,
    entries: RwLock<Vec<Entry>>,
}

impl ModelFolders {
    /// The folders imported into the app whose data directory is `data_dir` (none when the list
    /// is missing; an unreadable list is logged and treated as empty, never a failed start).
    pub fn open(data_dir: &Path) -> Self {
        let list_file = data_dir.join(LIST_FILE);
        let entries = match std::fs::read_to_string(&list_file) {
            Ok(text) => serde_json::from_str(&text)
                .inspect_err(|e| tracing::warn!("ignoring {}: {e}", list_file.display()))
                .unwrap_or_default(),
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                tracing::warn!("reading {}: {e}", list_file.display());
                Vec::new()
            }
        };
        Self {
            list_file,
            entries: RwLock::new(entries),
        }
    }

    fn save(&self, entries: &[Entry]) -> Result<(), ModelError> {
        let text =
            serde_json::to_string_pretty(entries).map_err(|e| ModelError::Io(e.to_string()))?;
        let temp = self.list_file.with_extension("json.tmp");
        std::fs::write(&temp, text).map_err(|e| io("writing", &temp, e))?;
        std::fs::rename(&temp, &self.list_file).map_err(|e| io("writing", &self.list_file, e))
    }

    /// Checks the folder at `path` and adds it (replacing an earlier folder with the same id).
    pub fn import(&self, path: &Path) -> Result<ImportedModel, ModelError> {
        let checked = check(path)?;
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let mut next: Vec<Entry> = entries
            .iter()
            .filter(|e| e.model_id != checked.model_id)
            .cloned()
            .collect();
        next.push(Entry {
            model_id: checked.model_id.clone(),
            path: checked.path.clone(),
        });
        self.save(&next)?;
        *entries = next;
        Ok(checked.view())
    }

    /// The imported folders that still check out; one that moved or broke is logged and left out
    /// (and kept in the list, so putting it back brings it back).
    pub fn list(&self) -> Vec<ImportedModel> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        entries
            .iter()
            .filter_map(|e| {
                check(&e.path)
                    .inspect_err(|err| tracing::warn!("imported model {}: {err}", e.model_id))
                    .ok()
                    .filter(|c| c.model_id == e.model_id)
                    .map(|c| c.view())
            })
            .collect()
    }

    /// Stops serving the folder imported as `model_id`; its files are left alone.
    pub fn forget(&self, model_id: &str) -> Result<(), ModelError> {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if !entries.iter().any(|e| e.model_id == model_id) {
            return Err(ModelError::Unknown(model_id.to_string()));
        }
        let next: Vec<Entry> = entries
            .iter()
            .filter(|e| e.model_id != model_id)
            .cloned()
            .collect();
        self.save(&next)?;
        *entries = next;
        Ok(())
    }

    /// The file a `dgmodel` request path (`/<model id>/resolve/main/<file>`, or without
    /// `resolve/main/`) names, if it lies inside that model's folder (symlinks resolved).
    pub fn resolve(&self, request_path: &str) -> Result<PathBuf, Served> {
        let not_found = |why: &str| Served::error(404, format!("{request_path}: {why}"));
        let mut segments = request_path.trim_start_matches('/').split('/');
        let id = segments.next().unwrap_or_default();
        let folder = self
            .entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|e| e.model_id == id)
            .map(|e| e.path.clone())
            .ok_or_else(|| not_found("no imported model folder has this id"))?;
        let mut rest: Vec<&str> = segments.collect();
        if rest.len() > 2 && rest[0] == "resolve" {
            rest.drain(..2);
        }
        let relative = rest.join("/");
        if relative.contains('%') {
            return Err(Served::error(
                400,
                format!("{request_path}: encoded paths are not served"),
            ));
        }
        let mut path =
            inside(&folder, &relative).ok_or_else(|| not_found("not a file in the folder"))?;
        if relative == TENSOR_CACHE && !path.is_file() {
            path = folder.join(NDARRAY_CACHE);
        }
        let real = path.canonicalize().map_err(|_| not_found("no such file"))?;
        let root = folder
            .canonicalize()
            .map_err(|_| not_found("the folder is gone"))?;
        if !real.starts_with(&root) || !real.is_file() {
            return Err(not_found("not a file in the folder"));
        }
        Ok(real)
    }

    /// Answers a `dgmodel` request.
    pub fn serve(&self, request_path: &str) -> Served {
        let path = match self.resolve(request_path) {
            Ok(p) => p,
            Err(response) => return response,
        };
        match std::fs::read(&path) {
            Ok(body) => Served {
                status: 200,
                content_type: match path.extension().and_then(|e| e.to_str()) {
                    Some("json") => "application/json",
                    Some("wasm") => "application/wasm",
                    Some("txt") => "text/plain; charset=utf-8",
                    _ => "application/octet-stream",
                },
                body,
            },
            Err(e) => Served::error(500, format!("{request_path}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests;
