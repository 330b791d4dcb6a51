//! Finding the CUDA libraries at run time, and keeping cudarc's panics out of the process.
//!
//! cudarc (feature `dynamic-loading`) dlopens by bare name, trying for each library
//! `lib<name>.so`, `lib<name>.so.13` (the CUDA major of the bindings), `.so.12`, `.so.11`,
//! ..., `.so.1`: so `libcuda.so.1`, `libcublas.so.13`, `libcublasLt.so.13`,
//! `libnvrtc.so.13`. A bare name only finds libraries on the loader's search path
//! (LD_LIBRARY_PATH, ld.so.cache), and a CUDA toolkit at /usr/local/cuda/lib64 is often on
//! neither. So before cudarc looks, we open the libraries ourselves by absolute path from
//! the usual install folders with RTLD_GLOBAL: the dynamic loader then answers cudarc's
//! later dlopen("libcublas.so.13") with the already-loaded object (it matches loaded
//! objects by SONAME), and cuBLAS's own dependency on libcublasLt and NVRTC's dlopen of
//! libnvrtc-builtins resolve the same way.
//!
//! Folders searched, in order: $ONNXRUN_CUDA_LIB_DIR (colon-separated), $CUDA_HOME,
//! $CUDA_PATH and $CUDA_ROOT (each + /lib64 and /lib), /usr/local/cuda/lib64,
//! /usr/local/cuda/targets/<arch>-linux/lib, then for the driver only
//! /usr/local/nvidia/lib64, /usr/lib/<arch>-linux-gnu, /usr/lib64 and /usr/lib/wsl/lib.
//! Whatever is not found there is left to the system search path.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Runs `f`, turning a panic inside the CUDA bindings (a missing library or symbol) into
/// an error instead of unwinding through our callers (and never across the C ABI).
pub(crate) fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(format!("{what}: the CUDA bindings failed: {}", panic_text(&*payload))),
    }
}

fn panic_text(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

const ARCH_DIR: &str = if cfg!(target_arch = "aarch64") { "aarch64" } else { "x86_64" };

/// Folders named by $ONNXRUN_CUDA_LIB_DIR (colon-separated), first in every search.
fn override_dirs(value: Option<&std::ffi::OsStr>) -> Vec<PathBuf> {
    value.map(|v| std::env::split_paths(v).filter(|p| !p.as_os_str().is_empty()).collect()).unwrap_or_default()
}

/// Toolkit folders (cuBLAS, NVRTC), most specific first.
pub fn toolkit_dirs() -> Vec<PathBuf> {
    let mut dirs = override_dirs(std::env::var_os("ONNXRUN_CUDA_LIB_DIR").as_deref());
    for var in ["CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"] {
        if let Some(root) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            let root = PathBuf::from(root);
            dirs.push(root.join("lib64"));
            dirs.push(root.join("lib"));
        }
    }
    dirs.push(PathBuf::from("/usr/local/cuda/lib64"));
    dirs.push(PathBuf::from(format!("/usr/local/cuda/targets/{ARCH_DIR}-linux/lib")));
    dirs
}

/// Folders where the NVIDIA driver puts libcuda.so.1 (after any explicit override).
fn driver_dirs() -> Vec<PathBuf> {
    let mut dirs = override_dirs(std::env::var_os("ONNXRUN_CUDA_LIB_DIR").as_deref());
    for d in ["/usr/local/nvidia/lib64", "/usr/local/nvidia/lib"] {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from(format!("/usr/lib/{ARCH_DIR}-linux-gnu")));
    for d in ["/usr/lib64", "/usr/lib/wsl/lib"] {
        dirs.push(PathBuf::from(d));
    }
    dirs
}

/// Libraries we opened, kept open for the life of the process.
fn opened() -> &'static Mutex<Vec<(PathBuf, libloading::os::unix::Library)>> {
    static OPENED: OnceLock<Mutex<Vec<(PathBuf, libloading::os::unix::Library)>>> = OnceLock::new();
    OPENED.get_or_init(|| Mutex::new(Vec::new()))
}

