//! The slice of include/onnxrun.h the fuzzer drives, declared by hand so the calls go through
//! the exported C symbols exactly as a binding makes them, plus status helpers.

use std::ffi::{c_char, CStr, CString};

extern "C" {
    pub fn onnxrun_session_create_from_bytes(bytes: *const u8, len: usize, model_dir: *const c_char, options_json: *const c_char, out: *mut u64) -> i32;
    pub fn onnxrun_session_info(session: u64) -> *const c_char;
    pub fn onnxrun_session_run(
        session: u64,
        run_options: u64,
        feed_idx: *const u32,
        feeds: *const u64,
        n_feeds: usize,
        fetch_idx: *const u32,
        fetches: *mut u64,
        n_fetches: usize,
    ) -> i32;
    pub fn onnxrun_session_free(session: u64) -> i32;
    pub fn onnxrun_run_options_create(json: *const c_char, out: *mut u64) -> i32;
    pub fn onnxrun_run_options_set_terminate(run_options: u64, flag: i32) -> i32;
    pub fn onnxrun_run_options_free(run_options: u64) -> i32;
    pub fn onnxrun_value_tensor_create(elem_type: i32, dims: *const i64, ndims: usize, data: *mut u8, byte_len: usize, copy: i32, out: *mut u64) -> i32;
    pub fn onnxrun_value_tensor_create_strings(dims: *const i64, ndims: usize, utf8: *const u8, utf8_len: usize, offsets: *const u64, out: *mut u64) -> i32;
    pub fn onnxrun_value_describe(value: u64, out: *mut i64, cap: usize, out_len: *mut usize) -> i32;
    pub fn onnxrun_value_type(value: u64) -> *const c_char;
    pub fn onnxrun_value_sequence_get(seq: u64, index: usize, out: *mut u64) -> i32;
    pub fn onnxrun_value_map_keys(map: u64, out: *mut u64) -> i32;
    pub fn onnxrun_value_map_values(map: u64, out: *mut u64) -> i32;
    pub fn onnxrun_value_optional_get(opt: u64, out: *mut u64) -> i32;
    pub fn onnxrun_value_free(value: u64) -> i32;
    pub fn onnxrun_last_error() -> *const c_char;
    pub fn onnxrun_last_error_code() -> i32;
    pub fn onnxrun_live_handles() -> u64;
}

pub const RUNTIME_EXCEPTION: i32 = 6;

/// onnxrun.h's status names; -1 is the fuzzer's own "not made".
fn code_name(code: i32) -> &'static str {
    const NAMES: [&str; 12] = [
        "OK", "FAIL", "INVALID_ARGUMENT", "NO_SUCHFILE", "NO_MODEL", "ENGINE_ERROR", "RUNTIME_EXCEPTION", "INVALID_PROTOBUF",
        "MODEL_LOADED", "NOT_IMPLEMENTED", "INVALID_GRAPH", "EP_FAIL",
    ];
    usize::try_from(code).ok().and_then(|c| NAMES.get(c)).copied().unwrap_or("skipped")
}

/// A status histogram as `{NAME: count, ...}`.
pub fn codes(h: &std::collections::BTreeMap<i32, u64>) -> String {
    let parts: Vec<String> = h.iter().map(|(c, n)| format!("{}: {n}", code_name(*c))).collect();
    format!("{{{}}}", parts.join(", "))
}

/// A failed call: its status and onnxrun_last_error().
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    /// `wrap` turns a panic into RUNTIME_EXCEPTION with this prefix; the ABI promises none.
    pub fn is_panic(&self) -> bool {
        self.code == RUNTIME_EXCEPTION && self.message.contains("internal error (panic)")
    }
}

pub fn check(code: i32) -> Result<(), Failure> {
    if code == 0 {
        return Ok(());
    }
    // SAFETY: the library returns a NUL-terminated thread-local string.
    let message = unsafe { text(onnxrun_last_error()) }.unwrap_or_default();
    Err(Failure { code, message })
}

/// The failure behind a NULL string result.
fn last_failure() -> Failure {
    // SAFETY: no arguments.
    let code = unsafe { onnxrun_last_error_code() };
    check(code).err().unwrap_or(Failure { code, message: "NULL result without an error".into() })
}

/// # Safety
/// `p` is NULL or a NUL-terminated string the library returned on this thread.
pub unsafe fn text(p: *const c_char) -> Option<String> {
    // SAFETY: per the contract above.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

pub fn cstring(s: &str) -> CString {
    CString::new(s).expect("no NUL in fuzzer strings")
}

pub fn create_session(bytes: &[u8], model_dir: &CStr, options: &str) -> Result<u64, Failure> {
    let opts = cstring(options);
    let mut s = 0u64;
    // SAFETY: valid buffers and strings for the call, writable out-pointer.
    check(unsafe { onnxrun_session_create_from_bytes(bytes.as_ptr(), bytes.len(), model_dir.as_ptr(), opts.as_ptr(), &mut s) })?;
    Ok(s)
}

pub fn session_info(session: u64) -> Result<String, Failure> {
    // SAFETY: a string returned on this thread.
    unsafe { text(onnxrun_session_info(session)) }.ok_or_else(last_failure)
}

/// Runs with borrowed feeds; on success the fetched handles (owned by the caller).
pub fn run(session: u64, run_options: u64, feeds: &[(u32, u64)], fetch: &[u32], bound: &[u64]) -> Result<Vec<u64>, Failure> {
    let (idx, vals): (Vec<u32>, Vec<u64>) = feeds.iter().copied().unzip();
    let mut out: Vec<u64> = (0..fetch.len()).map(|i| bound.get(i).copied().unwrap_or(0)).collect();
    // SAFETY: arrays of the stated lengths; `out` has one writable slot per fetch.
    check(unsafe { onnxrun_session_run(session, run_options, idx.as_ptr(), vals.as_ptr(), idx.len(), fetch.as_ptr(), out.as_mut_ptr(), fetch.len()) })?;
    Ok(out)
}

/// onnxrun_value_describe's slots, grown until they fit.
pub fn describe(value: u64) -> Result<Vec<i64>, Failure> {
    let mut buf = vec![0i64; 16];
    loop {
        let mut len = 0usize;
        // SAFETY: `buf` has `buf.len()` writable slots.
        check(unsafe { onnxrun_value_describe(value, buf.as_mut_ptr(), buf.len(), &mut len) })?;
        if len <= buf.len() {
            buf.truncate(len);
            return Ok(buf);
        }
        buf.resize(len, 0);
    }
}

/// Calls an ABI getter of the form `f(value, ..., *mut out)` and returns the new handle.
pub fn get(f: impl FnOnce(*mut u64) -> i32) -> Result<u64, Failure> {
    let mut h = 0u64;
    check(f(&mut h))?;
    Ok(h)
}

pub fn value_type(value: u64) -> Result<String, Failure> {
    // SAFETY: a string returned on this thread.
    unsafe { text(onnxrun_value_type(value)) }.ok_or_else(last_failure)
}

pub fn live_handles() -> u64 {
    // SAFETY: no arguments.
    unsafe { onnxrun_live_handles() }
}
