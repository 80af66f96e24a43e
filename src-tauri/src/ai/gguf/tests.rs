//! The GGUF files and their download, against a real HTTP server on 127.0.0.1 (ranges, a
//! connection dropped mid-file, a server that ignores ranges, a wrong checksum, cancel).

use std::{sync::Arc, time::Duration};

use super::download::{self, DownloadSpec, part_path, sha256_of};
use super::fake_server::{Mode, Server};
use super::*;

/// Serves `body` at most `connections` times, within 30 s.
fn serve(body: Vec<u8>, mode: Mode, connections: usize) -> Server {
    Server::start(
        "models/m.gguf",
        body,
        mode,
        connections,
        Duration::from_secs(30),
    )
}

/// Small pieces with pauses, so a cancel lands mid-file.
const SLOW: Mode = Mode::Paced {
    piece: 32 * 1024,
    pause: Duration::from_millis(15),
};

/// A file that starts like a GGUF: the magic, then `len - 4` bytes of a pattern.
fn gguf_bytes(len: usize) -> Vec<u8> {
    let mut body = b"GGUF".to_vec();
    body.extend((0..len - 4).map(|i| (i % 251) as u8));
    body
}

fn sha(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x");
    std::fs::write(&path, bytes).unwrap();
    sha256_of(&path).unwrap()
}

fn spec(url: &str, dest: &Path, body: &[u8]) -> DownloadSpec {
    DownloadSpec {
        url: url.into(),
        dest: dest.to_path_buf(),
        expected_bytes: Some(body.len() as u64),
        sha256: Some(sha(body)),
    }
}

#[test]
fn a_download_lands_verified_with_its_progress() {
    let body = gguf_bytes(3_000_000);
    let server = serve(body.clone(), Mode::Normal, 1);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("models/m.gguf");
    let mut seen = Vec::new();
    let got = download::download(
        &spec(&server.url, &dest, &body),
        &CancelFlag::default(),
        &mut |p| seen.push(p),
    )
    .unwrap();
    assert_eq!(got, body.len() as u64);
    assert_eq!(std::fs::read(&dest).unwrap(), body);
    assert!(!part_path(&dest).exists());
    let last = seen.iter().rev().find(|p| !p.verifying).unwrap();
    assert_eq!((last.bytes, last.total), (3_000_000, Some(3_000_000)));
    assert!(seen.last().unwrap().verifying, "the checksum is reported");
    assert_eq!(server.ranges(), vec![None]);
}

#[test]
fn a_dropped_connection_keeps_the_part_and_the_next_try_resumes_with_a_range() {
    let body = gguf_bytes(2_000_000);
    let server = serve(body.clone(), Mode::DropFirstAt(700_000), 2);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("m.gguf");
    let request = spec(&server.url, &dest, &body);
    let err = download::download(&request, &CancelFlag::default(), &mut |_| {}).unwrap_err();
    let DownloadError::Network { bytes, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(bytes, 700_000);
    assert_eq!(std::fs::metadata(part_path(&dest)).unwrap().len(), 700_000);
    assert!(!dest.exists());

    let mut first = None;
    download::download(&request, &CancelFlag::default(), &mut |p| {
        first.get_or_insert(p.bytes);
    })
    .unwrap();
    assert_eq!(
        first,
        Some(700_000),
        "progress starts at what the part held"
    );
    assert_eq!(std::fs::read(&dest).unwrap(), body);
    assert_eq!(
        server.ranges(),
        vec![None, Some("bytes=700000-".to_string())]
    );
}

#[test]
fn a_server_that_ignores_ranges_is_downloaded_again_from_the_start() {
    let body = gguf_bytes(500_000);
    let server = serve(body.clone(), Mode::IgnoreRange, 1);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("m.gguf");
    std::fs::write(part_path(&dest), &body[..1000]).unwrap();
    download::download(
        &spec(&server.url, &dest, &body),
        &CancelFlag::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), body);
    assert_eq!(server.ranges(), vec![Some("bytes=1000-".to_string())]);
}

#[test]
fn a_wrong_checksum_removes_the_download() {
    let body = gguf_bytes(400_000);
    let server = serve(body.clone(), Mode::Normal, 1);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("m.gguf");
    let mut request = spec(&server.url, &dest, &body);
    request.sha256 = Some("00".repeat(32));
    let err = download::download(&request, &CancelFlag::default(), &mut |_| {}).unwrap_err();
    assert!(
        matches!(&err, DownloadError::Checksum { got, .. } if *got == sha(&body)),
        "{err}"
    );
    assert!(err.to_string().contains("the download was removed"));
    assert!(!dest.exists() && !part_path(&dest).exists());
}

#[test]
fn a_wrong_size_and_an_http_error_are_said_plainly() {
    let body = gguf_bytes(100_000);
    let server = serve(body.clone(), Mode::Normal, 1);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("m.gguf");
    let mut request = spec(&server.url, &dest, &body);
    request.expected_bytes = None;
    request.sha256 = None;
    // The size is unknown beforehand: Content-Length is the total.
    download::download(&request, &CancelFlag::default(), &mut |_| {}).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), body);

    let missing = serve(body.clone(), Mode::NotFound, 1);
    let err = download::download(
        &spec(&missing.url, &dir.path().join("n.gguf"), &body),
        &CancelFlag::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(err, DownloadError::Http { status: 404, .. }),
        "{err}"
    );
}

