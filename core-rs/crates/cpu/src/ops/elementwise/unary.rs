//! One-input math: Abs, Neg, Sign (all numeric types) and the float functions Sqrt,
//! Reciprocal, Exp, Log, Floor, Ceil, Round (half to even), Erf and the trigonometric and
//! hyperbolic functions with their inverses.

use super::fastmath::FastMath;
use super::{bad_type, float_map, unary_map};
use onnxrun_core::{FnKernel, Kernel, KernelDef, KernelRegistry, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Abs", 1, |_| kernel(abs)));
    r.register(KernelDef::new("", "Neg", 1, |_| kernel(neg)));
    r.register(KernelDef::new("", "Sign", 9, |_| kernel(sign)));
    macro_rules! float_ops {
        ($($name:literal, $since:literal, |$v:ident| $body:expr;)*) => {$(
            r.register(KernelDef::new("", $name, $since, |_| kernel(|ctx, x| float_map!(ctx, x, [], |$v| $body))));
        )*};
    }
    float_ops! {
        "Sqrt", 1, |v| v.sqrt();
        "Reciprocal", 1, |v| 1.0 / v;
        "Exp", 1, |v| v.fexp();
        "Log", 1, |v| v.ln();
        "Floor", 1, |v| v.floor();
        "Ceil", 1, |v| v.ceil();
        "Round", 11, |v| v.round_ties_even();
        "Erf", 9, |v| v.ferf();
        "Sin", 7, |v| v.sin();
        "Cos", 7, |v| v.cos();
        "Tan", 7, |v| v.tan();
        "Asin", 7, |v| v.asin();
        "Acos", 7, |v| v.acos();
        "Atan", 7, |v| v.atan();
        "Sinh", 9, |v| v.sinh();
        "Cosh", 9, |v| v.cosh();
        "Asinh", 9, |v| v.asinh();
        "Acosh", 9, |v| v.acosh();
        "Atanh", 9, |v| v.atanh();
    }
}

/// A kernel from a function of the node's one input to its one output.
pub(crate) fn kernel(f: fn(&OpContext<'_>, &Tensor) -> Result<Tensor>) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let y = f(ctx, x)?;
        ctx.set_output(0, y)
    })))
}

fn abs(ctx: &OpContext<'_>, x: &Tensor) -> Result<Tensor> {
    let dt = x.dtype();
    crate::dispatch!(dt, T => unary_map(ctx, x, dt, |v: T| v.wrapping_abs()), [i8, i16, i32, i64],
        else crate::dispatch!(dt, T => Ok(x.clone()), [u8, u16, u32, u64], else float_map!(ctx, x, [], |v| v.abs())))
}

fn neg(ctx: &OpContext<'_>, x: &Tensor) -> Result<Tensor> {
    let dt = x.dtype();
    crate::dispatch!(dt, T => unary_map(ctx, x, dt, |v: T| v.wrapping_neg()), [i8, i16, i32, i64],
        else float_map!(ctx, x, [], |v| -v))
}

fn sign(ctx: &OpContext<'_>, x: &Tensor) -> Result<Tensor> {
    let dt = x.dtype();
    crate::dispatch!(dt, T => unary_map(ctx, x, dt, |v: T| v.signum()), [i8, i16, i32, i64],
        else crate::dispatch!(dt, T => unary_map(ctx, x, dt, |v: T| (v > 0) as T), [u8, u16, u32, u64],
            else match dt {
                // signum(±0) is ±1 in Rust; ONNX wants 0, and NaN stays NaN.
                onnxrun_core::DataType::Float
                | onnxrun_core::DataType::Double
                | onnxrun_core::DataType::Float16
                | onnxrun_core::DataType::Bfloat16 => float_map!(ctx, x, [], |v| if v > 0.0 { 1.0 } else if v < 0.0 { -1.0 } else { v }),
                d => Err(bad_type(ctx, d)),
            }))
}

const FRAC_2_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// erf(x): the Maclaurin series below 2 (little cancellation there), 1 - erfc from its
/// continued fraction up to 6, and ±1 beyond (erfc(6) < 2.2e-17).
pub(crate) fn erf64(x: f64) -> f64 {
    let a = x.abs();
    let r = if a < 2.0 {
        let x2 = a * a;
        let (mut term, mut sum) = (a, a);
        let mut n = 0.0;
        loop {
            n += 1.0;
            term *= -x2 / n;
            let t = term / (2.0 * n + 1.0);
            sum += t;
            if t.abs() <= 1e-17 * sum.abs() {
                break;
            }
        }
        sum * FRAC_2_SQRT_PI
    } else if a < 6.0 {
        // erfc(a) = e^{-a²}/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), evaluated backwards.
        let mut f = a;
        for k in (1..=60).rev() {
            f = a + (k as f64 * 0.5) / f;
        }
        1.0 - (-a * a).exp() / (f * std::f64::consts::PI.sqrt())
    } else if a.is_nan() {
        a
    } else {
        1.0
    };
    r.copysign(x)
}
