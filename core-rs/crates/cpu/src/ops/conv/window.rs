//! An N-D sliding window (kernel, strides, dilations, begin pads) over an image, and the
//! two copies convolution-as-GEMM needs: im2col gathers, for every kernel tap, the image
//! values under each output position; col2im scatter-adds such a matrix back (its
//! adjoint, used by ConvTranspose). Both walk output positions in runs along the last
//! axis, so the inner work is a slice copy (stride 1) or a strided gather.

use std::ops::{AddAssign, Range};

#[derive(Clone, Debug)]
pub(super) struct Window {
    /// Image dims (the tensor the window slides over).
    pub input: Vec<usize>,
    /// Window positions per axis.
    pub output: Vec<usize>,
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    /// Begin pads; negative for a ConvTranspose output larger than its natural size.
    pub pads: Vec<isize>,
}

impl Window {
    pub fn nd(&self) -> usize {
        self.input.len()
    }
    pub fn k_size(&self) -> usize {
        self.kernel.iter().product()
    }
    pub fn s_in(&self) -> usize {
        self.input.iter().product()
    }
    pub fn s_out(&self) -> usize {
        self.output.iter().product()
    }

    /// A 1x1 window with unit strides and no padding: the image is already the column
    /// matrix.
    pub fn is_pointwise(&self) -> bool {
        self.kernel.iter().all(|&k| k == 1) && self.strides.iter().all(|&s| s == 1) && self.pads.iter().all(|&p| p == 0)
            && self.input == self.output
    }

    /// For every kernel tap (row-major over the kernel) and axis, `tap * dilation - pad`:
    /// image coordinate = position * stride + offset.
    pub fn tap_offsets(&self) -> Vec<isize> {
        let nd = self.nd();
        let mut offs = Vec::with_capacity(self.k_size() * nd);
        let mut tap = vec![0usize; nd];
        for _ in 0..self.k_size() {
            for ((&t, &dil), &pad) in tap.iter().zip(&self.dilations).zip(&self.pads) {
                offs.push((t * dil) as isize - pad);
            }
            for d in (0..nd).rev() {
                tap[d] += 1;
                if tap[d] < self.kernel[d] {
                    break;
                }
                tap[d] = 0;
            }
        }
        offs
    }

    /// Offset in the image of the row (last axis) that window row `outer` (an index over
    /// all axes but the last) reads for a tap, or None where that row lies in the padding.
    #[inline]
    fn row_base(&self, mut outer: usize, off: &[isize]) -> Option<usize> {
        let nd = self.nd();
        let mut base = 0;
        let mut stride = self.input[nd - 1];
        for d in (0..nd - 1).rev() {
            let o = outer % self.output[d];
            outer /= self.output[d];
            let i = (o * self.strides[d]) as isize + off[d];
            if i < 0 || i >= self.input[d] as isize {
                return None;
            }
            base += i as usize * stride;
            stride *= self.input[d];
        }
        Some(base)
    }
}

/// The positions `o` in `0..n` with `0 <= o * s + off < len`, as `lo..hi` (lo <= hi).
#[inline]
pub(super) fn valid_range(n: usize, s: usize, off: isize, len: usize) -> Range<usize> {
    let lo = if off >= 0 { 0 } else { (off.unsigned_abs()).div_ceil(s) };
    let hi = if off >= len as isize { 0 } else { ((len as isize - off) as usize).div_ceil(s) };
    let lo = lo.min(n);
    lo..hi.clamp(lo, n)
}

/// Gathers window positions `range` of `channels` image planes (each `s_in` long, in
/// `x`) into `col`: row `c * k_size + tap` holds `range.len()` values, `pad` where the
/// tap falls into the padding.
pub(super) fn im2col<T: Copy>(
    win: &Window,
    offs: &[isize],
    x: &[T],
    channels: usize,
    range: Range<usize>,
    pad: T,
    col: &mut [T],
) {
    let (nd, kn, s_in, nt) = (win.nd(), win.k_size(), win.s_in(), range.len());
    let last = nd - 1;
    let (ow, iw, sw) = (win.output[last], win.input[last], win.strides[last]);
    for c in 0..channels {
        let xc = &x[c * s_in..][..s_in];
        for tap in 0..kn {
            let off = &offs[tap * nd..][..nd];
            let row = &mut col[(c * kn + tap) * nt..][..nt];
            let (mut p, mut dst) = (range.start, 0);
            while p < range.end {
                let o0 = p % ow;
                let seg = (ow - o0).min(range.end - p);
                let out = &mut row[dst..dst + seg];
                match win.row_base(p / ow, off) {
                    None => out.fill(pad),
                    Some(base) => gather_row(out, &xc[base..base + iw], o0, sw, off[last], pad),
                }
                p += seg;
                dst += seg;
            }
        }
    }
}

/// `out[j] = xrow[(o0 + j) * s + off]`, `pad` outside `xrow`.
#[inline]
fn gather_row<T: Copy>(out: &mut [T], xrow: &[T], o0: usize, s: usize, off: isize, pad: T) {
    let n = out.len();
    let r = valid_range(o0 + n, s, off, xrow.len());
    let (lo, hi) = (r.start.max(o0), r.end.max(o0));
    let (lo, hi) = (lo - o0, hi.max(lo) - o0);
    out[..lo].fill(pad);
    out[hi..].fill(pad);
    if hi > lo {
        let start = ((o0 + lo) * s) as isize + off;
        let src = &xrow[start as usize..];
        if s == 1 {
            out[lo..hi].copy_from_slice(&src[..hi - lo]);
        } else {
            for (o, v) in out[lo..hi].iter_mut().zip(src.iter().step_by(s)) {
                *o = *v;
            }
        }
    }
}

/// Adjoint of `im2col` for one image plane: adds every value of `col` (`k_size` rows of
/// `s_out` positions) to the image element its tap reads.
pub(super) fn col2im<T: Copy + AddAssign>(win: &Window, offs: &[isize], col: &[T], img: &mut [T]) {
    let (nd, kn, s_out) = (win.nd(), win.k_size(), win.s_out());
    let last = nd - 1;
    let (ow, iw, sw) = (win.output[last], win.input[last], win.strides[last]);
    if ow == 0 {
        return;
    }
    for tap in 0..kn {
        let off = &offs[tap * nd..][..nd];
        let row = &col[tap * s_out..][..s_out];
        let r = valid_range(ow, sw, off[last], iw);
        if r.is_empty() {
            continue;
        }
        for (outer, src) in row.chunks_exact(ow).enumerate() {
            let Some(base) = win.row_base(outer, off) else { continue };
            let start = (r.start * sw) as isize + off[last];
            let dst = &mut img[base + start as usize..base + iw];
            let src = &src[r.clone()];
            if sw == 1 {
                for (d, v) in dst.iter_mut().zip(src) {
                    *d += *v;
                }
            } else {
                for (d, v) in dst.iter_mut().step_by(sw).zip(src) {
                    *d += *v;
                }
            }
        }
    }
}
