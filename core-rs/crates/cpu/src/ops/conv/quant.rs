//! ConvInteger and QLinearConv (opset 10) on u8/i8 inputs and weights.
//!
//! Both subtract the zero points (x's per tensor, w's per tensor or per output channel)
//! and run the float engine on the shifted values, which is exact: every product and
//! partial sum is an integer, and the engine works in f32 when a bound on the sums
//! (max |x| times the largest per-channel sum of |w|) stays below 2^24, else in f64
//! (exact to 2^53). Padding is a zero of the shifted input, i.e. the zero point.
//! QLinearConv then adds the i32 bias and requantizes like ONNX Runtime: the sum times
//! `x_scale * w_scale / y_scale` in f32, rounded half to even, plus y's zero point,
//! saturated to the output type.

use super::attrs::{check_forward_shapes, ConvAttrs};
use super::engine::{ConvElem, Forward};
use super::window::Window;
use crate::util::parallel::pool;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "ConvInteger", 10, conv_integer));
    r.register(KernelDef::new("", "QLinearConv", 10, qlinear_conv));
}

fn conv_integer(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let attrs = ConvAttrs::parse(node, true)?;
    attrs.check_conv_channels(node)?;
    Ok(Box::new(ConvInteger { attrs }))
}

fn qlinear_conv(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let attrs = ConvAttrs::parse(node, true)?;
    // X and W are inputs 0 and 3 here; check_conv_channels reads inputs 0 and 1, so
    // check the channels of W (input 3) against group directly.
    if let Some(w) = super::attrs::known_dims(node, 3) {
        if let Some(Some(m)) = w.first() {
            ensure!(
                m % attrs.group == 0,
                InvalidGraph,
                "{}: group {} does not divide the {m} output channels of w",
                attrs.node,
                attrs.group
            );
        }
    }
    Ok(Box::new(QLinearConv { attrs }))
}

struct ConvInteger {
    attrs: ConvAttrs,
}

struct QLinearConv {
    attrs: ConvAttrs,
}

/// An 8-bit quantized element.
trait Q8: Copy + Send + Sync + 'static {
    fn to_i32(self) -> i32;
}
impl Q8 for u8 {
    fn to_i32(self) -> i32 {
        self as i32
    }
}
impl Q8 for i8 {
    fn to_i32(self) -> i32 {
        self as i32
    }
}

/// The 8-bit values of `t` widened to i32 (u8 or i8; anything else is an error).
fn widen(t: &Tensor, what: &str, node: &str) -> Result<Vec<i32>> {
    Ok(match t.dtype() {
        DataType::Uint8 => t.data::<u8>()?.iter().map(|v| v.to_i32()).collect(),
        DataType::Int8 => t.data::<i8>()?.iter().map(|v| v.to_i32()).collect(),
        dt => bail!(InvalidArgument, "{node}: {what} must be uint8 or int8, got {dt}"),
    })
}

/// A per-tensor quantization parameter: a scalar or a 1-element tensor.
fn is_scalar(t: &Tensor) -> bool {
    t.rank() == 0 || (t.rank() == 1 && t.len() == 1)
}

/// A zero point that must match `of`'s element type, per tensor (`per_channel == 0`) or
/// with one value per output channel; absent means zero.
fn zero_points(zp: Option<&Tensor>, of: &Tensor, per_channel: usize, what: &str, node: &str) -> Result<Vec<i32>> {
    let Some(zp) = zp else { return Ok(vec![0]) };
    ensure!(
        zp.dtype() == of.dtype(),
        InvalidArgument,
        "{node}: {what} must have the element type of its input ({}), got {}",
        of.dtype(),
        zp.dtype()
    );
    ensure!(
        is_scalar(zp) || (per_channel > 0 && zp.shape() == [per_channel]),
        InvalidArgument,
        "{node}: {what} must be a scalar{}, got shape {:?}",
        if per_channel > 0 { format!(" or have shape [{per_channel}]") } else { String::new() },
        zp.shape()
    );
    widen(zp, what, node)
}

