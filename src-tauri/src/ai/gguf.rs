//! GGUF model files for the native engine: which files this machine has (downloaded into the
//! data directory's `models/`, provided in `DATAGATA_MODELS_DIR`, or imported from anywhere on
//! disk and remembered in `gguf-files.json`), which one answers (the person's pick, else the one
//! the AI Config names, else the first found), the AI Config's offer (`model.custom`: name, URL,
//! size, SHA-256) and its download ([`download`]: resumable, cancellable, verified), and removing
//! a file with the disk it frees. Plain Rust; the Tauri shell only forwards the progress.

pub mod download;

use std::{
    io::{ErrorKind, Read},
    path::{Path, PathBuf},
    sync::{Mutex, RwLock},
};

use datagata_ipc::ai::{GgufDownload, GgufFile, GgufOffer, GgufOrigin, GgufState};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use download::{CancelFlag, DownloadError};

/// The folder of downloaded GGUF files, in the data directory.
pub const MODELS_DIR: &str = "models";
/// Where imported files and the person's pick are remembered, in the data directory.
pub const LIST_FILE: &str = "gguf-files.json";
/// For tests only: downloads come from this URL instead of the AI Config's (the e2e tests serve
/// the model from 127.0.0.1).
pub const URL_OVERRIDE_ENV: &str = "DATAGATA_GGUF_URL";
/// What llama.cpp needs beside the weights (context, KV cache, compute buffers) at the engine's
/// context size: measured 221 MB over the 98 MB SmolLM2 file (peak RSS 319 MB), rounded up.
const RUN_OVERHEAD_BYTES: u64 = 250_000_000;

/// The GGUF file an AI Config variation names (`model.custom`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgufSpec {
    pub name: String,
    pub url: Option<String>,
    pub bytes: Option<u64>,
    pub sha256: Option<String>,
}

impl GgufSpec {
    /// From a variation's `model.custom` (`gguf`, `ggufUrl`, `ggufBytes`, `ggufSha256`).
    pub fn from_custom(custom: &Value) -> Option<Self> {
        Some(Self {
            name: custom["gguf"]
                .as_str()
                .filter(|n| valid_name(n))?
                .to_string(),
            url: custom["ggufUrl"].as_str().map(str::to_string),
            bytes: custom["ggufBytes"].as_u64(),
            sha256: custom["ggufSha256"]
                .as_str()
                .map(|s| s.to_ascii_lowercase()),
        })
    }
}

/// Memory the native engine needs to run a GGUF file of `bytes`.
pub fn memory_needed(bytes: u64) -> u64 {
    bytes + RUN_OVERHEAD_BYTES
}

/// A file name the app will write into `models/`: no folders, a `.gguf` ending.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && name.to_ascii_lowercase().ends_with(".gguf")
}

#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("{path} is not a file")]
    NotAFile { path: String },
    #[error("{path} is not a GGUF model file (it does not start with the bytes \"GGUF\")")]
    NotGguf { path: String },
    #[error("{path} is not one of the GGUF files listed here")]
    Unknown { path: String },
    #[error(
        "{path} was found in DATAGATA_MODELS_DIR, which the app does not manage: delete it there"
    )]
    NotOurs { path: String },
    #[error("the AI Config names no GGUF file to download")]
    NoOffer,
    #[error("the AI Config gives no URL for {name}: import the file from disk instead")]
    NoUrl { name: String },
    #[error("a download is already under way")]
    Busy,
    #[error("downloading {name}: {error}")]
    Download { name: String, error: DownloadError },
    #[error("{0}")]
    Io(String),
}

fn io(what: &str, path: &Path, e: std::io::Error) -> GgufError {
    GgufError::Io(format!("{what} {}: {e}", path.display()))
}

/// What `gguf-files.json` keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Saved {
    imported: Vec<PathBuf>,
    pinned: Option<PathBuf>,
}

