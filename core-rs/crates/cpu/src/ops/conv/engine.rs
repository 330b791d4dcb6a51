//! The forward convolution engine for f32/f64 (half types and the quantized ops are
//! converted to one of these first): im2col + packed GEMM per (image, group), a direct
//! GEMM for pointwise windows, and the depthwise path for one channel per group.
//!
//! Work is split three ways depending on its shape:
//! - many (image, group) pairs: one task each, GEMMs single-threaded, output written
//!   in place;
//! - few pairs but a large output: tasks over column tiles of the output, each GEMM
//!   into a scratch tile copied out with the bias;
//! - otherwise one pair at a time with the GEMM and im2col themselves on the pool.
//!
//! Column tiles keep the im2col matrix small enough to stay in cache while the GEMM packs it.

use super::depthwise;
use super::window::{im2col, Window};
use crate::util::parallel::{for_chunks_mut, for_ranges};
use onnxrun_core::Result;
use onnxrun_linalg::ThreadPool;
use std::cell::RefCell;

/// Element types the engine runs on (f32, f64).
pub(crate) trait ConvElem:
    onnxrun_linalg::Element + onnxrun_core::Element + std::ops::AddAssign + std::ops::Mul<Output = Self> + Send + Sync
{
    /// Runs `f` on a per-thread scratch slice of `len` elements (contents unspecified),
    /// reused across calls so steady-state inference allocates nothing here.
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;
    /// `a * b + c`, fused when `FMA` (the caller is compiled with the FMA feature).
    fn mul_add<const FMA: bool>(a: Self, b: Self, c: Self) -> Self;
}

/// Scratch beyond this many bytes is freed after use rather than kept per thread.
const SCRATCH_KEEP_BYTES: usize = 64 << 20;

macro_rules! conv_elem {
    ($t:ty, $slot:ident) => {
        thread_local! {
            static $slot: RefCell<Vec<$t>> = const { RefCell::new(Vec::new()) };
        }
        impl ConvElem for $t {
            fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [$t]) -> R) -> R {
                let keep = len * std::mem::size_of::<$t>() <= SCRATCH_KEEP_BYTES;
                let mut f = Some(f);
                if keep {
                    let done = $slot.with(|cell| {
                        let mut buf = cell.try_borrow_mut().ok()?;
                        if buf.len() < len {
                            buf.resize(len, 0.0);
                        }
                        Some((f.take().unwrap())(&mut buf[..len]))
                    });
                    if let Some(r) = done {
                        return r;
                    }
                }
                // Too big to keep, or this thread's buffer is already in use.
                let mut buf = vec![0.0; len];
                (f.take().unwrap())(&mut buf)
            }
            #[inline(always)]
            fn mul_add<const FMA: bool>(a: $t, b: $t, c: $t) -> $t {
                if FMA {
                    a.mul_add(b, c)
                } else {
                    a * b + c
                }
            }
        }
    };
}
conv_elem!(f32, SCRATCH_F32);
conv_elem!(f64, SCRATCH_F64);

/// `C (m×n, ldc) = A (m×k, lda) * B (k×n, ldb) + beta * C` with the run-time kernel.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(super) fn gemm<T: ConvElem>(
    pool: Option<&ThreadPool>,
    trans_a: bool,
    m: usize,
    n: usize,
    k: usize,
    a: &[T],
    lda: usize,
    b: &[T],
    ldb: usize,
    beta: T,
    c: &mut [T],
    ldc: usize,
) {
    onnxrun_linalg::gemm(T::best_kernel(), pool, trans_a, false, m, n, k, T::ONE, a, lda, b, ldb, beta, c, ldc);
}

/// A raw pointer tasks share, each writing a disjoint part.
#[derive(Clone, Copy)]
pub(super) struct SendPtr<T>(pub *mut T);
// SAFETY: only used where every task writes a disjoint region, while the owner's borrow
// outlives the parallel loop.
unsafe impl<T: Send> Send for SendPtr<T> {}
unsafe impl<T: Send> Sync for SendPtr<T> {}
impl<T> SendPtr<T> {
    /// `len` elements from `offset`.
    ///
    /// # Safety
    /// The range lies inside the allocation and no other live slice overlaps it.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn slice(&self, offset: usize, len: usize) -> &mut [T] {
        std::slice::from_raw_parts_mut(self.0.add(offset), len)
    }
}

