//! ggml's backends as this build ships them: llama.cpp's CPU kernels built once per x86 level
//! (SSE4.2 … AVX-512, AMX; llama-cpp-2's `dynamic-backends`) and, in a GPU build, the GPU backend,
//! each a shared module of which the worker loads the best for the machine at run time, as
//! llama.cpp's own releases do. This module owns where those modules are (the package's library
//! folder beside the program, else the folder the build installed them in) and what the loaded
//! backend is called in the panel ("CPU (AVX-512)", "Vulkan (its GPU)").

use std::{
    ffi::{CStr, c_char},
    path::{Path, PathBuf},
};

/// The file name ggml gives a CPU kernel module (`libggml-cpu-haswell.so`), without its variant.
#[cfg(not(windows))]
const CPU_MODULE_PREFIX: &str = "libggml-cpu-";
#[cfg(windows)]
const CPU_MODULE_PREFIX: &str = "ggml-cpu-";
/// ggml names its modules `.so` on every system but Windows (ggml-backend-reg.cpp).
#[cfg(not(windows))]
const MODULE_SUFFIX: &str = ".so";
#[cfg(windows)]
const MODULE_SUFFIX: &str = ".dll";

/// Why the worker has no backend to run on.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(
        "llama.cpp's CPU kernels ({CPU_MODULE_PREFIX}*{MODULE_SUFFIX}) are in none of: {searched}"
    )]
    NoModules { searched: String },
    #[error("no llama.cpp backend in {} could be loaded on this machine", .0.display())]
    NoDevice(PathBuf),
}

/// What the worker runs on, once loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The folder the modules came from.
    pub dir: PathBuf,
    /// `CPU`, `Vulkan`, `CUDA` … (ggml's name of the backend that gets the model's layers).
    pub kind: String,
    /// The panel's words: `CPU (AVX-512)`, `Vulkan (NVIDIA …)`.
    pub label: String,
    /// A GPU takes the model's layers.
    pub gpu: bool,
}

/// Where the modules may be, in order: the package's library folder (`../lib/datagata` beside
/// `/usr/bin/datagata`), the program's own folder, and the folder this build installed them in
/// (development and tests; absent once the build folder is gone).
pub fn candidate_dirs(exe: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(bin) = exe.parent() {
        dirs.push(bin.join("../lib/datagata"));
        dirs.push(bin.to_path_buf());
    }
    if let Some(built) = llama_cpp_sys_2::BACKENDS_DIR {
        dirs.push(PathBuf::from(built));
    }
    dirs
}

/// The first of `dirs` that holds a CPU kernel module.
pub fn modules_dir(dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter()
        .find(|dir| {
            std::fs::read_dir(dir).is_ok_and(|entries| {
                entries.filter_map(Result::ok).any(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.starts_with(CPU_MODULE_PREFIX) && name.ends_with(MODULE_SUFFIX)
                })
            })
        })
        .cloned()
}

