//! onnxrun CPU linear algebra.
//!
//! - [`pool::ThreadPool`]: a persistent intra-op pool whose `parallel_for` lets tasks
//!   borrow from the caller's stack.
//! - [`gemm`](mod@gemm): packed, cache-blocked f32/f64 GEMM in the tract style: one generic frame
//!   (packing, blocking, threading) around per-ISA micro-kernels chosen once at run time
//!   (`ONNXRUN_LINALG_TIER=scalar|fma` forces a tier), plus prepacking of constant B.

pub mod gemm;
pub mod pool;

pub use gemm::{
    b_pack_count, dgemm, dgemm_with_packed_b, gemm, gemm_with_packed_b, packs_b, sgemm,
    sgemm_with_packed_b, Element, GemmKernel, PackedB, Tier,
};
pub use pool::{PoolError, ThreadPool};
