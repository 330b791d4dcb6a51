//! GroupNormalization: channels split into `num_groups` groups, each (n, group) block
//! normalized by its own statistics, then scaled and shifted. Opset 18 has one scale and
//! bias per group; opset 21 one per channel (and a stash_type, computed in f32 here).

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use super::common::{affine_rows, params_len, row_stats};
use crate::util::parallel::pool_for;
use crate::util::real::{Acc, Real};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "GroupNormalization", 18, make));
}

struct GroupNorm {
    eps: f64,
    groups: i64,
    per_channel: bool,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let groups = node.req_int("num_groups")?;
    ensure!(groups > 0, InvalidGraph, "{}: num_groups must be positive, got {groups}", node.describe());
    Ok(Box::new(GroupNorm { eps: node.float_or("epsilon", 1e-5)? as f64, groups, per_channel: node.opset >= 21 }))
}

impl Kernel for GroupNorm {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let (x, s, b) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
        ensure!(x.rank() >= 2, InvalidArgument, "{node}: input must have rank >= 2 (N, C, ...), got {:?}", x.shape());
        let g = self.groups as usize;
        ensure!(
            x.shape()[1] % g == 0,
            InvalidArgument,
            "{node}: {} channels cannot be split into {g} groups",
            x.shape()[1]
        );
        let p = pool_for(ctx, x.len() * 3);
        let dt = x.dtype();
        let y = crate::dispatch_float!(dt, T => self.run::<T>(p, x, s, b).map_err(|e| e.context(&node))?, else bail!(
            NotImplemented,
            "{node}: not implemented for element type {dt}"
        ));
        ctx.set_output(0, y)
    }
}

impl GroupNorm {
    fn run<T: Real>(&self, p: Option<&onnxrun_linalg::ThreadPool>, x: &Tensor, s: &Tensor, b: &Tensor) -> Result<Tensor> {
        let (n, c) = (x.shape()[0], x.shape()[1]);
        let g = self.groups as usize;
        let inner: usize = x.shape()[2..].iter().product();
        let cpg = c / g;
        let plen = if self.per_channel { c } else { g };
        let (s, b): (Vec<T::A>, Vec<T::A>) = (params_len(s, plen, "scale")?, params_len(b, plen, "bias")?);
        let xs = x.data::<T>()?;
        let st = row_stats(p, xs, n * g, cpg * inner)?;
        let eps = T::A::from_f64(self.eps);
        let mut y = Tensor::zeros(x.dtype(), x.shape().to_vec())?;
        // Row r is channel r % c of sample r / c; its group's stats are at n * g + group.
        affine_rows(p, xs, y.data_mut::<T>()?, inner, |r| {
            let (ni, ci) = (r / c, r % c);
            let gi = ci / cpg;
            let (m, v) = st[ni * g + gi];
            let pi = if self.per_channel { ci } else { gi };
            let a = s[pi] / (v + eps).sqrt();
            (a, b[pi] - m * a)
        })?;
        Ok(y)
    }
}
