//! DequantizeLinear (opsets 10-28): `y = (x - zero_point) * scale`, for 16/8/4/2-bit and
//! int32 integers and float8 / float4 codes. The output type is `output_dtype`, else the
//! scale's. 8/16-bit integers into f32 with f32 scales (the hot case) run in f32, which
//! is exact up to the one rounding of the product; everything else goes through f64
//! and is rounded once into the output type.

use super::layout::{check_same_shape, At, Plan};
use super::params::{dtype_attr, layout_attrs, quant_values, scale_values};
use crate::util::broadcast::with_simd;
use crate::util::convert::{f4_decode, F8};
use crate::util::elems::AtNode;
use crate::util::parallel::pool_for;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{
    bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor,
};
use onnxrun_linalg::ThreadPool;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "DequantizeLinear", 10, make));
}

struct DequantizeLinear {
    axis: i64,
    block: usize,
    out: Option<DataType>,
}

fn is_out_type(dt: DataType) -> bool {
    matches!(dt, DataType::Float | DataType::Float16 | DataType::Bfloat16)
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let d = node.describe();
    let (axis, block) = layout_attrs(node)?;
    let out = if node.opset >= 23 {
        dtype_attr(node, "output_dtype")?
    } else {
        None
    };
    if let Some(o) = out {
        ensure!(
            is_out_type(o),
            InvalidGraph,
            "{d}: output_dtype must be float, float16 or bfloat16, got {o}"
        );
    }
    if let (true, Some(x), Some(z)) = (node.has_input(2), node.input_dtype(0), node.input_dtype(2))
    {
        ensure!(
            x == z,
            InvalidGraph,
            "{d}: zero point type {z} differs from the input type {x}"
        );
    }
    if let (None, Some(s)) = (out, node.input_dtype(1)) {
        ensure!(
            is_out_type(s),
            InvalidGraph,
            "{d}: a {s} scale needs output_dtype (float, float16 or bfloat16)"
        );
    }
    Ok(Box::new(DequantizeLinear { axis, block, out }))
}

impl Kernel for DequantizeLinear {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node;
        let (x, s, z) = (ctx.input(0)?, ctx.input(1)?, ctx.opt_input(2)?);
        let y = dequantize(
            x,
            s,
            z,
            self.axis,
            self.block,
            self.out,
            pool_for(ctx, x.len()),
        )
        .at(node)?;
        ctx.set_output(0, y)
    }
}

/// `(x - z) * s` with `s` laid out by `axis` / `block`, into `out` (default: the scale's type).
pub(super) fn dequantize(
    x: &Tensor,
    s: &Tensor,
    z: Option<&Tensor>,
    axis: i64,
    block: usize,
    out: Option<DataType>,
    pool: Option<&ThreadPool>,
) -> Result<Tensor> {
    use DataType::*;
    let out_dt = out.unwrap_or(s.dtype());
    ensure!(
        is_out_type(out_dt),
        InvalidArgument,
        "output type must be float, float16 or bfloat16, got {out_dt} (set output_dtype)"
    );
    let plan = Plan::new(x.shape(), s.shape(), axis, block)?;
    if let Some(z) = z {
        ensure!(
            z.dtype() == x.dtype(),
            InvalidArgument,
            "zero point type {} differs from the input type {}",
            z.dtype(),
            x.dtype()
        );
        check_same_shape(s.shape(), z.shape(), "zero point")?;
    }
    let scales = plan.expand(scale_values(s)?);
    let zps = match z {
        Some(z) => plan.expand(quant_values(z)?),
        None => vec![0.0; scales.len()],
    };
    let mut y = Tensor::zeros(out_dt, x.shape().to_vec())?;
    if x.is_empty() {
        return Ok(y);
    }
    if out_dt == Float && s.dtype() == Float {
        let sf: Vec<f32> = scales.iter().map(|&v| v as f32).collect();
        let zf: Vec<f32> = zps.iter().map(|&v| v as f32).collect();
        let fast = Fast {
            plan: &plan,
            s: &sf,
            z: &zf,
            pool,
        };
        let yv = y.data_mut::<f32>()?;
        match x.dtype() {
            Uint8 | Uint4 | Uint2 => return fast.run(x.data::<u8>()?, yv).map(|_| y),
            Int8 | Int4 | Int2 => return fast.run(x.data::<i8>()?, yv).map(|_| y),
            Uint16 => return fast.run(x.data::<u16>()?, yv).map(|_| y),
            Int16 => return fast.run(x.data::<i16>()?, yv).map(|_| y),
            _ => {}
        }
    }
    let g = General {
        plan: &plan,
        s: &scales,
        z: &zps,
        pool,
    };
    match x.dtype() {
        Uint8 | Uint4 | Uint2 => g.by_output(x.data::<u8>()?, |v| v as f64, &mut y)?,
        Int8 | Int4 | Int2 => g.by_output(x.data::<i8>()?, |v| v as f64, &mut y)?,
        Uint16 => g.by_output(x.data::<u16>()?, |v| v as f64, &mut y)?,
        Int16 => g.by_output(x.data::<i16>()?, |v| v as f64, &mut y)?,
        Int32 => g.by_output(x.data::<i32>()?, |v| v as f64, &mut y)?,
        Float4E2M1 => g.by_output(x.data::<u8>()?, |v| f4_decode(v) as f64, &mut y)?,
        dt => match F8::of(dt) {
            Some(f) => g.by_output(x.data::<u8>()?, move |v| f.decode(v) as f64, &mut y)?,
            None => bail!(
                InvalidArgument,
                "input x must be a quantized type, got {dt}"
            ),
        },
    }
    Ok(y)
}

