//! Add, Sub, Mul, Div, Pow, Mod and the variadic Max, Min, Sum, Mean, with numpy
//! broadcasting. Integers wrap (two's complement) and divide truncating; f16/bf16 compute
//! in f32 and round once.

use super::{bad_type, binary_map, same_dtype};
use crate::util::convert::{cast_tensor, CastOpts, Num};
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, DataType, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

/// Numeric element arithmetic as ONNX defines it.
pub(crate) trait Arith: Num {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// Integers: truncating; the caller rules out a zero divisor.
    fn div(self, o: Self) -> Self;
    /// NaN-propagating max/min (numpy's maximum/minimum).
    fn max(self, o: Self) -> Self;
    fn min(self, o: Self) -> Self;
    /// Mod with fmod=0: the result takes the divisor's sign.
    fn modulo(self, o: Self) -> Self;
    /// Mod with fmod=1: the result takes the dividend's sign (C fmod).
    fn fmod(self, o: Self) -> Self;
    fn is_zero(self) -> bool;
}

macro_rules! arith_int {
    ($($t:ty, $signed:expr);*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline(always)] fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            #[inline(always)] fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            #[inline(always)] fn div(self, o: Self) -> Self { if o == 0 { 0 } else { self.wrapping_div(o) } }
            #[inline(always)] fn max(self, o: Self) -> Self { Ord::max(self, o) }
            #[inline(always)] fn min(self, o: Self) -> Self { Ord::min(self, o) }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn modulo(self, o: Self) -> Self {
                if o == 0 { return 0; }
                let r = self.wrapping_rem(o);
                if $signed && r != 0 && ((r < 0) != (o < 0)) { r.wrapping_add(o) } else { r }
            }
            #[inline(always)] fn fmod(self, o: Self) -> Self { if o == 0 { 0 } else { self.wrapping_rem(o) } }
            #[inline(always)] fn is_zero(self) -> bool { self == 0 }
        }
    )*};
}
arith_int!(i8, true; i16, true; i32, true; i64, true; u8, false; u16, false; u32, false; u64, false);

macro_rules! arith_float {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { self + o }
            #[inline(always)] fn sub(self, o: Self) -> Self { self - o }
            #[inline(always)] fn mul(self, o: Self) -> Self { self * o }
            #[inline(always)] fn div(self, o: Self) -> Self { self / o }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() { <$t>::NAN } else if self >= o { self } else { o }
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() { <$t>::NAN } else if self <= o { self } else { o }
            }
            #[inline(always)]
            fn modulo(self, o: Self) -> Self {
                let r = self % o;
                if r == 0.0 {
                    (0.0 as $t).copysign(o)
                } else if (r < 0.0) != (o < 0.0) {
                    r + o
                } else {
                    r
                }
            }
            #[inline(always)] fn fmod(self, o: Self) -> Self { self % o }
            #[inline(always)] fn is_zero(self) -> bool { false }
        }
    )*};
}
arith_float!(f32, f64);

macro_rules! arith_half {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() + o.to_f32()) }
            #[inline(always)] fn sub(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() - o.to_f32()) }
            #[inline(always)] fn mul(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() * o.to_f32()) }
            #[inline(always)] fn div(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() / o.to_f32()) }
            #[inline(always)] fn max(self, o: Self) -> Self { <$t>::from_f32(Arith::max(self.to_f32(), o.to_f32())) }
            #[inline(always)] fn min(self, o: Self) -> Self { <$t>::from_f32(Arith::min(self.to_f32(), o.to_f32())) }
            #[inline(always)] fn modulo(self, o: Self) -> Self { <$t>::from_f32(self.to_f32().modulo(o.to_f32())) }
            #[inline(always)] fn fmod(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() % o.to_f32()) }
            #[inline(always)] fn is_zero(self) -> bool { false }
        }
    )*};
}
arith_half!(f16, bf16);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
    Mod,
    Fmod,
}

pub fn register(r: &mut KernelRegistry) {
    for (name, f) in [("Add", add as fn(&NodeInfo) -> Result<Box<dyn Kernel>>), ("Sub", sub), ("Mul", mul), ("Div", div)] {
        r.register(KernelDef::new("", name, 1, f));
    }
    r.register(KernelDef::new("", "Mod", 10, modulo));
    r.register(KernelDef::new("", "Pow", 1, pow));
    for (name, f) in [("Max", max as fn(&NodeInfo) -> Result<Box<dyn Kernel>>), ("Min", min), ("Sum", sum), ("Mean", mean)] {
        r.register(KernelDef::new("", name, 1, f));
    }
}

