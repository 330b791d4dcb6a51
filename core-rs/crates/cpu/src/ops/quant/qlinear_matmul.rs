//! QLinearMatMul (opsets 10, 21): numpy matmul of `a - a_zero_point` and `b - b_zero_point`,
//! requantized with `y = saturate(round_half_even(acc * a_scale * b_scale / y_scale) + y_zero_point)`.
//! Scales and zero points are per tensor, per row of A (`[M]` or `[.., M, 1]`), per column
//! of B (`[N]` or `[.., 1, N]`), and for y anything broadcasting to the output.
//!
//! Integer operands are multiplied exactly on the f32 GEMM: K is cut into stretches short
//! enough that every partial sum stays within 2^24 (from the operands' actual magnitudes),
//! and the stretches' products are added in f64. The multiplier
//! `a_scale * b_scale / y_scale` is evaluated in the scales' type, as the reference does,
//! and the requantization runs in f64. Opset 21's float8 operands are decoded to f32 and
//! the result encoded (saturating) into the output's float8 type.

use super::layout::check_same_shape;
use super::params::{quant_values, scale_values, Prec, QType};
use crate::ops::matmul::matmul_tensors;
use crate::util::broadcast::{with_simd, Broadcast};
use crate::util::convert::F8;
use crate::util::elems::AtNode;
use crate::util::parallel::{for_chunks_mut, pool, pool_for};
use onnxrun_core::{
    bail, ensure, num_elements, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext,
    Result, Tensor,
};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "QLinearMatMul", 10, make));
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let d = node.describe();
    for (x, z) in [(0, 2), (3, 5)] {
        if let (true, Some(xt), Some(zt)) =
            (node.has_input(z), node.input_dtype(x), node.input_dtype(z))
        {
            ensure!(
                xt == zt,
                InvalidGraph,
                "{d}: zero point (input {z}) type {zt} differs from its operand's type {xt}"
            );
        }
    }
    Ok(Box::new(QLinearMatMul))
}

struct QLinearMatMul;

/// Supported operand / output types: 8-bit integers, float8 from opset 21.
fn operand_ok(dt: DataType, opset: i64) -> bool {
    matches!(dt, DataType::Uint8 | DataType::Int8) || (opset >= 21 && F8::of(dt).is_some())
}

impl Kernel for QLinearMatMul {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node;
        let inputs = (
            ctx.input(0)?,
            ctx.input(1)?,
            ctx.opt_input(2)?,
            ctx.input(3)?,
            ctx.input(4)?,
            ctx.opt_input(5)?,
            ctx.input(6)?,
            ctx.opt_input(7)?,
        );
        let y = qlinear_matmul(inputs, node.opset, ctx).at(node)?;
        ctx.set_output(0, y)
    }
}

type Inputs<'a> = (
    &'a Tensor,
    &'a Tensor,
    Option<&'a Tensor>,
    &'a Tensor,
    &'a Tensor,
    Option<&'a Tensor>,
    &'a Tensor,
    Option<&'a Tensor>,
);

fn one(s: &[usize]) -> bool {
    s.iter().product::<usize>() == 1
}

