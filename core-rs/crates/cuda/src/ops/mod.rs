//! CUDA kernels by op family. Each registers f32-only definitions, so the planner gives
//! nodes of other types (or unknown types) to the next provider.

mod elementwise;
mod matmul;

use crate::provider::CudaProvider;
use onnxrun_core::{bail, DataType, KernelRegistry, OpContext, Result, Tensor};

pub(crate) fn register_all(r: &mut KernelRegistry) {
    elementwise::register(r);
    matmul::register(r);
}

pub(crate) const F32: &[DataType] = &[DataType::Float];

/// The provider a kernel runs on (always the CUDA provider for these kernels).
pub(crate) fn cuda<'a>(ctx: &OpContext<'a>) -> Result<&'a CudaProvider> {
    match ctx.provider_as::<CudaProvider>() {
        Some(p) => Ok(p),
        None => bail!(Fail, "{}: a CUDA kernel was assigned to {}", ctx.node.describe(), ctx.provider.name()),
    }
}

/// Input `i` as an f32 tensor (the registry admits only f32; this catches mislabelled feeds).
pub(crate) fn f32_input<'a>(ctx: &OpContext<'a>, i: usize) -> Result<&'a Tensor> {
    let t = ctx.input(i)?;
    if t.dtype() != DataType::Float {
        bail!(InvalidArgument, "{}: input {i} must be tensor(float) on CUDA, got tensor({})", ctx.node.describe(), t.dtype());
    }
    Ok(t)
}
