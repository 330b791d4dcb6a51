//! MatMul (opset 1, 9, 13): numpy matmul on f32/f64/f16/bf16 and integer types.

use super::batched::matmul_tensors;
use crate::util::parallel::pool;
use onnxrun_core::{FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "MatMul", 1, matmul));
}

fn matmul(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let (a, b) = (ctx.input(0)?, ctx.input(1)?);
        let out = matmul_tensors(pool(ctx), a, b).map_err(|e| e.context(ctx.node.describe()))?;
        ctx.set_output(0, out)
    })))
}
