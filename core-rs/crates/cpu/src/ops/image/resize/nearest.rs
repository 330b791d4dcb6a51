//! Nearest-neighbour resize: a pure gather, so it moves elements of any type by their
//! storage width. Works row by row over the output's last axis: an output row whose source
//! row equals the previous one's (every repeated row when upsampling) is a copy of it, and
//! an axis grown by an integer factor k is a "repeat each element k times" loop.

use super::table::AxisMap;
use crate::util::elems::{alloc, strides, Elem};
use crate::util::parallel::for_chunk_ranges_mut;
use onnxrun_core::{Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub(super) fn run(pool: Option<&ThreadPool>, x: &Tensor, maps: &[AxisMap], ev: f64) -> Result<Tensor> {
    crate::with_elem!(x.dtype(), T => run_t::<T>(pool, x, maps, ev))
}

fn run_t<T: Elem>(pool: Option<&ThreadPool>, x: &Tensor, maps: &[AxisMap], ev: f64) -> Result<Tensor> {
    let dt = x.dtype();
    let out_shape: Vec<usize> = maps.iter().map(|m| m.len_out).collect();
    let mut dst: Vec<T> = alloc(dt, &out_shape)?;
    let src = T::view(x)?;
    let r = maps.len();
    let last = &maps[r - 1];
    let (w_in, w_out) = (last.len_in, last.len_out);
    if !dst.is_empty() {
        let in_strides = strides(x.shape());
        let outer = &maps[..r - 1];
        let repeat = repeat_factor(last);
        for_chunk_ranges_mut(pool, &mut dst, w_out, |rows, piece| {
            let mut coord = unravel(rows.start, outer);
            let mut prev: Option<usize> = None;
            for k in 0..rows.len() {
                let off: usize = outer.iter().zip(&coord).zip(&in_strides).map(|((m, &c), &s)| m.idx[c] * s).sum();
                let (done, rest) = piece.split_at_mut(k * w_out);
                let row = &mut rest[..w_out];
                if prev == Some(off) {
                    row.clone_from_slice(&done[(k - 1) * w_out..]);
                } else {
                    gather_row(row, &src[off..off + w_in], last, repeat);
                }
                prev = Some(off);
                advance(&mut coord, outer);
            }
        })?;
        if maps.iter().any(|m| m.any_extrap()) {
            let v = super::extrapolation_elem::<T>(dt, ev)?;
            fill_extrapolated(&mut dst, maps, &v);
        }
    }
    T::build(dt, out_shape, dst)
}

/// `k` when output index `o` reads input `o / k` along the axis (integer upsampling).
fn repeat_factor(m: &AxisMap) -> Option<usize> {
    if m.len_in == 0 || m.len_out % m.len_in != 0 || m.any_extrap() {
        return None;
    }
    let k = m.len_out / m.len_in;
    (k > 1 && m.idx.iter().enumerate().all(|(o, &i)| i == o / k)).then_some(k)
}

fn gather_row<T: Elem>(row: &mut [T], src: &[T], m: &AxisMap, repeat: Option<usize>) {
    if m.identity {
        row.clone_from_slice(src);
        return;
    }
    match repeat {
        Some(2) => repeat_n::<T, 2>(row, src),
        Some(4) => repeat_n::<T, 4>(row, src),
        Some(8) => repeat_n::<T, 8>(row, src),
        Some(k) => {
            for (c, v) in row.chunks_exact_mut(k).zip(src) {
                c.fill(v.clone());
            }
        }
        None => {
            for (d, &i) in row.iter_mut().zip(&m.idx) {
                *d = src[i].clone();
            }
        }
    }
}

fn repeat_n<T: Elem, const K: usize>(row: &mut [T], src: &[T]) {
    for (c, v) in row.chunks_exact_mut(K).zip(src) {
        for d in c {
            *d = v.clone();
        }
    }
}

/// Output coordinates (over `maps`' axes) of flat index `i`.
pub(super) fn unravel(mut i: usize, maps: &[AxisMap]) -> Vec<usize> {
    let mut c = vec![0; maps.len()];
    for (d, m) in maps.iter().enumerate().rev() {
        if m.len_out > 0 {
            c[d] = i % m.len_out;
            i /= m.len_out;
        }
    }
    c
}

/// Steps `c` to the next output coordinate (row-major).
pub(super) fn advance(c: &mut [usize], maps: &[AxisMap]) {
    for d in (0..c.len()).rev() {
        c[d] += 1;
        if c[d] < maps[d].len_out {
            return;
        }
        c[d] = 0;
    }
}

/// Sets every output whose source lies outside the input on some axis (tf_crop_and_resize)
/// to the extrapolation value.
pub(super) fn fill_extrapolated<T: Clone>(dst: &mut [T], maps: &[AxisMap], v: &T) {
    let r = maps.len();
    let last = &maps[r - 1];
    let outer = &maps[..r - 1];
    let mut coord = vec![0; r - 1];
    for row in dst.chunks_mut(last.len_out.max(1)) {
        if outer.iter().zip(&coord).any(|(m, &c)| m.extrap.get(c).copied().unwrap_or(false)) {
            row.fill(v.clone());
        } else if !last.extrap.is_empty() {
            for (d, &e) in row.iter_mut().zip(&last.extrap) {
                if e {
                    *d = v.clone();
                }
            }
        }
        advance(&mut coord, outer);
    }
}
