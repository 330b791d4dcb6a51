//! LpPool (opsets 1, 2, 11, 18, 22): the p-norm of each window, `(sum |x|^p)^(1/p)`.
//! p is a float at opset 1 and an int after; ceil_mode and dilations come at 18. Padding
//! adds nothing to the sum, so no count is involved.

use super::driver::{run, Reducer};
use super::plan::Plan;
use super::elem::PoolElem;
use super::geometry::{PoolAttrs, Supports};
use crate::util::parallel::pool_for;
use crate::util::real::Acc;
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "LpPool", 1, make));
}

/// The exponent, with the common small ones spelled out (exact and much cheaper than pow).
#[derive(Clone, Copy)]
pub enum P {
    One,
    Two,
    Other(f64),
}

impl P {
    /// Reads `p` (default 2; a float at opset 1, an int later) and checks it is positive.
    pub fn parse(node: &NodeInfo) -> Result<P> {
        let p = node.float_or("p", 2.0)? as f64;
        ensure!(p > 0.0 && p.is_finite(), InvalidGraph, "{}: attribute 'p' must be positive, got {p}", node.describe());
        Ok(if p == 1.0 {
            P::One
        } else if p == 2.0 {
            P::Two
        } else {
            P::Other(p)
        })
    }
}

/// Sum of `|x|^p`, then its p-th root.
pub struct LpR(pub P);

impl<T: PoolElem> Reducer<T> for LpR
where
    T::A: Acc,
{
    const IDENTITY: bool = false;
    const PLAIN_FINISH: bool = false;
    #[inline(always)]
    fn init(&self) -> T::A {
        T::A::ZERO
    }
    #[inline(always)]
    fn map(&self, x: T) -> T::A {
        let v = x.up();
        match self.0 {
            P::One => v.abs(),
            P::Two => v * v,
            P::Other(p) => v.abs().powf(T::A::from_f64(p)),
        }
    }
    #[inline(always)]
    fn comb(&self, a: T::A, b: T::A) -> T::A {
        a + b
    }
    #[inline(always)]
    fn divisor(&self, _: f64) -> T::A {
        T::A::ONE
    }
    #[inline(always)]
    fn finish(&self, a: T::A, _: T::A, _: T::A) -> T {
        T::down(match self.0 {
            P::One => a,
            P::Two => a.sqrt(),
            P::Other(p) => a.powf(T::A::from_f64(1.0 / p)),
        })
    }
}

struct LpPool {
    attrs: PoolAttrs,
    p: P,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let v18 = node.opset >= 18;
    let attrs = PoolAttrs::parse(node, Supports { dilations: v18, ceil_mode: v18 })?;
    Ok(Box::new(LpPool { attrs, p: P::parse(node)? }))
}

impl Kernel for LpPool {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        let (axes, shape) = super::setup(&node, x, &self.attrs)?;
        let plan = Plan::new(&axes, false);
        let pool = pool_for(ctx, plan.work(shape[0] * shape[1]));
        let dt = x.dtype();
        let y = crate::dispatch_float!(dt, T => pool_lp::<T>(x, &plan, shape, self.p, pool)?,
            else bail!(NotImplemented, "{node}: LpPool is not implemented for element type {dt}"));
        ctx.set_output(0, y)
    }
}

fn pool_lp<T: PoolElem>(x: &Tensor, plan: &Plan, shape: Vec<usize>, p: P, pool: Option<&onnxrun_linalg::ThreadPool>) -> Result<Tensor>
where
    T::A: Acc,
{
    let mut y = vec![T::default(); onnxrun_core::num_elements(&shape)?];
    run(&LpR(p), plan, x.data::<T>()?, &mut y, pool)?;
    Tensor::from_vec(shape, y)
}
