//! Activation functions: Relu, Sigmoid, Tanh, LeakyRelu, Elu, Selu, Celu, HardSigmoid,
//! HardSwish, Softplus, Softsign, ThresholdedRelu, Shrink, PRelu (broadcast slope), Gelu
//! (exact or tanh), Mish, Swish and SwiGLU. Float types compute f16/bf16 in f32.

use super::elementwise::{bad_type, binary_map, float_map, unary_map, FastMath};
use crate::util::convert::Num;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{ensure, DataType, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Relu", 1, relu));
    r.register(KernelDef::new("", "Sigmoid", 1, |_| unary(|ctx, x| float_map!(ctx, x, [], |v| v.fsigmoid()))));
    r.register(KernelDef::new("", "Tanh", 1, |_| unary(|ctx, x| float_map!(ctx, x, [], |v| v.ftanh()))));
    r.register(KernelDef::new("", "HardSwish", 14, |_| {
        unary(|ctx, x| float_map!(ctx, x, [], |v| v * (v / 6.0 + 0.5).clamp(0.0, 1.0)))
    }));
    r.register(KernelDef::new("", "Softplus", 1, |_| unary(|ctx, x| float_map!(ctx, x, [], |v| softplus(v)))));
    r.register(KernelDef::new("", "Softsign", 1, |_| unary(|ctx, x| float_map!(ctx, x, [], |v| v / (1.0 + v.abs())))));
    r.register(KernelDef::new("", "Mish", 18, |_| unary(|ctx, x| float_map!(ctx, x, [], |v| v * softplus(v).ftanh()))));
    r.register(KernelDef::new("", "LeakyRelu", 1, leaky_relu));
    r.register(KernelDef::new("", "Elu", 1, elu));
    r.register(KernelDef::new("", "Selu", 1, selu));
    r.register(KernelDef::new("", "Celu", 12, celu));
    r.register(KernelDef::new("", "HardSigmoid", 1, hard_sigmoid));
    r.register(KernelDef::new("", "ThresholdedRelu", 10, thresholded_relu));
    r.register(KernelDef::new("", "Shrink", 9, shrink));
    r.register(KernelDef::new("", "Gelu", 20, gelu));
    r.register(KernelDef::new("", "Swish", 24, swish));
    r.register(KernelDef::new("", "SwiGLU", 28, swiglu));
    r.register(KernelDef::new("", "PRelu", 1, |_| Ok(Box::new(FnKernel(prelu)))));
    let same = OpFacts::new(onnxrun_core::facts::rules::same);
    r.facts_all(
        "",
        &[
            "Relu", "Sigmoid", "Tanh", "HardSwish", "Softplus", "Softsign", "Mish", "LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid",
            "ThresholdedRelu", "Shrink", "Gelu", "Swish", "SwiGLU",
        ],
        same,
    );
    r.facts("", "PRelu", OpFacts::new(onnxrun_core::facts::rules::broadcast));
}

/// Float math the activations share, for f32 and f64.
trait F: Copy + PartialOrd + std::ops::Add<Output = Self> + std::ops::Neg<Output = Self> {
    const ZERO: Self;
    fn exp(self) -> Self;
    fn ln_1p(self) -> Self;
}
macro_rules! f_impl {
    ($($t:ty),*) => {$(
        impl F for $t {
            const ZERO: Self = 0.0;
            #[inline(always)] fn exp(self) -> Self { <$t>::exp(self) }
            #[inline(always)] fn ln_1p(self) -> Self { <$t>::ln_1p(self) }
        }
    )*};
}
f_impl!(f32, f64);

/// ln(1+e^x) without overflow.
#[inline(always)]
fn softplus<T: F>(x: T) -> T {
    if x > T::ZERO {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

fn unary(f: fn(&OpContext<'_>, &Tensor) -> Result<Tensor>) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let y = f(ctx, x)?;
        ctx.set_output(0, y)
    })))
}

