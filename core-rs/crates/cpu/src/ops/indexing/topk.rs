//! TopK: the k largest (or smallest) along an axis, sorted, ties broken by lower index
//! (as the spec asks). NaN counts as larger than every number.

use super::TotalOrd;
use crate::util::elems::{norm_axis, AtNode};
use crate::util::parallel::{for_ranges, pool_for};
use crate::{dispatch_numeric};
use onnxrun_core::{bail, ensure, Element, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use std::cmp::Ordering;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "TopK", 1, topk));
}

fn topk(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axis = node.int_or("axis", -1)?;
    let largest = node.int_or("largest", 1)? != 0;
    // Opset 1 takes k as an attribute.
    let attr_k = if node.opset < 10 { Some(node.req_int("k")?) } else { None };
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let x = ctx.input(0)?;
        let k = match attr_k {
            Some(k) => k,
            None => {
                let kt = ctx.input(1)?.to_i64_vec().at(node)?;
                ensure!(kt.len() == 1, InvalidArgument, "{}: K must hold one value", node.describe());
                kt[0]
            }
        };
        ensure!(x.rank() >= 1, InvalidArgument, "{}: input must have rank >= 1", node.describe());
        let a = norm_axis(axis, x.rank(), "TopK").at(node)?;
        let dim = x.shape()[a];
        ensure!(k >= 0 && k as usize <= dim, InvalidArgument, "{}: k = {k} is outside [0, {dim}] for axis {a}", node.describe());
        let k = k as usize;
        let pool = pool_for(ctx, x.len().saturating_mul(8));
        let (v, i) = dispatch_numeric!(x.dtype(), T => run::<T>(x, a, k, largest, pool),
            else bail!(InvalidArgument, "{}: TopK does not support {}", node.describe(), x.dtype()))?;
        ctx.set_output(0, v)?;
        if ctx.num_outputs() > 1 {
            ctx.set_output(1, i)?;
        }
        Ok(())
    })))
}

struct Shared<T>(*mut T);
// SAFETY: lanes write disjoint output positions.
unsafe impl<T> Sync for Shared<T> {}
unsafe impl<T> Send for Shared<T> {}

fn run<T: Element + TotalOrd>(x: &Tensor, a: usize, k: usize, largest: bool, pool: Option<&onnxrun_linalg::ThreadPool>) -> Result<(Tensor, Tensor)> {
    let src = x.data::<T>()?;
    let s = x.shape();
    let (outer, dim, inner) = (s[..a].iter().product::<usize>(), s[a], s[a + 1..].iter().product::<usize>());
    let mut oshape = s.to_vec();
    oshape[a] = k;
    let n = outer * k * inner;
    crate::util::elems::check_size(x.dtype(), &oshape)?;
    let mut vals = vec![T::default(); n];
    let mut idxs = vec![0i64; n];
    let cmp = |p: &(T, usize), q: &(T, usize)| -> Ordering {
        let c = if largest { q.0.total(&p.0) } else { p.0.total(&q.0) };
        c.then(p.1.cmp(&q.1))
    };
    let lanes = outer * inner;
    if k > 0 {
        let (vp, ip) = (Shared(vals.as_mut_ptr()), Shared(idxs.as_mut_ptr()));
        let (vp, ip) = (&vp, &ip);
        for_ranges(pool, lanes, |range| {
            let mut buf: Vec<(T, usize)> = Vec::with_capacity(dim);
            for lane in range {
                let (o, i) = (lane / inner, lane % inner);
                buf.clear();
                buf.extend((0..dim).map(|j| (src[(o * dim + j) * inner + i], j)));
                if k < dim {
                    buf.select_nth_unstable_by(k - 1, cmp);
                }
                buf[..k].sort_unstable_by(cmp);
                for (r, &(v, j)) in buf[..k].iter().enumerate() {
                    let at = (o * k + r) * inner + i;
                    // SAFETY: `at` is in bounds (< outer*k*inner) and belongs to this lane only.
                    unsafe {
                        *vp.0.add(at) = v;
                        *ip.0.add(at) = j as i64;
                    }
                }
            }
        })?;
    }
    Ok((Tensor::from_vec(oshape.clone(), vals)?, Tensor::from_vec(oshape, idxs)?))
}
