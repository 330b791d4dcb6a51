//! The attention arithmetic, once the inputs are resolved: for each (batch, query head,
//! block of query rows), scores = Q·Kᵀ through the GEMM, then softcap, bias, softmax and
//! the fully-masked-row guard row by row, then P·V through the GEMM again. Units run in
//! parallel on the provider's pool; each writes disjoint rows of the outputs.
//!
//! Half-precision inputs are computed in f32 but rounded to their type after every step
//! the ONNX definition performs in that type (scaled Q and K, QK, softcap, bias add, each
//! softmax step, P), so results match the reference bit for bit; the products themselves
//! accumulate in f32.

use crate::util::real::Acc;
use crate::util::vecmath;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{Element, Result};
use onnxrun_linalg::ThreadPool;

/// The compute type: f32 (for f32, f16, bf16 inputs) or f64.
pub(super) trait Comp: Acc + Element + onnxrun_linalg::Element {
    fn tanh(self) -> Self;
    /// Numerically stable softmax of `x` into `p`, in this type's own precision.
    fn softmax(x: &[Self], p: &mut [Self]);
}

impl Comp for f32 {
    #[inline(always)]
    fn tanh(self) -> f32 {
        f32::tanh(self)
    }
    fn softmax(x: &[f32], p: &mut [f32]) {
        let m = vecmath::max(x);
        if m == f32::NEG_INFINITY {
            // Every score is -inf: no key to attend, all probabilities zero.
            p.fill(0.0);
            return;
        }
        let s = vecmath::exp_store(x, m, p);
        vecmath::scale(p, 1.0 / s);
    }
}

impl Comp for f64 {
    #[inline(always)]
    fn tanh(self) -> f64 {
        f64::tanh(self)
    }
    fn softmax(x: &[f64], p: &mut [f64]) {
        softmax_emulated::<f64, Keep>(x, p);
    }
}

/// Rounding to a narrower float type, applied in f64.
pub(super) trait Rnd: Send + Sync + 'static {
    /// No rounding at all (the value's own type).
    const EXACT: bool;
    /// Sums are rounded after every addition (as bfloat16 arithmetic does in the reference).
    const SEQ_SUM: bool = false;
    fn r(x: f64) -> f64;
}

pub(super) struct Keep;
pub(super) struct ToF16;
pub(super) struct ToBf16;
pub(super) struct ToF32;

impl Rnd for Keep {
    const EXACT: bool = true;
    #[inline(always)]
    fn r(x: f64) -> f64 {
        x
    }
}
impl Rnd for ToF16 {
    const EXACT: bool = false;
    #[inline(always)]
    fn r(x: f64) -> f64 {
        f16::from_f64(x).to_f64()
    }
}
impl Rnd for ToBf16 {
    const EXACT: bool = false;
    const SEQ_SUM: bool = true;
    #[inline(always)]
    fn r(x: f64) -> f64 {
        bf16::from_f64(x).to_f64()
    }
}
impl Rnd for ToF32 {
    const EXACT: bool = false;
    #[inline(always)]
    fn r(x: f64) -> f64 {
        x as f32 as f64
    }
}

/// `x` rounded by `R` (a no-op for `Keep`).
#[inline(always)]
pub(super) fn rnd<C: Comp, R: Rnd>(x: C) -> C {
    if R::EXACT {
        x
    } else {
        C::from_f64(R::r(x.to_f64()))
    }
}

/// Softmax computed in f64 and rounded by `R` after each step: the input, x - max, exp,
/// the sum, and the quotient.
fn softmax_emulated<C: Comp, R: Rnd>(x: &[C], p: &mut [C]) {
    let mut m = f64::NEG_INFINITY;
    for &v in x {
        let v = R::r(v.to_f64());
        if v > m {
            m = v;
        }
    }
    if m == f64::NEG_INFINITY {
        p.fill(<C as Acc>::ZERO);
        return;
    }
    let mut sum = 0f64;
    for (o, &v) in p.iter_mut().zip(x) {
        let e = R::r(R::r(R::r(v.to_f64()) - m).exp());
        sum = if R::SEQ_SUM { R::r(sum + e) } else { sum + e };
        *o = C::from_f64(e);
    }
    let sum = R::r(sum);
    for o in p.iter_mut() {
        *o = C::from_f64(R::r(o.to_f64() / sum));
    }
}

/// The precision the softmax runs in (`softmax_precision`, else the input type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SoftPrec {
    F16,
    Bf16,
    F32,
    F64,
}