/// Loads the best modules for this machine from beside `exe` (see [`candidate_dirs`]) — before
/// `LlamaBackend::init` — and says what runs. Only ever a named folder: ggml's own default
/// search would also try the current directory.
pub fn load(exe: &Path) -> Result<Loaded, BackendError> {
    let dirs = candidate_dirs(exe);
    let Some(dir) = modules_dir(&dirs) else {
        return Err(BackendError::NoModules {
            searched: dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    llama_cpp_2::llama_backend::load_backends_from_path(&dir);
    let devices = devices();
    let pick = devices
        .iter()
        .find(|d| d.gpu)
        .or_else(|| devices.iter().find(|d| d.kind == "CPU"))
        .ok_or_else(|| BackendError::NoDevice(dir.clone()))?;
    let label = if pick.gpu {
        format!("{} ({})", pick.kind, pick.description)
    } else {
        format!("CPU ({})", cpu_level(&pick.features))
    };
    Ok(Loaded {
        dir,
        kind: pick.kind.clone(),
        label,
        gpu: pick.gpu,
    })
}

/// One device of a loaded backend.
struct Device {
    kind: String,
    description: String,
    gpu: bool,
    /// The backend's features (`AVX2`, `AVX512`, …): for the CPU, what its module was built for.
    features: Vec<String>,
}

fn text(ptr: *const c_char) -> String {
    if ptr.is_null() {
        String::new()
    } else {
        // SAFETY: ggml returns NUL-terminated strings that live as long as the backend.
        unsafe { CStr::from_ptr(ptr) }
            .to_string_lossy()
            .into_owned()
    }
}

/// `ggml_backend_get_features_t`: a backend's features, ended by an entry without a name.
type GetFeatures = unsafe extern "C" fn(
    llama_cpp_sys_2::ggml_backend_reg_t,
) -> *mut llama_cpp_sys_2::ggml_backend_feature;

fn devices() -> Vec<Device> {
    use llama_cpp_sys_2 as sys;
    let mut out = Vec::new();
    // SAFETY: plain queries of ggml's backend registry, filled by the load above; the handles
    // stay valid for the process (modules are never unloaded).
    unsafe {
        for i in 0..sys::ggml_backend_dev_count() {
            let dev = sys::ggml_backend_dev_get(i);
            if dev.is_null() {
                continue;
            }
            let ty = sys::ggml_backend_dev_type(dev);
            let reg = sys::ggml_backend_dev_backend_reg(dev);
            let mut features = Vec::new();
            if !reg.is_null() {
                let get = sys::ggml_backend_reg_get_proc_address(
                    reg,
                    c"ggml_backend_get_features".as_ptr(),
                );
                if !get.is_null() {
                    // ggml's `ggml_backend_get_features_t`, by the name ggml registers it under.
                    let get = std::mem::transmute::<*mut std::ffi::c_void, GetFeatures>(get);
                    let mut f = get(reg);
                    while !f.is_null() && !(*f).name.is_null() {
                        features.push(text((*f).name));
                        f = f.add(1);
                    }
                }
            }
            out.push(Device {
                kind: if reg.is_null() {
                    String::new()
                } else {
                    text(sys::ggml_backend_reg_name(reg))
                },
                description: text(sys::ggml_backend_dev_description(dev)),
                gpu: ty == sys::GGML_BACKEND_DEVICE_TYPE_GPU
                    || ty == sys::GGML_BACKEND_DEVICE_TYPE_IGPU,
                features,
            });
        }
    }
    out
}

/// The instruction-set level a CPU module was built for, from its features, in words.
pub fn cpu_level<S: AsRef<str>>(features: &[S]) -> String {
    let has = |name: &str| features.iter().any(|f| f.as_ref() == name);
    let level = if has("AVX512") {
        if has("AMX_INT8") {
            "AVX-512, AMX"
        } else {
            "AVX-512"
        }
    } else if has("AVX2") {
        if has("AVX_VNNI") {
            "AVX2, AVX-VNNI"
        } else {
            "AVX2"
        }
    } else if has("AVX") {
        "AVX"
    } else if has("SSSE3") || has("SSE3") {
        "SSE4.2"
    } else if has("SME") {
        "NEON, SVE, SME"
    } else if has("SVE") {
        "NEON, SVE"
    } else if has("NEON") {
        "NEON"
    } else {
        "baseline"
    };
    level.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_is_the_best_instruction_set_the_module_was_built_for() {
        assert_eq!(
            cpu_level(&[
                "SSE3",
                "SSSE3",
                "AVX",
                "AVX2",
                "F16C",
                "FMA",
                "BMI2",
                "AVX512",
                "AVX512_VNNI",
                "AMX_INT8",
                "OPENMP"
            ]),
            "AVX-512, AMX"
        );
        assert_eq!(
            cpu_level(&["SSE3", "SSSE3", "AVX", "AVX2", "AVX512", "OPENMP", "REPACK"]),
            "AVX-512"
        );
        assert_eq!(
            cpu_level(&["SSE3", "SSSE3", "AVX", "AVX2", "FMA", "F16C", "BMI2"]),
            "AVX2"
        );
        assert_eq!(cpu_level(&["SSE3", "SSSE3", "AVX"]), "AVX");
        assert_eq!(cpu_level(&["SSE3", "SSSE3"]), "SSE4.2");
        assert_eq!(cpu_level(&["OPENMP"]), "baseline");
        assert_eq!(cpu_level::<&str>(&[]), "baseline");
    }

    #[test]
    fn the_build_s_modules_are_found_and_a_folder_without_them_is_skipped() {
        let empty = tempfile::tempdir().unwrap();
        let built = PathBuf::from(llama_cpp_sys_2::BACKENDS_DIR.expect("a dynamic-backends build"));
        let found = modules_dir(&[empty.path().to_path_buf(), built.clone()]);
        assert_eq!(found, Some(built));
        assert_eq!(modules_dir(&[empty.path().to_path_buf()]), None);
    }

    #[test]
    fn the_package_folder_comes_first() {
        let dirs = candidate_dirs(Path::new("/usr/bin/datagata"));
        assert_eq!(dirs[0], Path::new("/usr/bin/../lib/datagata"));
        assert_eq!(dirs[1], Path::new("/usr/bin"));
    }
}
