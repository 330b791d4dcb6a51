//! LRN (opset 1, 13): each element divided by `(bias + alpha / size * sum of squares over
//! a window of `size` channels around it)^beta`, the window running from
//! `c - floor((size-1)/2)` to `c + ceil((size-1)/2)`, clipped to the channels.

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::util::real::{Acc, Real};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "LRN", 1, make));
}

struct Lrn {
    alpha: f64,
    beta: f64,
    bias: f64,
    size: usize,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let size = node.req_int("size")?;
    ensure!(size > 0, InvalidGraph, "{}: size must be positive, got {size}", node.describe());
    Ok(Box::new(Lrn {
        alpha: node.float_or("alpha", 1e-4)? as f64,
        beta: node.float_or("beta", 0.75)? as f64,
        bias: node.float_or("bias", 1.0)? as f64,
        size: size as usize,
    }))
}

impl Kernel for Lrn {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        ensure!(x.rank() >= 2, InvalidArgument, "{node}: input must have rank >= 2 (N, C, ...), got {:?}", x.shape());
        let p = pool_for(ctx, x.len() * self.size);
        let dt = x.dtype();
        let y = crate::dispatch_float!(dt, T => self.run::<T>(p, x)?, else bail!(
            NotImplemented,
            "{node}: not implemented for element type {dt}"
        ));
        ctx.set_output(0, y)
    }
}

impl Lrn {
    fn run<T: Real>(&self, p: Option<&onnxrun_linalg::ThreadPool>, x: &Tensor) -> Result<Tensor> {
        let c = x.shape()[1];
        let inner: usize = x.shape()[2..].iter().product();
        let xs = x.data::<T>()?;
        // Channels before and after c in its window.
        let (lo, hi) = ((self.size - 1) / 2, (self.size - 1).div_ceil(2));
        let k = T::A::from_f64(self.alpha / self.size as f64);
        let (bias, beta) = (T::A::from_f64(self.bias), T::A::from_f64(self.beta));
        let mut y = Tensor::zeros(x.dtype(), x.shape().to_vec())?;
        let block = c * inner;
        if block == 0 {
            return Ok(y);
        }
        for_chunks_mut(p, y.data_mut::<T>()?, block, |n, yb| {
            let xb = &xs[n * block..][..block];
            let mut sq = vec![T::A::ZERO; inner];
            for ci in 0..c {
                sq.fill(T::A::ZERO);
                for cj in ci.saturating_sub(lo)..(ci + hi + 1).min(c) {
                    for (s, v) in sq.iter_mut().zip(&xb[cj * inner..][..inner]) {
                        let v = v.to_acc();
                        *s += v * v;
                    }
                }
                for ((y, v), s) in yb[ci * inner..][..inner].iter_mut().zip(&xb[ci * inner..][..inner]).zip(&sq) {
                    *y = T::from_acc(v.to_acc() / (bias + k * *s).powf(beta));
                }
            }
        })?;
        Ok(y)
    }
}
