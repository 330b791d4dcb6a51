//! MaxPool (opsets 1, 8, 10, 11, 12, 22): float types and, from opset 12, int8/uint8.
//! The optional Indices output (opset 8+) holds flat input indices, row-major or, with
//! storage_order = 1, column-major within each plane. NaN propagates.

use super::argmax::run_argmax;
use super::driver::{run, MaxR};
use super::plan::Plan;
use super::elem::{MaxVal, PoolElem};
use super::geometry::{PoolAttrs, Supports};
use crate::util::parallel::pool_for;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "MaxPool", 1, make));
}

struct MaxPool {
    attrs: PoolAttrs,
    col_major: bool,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let v10 = node.opset >= 10;
    let attrs = PoolAttrs::parse(node, Supports { dilations: v10, ceil_mode: v10 })?;
    let order = node.int_or("storage_order", 0)?;
    ensure!(order == 0 || order == 1, InvalidGraph, "{}: attribute 'storage_order' must be 0 or 1, got {order}", node.describe());
    Ok(Box::new(MaxPool { attrs, col_major: order == 1 }))
}

impl Kernel for MaxPool {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        let (axes, shape) = super::setup(&node, x, &self.attrs)?;
        let plan = Plan::new(&axes, false);
        let planes = shape[0] * shape[1];
        let pool = pool_for(ctx, plan.work(planes));
        let indices = ctx.output_required(1);
        let dt = x.dtype();
        let (y, i) = crate::dispatch!(dt, T => pool_max::<T>(x, &plan, shape, indices, self.col_major, pool)?,
            [f32, f64, f16, bf16, i8, u8],
            else bail!(NotImplemented, "{node}: MaxPool is not implemented for element type {dt}"));
        ctx.set_output(0, y)?;
        if let Some(i) = i {
            ctx.set_output(1, i)?;
        }
        Ok(())
    }
}

fn pool_max<T: PoolElem>(
    x: &Tensor,
    plan: &Plan,
    shape: Vec<usize>,
    indices: bool,
    col_major: bool,
    pool: Option<&onnxrun_linalg::ThreadPool>,
) -> Result<(Tensor, Option<Tensor>)>
where
    T::A: MaxVal,
{
    let xs = x.data::<T>()?;
    if indices {
        let (y, i) = run_argmax(plan, shape[0] * shape[1], xs, col_major, pool)?;
        return Ok((Tensor::from_vec(shape.clone(), y)?, Some(Tensor::from_vec(shape, i)?)));
    }
    let mut y = vec![T::default(); onnxrun_core::num_elements(&shape)?];
    run(&MaxR, plan, xs, &mut y, pool)?;
    Ok((Tensor::from_vec(shape, y)?, None))
}
