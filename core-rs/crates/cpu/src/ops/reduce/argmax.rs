//! ArgMax / ArgMin (opset 1-13): the int64 index of the first (or, with
//! `select_last_index`, the last) extreme value along `axis`.

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use super::elem::RElem;
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "ArgMax", 1, |n| make(n, true)));
    r.register(KernelDef::new("", "ArgMin", 1, |n| make(n, false)));
}

struct Arg {
    max: bool,
    axis: i64,
    keepdims: bool,
    last: bool,
}

fn make(node: &NodeInfo, max: bool) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(Arg {
        max,
        axis: node.int_or("axis", 0)?,
        keepdims: node.int_or("keepdims", 1)? != 0,
        last: node.int_or("select_last_index", 0)? != 0,
    }))
}

impl Kernel for Arg {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        let shape = x.shape();
        let r = shape.len() as i64;
        ensure!(r >= 1, InvalidArgument, "{node}: input must have rank >= 1");
        ensure!(self.axis >= -r && self.axis < r, InvalidArgument, "{node}: axis {} is out of range for rank {r}", self.axis);
        let axis = if self.axis < 0 { self.axis + r } else { self.axis } as usize;
        let n = shape[axis];
        let (outer, inner) = (shape[..axis].iter().product::<usize>(), shape[axis + 1..].iter().product::<usize>());
        let mut out_shape = shape.to_vec();
        if self.keepdims {
            out_shape[axis] = 1;
        } else {
            out_shape.remove(axis);
        }
        ensure!(n > 0 || outer * inner == 0, InvalidArgument, "{node}: cannot take the arg-extreme of an empty axis");
        let dt = x.dtype();
        let idx = crate::dispatch_all!(dt, T => arg::<T>(x.data::<T>()?, outer, n, inner, self.max, self.last), else bail!(
            NotImplemented,
            "{node}: not implemented for element type {dt}"
        ));
        ctx.set_output(0, Tensor::from_vec(out_shape, idx)?)
    }
}

fn arg<T: RElem>(x: &[T], outer: usize, n: usize, inner: usize, max: bool, last: bool) -> Vec<i64> {
    let mut out = vec![0i64; outer * inner];
    if n == 0 {
        return out;
    }
    // Whether candidate v replaces the current best b.
    let better = |v: T::S, b: T::S| -> bool {
        match (max, last) {
            (true, false) => v > b,
            (true, true) => v >= b,
            (false, false) => v < b,
            (false, true) => v <= b,
        }
    };
    let mut best = vec![T::LOWEST.to_s(); inner];
    for o in 0..outer {
        let block = &x[o * n * inner..][..n * inner];
        let res = &mut out[o * inner..][..inner];
        for (b, v) in best.iter_mut().zip(&block[..inner]) {
            *b = v.to_s();
        }
        res.fill(0);
        for i in 1..n {
            for (j, v) in block[i * inner..][..inner].iter().enumerate() {
                let v = v.to_s();
                if better(v, best[j]) {
                    best[j] = v;
                    res[j] = i as i64;
                }
            }
        }
    }
    out
}