/// Small integers widen exactly to f32.
trait Small: Copy + Sync {
    fn f(self) -> f32;
}
macro_rules! small {
    ($($t:ty),*) => {$(impl Small for $t { #[inline(always)] fn f(self) -> f32 { self as f32 } })*};
}
small!(u8, i8, u16, i16);

struct Fast<'a> {
    plan: &'a Plan,
    s: &'a [f32],
    z: &'a [f32],
    pool: Option<&'a ThreadPool>,
}

impl Fast<'_> {
    fn run<X: Small>(&self, x: &[X], y: &mut [f32]) -> Result<()> {
        let (s, z) = (self.s, self.z);
        self.plan.for_rows(self.pool, y, |r, out, at| {
            let xs = &x[r];
            let n = xs.len().min(out.len());
            let (xs, out) = (&xs[..n], &mut out[..n]);
            match at {
                At::One(i) => {
                    let (sv, zv) = (s[i], z[i]);
                    with_simd(
                        #[inline(always)]
                        || {
                            out.iter_mut()
                                .zip(xs)
                                .for_each(|(o, &v)| *o = (v.f() - zv) * sv)
                        },
                    )
                }
                At::Each(i) => {
                    let (s, z) = (&s[i..i + n], &z[i..i + n]);
                    with_simd(
                        #[inline(always)]
                        || {
                            for (((o, &v), &sv), &zv) in out.iter_mut().zip(xs).zip(s).zip(z) {
                                *o = (v.f() - zv) * sv;
                            }
                        },
                    )
                }
            }
        })
    }
}

struct General<'a> {
    plan: &'a Plan,
    s: &'a [f64],
    z: &'a [f64],
    pool: Option<&'a ThreadPool>,
}

impl General<'_> {
    fn by_output<X: Copy + Sync>(
        &self,
        x: &[X],
        load: impl Fn(X) -> f64 + Sync,
        y: &mut Tensor,
    ) -> Result<()> {
        match y.dtype() {
            DataType::Float => self.run(x, &load, y.data_mut::<f32>()?, |v| v as f32),
            DataType::Float16 => self.run(x, &load, y.data_mut::<f16>()?, f16::from_f64),
            _ => self.run(x, &load, y.data_mut::<bf16>()?, bf16::from_f64),
        }
    }

    fn run<X: Copy + Sync, Y: Send>(
        &self,
        x: &[X],
        load: &(impl Fn(X) -> f64 + Sync),
        y: &mut [Y],
        store: impl Fn(f64) -> Y + Sync,
    ) -> Result<()> {
        let (s, z) = (self.s, self.z);
        self.plan.for_rows(self.pool, y, |r, out, at| {
            let xs = &x[r];
            match at {
                At::One(i) => out
                    .iter_mut()
                    .zip(xs)
                    .for_each(|(o, &v)| *o = store((load(v) - z[i]) * s[i])),
                At::Each(i) => {
                    for (((o, &v), &sv), &zv) in out.iter_mut().zip(xs).zip(&s[i..]).zip(&z[i..]) {
                        *o = store((load(v) - zv) * sv);
                    }
                }
            }
        })
    }
}
