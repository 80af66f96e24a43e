//! [`FlagStore`]: flag data in LaunchDarkly's own JSON model, held in memory behind the SDK's
//! `PersistentDataStore` extension point, and optionally mirrored to a file.
//!
//! Offline (the embedded file, another flag file, the last-known-good copy) the SDK's `Client`
//! runs in daemon mode and reads its flags from this store without connecting anywhere. Live, the
//! SDK's streaming data source writes what LaunchDarkly sends into the same store (`init`,
//! `upsert`), and the store mirrors it to disk, so the next start without network evaluates the
//! last data received. The file it writes has the same `{"flags", "segments"}` shape as
//! `flags/default.json`, so either can be read back by [`FlagStore::from_json`].

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
};

use launchdarkly_server_sdk::{
    AllData, DataKind, Flag, PersistentDataStore, PersistentDataStoreFactory, PersistentStoreError,
    Segment, SerializedItem,
};
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum FlagDataError {
    #[error("the flag data is not LaunchDarkly flag JSON ({{\"flags\": …, \"segments\": …}}): {0}")]
    Shape(#[source] serde_json::Error),
    #[error("flag {key:?} is not a valid LaunchDarkly flag: {source}")]
    Flag {
        key: String,
        source: serde_json::Error,
    },
    #[error("segment {key:?} is not a valid LaunchDarkly segment: {source}")]
    Segment {
        key: String,
        source: serde_json::Error,
    },
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Default)]
struct Items {
    flags: HashMap<String, SerializedItem>,
    segments: HashMap<String, SerializedItem>,
    initialized: bool,
}

/// Flag data the SDK reads through `PersistentDataStore`. Clones share the same data.
#[derive(Clone, Default)]
pub struct FlagStore {
    items: Arc<RwLock<Items>>,
    mirror: Option<PathBuf>,
    /// The last failure to save the mirror, until a save succeeds.
    mirror_error: Arc<RwLock<Option<String>>>,
}

fn item(value: &Value, version: u64) -> SerializedItem {
    SerializedItem {
        version,
        deleted: false,
        serialized_item: value.to_string(),
    }
}

/// Checks each item with the SDK's type `T` and keeps it serialized, with its version.
fn parse_items<T: serde::de::DeserializeOwned>(
    raw: &HashMap<String, Value>,
    version: impl Fn(T) -> u64,
    error: impl Fn(String, serde_json::Error) -> FlagDataError,
) -> Result<HashMap<String, SerializedItem>, FlagDataError> {
    raw.iter()
        .map(|(key, value)| {
            let parsed: T =
                serde_json::from_value(value.clone()).map_err(|e| error(key.clone(), e))?;
            Ok((key.clone(), item(value, version(parsed))))
        })
        .collect()
}

impl FlagStore {
    /// Parses flag data, checking every flag and segment with the SDK's own types so a bad file
    /// fails here, with the item's key, rather than as "flag not found" at evaluation time.
    pub fn from_json(json: &str) -> Result<Self, FlagDataError> {
        let raw: AllData<Value, Value> =
            serde_json::from_str(json).map_err(FlagDataError::Shape)?;
        let items = Items {
            flags: parse_items(
                &raw.flags,
                |f: Flag| f.version,
                |key, source| FlagDataError::Flag { key, source },
            )?,
            segments: parse_items(
                &raw.segments,
                |s: Segment| s.version,
                |key, source| FlagDataError::Segment { key, source },
            )?,
            initialized: true,
        };
        Ok(Self {
            items: Arc::new(RwLock::new(items)),
            mirror: None,
            mirror_error: Arc::default(),
        })
    }

    pub fn from_file(path: &Path) -> Result<Self, FlagDataError> {
        let json = std::fs::read_to_string(path).map_err(|source| FlagDataError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&json)
    }

    /// An empty store that writes everything the SDK puts in it to `path`.
    pub fn mirrored_to(path: PathBuf) -> Self {
        Self {
            items: Arc::default(),
            mirror: Some(path),
            mirror_error: Arc::default(),
        }
    }

