//! DeformConv (opsets 19, 22): a convolution whose taps are moved by learned offsets and
//! optionally scaled by a mask. Per image, a "deformable im2col" samples every input
//! channel at each (tap, output position) with N-linear interpolation (points outside the
//! input read zero, as GridSample with align_corners and zero padding), then each group
//! is one GEMM with its weights. Works for any number of spatial axes.

use super::attrs::{check_forward_shapes, ConvAttrs};
use super::engine::{gemm, ConvElem};
use super::window::Window;
use crate::util::parallel::{for_chunks_mut, pool};
use crate::util::real::{to_f32_vec, Real};
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "DeformConv", 19, create));
}

fn create(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let attrs = ConvAttrs::parse(node, false)?;
    attrs.check_conv_channels(node)?;
    let offset_group = node.int_or("offset_group", 1)?;
    ensure!(offset_group >= 1, InvalidGraph, "{}: offset_group must be positive, got {offset_group}", attrs.node);
    Ok(Box::new(DeformConv { attrs, offset_group: offset_group as usize }))
}

struct DeformConv {
    attrs: ConvAttrs,
    offset_group: usize,
}

struct Plan {
    win: Window,
    out_shape: Vec<usize>,
    n: usize,
    c: usize,
    m: usize,
}

impl DeformConv {
    fn plan(&self, x: &Tensor, w: &Tensor, offset: &Tensor, b: Option<&Tensor>, mask: Option<&Tensor>) -> Result<Plan> {
        let node = &self.attrs.node;
        let dt = x.dtype();
        ensure!(
            [Some(w), Some(offset), b, mask].iter().flatten().all(|t| t.dtype() == dt),
            InvalidArgument,
            "{node}: X, W, offset, B and mask must share one element type"
        );
        let (n, c, m) = check_forward_shapes(&self.attrs, x.shape(), w.shape())?;
        let nd = x.rank() - 2;
        let win = self.attrs.forward_window(&x.shape()[2..], self.attrs.kernel(w.shape(), nd)?)?;
        let og = self.offset_group;
        ensure!(c % og == 0, InvalidArgument, "{node}: offset_group {og} does not divide the {c} input channels");
        let kn = win.k_size();
        let mut want = vec![n, og * kn * nd];
        want.extend_from_slice(&win.output);
        ensure!(
            offset.shape() == want,
            InvalidArgument,
            "{node}: offset must have shape {want:?} (N, offset_group * kernel size * {nd}, output dims), got {:?}",
            offset.shape()
        );
        if let Some(mask) = mask {
            want[1] = og * kn;
            ensure!(
                mask.shape() == want,
                InvalidArgument,
                "{node}: mask must have shape {want:?}, got {:?}",
                mask.shape()
            );
        }
        if let Some(b) = b {
            ensure!(b.shape() == [m], InvalidArgument, "{node}: B must have shape [{m}], got {:?}", b.shape());
        }
        let mut out_shape = vec![n, m];
        out_shape.extend_from_slice(&win.output);
        crate::util::elems::check_size(dt, &out_shape)?;
        Ok(Plan { win, out_shape, n, c, m })
    }

    #[allow(clippy::too_many_arguments)]
    fn run<T: ConvElem + Sample>(
        &self,
        pool: Option<&ThreadPool>,
        p: &Plan,
        x: &[T],
        w: &[T],
        offset: &[T],
        b: Option<&[T]>,
        mask: Option<&[T]>,
    ) -> Result<Vec<T>> {
        let win = &p.win;
        let (g_n, og_n) = (self.attrs.group, self.offset_group);
        let (nd, kn, s_in, s_out) = (win.nd(), win.k_size(), win.s_in(), win.s_out());
        let (cg, mg) = (p.c / g_n, p.m / g_n);
        let ck = cg * kn;
        let c_per_og = p.c / og_n;
        let offs = win.tap_offsets();
        let mut y = vec![T::ZERO; p.n * p.m * s_out];
        if y.is_empty() {
            return Ok(y);
        }
        // Strides of the output positions, to turn a flat position into coordinates.
        let mut out_strides = vec![1usize; nd];
        for d in (0..nd.saturating_sub(1)).rev() {
            out_strides[d] = out_strides[d + 1] * win.output[d + 1];
        }
        let mut col = vec![T::ZERO; p.c * kn * s_out];
        for n in 0..p.n {
            let off_n = &offset[n * og_n * kn * nd * s_out..][..og_n * kn * nd * s_out];
            let mask_n = mask.map(|mk| &mk[n * og_n * kn * s_out..][..og_n * kn * s_out]);
            for_chunks_mut(pool, &mut col, kn * s_out, |ch, rows| {
                let og = ch / c_per_og;
                let plane = &x[(n * p.c + ch) * s_in..][..s_in];
                let mut coord = vec![0f64; nd];
                for tap in 0..kn {
                    let row = &mut rows[tap * s_out..][..s_out];
                    let base = (og * kn + tap) * nd;
                    for (pos, v) in row.iter_mut().enumerate() {
                        let mut rest = pos;
                        for d in 0..nd {
                            let o = rest / out_strides[d];
                            rest %= out_strides[d];
                            let delta = off_n[(base + d) * s_out + pos].to_f64();
                            coord[d] = (o * win.strides[d]) as f64 + offs[tap * nd + d] as f64 + delta;
                        }
                        let mut s = T::sample(plane, &win.input, &coord);
                        if let Some(mk) = mask_n {
                            s = s * mk[(og * kn + tap) * s_out + pos];
                        }
                        *v = s;
                    }
                }
            })?;
            for g in 0..g_n {
                let block = &mut y[(n * p.m + g * mg) * s_out..][..mg * s_out];
                let beta = match b {
                    Some(b) => {
                        for (r, row) in block.chunks_mut(s_out).enumerate() {
                            row.fill(b[g * mg + r]);
                        }
                        T::ONE
                    }
                    None => T::ZERO,
                };
                let wg = &w[g * mg * ck..][..mg * ck];
                gemm(pool, false, mg, s_out, ck, wg, ck, &col[g * ck * s_out..][..ck * s_out], s_out, beta, block, s_out);
            }
        }
        Ok(y)
    }
}

