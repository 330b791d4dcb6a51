//! Where (any element type, three-way broadcast) and Clip (bounds from attributes before
//! opset 11, from optional scalar inputs after).

use super::{bad_type, unary_map, Arith};
use crate::util::broadcast::{map3, Broadcast};
use crate::util::convert::Num;
use crate::util::elems::Elem;
use crate::util::parallel::pool;
use onnxrun_core::{ensure, DataType, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Where", 9, |_| Ok(Box::new(FnKernel(where_)))));
    r.register(KernelDef::new("", "Clip", 1, clip_attrs).until(10));
    r.register(KernelDef::new("", "Clip", 11, |_| Ok(Box::new(FnKernel(clip_inputs)))));
}

/// Where over fixed-size elements moved as `T` words (the value type does not matter).
fn where_words<T: Elem + Copy>(plan: &Broadcast, dt: DataType, c: &[bool], x: &Tensor, y: &Tensor, ctx: &OpContext<'_>) -> Result<Tensor> {
    let (xv, yv) = (T::view(x)?, T::view(y)?);
    let mut out = vec![T::default(); plan.len()];
    map3(plan, c, &xv, &yv, &mut out, pool(ctx), |c, a, b| if c { a } else { b });
    T::build(dt, plan.shape().to_vec(), out)
}

fn where_(ctx: &mut OpContext<'_>) -> Result<()> {
    let (c, x, y) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
    ensure!(c.dtype() == DataType::Bool, InvalidArgument, "{}: condition must be bool, got {}", ctx.node.describe(), c.dtype());
    let dt = super::same_dtype(ctx, &[x, y])?;
    let plan = Broadcast::new(&[c.shape(), x.shape(), y.shape()]).map_err(|e| e.context(ctx.node.describe()))?;
    crate::util::elems::check_size(dt, plan.shape())?;
    let cond = c.data::<bool>()?;
    let out = match dt.size() {
        0 => {
            let (xs, ys) = (x.strings()?, y.strings()?);
            let (ic, ix, iy) = (plan.index_map(0), plan.index_map(1), plan.index_map(2));
            let v = (0..plan.len()).map(|i| if cond[ic[i]] { xs[ix[i]].clone() } else { ys[iy[i]].clone() }).collect();
            Tensor::from_strings(plan.shape().to_vec(), v)?
        }
        1 => where_words::<u8>(&plan, dt, cond, x, y, ctx)?,
        2 => where_words::<u16>(&plan, dt, cond, x, y, ctx)?,
        4 => where_words::<u32>(&plan, dt, cond, x, y, ctx)?,
        8 => where_words::<u64>(&plan, dt, cond, x, y, ctx)?,
        _ => where_words::<u128>(&plan, dt, cond, x, y, ctx)?,
    };
    ctx.set_output(0, out)
}

/// Clamps with NaN passing through; when lo > hi every value becomes hi (ONNX's
/// Min(max, Max(x, min))).
#[inline(always)]
fn clamp<T: PartialOrd + Copy>(v: T, lo: T, hi: T) -> T {
    let v = if v < lo { lo } else { v };
    if v > hi {
        hi
    } else {
        v
    }
}

fn clip_typed<T: Arith + PartialOrd>(ctx: &OpContext<'_>, x: &Tensor, lo: Option<T>, hi: Option<T>) -> Result<Tensor> {
    let dt = x.dtype();
    match (lo, hi) {
        (None, None) => Ok(x.clone()),
        (Some(lo), None) => unary_map(ctx, x, dt, |v: T| if v < lo { lo } else { v }),
        (None, Some(hi)) => unary_map(ctx, x, dt, |v: T| if v > hi { hi } else { v }),
        (Some(lo), Some(hi)) => unary_map(ctx, x, dt, |v: T| clamp(v, lo, hi)),
    }
}

fn clip_attrs(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let lo = n.get_float("min")?;
    let hi = n.get_float("max")?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let dt = x.dtype();
        let y = crate::dispatch_float!(dt, T => clip_typed::<T>(ctx, x, lo.map(T::from_f32), hi.map(T::from_f32)),
            else Err(bad_type(ctx, dt)))?;
        ctx.set_output(0, y)
    })))
}

/// Bound input `i`: absent, or a one-element tensor of x's type.
fn bound<T: Arith + PartialOrd>(ctx: &OpContext<'_>, i: usize) -> Result<Option<T>> {
    let Some(t) = ctx.opt_input(i)? else { return Ok(None) };
    ensure!(
        t.dtype() == T::DTYPE && t.len() == 1,
        InvalidArgument,
        "{}: {} must be a one-element {} tensor, got {} {:?}",
        ctx.node.describe(),
        if i == 1 { "min" } else { "max" },
        T::DTYPE,
        t.dtype(),
        t.shape()
    );
    Ok(Some(t.data::<T>()?[0]))
}

fn clip_inputs(ctx: &mut OpContext<'_>) -> Result<()> {
    let x = ctx.input(0)?;
    let dt = x.dtype();
    let y = crate::dispatch_numeric!(dt, T => clip_typed::<T>(ctx, x, bound::<T>(ctx, 1)?, bound::<T>(ctx, 2)?),
        else Err(bad_type(ctx, dt)))?;
    ctx.set_output(0, y)
}
