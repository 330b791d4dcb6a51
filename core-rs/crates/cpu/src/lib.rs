//! onnxrun's CPU execution provider. Kernels live in `ops/`, one file per op family, each
//! with a `register` function; `util/` holds what several families share.

pub mod ops;
mod provider;
mod rewrite;
pub mod util;

pub use provider::{cpu_registry, CpuProvider, CPU_PROVIDER};

/// The SIMD tier the GEMM kernels run with on this CPU ("fma", "scalar", ...).
pub fn simd_tier() -> &'static str {
    onnxrun_linalg::gemm::active_tier().name()
}