/// N-linear interpolation at a fractional coordinate.
trait Sample: Sized {
    fn to_f64(self) -> f64;
    /// The value of `plane` (dims `dims`) at `coord`, zero outside.
    fn sample(plane: &[Self], dims: &[usize], coord: &[f64]) -> Self;
}

macro_rules! sample_impl {
    ($t:ty) => {
        impl Sample for $t {
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn sample(plane: &[$t], dims: &[usize], coord: &[f64]) -> $t {
                let nd = dims.len();
                // Fully outside (beyond one pixel of the border): nothing to blend.
                if coord.iter().zip(dims).any(|(&c, &d)| !(c > -1.0 && c < d as f64)) {
                    return 0.0;
                }
                let mut total = 0.0 as $t;
                for corner in 0..(1usize << nd) {
                    let (mut weight, mut idx) = (1.0 as $t, 0usize);
                    let mut inside = true;
                    for d in 0..nd {
                        let f = coord[d].floor();
                        let frac = (coord[d] - f) as $t;
                        let hi = corner >> (nd - 1 - d) & 1 == 1;
                        let i = f as i64 + hi as i64;
                        weight *= if hi { frac } else { 1.0 - frac };
                        if i < 0 || i >= dims[d] as i64 {
                            inside = false;
                            break;
                        }
                        idx = idx * dims[d] + i as usize;
                    }
                    if inside && weight != 0.0 {
                        total += weight * plane[idx];
                    }
                }
                total
            }
        }
    };
}
sample_impl!(f32);
sample_impl!(f64);

impl DeformConv {
    fn run_half<H: Real<A = f32>>(&self, pool: Option<&ThreadPool>, p: &Plan, ins: [Option<&Tensor>; 5]) -> Result<Tensor> {
        let f = |t: Option<&Tensor>| t.map(|t| t.data::<H>().map(to_f32_vec)).transpose();
        let [x, w, off, b, mk] = ins.map(f);
        let (x, w, off, b, mk) = (x?.unwrap(), w?.unwrap(), off?.unwrap(), b?, mk?);
        let y = self.run::<f32>(pool, p, &x, &w, &off, b.as_deref(), mk.as_deref())?;
        Tensor::from_vec(p.out_shape.clone(), y.into_iter().map(H::from_acc).collect::<Vec<H>>())
    }
}

impl Kernel for DeformConv {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let (x, w, offset) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
        let (b, mask) = (ctx.opt_input(3)?, ctx.opt_input(4)?);
        let p = self.plan(x, w, offset, b, mask)?;
        let pool = pool(ctx);
        let y = match x.dtype() {
            DataType::Float => {
                let (bv, mv) = (b.map(|t| t.data::<f32>()).transpose()?, mask.map(|t| t.data::<f32>()).transpose()?);
                let y = self.run(pool, &p, x.data::<f32>()?, w.data::<f32>()?, offset.data::<f32>()?, bv, mv)?;
                Tensor::from_vec(p.out_shape.clone(), y)?
            }
            DataType::Double => {
                let (bv, mv) = (b.map(|t| t.data::<f64>()).transpose()?, mask.map(|t| t.data::<f64>()).transpose()?);
                let y = self.run(pool, &p, x.data::<f64>()?, w.data::<f64>()?, offset.data::<f64>()?, bv, mv)?;
                Tensor::from_vec(p.out_shape.clone(), y)?
            }
            DataType::Float16 => self.run_half::<f16>(pool, &p, [Some(x), Some(w), Some(offset), b, mask])?,
            DataType::Bfloat16 => self.run_half::<bf16>(pool, &p, [Some(x), Some(w), Some(offset), b, mask])?,
            dt => bail!(NotImplemented, "{}: DeformConv is not implemented for element type {dt}", self.attrs.node),
        };
        ctx.set_output(0, y)
    }
}
