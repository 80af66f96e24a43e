//! Importing model folders and serving them, on copies of `tests/fixtures/models`.

use super::*;

const ID: &str = "Tiny-Test-q4f32_1-MLC";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/models")
        .join(ID)
}

/// A copy of the fixture folder named `name` inside `dir`.
fn copy_fixture(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    to
}

fn message(r: Result<ImportedModel, ModelError>) -> String {
    r.expect_err("the import should fail").to_string()
}

#[test]
fn a_complete_folder_imports_and_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let models = tempfile::tempdir().unwrap();
    let folder = copy_fixture(models.path(), ID);
    let imported = ModelFolders::open(data.path()).import(&folder).unwrap();
    assert_eq!(imported.model_id, ID);
    assert_eq!(imported.files, 4);
    let expected: u64 = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert_eq!(imported.bytes, expected);
    assert_eq!(imported.model_lib_url, None);
    assert_eq!(imported.model_url, format!("dgmodel://localhost/{ID}/"));

    let again = ModelFolders::open(data.path());
    assert_eq!(again.list(), vec![imported.clone()]);

    // A library in the folder is served from it; importing the same id again replaces the entry.
    std::fs::write(folder.join("Tiny-Test-webgpu.wasm"), b"\0asm").unwrap();
    let with_lib = again.import(&folder).unwrap();
    assert_eq!(
        with_lib.model_lib_url.as_deref(),
        Some("dgmodel://localhost/Tiny-Test-q4f32_1-MLC/resolve/main/Tiny-Test-webgpu.wasm")
    );
    assert_eq!(again.list().len(), 1);

    again.forget(ID).unwrap();
    assert!(ModelFolders::open(data.path()).list().is_empty());
    assert!(matches!(again.forget(ID), Err(ModelError::Unknown(_))));
    // The files were left alone.
    assert!(folder.join("params_shard_0.bin").is_file());
}

#[test]
fn an_incomplete_or_odd_folder_is_refused_with_what_is_wrong() {
    let data = tempfile::tempdir().unwrap();
    let list = ModelFolders::open(data.path());
    let models = tempfile::tempdir().unwrap();

    let no_shard = copy_fixture(models.path(), "No-Shard-MLC");
    std::fs::remove_file(no_shard.join("params_shard_0.bin")).unwrap();
    let m = message(list.import(&no_shard));
    assert!(
        m.ends_with("is incomplete: params_shard_0.bin named by tensor-cache.json is missing"),
        "{m}"
    );

    let no_tokenizer = copy_fixture(models.path(), "No-Tokenizer-MLC");
    std::fs::remove_file(no_tokenizer.join("tokenizer.json")).unwrap();
    let m = message(list.import(&no_tokenizer));
    assert!(
        m.contains("tokenizer.json named by mlc-chat-config.json"),
        "{m}"
    );

    let no_config = copy_fixture(models.path(), "No-Config-MLC");
    std::fs::remove_file(no_config.join(CHAT_CONFIG)).unwrap();
    let m = message(list.import(&no_config));
    assert!(
        m.contains("is not a WebLLM model folder: it has no mlc-chat-config.json"),
        "{m}"
    );

    let bad_json = copy_fixture(models.path(), "Bad-Json-MLC");
    std::fs::write(bad_json.join(TENSOR_CACHE), "{ not json").unwrap();
    let m = message(list.import(&bad_json));
    assert!(m.starts_with("tensor-cache.json in "), "{m}");

    let escapes = copy_fixture(models.path(), "Escapes-MLC");
    let manifest = r#"{"records":[{"dataPath":"../Bad-Json-MLC/params_shard_0.bin"}]}"#;
    std::fs::write(escapes.join(TENSOR_CACHE), manifest).unwrap();
    let m = message(list.import(&escapes));
    assert!(
        m.contains("../Bad-Json-MLC/params_shard_0.bin named by"),
        "{m}"
    );

    let two_libs = copy_fixture(models.path(), "Two-Libs-MLC");
    std::fs::write(two_libs.join("a.wasm"), b"").unwrap();
    std::fs::write(two_libs.join("b.wasm"), b"").unwrap();
    let m = message(list.import(&two_libs));
    assert!(m.ends_with("holds several model libraries (a.wasm, b.wasm); keep only the .wasm built for this model"), "{m}");

    let spaced = copy_fixture(models.path(), "my model");
    let m = message(list.import(&spaced));
    assert!(
        m.starts_with("the folder's name \"my model\" is not a model id"),
        "{m}"
    );

    let m = message(list.import(&models.path().join("nowhere")));
    assert!(m.ends_with("nowhere is not a folder"), "{m}");
    let m = message(list.import(&no_shard.join(TENSOR_CACHE)));
    assert!(m.ends_with("is not a folder"), "{m}");

    // Nothing was added by the failures.
    assert!(list.list().is_empty());
    assert!(!data.path().join(LIST_FILE).exists());
}