fn qlinear_matmul(i: Inputs<'_>, opset: i64, ctx: &OpContext<'_>) -> Result<Tensor> {
    let (a, sa, za, b, sb, zb, sy, zy) = i;
    let out_dt = zy.map_or(a.dtype(), |z| z.dtype());
    for (t, what) in [(a, "a"), (b, "b")] {
        ensure!(
            t.rank() >= 1,
            InvalidArgument,
            "input {what} must have rank >= 1, got a scalar"
        );
        ensure!(
            operand_ok(t.dtype(), opset),
            InvalidArgument,
            "input {what} must be uint8 or int8 (or float8 from opset 21), got {}",
            t.dtype()
        );
    }
    ensure!(
        operand_ok(out_dt, opset),
        InvalidArgument,
        "y_zero_point must be uint8 or int8 (or float8 from opset 21), got {out_dt}"
    );
    let ts = sa.dtype();
    ensure!(
        sb.dtype() == ts && sy.dtype() == ts,
        InvalidArgument,
        "scales must share one type, got {}, {} and {}",
        ts,
        sb.dtype(),
        sy.dtype()
    );
    let prec = match Prec::of(ts) {
        Some(p) if p != Prec::F64 => p,
        _ => bail!(
            InvalidArgument,
            "scales must be float, float16 or bfloat16, got {ts}"
        ),
    };
    for (s, z, what) in [
        (sa, za, "a_zero_point"),
        (sb, zb, "b_zero_point"),
        (sy, zy, "y_zero_point"),
    ] {
        if let Some(z) = z {
            check_same_shape(s.shape(), z.shape(), what)?;
        }
    }
    if let Some(z) = za {
        ensure!(
            z.dtype() == a.dtype(),
            InvalidArgument,
            "a_zero_point type {} differs from a's type {}",
            z.dtype(),
            a.dtype()
        );
    }
    if let Some(z) = zb {
        ensure!(
            z.dtype() == b.dtype(),
            InvalidArgument,
            "b_zero_point type {} differs from b's type {}",
            z.dtype(),
            b.dtype()
        );
    }
    // Scale shapes aligned to their operand: per row of A is [.., M, 1], per column of B [.., 1, N].
    let align = |s: &[usize], x: &Tensor, row: bool, what: &str| -> Result<Vec<usize>> {
        if one(s) {
            return Ok(vec![]);
        }
        ensure!(
            x.rank() >= 2,
            InvalidArgument,
            "{what} of shape {s:?} needs a matrix operand, got shape {:?}",
            x.shape()
        );
        let v = if s.len() == 1 && row {
            vec![s[0], 1]
        } else {
            s.to_vec()
        };
        let per = if row {
            v[v.len() - 1] == 1
        } else {
            v.len() < 2 || v[v.len() - 2] == 1
        };
        ensure!(
            per,
            InvalidArgument,
            "{what} of shape {s:?} is not per-tensor or per-{}",
            if row { "row" } else { "column" }
        );
        let fit = Broadcast::new(&[x.shape(), &v])
            .map(|bc| bc.shape() == x.shape())
            .unwrap_or(false);
        ensure!(
            fit,
            InvalidArgument,
            "{what} of shape {s:?} does not fit the operand of shape {:?}",
            x.shape()
        );
        Ok(v)
    };
    let sa_al = align(sa.shape(), a, true, "a_scale")?;
    let sb_al = align(sb.shape(), b, false, "b_scale")?;

    let (av, amax) = shifted(a, za, &sa_al)?;
    let (bv, bmax) = shifted(b, zb, &sb_al)?;
    let k = a.shape().last().copied().unwrap_or(1);
    let ints = !a.dtype().is_float() && !b.dtype().is_float();
    // The longest stretch of K whose integer partial sums all stay within f32's exact range.
    let bound = amax as f64 * bmax as f64;
    let kc = if ints && bound > 0.0 {
        ((F32_EXACT / bound) as usize).max(1)
    } else {
        k.max(1)
    };
    let p = pool(ctx);
    let (out_shape, acc): (Vec<usize>, Acc) = if kc >= k {
        let c = matmul_tensors(
            p,
            &Tensor::from_vec(a.shape().to_vec(), av)?,
            &Tensor::from_vec(b.shape().to_vec(), bv)?,
        )?;
        (c.shape().to_vec(), Acc::F32(c))
    } else {
        let (shape, sum) = chunked_product(p, a.shape(), &av, b.shape(), &bv, kc)?;
        (shape, Acc::F64(sum))
    };
    let n = num_elements(&out_shape)?;

    // Per-element (or one) multiplier and output zero point.
    let (sav, sbv, syv) = (scale_values(sa)?, scale_values(sb)?, scale_values(sy)?);
    let zyv = match zy {
        Some(z) => quant_values(z)?,
        None => vec![0.0; syv.len()],
    };
    let mult = |x: f64, y: f64, z: f64| prec.round(prec.round(x * y) / z);
    let (mults, zps): (Vec<f64>, Vec<f64>) =
        if one(sa.shape()) && one(sb.shape()) && one(sy.shape()) {
            (vec![mult(sav[0], sbv[0], syv[0])], vec![zyv[0]])
        } else {
            let sy_al: Vec<usize> = if one(sy.shape()) {
                vec![]
            } else {
                sy.shape().to_vec()
            };
            let bc = Broadcast::new(&[&out_shape, &sa_al, &sb_al, &sy_al])?;
            ensure!(
                bc.shape() == out_shape.as_slice(),
                InvalidArgument,
                "scales of shapes {:?}, {:?}, {:?} do not fit the output shape {out_shape:?}",
                sa.shape(),
                sb.shape(),
                sy.shape()
            );
            let (ia, ib, iy) = (bc.index_map(1), bc.index_map(2), bc.index_map(3));
            let m = (0..n)
                .map(|e| mult(sav[ia[e]], sbv[ib[e]], syv[iy[e]]))
                .collect();
            let z = iy.iter().map(|&e| zyv[e]).collect();
            (m, z)
        };
    match &acc {
        Acc::F32(c) => requant(c.data::<f32>()?, &mults, &zps, out_dt, out_shape, ctx),
        Acc::F64(c) => requant(c, &mults, &zps, out_dt, out_shape, ctx),
    }
}