/// Opens the first of `names` found in `dirs` (by absolute path, RTLD_NOW | RTLD_GLOBAL)
/// and returns its path; `None` when none is there or it fails to load.
fn preload(dirs: &[PathBuf], names: &[&str]) -> Option<PathBuf> {
    for dir in dirs {
        for name in names {
            let path = dir.join(name);
            if !path.is_file() {
                continue;
            }
            let mut held = opened().lock().unwrap_or_else(|p| p.into_inner());
            if held.iter().any(|(p, _)| *p == path) {
                return Some(path);
            }
            let flags = libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_GLOBAL;
            // SAFETY: these are NVIDIA's CUDA libraries, whose initialisers have no
            // preconditions; the handle is kept for the process lifetime, so nothing
            // resolved from it is ever unloaded.
            if let Ok(lib) = unsafe { libloading::os::unix::Library::open(Some(&path), flags) } {
                held.push((path.clone(), lib));
                return Some(path);
            }
        }
    }
    None
}

/// `libnvrtc-builtins.so.<major>.<minor>` files in `dir` (not the `.alt` variants).
fn builtins_in(dir: &Path, major: u32) -> Vec<String> {
    let prefix = format!("libnvrtc-builtins.so.{major}.");
    let mut names: Vec<String> =
        std::fs::read_dir(dir).into_iter().flatten().flatten().filter_map(|e| e.file_name().into_string().ok()).filter(|n| n.starts_with(&prefix)).collect();
    names.sort();
    names.reverse();
    names
}

/// Loads the driver library; Err says why CUDA cannot be used here.
pub(crate) fn load_driver() -> Result<(), String> {
    preload(&driver_dirs(), &["libcuda.so.1", "libcuda.so"]);
    // SAFETY: is_culib_present only dlopens candidate names and closes them again.
    if unsafe { cudarc::driver::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(format!(
            "the NVIDIA driver library libcuda.so.1 was not found (looked in {} and the system library path); \
             is the NVIDIA driver installed?",
            show(&driver_dirs())
        ))
    }
}

/// Loads cuBLAS (and cuBLASLt, which it needs).
pub(crate) fn load_cublas() -> Result<(), String> {
    let dirs = toolkit_dirs();
    preload(&dirs, &["libcublasLt.so.13", "libcublasLt.so.12"]);
    preload(&dirs, &["libcublas.so.13", "libcublas.so.12"]);
    // SAFETY: as above, a probing dlopen/dlclose.
    if unsafe { cudarc::cublas::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(format!(
            "cuBLAS (libcublas.so.13) was not found (looked in {} and the system library path); \
             set ONNXRUN_CUDA_LIB_DIR to the folder holding it",
            show(&dirs)
        ))
    }
}

/// Loads NVRTC and its builtins library (needed only when kernels are not cached yet).
pub(crate) fn load_nvrtc() -> Result<(), String> {
    let dirs = toolkit_dirs();
    for major in [13u32, 12] {
        let lib = format!("libnvrtc.so.{major}");
        if let Some(path) = preload(&dirs, &[lib.as_str()]) {
            // NVRTC dlopens its builtins by SONAME at compile time: load them first
            // from the same folder so that lookup succeeds without LD_LIBRARY_PATH.
            if let Some(dir) = path.parent() {
                let names = builtins_in(dir, major);
                let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
                preload(&[dir.to_path_buf()], &refs);
            }
            break;
        }
    }
    // SAFETY: as above, a probing dlopen/dlclose.
    if unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(format!(
            "NVRTC (libnvrtc.so.13) was not found (looked in {} and the system library path); \
             it is needed once to compile the CUDA kernels",
            show(&dirs)
        ))
    }
}

fn show(dirs: &[PathBuf]) -> String {
    dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_errors() {
        let r: Result<(), String> = guarded("loading X", || panic!("Unable to dynamically load the \"x\" shared library"));
        let e = r.unwrap_err();
        assert!(e.starts_with("loading X: the CUDA bindings failed: Unable to dynamically load"), "{e}");
        let r: Result<u8, String> = guarded("y", || Err(format!("plain {}", 1)));
        assert_eq!(r, Err("plain 1".to_string()));
    }

    #[test]
    fn override_folders_split_on_colons() {
        let d = override_dirs(Some(std::ffi::OsStr::new("/opt/a::/opt/b")));
        assert_eq!(d, vec![PathBuf::from("/opt/a"), PathBuf::from("/opt/b")]);
        assert!(override_dirs(None).is_empty());
        assert!(toolkit_dirs().contains(&PathBuf::from("/usr/local/cuda/lib64")));
        assert!(driver_dirs().contains(&PathBuf::from("/usr/local/nvidia/lib64")));
    }
}