fn softmax_in<C: Comp>(prec: SoftPrec, x: &[C], p: &mut [C]) {
    let native = match prec {
        SoftPrec::F32 => C::DTYPE == onnxrun_core::DataType::Float,
        SoftPrec::F64 => C::DTYPE == onnxrun_core::DataType::Double,
        _ => false,
    };
    if native {
        return C::softmax(x, p);
    }
    match prec {
        SoftPrec::F16 => softmax_emulated::<C, ToF16>(x, p),
        SoftPrec::Bf16 => softmax_emulated::<C, ToBf16>(x, p),
        SoftPrec::F32 => softmax_emulated::<C, ToF32>(x, p),
        SoftPrec::F64 => softmax_emulated::<C, Keep>(x, p),
    }
}

/// A [batch, head, row, col] operand: element (b, h, s, d) at `b*bs + h*hs + s*ld + d`.
pub(super) struct View<'a, C> {
    pub data: &'a [C],
    pub bs: usize,
    pub hs: usize,
    pub ld: usize,
}

impl<'a, C> View<'a, C> {
    /// Everything from row `s` of head `h` in batch `b` on (what the GEMM reads with `ld`).
    fn from(&self, b: usize, h: usize, s: usize) -> &'a [C] {
        &self.data[b * self.bs + h * self.hs + s * self.ld..]
    }
}

/// The additive mask, broadcast over [batch, q_head, q_row]: row (b, h, i) starts at
/// `b*sb + h*sh + i*si` and holds `len` keys; keys past `len` are masked out.
pub(super) struct MaskView<'a, C> {
    pub data: &'a [C],
    pub sb: usize,
    pub sh: usize,
    pub si: usize,
    pub len: usize,
}

/// What `qk_matmul_output` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum QkMode {
    /// Scaled Q·Kᵀ.
    Raw,
    /// After softcap.
    Softcapped,
    /// After softcap and the bias.
    Biased,
    /// The (guarded) softmax.
    Probs,
}

pub(super) struct Problem<'a, C> {
    pub batch: usize,
    pub q_heads: usize,
    pub kv_heads: usize,
    pub q_len: usize,
    /// Keys in all (past + new).
    pub kv_len: usize,
    pub head: usize,
    pub v_head: usize,
    pub q: View<'a, C>,
    pub k: View<'a, C>,
    pub v: View<'a, C>,
    pub mask: Option<MaskView<'a, C>>,
    /// Multiplies Q·Kᵀ (the scale, unless already folded into Q and K).
    pub alpha: C,
    /// `softcap` when positive, rounded to the input type.
    pub softcap: Option<C>,
    pub causal: bool,
    /// Per batch, the number of keys before the query block (causal and window alignment).
    pub offsets: Vec<i64>,
    /// Per batch, the valid key count (`nonpad_kv_seqlen`).
    pub nonpad: Option<Vec<i64>>,
    /// Sliding window (left, right); -1 = unbounded.
    pub window: (i64, i64),
    pub qk_mode: Option<QkMode>,
    pub softmax: SoftPrec,
    /// Y is [batch, q_len, q_heads * v_head] instead of [batch, q_heads, q_len, v_head].
    pub y_3d: bool,
}

impl<C> Problem<'_, C> {
    /// Keys `lo..hi` that query row `i` of batch `b` may attend before the mask's values
    /// (causal, window, padding, and the mask's length).
    fn key_range(&self, b: usize, i: usize) -> (usize, usize) {
        let t = self.kv_len as i64;
        let (mut lo, mut hi) = (0i64, t);
        if let Some(m) = &self.mask {
            hi = hi.min(m.len as i64);
        }
        if let Some(n) = &self.nonpad {
            hi = hi.min(n[b]);
        }
        let pos = i as i64 + self.offsets[b];
        if self.causal {
            hi = hi.min(pos.saturating_add(1));
        }
        let (left, right) = self.window;
        if left >= 0 {
            lo = lo.max(pos.saturating_sub(left));
        }
        if right >= 0 {
            hi = hi.min(pos.saturating_add(right).saturating_add(1));
        }
        let lo = lo.clamp(0, t);
        let hi = hi.clamp(lo, t);
        (lo as usize, hi as usize)
    }
}

/// Output memory written by several tasks, each to its own rows.
struct Out<C>(*mut C, usize);
// SAFETY: tasks write disjoint rows (one unit = one (batch, head, row block)), and the
// buffer outlives the parallel loop that uses it.
unsafe impl<C: Send> Sync for Out<C> {}
unsafe impl<C: Send> Send for Out<C> {}

impl<C: Copy> Out<C> {
    fn new(v: &mut [C]) -> Self {
        Out(v.as_mut_ptr(), v.len())
    }
    fn write(&self, off: usize, src: &[C]) {
        assert!(off + src.len() <= self.1, "attention output write out of bounds");
        // SAFETY: in bounds (checked), and no other task writes these elements.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), self.0.add(off), src.len()) }
    }
}