/// 2^24: every integer up to it in magnitude is exact in f32.
const F32_EXACT: f64 = 16_777_216.0;

/// Accumulators: one f32 product, or f64 sums of several.
enum Acc {
    F32(Tensor),
    F64(Vec<f64>),
}

/// `matmul(a, b)` for integer-valued operands as a sum of f32 products over stretches of
/// `kc` along K, each exact, added up in f64 (exact far past what 32-bit sums hold).
fn chunked_product(
    p: Option<&onnxrun_linalg::ThreadPool>,
    a_shape: &[usize],
    av: &[f32],
    b_shape: &[usize],
    bv: &[f32],
    kc: usize,
) -> Result<(Vec<usize>, Vec<f64>)> {
    let k = a_shape.last().copied().unwrap_or(1);
    let n = if b_shape.len() == 1 {
        1
    } else {
        b_shape[b_shape.len() - 1]
    };
    let kb = if b_shape.len() == 1 {
        b_shape[0]
    } else {
        b_shape[b_shape.len() - 2]
    };
    ensure!(
        k == kb,
        InvalidArgument,
        "MatMul shapes {a_shape:?} and {b_shape:?} do not match: inner dimensions {k} vs {kb}"
    );
    let mut sum: Vec<f64> = vec![];
    let mut shape = vec![];
    for k0 in (0..k).step_by(kc) {
        let k1 = (k0 + kc).min(k);
        let ac: Vec<f32> = av
            .chunks(k)
            .flat_map(|r| r[k0..k1].iter().copied())
            .collect();
        let bc: Vec<f32> = bv
            .chunks(k * n)
            .flat_map(|m| m[k0 * n..k1 * n].iter().copied())
            .collect();
        let mut ash = a_shape.to_vec();
        let mut bsh = b_shape.to_vec();
        if let Some(d) = ash.last_mut() {
            *d = k1 - k0;
        }
        let kd = if bsh.len() == 1 { 0 } else { bsh.len() - 2 };
        bsh[kd] = k1 - k0;
        let c = matmul_tensors(p, &Tensor::from_vec(ash, ac)?, &Tensor::from_vec(bsh, bc)?)?;
        let cv = c.data::<f32>()?;
        if k0 == 0 {
            sum = cv.iter().map(|&v| v as f64).collect();
            shape = c.shape().to_vec();
        } else {
            sum.iter_mut().zip(cv).for_each(|(s, &v)| *s += v as f64);
        }
    }
    Ok((shape, sum))
}

