//! The boundary discipline: every entry runs inside `wrap`, which catches panics and turns
//! errors into a status code plus a thread-local message.

use onnxrun_core::{Error, ErrorCode, Result};
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    static LAST_ERROR: RefCell<(i32, CString)> = RefCell::new((0, CString::default()));
    static RETURNED: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(e: &Error) {
    let msg = CString::new(e.message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|l| *l.borrow_mut() = (e.code as i32, msg));
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

/// Runs `f`; Ok → 0, Err or panic → its code, with the message kept for `onnxrun_last_error`.
pub fn wrap(f: impl FnOnce() -> Result<()>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            set_last_error(&e);
            e.code as i32
        }
        Err(p) => {
            let e = Error::new(ErrorCode::RuntimeException, format!("internal error (panic): {}", panic_message(p)));
            set_last_error(&e);
            e.code as i32
        }
    }
}

/// Like `wrap` for functions returning a string: a thread-local C string or NULL.
pub fn wrap_str(f: impl FnOnce() -> Result<String>) -> *const c_char {
    let mut out = None;
    let status = wrap(|| {
        out = Some(f()?);
        Ok(())
    });
    match (status, out) {
        (0, Some(s)) => RETURNED.with(|r| {
            *r.borrow_mut() = CString::new(s.replace('\0', " ")).unwrap_or_default();
            r.borrow().as_ptr()
        }),
        _ => std::ptr::null(),
    }
}

pub fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|l| l.borrow().1.as_ptr())
}

pub fn last_error_code() -> i32 {
    LAST_ERROR.with(|l| l.borrow().0)
}

/// A C string argument; NULL is an error naming the parameter.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for the call.
pub unsafe fn c_str<'a>(p: *const c_char, what: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::new(ErrorCode::InvalidArgument, format!("{what} is NULL")));
    }
    // SAFETY: non-null and NUL-terminated per the contract.
    unsafe { CStr::from_ptr(p) }.to_str().map_err(|_| Error::new(ErrorCode::InvalidArgument, format!("{what} is not valid UTF-8")))
}

/// An optional C string: NULL → None.
///
/// # Safety
/// As `c_str`.
pub unsafe fn opt_c_str<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { c_str(p, what) }.map(Some)
    }
}

/// A slice argument; NULL is allowed only when `len` is 0.
///
/// # Safety
/// `p` points to `len` valid elements when non-null.
pub unsafe fn slice<'a, T>(p: *const T, len: usize, what: &str) -> Result<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::new(ErrorCode::InvalidArgument, format!("{what} is NULL but its length is {len}")));
    }
    // SAFETY: non-null, len elements per the contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Writes through an out-pointer, rejecting NULL.
///
/// # Safety
/// `p` is NULL or valid for a write of T.
pub unsafe fn out<T>(p: *mut T, v: T, what: &str) -> Result<()> {
    if p.is_null() {
        return Err(Error::new(ErrorCode::InvalidArgument, format!("{what} is NULL")));
    }
    // SAFETY: non-null and writable per the contract.
    unsafe { p.write(v) };
    Ok(())
}
