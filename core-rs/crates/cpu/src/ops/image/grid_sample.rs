//! GridSample (opset 16: 4-D, modes bilinear/nearest/bicubic; opset 20+: N-D, modes
//! linear/nearest/cubic) with zeros/border/reflection padding and align_corners.
//!
//! For each batch item the sampling taps (flat offset into one channel plane + weight) of
//! a block of output positions are computed once, then applied to every channel. Nearest
//! moves elements of any type; linear and cubic need numbers. Grid coordinates are
//! denormalized in the grid's own precision (f32 unless the grid is f64), as the ONNX
//! reference and onnxruntime do, so round-half-to-even ties land the same way.

use super::resize::is_numeric;
use super::Px;
use crate::util::elems::{check_size, strides, Elem};
use crate::util::real::Acc;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "GridSample", 16, make));
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Nearest,
    Linear,
    Cubic,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Pad {
    Zeros,
    Border,
    Reflection,
}

struct GridSample {
    mode: Mode,
    pad: Pad,
    align: bool,
    /// Opset 16 only takes 4-D input.
    only_2d: bool,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let d = node.describe();
    let old = node.opset < 20;
    let mode_s = node.string_or("mode", if old { "bilinear" } else { "linear" })?;
    let mode = match (mode_s.as_str(), old) {
        ("nearest", _) => Mode::Nearest,
        ("bilinear", true) | ("linear", false) => Mode::Linear,
        ("bicubic", true) | ("cubic", false) => Mode::Cubic,
        _ => bail!(
            InvalidGraph,
            "{d}: mode '{mode_s}' is not valid at opset {} (expected {})",
            node.opset,
            if old { "bilinear, nearest or bicubic" } else { "linear, nearest or cubic" }
        ),
    };
    let pad_s = node.string_or("padding_mode", "zeros")?;
    let pad = match pad_s.as_str() {
        "zeros" => Pad::Zeros,
        "border" => Pad::Border,
        "reflection" => Pad::Reflection,
        _ => bail!(InvalidGraph, "{d}: padding_mode '{pad_s}' is not one of zeros, border, reflection"),
    };
    let align = match node.int_or("align_corners", 0)? {
        0 => false,
        1 => true,
        v => bail!(InvalidGraph, "{d}: align_corners must be 0 or 1, got {v}"),
    };
    if mode != Mode::Nearest {
        if let Some(dt) = node.input_dtype(0) {
            ensure!(is_numeric(dt), InvalidGraph, "{d}: {mode:?} interpolation needs a numeric X, got {dt}");
        }
    }
    Ok(Box::new(GridSample { mode, pad, align, only_2d: old }))
}

impl Kernel for GridSample {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let y = self.run(ctx).map_err(|e| e.context(ctx.node.describe()))?;
        ctx.set_output(0, y)
    }
}

/// Taps of one block of output positions: `k` per position.
struct Block {
    k: usize,
    off: Vec<usize>,
    w: Vec<f64>,
    /// Nearest with zeros padding: the position reads nothing (false).
    valid: Vec<bool>,
}

