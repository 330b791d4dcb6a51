//! QuantizeLinear (opsets 10-28): `y = saturate(round_half_even(x / scale) + zero_point)`
//! for integer targets, the float8 / float4 code of `x / scale + zero_point` otherwise.
//! The output type is `output_dtype`, else the zero point's type, else uint8. The
//! division runs in the `precision` attribute's type, else the scale's (f32 for int32 and
//! float8e8m0 scales). f32 data with an f32 division into integers (the hot case) has its
//! own tight loop; every other combination goes through f64 (exact for these types, and
//! each step is rounded back to the division's precision).

use super::layout::{check_same_shape, At, Plan};
use super::params::{dtype_attr, layout_attrs, quant_values, scale_values, Prec, QType};
use crate::util::broadcast::with_simd;
use crate::util::convert::f4_encode;
use crate::util::elems::AtNode;
use crate::util::parallel::pool_for;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{
    bail, ensure, DataType, Element, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext,
    Result, Tensor,
};
use onnxrun_linalg::ThreadPool;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "QuantizeLinear", 10, make));
}

pub(super) struct QuantizeLinear {
    axis: i64,
    block: usize,
    saturate: bool,
    out: Option<DataType>,
    precision: Option<Prec>,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let d = node.describe();
    let (axis, block) = layout_attrs(node)?;
    let saturate = node.opset < 19 || node.int_or("saturate", 1)? != 0;
    let out = if node.opset >= 21 {
        dtype_attr(node, "output_dtype")?
    } else {
        None
    };
    if let Some(o) = out {
        ensure!(
            QType::of(o).is_some(),
            InvalidGraph,
            "{d}: output_dtype {o} is not a quantized type"
        );
        if let (true, Some(z)) = (node.has_input(2), node.input_dtype(2)) {
            ensure!(
                z == o,
                InvalidGraph,
                "{d}: zero point type {z} differs from output_dtype {o}"
            );
        }
    }
    if let (true, Some(z)) = (node.has_input(2), node.input_dtype(2)) {
        ensure!(
            QType::of(z).is_some(),
            InvalidGraph,
            "{d}: zero point type {z} is not a quantized type"
        );
    }
    let precision = match if node.opset >= 23 {
        dtype_attr(node, "precision")?
    } else {
        None
    } {
        None => None,
        Some(p) => Some(Prec::of(p).ok_or_else(|| {
            onnxrun_core::err!(
                InvalidGraph,
                "{d}: precision must be float, float16, bfloat16 or double, got {p}"
            )
        })?),
    };
    Ok(Box::new(QuantizeLinear {
        axis,
        block,
        saturate,
        out,
        precision,
    }))
}

impl Kernel for QuantizeLinear {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node;
        let (x, s, z) = (ctx.input(0)?, ctx.input(1)?, ctx.opt_input(2)?);
        let out_dt = match (self.out, z) {
            (Some(o), Some(z)) if z.dtype() != o => {
                bail!(
                    InvalidArgument,
                    "{}: zero point type {} differs from output_dtype {o}",
                    node.describe(),
                    z.dtype()
                )
            }
            (Some(o), _) => o,
            (None, Some(z)) => z.dtype(),
            (None, None) => DataType::Uint8,
        };
        let q = QType::of(out_dt).ok_or_else(|| {
            onnxrun_core::err!(
                InvalidArgument,
                "{}: {out_dt} is not a quantized type",
                node.describe()
            )
        })?;
        let y = quantize(
            x,
            s,
            z,
            Opts {
                axis: self.axis,
                block: self.block,
                saturate: self.saturate,
                precision: self.precision,
            },
            out_dt,
            q,
            pool_for(ctx, x.len()),
        )
        .at(node)?;
        ctx.set_output(0, y)
    }
}

#[derive(Clone, Copy)]
pub(super) struct Opts {
    pub axis: i64,
    pub block: usize,
    pub saturate: bool,
    pub precision: Option<Prec>,
}