/// `x - zero_point` as f32 (zero point per tensor or broadcast from `zp_shape`), and the
/// largest magnitude among the results.
fn shifted(x: &Tensor, zp: Option<&Tensor>, zp_shape: &[usize]) -> Result<(Vec<f32>, f32)> {
    let xs: Vec<f32> = match x.dtype() {
        DataType::Uint8 => x.data::<u8>()?.iter().map(|&v| v as f32).collect(),
        DataType::Int8 => x.data::<i8>()?.iter().map(|&v| v as f32).collect(),
        _ => quant_values(x)?.into_iter().map(|v| v as f32).collect(),
    };
    let mut xs = xs;
    if let Some(zp) = zp {
        let z: Vec<f32> = quant_values(zp)?.into_iter().map(|v| v as f32).collect();
        if z.len() == 1 {
            let z0 = z[0];
            with_simd(
                #[inline(always)]
                || xs.iter_mut().for_each(|v| *v -= z0),
            );
        } else {
            let bc = Broadcast::new(&[x.shape(), zp_shape])?;
            let st = bc.inner_stride(1);
            bc.for_each_segment(0..xs.len(), |o, offs, len| {
                for (j, v) in xs[o..o + len].iter_mut().enumerate() {
                    *v -= z[offs[1] + j * st];
                }
            });
        }
    }
    let max = with_simd(
        #[inline(always)]
        || {
            xs.iter()
                .fold(0f32, |m, &v| if v.abs() > m { v.abs() } else { m })
        },
    );
    Ok((xs, max))
}

/// Accumulators to the output type: `acc * mult + zp`, rounded half to even and saturated
/// (integers) or encoded saturating (float8). `mults` / `zps` hold one value or one per element.
fn requant<C: Copy + Into<f64> + Sync>(
    c: &[C],
    mults: &[f64],
    zps: &[f64],
    out_dt: DataType,
    shape: Vec<usize>,
    ctx: &OpContext<'_>,
) -> Result<Tensor> {
    let mut y = Tensor::zeros(out_dt, shape)?;
    let pool = pool_for(ctx, c.len());
    match QType::of(out_dt) {
        Some(QType::Int { lo, hi }) => {
            let (lo, hi) = (lo as f64, hi as f64);
            let q = move |v: f64| {
                let r = v.round_ties_even();
                let r = if r > lo { r } else { lo };
                (if r < hi { r } else { hi }) as i32
            };
            if out_dt == DataType::Uint8 {
                each(pool, c, mults, zps, y.data_mut::<u8>()?, move |v| {
                    q(v) as u8
                })?;
            } else {
                each(pool, c, mults, zps, y.data_mut::<i8>()?, move |v| {
                    q(v) as i8
                })?;
            }
        }
        Some(QType::F8(f)) => each(pool, c, mults, zps, y.data_mut::<u8>()?, move |v| {
            f.encode(v, true)
        })?,
        _ => bail!(InvalidArgument, "unsupported output type {out_dt}"),
    }
    Ok(y)
}

/// `out[e] = enc(c[e] * mult + zp)` with one multiplier / zero point or one per element.
fn each<C: Copy + Into<f64> + Sync, Y: Send>(
    pool: Option<&onnxrun_linalg::ThreadPool>,
    c: &[C],
    mults: &[f64],
    zps: &[f64],
    out: &mut [Y],
    enc: impl Fn(f64) -> Y + Sync,
) -> Result<()> {
    const CHUNK: usize = 1 << 14;
    for_chunks_mut(pool, out, CHUNK, |ci, out| {
        let r = ci * CHUNK..ci * CHUNK + out.len();
        let cs = &c[r.clone()];
        if mults.len() == 1 {
            let (m, z) = (mults[0], zps[0]);
            with_simd(
                #[inline(always)]
                || {
                    out.iter_mut()
                        .zip(cs)
                        .for_each(|(o, &v)| *o = enc(v.into() * m + z))
                },
            )
        } else {
            let (ms, zs) = (&mults[r.clone()], &zps[r]);
            for (((o, &v), &m), &z) in out.iter_mut().zip(cs).zip(ms).zip(zs) {
                *o = enc(v.into() * m + z);
            }
        }
    })
}
