//! CUDA failures as onnxrun errors. Failures while setting a provider up are EpFail (the
//! session can fall back to another provider); failures while running are RuntimeException.

use cudarc::cublas::result::CublasError;
use cudarc::driver::DriverError;
use onnxrun_core::{err, Error};

/// "CUDA_ERROR_OUT_OF_MEMORY (out of memory)".
pub(crate) fn driver_text(e: DriverError) -> String {
    let name = e.error_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|_| format!("{:?}", e.0));
    match e.error_string() {
        Ok(s) => format!("{name} ({})", s.to_string_lossy()),
        Err(_) => name,
    }
}

pub(crate) fn cublas_text(e: CublasError) -> String {
    format!("{:?}", e.0)
}

/// A driver call failed while running `what`.
pub(crate) fn run_err(what: &str, e: DriverError) -> Error {
    err!(RuntimeException, "CUDA: {what} failed: {}", driver_text(e))
}

pub(crate) fn blas_err(what: &str, e: CublasError) -> Error {
    err!(RuntimeException, "cuBLAS: {what} failed: {}", cublas_text(e))
}