/// X and W with zero points subtracted, and the window.
struct Shifted {
    x: Vec<i32>,
    w: Vec<i32>,
    win: Window,
    n: usize,
    c: usize,
    m: usize,
}

fn shift(a: &ConvAttrs, x: &Tensor, x_zp: Option<&Tensor>, w: &Tensor, w_zp: Option<&Tensor>) -> Result<Shifted> {
    let node = &a.node;
    let (n, c, m) = check_forward_shapes(a, x.shape(), w.shape())?;
    let nd = x.rank() - 2;
    let win = a.forward_window(&x.shape()[2..], a.kernel(w.shape(), nd)?)?;
    let xz = zero_points(x_zp, x, 0, "x_zero_point", node)?[0];
    let wz = zero_points(w_zp, w, m, "w_zero_point", node)?;
    let mut xv = widen(x, "x", node)?;
    xv.iter_mut().for_each(|v| *v -= xz);
    let mut wv = widen(w, "w", node)?;
    let per = wv.len().checked_div(m).unwrap_or(0);
    if per > 0 {
        for (row, z) in wv.chunks_mut(per).zip(wz.iter().cycle()) {
            row.iter_mut().for_each(|v| *v -= z);
        }
    }
    Ok(Shifted { x: xv, w: wv, win, n, c, m })
}

/// Float types the shifted integers run in.
trait Exact: ConvElem {
    fn from_i32(v: i32) -> Self;
    /// The (integral) sum back as i32, wrapping like i32 accumulation would.
    fn to_i32_wrapping(self) -> i32;
}
impl Exact for f32 {
    fn from_i32(v: i32) -> f32 {
        v as f32
    }
    fn to_i32_wrapping(self) -> i32 {
        self as i64 as i32
    }
}
impl Exact for f64 {
    fn from_i32(v: i32) -> f64 {
        v as f64
    }
    fn to_i32_wrapping(self) -> i32 {
        self as i64 as i32
    }
}

impl Shifted {
    /// Whether f32 holds every partial sum exactly.
    fn fits_f32(&self) -> bool {
        let xmax = self.x.iter().map(|v| v.unsigned_abs() as u64).max().unwrap_or(0);
        let per = self.w.len().checked_div(self.m).unwrap_or(0);
        let wmax = if per == 0 {
            0
        } else {
            self.w.chunks(per).map(|r| r.iter().map(|v| v.unsigned_abs() as u64).sum::<u64>()).max().unwrap_or(0)
        };
        xmax.saturating_mul(wmax) < (1 << 24)
    }

    fn out_shape(&self) -> Vec<usize> {
        let mut s = vec![self.n, self.m];
        s.extend_from_slice(&self.win.output);
        s
    }

    /// The i32 convolution sums, Y-shaped.
    fn sums(&self, pool: Option<&ThreadPool>, group: usize) -> Result<Vec<i32>> {
        crate::util::elems::check_size(DataType::Int32, &self.out_shape())?;
        if self.fits_f32() {
            self.sums_in::<f32>(pool, group)
        } else {
            self.sums_in::<f64>(pool, group)
        }
    }

    fn sums_in<T: Exact>(&self, pool: Option<&ThreadPool>, group: usize) -> Result<Vec<i32>> {
        let x: Vec<T> = self.x.iter().map(|&v| T::from_i32(v)).collect();
        let w: Vec<T> = self.w.iter().map(|&v| T::from_i32(v)).collect();
        let mut y = vec![T::ZERO; onnxrun_core::num_elements(&self.out_shape())?];
        Forward { win: &self.win, batch: self.n, c_in: self.c, c_out: self.m, group, x: &x, w: &w, bias: None }.run(pool, &mut y)?;
        Ok(y.into_iter().map(T::to_i32_wrapping).collect())
    }
}

impl Kernel for ConvInteger {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let (x, w) = (ctx.input(0)?, ctx.input(1)?);
        let (x_zp, w_zp) = (ctx.opt_input(2)?, ctx.opt_input(3)?);
        let s = shift(&self.attrs, x, x_zp, w, w_zp)?;
        let y = s.sums(pool(ctx), self.attrs.group)?;
        ctx.set_output(0, Tensor::from_vec(s.out_shape(), y)?)
    }
}