/// `x` quantized to `out_dt` (whose saturation / encoding is `q`).
pub(super) fn quantize(
    x: &Tensor,
    s: &Tensor,
    z: Option<&Tensor>,
    o: Opts,
    out_dt: DataType,
    q: QType,
    pool: Option<&ThreadPool>,
) -> Result<Tensor> {
    use DataType::*;
    ensure!(
        matches!(x.dtype(), Float | Float16 | Bfloat16 | Int32),
        InvalidArgument,
        "input x must be float, float16, bfloat16 or int32, got {}",
        x.dtype()
    );
    let plan = Plan::new(x.shape(), s.shape(), o.axis, o.block)?;
    if let Some(z) = z {
        check_same_shape(s.shape(), z.shape(), "zero point")?;
    }
    let prec = o.precision.or(Prec::of(s.dtype())).unwrap_or(Prec::F32);
    let scales: Vec<f64> = plan.expand(
        scale_values(s)?
            .into_iter()
            .map(|v| prec.round(v))
            .collect(),
    );
    let zps = match z {
        Some(z) => plan.expand(quant_values(z)?),
        None => vec![0.0; scales.len()],
    };
    let mut y = Tensor::zeros(out_dt, x.shape().to_vec())?;
    if x.is_empty() {
        return Ok(y);
    }
    if let (Float, Prec::F32, QType::Int { lo, hi }) = (x.dtype(), prec, q) {
        let sf: Vec<f32> = scales.iter().map(|&v| v as f32).collect();
        let zf: Vec<f32> = zps.iter().map(|&v| v as f32).collect();
        let xs = x.data::<f32>()?;
        let (lo, hi) = (lo as f32, hi as f32);
        return match out_dt {
            Uint8 | Uint4 | Uint2 => fast::<u8>(&plan, xs, y.data_mut()?, &sf, &zf, lo, hi, pool),
            Int8 | Int4 | Int2 => fast::<i8>(&plan, xs, y.data_mut()?, &sf, &zf, lo, hi, pool),
            Uint16 => fast::<u16>(&plan, xs, y.data_mut()?, &sf, &zf, lo, hi, pool),
            Int16 => fast::<i16>(&plan, xs, y.data_mut()?, &sf, &zf, lo, hi, pool),
            dt => bail!(InvalidArgument, "{dt} is not an integer quantized type"),
        }
        .map(|_| y);
    }
    let g = General {
        plan: &plan,
        scales: &scales,
        zps: &zps,
        prec,
        pool,
    };
    match x.dtype() {
        Float => g.by_output::<f32>(x.data()?, &mut y, q, o.saturate)?,
        Float16 => g.by_output::<f16>(x.data()?, &mut y, q, o.saturate)?,
        Bfloat16 => g.by_output::<bf16>(x.data()?, &mut y, q, o.saturate)?,
        _ => g.by_output::<i32>(x.data()?, &mut y, q, o.saturate)?,
    }
    Ok(y)
}

/// An integer output element, written from an in-range i32.
pub(super) trait IntOut: Element {
    fn from_i32(v: i32) -> Self;
}

macro_rules! int_out {
    ($($t:ty),*) => {$(
        impl IntOut for $t {
            #[inline(always)]
            fn from_i32(v: i32) -> Self { v as $t }
        }
    )*};
}
int_out!(u8, i8, u16, i16);

/// 1.5 * 2^23: adding it to a float of magnitude below 2^22 leaves that float rounded
/// half to even to an integer in the low mantissa bits (the FPU's default rounding).
const MAGIC: f32 = 12_582_912.0;
const MAGIC_BITS: i32 = 0x4B40_0000;

/// `round_half_even(clamp(q, lo, hi))` as an integer, for integer bounds within ±2^22.
/// NaN goes to `lo` (as the x86 min/max give, and onnxruntime does). Clamping first is
/// exact: the bounds are integers and rounding is monotone.
#[inline(always)]
fn clamp_round(q: f32, lo: f32, hi: f32) -> i32 {
    let q = if q > lo { q } else { lo };
    let q = if q < hi { q } else { hi };
    (q + MAGIC).to_bits() as i32 - MAGIC_BITS
}

