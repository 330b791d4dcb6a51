//! Linear and cubic resize (antialiased or not) for numeric types. Interpolation is
//! separable, so each output is a weighted sum along one axis at a time.
//!
//! The common case, where only the last two axes change (NCHW images), runs as one fused
//! pass per (H, W) plane: each needed input row is resized horizontally once into a small
//! row cache, and every output row is a weighted sum of cached rows, a contiguous loop.
//! Tasks take contiguous ranges of output rows, so the cache carries over between rows.
//! When other axes change too, the tensor goes through one pass per changed axis in the
//! accumulator type, shrinking axes first.

use super::nearest::fill_extrapolated;
use super::table::AxisMap;
use crate::ops::image::Px;
use crate::util::elems::check_size;
use crate::util::parallel::for_chunk_ranges_mut;
use crate::util::real::Acc;
use onnxrun_core::{bail, DataType, Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub(super) fn run(pool: Option<&ThreadPool>, x: &Tensor, maps: &[AxisMap], ev: f64) -> Result<Tensor> {
    let dt = x.dtype();
    crate::dispatch_numeric!(dt, T => run_t::<T>(pool, x, maps, ev), else bail!(
        InvalidArgument,
        "linear/cubic interpolation needs a numeric input, got {dt}"
    ))
}

/// An axis map with weights in the accumulator type.
struct Taps<A> {
    len_in: usize,
    len_out: usize,
    taps: usize,
    idx: Vec<usize>,
    w: Vec<A>,
    identity: bool,
}

impl<A: Acc> Taps<A> {
    fn new(m: &AxisMap) -> Taps<A> {
        Taps {
            len_in: m.len_in,
            len_out: m.len_out,
            taps: m.taps,
            idx: m.idx.clone(),
            w: m.w.iter().map(|&w| A::from_f64(w)).collect(),
            identity: m.identity,
        }
    }
    fn unit() -> Taps<A> {
        Taps { len_in: 1, len_out: 1, taps: 1, idx: vec![0], w: vec![A::ONE], identity: true }
    }
}

fn run_t<T: Px>(pool: Option<&ThreadPool>, x: &Tensor, maps: &[AxisMap], ev: f64) -> Result<Tensor>
where
    T::A: Px<A = T::A>,
{
    let r = maps.len();
    let out_shape: Vec<usize> = maps.iter().map(|m| m.len_out).collect();
    let mut y = Tensor::zeros(x.dtype(), out_shape)?;
    let src = x.data::<T>()?;
    let dst = y.data_mut::<T>()?;
    if dst.is_empty() {
        return Ok(y);
    }
    let plane_from = r.saturating_sub(2);
    if maps[..plane_from].iter().all(|m| m.identity) {
        let hm = if r >= 2 { Taps::new(&maps[r - 2]) } else { Taps::unit() };
        let wm = Taps::new(&maps[r - 1]);
        let planes: usize = maps[..plane_from].iter().map(|m| m.len_in).product();
        plane::<T>(pool, src, dst, planes, &hm, &wm)?;
    } else {
        multi_axis::<T>(pool, x, src, dst, maps)?;
    }
    if maps.iter().any(|m| m.any_extrap()) {
        let v = T::store(T::A::from_f64(ev));
        fill_extrapolated(dst, maps, &v);
    }
    Ok(y)
}

/// Resizes the last two axes of `planes` stacked (H, W) planes in one pass.
fn plane<T: Px>(pool: Option<&ThreadPool>, src: &[T], dst: &mut [T], planes: usize, hm: &Taps<T::A>, wm: &Taps<T::A>) -> Result<()> {
    let (h_in, w_in, h_out, w_out) = (hm.len_in, wm.len_in, hm.len_out, wm.len_out);
    let nh = hm.taps;
    let plane_in = h_in * w_in;
    debug_assert_eq!(src.len(), planes * plane_in);
    for_chunk_ranges_mut(pool, dst, w_out, |rows, piece| {
        let zero = T::A::ZERO;
        // Horizontally resized input rows, keyed by (plane, input row).
        let mut cache = vec![zero; nh * w_out];
        let mut keys = vec![usize::MAX; nh];
        let mut acc = vec![zero; w_out];
        let mut slots: Vec<(usize, T::A)> = Vec::with_capacity(nh);
        for (k, out_row) in rows.zip(piece.chunks_mut(w_out)) {
            let (p, oy) = (k / h_out, k % h_out);
            let plane_src = &src[p * plane_in..(p + 1) * plane_in];
            if hm.identity {
                hrow(&mut acc, &plane_src[oy * w_in..(oy + 1) * w_in], wm);
                store_row(out_row, &acc);
                continue;
            }
            let iy = &hm.idx[oy * nh..(oy + 1) * nh];
            let wy = &hm.w[oy * nh..(oy + 1) * nh];
            slots.clear();
            for (&iy_t, &wy_t) in iy.iter().zip(wy) {
                if wy_t == zero {
                    continue;
                }
                let key = p * h_in + iy_t;
                let s = match keys.iter().position(|&kk| kk == key) {
                    Some(s) => s,
                    None => {
                        // A slot this row does not need: its key is none of this row's rows.
                        let s = (0..nh)
                            .find(|&s| keys[s] == usize::MAX || !iy.iter().any(|&i| p * h_in + i == keys[s]))
                            .expect("a row needs at most `taps` distinct input rows");
                        hrow(&mut cache[s * w_out..(s + 1) * w_out], &plane_src[iy_t * w_in..(iy_t + 1) * w_in], wm);
                        keys[s] = key;
                        s
                    }
                };
                slots.push((s, wy_t));
            }
            let row = |s: usize| &cache[s * w_out..(s + 1) * w_out];
            match slots.as_slice() {
                [] => out_row.fill(T::store(zero)),
                &[(s0, w0)] => {
                    for (d, &a) in out_row.iter_mut().zip(row(s0)) {
                        *d = T::store(w0 * a);
                    }
                }
                &[(s0, w0), (s1, w1)] => {
                    for ((d, &a), &b) in out_row.iter_mut().zip(row(s0)).zip(row(s1)) {
                        *d = T::store(w0 * a + w1 * b);
                    }
                }
                many => {
                    acc.fill(zero);
                    for &(s, w) in many {
                        for (a, &v) in acc.iter_mut().zip(row(s)) {
                            *a += w * v;
                        }
                    }
                    store_row(out_row, &acc);
                }
            }
        }
    })
}

fn store_row<T: Px>(out: &mut [T], acc: &[T::A]) {
    for (d, &a) in out.iter_mut().zip(acc) {
        *d = T::store(a);
    }
}

/// One input row resized along the last axis into `dst` (accumulator type).
#[inline]
fn hrow<T: Px>(dst: &mut [T::A], src: &[T], wm: &Taps<T::A>) {
    if wm.identity {
        for (d, &v) in dst.iter_mut().zip(src) {
            *d = v.load();
        }
        return;
    }
    match wm.taps {
        2 => {
            for ((d, i), w) in dst.iter_mut().zip(wm.idx.chunks_exact(2)).zip(wm.w.chunks_exact(2)) {
                *d = w[0] * src[i[0]].load() + w[1] * src[i[1]].load();
            }
        }
        4 => {
            for ((d, i), w) in dst.iter_mut().zip(wm.idx.chunks_exact(4)).zip(wm.w.chunks_exact(4)) {
                *d = w[0] * src[i[0]].load() + w[1] * src[i[1]].load() + w[2] * src[i[2]].load() + w[3] * src[i[3]].load();
            }
        }
        n => {
            for ((d, i), w) in dst.iter_mut().zip(wm.idx.chunks_exact(n)).zip(wm.w.chunks_exact(n)) {
                let mut a = T::A::ZERO;
                for (&i, &w) in i.iter().zip(w) {
                    a += w * src[i].load();
                }
                *d = a;
            }
        }
    }
}

/// General case: one separable pass per changed axis, in the accumulator type.
fn multi_axis<T: Px>(pool: Option<&ThreadPool>, x: &Tensor, src: &[T], dst: &mut [T], maps: &[AxisMap]) -> Result<()>
where
    T::A: Px<A = T::A>,
{
    let mut order: Vec<usize> = (0..maps.len()).filter(|&a| !maps[a].identity).collect();
    order.sort_by(|&a, &b| {
        let ra = maps[a].len_out as f64 / maps[a].len_in as f64;
        let rb = maps[b].len_out as f64 / maps[b].len_in as f64;
        ra.total_cmp(&rb)
    });
    let mut shape = x.shape().to_vec();
    let acc_dt = if std::mem::size_of::<T::A>() == 8 { DataType::Double } else { DataType::Float };
    check_size(acc_dt, &shape)?;
    let mut cur: Vec<T::A> = src.iter().map(|v| v.load()).collect();
    for (step, &ax) in order.iter().enumerate() {
        let m = Taps::<T::A>::new(&maps[ax]);
        let outer: usize = shape[..ax].iter().product();
        let inner: usize = shape[ax + 1..].iter().product();
        shape[ax] = m.len_out;
        if step + 1 == order.len() {
            axis_pass::<T::A, T>(pool, &cur, dst, outer, inner, &m)?;
        } else {
            let n = check_size(acc_dt, &shape)?;
            let mut next = vec![T::A::ZERO; n];
            axis_pass::<T::A, T::A>(pool, &cur, &mut next, outer, inner, &m)?;
            cur = next;
        }
    }
    Ok(())
}

/// Resizes the middle axis of a [outer, len_in, inner] tensor: each output slice of
/// `inner` elements is a weighted sum of input slices.
fn axis_pass<S: Px, D: Px<A = S::A>>(pool: Option<&ThreadPool>, src: &[S], dst: &mut [D], _outer: usize, inner: usize, m: &Taps<S::A>) -> Result<()> {
    let n = m.taps;
    for_chunk_ranges_mut(pool, dst, inner, |slices, piece| {
        let mut acc = vec![S::A::ZERO; inner];
        for (s, out) in slices.zip(piece.chunks_mut(inner)) {
            let (b, o) = (s / m.len_out, s % m.len_out);
            acc.fill(S::A::ZERO);
            for (&i, &w) in m.idx[o * n..(o + 1) * n].iter().zip(&m.w[o * n..(o + 1) * n]) {
                if w == S::A::ZERO {
                    continue;
                }
                let base = (b * m.len_in + i) * inner;
                for (a, &v) in acc.iter_mut().zip(&src[base..base + inner]) {
                    *a += w * v.load();
                }
            }
            for (d, &a) in out.iter_mut().zip(&acc) {
                *d = D::store(a);
            }
        }
    })
}
