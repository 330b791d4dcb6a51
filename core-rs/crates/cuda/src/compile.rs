//! Compiling the kernels in `kernels/*.cu` with NVRTC, and the on-disk cache that lets
//! every later process skip NVRTC entirely.
//!
//! The program is one translation unit that includes each `.cu` file; the files reach
//! NVRTC as in-memory headers, so they keep real `#include "common.cuh"` lines and also
//! build standalone with nvcc. We ask for SASS (a cubin) for the device's exact
//! architecture: it loads without a JIT step and does not depend on the driver accepting
//! the NVRTC's PTX version (a newer toolkit than the driver is common). Only when NVRTC
//! does not know the architecture do we fall back to PTX for the newest one it does know,
//! which the driver then JIT-compiles.
//!
//! Cache: `<dir>/kernels-sm<XY>-<key>.bin`, where <key> hashes the sources, the options,
//! the architecture and this crate's version, so any change gives a new file. <dir> is
//! $ONNXRUN_CUDA_CACHE_DIR, else $XDG_CACHE_HOME/onnxrun/cuda, else
//! $HOME/.cache/onnxrun/cuda, else <tmp>/onnxrun-cache/cuda.

use crate::loader;
use cudarc::nvrtc::sys as nv;
use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};

/// Every kernel source file, by the name it is included as.
pub const SOURCES: &[(&str, &str)] = &[
    ("common.cuh", include_str!("../kernels/common.cuh")),
    ("unary.cu", include_str!("../kernels/unary.cu")),
    ("binary.cu", include_str!("../kernels/binary.cu")),
    ("gemm.cu", include_str!("../kernels/gemm.cu")),
];

const ROOT_NAME: &str = "onnxrun_kernels.cu";
const ROOT: &str = "#include \"unary.cu\"\n#include \"binary.cu\"\n#include \"gemm.cu\"\n";
/// Bumped when the cache's meaning changes without the sources changing.
const CACHE_FORMAT: &str = "onnxrun-cuda-kernels/1";
/// Options besides the architecture. Default IEEE division/sqrt and no flush-to-zero, so
/// results stay within float rounding of the CPU provider's.
const OPTIONS: &[&str] = &["--std=c++17"];

/// A compiled module image: a cubin (ELF) or NUL-terminated PTX text.
#[derive(Clone, Debug)]
pub struct Image {
    pub bytes: Vec<u8>,
    pub is_cubin: bool,
    /// The `--gpu-architecture` it was built for.
    pub arch: String,
}

/// FNV-1a, 64-bit: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separator so ("ab","c") and ("a","bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The cache key for a device of compute capability `major.minor`.
pub fn cache_key(major: i32, minor: i32) -> String {
    let arch = format!("sm_{major}{minor}");
    let mut parts: Vec<&[u8]> = vec![CACHE_FORMAT.as_bytes(), env!("CARGO_PKG_VERSION").as_bytes(), arch.as_bytes(), ROOT.as_bytes()];
    for o in OPTIONS {
        parts.push(o.as_bytes());
    }
    for (name, src) in SOURCES {
        parts.push(name.as_bytes());
        parts.push(src.as_bytes());
    }
    format!("{:016x}", fnv1a(&parts))
}

pub fn cache_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = var("ONNXRUN_CUDA_CACHE_DIR") {
        return Some(d);
    }
    if let Some(d) = var("XDG_CACHE_HOME") {
        return Some(d.join("onnxrun").join("cuda"));
    }
    if let Some(h) = var("HOME") {
        return Some(h.join(".cache").join("onnxrun").join("cuda"));
    }
    Some(std::env::temp_dir().join("onnxrun-cache").join("cuda"))
}

pub fn cache_path(major: i32, minor: i32) -> Option<PathBuf> {
    Some(cache_dir()?.join(format!("kernels-sm{major}{minor}-{}.bin", cache_key(major, minor))))
}