/// One row of f32 data into integers: `x / s`, rounded half to even, plus the zero point,
/// saturated to `[lo, hi]` (integer bounds of at most 16 bits).
#[inline(always)]
pub(super) fn quant_row_f32<Y: IntOut>(
    x: &[f32],
    y: &mut [Y],
    s: &[f32],
    z: &[f32],
    at: At,
    lo: f32,
    hi: f32,
) {
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &mut y[..n]);
    match at {
        At::One(i) => {
            let (sv, zv) = (s[i], z[i]);
            let (l, h, zi) = (lo - zv, hi - zv, zv as i32);
            with_simd(
                #[inline(always)]
                || {
                    for (o, &v) in y.iter_mut().zip(x) {
                        *o = Y::from_i32(clamp_round(v / sv, l, h) + zi);
                    }
                },
            )
        }
        At::Each(i) => {
            let (s, z) = (&s[i..i + n], &z[i..i + n]);
            with_simd(
                #[inline(always)]
                || {
                    for (((o, &v), &sv), &zv) in y.iter_mut().zip(x).zip(s).zip(z) {
                        // zv is an integer: the magic addition converts it exactly.
                        *o = Y::from_i32(
                            clamp_round(v / sv, lo - zv, hi - zv) + clamp_round(zv, lo, hi),
                        );
                    }
                },
            )
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn fast<Y: IntOut>(
    plan: &Plan,
    x: &[f32],
    y: &mut [Y],
    s: &[f32],
    z: &[f32],
    lo: f32,
    hi: f32,
    pool: Option<&ThreadPool>,
) -> Result<()> {
    plan.for_rows(pool, y, |r, out, at| {
        quant_row_f32(&x[r], out, s, z, at, lo, hi)
    })
}

/// Data that widens exactly to f64.
trait Wide: Copy + Sync {
    fn wide(self) -> f64;
}
impl Wide for f32 {
    #[inline(always)]
    fn wide(self) -> f64 {
        self as f64
    }
}
impl Wide for f16 {
    #[inline(always)]
    fn wide(self) -> f64 {
        self.to_f64()
    }
}
impl Wide for bf16 {
    #[inline(always)]
    fn wide(self) -> f64 {
        self.to_f64()
    }
}
impl Wide for i32 {
    #[inline(always)]
    fn wide(self) -> f64 {
        self as f64
    }
}

/// The f64 pipeline: per chunk, data widened and rounded to the precision, divided by the
/// (already rounded) scale, rounded again, then encoded with the zero point.
struct General<'a> {
    plan: &'a Plan,
    scales: &'a [f64],
    zps: &'a [f64],
    prec: Prec,
    pool: Option<&'a ThreadPool>,
}

const CHUNK: usize = 256;

impl General<'_> {
    fn by_output<X: Wide>(&self, x: &[X], y: &mut Tensor, q: QType, saturate: bool) -> Result<()> {
        use DataType::*;
        match q {
            QType::Int { lo, hi } => {
                let (lo, hi) = (lo as f64, hi as f64);
                macro_rules! int {
                    ($t:ty) => {
                        self.run::<X, $t>(x, y.data_mut()?, move |q, z| {
                            let r = q.round_ties_even() + z;
                            let r = if r > lo { r } else { lo };
                            (if r < hi { r } else { hi }) as $t
                        })
                    };
                }
                match y.dtype() {
                    Uint8 | Uint4 | Uint2 => int!(u8),
                    Int8 | Int4 | Int2 => int!(i8),
                    Uint16 => int!(u16),
                    Int16 => int!(i16),
                    dt => bail!(InvalidArgument, "{dt} is not an integer quantized type"),
                }
            }
            QType::F8(f) => {
                self.run::<X, u8>(x, y.data_mut()?, move |q, z| f.encode(q + z, saturate))
            }
            QType::F4 => self.run::<X, u8>(x, y.data_mut()?, |q, z| f4_encode(q + z)),
        }
    }

    fn run<X: Wide, Y: Send>(
        &self,
        x: &[X],
        y: &mut [Y],
        enc: impl Fn(f64, f64) -> Y + Sync,
    ) -> Result<()> {
        let (s, z, prec) = (self.scales, self.zps, self.prec);
        self.plan.for_rows(self.pool, y, |r, out, at| {
            let mut buf = [0f64; CHUNK];
            for (c, (xc, oc)) in x[r].chunks(CHUNK).zip(out.chunks_mut(CHUNK)).enumerate() {
                let b = &mut buf[..xc.len()];
                for (d, &v) in b.iter_mut().zip(xc) {
                    *d = v.wide();
                }
                prec.round_all(b);
                match at {
                    At::One(i) => b.iter_mut().for_each(|v| *v /= s[i]),
                    At::Each(i) => b
                        .iter_mut()
                        .zip(&s[i + c * CHUNK..])
                        .for_each(|(v, sv)| *v /= sv),
                }
                prec.round_all(b);
                match at {
                    At::One(i) => oc
                        .iter_mut()
                        .zip(b.iter())
                        .for_each(|(o, &v)| *o = enc(v, z[i])),
                    At::Each(i) => oc
                        .iter_mut()
                        .zip(b.iter())
                        .zip(&z[i + c * CHUNK..])
                        .for_each(|((o, &v), &zv)| *o = enc(v, zv)),
                }
            }
        })
    }
}
