//! The WebGPU kernels, registered by family. Every kernel takes float32 only; the
//! partitioner leaves other types (and ops not listed here) to the next provider.

mod elementwise;
mod matmul;

use crate::provider::WgpuProvider;
use onnxrun_core::{KernelRegistry, OpContext, Result};
use std::sync::OnceLock;

/// All WebGPU kernels, registered once per process.
pub fn wgpu_registry() -> &'static KernelRegistry {
    static REGISTRY: OnceLock<KernelRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = KernelRegistry::new();
        elementwise::register(&mut r);
        matmul::register(&mut r);
        r
    })
}

fn provider<'a>(ctx: &OpContext<'a>) -> Result<&'a WgpuProvider> {
    ctx.provider_as::<WgpuProvider>()
        .ok_or_else(|| crate::context::err(&format!("{}: WebGPU kernel run by another provider", ctx.node.describe())))
}

/// Input `i` as a float32 tensor on the provider's device (uploading a host tensor).
fn float_input(ctx: &OpContext<'_>, p: &WgpuProvider, i: usize) -> Result<onnxrun_core::Tensor> {
    let t = ctx.input(i)?;
    if t.dtype() != onnxrun_core::DataType::Float {
        return Err(onnxrun_core::Error::new(
            onnxrun_core::ErrorCode::InvalidArgument,
            format!("{}: input {i} is {}, the WebGPU kernel takes float", ctx.node.describe(), t.dtype()),
        ));
    }
    p.on_device(t)
}