impl GridSample {
    fn run(&self, ctx: &OpContext<'_>) -> Result<Tensor> {
        let (x, grid) = (ctx.input(0)?, ctx.input(1)?);
        let (xs, gs) = (x.shape(), grid.shape());
        ensure!(xs.len() >= 3, InvalidArgument, "X must have rank >= 3 (N, C, spatial...), got shape {xs:?}");
        ensure!(!self.only_2d || xs.len() == 4, InvalidArgument, "X must be 4-D (N, C, H, W) at opset 16, got shape {xs:?}");
        let r = xs.len() - 2;
        ensure!(
            gs.len() == xs.len() && gs[0] == xs[0] && gs[r + 1] == r,
            InvalidArgument,
            "grid must have shape (N, out spatial..., {r}) with N = {}, got {gs:?}",
            xs[0]
        );
        ensure!(grid.dtype().is_float(), InvalidArgument, "grid must be a float tensor, got {}", grid.dtype());
        let dt = x.dtype();
        let (n, c) = (xs[0], xs[1]);
        let mut out_shape = vec![n, c];
        out_shape.extend_from_slice(&gs[1..=r]);
        let q: usize = gs[1..=r].iter().product();
        check_size(dt, &out_shape)?;
        let plane_in: usize = xs[2..].iter().product();
        if n * c * q > 0 {
            ensure!(plane_in > 0, InvalidArgument, "X has an empty spatial axis {:?}; there is nothing to sample", &xs[2..]);
        }
        let g = grid.to_f64_vec()?;
        let geo = Geometry { q, dims: xs[2..].to_vec(), strides: strides(&xs[2..]), grid_f64: grid.dtype() == DataType::Double };
        let pool = crate::util::parallel::pool_for(ctx, n * c * q * 4);
        match self.mode {
            Mode::Nearest => crate::with_elem!(dt, T => self.nearest::<T>(pool, x, &g, &geo, out_shape, q)),
            _ => crate::dispatch_numeric!(dt, T => self.interp::<T>(pool, x, &g, &geo, out_shape, q), else bail!(
                InvalidArgument,
                "{:?} interpolation needs a numeric X, got {dt}",
                self.mode
            )),
        }
    }

    fn taps_per_pos(&self, r: usize) -> usize {
        match self.mode {
            Mode::Nearest => 1,
            Mode::Linear => 1 << r,
            Mode::Cubic => 1 << (2 * r),
        }
    }

    fn block_len(&self, r: usize) -> usize {
        (16384 / self.taps_per_pos(r)).max(1)
    }

    fn nearest<T: Elem>(&self, pool: Option<&ThreadPool>, x: &Tensor, g: &[f64], geo: &Geometry, out_shape: Vec<usize>, q: usize) -> Result<Tensor> {
        let dt = x.dtype();
        let src = T::view(x)?;
        let mut dst: Vec<T> = crate::util::elems::alloc(dt, &out_shape)?;
        let (n, c) = (out_shape[0], out_shape[1]);
        let plane_in = src.len() / (n * c).max(1);
        let blen = self.block_len(geo.dims.len());
        let out = SharedOut(dst.as_mut_ptr());
        let units_per_n = q.div_ceil(blen);
        par_units(pool, n * units_per_n, |u| {
            let (b, blk) = (u / units_per_n, u % units_per_n);
            let range = blk * blen..((blk + 1) * blen).min(q);
            let taps = self.block_taps(g, geo, b, range.clone());
            for ch in 0..c {
                let plane = &src[(b * c + ch) * plane_in..(b * c + ch + 1) * plane_in];
                let base = (b * c + ch) * q;
                for (j, p) in range.clone().enumerate() {
                    let v = if taps.valid[j] { plane[taps.off[j]].clone() } else { T::default() };
                    // SAFETY: each unit writes positions `range` of its own batch item's
                    // channel planes; units cover disjoint (b, range) pairs.
                    unsafe { out.write(base + p, v) };
                }
            }
        })?;
        T::build(dt, out_shape, dst)
    }

