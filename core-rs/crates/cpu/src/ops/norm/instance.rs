//! InstanceNormalization (opset 1, 6, 22): each (n, c) plane normalized by its own mean
//! and variance, then scaled and shifted per channel.

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use super::common::{affine_rows, params_len, row_stats};
use crate::util::parallel::pool_for;
use crate::util::real::{Acc, Real};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "InstanceNormalization", 1, make));
}

struct InstanceNorm {
    eps: f64,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(InstanceNorm { eps: node.float_or("epsilon", 1e-5)? as f64 }))
}

impl Kernel for InstanceNorm {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let (x, s, b) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
        ensure!(x.rank() >= 2, InvalidArgument, "{node}: input must have rank >= 2 (N, C, ...), got {:?}", x.shape());
        let p = pool_for(ctx, x.len() * 3);
        let dt = x.dtype();
        let y = crate::dispatch_float!(dt, T => run::<T>(p, x, s, b, self.eps).map_err(|e| e.context(&node))?, else bail!(
            NotImplemented,
            "{node}: not implemented for element type {dt}"
        ));
        ctx.set_output(0, y)
    }
}

fn run<T: Real>(p: Option<&onnxrun_linalg::ThreadPool>, x: &Tensor, s: &Tensor, b: &Tensor, eps: f64) -> Result<Tensor> {
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let inner: usize = x.shape()[2..].iter().product();
    let (s, b): (Vec<T::A>, Vec<T::A>) = (params_len(s, c, "scale")?, params_len(b, c, "B")?);
    let xs = x.data::<T>()?;
    let st = row_stats(p, xs, n * c, inner)?;
    let eps = T::A::from_f64(eps);
    let mut y = Tensor::zeros(x.dtype(), x.shape().to_vec())?;
    affine_rows(p, xs, y.data_mut::<T>()?, inner, |r| {
        let (m, v) = st[r];
        let a = s[r % c] / (v + eps).sqrt();
        (a, b[r % c] - m * a)
    })?;
    Ok(y)
}
