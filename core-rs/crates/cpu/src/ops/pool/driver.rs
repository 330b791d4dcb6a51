//! The windowed-pool driver shared by MaxPool, AveragePool and LpPool, for any number of
//! spatial axes. Output rows (all spatial axes but the last fixed) are the unit of work:
//! the input rows under a row's window are first folded together column by column (a
//! contiguous, vectorizable pass), then the window slides along that one folded row. Runs
//! of output rows whose windows step one input row at a time (stride 1) fold as one long
//! slice, and with a stride-1 last axis that keeps its length they also slide as one.

use super::elem::{MaxVal, PoolElem};
use super::plan::Plan;
use crate::util::broadcast::with_simd;
use crate::util::parallel::for_chunk_ranges_mut;
use onnxrun_core::Result;
use onnxrun_linalg::ThreadPool;

/// How window elements combine: `finish(fold(comb, init, map(x)...), count)`.
pub trait Reducer<T: PoolElem>: Sync {
    /// `map` is the identity, so single input rows may be read in place.
    const IDENTITY: bool;
    /// `finish` only converts back to the element type, so windows may fold in the output.
    const PLAIN_FINISH: bool;
    fn init(&self) -> T::A;
    fn map(&self, x: T) -> T::A;
    fn comb(&self, a: T::A, b: T::A) -> T::A;
    /// A divisor factor (a count of taps) as the compute type, for `finish`.
    fn divisor(&self, count: f64) -> T::A;
    /// `row * col`: the window's divisor, the product of its row's and its column's factor
    /// (in-range taps, or taps inside the padding with count_include_pad).
    fn finish(&self, a: T::A, row: T::A, col: T::A) -> T;
}

/// Max that propagates NaN.
pub struct MaxR;

impl<T: PoolElem> Reducer<T> for MaxR
where
    T::A: MaxVal,
{
    const IDENTITY: bool = true;
    const PLAIN_FINISH: bool = true;
    #[inline(always)]
    fn init(&self) -> T::A {
        T::A::LOWEST
    }
    #[inline(always)]
    fn map(&self, x: T) -> T::A {
        x.up()
    }
    #[inline(always)]
    fn comb(&self, a: T::A, b: T::A) -> T::A {
        a.maxv(b)
    }
    #[inline(always)]
    fn divisor(&self, _: f64) -> T::A {
        T::A::LOWEST
    }
    #[inline(always)]
    fn finish(&self, a: T::A, _: T::A, _: T::A) -> T {
        T::down(a)
    }
}

/// Folded elements a block of rows may span (keeps a block's scratch in L1).
const BLOCK_ELEMS: usize = 2048;

/// Pools `x` (planes of `plan.in_plane`) into `y` (planes of `plan.out_plane`).
pub fn run<T: PoolElem, R: Reducer<T>>(red: &R, plan: &Plan, x: &[T], y: &mut [T], pool: Option<&ThreadPool>) -> Result<()> {
    let (wo, rows) = (plan.w_out, plan.out_rows);
    if wo == 0 || rows == 0 {
        return Ok(());
    }
    let block = (BLOCK_ELEMS / plan.w_in.max(wo).max(1)).max(1);
    let col_div: Vec<T::A> = plan.w_cnt.iter().map(|&c| red.divisor(c)).collect();
    let col_div = &col_div[..];
    for_chunk_ranges_mut(pool, y, wo, |range, piece| {
        let mut tmp = vec![red.init(); plan.w_in * block];
        let mut hrow = vec![red.init(); wo * block];
        let mut flat_taps = Vec::with_capacity(plan.taps.len());
        with_simd(
            #[inline(always)]
            || {
                let (mut p, mut r) = (range.start / rows, range.start % rows);
                let (mut left, mut out) = (range.len(), piece);
                while left > 0 {
                    let n = block.min(rows - r).min(left);
                    let xp = &x[p * plan.in_plane..(p + 1) * plan.in_plane];
                    let (cur, rest) = std::mem::take(&mut out).split_at_mut(n * wo);
                    let mut s = Scratch { tmp: &mut tmp, hrow: &mut hrow, flat_taps: &mut flat_taps };
                    pool_block(red, plan, col_div, xp, (r, n), &mut s, cur);
                    out = rest;
                    left -= n;
                    r += n;
                    if r == rows {
                        (p, r) = (p + 1, 0);
                    }
                }
            },
        );
    })
}

/// A task's working space: folded input rows, window results, and a block's taps.
struct Scratch<'a, A> {
    tmp: &'a mut [A],
    hrow: &'a mut [A],
    flat_taps: &'a mut Vec<(usize, usize, i64)>,
}

