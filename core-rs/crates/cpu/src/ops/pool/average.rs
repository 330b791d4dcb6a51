//! AveragePool (opsets 1, 7, 10, 11, 19, 22): count_include_pad from 7, ceil_mode from 10,
//! dilations from 19. The divisor counts the window's taps inside the input, or with
//! count_include_pad those inside the padded extent too (never those past the end pad).

use super::driver::{run, Reducer};
use super::plan::Plan;
use super::elem::PoolElem;
use super::geometry::{PoolAttrs, Supports};
use crate::util::parallel::pool_for;
use crate::util::real::Acc;
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "AveragePool", 1, make));
}

/// Sum, divided by the window's count.
pub struct AvgR;

impl<T: PoolElem> Reducer<T> for AvgR
where
    T::A: Acc,
{
    const IDENTITY: bool = true;
    const PLAIN_FINISH: bool = false;
    #[inline(always)]
    fn init(&self) -> T::A {
        T::A::ZERO
    }
    #[inline(always)]
    fn map(&self, x: T) -> T::A {
        x.up()
    }
    #[inline(always)]
    fn comb(&self, a: T::A, b: T::A) -> T::A {
        a + b
    }
    #[inline(always)]
    fn divisor(&self, count: f64) -> T::A {
        // An empty window (possible only with dilations) averages to 0 rather than 0/0.
        T::A::from_f64(count.max(1.0))
    }
    #[inline(always)]
    fn finish(&self, a: T::A, row: T::A, col: T::A) -> T {
        T::down(a / (row * col))
    }
}

struct AveragePool {
    attrs: PoolAttrs,
    include_pad: bool,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let attrs = PoolAttrs::parse(node, Supports { dilations: node.opset >= 19, ceil_mode: node.opset >= 10 })?;
    let cip = node.int_or("count_include_pad", 0)?;
    ensure!(cip == 0 || cip == 1, InvalidGraph, "{}: attribute 'count_include_pad' must be 0 or 1, got {cip}", node.describe());
    Ok(Box::new(AveragePool { attrs, include_pad: cip == 1 }))
}

impl Kernel for AveragePool {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        let (axes, shape) = super::setup(&node, x, &self.attrs)?;
        let plan = Plan::new(&axes, self.include_pad);
        let pool = pool_for(ctx, plan.work(shape[0] * shape[1]));
        let dt = x.dtype();
        let y = crate::dispatch_float!(dt, T => pool_avg::<T>(x, &plan, shape, pool)?,
            else bail!(NotImplemented, "{node}: AveragePool is not implemented for element type {dt}"));
        ctx.set_output(0, y)
    }
}

fn pool_avg<T: PoolElem>(x: &Tensor, plan: &Plan, shape: Vec<usize>, pool: Option<&onnxrun_linalg::ThreadPool>) -> Result<Tensor>
where
    T::A: Acc,
{
    let mut y = vec![T::default(); onnxrun_core::num_elements(&shape)?];
    run(&AvgR, plan, x.data::<T>()?, &mut y, pool)?;
    Tensor::from_vec(shape, y)
}
