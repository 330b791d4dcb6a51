//! Elementwise kernels: arithmetic with broadcasting (`arith`), math functions (`unary`),
//! comparisons, logic and bit ops (`logic`), and selection (`select`: Where, Clip).
//! The helpers here run one closure over tensors and are shared with `activation`.

mod facts;
mod arith;
mod fastmath;
mod logic;
mod select;
mod unary;

pub(crate) use arith::Arith;
pub(crate) use fastmath::FastMath;

use crate::util::broadcast::{map2_vec, with_simd, Broadcast};
use crate::util::parallel::{for_chunks_mut, pool};
use onnxrun_core::{DataType, Element, KernelRegistry, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    arith::register(r);
    unary::register(r);
    logic::register(r);
    select::register(r);
    facts::register(r);
}

/// Elements per task when a unary map runs on the pool.
const UNARY_CHUNK: usize = 1 << 14;

/// `f` over every element of `x` into a new `out_dtype` tensor of the same shape (`O` is
/// its storage type), vectorized where `f` allows and on the pool when big. The output is
/// written once, without a zero-fill pass first.
pub(crate) fn unary_map<A: Element, O: Element>(
    ctx: &OpContext<'_>,
    x: &Tensor,
    out_dtype: DataType,
    f: impl Fn(A) -> O + Sync,
) -> Result<Tensor> {
    let src = x.data::<A>()?;
    let n = src.len();
    crate::util::elems::check_size(out_dtype, x.shape())?;
    let mut v: Vec<O> = Vec::with_capacity(n);
    let p = if n >= 4 * UNARY_CHUNK { pool(ctx) } else { None };
    let f = &f;
    for_chunks_mut(p, &mut v.spare_capacity_mut()[..n], UNARY_CHUNK, |i, d| {
        let s = &src[i * UNARY_CHUNK..i * UNARY_CHUNK + d.len()];
        with_simd(
            #[inline(always)]
            || {
                for (o, &a) in d.iter_mut().zip(s) {
                    o.write(f(a));
                }
            },
        );
    })?;
    // SAFETY: the chunks cover all n elements and each was written (for_chunks_mut
    // returned Ok, so no task was skipped).
    unsafe { v.set_len(n) };
    Tensor::from_vec_as(out_dtype, x.shape().to_vec(), v)
}

/// `f(a, b)` over the numpy broadcast of `a` and `b` into a new `out_dtype` tensor.
pub(crate) fn binary_map<A: Element, B: Element, O: Element>(
    ctx: &OpContext<'_>,
    a: &Tensor,
    b: &Tensor,
    out_dtype: DataType,
    f: impl Fn(A, B) -> O + Sync,
) -> Result<Tensor> {
    let plan = Broadcast::new(&[a.shape(), b.shape()]).map_err(|e| e.context(ctx.node.describe()))?;
    crate::util::elems::check_size(out_dtype, plan.shape())?;
    let (x, y) = (a.data::<A>()?, b.data::<B>()?);
    let v = map2_vec(&plan, x, y, pool(ctx), f);
    Tensor::from_vec_as(out_dtype, plan.shape().to_vec(), v)
}

/// Checks that all inputs share input 0's element type (ops with one type parameter).
pub(crate) fn same_dtype(ctx: &OpContext<'_>, inputs: &[&Tensor]) -> Result<DataType> {
    let dt = inputs[0].dtype();
    for (i, t) in inputs.iter().enumerate().skip(1) {
        onnxrun_core::ensure!(
            t.dtype() == dt,
            InvalidArgument,
            "{}: input {i} is {} but input 0 is {dt}",
            ctx.node.describe(),
            t.dtype()
        );
    }
    Ok(dt)
}

/// The error for an element type an op does not take.
pub(crate) fn bad_type(ctx: &OpContext<'_>, dt: DataType) -> onnxrun_core::Error {
    onnxrun_core::err!(InvalidArgument, "{}: element type {dt} is not supported", ctx.node.describe())
}

/// `float_map!(ctx, x, [consts...], |v| body)`: `body` over a float tensor (f32, f64; f16
/// and bf16 through f32), monomorphized per type so the loop inlines. The listed f64
/// constants are rebound as the compute type in each arm.
macro_rules! float_map {
    ($ctx:expr, $x:expr, [$($c:ident),*], |$v:ident| $body:expr) => {{
        use onnxrun_core::half::{bf16, f16};
        use onnxrun_core::DataType as __D;
        let (__ctx, __x) = ($ctx, $x);
        match __x.dtype() {
            __D::Float => {
                $(let $c = $c as f32;)*
                $crate::ops::elementwise::unary_map(__ctx, __x, __D::Float, move |$v: f32| -> f32 { $body })
            }
            __D::Double => {
                $(let $c = $c as f64;)*
                $crate::ops::elementwise::unary_map(__ctx, __x, __D::Double, move |$v: f64| -> f64 { $body })
            }
            __D::Float16 => {
                $(let $c = $c as f32;)*
                $crate::ops::elementwise::unary_map(__ctx, __x, __D::Float16, move |h: f16| {
                    let $v = h.to_f32();
                    f16::from_f32($body)
                })
            }
            __D::Bfloat16 => {
                $(let $c = $c as f32;)*
                $crate::ops::elementwise::unary_map(__ctx, __x, __D::Bfloat16, move |h: bf16| {
                    let $v = h.to_f32();
                    bf16::from_f32($body)
                })
            }
            d => Err($crate::ops::elementwise::bad_type(__ctx, d)),
        }
    }};
}
pub(crate) use float_map;