/// The folders looked in.
#[derive(Debug, Clone)]
struct Dirs {
    /// Downloads land here (the data directory's `models/`).
    download: PathBuf,
    /// `DATAGATA_MODELS_DIR`'s folders.
    provided: Vec<PathBuf>,
    list_file: PathBuf,
}

/// What a removal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// The file was deleted, freeing this many bytes.
    Deleted { bytes: u64 },
    /// An imported file was forgotten (it stays on disk).
    Forgotten,
}

/// The GGUF files and the download under way.
pub struct GgufFiles {
    dirs: RwLock<Dirs>,
    saved: RwLock<Saved>,
    download: Mutex<Option<(GgufDownload, CancelFlag)>>,
}

/// `DATAGATA_MODELS_DIR`'s folders (scripts/ point it at the cache scripts/setup fills).
pub fn provided_dirs() -> Vec<PathBuf> {
    std::env::var_os("DATAGATA_MODELS_DIR")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default()
}

/// Whether `path` starts with GGUF's magic bytes.
fn is_gguf(path: &Path) -> Result<(), GgufError> {
    let shown = || path.display().to_string();
    let mut file = std::fs::File::open(path).map_err(|_| GgufError::NotAFile { path: shown() })?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(GgufError::NotAFile { path: shown() });
    }
    let mut magic = [0u8; 4];
    match file.read_exact(&mut magic) {
        Ok(()) if &magic == b"GGUF" => Ok(()),
        _ => Err(GgufError::NotGguf { path: shown() }),
    }
}

fn ggufs_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("gguf"))
                && p.is_file()
        })
        .collect();
    found.sort();
    found
}

impl GgufFiles {
    /// The GGUF files of the app whose data directory is `data_dir`, plus those in `provided`.
    pub fn open(data_dir: &Path, provided: Vec<PathBuf>) -> Self {
        let files = Self {
            dirs: RwLock::new(Dirs {
                download: data_dir.join(MODELS_DIR),
                provided,
                list_file: data_dir.join(LIST_FILE),
            }),
            saved: RwLock::new(Saved::default()),
            download: Mutex::new(None),
        };
        files.reload();
        files
    }

    /// Looks in other folders from now on (tests point the app at a folder of their own).
    pub fn set_dirs(&self, data_dir: &Path, provided: Vec<PathBuf>) {
        *self.dirs.write().unwrap_or_else(|e| e.into_inner()) = Dirs {
            download: data_dir.join(MODELS_DIR),
            provided,
            list_file: data_dir.join(LIST_FILE),
        };
        self.reload();
    }

    fn reload(&self) {
        let list_file = self.dirs().list_file;
        let saved = match std::fs::read_to_string(&list_file) {
            Ok(text) => serde_json::from_str(&text)
                .inspect_err(|e| tracing::warn!("ignoring {}: {e}", list_file.display()))
                .unwrap_or_default(),
            Err(e) if e.kind() == ErrorKind::NotFound => Saved::default(),
            Err(e) => {
                tracing::warn!("reading {}: {e}", list_file.display());
                Saved::default()
            }
        };
        *self.saved.write().unwrap_or_else(|e| e.into_inner()) = saved;
    }

