//! GlobalAveragePool, GlobalMaxPool, GlobalLpPool (opsets 1/2, 22): one value per (n, c)
//! plane, output shape (N, C, 1, ..., 1). Each plane is folded over many independent
//! lanes so the loop vectorizes, in parallel over planes.

use super::average::AvgR;
use super::driver::{MaxR, Reducer};
use super::elem::{MaxVal, PoolElem};
use super::lp::{LpR, P};
use crate::util::broadcast::with_simd;
use crate::util::parallel::{for_chunk_ranges_mut, pool_for};
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "GlobalAveragePool", 1, |_| Ok(Box::new(Global::Avg))));
    r.register(KernelDef::new("", "GlobalMaxPool", 1, |_| Ok(Box::new(Global::Max))));
    r.register(KernelDef::new("", "GlobalLpPool", 1, make_lp));
}

enum Global {
    Avg,
    Max,
    Lp(P),
}

fn make_lp(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(Global::Lp(P::parse(node)?)))
}

impl Kernel for Global {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        ensure!(x.rank() >= 2, InvalidArgument, "{node}: input must have rank >= 2 (N, C, spatial...), got shape {:?}", x.shape());
        let mut shape = x.shape().to_vec();
        shape[2..].iter_mut().for_each(|d| *d = 1);
        let pool = pool_for(ctx, x.len());
        let dt = x.dtype();
        let y = match self {
            Global::Max => crate::dispatch!(dt, T => global_max::<T>(x, shape, pool)?, [f32, f64, f16, bf16, i8, u8],
                else bail!(NotImplemented, "{node}: not implemented for element type {dt}")),
            Global::Avg => crate::dispatch_float!(dt, T => global::<T, _>(&AvgR, x, shape, pool)?,
                else bail!(NotImplemented, "{node}: not implemented for element type {dt}")),
            Global::Lp(p) => crate::dispatch_float!(dt, T => global::<T, _>(&LpR(*p), x, shape, pool)?,
                else bail!(NotImplemented, "{node}: not implemented for element type {dt}")),
        };
        ctx.set_output(0, y)
    }
}

fn global_max<T: PoolElem>(x: &Tensor, shape: Vec<usize>, pool: Option<&ThreadPool>) -> Result<Tensor>
where
    T::A: MaxVal,
{
    global::<T, _>(&MaxR, x, shape, pool)
}

fn global<T: PoolElem, R: Reducer<T>>(red: &R, x: &Tensor, shape: Vec<usize>, pool: Option<&ThreadPool>) -> Result<Tensor> {
    let xs = x.data::<T>()?;
    let planes = shape[0] * shape[1];
    let n: usize = x.shape()[2..].iter().product();
    let mut y = vec![T::default(); planes];
    for_chunk_ranges_mut(pool, &mut y, 1, |range, out| {
        with_simd(
            #[inline(always)]
            || {
                let (div, one) = (red.divisor(n as f64), red.divisor(1.0));
                for (p, o) in range.zip(out.iter_mut()) {
                    *o = red.finish(fold(red, &xs[p * n..(p + 1) * n]), div, one);
                }
            },
        )
    })?;
    Tensor::from_vec(shape, y)
}

/// Folds `x` over independent lanes (several vector registers for long planes, hiding the
/// combine latency; one for short ones, where folding the lanes at the end would dominate).
#[inline(always)]
fn fold<T: PoolElem, R: Reducer<T>>(red: &R, x: &[T]) -> T::A {
    if x.len() < 256 {
        fold_lanes::<T, R, 8>(red, x)
    } else {
        fold_lanes::<T, R, 32>(red, x)
    }
}

#[inline(always)]
fn fold_lanes<T: PoolElem, R: Reducer<T>, const L: usize>(red: &R, x: &[T]) -> T::A {
    let mut acc = [red.init(); L];
    let mut chunks = x.chunks_exact(L);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = red.comb(*a, red.map(v));
        }
    }
    for (a, &v) in acc.iter_mut().zip(chunks.remainder()) {
        *a = red.comb(*a, red.map(v));
    }
    acc.iter().fold(red.init(), |a, &b| red.comb(a, b))
}