    /// Why the last-known-good copy could not be saved, if its last save failed.
    pub fn mirror_error(&self) -> Option<String> {
        self.mirror_error
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The keys of the flags present (not deleted), in no particular order.
    pub fn present_flag_keys(&self) -> Vec<String> {
        let items = self.items.read().unwrap_or_else(|e| e.into_inner());
        items
            .flags
            .iter()
            .filter(|(_, item)| !item.deleted)
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// The keys of the flags present (not deleted), sorted.
    pub fn flag_keys(&self) -> Vec<String> {
        let mut keys = self.present_flag_keys();
        keys.sort();
        keys
    }

    /// The data as LaunchDarkly flag JSON (deleted items left out).
    pub fn to_json(&self) -> Value {
        let items = self.items.read().unwrap_or_else(|e| e.into_inner());
        let collect = |map: &HashMap<String, SerializedItem>| -> Map<String, Value> {
            map.iter()
                .filter(|(_, item)| !item.deleted)
                .filter_map(|(key, item)| {
                    serde_json::from_str(&item.serialized_item)
                        .ok()
                        .map(|v| (key.clone(), v))
                })
                .collect()
        };
        serde_json::json!({ "flags": collect(&items.flags), "segments": collect(&items.segments) })
    }

    /// Saves the mirror. A failure is logged and kept for [`FlagStore::mirror_error`], never
    /// returned: the SDK would otherwise refuse the update itself, and a kill switch pushed from
    /// LaunchDarkly must apply even when the disk cannot keep a copy of it.
    fn write_mirror(&self) -> Result<(), PersistentStoreError> {
        if let Err(e) = self.save_mirror() {
            let e = e.to_string();
            tracing::error!("the flag update is applied, but {e}");
            *self.mirror_error.write().unwrap_or_else(|e| e.into_inner()) = Some(e);
        } else {
            *self.mirror_error.write().unwrap_or_else(|e| e.into_inner()) = None;
        }
        Ok(())
    }

    fn save_mirror(&self) -> Result<(), PersistentStoreError> {
        let Some(path) = &self.mirror else {
            return Ok(());
        };
        let text = serde_json::to_string_pretty(&self.to_json())
            .map_err(|e| PersistentStoreError::new(e.to_string()))?;
        // Write beside, then rename: a crash mid-write never leaves a torn file.
        let tmp = path.with_extension("json.tmp");
        let result = (|| {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, path)
        })();
        result.map_err(|e| {
            PersistentStoreError::new(format!(
                "the last-known-good copy {} could not be saved: {e}",
                path.display()
            ))
        })
    }
}

impl PersistentDataStore for FlagStore {
    fn init(
        &mut self,
        all_data: AllData<SerializedItem, SerializedItem>,
    ) -> Result<(), PersistentStoreError> {
        {
            let mut items = self.items.write().unwrap_or_else(|e| e.into_inner());
            items.flags = all_data.flags;
            items.segments = all_data.segments;
            items.initialized = true;
        }
        self.write_mirror()
    }

    fn flag(&self, key: &str) -> Result<Option<SerializedItem>, PersistentStoreError> {
        let items = self.items.read().unwrap_or_else(|e| e.into_inner());
        Ok(items.flags.get(key).cloned())
    }

    fn segment(&self, key: &str) -> Result<Option<SerializedItem>, PersistentStoreError> {
        let items = self.items.read().unwrap_or_else(|e| e.into_inner());
        Ok(items.segments.get(key).cloned())
    }

    fn all_flags(&self) -> Result<HashMap<String, SerializedItem>, PersistentStoreError> {
        let items = self.items.read().unwrap_or_else(|e| e.into_inner());
        Ok(items.flags.clone())
    }

    fn upsert(
        &mut self,
        kind: DataKind,
        key: &str,
        serialized_item: SerializedItem,
    ) -> Result<bool, PersistentStoreError> {
        let updated = {
            let mut items = self.items.write().unwrap_or_else(|e| e.into_inner());
            let map = match kind {
                DataKind::Flag => &mut items.flags,
                DataKind::Segment => &mut items.segments,
            };
            match map.get(key) {
                Some(existing) if existing.version >= serialized_item.version => false,
                _ => {
                    map.insert(key.to_string(), serialized_item);
                    true
                }
            }
        };
        if updated {
            self.write_mirror()?;
        }
        Ok(updated)
    }

