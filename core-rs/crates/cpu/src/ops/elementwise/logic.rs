//! Comparisons (Equal, Less, Greater, LessOrEqual, GreaterOrEqual), boolean logic (And,
//! Or, Xor, Not), bit ops (BitShift, BitwiseAnd/Or/Xor/Not) and IsNaN / IsInf.

use super::arith::legacy_b;
use super::{bad_type, binary_map, same_dtype, unary_map};
use crate::util::broadcast::Broadcast;
use crate::util::convert::F8;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, DataType, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Equal", 1, |n| cmp_kernel(n, Cmp::Eq)));
    r.register(KernelDef::new("", "Less", 1, |n| cmp_kernel(n, Cmp::Lt)));
    r.register(KernelDef::new("", "Greater", 1, |n| cmp_kernel(n, Cmp::Gt)));
    r.register(KernelDef::new("", "LessOrEqual", 12, |n| cmp_kernel(n, Cmp::Le)));
    r.register(KernelDef::new("", "GreaterOrEqual", 12, |n| cmp_kernel(n, Cmp::Ge)));
    r.register(KernelDef::new("", "And", 1, |n| logic_kernel(n, Logic::And)));
    r.register(KernelDef::new("", "Or", 1, |n| logic_kernel(n, Logic::Or)));
    r.register(KernelDef::new("", "Xor", 1, |n| logic_kernel(n, Logic::Xor)));
    r.register(KernelDef::new("", "Not", 1, |_| {
        Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
            let x = ctx.input(0)?;
            ensure!(x.dtype() == DataType::Bool, InvalidArgument, "{}: input must be bool, got {}", ctx.node.describe(), x.dtype());
            let y = unary_map(ctx, x, DataType::Bool, |v: bool| !v)?;
            ctx.set_output(0, y)
        })))
    }));
    r.register(KernelDef::new("", "BitwiseAnd", 18, |_| bitwise_kernel(Bit::And)));
    r.register(KernelDef::new("", "BitwiseOr", 18, |_| bitwise_kernel(Bit::Or)));
    r.register(KernelDef::new("", "BitwiseXor", 18, |_| bitwise_kernel(Bit::Xor)));
    r.register(KernelDef::new("", "BitwiseNot", 18, |_| {
        Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
            let x = ctx.input(0)?;
            let dt = x.dtype();
            let y = crate::dispatch_int!(dt, T => unary_map(ctx, x, dt, |v: T| !v), else Err(bad_type(ctx, dt)))?;
            ctx.set_output(0, y)
        })))
    }));
    r.register(KernelDef::new("", "BitShift", 11, bitshift));
    r.register(KernelDef::new("", "IsNaN", 9, |_| {
        Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
            let x = ctx.input(0)?;
            let y = classify(ctx, x, |v| v.is_nan())?;
            ctx.set_output(0, y)
        })))
    }));
    r.register(KernelDef::new("", "IsInf", 10, isinf));
}

/// `f` over a float tensor's values (float8 decoded) into a bool tensor.
fn classify(ctx: &OpContext<'_>, x: &Tensor, f: impl Fn(f64) -> bool + Sync) -> Result<Tensor> {
    let b = DataType::Bool;
    match x.dtype() {
        DataType::Float => unary_map(ctx, x, b, |v: f32| f(v as f64)),
        DataType::Double => unary_map(ctx, x, b, |v: f64| f(v)),
        DataType::Float16 => unary_map(ctx, x, b, |v: f16| f(v.to_f64())),
        DataType::Bfloat16 => unary_map(ctx, x, b, |v: bf16| f(v.to_f64())),
        d => match F8::of(d) {
            Some(fmt) => unary_map(ctx, x, b, |v: u8| f(fmt.decode(v) as f64)),
            None => Err(bad_type(ctx, d)),
        },
    }
}

fn isinf(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let neg = n.int_or("detect_negative", 1)? != 0;
    let pos = n.int_or("detect_positive", 1)? != 0;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let y = classify(ctx, x, |v| v.is_infinite() && if v > 0.0 { pos } else { neg })?;
        ctx.set_output(0, y)
    })))
}

/// The two inputs, with B aligned the opset < 7 way when the node asks for it.
fn operands<'a>(ctx: &OpContext<'a>, legacy: Option<Option<i64>>) -> Result<(&'a Tensor, Tensor)> {
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    let b = match legacy {
        Some(axis) => legacy_b(ctx, a, b, axis)?,
        None => b.clone(),
    };
    Ok((a, b))
}

fn legacy(n: &NodeInfo) -> Result<Option<Option<i64>>> {
    Ok(if n.opset < 7 && n.int_or("broadcast", 0)? != 0 { Some(n.get_int("axis")?) } else { None })
}

#[derive(Clone, Copy)]
enum Cmp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

struct Compare {
    op: Cmp,
    legacy: Option<Option<i64>>,
}

fn cmp_kernel(n: &NodeInfo, op: Cmp) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(Compare { op, legacy: legacy(n)? }))
}