    fn interp<T: Px>(&self, pool: Option<&ThreadPool>, x: &Tensor, g: &[f64], geo: &Geometry, out_shape: Vec<usize>, q: usize) -> Result<Tensor> {
        let src = x.data::<T>()?;
        let mut y = Tensor::zeros(x.dtype(), out_shape.clone())?;
        let (n, c) = (out_shape[0], out_shape[1]);
        let plane_in = src.len() / (n * c).max(1);
        let blen = self.block_len(geo.dims.len());
        let dst = y.data_mut::<T>()?;
        let out = SharedOut(dst.as_mut_ptr());
        let units_per_n = q.div_ceil(blen);
        par_units(pool, n * units_per_n, |u| {
            let (b, blk) = (u / units_per_n, u % units_per_n);
            let range = blk * blen..((blk + 1) * blen).min(q);
            let taps = self.block_taps(g, geo, b, range.clone());
            let k = taps.k;
            let w: Vec<T::A> = taps.w.iter().map(|&w| T::A::from_f64(w)).collect();
            for ch in 0..c {
                let plane = &src[(b * c + ch) * plane_in..(b * c + ch + 1) * plane_in];
                let base = (b * c + ch) * q;
                for (j, p) in range.clone().enumerate() {
                    let mut a = T::A::ZERO;
                    for (&o, &w) in taps.off[j * k..(j + 1) * k].iter().zip(&w[j * k..(j + 1) * k]) {
                        a += w * plane[o].load();
                    }
                    // SAFETY: as in `nearest`, units write disjoint output positions.
                    unsafe { out.write(base + p, T::store(a)) };
                }
            }
        })?;
        Ok(y)
    }

    /// Taps for output positions `range` of batch item `b`.
    fn block_taps(&self, g: &[f64], geo: &Geometry, b: usize, range: std::ops::Range<usize>) -> Block {
        let r = geo.dims.len();
        let k = self.taps_per_pos(r);
        let mut blk = Block { k, off: Vec::with_capacity(range.len() * k), w: Vec::with_capacity(range.len() * k), valid: Vec::new() };
        let per_dim = match self.mode {
            Mode::Nearest => 1,
            Mode::Linear => 2,
            Mode::Cubic => 4,
        };
        // Per spatial axis: (index or None for a zero pad, weight).
        let mut axis_taps: Vec<[(Option<usize>, f64); 4]> = vec![[(None, 0.0); 4]; r];
        for p in range {
            let gp = &g[(b * geo.q + p) * r..(b * geo.q + p + 1) * r];
            for (i, at) in axis_taps.iter_mut().enumerate() {
                // The grid lists coordinates innermost axis first (x, y, z...).
                let len = geo.dims[i];
                let xv = geo.denormalize(gp[r - 1 - i], len, self.align);
                *at = self.axis(xv, len);
            }
            if self.mode == Mode::Nearest {
                let mut off = 0;
                let mut ok = true;
                for (i, at) in axis_taps.iter().enumerate() {
                    match at[0].0 {
                        Some(ix) => off += ix * geo.strides[i],
                        None => ok = false,
                    }
                }
                blk.off.push(if ok { off } else { 0 });
                blk.w.push(1.0);
                blk.valid.push(ok);
                continue;
            }
            // Cartesian product of the per-axis taps; zero-padded taps get weight 0.
            for t in 0..k {
                let (mut off, mut w, mut rem) = (0usize, 1.0f64, t);
                for i in (0..r).rev() {
                    let (ix, wi) = axis_taps[i][rem % per_dim];
                    rem /= per_dim;
                    match ix {
                        Some(ix) => {
                            off += ix * geo.strides[i];
                            w *= wi;
                        }
                        None => w = 0.0,
                    }
                }
                blk.off.push(if w == 0.0 { 0 } else { off });
                blk.w.push(w);
            }
        }
        blk
    }