/// One forward convolution: X [batch, c_in, win.input...], W [c_out, c_in/group,
/// win.kernel...], optional bias [c_out], Y [batch, c_out, win.output...].
pub(super) struct Forward<'a, T> {
    pub win: &'a Window,
    pub batch: usize,
    pub c_in: usize,
    pub c_out: usize,
    pub group: usize,
    pub x: &'a [T],
    pub w: &'a [T],
    pub bias: Option<&'a [T]>,
}

/// Im2col tiles aim at about this many elements (1 MiB of f32; measured best among 128K-1M).
const TILE_ELEMS: usize = 256 * 1024;
const MIN_TILE: usize = 64;

impl<T: ConvElem> Forward<'_, T> {
    /// Computes Y (length batch * c_out * s_out; any contents on entry).
    pub fn run(&self, pool: Option<&ThreadPool>, y: &mut [T]) -> Result<()> {
        let win = self.win;
        let (s_out, g) = (win.s_out(), self.group);
        let ck = self.c_in / g * win.k_size();
        if y.is_empty() {
            return Ok(());
        }
        if ck == 0 {
            // No input channels (or an empty kernel): the output is the bias.
            for (i, plane) in y.chunks_mut(s_out).enumerate() {
                plane.fill(self.bias.map_or(T::ZERO, |b| b[i % self.c_out]));
            }
            return Ok(());
        }
        if g == self.c_in && g == self.c_out && win.nd() <= 2 {
            return depthwise::run(pool, self, y);
        }
        let threads = pool.map_or(1, |p| p.num_threads());
        let pairs = self.batch * g;
        // Pointwise convs are tiled too: one GEMM over a wide B packs all of it before
        // multiplying, which for large images runs out of cache.
        let nt = tile_width(ck, s_out);
        let tiles = s_out.div_ceil(nt);
        if threads == 1 || pairs >= 2 * threads {
            self.by_pairs(pool, nt, y)
        } else if pairs * tiles >= 3 * threads {
            self.by_tiles(pool, nt, tiles, y)
        } else {
            self.serial(pool, nt, y)
        }
    }

    fn x_group(&self, n: usize, g: usize) -> &[T] {
        let (s_in, cg) = (self.win.s_in(), self.c_in / self.group);
        &self.x[(n * self.c_in + g * cg) * s_in..][..cg * s_in]
    }

    fn w_group(&self, g: usize) -> &[T] {
        let mg = self.c_out / self.group;
        let ck = self.c_in / self.group * self.win.k_size();
        &self.w[g * mg * ck..][..mg * ck]
    }

    /// Fills each of the `mg` rows of a (n, g) output block with its bias, returning the
    /// GEMM's beta (1 to accumulate onto the bias, 0 when there is none).
    fn prefill(&self, g: usize, block: &mut [T], width: usize, ld: usize) -> T {
        let Some(b) = self.bias else { return T::ZERO };
        let mg = self.c_out / self.group;
        for r in 0..mg {
            block[r * ld..][..width].fill(b[g * mg + r]);
        }
        T::ONE
    }

    /// A pointwise (image, group) block: the image is the column matrix, multiplied tile
    /// by tile (`nt` columns) into `block` in place.
    fn pointwise_block(&self, pool: Option<&ThreadPool>, nt: usize, g: usize, xg: &[T], beta: T, block: &mut [T]) {
        let (s_out, mg, ck) = (self.win.s_out(), self.c_out / self.group, self.c_in / self.group);
        let wg = self.w_group(g);
        for p0 in (0..s_out).step_by(nt) {
            let w = nt.min(s_out - p0);
            gemm(pool, false, mg, w, ck, wg, ck, &xg[p0..], s_out, beta, &mut block[p0..], s_out);
        }
    }

    /// One task per (image, group); each walks its column tiles and writes in place.
    fn by_pairs(&self, pool: Option<&ThreadPool>, nt: usize, y: &mut [T]) -> Result<()> {
        let win = self.win;
        let (s_out, g_n) = (win.s_out(), self.group);
        let (cg, mg) = (self.c_in / g_n, self.c_out / g_n);
        let ck = cg * win.k_size();
        let offs = win.tap_offsets();
        let pointwise = win.is_pointwise();
        for_chunks_mut(pool, y, mg * s_out, |pair, block| {
            let (n, g) = (pair / g_n, pair % g_n);
            let (xg, wg) = (self.x_group(n, g), self.w_group(g));
            let beta = self.prefill(g, block, s_out, s_out);
            if pointwise {
                self.pointwise_block(None, nt, g, xg, beta, block);
                return;
            }
            T::with_scratch(ck * nt.min(s_out), |col| {
                for p0 in (0..s_out).step_by(nt) {
                    let p1 = (p0 + nt).min(s_out);
                    let col = &mut col[..ck * (p1 - p0)];
                    im2col(win, &offs, xg, cg, p0..p1, T::ZERO, col);
                    gemm(None, false, mg, p1 - p0, ck, wg, ck, col, p1 - p0, beta, &mut block[p0..], s_out);
                }
            });
        })
    }

    /// Tasks over (image, group, column tile); each GEMMs into a scratch tile and copies
    /// it out, adding the bias.
    fn by_tiles(&self, pool: Option<&ThreadPool>, nt: usize, tiles: usize, y: &mut [T]) -> Result<()> {
        let win = self.win;
        let (s_out, g_n) = (win.s_out(), self.group);
        let (cg, mg) = (self.c_in / g_n, self.c_out / g_n);
        let ck = cg * win.k_size();
        let offs = win.tap_offsets();
        let pointwise = win.is_pointwise();
        let yp = SendPtr(y.as_mut_ptr());
        for_ranges(pool, self.batch * g_n * tiles, |range| {
            let need = if pointwise { 0 } else { ck * nt } + mg * nt;
            T::with_scratch(need, |buf| {
                for task in range.clone() {
                    let (pair, t) = (task / tiles, task % tiles);
                    let (n, g) = (pair / g_n, pair % g_n);
                    let (p0, p1) = (t * nt, ((t + 1) * nt).min(s_out));
                    let w = p1 - p0;
                    let (xg, wg) = (self.x_group(n, g), self.w_group(g));
                    let (col, out) = buf.split_at_mut(if pointwise { 0 } else { ck * nt });
                    let out = &mut out[..mg * w];
                    if pointwise {
                        gemm(None, false, mg, w, ck, wg, ck, &xg[p0..], s_out, T::ZERO, out, w);
                    } else {
                        let col = &mut col[..ck * w];
                        im2col(win, &offs, xg, cg, p0..p1, T::ZERO, col);
                        gemm(None, false, mg, w, ck, wg, ck, col, w, T::ZERO, out, w);
                    }
                    for (r, src) in out.chunks_exact(w).enumerate() {
                        let oc = g * mg + r;
                        // SAFETY: row segment (n, oc, p0..p1) belongs to this task alone
                        // and lies inside y (batch * c_out * s_out elements).
                        let dst = unsafe { yp.slice((n * self.c_out + oc) * s_out + p0, w) };
                        match self.bias {
                            Some(b) => {
                                let bv = b[oc];
                                for (d, s) in dst.iter_mut().zip(src) {
                                    *d = *s + bv;
                                }
                            }
                            None => dst.copy_from_slice(src),
                        }
                    }
                }
            })
        })
    }

    /// One (image, group) at a time, with im2col over channels and the GEMM on the pool.
    fn serial(&self, pool: Option<&ThreadPool>, nt: usize, y: &mut [T]) -> Result<()> {
        let win = self.win;
        let (s_out, g_n) = (win.s_out(), self.group);
        let (cg, mg, kn) = (self.c_in / g_n, self.c_out / g_n, win.k_size());
        let ck = cg * kn;
        let offs = win.tap_offsets();
        let pointwise = win.is_pointwise();
        let s_in = win.s_in();
        for (pair, block) in y.chunks_mut(mg * s_out).enumerate() {
            let (n, g) = (pair / g_n, pair % g_n);
            let (xg, wg) = (self.x_group(n, g), self.w_group(g));
            let beta = self.prefill(g, block, s_out, s_out);
            if pointwise {
                self.pointwise_block(pool, nt, g, xg, beta, block);
                continue;
            }
            T::with_scratch(ck * s_out, |col| {
                for_chunks_mut(pool, col, kn * s_out, |c, rows| {
                    im2col(win, &offs, &xg[c * s_in..][..s_in], 1, 0..s_out, T::ZERO, rows);
                })?;
                gemm(pool, false, mg, s_out, ck, wg, ck, col, s_out, beta, block, s_out);
                Ok::<(), onnxrun_core::Error>(())
            })?;
        }
        Ok(())
    }
}

/// Column tile width for `ck` im2col rows: about TILE_ELEMS elements, a multiple of 16.
fn tile_width(ck: usize, s_out: usize) -> usize {
    let nt = (TILE_ELEMS / ck.max(1)).max(MIN_TILE) / 16 * 16;
    nt.min(s_out).max(1)
}
