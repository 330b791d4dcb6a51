//! libonnxrun: the C ABI over the onnxrun core and its providers. `include/onnxrun.h` is
//! the contract; every entry here catches panics and reports errors by status code plus
//! a thread-local message.

mod alloc;
mod ffi;
mod handles;
mod jobs;
mod options;
mod pool;
mod providers;
mod session;
mod values;

use ffi::{c_str, opt_c_str, out, wrap, wrap_str};
use handles::{Entry, RunOptionsEntry};
use std::ffi::c_char;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

pub use providers::ALL_PROVIDERS;

#[global_allocator]
static ALLOCATOR: alloc::CachingAlloc = alloc::CachingAlloc::new();

#[no_mangle]
pub extern "C" fn onnxrun_version() -> *const c_char {
    wrap_str(|| Ok(env!("CARGO_PKG_VERSION").to_string()))
}

#[no_mangle]
pub extern "C" fn onnxrun_build_info() -> *const c_char {
    wrap_str(|| {
        let mut features = Vec::new();
        if cfg!(feature = "cuda") {
            features.push("cuda");
        }
        if cfg!(feature = "wgpu") {
            features.push("wgpu");
        }
        Ok(serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "gitCommit": option_env!("ONNXRUN_GIT_COMMIT").unwrap_or("unknown"),
            "buildProfile": if cfg!(debug_assertions) { "debug" } else { "release" },
            "target": format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
            "features": features,
            "cpuTier": onnxrun_cpu::simd_tier(),
        })
        .to_string())
    })
}

#[no_mangle]
pub extern "C" fn onnxrun_providers(available_only: i32) -> *const c_char {
    wrap_str(|| {
        let names: Vec<&str> =
            ALL_PROVIDERS.iter().copied().filter(|n| available_only == 0 || providers::availability(n).is_ok()).collect();
        Ok(serde_json::json!(names).to_string())
    })
}

#[no_mangle]
pub extern "C" fn onnxrun_providers_status() -> *const c_char {
    wrap_str(|| {
        let m: serde_json::Map<String, serde_json::Value> = ALL_PROVIDERS
            .iter()
            .map(|n| {
                let v = match providers::availability(n) {
                    Ok(_) => serde_json::Value::Null,
                    Err(reason) => serde_json::Value::String(reason),
                };
                (n.to_string(), v)
            })
            .collect();
        Ok(serde_json::Value::Object(m).to_string())
    })
}

#[no_mangle]
pub extern "C" fn onnxrun_last_error() -> *const c_char {
    ffi::last_error_ptr()
}

#[no_mangle]
pub extern "C" fn onnxrun_last_error_code() -> i32 {
    ffi::last_error_code()
}

#[no_mangle]
pub extern "C" fn onnxrun_live_handles() -> u64 {
    handles::live()
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_run_options_create(json: *const c_char, out_ro: *mut u64) -> i32 {
    wrap(|| {
        // SAFETY: NUL-terminated or NULL.
        let p = options::parse_run_options(unsafe { opt_c_str(json, "json") }?)?;
        let e = RunOptionsEntry { terminate: Arc::new(p.terminate.unwrap_or(false).into()), config: Mutex::new(p.config) };
        // SAFETY: writable out-pointer.
        unsafe { out(out_ro, handles::insert(Entry::RunOptions(Arc::new(e))), "out") }
    })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_run_options_update(ro: u64, json: *const c_char) -> i32 {
    wrap(|| {
        let e = handles::run_options(ro)?;
        // SAFETY: NUL-terminated string.
        let p = options::parse_run_options(Some(unsafe { c_str(json, "json") }?))?;
        if let Some(t) = p.terminate {
            e.terminate.store(t, Ordering::Relaxed);
        }
        if let Ok(mut c) = e.config.lock() {
            c.extend(p.config);
        }
        Ok(())
    })
}

#[no_mangle]
pub extern "C" fn onnxrun_run_options_set_terminate(ro: u64, flag: i32) -> i32 {
    wrap(|| {
        handles::run_options(ro)?.terminate.store(flag != 0, Ordering::Relaxed);
        Ok(())
    })
}

#[no_mangle]
pub extern "C" fn onnxrun_run_options_free(ro: u64) -> i32 {
    wrap(|| handles::take_run_options(ro).map(drop))
}