/// A binary arithmetic kernel. Before opset 7, B broadcasts onto A only when the
/// `broadcast` attribute is set, aligned at `axis` (or at the end).
struct Binary {
    op: Op,
    legacy_axis: Option<Option<i64>>,
}

fn binary(node: &NodeInfo, op: Op) -> Result<Box<dyn Kernel>> {
    let legacy_axis = if node.opset < 7 && node.int_or("broadcast", 0)? != 0 { Some(node.get_int("axis")?) } else { None };
    Ok(Box::new(Binary { op, legacy_axis }))
}

fn add(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    binary(n, Op::Add)
}
fn sub(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    binary(n, Op::Sub)
}
fn mul(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    binary(n, Op::Mul)
}
fn div(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    binary(n, Op::Div)
}
fn modulo(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let fmod = n.int_or("fmod", 0)?;
    ensure!(fmod == 0 || fmod == 1, InvalidGraph, "{}: fmod must be 0 or 1, got {fmod}", n.describe());
    Ok(Box::new(Binary { op: if fmod == 1 { Op::Fmod } else { Op::Mod }, legacy_axis: None }))
}

/// B reshaped for the opset < 7 broadcast rule: its dims line up with A's from `axis`.
pub(super) fn legacy_b(ctx: &OpContext<'_>, a: &Tensor, b: &Tensor, axis: Option<i64>) -> Result<Tensor> {
    let (ra, rb) = (a.rank() as i64, b.rank() as i64);
    let axis = axis.map(|x| if x < 0 { x + ra } else { x }).unwrap_or(ra - rb);
    ensure!(
        axis >= 0 && axis + rb <= ra,
        InvalidArgument,
        "{}: cannot broadcast B {:?} onto A {:?} at axis {axis}",
        ctx.node.describe(),
        b.shape(),
        a.shape()
    );
    let mut shape = b.shape().to_vec();
    shape.extend(std::iter::repeat(1).take((ra - axis - rb) as usize));
    b.reshaped(shape)
}

/// The arithmetic of `op` on two tensors of one numeric type.
pub(crate) fn apply<T: Arith>(ctx: &OpContext<'_>, a: &Tensor, b: &Tensor, op: Op) -> Result<Tensor> {
    let dt = a.dtype();
    if matches!(op, Op::Div | Op::Mod | Op::Fmod) && !T::DTYPE.is_float() {
        ensure!(
            !b.data::<T>()?.iter().any(|v| v.is_zero()),
            InvalidArgument,
            "{}: integer division by zero",
            ctx.node.describe()
        );
    }
    match op {
        Op::Add => binary_map(ctx, a, b, dt, |x: T, y: T| x.add(y)),
        Op::Sub => binary_map(ctx, a, b, dt, |x: T, y: T| x.sub(y)),
        Op::Mul => binary_map(ctx, a, b, dt, |x: T, y: T| x.mul(y)),
        Op::Div => binary_map(ctx, a, b, dt, |x: T, y: T| x.div(y)),
        Op::Max => binary_map(ctx, a, b, dt, |x: T, y: T| x.max(y)),
        Op::Min => binary_map(ctx, a, b, dt, |x: T, y: T| x.min(y)),
        Op::Mod => binary_map(ctx, a, b, dt, |x: T, y: T| x.modulo(y)),
        Op::Fmod => binary_map(ctx, a, b, dt, |x: T, y: T| x.fmod(y)),
    }
}

fn apply_dyn(ctx: &OpContext<'_>, a: &Tensor, b: &Tensor, op: Op) -> Result<Tensor> {
    let dt = same_dtype(ctx, &[a, b])?;
    crate::dispatch_numeric!(dt, T => apply::<T>(ctx, a, b, op), else Err(bad_type(ctx, dt)))
}

impl Kernel for Binary {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let (a, b) = (ctx.input(0)?, ctx.input(1)?);
        let out = match self.legacy_axis {
            Some(axis) => apply_dyn(ctx, a, &legacy_b(ctx, a, b, axis)?, self.op)?,
            None => apply_dyn(ctx, a, b, self.op)?,
        };
        ctx.set_output(0, out)
    }
}

// ---------------------------------------------------------------------------------------
// Variadic Max / Min / Sum / Mean