    fn dirs(&self) -> Dirs {
        self.dirs.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn saved(&self) -> Saved {
        self.saved.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Where downloads go.
    pub fn download_dir(&self) -> PathBuf {
        self.dirs().download
    }

    fn save(&self, next: Saved) -> Result<(), GgufError> {
        let list_file = self.dirs().list_file;
        let text = serde_json::to_string_pretty(&next).map_err(|e| GgufError::Io(e.to_string()))?;
        let temp = list_file.with_extension("json.tmp");
        std::fs::write(&temp, text).map_err(|e| io("writing", &temp, e))?;
        std::fs::rename(&temp, &list_file).map_err(|e| io("writing", &list_file, e))?;
        *self.saved.write().unwrap_or_else(|e| e.into_inner()) = next;
        Ok(())
    }

    /// Every GGUF file found, with where it came from (downloaded, provided, then imported).
    fn found(&self) -> Vec<(PathBuf, GgufOrigin)> {
        let dirs = self.dirs();
        let mut out: Vec<(PathBuf, GgufOrigin)> = ggufs_in(&dirs.download)
            .into_iter()
            .map(|p| (p, GgufOrigin::Downloaded))
            .collect();
        for dir in &dirs.provided {
            out.extend(ggufs_in(dir).into_iter().map(|p| (p, GgufOrigin::Provided)));
        }
        for path in self.saved().imported {
            if path.is_file() && !out.iter().any(|(p, _)| *p == path) {
                out.push((path, GgufOrigin::Imported));
            }
        }
        out
    }

    /// The file that answers: the person's pick when it is still there, else the file named
    /// `name` (the AI Config's), else the first found.
    pub fn resolve(&self, name: &str) -> Option<PathBuf> {
        let found = self.found();
        let pinned = self.saved().pinned;
        let by_name = |(p, _): &&(PathBuf, GgufOrigin)| {
            p.file_name().is_some_and(|n| n.to_string_lossy() == name)
        };
        found
            .iter()
            .find(|(p, _)| Some(p) == pinned.as_ref())
            .or_else(|| found.iter().find(by_name))
            .or_else(|| found.first())
            .map(|(p, _)| p.clone())
    }

    /// The files for the panel, the one that answers marked.
    pub fn files(&self, name: &str) -> Vec<GgufFile> {
        let used = self.resolve(name);
        let pinned = self.saved().pinned;
        self.found()
            .into_iter()
            .map(|(path, origin)| GgufFile {
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                used: used.as_ref() == Some(&path),
                pinned: pinned.as_ref() == Some(&path),
                path: path.display().to_string(),
                origin,
            })
            .collect()
    }

    /// Checks the GGUF file at `path`, remembers it (it stays where it is) and answers with it
    /// from now on.
    pub fn import(&self, path: &Path) -> Result<PathBuf, GgufError> {
        let real = path.canonicalize().map_err(|_| GgufError::NotAFile {
            path: path.display().to_string(),
        })?;
        is_gguf(&real)?;
        let mut next = self.saved();
        if !next.imported.contains(&real) {
            next.imported.push(real.clone());
        }
        next.pinned = Some(real.clone());
        self.save(next)?;
        Ok(real)
    }

    /// Answers with the file at `path` from now on (`None`: the AI Config's file again).
    pub fn pin(&self, path: Option<&Path>) -> Result<(), GgufError> {
        let mut next = self.saved();
        next.pinned = match path {
            None => None,
            Some(path) => Some(
                self.found()
                    .into_iter()
                    .map(|(p, _)| p)
                    .find(|p| p == path)
                    .ok_or_else(|| GgufError::Unknown {
                        path: path.display().to_string(),
                    })?,
            ),
        };
        self.save(next)
    }

    /// Deletes a downloaded file or an unfinished download (`.part`), or forgets an imported
    /// file (left on disk). A file in `DATAGATA_MODELS_DIR` is not the app's to delete.
    pub fn remove(&self, path: &Path) -> Result<Removed, GgufError> {
        let unknown = || GgufError::Unknown {
            path: path.display().to_string(),
        };
        let dirs = self.dirs();
        let is_part = path.parent() == Some(dirs.download.as_path())
            && path.extension().is_some_and(|x| x == "part")
            && path.is_file();
        let origin = if is_part {
            Some(GgufOrigin::Downloaded)
        } else {
            self.found()
                .into_iter()
                .find(|(p, _)| p == path)
                .map(|(_, o)| o)
        };
        let mut next = self.saved();
        if next.pinned.as_deref() == Some(path) {
            next.pinned = None;
        }
        let removed = match origin.ok_or_else(unknown)? {
            GgufOrigin::Provided => {
                return Err(GgufError::NotOurs {
                    path: path.display().to_string(),
                });
            }
            GgufOrigin::Imported => {
                next.imported.retain(|p| p != path);
                Removed::Forgotten
            }
            GgufOrigin::Downloaded => {
                if self.downloading_to(path) {
                    return Err(GgufError::Busy);
                }
                let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                std::fs::remove_file(path).map_err(|e| io("deleting", path, e))?;
                Removed::Deleted { bytes }
            }
        };
        self.save(next)?;
        Ok(removed)
    }

    fn downloading_to(&self, path: &Path) -> bool {
        let lock = self.download.lock().unwrap_or_else(|e| e.into_inner());
        let dir = self.dirs().download;
        lock.as_ref().is_some_and(|(d, _)| {
            let dest = dir.join(&d.name);
            path == dest || path == download::part_path(&dest)
        })
    }

    /// The AI Config's file and where it stands here.
    pub fn offer(&self, spec: &GgufSpec) -> GgufOffer {
        let dest = self.download_dir().join(&spec.name);
        let present = self.found().iter().any(|(p, _)| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy() == spec.name)
        });
        let downloading = self
            .download
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|(d, _)| d.name == spec.name);
        let partial = std::fs::metadata(download::part_path(&dest)).map(|m| m.len());
        GgufOffer {
            name: spec.name.clone(),
            url: download_url(spec),
            bytes: spec.bytes,
            sha256: spec.sha256.clone(),
            memory_bytes: spec.bytes.map(memory_needed),
            state: match (downloading, present, partial) {
                (true, _, _) => GgufState::Downloading,
                (false, true, _) => GgufState::Present,
                (false, false, Ok(bytes)) => GgufState::Partial { bytes },
                (false, false, Err(_)) => GgufState::Missing,
            },
        }
    }

    /// The download under way, if any.
    pub fn progress(&self) -> Option<GgufDownload> {
        self.download
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(d, _)| d.clone())
    }

    /// Cancels the download under way; false when none is.
    pub fn cancel(&self) -> bool {
        match &*self.download.lock().unwrap_or_else(|e| e.into_inner()) {
            Some((_, cancel)) => {
                cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Downloads (or resumes) the AI Config's file into `models/`, one download at a time,
    /// reporting progress; the finished, verified file's path.
    pub fn download(
        &self,
        spec: &GgufSpec,
        on_progress: &mut dyn FnMut(&GgufDownload),
    ) -> Result<PathBuf, GgufError> {
        let url = download_url(spec).ok_or_else(|| GgufError::NoUrl {
            name: spec.name.clone(),
        })?;
        let cancel = CancelFlag::default();
        {
            let mut lock = self.download.lock().unwrap_or_else(|e| e.into_inner());
            if lock.is_some() {
                return Err(GgufError::Busy);
            }
            *lock = Some((
                GgufDownload {
                    name: spec.name.clone(),
                    total: spec.bytes,
                    ..GgufDownload::default()
                },
                cancel.clone(),
            ));
        }
        let dest = self.download_dir().join(&spec.name);
        let request = download::DownloadSpec {
            url,
            dest: dest.clone(),
            expected_bytes: spec.bytes,
            sha256: spec.sha256.clone(),
        };
        let outcome = download::download(&request, &cancel, &mut |p| {
            let now = GgufDownload {
                name: spec.name.clone(),
                bytes: p.bytes,
                total: p.total,
                bytes_per_second: p.bytes_per_second,
                eta_seconds: p.eta_seconds,
                verifying: p.verifying,
            };
            if let Some((d, _)) = &mut *self.download.lock().unwrap_or_else(|e| e.into_inner()) {
                *d = now.clone();
            }
            on_progress(&now);
        });
        *self.download.lock().unwrap_or_else(|e| e.into_inner()) = None;
        outcome.map_err(|error| GgufError::Download {
            name: spec.name.clone(),
            error,
        })?;
        Ok(dest)
    }
}

/// The URL a download uses: the test override, else the AI Config's.
fn download_url(spec: &GgufSpec) -> Option<String> {
    std::env::var(URL_OVERRIDE_ENV)
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| spec.url.clone())
}

#[cfg(test)]
mod fake_server;
#[cfg(test)]
mod tests;
