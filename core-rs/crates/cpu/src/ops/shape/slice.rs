//! Slice (attribute form before opset 10, input form after), with negative steps and
//! numpy-style clamping of out-of-range starts and ends.

use crate::util::elems::{alloc, norm_axis, strides, AtNode, Elem};
use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::with_elem;
use onnxrun_core::{bail, ensure, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Slice", 1, slice));
}

struct Attrs {
    starts: Vec<i64>,
    ends: Vec<i64>,
    axes: Option<Vec<i64>>,
}

fn slice(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let attrs = if node.opset < 10 {
        let missing = |n: &str| onnxrun_core::err!(InvalidGraph, "{}: attribute '{n}' is missing", node.describe());
        Some(Attrs {
            starts: node.get_ints("starts")?.ok_or_else(|| missing("starts"))?,
            ends: node.get_ints("ends")?.ok_or_else(|| missing("ends"))?,
            axes: node.get_ints("axes")?,
        })
    } else {
        None
    };
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let x = ctx.input(0)?;
        let (starts, ends, axes, steps) = match &attrs {
            Some(a) => (a.starts.clone(), a.ends.clone(), a.axes.clone(), None),
            None => {
                let get = |i: usize| -> Result<Option<Vec<i64>>> {
                    match ctx.opt_input(i)? {
                        Some(t) => Ok(Some(t.to_i64_vec().at(node)?)),
                        None => Ok(None),
                    }
                };
                let Some(s) = get(1)? else { bail!(InvalidArgument, "{}: input 'starts' is missing", node.describe()) };
                let Some(e) = get(2)? else { bail!(InvalidArgument, "{}: input 'ends' is missing", node.describe()) };
                (s, e, get(3)?, get(4)?)
            }
        };
        let spec = SliceSpec::new(x.shape(), &starts, &ends, axes.as_deref(), steps.as_deref()).at(node)?;
        let pool = pool_for(ctx, spec.out_shape.iter().product());
        let y = spec.apply(x, pool).at(node)?;
        ctx.set_output(0, y)
    })))
}

/// A resolved slice: per dim, the first source index, the step and the output length.
pub struct SliceSpec {
    pub start: Vec<i64>,
    pub step: Vec<i64>,
    pub out_shape: Vec<usize>,
}

impl SliceSpec {
    pub fn new(shape: &[usize], starts: &[i64], ends: &[i64], axes: Option<&[i64]>, steps: Option<&[i64]>) -> Result<SliceSpec> {
        let rank = shape.len();
        let n = starts.len();
        ensure!(ends.len() == n, InvalidArgument, "starts {starts:?} and ends {ends:?} differ in length");
        let axes: Vec<usize> = match axes {
            Some(a) => {
                ensure!(a.len() == n, InvalidArgument, "axes {a:?} and starts {starts:?} differ in length");
                a.iter().map(|&v| norm_axis(v, rank, "Slice")).collect::<Result<_>>()?
            }
            None => {
                ensure!(n <= rank, InvalidArgument, "{n} starts for an input of rank {rank}");
                (0..n).collect()
            }
        };
        if let Some(s) = steps {
            ensure!(s.len() == n, InvalidArgument, "steps {s:?} and starts {starts:?} differ in length");
        }
        let mut spec = SliceSpec { start: vec![0; rank], step: vec![1; rank], out_shape: shape.to_vec() };
        let mut seen = vec![false; rank];
        for (i, &a) in axes.iter().enumerate() {
            ensure!(!seen[a], InvalidArgument, "axis {a} is sliced twice");
            seen[a] = true;
            let step = steps.map_or(1, |s| s[i]);
            ensure!(step != 0, InvalidArgument, "step on axis {a} is 0");
            let dim = shape[a] as i64;
            let fix = |v: i64| if v < 0 { v.saturating_add(dim) } else { v };
            let (mut s, mut e) = (fix(starts[i]), fix(ends[i]));
            // i128: steps may be as large as i64 allows.
            let st = step as i128;
            let len = if step > 0 {
                s = s.clamp(0, dim);
                e = e.clamp(0, dim);
                if e > s { ((e - s) as i128 + st - 1) / st } else { 0 }
            } else {
                s = s.clamp(0, (dim - 1).max(0));
                e = e.clamp(-1, dim - 1);
                if s > e && dim > 0 { ((s - e) as i128 - st - 1) / -st } else { 0 }
            };
            spec.start[a] = s;
            spec.step[a] = step;
            spec.out_shape[a] = len as usize;
        }
        Ok(spec)
    }

    /// The slice of `x` this spec describes.
    pub fn apply(&self, x: &Tensor, pool: Option<&onnxrun_linalg::ThreadPool>) -> Result<Tensor> {
        let shape = x.shape();
        let rank = shape.len();
        let whole = (0..rank).all(|d| self.start[d] == 0 && self.step[d] == 1 && self.out_shape[d] == shape[d]);
        if whole {
            return Ok(x.clone());
        }
        let out_shape = self.out_shape.clone();
        let ist = strides(shape);
        let last = out_shape[rank - 1];
        let (s_last, st_last) = (self.start[rank - 1], self.step[rank - 1]);
        with_elem!(x.dtype(), T => {
            let src = T::view(x)?;
            let mut out = alloc::<T>(x.dtype(), &out_shape)?;
            if last > 0 && !out.is_empty() {
                let rows_per = (4096 / last).max(1);
                for_chunks_mut(pool, &mut out, rows_per * last, |c, chunk| {
                    for (k, dst) in chunk.chunks_mut(last).enumerate() {
                        let mut row = c * rows_per + k;
                        let mut off = s_last;
                        for d in (0..rank - 1).rev() {
                            let i = (row % out_shape[d]) as i64;
                            row /= out_shape[d];
                            off += (self.start[d] + i * self.step[d]) * ist[d] as i64;
                        }
                        if st_last == 1 {
                            let o = off as usize;
                            dst.clone_from_slice(&src[o..o + last]);
                        } else {
                            for (j, v) in dst.iter_mut().enumerate() {
                                *v = src[(off + j as i64 * st_last) as usize].clone();
                            }
                        }
                    }
                })?;
            }
            T::build(x.dtype(), out_shape, out)
        })
    }
}
