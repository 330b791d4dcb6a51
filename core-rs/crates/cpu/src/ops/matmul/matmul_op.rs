//! MatMul (opset 1, 9, 13): numpy matmul on f32/f64/f16/bf16 and integer types; a
//! constant 2-D f32/f64 B is packed once, when the kernel is created.

use super::batched::matmul_tensors_packed;
use super::packed_weight::PackedWeight;
use crate::util::parallel::pool;
use onnxrun_core::{FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "MatMul", 1, matmul));
}

fn matmul(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let packed = PackedWeight::of_input(node, 1, false)?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let (a, b) = (ctx.input(0)?, ctx.input(1)?);
        let out = matmul_tensors_packed(pool(ctx), a, b, packed.as_ref()).map_err(|e| e.context(ctx.node.describe()))?;
        ctx.set_output(0, out)
    })))
}
