//! Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced to 2-D at `axis`
//! (default 1) and the op runs over each row of `prod(shape[axis..])` elements; from 13 it
//! runs along the single dimension `axis` (default -1). Computed in f32 (f64 for double)
//! with the row maximum subtracted first, so large inputs do not overflow. The losses
//! built on log-softmax (SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss) are in `loss`.

mod facts;
mod loss;

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use crate::util::parallel::{for_chunk_ranges_mut, pool_for};
use crate::util::real::{Acc, Real};
use crate::util::vecmath;
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Softmax", 1, |n| make(n, Kind::Softmax, true)).until(12));
    r.register(KernelDef::new("", "Softmax", 13, |n| make(n, Kind::Softmax, false)));
    r.register(KernelDef::new("", "LogSoftmax", 1, |n| make(n, Kind::LogSoftmax, true)).until(12));
    r.register(KernelDef::new("", "LogSoftmax", 13, |n| make(n, Kind::LogSoftmax, false)));
    r.register(KernelDef::new("", "Hardmax", 1, |n| make(n, Kind::Hardmax, true)).until(12));
    r.register(KernelDef::new("", "Hardmax", 13, |n| make(n, Kind::Hardmax, false)));
    loss::register(r);
    facts::register(r);
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Softmax,
    LogSoftmax,
    Hardmax,
}

struct SoftmaxKernel {
    kind: Kind,
    axis: i64,
    /// Opset < 13: flatten to 2-D at `axis`.
    legacy: bool,
}

fn make(node: &NodeInfo, kind: Kind, legacy: bool) -> Result<Box<dyn Kernel>> {
    let axis = node.int_or("axis", if legacy { 1 } else { -1 })?;
    Ok(Box::new(SoftmaxKernel { kind, axis, legacy }))
}

impl Kernel for SoftmaxKernel {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let x = ctx.input(0)?;
        let shape = x.shape();
        let rank = shape.len() as i64;
        // A scalar behaves as a single one-element row.
        let r = rank.max(1);
        ensure!(
            self.axis >= -r && self.axis < r,
            InvalidArgument,
            "{}: axis {} is out of range for an input of rank {rank}",
            ctx.node.describe(),
            self.axis
        );
        let axis = if self.axis < 0 { self.axis + r } else { self.axis } as usize;
        let axis = axis.min(shape.len());
        let (n, inner) = if self.legacy || shape.is_empty() {
            (shape[axis..].iter().product::<usize>(), 1)
        } else {
            (shape[axis], shape[axis + 1..].iter().product::<usize>())
        };
        let p = pool_for(ctx, x.len().saturating_mul(8));
        let kind = self.kind;
        let out = crate::dispatch_float!(x.dtype(), T => run::<T>(p, kind, x, n, inner)?, else bail!(
            NotImplemented,
            "{}: not implemented for element type {}",
            ctx.node.describe(),
            x.dtype()
        ));
        ctx.set_output(0, out)
    }
}

/// `kind` along the middle dim of `x` viewed as [outer, n, inner].
pub(crate) fn run<T: Real>(p: Option<&onnxrun_linalg::ThreadPool>, kind: Kind, x: &Tensor, n: usize, inner: usize) -> Result<Tensor> {
    let mut out = Tensor::zeros(x.dtype(), x.shape().to_vec())?;
    let xs = x.data::<T>()?;
    let block = n * inner;
    if block == 0 {
        return Ok(out);
    }
    for_chunk_ranges_mut(p, out.data_mut::<T>()?, block, |r, ys| {
        let mut scratch = vec![T::A::ZERO; if inner == 1 { n } else { 2 * inner + block }];
        for (o, y) in r.zip(ys.chunks_mut(block)) {
            let x = &xs[o * block..][..block];
            if inner == 1 {
                row(kind, x, y, &mut scratch);
            } else {
                strided(kind, x, y, n, inner, &mut scratch);
            }
        }
    })?;
    Ok(out)
}