    /// Taps along one axis for source coordinate `x` (pixel units).
    fn axis(&self, x: f64, len: usize) -> [(Option<usize>, f64); 4] {
        let (lo, hi) = if self.align { (0.0, len as f64 - 1.0) } else { (-0.5, len as f64 - 0.5) };
        let x = if self.mode == Mode::Nearest { x.round_ties_even() } else { x };
        // Linear and nearest move an outside coordinate in first (as the ONNX reference
        // and PyTorch do); cubic, like PyTorch and onnxruntime, pads only its taps.
        let x = if (x < lo || x > hi) && self.mode != Mode::Cubic {
            match self.pad {
                Pad::Zeros => x,
                Pad::Border => x.clamp(0.0, len as f64 - 1.0),
                Pad::Reflection => reflect(x, lo, hi),
            }
        } else {
            x
        };
        let at = |i: f64| self.pixel(i, len, lo, hi);
        let mut t = [(None, 0.0); 4];
        match self.mode {
            Mode::Nearest => t[0] = (at(x.trunc()), 1.0),
            Mode::Linear => {
                let x0 = x.floor();
                let f = x - x0;
                t[0] = (at(x0), 1.0 - f);
                t[1] = (at(x0 + 1.0), f);
            }
            Mode::Cubic => {
                let x0 = x.floor();
                let f = x - x0;
                let c = cubic_coeffs(f);
                for (j, cj) in c.iter().enumerate() {
                    t[j] = (at(x0 - 1.0 + j as f64), *cj);
                }
            }
        }
        t
    }

    /// The input index read for integer position `i` under the padding mode.
    fn pixel(&self, i: f64, len: usize, lo: f64, hi: f64) -> Option<usize> {
        let last = len as f64 - 1.0;
        match self.pad {
            Pad::Zeros => (i >= 0.0 && i <= last).then_some(i as usize),
            Pad::Border => Some(i.clamp(0.0, last) as usize),
            Pad::Reflection => {
                let v = if i < lo || i > hi { reflect(i, lo, hi).trunc() } else { i };
                Some(v.clamp(0.0, last) as usize)
            }
        }
    }
}

/// Reflects `x` at the borders until it lies in [lo, hi].
fn reflect(x: f64, lo: f64, hi: f64) -> f64 {
    let range = hi - lo;
    if range <= 0.0 {
        return lo;
    }
    if x < lo {
        let dx = lo - x;
        let n = (dx / range).trunc();
        let r = dx - n * range;
        if n % 2.0 == 0.0 {
            lo + r
        } else {
            hi - r
        }
    } else if x > hi {
        let dx = x - hi;
        let n = (dx / range).trunc();
        let r = dx - n * range;
        if n % 2.0 == 0.0 {
            hi - r
        } else {
            lo + r
        }
    } else {
        x
    }
}

/// Keys' cubic weights (a = -0.75, as PyTorch) for taps at -1, 0, 1, 2 around the point.
fn cubic_coeffs(t: f64) -> [f64; 4] {
    let a = -0.75;
    let outer = |x: f64| ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
    let inner = |x: f64| ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    [outer(t + 1.0), inner(t), inner(1.0 - t), outer(2.0 - t)]
}

struct Geometry {
    /// Output positions per batch item.
    q: usize,
    dims: Vec<usize>,
    strides: Vec<usize>,
    grid_f64: bool,
}

impl Geometry {
    fn denormalize(&self, v: f64, len: usize, align: bool) -> f64 {
        if self.grid_f64 {
            let l = len as f64;
            if align {
                (v + 1.0) / 2.0 * (l - 1.0)
            } else {
                ((v + 1.0) * l - 1.0) / 2.0
            }
        } else {
            let (v, l) = (v as f32, len as f32);
            (if align { (v + 1.0) / 2.0 * (l - 1.0) } else { ((v + 1.0) * l - 1.0) / 2.0 }) as f64
        }
    }
}

/// A pointer to the output that parallel units write at disjoint indices.
struct SharedOut<T>(*mut T);
// SAFETY: units write disjoint elements (see the callers).
unsafe impl<T: Send> Sync for SharedOut<T> {}
unsafe impl<T: Send> Send for SharedOut<T> {}

impl<T> SharedOut<T> {
    /// # Safety
    /// `i` is in bounds and no other thread touches element `i` meanwhile.
    unsafe fn write(&self, i: usize, v: T) {
        *self.0.add(i) = v;
    }
}

fn par_units<F: Fn(usize) + Sync>(pool: Option<&ThreadPool>, n: usize, f: F) -> Result<()> {
    crate::util::parallel::for_ranges(pool, n, |r| r.for_each(&f))
}
