//! What the engine worker runs on: ggml's backend registry read for the panel's words
//! ("CPU (AVX2)": the level the CPU kernels were built for; "Vulkan (its GPU)"). With the
//! `cpu-variants` feature (llama-cpp-2's `dynamic-backends`) llama.cpp's CPU kernels are built
//! once per x86 level (x86-64 … AVX-512, AMX) as shared modules, and [`modules`] owns where they
//! are (the package's library folder beside the program, else the folder the build installed
//! them in) and which one is loaded: the best this CPU runs, as llama.cpp's own releases pick.

use std::{
    ffi::{CStr, c_char},
    path::{Path, PathBuf},
};

/// Why the worker has no backend to run on.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("llama.cpp's CPU kernels (libggml-cpu-*) are in none of: {searched}")]
    NoModules { searched: String },
    #[error("no llama.cpp backend (from {}) runs on this machine", .0.display())]
    NoDevice(PathBuf),
}

/// What the worker runs on, once loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The folder the modules came from (`cpu-variants` builds).
    pub dir: Option<PathBuf>,
    /// `CPU`, `Vulkan`, `CUDA` … (ggml's name of the backend that gets the model's layers).
    pub kind: String,
    /// The panel's words: `CPU (AVX-512)`, `Vulkan (NVIDIA …)`.
    pub label: String,
    /// A GPU takes the model's layers.
    pub gpu: bool,
}

/// Says what runs; with the `cpu-variants` feature, first loads the best modules for this
/// machine from beside `exe` ([`modules::load`]) — before `LlamaBackend::init`.
pub fn load(exe: &Path) -> Result<Loaded, BackendError> {
    #[cfg(feature = "cpu-variants")]
    let from = Some(modules::load(exe)?);
    #[cfg(not(feature = "cpu-variants"))]
    let from: Option<PathBuf> = {
        let _ = exe; // llama.cpp linked in, its CPU backend built for one level
        None
    };
    let devices = devices();
    let pick = devices
        .iter()
        .find(|d| d.gpu)
        .or_else(|| devices.iter().find(|d| d.kind == "CPU"))
        .ok_or_else(|| BackendError::NoDevice(from.clone().unwrap_or_default()))?;
    let label = if pick.gpu {
        format!("{} ({})", pick.kind, pick.description)
    } else {
        format!("CPU ({})", cpu_level(&pick.features))
    };
    Ok(Loaded {
        dir: from,
        kind: pick.kind.clone(),
        label,
        gpu: pick.gpu,
    })
}

/// The modules of a `cpu-variants` build: where they are and which are loaded.
#[cfg(feature = "cpu-variants")]
pub mod modules {
    use super::*;

    /// The start of a ggml backend module's file name (`libggml-vulkan.so`).
    #[cfg(not(windows))]
    const MODULE_PREFIX: &str = "libggml-";
    #[cfg(windows)]
    const MODULE_PREFIX: &str = "ggml-";
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

    /// Loads the best modules for this machine from beside `exe` (see [`candidate_dirs`]) and
    /// returns their folder. Only ever a named folder: ggml's own default
    /// search would also try the current directory.
    pub fn load(exe: &Path) -> Result<PathBuf, BackendError> {
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
        if cfg!(target_arch = "x86_64") && !amx_allowed() {
            load_x86_without_amx(&dir)?;
        } else {
            llama_cpp_2::llama_backend::load_backends_from_path(&dir);
        }
        Ok(dir)
    }

    /// Whether the worker may run ggml's AMX kernels (`DATAGATA_LLAMA_AMX=1`). Not by default:
    /// on this project's machines (Sapphire Rapids in a Firecracker VM, AMX in CPUID and XCR0, the
    /// kernel granting the tile permission) the AMX variant's matrix kernel stopped the worker
    /// with SIGILL at its first `tilezero` in the prompt's batch, so the best variant without AMX
    /// (AVX-512 with VBMI, VNNI and BF16 there) is loaded instead.
    fn amx_allowed() -> bool {
        std::env::var("DATAGATA_LLAMA_AMX").is_ok_and(|v| v == "1")
    }

    /// ggml's own ranking of x86 CPU variants (ggml-cpu/arch/x86/cpu-feats.cpp): one bit per
    /// feature a module was built for, the bigger the better. `None`: a module with AMX.
    pub fn x86_rank<S: AsRef<str>>(features: &[S]) -> Option<u32> {
        const BITS: [(&str, u32); 11] = [
            ("FMA", 1),
            ("F16C", 1 << 1),
            ("SSSE3", 1 << 2), // what ggml reports of the SSE4.2 level
            ("BMI2", 1 << 3),
            ("AVX", 1 << 4),
            ("AVX2", 1 << 5),
            ("AVX_VNNI", 1 << 6),
            ("AVX512", 1 << 7),
            ("AVX512_VBMI", 1 << 8),
            ("AVX512_BF16", 1 << 9),
            ("AVX512_VNNI", 1 << 10),
        ];
        let has = |name: &str| features.iter().any(|f| f.as_ref() == name);
        if has("AMX_INT8") {
            return None;
        }
        Some(
            1 + BITS
                .iter()
                .filter(|(n, _)| has(n))
                .map(|(_, b)| b)
                .sum::<u32>(),
        )
    }

