//! Depthwise convolution (group == C_in == C_out) in 1-D and 2-D, computed directly: a
//! GEMM per channel would be a 1-row product, all packing and no arithmetic. Rows of a
//! square 3/5/7 kernel (stride 1 or 2) away from the top/bottom padding take all taps in
//! one sweep; other rows start at the bias and get one pass per kernel row. Inside either,
//! the positions where every tap is in bounds run loops with the taps unrolled that the
//! compiler vectorizes, compiled for AVX2+FMA when the CPU has them.

use super::engine::{ConvElem, Forward, SendPtr};
use super::window::valid_range;
use crate::util::parallel::for_ranges;
use onnxrun_core::Result;
use onnxrun_linalg::ThreadPool;
use std::ops::Range;

/// A 2-D view of the window (1-D convs are 1 row high).
struct Geom {
    ih: usize,
    iw: usize,
    oh: usize,
    ow: usize,
    kh: usize,
    kw: usize,
    sh: usize,
    sw: usize,
    dh: usize,
    dw: usize,
    ph: isize,
    pw: isize,
}

pub(super) fn run<T: ConvElem>(pool: Option<&ThreadPool>, f: &Forward<'_, T>, y: &mut [T]) -> Result<()> {
    let w = f.win;
    let g = if w.nd() == 1 {
        Geom {
            ih: 1,
            iw: w.input[0],
            oh: 1,
            ow: w.output[0],
            kh: 1,
            kw: w.kernel[0],
            sh: 1,
            sw: w.strides[0],
            dh: 1,
            dw: w.dilations[0],
            ph: 0,
            pw: w.pads[0],
        }
    } else {
        Geom {
            ih: w.input[0],
            iw: w.input[1],
            oh: w.output[0],
            ow: w.output[1],
            kh: w.kernel[0],
            kw: w.kernel[1],
            sh: w.strides[0],
            sw: w.strides[1],
            dh: w.dilations[0],
            dw: w.dilations[1],
            ph: w.pads[0],
            pw: w.pads[1],
        }
    };
    let (planes, c) = (f.batch * f.c_in, f.c_in);
    let work = planes * g.oh * g.ow * g.kh * g.kw;
    let pool = pool.filter(|_| work >= crate::util::parallel::PARALLEL_MIN_WORK);
    let threads = pool.map_or(1, |p| p.num_threads());
    // Split planes into row chunks when there are too few planes to go round.
    let chunks = if planes >= 4 * threads { 1 } else { (4 * threads).div_ceil(planes).min(g.oh.max(1)) };
    let rows_per = g.oh.div_ceil(chunks).max(1);
    let chunks = g.oh.div_ceil(rows_per);
    let (s_in, s_out, kn) = (g.ih * g.iw, g.oh * g.ow, g.kh * g.kw);
    let yp = SendPtr(y.as_mut_ptr());
    for_ranges(pool, planes * chunks, |range| {
        for u in range {
            let (plane, chunk) = (u / chunks, u % chunks);
            let ch = plane % c;
            let r0 = chunk * rows_per;
            let r1 = (r0 + rows_per).min(g.oh);
            // SAFETY: rows r0..r1 of this plane belong to this task alone, inside y.
            let out = unsafe { yp.slice(plane * s_out + r0 * g.ow, (r1 - r0) * g.ow) };
            let x = &f.x[plane * s_in..][..s_in];
            let wk = &f.w[ch * kn..][..kn];
            let b = f.bias.map_or(T::ZERO, |b| b[ch]);
            rows(&g, x, wk, b, r0..r1, out);
        }
    })
}

