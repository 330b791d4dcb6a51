//! RoiAlign (opsets 10, 16, 22): bilinear samples on a regular grid inside each bin of
//! each region, averaged (mode avg) or maxed (mode max). Opset 10 has no
//! coordinate_transformation_mode and behaves as 'output_half_pixel'; from 16 the default
//! is 'half_pixel' (coordinates shifted by -0.5, and malformed regions are not widened to
//! 1x1). Mode max takes, per sample, the largest of the four weighted corner terms, as
//! onnxruntime and the ONNX reference do, then the max over the bin's samples.
//! f16/bf16 are computed in f32.

use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::util::real::{Acc, Real};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "RoiAlign", 10, make));
}

/// Sampling points one bin may hold (beyond this the region/scale is surely malformed).
const MAX_BIN_SAMPLES: i64 = 1 << 24;

struct RoiAlign {
    half_pixel: bool,
    max: bool,
    out_h: usize,
    out_w: usize,
    sampling_ratio: usize,
    spatial_scale: f64,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let d = node.describe();
    let max = match node.string_or("mode", "avg")?.to_ascii_lowercase().as_str() {
        "avg" => false,
        "max" => true,
        other => bail!(InvalidGraph, "{d}: attribute 'mode' must be 'avg' or 'max', got '{other}'"),
    };
    let half_pixel = if node.opset >= 16 {
        match node.string_or("coordinate_transformation_mode", "half_pixel")?.as_str() {
            "half_pixel" => true,
            "output_half_pixel" => false,
            other => bail!(
                InvalidGraph,
                "{d}: attribute 'coordinate_transformation_mode' must be 'half_pixel' or 'output_half_pixel', got '{other}'"
            ),
        }
    } else {
        false
    };
    let (oh, ow) = (node.int_or("output_height", 1)?, node.int_or("output_width", 1)?);
    ensure!(oh > 0 && ow > 0, InvalidGraph, "{d}: output_height and output_width must be positive, got {oh} and {ow}");
    let sr = node.int_or("sampling_ratio", 0)?;
    ensure!(sr >= 0, InvalidGraph, "{d}: attribute 'sampling_ratio' must be >= 0, got {sr}");
    let scale = node.float_or("spatial_scale", 1.0)? as f64;
    ensure!(scale.is_finite(), InvalidGraph, "{d}: attribute 'spatial_scale' must be finite, got {scale}");
    Ok(Box::new(RoiAlign { half_pixel, max, out_h: oh as usize, out_w: ow as usize, sampling_ratio: sr as usize, spatial_scale: scale }))
}

impl Kernel for RoiAlign {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let (x, rois, bi) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
        ensure!(x.rank() == 4, InvalidArgument, "{node}: X must be 4-D (N, C, H, W), got shape {:?}", x.shape());
        ensure!(
            rois.rank() == 2 && rois.shape()[1] == 4,
            InvalidArgument,
            "{node}: rois must have shape (num_rois, 4), got {:?}",
            rois.shape()
        );
        ensure!(rois.dtype() == x.dtype(), InvalidArgument, "{node}: rois must have X's type {}, got {}", x.dtype(), rois.dtype());
        let nr = rois.shape()[0];
        ensure!(
            bi.rank() == 1 && bi.shape()[0] == nr,
            InvalidArgument,
            "{node}: batch_indices must have shape ({nr},), got {:?}",
            bi.shape()
        );
        ensure!(bi.dtype().is_signed_int() || bi.dtype().is_unsigned_int(), InvalidArgument, "{node}: batch_indices must be integers, got {}", bi.dtype());
        let n = x.shape()[0];
        let bi = bi.to_i64_vec()?;
        if let Some(b) = bi.iter().find(|&&b| b < 0 || b as usize >= n) {
            bail!(InvalidArgument, "{node}: batch index {b} is out of range for X with batch size {n}");
        }
        let out_shape = vec![nr, x.shape()[1], self.out_h, self.out_w];
        crate::util::elems::check_size(x.dtype(), &out_shape)?;
        let pool = pool_for(ctx, nr * x.shape()[1] * self.out_h * self.out_w * 16);
        let dt = x.dtype();
        let y = crate::dispatch_float!(dt, T => self.run::<T>(x, rois, &bi, out_shape, pool).map_err(|e| e.context(&node))?,
            else bail!(NotImplemented, "{node}: RoiAlign is not implemented for element type {dt}"));
        ctx.set_output(0, y)
    }
}

/// One bilinear sample: the four corner offsets in a plane and their weights.
#[derive(Clone, Copy)]
struct Sample<A> {
    pos: [usize; 4],
    w: [A; 4],
}

/// `a < b ? b : a` (std::max's order, which the max mode's result depends on for NaN).
#[inline(always)]
fn smax<A: Acc>(a: A, b: A) -> A {
    if a < b {
        b
    } else {
        a
    }
}