    /// Loads the best CPU variant in `dir` this CPU runs, AMX left out (see [`amx_allowed`]), and
    /// any GPU backend beside it. ggml loads a module only where the CPU has what it was built for
    /// (its score), so each is tried, ranked by its features, and unloaded again.
    fn load_x86_without_amx(dir: &Path) -> Result<(), BackendError> {
        use llama_cpp_sys_2 as sys;
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Err(BackendError::NoDevice(dir.to_path_buf()));
        };
        let mut cpu = Vec::new();
        let mut gpu = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(MODULE_SUFFIX) {
                continue;
            }
            if name.starts_with(CPU_MODULE_PREFIX) {
                cpu.push(entry.path());
            } else if GPU_MODULES
                .iter()
                .any(|g| name == format!("{MODULE_PREFIX}{g}{MODULE_SUFFIX}"))
            {
                gpu.push(entry.path());
            }
        }
        let load = |path: &Path| {
            let path = std::ffi::CString::new(path.to_string_lossy().as_bytes()).ok()?;
            // SAFETY: ggml loads the module, registers it if this CPU can run it, or returns null.
            let reg = unsafe { sys::ggml_backend_load(path.as_ptr()) };
            (!reg.is_null()).then_some(reg)
        };
        let mut best: Option<(u32, PathBuf)> = None;
        for path in &cpu {
            let Some(reg) = load(path) else { continue };
            let rank = x86_rank(&features(reg));
            // SAFETY: the module just loaded; nothing of it is in use yet.
            unsafe { sys::ggml_backend_unload(reg) };
            if let Some(rank) = rank
                && best.as_ref().is_none_or(|(r, _)| rank > *r)
            {
                best = Some((rank, path.clone()));
            }
        }
        let Some((_, path)) = best else {
            return Err(BackendError::NoDevice(dir.to_path_buf()));
        };
        load(&path).ok_or_else(|| BackendError::NoDevice(dir.to_path_buf()))?;
        for path in &gpu {
            load(path);
        }
        Ok(())
    }

    /// ggml's GPU backend modules a GPU build puts beside the CPU ones (`libggml-vulkan.so`).
    const GPU_MODULES: [&str; 6] = ["cuda", "vulkan", "hip", "sycl", "opencl", "musa"];
}

/// The features a backend registers (`AVX2`, `AVX512`, …).
fn features(reg: llama_cpp_sys_2::ggml_backend_reg_t) -> Vec<String> {
    use llama_cpp_sys_2 as sys;
    let mut features = Vec::new();
    if reg.is_null() {
        return features;
    }
    // SAFETY: `reg` is a registered backend; its features list ends with a null name.
    unsafe {
        let get =
            sys::ggml_backend_reg_get_proc_address(reg, c"ggml_backend_get_features".as_ptr());
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
    features
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
            let features = features(reg);
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

    #[cfg(feature = "cpu-variants")]
    use modules::*;

    #[cfg(feature = "cpu-variants")]
    #[test]
    fn variants_rank_as_ggml_ranks_them_and_amx_is_left_out() {
        let haswell = ["SSE3", "SSSE3", "AVX", "F16C", "FMA", "AVX2", "BMI2"];
        let skylakex = [&haswell[..], &["AVX512"]].concat();
        let zen4 = [
            &skylakex[..],
            &["AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16"],
        ]
        .concat();
        let spr = [&zen4[..], &["AMX_INT8"]].concat();
        let alderlake = [&haswell[..], &["AVX_VNNI"]].concat();
        let r = |f: &[&str]| x86_rank(f).unwrap();
        assert!(r(&zen4) > r(&skylakex) && r(&skylakex) > r(&alderlake));
        assert!(r(&alderlake) > r(&haswell) && r(&haswell) > r(&[]));
        assert_eq!(x86_rank(&spr), None);
    }

    #[cfg(feature = "cpu-variants")]
    #[test]
    fn the_build_s_modules_are_found_and_a_folder_without_them_is_skipped() {
        let empty = tempfile::tempdir().unwrap();
        let built = PathBuf::from(llama_cpp_sys_2::BACKENDS_DIR.expect("a dynamic-backends build"));
        let found = modules_dir(&[empty.path().to_path_buf(), built.clone()]);
        assert_eq!(found, Some(built));
        assert_eq!(modules_dir(&[empty.path().to_path_buf()]), None);
    }

    #[cfg(feature = "cpu-variants")]
    #[test]
    fn the_package_folder_comes_first() {
        let dirs = candidate_dirs(Path::new("/usr/bin/datagata"));
        assert_eq!(dirs[0], Path::new("/usr/bin/../lib/datagata"));
        assert_eq!(dirs[1], Path::new("/usr/bin"));
    }
}