/// A float scale input: a positive-or-any f32 scalar, or per channel when `per_channel > 0`.
fn scales(t: &Tensor, per_channel: usize, what: &str, node: &str) -> Result<Vec<f32>> {
    ensure!(t.dtype() == DataType::Float, InvalidArgument, "{node}: {what} must be float, got {}", t.dtype());
    ensure!(
        is_scalar(t) || (per_channel > 0 && t.shape() == [per_channel]),
        InvalidArgument,
        "{node}: {what} must be a scalar{}, got shape {:?}",
        if per_channel > 0 { format!(" or have shape [{per_channel}]") } else { String::new() },
        t.shape()
    );
    Ok(t.data::<f32>()?.to_vec())
}

impl Kernel for QLinearConv {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = &self.attrs.node;
        let x = ctx.input(0)?;
        let (x_scale, x_zp) = (ctx.input(1)?, ctx.input(2)?);
        let w = ctx.input(3)?;
        let (w_scale, w_zp) = (ctx.input(4)?, ctx.input(5)?);
        let (y_scale, y_zp) = (ctx.input(6)?, ctx.input(7)?);
        let bias = ctx.opt_input(8)?;
        let s = shift(&self.attrs, x, Some(x_zp), w, Some(w_zp))?;
        let m = s.m;
        let xs = scales(x_scale, 0, "x_scale", node)?[0];
        let ws = scales(w_scale, m, "w_scale", node)?;
        let ys = scales(y_scale, 0, "y_scale", node)?[0];
        ensure!(is_scalar(y_zp), InvalidArgument, "{node}: y_zero_point must be a scalar, got shape {:?}", y_zp.shape());
        let yz = widen(y_zp, "y_zero_point", node)?[0];
        let b = match bias {
            Some(b) => {
                ensure!(b.dtype() == DataType::Int32, InvalidArgument, "{node}: B must be int32, got {}", b.dtype());
                ensure!(b.shape() == [m], InvalidArgument, "{node}: B must have shape [{m}], got {:?}", b.shape());
                Some(b.data::<i32>()?)
            }
            None => None,
        };
        let sums = s.sums(pool(ctx), self.attrs.group)?;
        let mult: Vec<f32> = (0..m).map(|oc| xs * ws[if ws.len() == 1 { 0 } else { oc }] / ys).collect();
        let plane = s.win.s_out();
        let out = match y_zp.dtype() {
            DataType::Uint8 => Tensor::from_vec(s.out_shape(), requantize::<u8>(&sums, b, &mult, plane, yz, 0.0, 255.0))?,
            DataType::Int8 => Tensor::from_vec(s.out_shape(), requantize::<i8>(&sums, b, &mult, plane, yz, -128.0, 127.0))?,
            dt => bail!(InvalidArgument, "{node}: y_zero_point must be uint8 or int8, got {dt}"),
        };
        ctx.set_output(0, out)
    }
}

trait FromF32Sat: Copy {
    /// `v` is already integral and within range.
    fn from_integral(v: f32) -> Self;
}
impl FromF32Sat for u8 {
    fn from_integral(v: f32) -> u8 {
        v as u8
    }
}
impl FromF32Sat for i8 {
    fn from_integral(v: f32) -> i8 {
        v as i8
    }
}

/// `clamp(round_half_even((sum + bias) * mult) + zp)` per output channel.
fn requantize<Q: FromF32Sat>(sums: &[i32], bias: Option<&[i32]>, mult: &[f32], plane: usize, zp: i32, lo: f32, hi: f32) -> Vec<Q> {
    let m = mult.len();
    let mut out = Vec::with_capacity(sums.len());
    if plane == 0 || m == 0 {
        return out;
    }
    for (i, row) in sums.chunks(plane).enumerate() {
        let oc = i % m;
        let (scale, b) = (mult[oc], bias.map_or(0, |b| b[oc]));
        out.extend(row.iter().map(|&v| {
            let r = (v.wrapping_add(b) as f32 * scale).round_ties_even() + zp as f32;
            Q::from_integral(r.clamp(lo, hi))
        }));
    }
    out
}