/// One contiguous row of n elements; `e` is n scratch accumulators.
fn row<T: Real>(kind: Kind, x: &[T], y: &mut [T], e: &mut [T::A]) {
    if kind != Kind::Hardmax {
        if let (Some(xf), Some(yf)) = (T::f32s(x), T::f32s_mut(y)) {
            return row_f32(kind, xf, yf);
        }
    }
    if kind == Kind::Hardmax {
        let mut best = 0;
        let mut bv = x[0].to_acc();
        for (i, v) in x.iter().enumerate().skip(1) {
            let v = v.to_acc();
            if v > bv {
                bv = v;
                best = i;
            }
        }
        y.iter_mut().for_each(|v| *v = T::from_acc(T::A::ZERO));
        y[best] = T::from_acc(T::A::ONE);
        return;
    }
    let mut max = T::A::NEG_INFINITY;
    for (e, v) in e.iter_mut().zip(x) {
        *e = v.to_acc();
        max = max.max(*e);
    }
    let mut sum = T::A::ZERO;
    for e in e.iter_mut() {
        *e = (*e - max).exp();
        sum += *e;
    }
    match kind {
        Kind::Softmax => {
            let inv = T::A::ONE / sum;
            for (y, e) in y.iter_mut().zip(e.iter()) {
                *y = T::from_acc(*e * inv);
            }
        }
        _ => {
            let shift = max + sum.ln();
            for (y, v) in y.iter_mut().zip(x) {
                *y = T::from_acc(v.to_acc() - shift);
            }
        }
    }
}

/// The f32 row on the vectorized kernels.
fn row_f32(kind: Kind, x: &[f32], y: &mut [f32]) {
    let max = vecmath::max(x);
    if kind == Kind::Softmax {
        let sum = vecmath::exp_store(x, max, y);
        vecmath::scale(y, 1.0 / sum);
    } else {
        let sum = vecmath::sum_exp(x, max);
        vecmath::shift(y, x, max + sum.ln());
    }
}

/// An n × inner block reduced along n (axis not innermost); scratch holds the running
/// max and sum per inner position and the exponentials.
fn strided<T: Real>(kind: Kind, x: &[T], y: &mut [T], n: usize, inner: usize, scratch: &mut [T::A]) {
    let (max, rest) = scratch.split_at_mut(inner);
    let (sum, e) = rest.split_at_mut(inner);
    if kind == Kind::Hardmax {
        let mut best = vec![0usize; inner];
        for (j, m) in max.iter_mut().enumerate() {
            *m = x[j].to_acc();
        }
        for i in 1..n {
            for j in 0..inner {
                let v = x[i * inner + j].to_acc();
                if v > max[j] {
                    max[j] = v;
                    best[j] = i;
                }
            }
        }
        y.iter_mut().for_each(|v| *v = T::from_acc(T::A::ZERO));
        for (j, &b) in best.iter().enumerate() {
            y[b * inner + j] = T::from_acc(T::A::ONE);
        }
        return;
    }
    max.fill(T::A::NEG_INFINITY);
    for (i, v) in x.iter().enumerate() {
        let v = v.to_acc();
        e[i] = v;
        let m = &mut max[i % inner];
        *m = m.max(v);
    }
    sum.fill(T::A::ZERO);
    for (rowe, _) in e.chunks_mut(inner).zip(0..n) {
        for ((v, m), s) in rowe.iter_mut().zip(max.iter()).zip(sum.iter_mut()) {
            *v = (*v - *m).exp();
            *s += *v;
        }
    }
    match kind {
        Kind::Softmax => {
            sum.iter_mut().for_each(|s| *s = T::A::ONE / *s);
            for (yr, er) in y.chunks_mut(inner).zip(e.chunks(inner)) {
                for ((y, v), s) in yr.iter_mut().zip(er).zip(sum.iter()) {
                    *y = T::from_acc(*v * *s);
                }
            }
        }
        _ => {
            for (m, s) in max.iter_mut().zip(sum.iter()) {
                *m += s.ln();
            }
            for (yr, xr) in y.chunks_mut(inner).zip(x.chunks(inner)) {
                for ((y, v), m) in yr.iter_mut().zip(xr).zip(max.iter()) {
                    *y = T::from_acc(v.to_acc() - *m);
                }
            }
        }
    }
}