fn rows<T: ConvElem>(g: &Geom, x: &[T], w: &[T], b: T, rows: Range<usize>, y: &mut [T]) {
    // Square 3/5/7 kernels, unit dilation, stride 1 or 2: rows whose kernel rows are all
    // inside the input take every tap in one sweep (one store per output, no reloads).
    let fused = g.kh == g.kw && matches!(g.kw, 3 | 5 | 7) && g.dh == 1 && g.dw == 1 && g.sw <= 2;
    if !(fused && g.sw == 2) {
        return rows_dispatch(g, x, w, b, rows, y, fused, None);
    }
    // Stride 2 reads every other element: split the input rows this range touches into
    // even and odd halves once, so the sweeps load contiguous vectors.
    let first = ((rows.start * g.sh) as isize - g.ph).clamp(0, g.ih as isize) as usize;
    let end = (((rows.end.max(1) - 1) * g.sh + g.kh) as isize - g.ph).clamp(first as isize, g.ih as isize) as usize;
    T::with_scratch((end - first) * g.iw, |split| {
        for (r, dst) in split.chunks_exact_mut(g.iw).enumerate() {
            let src = &x[(first + r) * g.iw..][..g.iw];
            let (even, odd) = dst.split_at_mut(g.iw.div_ceil(2));
            for ((e, o), pair) in even.iter_mut().zip(odd.iter_mut()).zip(src.chunks_exact(2)) {
                *e = pair[0];
                *o = pair[1];
            }
            if g.iw % 2 == 1 {
                even[g.iw / 2] = src[g.iw - 1];
            }
        }
        rows_dispatch(g, x, w, b, rows, y, fused, Some((first, &*split)))
    })
}

/// `split`: (first input row, rows from there split into even and odd halves).
type Split<'a, T> = Option<(usize, &'a [T])>;