#[test]
fn the_protocol_serves_files_inside_imported_folders_only() {
    let data = tempfile::tempdir().unwrap();
    let models = tempfile::tempdir().unwrap();
    let folder = copy_fixture(models.path(), ID);
    std::fs::write(models.path().join("secret.txt"), b"not yours").unwrap();
    let list = ModelFolders::open(data.path());
    list.import(&folder).unwrap();

    let shard = list.serve(&format!("/{ID}/resolve/main/params_shard_0.bin"));
    assert_eq!(
        (shard.status, shard.content_type, shard.body.as_slice()),
        (
            200,
            "application/octet-stream",
            b"0123456789abcdef".as_slice()
        )
    );
    let config = list.serve(&format!("/{ID}/resolve/main/mlc-chat-config.json"));
    assert_eq!(
        (config.status, config.content_type),
        (200, "application/json")
    );
    assert_eq!(
        config.body,
        std::fs::read(folder.join(CHAT_CONFIG)).unwrap()
    );
    // Without WebLLM's resolve/main/ too.
    assert_eq!(list.serve(&format!("/{ID}/tokenizer.json")).status, 200);

    let refused = |path: &str| {
        let r = list.serve(path);
        assert!(
            r.status == 404 || r.status == 400,
            "{path} was served: {r:?}"
        );
        String::from_utf8(r.body).unwrap()
    };
    assert!(
        refused(&format!("/{ID}/resolve/main/../secret.txt")).contains("not a file in the folder")
    );
    assert!(refused(&format!("/{ID}/resolve/main/%2e%2e/secret.txt")).contains("encoded paths"));
    assert!(refused(&format!("/{ID}/resolve/main/")).contains("not a file"));
    assert!(refused(&format!("/{ID}/resolve/main/missing.bin")).contains("no such file"));
    assert!(refused("/Other-MLC/resolve/main/tokenizer.json").contains("no imported model folder"));
    assert!(refused("/").contains("no imported model folder"));
    // A symlink inside the folder that points out of it is not followed.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(models.path().join("secret.txt"), folder.join("link.txt"))
            .unwrap();
        assert!(
            refused(&format!("/{ID}/resolve/main/link.txt")).contains("not a file in the folder")
        );
    }

    // An older build's ndarray-cache.json is served as tensor-cache.json.
    std::fs::rename(folder.join(TENSOR_CACHE), folder.join(NDARRAY_CACHE)).unwrap();
    list.import(&folder).unwrap();
    let manifest = list.serve(&format!("/{ID}/resolve/main/tensor-cache.json"));
    assert_eq!(manifest.status, 200);
    assert_eq!(
        manifest.body,
        std::fs::read(folder.join(NDARRAY_CACHE)).unwrap()
    );
}

#[test]
fn a_folder_that_moved_is_left_out_until_it_is_back() {
    let data = tempfile::tempdir().unwrap();
    let models = tempfile::tempdir().unwrap();
    let folder = copy_fixture(models.path(), ID);
    let list = ModelFolders::open(data.path());
    list.import(&folder).unwrap();
    let moved = models.path().join("elsewhere");
    std::fs::rename(&folder, &moved).unwrap();
    assert!(list.list().is_empty());
    std::fs::rename(&moved, &folder).unwrap();
    assert_eq!(list.list().len(), 1);

    // A damaged list file is ignored, not fatal.
    std::fs::write(data.path().join(LIST_FILE), "[{").unwrap();
    assert!(ModelFolders::open(data.path()).list().is_empty());
}
