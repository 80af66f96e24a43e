//! Saving a chart the window drew: the PNG's bytes (base64 from the canvas) or the SVG's text,
//! checked to be what they claim (PNG's signature; an `<svg>` document), and written beside the
//! target under a hidden name, then renamed over it, so the path never holds half a file. Like
//! exports, an existing file is never overwritten.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use datagata_ipc::data::{ChartFormat, ChartSaved, SaveChartRequest};

/// PNG's eight-byte signature.
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
/// The largest chart file accepted (a 1200×600 PNG is well under a megabyte).
const MAX_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ChartFileError {
    #[error("save the chart to a full file path, not {0:?}")]
    NotAbsolute(String),
    #[error("{0} already exists; save to a new file name (nothing was overwritten)")]
    Exists(String),
    #[error("the folder {0} does not exist")]
    NoFolder(String),
    #[error("a {format} chart needs a file ending in .{format}, not {path}")]
    WrongEnding { format: &'static str, path: String },
    #[error("the chart's {0} data is not a {0} file")]
    NotThatFormat(&'static str),
    #[error("the chart is larger than {} MB", MAX_BYTES / 1_000_000)]
    TooLarge,
    #[error("saving the chart to {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// The bytes to write for `request`, checked.
fn contents(request: &SaveChartRequest) -> Result<Vec<u8>, ChartFileError> {
    let bytes = match request.format {
        ChartFormat::Png => {
            let b64 = request
                .data
                .strip_prefix("data:image/png;base64,")
                .unwrap_or(&request.data);
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| ChartFileError::NotThatFormat("png"))?;
            if !bytes.starts_with(PNG_SIGNATURE) {
                return Err(ChartFileError::NotThatFormat("png"));
            }
            bytes
        }
        ChartFormat::Svg => {
            let text = request.data.trim_start();
            let body = text
                .strip_prefix("<?xml")
                .and_then(|t| t.split_once("?>").map(|(_, rest)| rest.trim_start()))
                .unwrap_or(text);
            if !body.starts_with("<svg") || !request.data.trim_end().ends_with("</svg>") {
                return Err(ChartFileError::NotThatFormat("svg"));
            }
            request.data.clone().into_bytes()
        }
    };
    if bytes.len() > MAX_BYTES {
        return Err(ChartFileError::TooLarge);
    }
    Ok(bytes)
}

/// The path to write: the format's ending added when the name has none.
fn target(path: &str, format: ChartFormat) -> Result<PathBuf, ChartFileError> {
    let raw = Path::new(path.trim());
    if raw.as_os_str().is_empty() || !raw.is_absolute() {
        return Err(ChartFileError::NotAbsolute(path.to_string()));
    }
    let ending = format.ending();
    let path = match raw.extension().and_then(|e| e.to_str()) {
        None => raw.with_extension(ending),
        Some(e) if e.eq_ignore_ascii_case(ending) => raw.to_path_buf(),
        Some(_) => {
            return Err(ChartFileError::WrongEnding {
                format: ending,
                path: raw.display().to_string(),
            });
        }
    };
    if path.exists() {
        return Err(ChartFileError::Exists(path.display().to_string()));
    }
    match path.parent() {
        Some(dir) if dir.is_dir() => Ok(path),
        dir => Err(ChartFileError::NoFolder(
            dir.map(|d| d.display().to_string()).unwrap_or_default(),
        )),
    }
}

/// Writes the chart whole or not at all.
pub fn save(request: &SaveChartRequest) -> Result<ChartSaved, ChartFileError> {
    let bytes = contents(request)?;
    let path = target(&request.path, request.format)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.{}.partial", uuid::Uuid::new_v4()));
    let io = |source| ChartFileError::Io {
        path: path.display().to_string(),
        source,
    };
    let written = std::fs::write(&partial, &bytes).and_then(|_| {
        // A file that appeared meanwhile is not replaced either (hard_link refuses to).
        std::fs::hard_link(&partial, &path).or_else(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Err(e),
            // File systems without hard links: a rename (the check above stands).
            _ => std::fs::rename(&partial, &path),
        })
    });
    let _ = std::fs::remove_file(&partial);
    match written {
        Ok(()) => Ok(ChartSaved {
            path: path.display().to_string(),
            bytes: bytes.len() as u64,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(ChartFileError::Exists(path.display().to_string()))
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real 1×1 PNG.
    const PIXEL: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    fn request(path: &Path, format: ChartFormat, data: &str) -> SaveChartRequest {
        SaveChartRequest {
            path: path.display().to_string(),
            format,
            data: data.to_string(),
        }
    }

    #[test]
    fn png_and_svg_are_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("trips.png");
        let saved = save(&request(
            &png,
            ChartFormat::Png,
            &format!("data:image/png;base64,{PIXEL}"),
        ))
        .unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert!(bytes.starts_with(PNG_SIGNATURE));
        assert_eq!(saved.bytes, bytes.len() as u64);
        // The ending is added when the name has none.
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>\n";
        let saved = save(&request(&dir.path().join("trips"), ChartFormat::Svg, svg)).unwrap();
        assert!(saved.path.ends_with("trips.svg"));
        assert_eq!(std::fs::read_to_string(&saved.path).unwrap(), svg);
        // Nothing else is left in the folder (no partial files).
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn what_is_not_saved_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("old.png");
        std::fs::write(&existing, b"keep").unwrap();
        let err = save(&request(&existing, ChartFormat::Png, PIXEL)).unwrap_err();
        assert!(matches!(err, ChartFileError::Exists(_)), "{err}");
        assert_eq!(std::fs::read(&existing).unwrap(), b"keep");
        let err = save(&request(Path::new("chart.png"), ChartFormat::Png, PIXEL)).unwrap_err();
        assert!(matches!(err, ChartFileError::NotAbsolute(_)), "{err}");
        let err = save(&request(
            &dir.path().join("nope/chart.png"),
            ChartFormat::Png,
            PIXEL,
        ))
        .unwrap_err();
        assert!(matches!(err, ChartFileError::NoFolder(_)), "{err}");
        let err = save(&request(&dir.path().join("c.jpg"), ChartFormat::Png, PIXEL)).unwrap_err();
        assert!(matches!(err, ChartFileError::WrongEnding { .. }), "{err}");
        // Data that is not what it claims to be.
        let err = save(&request(
            &dir.path().join("a.png"),
            ChartFormat::Png,
            "aGVsbG8=",
        ))
        .unwrap_err();
        assert!(matches!(err, ChartFileError::NotThatFormat("png")), "{err}");
        let err = save(&request(
            &dir.path().join("a.svg"),
            ChartFormat::Svg,
            "<html></html>",
        ))
        .unwrap_err();
        assert!(matches!(err, ChartFileError::NotThatFormat("svg")), "{err}");
        assert!(!dir.path().join("a.png").exists() && !dir.path().join("a.svg").exists());
    }
}