/// Output rows `r..r + n` of one plane: fold each row's input rows (runs of rows that step
/// one input row at a time fold as one slice), slide the windows along the folded rows (as
/// one long row when the rows line up), finish.
#[inline(always)]
fn pool_block<T: PoolElem, R: Reducer<T>>(
    red: &R,
    plan: &Plan,
    col_div: &[T::A],
    xp: &[T],
    (r, n): (usize, usize),
    s: &mut Scratch<'_, T::A>,
    out: &mut [T],
) {
    let (w, wo) = (plan.w_in, plan.w_out);
    let rows_of = |q: usize| &plan.row_off[plan.row_ptr[q]..plan.row_ptr[q + 1]];
    let whole_run = (1..n).all(|i| plan.cont[r + i]);
    let src: &[T::A] = if whole_run {
        fold_rows(red, rows_of(r), xp, n * w, &mut s.tmp[..n * w], true)
    } else {
        let mut i = 0;
        while i < n {
            let mut m = 1;
            while i + m < n && plan.cont[r + i + m] {
                m += 1;
            }
            fold_rows(red, rows_of(r + i), xp, m * w, &mut s.tmp[i * w..(i + m) * w], false);
            i += m;
        }
        &s.tmp[..n * w]
    };
    let flat = n > 1 && w == wo * plan.w_stride;
    let direct = R::PLAIN_FINISH && T::same_mut(out).is_some();
    {
        let h: &mut [T::A] = match (direct, T::same_mut(out)) {
            (true, Some(o)) => o,
            _ => &mut s.hrow[..n * wo],
        };
        if w == 0 {
            // An empty last axis padded to the kernel: every window lies in padding.
            h.fill(red.init());
        } else if flat {
            slide_flat(red, plan, src, h, n, s.flat_taps);
        } else {
            for (srow, hrow) in src.chunks_exact(w).zip(h.chunks_exact_mut(wo)) {
                slide(red, &plan.taps, plan.w_stride, srow, hrow);
            }
        }
    }
    if direct {
        return;
    }
    let h = &s.hrow[..n * wo];
    let same_rows = (1..n).all(|i| plan.row_cnt[r + i] == plan.row_cnt[r]);
    if plan.uniform_cols && same_rows && wo > 0 {
        let (rd, cd) = (red.divisor(plan.row_cnt[r]), col_div[0]);
        out.iter_mut().zip(h).for_each(|(o, &a)| *o = red.finish(a, rd, cd));
    } else {
        for (i, (orow, hrow)) in out.chunks_exact_mut(wo).zip(h.chunks_exact(wo)).enumerate() {
            let rd = red.divisor(plan.row_cnt[r + i]);
            orow.iter_mut().zip(hrow).zip(col_div).for_each(|((o, &a), &c)| *o = red.finish(a, rd, c));
        }
    }
}

/// Folds the input slices of `len` elements starting at `rows` (offsets in `xp`) into one,
/// up to three per pass (each pass writes whole contiguous slices, so it vectorizes; fewer
/// passes, less loop overhead on short rows). With `in_place`, a single slice is returned
/// as it is when it can be, instead of copied into `tmp`.
#[inline(always)]
fn fold_rows<'a, T: PoolElem, R: Reducer<T>>(red: &R, rows: &[usize], xp: &'a [T], len: usize, tmp: &'a mut [T::A], in_place: bool) -> &'a [T::A] {
    let row = |o: usize| &xp[o..o + len];
    if let ([only], true, true) = (rows, R::IDENTITY, in_place) {
        if let Some(d) = T::same(row(*only)) {
            return d;
        }
    }
    let m = |v: T| red.map(v);
    let (head, rest) = rows.split_at(rows.len().min(3));
    match head {
        [] => tmp.fill(red.init()),
        [a] => tmp.iter_mut().zip(row(*a)).for_each(|(t, &x)| *t = m(x)),
        [a, b] => tmp.iter_mut().zip(row(*a)).zip(row(*b)).for_each(|((t, &x), &y)| *t = red.comb(m(x), m(y))),
        [a, b, c, ..] => tmp
            .iter_mut()
            .zip(row(*a))
            .zip(row(*b))
            .zip(row(*c))
            .for_each(|(((t, &x), &y), &z)| *t = red.comb(red.comb(m(x), m(y)), m(z))),
    }
    let mut pairs = rest.chunks_exact(2);
    for p in &mut pairs {
        tmp.iter_mut().zip(row(p[0])).zip(row(p[1])).for_each(|((t, &x), &y)| *t = red.comb(*t, red.comb(m(x), m(y))));
    }
    if let [a] = pairs.remainder() {
        tmp.iter_mut().zip(row(*a)).for_each(|(t, &x)| *t = red.comb(*t, m(x)));
    }
    tmp
}

