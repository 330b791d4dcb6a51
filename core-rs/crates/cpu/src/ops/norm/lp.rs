//! LpNormalization (opset 1, 22): x divided by its L1 (`p = 1`) or L2 (`p = 2`) norm along
//! `axis`; a zero norm gives zeros rather than NaN.

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::util::real::{Acc, Real};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "LpNormalization", 1, make));
}

struct LpNorm {
    axis: i64,
    l2: bool,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let p = node.int_or("p", 2)?;
    ensure!(p == 1 || p == 2, InvalidGraph, "{}: p must be 1 or 2, got {p}", node.describe());
    Ok(Box::new(LpNorm { axis: node.int_or("axis", -1)?, l2: p == 2 }))
}

impl Kernel for LpNorm {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        let r = x.rank() as i64;
        ensure!(self.axis >= -r && self.axis < r, InvalidArgument, "{node}: axis {} is out of range for rank {r}", self.axis);
        let axis = if self.axis < 0 { self.axis + r } else { self.axis } as usize;
        let n = x.shape()[axis];
        let inner: usize = x.shape()[axis + 1..].iter().product();
        let p = pool_for(ctx, x.len() * 2);
        let dt = x.dtype();
        let y = crate::dispatch_float!(dt, T => run::<T>(p, x, n, inner, self.l2)?, else bail!(
            NotImplemented,
            "{node}: not implemented for element type {dt}"
        ));
        ctx.set_output(0, y)
    }
}

fn run<T: Real>(p: Option<&onnxrun_linalg::ThreadPool>, x: &Tensor, n: usize, inner: usize, l2: bool) -> Result<Tensor> {
    let xs = x.data::<T>()?;
    let mut y = Tensor::zeros(x.dtype(), x.shape().to_vec())?;
    let block = n * inner;
    if block == 0 {
        return Ok(y);
    }
    for_chunks_mut(p, y.data_mut::<T>()?, block, |o, yb| {
        let xb = &xs[o * block..][..block];
        let mut norm = vec![T::A::ZERO; inner];
        for row in xb.chunks(inner) {
            for (s, v) in norm.iter_mut().zip(row) {
                let v = v.to_acc();
                *s += if l2 { v * v } else { v.abs() };
            }
        }
        for s in norm.iter_mut() {
            let d = if l2 { s.sqrt() } else { *s };
            *s = if d == T::A::ZERO { T::A::ZERO } else { T::A::ONE / d };
        }
        for (yr, xr) in yb.chunks_mut(inner).zip(xb.chunks(inner)) {
            for ((y, v), s) in yr.iter_mut().zip(xr).zip(&norm) {
                *y = T::from_acc(v.to_acc() * *s);
            }
        }
    })?;
    Ok(y)
}