#[allow(clippy::too_many_arguments)]
fn gemm<C: Comp>(trans_b: bool, m: usize, n: usize, k: usize, alpha: C, a: &[C], lda: usize, b: &[C], ldb: usize, c: &mut [C], ldc: usize) {
    if k == 0 {
        for row in c.chunks_mut(ldc).take(m) {
            row[..n].fill(<C as Acc>::ZERO);
        }
        return;
    }
    onnxrun_linalg::gemm(C::best_kernel(), None, false, trans_b, m, n, k, alpha, a, lda, b, ldb, <C as Acc>::ZERO, c, ldc);
}

/// Query rows per unit of work: enough to keep the GEMM efficient, few enough to give
/// every thread several units and keep the score block small.
fn block_rows(p: &Problem<'_, impl Sized>, stacked: usize, threads: usize) -> usize {
    let groups = (p.batch * p.kv_heads).max(1);
    let per_group = (threads * 4).div_ceil(groups).max(1);
    let by_threads = stacked.div_ceil(per_group).max(16);
    let by_memory = ((1usize << 18) / p.kv_len.max(1)).max(1);
    by_threads.min(by_memory).min(256).min(stacked).max(1)
}

/// Scratch of one task.
struct Scratch<C> {
    q: Vec<C>,
    scores: Vec<C>,
    probs: Vec<C>,
    y: Vec<C>,
    /// Per row: (query head, query position, first key, end key).
    rows: Vec<(usize, usize, usize, usize)>,
}

/// Runs attention, writing Y (`y`, in the layout `y_3d` says) and `qk_matmul_output`
/// ([batch, q_heads, q_len, kv_len]) when asked. `R` rounds to the input type.
///
/// A unit of work is a block of the query rows that share one key/value head (all the
/// query heads of a group, stacked), so K and V are read once per group, not per head.
pub(super) fn attend<C: Comp, R: Rnd>(p: &Problem<'_, C>, pool: Option<&ThreadPool>, y: &mut [C], qk: Option<&mut [C]>) -> Result<()> {
    if p.batch == 0 || p.q_heads == 0 || p.q_len == 0 {
        return Ok(());
    }
    let rep = p.q_heads / p.kv_heads;
    let stacked = rep * p.q_len;
    let threads = pool.map_or(1, |t| t.num_threads());
    let block = block_rows(p, stacked, threads);
    let blocks = stacked.div_ceil(block);
    let units = p.batch * p.kv_heads * blocks;
    let y_out = Out::new(y);
    let qk_out = qk.map(Out::new);
    crate::util::parallel::for_ranges(pool, units, |range| {
        let cols = p.kv_len.max(1);
        let zero = <C as Acc>::ZERO;
        let mut sc = Scratch {
            q: vec![zero; block * p.head],
            scores: vec![zero; block * cols],
            probs: vec![zero; block * cols],
            y: vec![zero; block * p.v_head],
            rows: Vec::with_capacity(block),
        };
        for u in range {
            let blk = u % blocks;
            let g = (u / blocks) % p.kv_heads;
            let b = u / (blocks * p.kv_heads);
            sc.rows.clear();
            for r in blk * block..((blk + 1) * block).min(stacked) {
                let (h, i) = (g * rep + r / p.q_len, r % p.q_len);
                let (lo, hi) = p.key_range(b, i);
                sc.rows.push((h, i, lo, hi));
            }
            unit::<C, R>(p, b, g, &mut sc, &y_out, qk_out.as_ref());
        }
    })
}

