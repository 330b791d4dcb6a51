//! CumSum and CumProd along an axis, optionally exclusive and/or reversed.

use super::Combine;
use crate::util::elems::{norm_axis, AtNode};
use crate::{dispatch_numeric};
use onnxrun_core::{bail, ensure, Element, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "CumSum", 11, |n| scan(n, false)));
    r.register(KernelDef::new("", "CumProd", 26, |n| scan(n, true)));
}

fn scan(node: &NodeInfo, prod: bool) -> Result<Box<dyn Kernel>> {
    let exclusive = node.int_or("exclusive", 0)? != 0;
    let reverse = node.int_or("reverse", 0)? != 0;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (x, ax) = (ctx.input(0)?, ctx.input(1)?);
        let axv = ax.to_i64_vec().at(node)?;
        ensure!(axv.len() == 1, InvalidArgument, "{}: axis must be a scalar, got shape {:?}", node.describe(), ax.shape());
        ensure!(x.rank() >= 1, InvalidArgument, "{}: input must have rank >= 1", node.describe());
        let a = norm_axis(axv[0], x.rank(), node.op_type.as_str()).at(node)?;
        let y = dispatch_numeric!(x.dtype(), T => run::<T>(x, a, prod, exclusive, reverse),
            else bail!(InvalidArgument, "{}: does not support {}", node.describe(), x.dtype()))?;
        ctx.set_output(0, y)
    })))
}

fn run<T: Element + Combine>(x: &Tensor, a: usize, prod: bool, exclusive: bool, reverse: bool) -> Result<Tensor> {
    let src = x.data::<T>()?;
    let s = x.shape();
    let (outer, dim, inner) = (s[..a].iter().product::<usize>(), s[a], s[a + 1..].iter().product::<usize>());
    let mut out = vec![T::default(); src.len()];
    let init = if prod { T::ONE } else { T::default() };
    let step = |acc: T, v: T| if prod { acc.mul(v) } else { acc.add(v) };
    // Whole rows of `inner` at a time: acc[i] runs along the axis for each inner position.
    let mut acc = vec![init; inner];
    for o in 0..outer {
        acc.fill(init);
        for j in 0..dim {
            let j = if reverse { dim - 1 - j } else { j };
            let at = (o * dim + j) * inner;
            let (xs, ys) = (&src[at..at + inner], &mut out[at..at + inner]);
            for ((y, &v), c) in ys.iter_mut().zip(xs).zip(acc.iter_mut()) {
                if exclusive {
                    *y = *c;
                    *c = step(*c, v);
                } else {
                    *c = step(*c, v);
                    *y = *c;
                }
            }
        }
    }
    Tensor::from_vec(s.to_vec(), out)
}