/// A one-input kernel whose float attributes (as f64) were read at creation.
struct WithAttrs<const N: usize> {
    a: [f64; N],
    f: fn(&OpContext<'_>, &Tensor, [f64; N]) -> Result<Tensor>,
}

impl<const N: usize> Kernel for WithAttrs<N> {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let x = ctx.input(0)?;
        let y = (self.f)(ctx, x, self.a)?;
        ctx.set_output(0, y)
    }
}

fn attrs<const N: usize>(
    node: &NodeInfo,
    names: [(&str, f32); N],
    f: fn(&OpContext<'_>, &Tensor, [f64; N]) -> Result<Tensor>,
) -> Result<Box<dyn Kernel>> {
    let mut a = [0f64; N];
    for (i, (name, default)) in names.iter().enumerate() {
        a[i] = node.float_or(name, *default)? as f64;
    }
    Ok(Box::new(WithAttrs { a, f }))
}

fn relu(_: &NodeInfo) -> Result<Box<dyn Kernel>> {
    unary(|ctx, x| {
        let dt = x.dtype();
        crate::dispatch!(dt, T => unary_map(ctx, x, dt, |v: T| v.max(0)), [i8, i16, i32, i64],
            else float_map!(ctx, x, [], |v| if v > 0.0 { v } else if v.is_nan() { v } else { 0.0 }))
    })
}

fn leaky_relu(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    attrs(n, [("alpha", 0.01)], |ctx, x, [alpha]| float_map!(ctx, x, [alpha], |v| if v >= 0.0 { v } else { alpha * v }))
}

fn elu(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    attrs(n, [("alpha", 1.0)], |ctx, x, [alpha]| float_map!(ctx, x, [alpha], |v| if v >= 0.0 { v } else { alpha * (v.fexp() - 1.0) }))
}

fn selu(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    attrs(n, [("alpha", 1.673_263_2), ("gamma", 1.050_701)], |ctx, x, [alpha, gamma]| {
        float_map!(ctx, x, [alpha, gamma], |v| if v > 0.0 { gamma * v } else { gamma * (alpha * v.fexp() - alpha) })
    })
}

fn celu(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let alpha = n.float_or("alpha", 1.0)?;
    ensure!(alpha != 0.0, InvalidGraph, "{}: alpha must not be 0", n.describe());
    attrs(n, [("alpha", 1.0)], |ctx, x, [alpha]| {
        float_map!(ctx, x, [alpha], |v| v.max(0.0) + (alpha * ((v / alpha).fexp() - 1.0)).min(0.0))
    })
}

fn hard_sigmoid(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    attrs(n, [("alpha", 0.2), ("beta", 0.5)], |ctx, x, [alpha, beta]| {
        float_map!(ctx, x, [alpha, beta], |v| (alpha * v + beta).clamp(0.0, 1.0))
    })
}

fn thresholded_relu(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    attrs(n, [("alpha", 1.0)], |ctx, x, [alpha]| float_map!(ctx, x, [alpha], |v| if v > alpha { v } else { 0.0 }))
}

fn shrink(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    attrs(n, [("bias", 0.0), ("lambd", 0.5)], |ctx, x, [bias, lambd]| {
        let dt = x.dtype();
        // Integer inputs compute in f64 and convert back as numpy's astype does.
        crate::dispatch!(dt, T => unary_map(ctx, x, dt, |v: T| {
            let f = v.to_f64();
            T::from_f64(if f < -lambd { f + bias } else if f > lambd { f - bias } else { 0.0 })
        }), [i8, i16, i32, i64, u8, u16, u32, u64],
            else float_map!(ctx, x, [bias, lambd], |v| if v < -lambd { v + bias } else if v > lambd { v - bias } else { 0.0 }))
    })
}

fn gelu(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    match n.string_or("approximate", "none")?.as_str() {
        "none" => unary(|ctx, x| {
            float_map!(ctx, x, [], |v| v.fgelu())
        }),
        "tanh" => unary(|ctx, x| {
            let k = (2.0 / std::f64::consts::PI).sqrt();
            float_map!(ctx, x, [k], |v| 0.5 * v * (1.0 + (k * (v + 0.044715 * v * v * v)).ftanh()))
        }),
        other => onnxrun_core::bail!(InvalidGraph, "{}: approximate must be 'none' or 'tanh', got '{other}'", n.describe()),
    }
}

fn swish(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    attrs(n, [("alpha", 1.0)], |ctx, x, [alpha]| float_map!(ctx, x, [alpha], |v| v * (alpha * v).fsigmoid()))
}

fn swiglu(n: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let alpha = n.float_or("alpha", 1.0)? as f64;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let (a, b) = (ctx.input(0)?, ctx.input(1)?);
        ensure!(
            a.shape() == b.shape() && a.dtype() == b.dtype(),
            InvalidArgument,
            "{}: A ({} {:?}) and B ({} {:?}) must have the same type and shape",
            ctx.node.describe(),
            a.dtype(),
            a.shape(),
            b.dtype(),
            b.shape()
        );
        let y = match a.dtype() {
            DataType::Float => {
                let k = alpha as f32;
                binary_map(ctx, a, b, DataType::Float, |x: f32, y: f32| x * (k * x).fsigmoid() * y)?
            }
            DataType::Double => binary_map(ctx, a, b, DataType::Double, |x: f64, y: f64| x * (alpha * x).fsigmoid() * y)?,
            DataType::Float16 => {
                let k = alpha as f32;
                binary_map(ctx, a, b, DataType::Float16, |x: f16, y: f16| {
                    let x = x.to_f32();
                    f16::from_f32(x * (k * x).fsigmoid() * y.to_f32())
                })?
            }
            DataType::Bfloat16 => {
                let k = alpha as f32;
                binary_map(ctx, a, b, DataType::Bfloat16, |x: bf16, y: bf16| {
                    let x = x.to_f32();
                    bf16::from_f32(x * (k * x).fsigmoid() * y.to_f32())
                })?
            }
            d => return Err(bad_type(ctx, d)),
        };
        ctx.set_output(0, y)
    })))
}