/// `h[o]` = fold over the taps of window `o` of the folded row `src`, one tap at a time over
/// the windows `lo..hi` that see it (at `o * s + off`). The first tap writes its windows
/// (the few it misses start empty) instead of combining into a filled row.
#[inline(always)]
fn slide<T: PoolElem, R: Reducer<T>>(red: &R, taps: &[(usize, usize, i64)], s: usize, src: &[T::A], h: &mut [T::A]) {
    let Some((&(lo, hi, off), rest)) = taps.split_first() else {
        h.fill(red.init());
        return;
    };
    h[..lo].fill(red.init());
    h[hi..].fill(red.init());
    if lo < hi {
        tap_pass::<T, R, true>(red, &mut h[lo..hi], &src[((lo * s) as i64 + off) as usize..], s);
    }
    for &(lo, hi, off) in rest {
        if lo < hi {
            tap_pass::<T, R, false>(red, &mut h[lo..hi], &src[((lo * s) as i64 + off) as usize..], s);
        }
    }
}

/// `slide` over `n` rows at once, when each folded row is exactly as long as its windows
/// step over (`w == wo * stride`): the block is then one long row, each tap one pass over
/// it. Where a tap of a border window falls outside its own row (into padding), the long
/// row would reach into the neighbouring row instead: those columns are redone, one column
/// of all `n` rows at a time.
#[inline(always)]
fn slide_flat<T: PoolElem, R: Reducer<T>>(red: &R, plan: &Plan, src: &[T::A], h: &mut [T::A], n: usize, flat: &mut Vec<(usize, usize, i64)>) {
    let (w, wo, s) = (plan.w_in, plan.w_out, plan.w_stride);
    let (total, len) = ((n * wo) as i64, (n * w) as i64);
    let si = s as i64;
    flat.clear();
    flat.extend(plan.taps.iter().map(|&(_, _, off)| {
        // Windows i with 0 <= i * s + off < len.
        let lo = if off >= 0 { 0 } else { (-off + si - 1) / si };
        let hi = if len - off <= 0 { 0 } else { ((len - off - 1) / si + 1).min(total) };
        (lo.min(hi) as usize, hi as usize, off)
    }));
    slide(red, flat, s, src, h);
    let left = plan.taps.iter().map(|t| t.0).max().unwrap_or(0).min(wo);
    let right = plan.taps.iter().map(|t| t.1).min().unwrap_or(wo).max(left);
    for o in (0..left).chain(right..wo) {
        let mut first = true;
        for &(lo, hi, off) in &plan.taps {
            if lo <= o && o < hi {
                let at = ((o * s) as i64 + off) as usize;
                let col = h[o..].iter_mut().step_by(wo).zip(src[at..].iter().step_by(w));
                if first {
                    col.for_each(|(a, &v)| *a = v);
                } else {
                    col.for_each(|(a, &v)| *a = red.comb(*a, v));
                }
                first = false;
            }
        }
        if first {
            h[o..].iter_mut().step_by(wo).for_each(|a| *a = red.init());
        }
    }
}

#[inline(always)]
fn tap_pass<T: PoolElem, R: Reducer<T>, const SET: bool>(red: &R, h: &mut [T::A], src: &[T::A], s: usize) {
    match s {
        1 => tap::<T, R, 1, SET>(red, h, src),
        2 => tap::<T, R, 2, SET>(red, h, src),
        3 => tap::<T, R, 3, SET>(red, h, src),
        4 => tap::<T, R, 4, SET>(red, h, src),
        _ => {
            for (a, &v) in h.iter_mut().zip(src.iter().step_by(s)) {
                *a = if SET { v } else { red.comb(*a, v) };
            }
        }
    }
}

/// `h[i] = comb(h[i], src[i * S])` (or `= src[i * S]`): a constant stride lets the loads
/// vectorize as an interleaved group; the last window may lack a whole chunk and is done apart.
#[inline(always)]
fn tap<T: PoolElem, R: Reducer<T>, const S: usize, const SET: bool>(red: &R, h: &mut [T::A], src: &[T::A]) {
    let m = h.len().min(src.len() / S);
    for (a, c) in h[..m].iter_mut().zip(src.chunks_exact(S)) {
        *a = if SET { c[0] } else { red.comb(*a, c[0]) };
    }
    for (i, a) in h.iter_mut().enumerate().skip(m) {
        *a = if SET { src[i * S] } else { red.comb(*a, src[i * S]) };
    }
}
