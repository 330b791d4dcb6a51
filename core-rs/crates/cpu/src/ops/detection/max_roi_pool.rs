//! MaxRoiPool (opset 1), the Fast R-CNN region pooling: each region's corners are scaled
//! and rounded to whole pixels, the region (at least 1x1) is cut into pooled_shape bins
//! with floor/ceil edges, and each bin takes its maximum. A bin that falls wholly outside
//! the map is 0. Regions are rows of (batch_index, x1, y1, x2, y2) in X's type. A NaN in a
//! bin makes that bin NaN, as MaxPool does (onnxruntime's MaxRoiPool skips it).

use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::util::real::{Acc, Real};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "MaxRoiPool", 1, make));
}

struct MaxRoiPool {
    pooled_h: usize,
    pooled_w: usize,
    spatial_scale: f64,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let d = node.describe();
    let Some(shape) = node.get_ints("pooled_shape")? else {
        bail!(InvalidGraph, "{d}: attribute 'pooled_shape' is required");
    };
    ensure!(
        shape.len() == 2 && shape.iter().all(|&v| v > 0),
        InvalidGraph,
        "{d}: attribute 'pooled_shape' must be two positive ints, got {shape:?}"
    );
    let scale = node.float_or("spatial_scale", 1.0)? as f64;
    ensure!(scale.is_finite(), InvalidGraph, "{d}: attribute 'spatial_scale' must be finite, got {scale}");
    Ok(Box::new(MaxRoiPool { pooled_h: shape[0] as usize, pooled_w: shape[1] as usize, spatial_scale: scale }))
}

impl Kernel for MaxRoiPool {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let (x, rois) = (ctx.input(0)?, ctx.input(1)?);
        ensure!(x.rank() == 4, InvalidArgument, "{node}: X must be 4-D (N, C, H, W), got shape {:?}", x.shape());
        ensure!(
            rois.rank() == 2 && rois.shape()[1] == 5,
            InvalidArgument,
            "{node}: rois must have shape (num_rois, 5), got {:?}",
            rois.shape()
        );
        ensure!(rois.dtype() == x.dtype(), InvalidArgument, "{node}: rois must have X's type {}, got {}", x.dtype(), rois.dtype());
        let out_shape = vec![rois.shape()[0], x.shape()[1], self.pooled_h, self.pooled_w];
        crate::util::elems::check_size(x.dtype(), &out_shape)?;
        let pool = pool_for(ctx, out_shape.iter().product::<usize>() * 8);
        let dt = x.dtype();
        let y = crate::dispatch_float!(dt, T => self.run::<T>(x, rois, out_shape, pool).map_err(|e| e.context(&node))?,
            else bail!(NotImplemented, "{node}: MaxRoiPool is not implemented for element type {dt}"));
        ctx.set_output(0, y)
    }
}

/// One region's pixel box: batch and the inclusive corners, already scaled and rounded.
struct Region {
    batch: usize,
    y0: i64,
    x0: i64,
    h: i64,
    w: i64,
}

impl MaxRoiPool {
    fn region(&self, r: &[f64], n: usize) -> Result<Region> {
        let b = r[0];
        ensure!(b.is_finite() && b >= 0.0 && b.fract() == 0.0 && (b as usize) < n, InvalidArgument, "region batch index {b} is out of range for X with batch size {n}");
        // Rounded corners saturate, so absurd coordinates give empty bins rather than overflow.
        let px = |v: f64| {
            let p = (v * self.spatial_scale).round();
            ensure!(!p.is_nan(), InvalidArgument, "region coordinate {v} is not a number");
            Ok(p.clamp(-(1i64 << 40) as f64, (1i64 << 40) as f64) as i64)
        };
        let (x0, y0, x1, y1) = (px(r[1])?, px(r[2])?, px(r[3])?, px(r[4])?);
        Ok(Region { batch: b as usize, y0, x0, h: (y1 - y0 + 1).max(1), w: (x1 - x0 + 1).max(1) })
    }

    fn run<T: Real>(&self, x: &Tensor, rois: &Tensor, shape: Vec<usize>, pool: Option<&onnxrun_linalg::ThreadPool>) -> Result<Tensor> {
        let (n, c, h, w) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
        let (ph_n, pw_n) = (self.pooled_h, self.pooled_w);
        let xs = x.data::<T>()?;
        let rv: Vec<f64> = rois.data::<T>()?.iter().map(|v| v.to_acc().to_f64()).collect();
        let regions = rv.chunks_exact(5).map(|r| self.region(r, n)).collect::<Result<Vec<_>>>()?;
        // Bin edges along one axis: floor/ceil of the fractional bin, offset and clipped.
        let edges = |start: i64, len: i64, bins: usize, p: usize, size: usize| {
            let bin = len as f64 / bins as f64;
            let clip = |v: f64| (v as i64).saturating_add(start).clamp(0, size as i64) as usize;
            (clip((p as f64 * bin).floor()), clip(((p + 1) as f64 * bin).ceil()))
        };
        let per_roi = c * ph_n * pw_n;
        let mut y = vec![T::default(); regions.len() * per_roi];
        for_chunks_mut(pool, &mut y, per_roi.max(1), |i, out| {
            let r = &regions[i];
            for ph in 0..ph_n {
                let (hs, he) = edges(r.y0, r.h, ph_n, ph, h);
                for pw in 0..pw_n {
                    let (ws, we) = edges(r.x0, r.w, pw_n, pw, w);
                    for ch in 0..c {
                        let plane = &xs[(r.batch * c + ch) * h * w..][..h * w];
                        let mut m: Option<T::A> = None;
                        for row in plane[hs * w..he.max(hs) * w].chunks_exact(w) {
                            for v in &row[ws..we.max(ws)] {
                                let v = v.to_acc();
                                m = Some(match m {
                                    Some(m) if m.is_nan() || (!v.is_nan() && v <= m) => m,
                                    _ => v,
                                });
                            }
                        }
                        out[(ch * ph_n + ph) * pw_n + pw] = T::from_acc(m.unwrap_or(T::A::ZERO));
                    }
                }
            }
        })?;
        Tensor::from_vec(shape, y)
    }
}