/// PRelu: x where x >= 0, slope·x elsewhere; the slope broadcasts onto x.
fn prelu(ctx: &mut OpContext<'_>) -> Result<()> {
    let (x, slope) = (ctx.input(0)?, ctx.input(1)?);
    let dt = super::elementwise::same_dtype(ctx, &[x, slope])?;
    // Before opset 7 a slope of x's trailing dims (or [C] for NCHW) was allowed; numpy
    // rules cover the trailing case, and a [C] slope on rank > 2 lines up with axis 1.
    let slope = if ctx.node.opset < 7 && slope.rank() == 1 && x.rank() > 2 && slope.shape()[0] == x.shape()[1] && x.shape()[1] != 1 {
        let mut s = vec![slope.shape()[0]];
        s.extend(std::iter::repeat(1).take(x.rank() - 2));
        slope.reshaped(s)?
    } else {
        slope.clone()
    };
    let y = crate::dispatch!(dt, T => binary_map(ctx, x, &slope, dt, |v: T, s: T| if v >= 0 { v } else { v.wrapping_mul(s) }),
        [i32, i64],
        else crate::dispatch!(dt, T => binary_map(ctx, x, &slope, dt, |v: T, _s: T| v), [u32, u64],
            else match dt {
                DataType::Float => binary_map(ctx, x, &slope, dt, |v: f32, s: f32| if v >= 0.0 { v } else { v * s }),
                DataType::Double => binary_map(ctx, x, &slope, dt, |v: f64, s: f64| if v >= 0.0 { v } else { v * s }),
                DataType::Float16 => binary_map(ctx, x, &slope, dt, |v: f16, s: f16| {
                    let v = v.to_f32();
                    f16::from_f32(if v >= 0.0 { v } else { v * s.to_f32() })
                }),
                DataType::Bfloat16 => binary_map(ctx, x, &slope, dt, |v: bf16, s: bf16| {
                    let v = v.to_f32();
                    bf16::from_f32(if v >= 0.0 { v } else { v * s.to_f32() })
                }),
                d => Err(bad_type(ctx, d)),
            }))?;
    ctx.set_output(0, y)
}