impl RoiAlign {
    fn run<T: Real>(&self, x: &Tensor, rois: &Tensor, bi: &[i64], shape: Vec<usize>, pool: Option<&onnxrun_linalg::ThreadPool>) -> Result<Tensor> {
        let (c, h, w) = (x.shape()[1], x.shape()[2], x.shape()[3]);
        let (oh, ow) = (self.out_h, self.out_w);
        let xs = x.data::<T>()?;
        let rv: Vec<T::A> = rois.data::<T>()?.iter().map(|v| v.to_acc()).collect();
        // The grid per region, checked up front so the parallel part cannot fail.
        let grids: Vec<(i64, i64)> = (0..bi.len()).map(|i| self.grid(&rv[i * 4..i * 4 + 4])).collect();
        if let Some((gh, gw)) = grids.iter().find(|(gh, gw)| gh.max(&0).saturating_mul(*gw.max(&0)) > MAX_BIN_SAMPLES) {
            bail!(InvalidArgument, "a region needs a {gh}x{gw} sampling grid per bin (rois or spatial_scale out of proportion)");
        }
        let per_roi = c * oh * ow;
        let mut y = vec![T::default(); bi.len() * per_roi];
        for_chunks_mut(pool, &mut y, per_roi.max(1), |i, out| {
            let plane = h * w;
            let base = bi[i] as usize * c * plane;
            let (gh, gw) = grids[i];
            let (gh, gw) = (gh.max(0) as usize, gw.max(0) as usize);
            let count = T::A::from_f64((gh * gw).max(1) as f64);
            let mut samples = Vec::with_capacity(gh * gw);
            for ph in 0..oh {
                for pw in 0..ow {
                    samples.clear();
                    self.bin_samples(&rv[i * 4..i * 4 + 4], (gh, gw), (ph, pw), (h, w), &mut samples);
                    for ch in 0..c {
                        let xp = &xs[base + ch * plane..base + (ch + 1) * plane];
                        let v = if self.max {
                            let mut m: Option<T::A> = None;
                            for s in &samples {
                                let t = smax(smax(smax(s.w[0] * xp[s.pos[0]].to_acc(), s.w[1] * xp[s.pos[1]].to_acc()), s.w[2] * xp[s.pos[2]].to_acc()), s.w[3] * xp[s.pos[3]].to_acc());
                                m = Some(m.map_or(t, |m| smax(m, t)));
                            }
                            m.unwrap_or(T::A::ZERO)
                        } else {
                            let mut acc = T::A::ZERO;
                            for s in &samples {
                                acc += s.w[0] * xp[s.pos[0]].to_acc()
                                    + s.w[1] * xp[s.pos[1]].to_acc()
                                    + s.w[2] * xp[s.pos[2]].to_acc()
                                    + s.w[3] * xp[s.pos[3]].to_acc();
                            }
                            acc / count
                        };
                        out[ch * oh * ow + ph * ow + pw] = T::from_acc(v);
                    }
                }
            }
        })?;
        Tensor::from_vec(shape, y)
    }

    /// Region start (y, x) and size (h, w) in feature-map coordinates.
    fn region<A: Acc>(&self, roi: &[A]) -> (A, A, A, A) {
        let scale = A::from_f64(self.spatial_scale);
        let off = A::from_f64(if self.half_pixel { 0.5 } else { 0.0 });
        let (x0, y0) = (roi[0] * scale - off, roi[1] * scale - off);
        let (x1, y1) = (roi[2] * scale - off, roi[3] * scale - off);
        let (mut rw, mut rh) = (x1 - x0, y1 - y0);
        if !self.half_pixel {
            // The legacy mode widens malformed regions to 1x1.
            rw = rw.max(A::ONE);
            rh = rh.max(A::ONE);
        }
        (y0, x0, rh, rw)
    }

    /// Sampling grid per bin: sampling_ratio, or adaptive ceil(region / bins).
    fn grid<A: Acc>(&self, roi: &[A]) -> (i64, i64) {
        if self.sampling_ratio > 0 {
            return (self.sampling_ratio as i64, self.sampling_ratio as i64);
        }
        let (_, _, rh, rw) = self.region(roi);
        let g = |len: A, bins: usize| {
            let v = (len / A::from_f64(bins as f64)).to_f64().ceil();
            if v.is_nan() {
                0
            } else {
                v.clamp(i64::MIN as f64, i64::MAX as f64) as i64
            }
        };
        (g(rh, self.out_h), g(rw, self.out_w))
    }

    /// The bilinear samples of bin (ph, pw): positions outside [-1, size] weigh nothing.
    fn bin_samples<A: Acc>(&self, roi: &[A], (gh, gw): (usize, usize), (ph, pw): (usize, usize), (h, w): (usize, usize), out: &mut Vec<Sample<A>>) {
        let (y0, x0, rh, rw) = self.region(roi);
        let f = |v: usize| A::from_f64(v as f64);
        let (bin_h, bin_w) = (rh / f(self.out_h), rw / f(self.out_w));
        let (hf, wf) = (f(h), f(w));
        for iy in 0..gh {
            let yy = y0 + f(ph) * bin_h + A::from_f64(iy as f64 + 0.5) * bin_h / f(gh);
            for ix in 0..gw {
                let xx = x0 + f(pw) * bin_w + A::from_f64(ix as f64 + 0.5) * bin_w / f(gw);
                let outside = h == 0 || w == 0 || yy < -A::ONE || yy > hf || xx < -A::ONE || xx > wf || yy.is_nan() || xx.is_nan();
                if outside {
                    out.push(Sample { pos: [0; 4], w: [A::ZERO; 4] });
                    continue;
                }
                let (y, yl, yh) = corner(yy, h);
                let (x, xl, xh) = corner(xx, w);
                let (ly, lx) = (y - f(yl), x - f(xl));
                let (hy, hx) = (A::ONE - ly, A::ONE - lx);
                out.push(Sample {
                    pos: [yl * w + xl, yl * w + xh, yh * w + xl, yh * w + xh],
                    w: [hy * hx, hy * lx, ly * hx, ly * lx],
                });
            }
        }
    }
}

/// A coordinate in [-1, size] clamped into the map: (value, low index, high index).
fn corner<A: Acc>(v: A, size: usize) -> (A, usize, usize) {
    let v = v.max(A::ZERO);
    let low = v.to_f64() as usize;
    if low >= size - 1 {
        (A::from_f64((size - 1) as f64), size - 1, size - 1)
    } else {
        (v, low, low + 1)
    }
}
