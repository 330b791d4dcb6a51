//! onnxrun's wgpu execution provider: WGSL compute kernels (shaders/) run on Vulkan, Metal
//! or DX12 through wgpu, with a buffer pool and a pipeline cache. The adapter is found at
//! run time, so the crate builds everywhere; `probe()` says whether this machine has one.

mod context;
mod ops;
mod pipelines;
mod pool;
mod provider;
mod shape;

pub use context::probe;
pub use ops::wgpu_registry;
pub use pool::GpuBuffer;
pub use provider::{WgpuProvider, WEBGPU_PROVIDER};