fn variadic(ctx: &mut OpContext<'_>, op: Op, mean: bool) -> Result<()> {
    let n = ctx.num_inputs();
    ensure!(n >= 1, InvalidArgument, "{}: needs at least one input", ctx.node.describe());
    let inputs: Vec<&Tensor> = (0..n).map(|i| ctx.input(i)).collect::<Result<_>>()?;
    let dt = same_dtype(ctx, &inputs)?;
    // Halves accumulate in f32 so a long sum rounds once.
    let wide = matches!(dt, DataType::Float16 | DataType::Bfloat16) && n > 2;
    let widened: Vec<Tensor>;
    let ins: Vec<&Tensor> = if wide {
        widened = inputs.iter().map(|t| cast_tensor(t, DataType::Float, CastOpts::default(), None)).collect::<Result<_>>()?;
        widened.iter().collect()
    } else {
        inputs
    };
    let mut acc = ins[0].clone();
    for t in &ins[1..] {
        acc = apply_dyn(ctx, &acc, t, op)?;
    }
    if mean && n > 1 {
        let k = n as f64;
        acc = crate::dispatch_float!(acc.dtype(), T => {
            let d = <T as Num>::from_f64(k);
            super::unary_map(ctx, &acc, acc.dtype(), |x: T| x.div(d))?
        }, else bail!(InvalidArgument, "{}: Mean takes float tensors, got {}", ctx.node.describe(), acc.dtype()));
    }
    if wide {
        acc = cast_tensor(&acc, dt, CastOpts::default(), None)?;
    }
    ctx.set_output(0, acc)
}

fn max(_: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| variadic(ctx, Op::Max, false))))
}
fn min(_: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| variadic(ctx, Op::Min, false))))
}
fn sum(_: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| variadic(ctx, Op::Add, false))))
}
fn mean(_: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| variadic(ctx, Op::Add, true))))
}

// ---------------------------------------------------------------------------------------
// Pow: base T (int32/int64/floats), exponent T1 (any numeric); the result has T's type.

fn pow(_: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let (a, b) = (ctx.input(0)?, ctx.input(1)?);
        let out = pow_tensors(ctx, a, b)?;
        ctx.set_output(0, out)
    })))
}

/// Integer power by squaring, wrapping; negative exponents give the truncated reciprocal.
#[inline]
fn ipow(base: i64, e: i64) -> i64 {
    if e < 0 {
        return match base {
            1 => 1,
            -1 => if e % 2 == 0 { 1 } else { -1 },
            _ => 0,
        };
    }
    let (mut r, mut b, mut e) = (1i64, base, e as u64);
    while e > 0 {
        if e & 1 == 1 {
            r = r.wrapping_mul(b);
        }
        b = b.wrapping_mul(b);
        e >>= 1;
    }
    r
}

#[inline(always)]
fn powf32(x: f32, y: f32) -> f32 {
    if y == 2.0 {
        x * x
    } else if y == 0.5 {
        x.sqrt()
    } else {
        x.powf(y)
    }
}

fn pow_tensors(ctx: &OpContext<'_>, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    use DataType::*;
    let (ta, tb) = (a.dtype(), b.dtype());
    let conv = |t: &Tensor, to: DataType| cast_tensor(t, to, CastOpts::default(), None);
    match ta {
        Float => {
            if tb == Double {
                let out = binary_map(ctx, &conv(a, Double)?, b, Double, |x: f64, y: f64| x.powf(y))?;
                conv(&out, Float)
            } else {
                let bf = if tb == Float { b.clone() } else { conv(b, Float)? };
                binary_map(ctx, a, &bf, Float, powf32)
            }
        }
        Double => binary_map(ctx, a, &conv(b, Double)?, Double, |x: f64, y: f64| x.powf(y)),
        Float16 | Bfloat16 => {
            let out = binary_map(ctx, &conv(a, Float)?, &conv(b, Float)?, Float, powf32)?;
            conv(&out, ta)
        }
        Int32 | Int64 if !tb.is_float() => {
            let out = binary_map(ctx, &conv(a, Int64)?, &conv(b, Int64)?, Int64, ipow)?;
            conv(&out, ta)
        }
        Int32 | Int64 => {
            let out = binary_map(ctx, &conv(a, Double)?, &conv(b, Double)?, Double, |x: f64, y: f64| x.powf(y))?;
            conv(&out, ta)
        }
        // Other integer bases are outside the schema; compute them like int64.
        d if d.is_signed_int() || d.is_unsigned_int() => {
            let out = if tb.is_float() {
                binary_map(ctx, &conv(a, Double)?, &conv(b, Double)?, Double, |x: f64, y: f64| x.powf(y))?
            } else {
                binary_map(ctx, &conv(a, Int64)?, &conv(b, Int64)?, Int64, ipow)?
            };
            conv(&out, ta)
        }
        d => Err(bad_type(ctx, d)),
    }
}