    fn is_initialized(&self) -> bool {
        self.items
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .initialized
    }
}

impl PersistentDataStoreFactory for FlagStore {
    fn create_persistent_data_store(&self) -> Result<Box<dyn PersistentDataStore>, std::io::Error> {
        Ok(Box::new(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMBEDDED: &str = include_str!("../../flags/default.json");

    #[test]
    fn the_shipped_file_parses_with_the_sdk_types() {
        let store = FlagStore::from_json(EMBEDDED).unwrap();
        assert_eq!(
            store.flag_keys(),
            [
                "ai-config",
                "ai-query-provider",
                "data-materialization",
                "pivot-table-access",
                "webllm-access"
            ]
        );
        assert!(store.segment("power-users").unwrap().is_some());
        assert!(store.is_initialized());
    }

    #[test]
    fn bad_data_names_the_bad_item() {
        let err = FlagStore::from_json(r#"{"flags": {"x": {"key": "x"}}, "segments": {}}"#)
            .err()
            .unwrap();
        assert!(
            matches!(&err, FlagDataError::Flag { key, .. } if key == "x"),
            "{err}"
        );
        let err = FlagStore::from_json("[]").err().unwrap();
        assert!(matches!(err, FlagDataError::Shape(_)), "{err}");
    }

    #[test]
    fn a_mirror_that_cannot_be_written_still_applies_the_update() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("a-file");
        std::fs::write(&blocker, "not a folder").unwrap();
        let source = FlagStore::from_json(EMBEDDED).unwrap();
        let mut store = FlagStore::mirrored_to(blocker.join("last-known-good.json"));
        let all = AllData {
            flags: source.all_flags().unwrap(),
            segments: HashMap::new(),
        };
        store.init(all).expect("the update is applied");
        assert!(store.is_initialized());
        assert_eq!(store.flag_keys(), source.flag_keys());
        let error = store.mirror_error().expect("the failure is kept");
        assert!(error.contains("last-known-good.json"), "{error}");
        // A kill switch pushed later is applied too.
        let mut flag: Value =
            serde_json::from_str(&source.flag("ai-config").unwrap().unwrap().serialized_item)
                .unwrap();
        flag["version"] = 999.into();
        flag["on"] = false.into();
        assert!(
            store
                .upsert(DataKind::Flag, "ai-config", item(&flag, 999))
                .unwrap()
        );
        let stored: Value =
            serde_json::from_str(&store.flag("ai-config").unwrap().unwrap().serialized_item)
                .unwrap();
        assert_eq!(stored["on"], false);
    }

    #[test]
    fn the_mirror_keeps_what_the_sdk_stored_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("last-known-good.json");
        let source = FlagStore::from_json(EMBEDDED).unwrap();
        let mut store = FlagStore::mirrored_to(path.clone());
        assert!(!store.is_initialized());
        let all = AllData {
            flags: source.all_flags().unwrap(),
            segments: ["power-users", "enterprise", "mobile-users"]
                .iter()
                .map(|k| (k.to_string(), source.segment(k).unwrap().unwrap()))
                .collect(),
        };
        store.init(all).unwrap();
        let back = FlagStore::from_file(&path).unwrap();
        assert_eq!(back.flag_keys(), source.flag_keys());

        // An upsert with a newer version replaces the flag and is saved; an older one is ignored.
        let mut flag: Value = serde_json::from_str(
            &source
                .flag("webllm-access")
                .unwrap()
                .unwrap()
                .serialized_item,
        )
        .unwrap();
        flag["version"] = 7.into();
        flag["on"] = false.into();
        assert!(
            store
                .upsert(DataKind::Flag, "webllm-access", item(&flag, 7))
                .unwrap()
        );
        assert!(
            !store
                .upsert(DataKind::Flag, "webllm-access", item(&flag, 3))
                .unwrap()
        );
        let back = FlagStore::from_file(&path).unwrap();
        let saved: Value =
            serde_json::from_str(&back.flag("webllm-access").unwrap().unwrap().serialized_item)
                .unwrap();
        assert_eq!(saved["on"], false);
        assert_eq!(back.flag("webllm-access").unwrap().unwrap().version, 7);

        // A deletion (tombstone) hides the flag and leaves it out of the saved file.
        let tombstone = SerializedItem {
            version: 8,
            deleted: true,
            serialized_item: String::new(),
        };
        assert!(
            store
                .upsert(DataKind::Flag, "webllm-access", tombstone)
                .unwrap()
        );
        assert!(!store.flag_keys().contains(&"webllm-access".to_string()));
        assert!(
            !FlagStore::from_file(&path)
                .unwrap()
                .flag_keys()
                .contains(&"webllm-access".to_string())
        );
    }
}