#[allow(clippy::too_many_arguments)]
fn rows_dispatch<T: ConvElem>(g: &Geom, x: &[T], w: &[T], b: T, rows: Range<usize>, y: &mut [T], fused: bool, split: Split<'_, T>) {
    #[cfg(target_arch = "x86_64")]
    if onnxrun_linalg::gemm::active_tier() == onnxrun_linalg::Tier::Fma {
        // SAFETY: the Fma tier is only active when the CPU has AVX2 and FMA.
        return unsafe { rows_avx2(g, x, w, b, rows, y, fused, split) };
    }
    rows_body::<T, false>(g, x, w, b, rows, y, fused, split)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn rows_avx2<T: ConvElem>(g: &Geom, x: &[T], w: &[T], b: T, rows: Range<usize>, y: &mut [T], fused: bool, split: Split<'_, T>) {
    rows_body::<T, true>(g, x, w, b, rows, y, fused, split)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn rows_body<T: ConvElem, const FMA: bool>(
    g: &Geom,
    x: &[T],
    w: &[T],
    b: T,
    rows: Range<usize>,
    y: &mut [T],
    fused: bool,
    split: Split<'_, T>,
) {
    let r0 = rows.start;
    for oh in rows {
        let yrow = &mut y[(oh - r0) * g.ow..][..g.ow];
        let top = (oh * g.sh) as isize - g.ph;
        if !(fused && top >= 0 && top as usize + g.kh <= g.ih) {
            row_by_passes::<T, FMA>(g, x, w, b, oh, yrow);
            continue;
        }
        let t = top as usize;
        let xr = &x[t * g.iw..][..g.kh * g.iw];
        match (split, g.kw) {
            (None, 3) => fused_row::<T, FMA, 3>(yrow, xr, g.iw, w, b, g.pw),
            (None, 5) => fused_row::<T, FMA, 5>(yrow, xr, g.iw, w, b, g.pw),
            (None, _) => fused_row::<T, FMA, 7>(yrow, xr, g.iw, w, b, g.pw),
            (Some((first, sp)), k) => {
                let sr = &sp[(t - first) * g.iw..][..g.kh * g.iw];
                match k {
                    3 => fused_row_s2::<T, FMA, 3>(yrow, xr, sr, g.iw, w, b, g.pw),
                    5 => fused_row_s2::<T, FMA, 5>(yrow, xr, sr, g.iw, w, b, g.pw),
                    _ => fused_row_s2::<T, FMA, 7>(yrow, xr, sr, g.iw, w, b, g.pw),
                }
            }
        }
    }
}

/// One output row as one pass per kernel row, each skipping taps outside the input.
#[inline(always)]
fn row_by_passes<T: ConvElem, const FMA: bool>(g: &Geom, x: &[T], w: &[T], b: T, oh: usize, yrow: &mut [T]) {
    yrow.fill(b);
    for kh in 0..g.kh {
        let ih = (oh * g.sh + kh * g.dh) as isize - g.ph;
        if ih < 0 || ih >= g.ih as isize {
            continue;
        }
        let xrow = &x[ih as usize * g.iw..][..g.iw];
        taps::<T, FMA>(yrow, xrow, &w[kh * g.kw..][..g.kw], g.sw, g.dw, g.pw);
    }
}

/// `y[o] += sum_k w[k] * x[o * s + k * d - p]` over the taps inside `x`.
#[inline(always)]
fn taps<T: ConvElem, const FMA: bool>(y: &mut [T], x: &[T], w: &[T], s: usize, d: usize, p: isize) {
    let (ow, kw) = (y.len(), w.len());
    let first = valid_range(ow, s, -p, x.len());
    let last = valid_range(ow, s, ((kw - 1) * d) as isize - p, x.len());
    // Positions where every tap is in bounds (tap offsets grow with k).
    let lo = first.start;
    let hi = last.end.max(lo);
    // Borders, tap by tap with bounds.
    for o in (0..lo).chain(hi..ow) {
        let mut acc = y[o];
        for (k, &wk) in w.iter().enumerate() {
            let i = (o * s + k * d) as isize - p;
            if i >= 0 && (i as usize) < x.len() {
                acc = T::mul_add::<FMA>(wk, x[i as usize], acc);
            }
        }
        y[o] = acc;
    }
    if hi <= lo {
        return;
    }
    let xs = &x[((lo * s) as isize - p) as usize..];
    let yi = &mut y[lo..hi];
    match (kw, s, d) {
        (3, 1, 1) => fixed::<T, FMA, 3, 1>(yi, xs, w),
        (3, 2, 1) => fixed::<T, FMA, 3, 2>(yi, xs, w),
        (5, 1, 1) => fixed::<T, FMA, 5, 1>(yi, xs, w),
        (5, 2, 1) => fixed::<T, FMA, 5, 2>(yi, xs, w),
        (7, 1, 1) => fixed::<T, FMA, 7, 1>(yi, xs, w),
        (7, 2, 1) => fixed::<T, FMA, 7, 2>(yi, xs, w),
        _ => {
            for (k, &wk) in w.iter().enumerate() {
                let xk = &xs[k * d..];
                for (j, yo) in yi.iter_mut().enumerate() {
                    *yo = T::mul_add::<FMA>(wk, xk[j * s], *yo);
                }
            }
        }
    }
}

/// The interior loop with the tap count and stride known at compile time.
#[inline(always)]
fn fixed<T: ConvElem, const FMA: bool, const KW: usize, const S: usize>(y: &mut [T], x: &[T], w: &[T]) {
    let n = y.len();
    let w: [T; KW] = std::array::from_fn(|k| w[k]);
    // Every interior position reads x[j * S + k] for k < KW.
    assert!(n == 0 || x.len() >= (n - 1) * S + KW);
    for (j, yo) in y.iter_mut().enumerate() {
        let mut acc = *yo;
        for (k, &wk) in w.iter().enumerate() {
            // SAFETY: j < n and k < KW, so j * S + k <= (n - 1) * S + KW - 1 < x.len().
            acc = T::mul_add::<FMA>(wk, unsafe { *x.get_unchecked(j * S + k) }, acc);
        }
        *yo = acc;
    }
}

/// Border positions of one output row (those with a tap outside the row), tap by tap;
/// returns the interior `lo..hi` where every tap is inside.
#[inline(always)]
fn fused_borders<T: ConvElem, const FMA: bool, const K: usize, const S: usize>(
    y: &mut [T],
    x: &[T],
    iw: usize,
    w: &[T],
    b: T,
    p: isize,
) -> Range<usize> {
    let ow = y.len();
    let lo = valid_range(ow, S, -p, iw).start;
    let hi = valid_range(ow, S, (K - 1) as isize - p, iw).end.max(lo);
    for o in (0..lo).chain(hi..ow) {
        let mut acc = b;
        for kh in 0..K {
            for kw in 0..K {
                let i = (o * S + kw) as isize - p;
                if i >= 0 && (i as usize) < iw {
                    acc = T::mul_add::<FMA>(w[kh * K + kw], x[kh * iw + i as usize], acc);
                }
            }
        }
        y[o] = acc;
    }
    lo..hi
}

/// One output row of a KxK stride-1 kernel whose K input rows (`x`, `iw` apart) are all
/// in bounds: borders tap by tap, the interior with all K*K taps per position.
#[inline(always)]
fn fused_row<T: ConvElem, const FMA: bool, const K: usize>(y: &mut [T], x: &[T], iw: usize, w: &[T], b: T, p: isize) {
    let Range { start: lo, end: hi } = fused_borders::<T, FMA, K, 1>(y, x, iw, w, b, p);
    if hi <= lo {
        return;
    }
    let start = (lo as isize - p) as usize;
    let n = hi - lo;
    // Interior position j reads row kh at start + j + kw < iw for j < n, kw < K.
    assert!(start + n - 1 + K <= iw && x.len() >= K * iw && w.len() >= K * K);
    let wk: [[T; K]; K] = std::array::from_fn(|kh| std::array::from_fn(|kw| w[kh * K + kw]));
    for (j, yo) in y[lo..hi].iter_mut().enumerate() {
        // One accumulator per kernel row: K short dependency chains instead of one long
        // one, so the FMA latency overlaps.
        let mut acc = [T::ZERO; K];
        for (kh, wr) in wk.iter().enumerate() {
            let base = kh * iw + start + j;
            for (kw, &wv) in wr.iter().enumerate() {
                // SAFETY: base + kw <= (K - 1) * iw + start + n - 1 + K - 1 < K * iw by
                // the assert above.
                acc[kh] = T::mul_add::<FMA>(wv, unsafe { *x.get_unchecked(base + kw) }, acc[kh]);
            }
        }
        *yo = acc.iter().fold(b, |s, &v| s + v);
    }
}

/// `fused_row` for stride 2, reading the interior from `split`: the same K rows, each
/// stored as its even elements followed by its odd ones.
#[inline(always)]
fn fused_row_s2<T: ConvElem, const FMA: bool, const K: usize>(
    y: &mut [T],
    x: &[T],
    split: &[T],
    iw: usize,
    w: &[T],
    b: T,
    p: isize,
) {
    let Range { start: lo, end: hi } = fused_borders::<T, FMA, K, 2>(y, x, iw, w, b, p);
    if hi <= lo {
        return;
    }
    let start = (2 * lo) as isize - p;
    let n = hi - lo;
    let half = iw.div_ceil(2);
    // Tap kw of position j reads element q + 2j (q = start + kw) of its row: in the split
    // row that is (q even) half-row 0 at q/2 + j, (q odd) half-row 1 at q/2 + j.
    let offs: [usize; K] = std::array::from_fn(|kw| {
        let q = (start + kw as isize) as usize;
        if q.is_multiple_of(2) { q / 2 } else { half + q / 2 }
    });
    // The last position's last tap stays inside its row: start + 2(n-1) + K - 1 < iw.
    assert!(start >= 0 && start as usize + 2 * (n - 1) + K <= iw && split.len() >= K * iw && w.len() >= K * K);
    let wk: [[T; K]; K] = std::array::from_fn(|kh| std::array::from_fn(|kw| w[kh * K + kw]));
    for (j, yo) in y[lo..hi].iter_mut().enumerate() {
        let mut acc = [T::ZERO; K];
        for (kh, wr) in wk.iter().enumerate() {
            for (kw, &wv) in wr.iter().enumerate() {
                // SAFETY: element q + 2j < iw of the row lands at offs[kw] + j inside the
                // row's even (ceil(iw/2)) or odd (floor(iw/2)) half, so the index is
                // < (kh + 1) * iw <= split.len().
                acc[kh] = T::mul_add::<FMA>(wv, unsafe { *split.get_unchecked(kh * iw + offs[kw] + j) }, acc[kh]);
            }
        }
        *yo = acc.iter().fold(b, |s, &v| s + v);
    }
}
