//! onnxrun's CUDA execution provider.
//!
//! Nothing CUDA is linked: cudarc loads libcuda, cuBLAS and NVRTC at run time (see
//! `loader` for the library names and folders), so this crate builds and loads on any
//! machine. Where no usable GPU exists, [`probe`] says why and [`CudaProvider::new`]
//! fails with `EpFail`; nothing panics.
//!
//! Kernels: MatMul and Gemm on cuBLAS (f32; TF32 only with `use_tf32=1`), elementwise
//! Add/Sub/Mul/Div (broadcasting) and Relu/Sigmoid/Tanh from `kernels/*.cu`, compiled by
//! NVRTC on first use and cached on disk (see `compile`). All work of a device goes to one
//! stream; memory comes from the stream-ordered pool (`cuMemAllocAsync`).

mod blas;
mod broadcast;
mod buffer;
mod compile;
mod device;
mod error;
mod kernels;
mod loader;
mod ops;
mod provider;

pub use buffer::CudaBuffer;
pub use provider::{cuda_registry, device_count, probe, CudaOptions, CudaProvider, CUDA_PROVIDER};

/// Kernel compilation without a device, for tools and tests: NVRTC alone is needed.
pub mod nvrtc {
    pub use crate::compile::{cache_dir, cache_key, cache_path, compile, nvrtc_version, Image, SOURCES};
    pub use crate::kernels::KERNEL_NAMES;
    pub use crate::loader::toolkit_dirs;
}