/// Writes the image atomically (temp file + rename) so a concurrent reader never sees a
/// partial file. Failing to cache is not an error: the next process compiles again.
pub fn store(path: &Path, image: &Image) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = dir.join(format!(".{}.{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("kernels"), std::process::id()));
    if std::fs::write(&tmp, &image.bytes).is_ok() && std::fs::rename(&tmp, path).is_ok() {
        return;
    }
    let _ = std::fs::remove_file(&tmp);
}

fn nvrtc_text(r: nv::nvrtcResult) -> String {
    // SAFETY: nvrtcGetErrorString returns a static NUL-terminated string for any code.
    let s = unsafe { nv::nvrtcGetErrorString(r) };
    if s.is_null() {
        format!("{r:?}")
    } else {
        // SAFETY: non-null, NUL-terminated, static.
        unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
    }
}

/// NVRTC's version as (major, minor).
pub fn nvrtc_version() -> Result<(i32, i32), String> {
    loader::guarded("querying NVRTC", || {
        loader::load_nvrtc()?;
        let (mut major, mut minor) = (0, 0);
        // SAFETY: two valid out-pointers.
        let r = unsafe { nv::nvrtcVersion(&mut major, &mut minor) };
        if r != nv::nvrtcResult::NVRTC_SUCCESS {
            return Err(format!("nvrtcVersion failed: {}", nvrtc_text(r)));
        }
        Ok((major, minor))
    })
}

/// Architectures (e.g. 90 for sm_90) this NVRTC can generate code for.
fn supported_archs() -> Vec<i32> {
    let mut n = 0;
    // SAFETY: valid out-pointer.
    if unsafe { nv::nvrtcGetNumSupportedArchs(&mut n) } != nv::nvrtcResult::NVRTC_SUCCESS || n <= 0 {
        return vec![];
    }
    let mut v = vec![0i32; n as usize];
    // SAFETY: v holds exactly the n entries NVRTC writes.
    if unsafe { nv::nvrtcGetSupportedArchs(v.as_mut_ptr()) } != nv::nvrtcResult::NVRTC_SUCCESS {
        return vec![];
    }
    v
}

/// Why a compile failed, and whether it was the architecture option NVRTC rejected.
struct CompileFailure {
    message: String,
    bad_arch: bool,
}

/// Runs NVRTC once with `--gpu-architecture=<arch>`; a cubin for `sm_*`, PTX otherwise.
fn run_nvrtc(arch: &str) -> Result<Image, CompileFailure> {
    let fail = |message: String| CompileFailure { message, bad_arch: false };
    let root = CString::new(ROOT).map_err(|e| fail(e.to_string()))?;
    let root_name = CString::new(ROOT_NAME).map_err(|e| fail(e.to_string()))?;
    let headers: Vec<CString> = SOURCES.iter().map(|(_, s)| CString::new(*s)).collect::<Result<_, _>>().map_err(|e| fail(e.to_string()))?;
    let names: Vec<CString> = SOURCES.iter().map(|(n, _)| CString::new(*n)).collect::<Result<_, _>>().map_err(|e| fail(e.to_string()))?;
    let header_ptrs: Vec<*const c_char> = headers.iter().map(|c| c.as_ptr()).collect();
    let name_ptrs: Vec<*const c_char> = names.iter().map(|c| c.as_ptr()).collect();
    let mut opts: Vec<CString> = vec![CString::new(format!("--gpu-architecture={arch}")).map_err(|e| fail(e.to_string()))?];
    for o in OPTIONS {
        opts.push(CString::new(*o).map_err(|e| fail(e.to_string()))?);
    }
    let opt_ptrs: Vec<*const c_char> = opts.iter().map(|c| c.as_ptr()).collect();
    let want_cubin = arch.starts_with("sm_");

    let mut prog: nv::nvrtcProgram = std::ptr::null_mut();
    // SAFETY: all strings are NUL-terminated and outlive the call; the header and name
    // arrays have SOURCES.len() entries each.
    let r = unsafe { nv::nvrtcCreateProgram(&mut prog, root.as_ptr(), root_name.as_ptr(), SOURCES.len() as i32, header_ptrs.as_ptr(), name_ptrs.as_ptr()) };
    if r != nv::nvrtcResult::NVRTC_SUCCESS {
        return Err(fail(format!("nvrtcCreateProgram failed: {}", nvrtc_text(r))));
    }
    // SAFETY: prog was created above and is destroyed exactly once at the end.
    let out = unsafe { compile_program(prog, &opt_ptrs, want_cubin) };
    // SAFETY: prog is a live program handle.
    unsafe { nv::nvrtcDestroyProgram(&mut prog) };
    out.map(|bytes| Image { bytes, is_cubin: want_cubin, arch: arch.to_string() })
}

/// # Safety
/// `prog` must be a live NVRTC program and `opts` valid C strings.
unsafe fn compile_program(prog: nv::nvrtcProgram, opts: &[*const c_char], want_cubin: bool) -> Result<Vec<u8>, CompileFailure> {
    let r = nv::nvrtcCompileProgram(prog, opts.len() as i32, opts.as_ptr());
    if r != nv::nvrtcResult::NVRTC_SUCCESS {
        let log = program_log(prog);
        return Err(CompileFailure {
            bad_arch: r == nv::nvrtcResult::NVRTC_ERROR_INVALID_OPTION,
            message: format!("NVRTC compilation failed ({}):\n{log}", nvrtc_text(r)),
        });
    }
    let mut size = 0usize;
    let r = if want_cubin { nv::nvrtcGetCUBINSize(prog, &mut size) } else { nv::nvrtcGetPTXSize(prog, &mut size) };
    if r != nv::nvrtcResult::NVRTC_SUCCESS || size == 0 {
        return Err(CompileFailure { bad_arch: false, message: format!("NVRTC returned no code: {}", nvrtc_text(r)) });
    }
    let mut bytes = vec![0u8; size];
    let r = if want_cubin { nv::nvrtcGetCUBIN(prog, bytes.as_mut_ptr() as *mut c_char) } else { nv::nvrtcGetPTX(prog, bytes.as_mut_ptr() as *mut c_char) };
    if r != nv::nvrtcResult::NVRTC_SUCCESS {
        return Err(CompileFailure { bad_arch: false, message: format!("reading NVRTC's output failed: {}", nvrtc_text(r)) });
    }
    if !want_cubin && bytes.last() != Some(&0) {
        bytes.push(0); // cuModuleLoadData reads PTX as a C string
    }
    Ok(bytes)
}

/// # Safety
/// `prog` must be a live NVRTC program.
unsafe fn program_log(prog: nv::nvrtcProgram) -> String {
    let mut size = 0usize;
    if nv::nvrtcGetProgramLogSize(prog, &mut size) != nv::nvrtcResult::NVRTC_SUCCESS || size == 0 {
        return String::new();
    }
    let mut log = vec![0u8; size];
    if nv::nvrtcGetProgramLog(prog, log.as_mut_ptr() as *mut c_char) != nv::nvrtcResult::NVRTC_SUCCESS {
        return String::new();
    }
    String::from_utf8_lossy(&log).trim_end_matches('\0').trim().to_string()
}

/// Compiles the kernels for compute capability `major.minor` (no GPU needed: NVRTC only).
pub fn compile(major: i32, minor: i32) -> Result<Image, String> {
    loader::guarded("compiling the CUDA kernels", || {
        loader::load_nvrtc()?;
        let sm = format!("sm_{major}{minor}");
        match run_nvrtc(&sm) {
            Ok(img) => Ok(img),
            Err(f) if f.bad_arch => {
                // NVRTC older than the GPU: PTX for the newest architecture it knows,
                // which the driver JIT-compiles for the device.
                let want = major * 10 + minor;
                let best = supported_archs().into_iter().filter(|&a| a <= want).max();
                match best {
                    Some(a) => run_nvrtc(&format!("compute_{a}")).map_err(|g| format!("{sm}: {}\ncompute_{a}: {}", f.message, g.message)),
                    None => Err(format!("{sm}: {} (and this NVRTC supports no older architecture)", f.message)),
                }
            }
            Err(f) => Err(f.message),
        }
    })
}