fn compare<T: Copy + PartialOrd + onnxrun_core::Element>(ctx: &OpContext<'_>, a: &Tensor, b: &Tensor, op: Cmp) -> Result<Tensor> {
    let o = DataType::Bool;
    match op {
        Cmp::Eq => binary_map(ctx, a, b, o, |x: T, y: T| x == y),
        Cmp::Lt => binary_map(ctx, a, b, o, |x: T, y: T| x < y),
        Cmp::Gt => binary_map(ctx, a, b, o, |x: T, y: T| x > y),
        Cmp::Le => binary_map(ctx, a, b, o, |x: T, y: T| x <= y),
        Cmp::Ge => binary_map(ctx, a, b, o, |x: T, y: T| x >= y),
    }
}

impl Kernel for Compare {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let (a, b) = operands(ctx, self.legacy)?;
        let dt = same_dtype(ctx, &[a, &b])?;
        let y = if dt == DataType::String {
            ensure!(matches!(self.op, Cmp::Eq), InvalidArgument, "{}: strings can only be compared for equality", ctx.node.describe());
            let plan = Broadcast::new(&[a.shape(), b.shape()]).map_err(|e| e.context(ctx.node.describe()))?;
            let (sa, sb) = (a.strings()?, b.strings()?);
            let (ia, ib) = (plan.index_map(0), plan.index_map(1));
            let v: Vec<bool> = ia.iter().zip(&ib).map(|(&i, &j)| sa[i] == sb[j]).collect();
            Tensor::from_vec(plan.shape().to_vec(), v)?
        } else {
            crate::dispatch_all!(dt, T => compare::<T>(ctx, a, &b, self.op)?, else return Err(bad_type(ctx, dt)))
        };
        ctx.set_output(0, y)
    }
}

#[derive(Clone, Copy)]
enum Logic {
    And,
    Or,
    Xor,
}

struct LogicK {
    op: Logic,
    legacy: Option<Option<i64>>,
}

fn logic_kernel(n: &NodeInfo, op: Logic) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(LogicK { op, legacy: legacy(n)? }))
}

impl Kernel for LogicK {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let (a, b) = operands(ctx, self.legacy)?;
        let dt = same_dtype(ctx, &[a, &b])?;
        ensure!(dt == DataType::Bool, InvalidArgument, "{}: inputs must be bool, got {dt}", ctx.node.describe());
        let o = DataType::Bool;
        let y = match self.op {
            Logic::And => binary_map(ctx, a, &b, o, |x: bool, y: bool| x & y)?,
            Logic::Or => binary_map(ctx, a, &b, o, |x: bool, y: bool| x | y)?,
            Logic::Xor => binary_map(ctx, a, &b, o, |x: bool, y: bool| x ^ y)?,
        };
        ctx.set_output(0, y)
    }
}

#[derive(Clone, Copy)]
enum Bit {
    And,
    Or,
    Xor,
}

fn bitwise_kernel(op: Bit) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let (a, b) = (ctx.input(0)?, ctx.input(1)?);
        let dt = same_dtype(ctx, &[a, b])?;
        let y = crate::dispatch_int!(dt, T => match op {
            Bit::And => binary_map(ctx, a, b, dt, |x: T, y: T| x & y),
            Bit::Or => binary_map(ctx, a, b, dt, |x: T, y: T| x | y),
            Bit::Xor => binary_map(ctx, a, b, dt, |x: T, y: T| x ^ y),
        }, else Err(bad_type(ctx, dt)))?;
        ctx.set_output(0, y)
    })))
}

/// Shift amounts outside [0, bits) leave only the sign fill: 0, or -1 for a right shift of
/// a negative value (arithmetic shift for signed types).
fn bitshift(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let left = match n.get_string("direction")?.as_deref() {
        Some("LEFT") => true,
        Some("RIGHT") => false,
        Some(d) => bail!(InvalidGraph, "{}: direction must be LEFT or RIGHT, got '{d}'", n.describe()),
        None => bail!(InvalidGraph, "{}: required attribute 'direction' is missing", n.describe()),
    };
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let (a, b) = (ctx.input(0)?, ctx.input(1)?);
        let dt = same_dtype(ctx, &[a, b])?;
        macro_rules! shift {
            ($($t:ty),*) => {
                crate::dispatch!(dt, T => {
                    const BITS: u64 = (std::mem::size_of::<T>() * 8) as u64;
                    #[allow(unused_comparisons)]
                    if left {
                        binary_map(ctx, a, b, dt, |x: T, s: T| if s >= 0 && (s as u64) < BITS { x.wrapping_shl(s as u32) } else { 0 })
                    } else {
                        binary_map(ctx, a, b, dt, |x: T, s: T| {
                            if s >= 0 && (s as u64) < BITS { x.wrapping_shr(s as u32) } else if x < 0 { (0 as T).wrapping_sub(1) } else { 0 }
                        })
                    }
                }, [$($t),*], else Err(bad_type(ctx, dt)))
            };
        }
        let y = shift!(u8, u16, u32, u64, i8, i16, i32, i64)?;
        ctx.set_output(0, y)
    })))
}