fn unit<C: Comp, R: Rnd>(p: &Problem<'_, C>, b: usize, g: usize, sc: &mut Scratch<C>, y_out: &Out<C>, qk_out: Option<&Out<C>>) {
    let rows = sc.rows.len();
    let t = p.kv_len;
    let (d, dv) = (p.head, p.v_head);
    // Columns computed: all keys when qk_matmul_output is wanted, else only those some
    // row may attend (causal and padding cut the rest).
    let (c0, c1) = if p.qk_mode.is_some() {
        (0, t)
    } else {
        sc.rows.iter().filter(|r| r.2 < r.3).fold((usize::MAX, 0), |(a, z), r| (a.min(r.2), z.max(r.3)))
    };
    let n = c1.saturating_sub(c0);
    let yb = &mut sc.y[..rows * dv];
    if n == 0 {
        // No key any row may attend: zero rows (qk_matmul_output, if wanted, has no columns).
        yb.fill(<C as Acc>::ZERO);
    } else {
        // The block's query rows, in place when evenly spaced (always for 4-D inputs,
        // whose heads of a group are adjacent), else gathered.
        let (h0, i0, _, _) = sc.rows[0];
        let one_head = sc.rows.iter().all(|r| r.0 == h0);
        let (qb, ldq): (&[C], usize) = if !p.y_3d || one_head {
            (p.q.from(b, h0, i0), p.q.ld)
        } else if p.q_len == 1 {
            (p.q.from(b, h0, i0), p.q.hs)
        } else {
            let qb = &mut sc.q[..rows * d];
            for (r, &(h, i, _, _)) in sc.rows.iter().enumerate() {
                qb[r * d..(r + 1) * d].copy_from_slice(&p.q.from(b, h, i)[..d]);
            }
            (qb, d)
        };
        let s = &mut sc.scores[..rows * n];
        let few = rows <= super::few_rows::MAX_ROWS && d > 0;
        if few {
            super::few_rows::scores(rows, n, d, p.alpha, qb, ldq, p.k.from(b, g, c0), p.k.ld, s);
        } else {
            gemm(true, rows, n, d, p.alpha, qb, ldq, p.k.from(b, g, c0), p.k.ld, s, n);
        }
        let probs = &mut sc.probs[..rows * n];
        for (r, &(h, i, lo, hi)) in sc.rows.iter().enumerate() {
            row::<C, R>(p, b, h, i, lo, hi, c0, &mut s[r * n..(r + 1) * n], &mut probs[r * n..(r + 1) * n], qk_out);
        }
        if few {
            super::few_rows::weighted_sum(rows, n, dv, probs, p.v.from(b, g, c0), p.v.ld, yb);
        } else {
            gemm(false, rows, dv, n, <C as Acc>::ONE, probs, n, p.v.from(b, g, c0), p.v.ld, yb, dv);
        }
        if !R::EXACT {
            yb.iter_mut().for_each(|v| *v = rnd::<C, R>(*v));
        }
    }
    for (r, &(h, i, _, _)) in sc.rows.iter().enumerate() {
        let off = if p.y_3d { (b * p.q_len + i) * p.q_heads * dv + h * dv } else { ((b * p.q_heads + h) * p.q_len + i) * dv };
        y_out.write(off, &yb[r * dv..(r + 1) * dv]);
    }
}

/// Scores `x` (keys `c0..`) of query row (b, h, i) → probabilities `pr`: softcap, bias,
/// softmax and the fully-masked guard, storing the requested qk_matmul_output stage.
#[allow(clippy::too_many_arguments)]
fn row<C: Comp, R: Rnd>(
    p: &Problem<'_, C>,
    b: usize,
    h: usize,
    i: usize,
    lo: usize,
    hi: usize,
    c0: usize,
    x: &mut [C],
    pr: &mut [C],
    qk_out: Option<&Out<C>>,
) {
    let neg_inf = <C as Acc>::NEG_INFINITY;
    if !R::EXACT {
        x.iter_mut().for_each(|v| *v = rnd::<C, R>(*v));
    }
    let store = |mode: QkMode, row: &[C]| {
        if let (Some(o), Some(m)) = (qk_out, p.qk_mode) {
            if m == mode {
                o.write(((b * p.q_heads + h) * p.q_len + i) * p.kv_len, row);
            }
        }
    };
    store(QkMode::Raw, x);
    if let Some(cap) = p.softcap {
        for v in x.iter_mut() {
            *v = rnd::<C, R>(rnd::<C, R>(rnd::<C, R>(*v / cap).tanh()) * cap);
        }
    }
    store(QkMode::Softcapped, x);
    let mask_row = p.mask.as_ref().map(|m| &m.data[b * m.sb + h * m.sh + i * m.si..][..m.len]);
    // Keys outside lo..hi get -inf (added, so a NaN score stays NaN); inside, the mask.
    let (a, z) = (lo.clamp(c0, c0 + x.len()) - c0, hi.clamp(c0, c0 + x.len()) - c0);
    let (head, rest) = x.split_at_mut(a);
    let (mid, tail) = rest.split_at_mut(z.max(a) - a);
    head.iter_mut().chain(tail.iter_mut()).for_each(|v| *v += neg_inf);
    if let Some(m) = mask_row {
        for (v, &w) in mid.iter_mut().zip(&m[c0 + a..]) {
            *v = rnd::<C, R>(*v + w);
        }
    }
    store(QkMode::Biased, x);
    // A row whose bias is -inf everywhere attends nothing: zero probabilities (not the NaN
    // a softmax of all -inf gives), decided on the bias, not the scores.
    let masked_out = lo >= hi || mask_row.is_some_and(|m| m[lo..hi].iter().all(|&v| v == neg_inf));
    if masked_out {
        pr.fill(<C as Acc>::ZERO);
    } else {
        softmax_in(p.softmax, x, pr);
        if !R::EXACT {
            pr.iter_mut().for_each(|v| *v = rnd::<C, R>(*v));
        }
    }
    store(QkMode::Probs, pr);
}