#[test]
fn cancel_stops_mid_file_and_keeps_the_part_for_a_resume() {
    let body = gguf_bytes(2_000_000);
    let server = serve(body.clone(), SLOW, 2);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let files = Arc::new(GgufFiles::open(&data, vec![]));
    let gguf = GgufSpec {
        name: "m.gguf".into(),
        url: Some(server.url.clone()),
        bytes: Some(body.len() as u64),
        sha256: Some(sha(&body)),
    };
    assert_eq!(files.offer(&gguf).state, GgufState::Missing);
    assert_eq!(files.offer(&gguf).memory_bytes, Some(252_000_000));
    let canceller = files.clone();
    let err = files
        .download(&gguf, &mut |p| {
            if p.bytes > 0 {
                assert!(canceller.progress().is_some());
                assert!(canceller.cancel());
            }
        })
        .unwrap_err();
    let GgufError::Download {
        error: DownloadError::Cancelled { bytes },
        ..
    } = err
    else {
        panic!("{err}")
    };
    assert!(bytes > 0 && bytes < body.len() as u64, "{bytes}");
    assert!(files.progress().is_none() && !files.cancel());
    let part = part_path(&files.download_dir().join("m.gguf"));
    assert_eq!(
        files.offer(&gguf).state,
        GgufState::Partial {
            bytes: std::fs::metadata(&part).unwrap().len()
        }
    );
    assert!(files.files("m.gguf").is_empty(), "a .part is not a model");

    let path = files.download(&gguf, &mut |_| {}).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), body);
    assert_eq!(files.offer(&gguf).state, GgufState::Present);
    let ranges = server.ranges();
    assert_eq!(ranges[0], None);
    assert!(
        ranges[1]
            .as_deref()
            .is_some_and(|r| r.starts_with("bytes="))
    );
    assert_eq!(files.resolve("m.gguf"), Some(path.clone()));
    assert_eq!(
        files.remove(&path).unwrap(),
        Removed::Deleted {
            bytes: body.len() as u64
        }
    );
    assert!(!path.exists());
}

#[test]
fn import_checks_the_magic_remembers_the_file_and_answers_with_it() {
    let data = tempfile::tempdir().unwrap();
    let provided = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(provided.path().join("b.gguf"), gguf_bytes(10)).unwrap();
    std::fs::write(provided.path().join("a.gguf"), gguf_bytes(10)).unwrap();
    let files = GgufFiles::open(data.path(), vec![provided.path().to_path_buf()]);
    assert_eq!(
        files.resolve("b.gguf"),
        Some(provided.path().join("b.gguf"))
    );
    assert_eq!(
        files.resolve("absent.gguf"),
        Some(provided.path().join("a.gguf"))
    );

    let not_gguf = elsewhere.path().join("notes.gguf");
    std::fs::write(&not_gguf, b"hello").unwrap();
    assert!(matches!(
        files.import(&not_gguf),
        Err(GgufError::NotGguf { .. })
    ));
    assert!(matches!(
        files.import(&elsewhere.path().join("none.gguf")),
        Err(GgufError::NotAFile { .. })
    ));
    let mine = elsewhere.path().join("Mine-Q8_0.gguf");
    std::fs::write(&mine, gguf_bytes(1000)).unwrap();
    let imported = files.import(&mine).unwrap();
    assert_eq!(files.resolve("b.gguf"), Some(imported.clone()));
    let listed = files.files("b.gguf");
    let row = listed.iter().find(|f| f.name == "Mine-Q8_0.gguf").unwrap();
    assert_eq!(
        (row.origin, row.used, row.pinned, row.bytes),
        (GgufOrigin::Imported, true, true, 1000)
    );

    // Remembered across launches.
    let again = GgufFiles::open(data.path(), vec![provided.path().to_path_buf()]);
    assert_eq!(again.resolve("b.gguf"), Some(imported.clone()));
    again.pin(None).unwrap();
    assert_eq!(
        again.resolve("b.gguf"),
        Some(provided.path().join("b.gguf"))
    );
    again.pin(Some(&imported)).unwrap();
    assert!(matches!(
        again.pin(Some(&elsewhere.path().join("x.gguf"))),
        Err(GgufError::Unknown { .. })
    ));

    // Forget leaves the file; a provided file is not the app's to delete.
    assert_eq!(again.remove(&imported).unwrap(), Removed::Forgotten);
    assert!(imported.exists());
    assert_eq!(
        again.resolve("b.gguf"),
        Some(provided.path().join("b.gguf"))
    );
    assert!(matches!(
        again.remove(&provided.path().join("b.gguf")),
        Err(GgufError::NotOurs { .. })
    ));
    assert!(provided.path().join("b.gguf").exists());
}

#[test]
fn the_ai_config_offer_reads_model_custom() {
    let custom = serde_json::json!({
        "gguf": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "ggufUrl": "https://example.org/m.gguf",
        "ggufBytes": 98362432u64,
        "ggufSha256": "ABCDEF",
    });
    let spec = GgufSpec::from_custom(&custom).unwrap();
    assert_eq!(spec.bytes, Some(98_362_432));
    assert_eq!(spec.sha256.as_deref(), Some("abcdef"));
    assert!(GgufSpec::from_custom(&serde_json::json!({"gguf": "../x.gguf"})).is_none());
    assert!(GgufSpec::from_custom(&serde_json::json!({"gguf": "x.bin"})).is_none());
    let files = GgufFiles::open(tempfile::tempdir().unwrap().path(), vec![]);
    let offer = files.offer(&spec);
    assert_eq!(offer.memory_bytes, Some(348_362_432));
    assert_eq!(offer.state, GgufState::Missing);
    let no_url = GgufSpec { url: None, ..spec };
    if std::env::var_os(URL_OVERRIDE_ENV).is_none() {
        assert!(matches!(
            files.download(&no_url, &mut |_| {}),
            Err(GgufError::NoUrl { .. })
        ));
    }
}
