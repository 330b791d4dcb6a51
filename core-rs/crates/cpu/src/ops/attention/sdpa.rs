//! ONNX `Attention` (opsets 23-25): scaled dot-product attention over 3-D or 4-D Q/K/V
//! with grouped-query heads, a bool or additive mask, causal and sliding-window masks,
//! softcap, an internal KV cache (past/present) or an external one (`nonpad_kv_seqlen`),
//! and the optional `qk_matmul_output`. This file resolves attributes, shapes and
//! operands; `sdpa_core` does the arithmetic and `sdpa_mask` turns the mask into a bias.

#[path = "sdpa_core.rs"]
mod core;
#[path = "sdpa_few_rows.rs"]
mod few_rows;
#[path = "sdpa_mask.rs"]
mod mask;

use self::core::{attend, rnd, Comp, Keep, Problem, QkMode, Rnd, SoftPrec, ToBf16, ToF16, View};
use crate::util::elems::check_size;
use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::util::real::{Acc, Real};
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, DataType, Element, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;
use std::borrow::Cow;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Attention", 23, make));
}

struct Attention {
    q_heads: Option<usize>,
    kv_heads: Option<usize>,
    scale: Option<f32>,
    causal: bool,
    softcap: f32,
    qk_mode: QkMode,
    softmax_precision: Option<SoftPrec>,
    window: (i64, i64),
    /// Opset 24 added `nonpad_kv_seqlen` (input 6).
    has_nonpad_input: bool,
    /// Opset 25 forbids the head-count attributes with 4-D inputs.
    strict_heads: bool,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let at = node.describe();
    let heads = |name: &str| -> Result<Option<usize>> {
        match node.get_int(name)? {
            None => Ok(None),
            Some(h) if h > 0 => Ok(Some(h as usize)),
            Some(h) => bail!(InvalidGraph, "{at}: attribute '{name}' must be positive, got {h}"),
        }
    };
    let q_heads = heads("q_num_heads")?;
    let kv_heads = heads("kv_num_heads")?;
    if let (Some(q), Some(kv)) = (q_heads, kv_heads) {
        ensure!(q % kv == 0, InvalidGraph, "{at}: q_num_heads ({q}) must be a multiple of kv_num_heads ({kv})");
    }
    let causal = node.int_or("is_causal", 0)?;
    ensure!(causal == 0 || causal == 1, InvalidGraph, "{at}: is_causal must be 0 or 1, got {causal}");
    let qk_mode = match node.int_or("qk_matmul_output_mode", 0)? {
        0 => QkMode::Raw,
        1 => QkMode::Softcapped,
        2 => QkMode::Biased,
        3 => QkMode::Probs,
        m => bail!(InvalidGraph, "{at}: qk_matmul_output_mode must be 0, 1, 2 or 3, got {m}"),
    };
    let softmax_precision = match node.get_int("softmax_precision")? {
        None => None,
        Some(1) => Some(SoftPrec::F32),
        Some(10) => Some(SoftPrec::F16),
        Some(11) => Some(SoftPrec::F64),
        Some(16) => Some(SoftPrec::Bf16),
        Some(p) => bail!(InvalidGraph, "{at}: softmax_precision must be 1 (float), 10 (float16), 11 (double) or 16 (bfloat16), got {p}"),
    };
    let scale = node.get_float("scale")?;
    if let Some(s) = scale {
        ensure!(s.is_finite() && s > 0.0, InvalidGraph, "{at}: scale must be a positive number, got {s}");
    }
    // Only a positive softcap applies (0, the default, and negative values disable it).
    let softcap = node.float_or("softcap", 0.0)?;
    let window = if node.opset >= 25 {
        let w = (node.int_or("left_window_size", -1)?, node.int_or("right_window_size", -1)?);
        ensure!(w.0 >= -1 && w.1 >= -1, InvalidGraph, "{at}: window sizes must be >= -1, got left {} right {}", w.0, w.1);
        w
    } else {
        (-1, -1)
    };
    let has_nonpad_input = node.opset >= 24;
    ensure!(
        has_nonpad_input || !node.has_input(6),
        InvalidGraph,
        "{at}: nonpad_kv_seqlen (input 6) needs opset 24 or later, the model has {}",
        node.opset
    );
    ensure!(node.has_input(4) == node.has_input(5), InvalidGraph, "{at}: past_key and past_value must be given together");
    ensure!(
        !(node.has_input(6) && node.has_input(4)),
        InvalidGraph,
        "{at}: nonpad_kv_seqlen (external cache) cannot be combined with past_key/past_value"
    );
    Ok(Box::new(Attention {
        q_heads,
        kv_heads,
        scale,
        causal: causal == 1,
        softcap,
        qk_mode,
        softmax_precision,
        window,
        has_nonpad_input,
        strict_heads: node.opset >= 25,
    }))
}

/// Resolved sizes. `three_d`: Q/K/V (and Y) are [batch, seq, heads * head_size].
#[derive(Clone, Copy, Debug)]
struct Dims {
    batch: usize,
    q_heads: usize,
    kv_heads: usize,
    q_len: usize,
    kv_new: usize,
    past: usize,
    head: usize,
    v_head: usize,
    three_d: bool,
}

impl Dims {
    fn total(&self) -> usize {
        self.past + self.kv_new
    }
}

impl Attention {
    fn dims(&self, at: &str, q: &Tensor, k: &Tensor, v: &Tensor, past: Option<(&Tensor, &Tensor)>) -> Result<Dims> {
        let (qs, ks, vs) = (q.shape(), k.shape(), v.shape());
        ensure!(
            (qs.len() == 3 || qs.len() == 4) && ks.len() == qs.len() && vs.len() == qs.len(),
            InvalidArgument,
            "{at}: Q, K and V must all be 3-D or all 4-D, got shapes {qs:?}, {ks:?}, {vs:?}"
        );
        let three_d = qs.len() == 3;
        let d = if three_d {
            let (Some(hq), Some(hkv)) = (self.q_heads, self.kv_heads) else {
                bail!(InvalidArgument, "{at}: 3-D inputs need the q_num_heads and kv_num_heads attributes");
            };
            ensure!(qs[2] % hq == 0, InvalidArgument, "{at}: Q hidden size {} is not a multiple of q_num_heads {hq}", qs[2]);
            ensure!(vs[2] % hkv == 0, InvalidArgument, "{at}: V hidden size {} is not a multiple of kv_num_heads {hkv}", vs[2]);
            let head = qs[2] / hq;
            ensure!(
                ks[2] == hkv * head,
                InvalidArgument,
                "{at}: K hidden size {} must be kv_num_heads ({hkv}) x the Q head size ({head})",
                ks[2]
            );
            Dims { batch: qs[0], q_heads: hq, kv_heads: hkv, q_len: qs[1], kv_new: ks[1], past: 0, head, v_head: vs[2] / hkv, three_d }
        } else {
            if self.strict_heads {
                ensure!(
                    self.q_heads.is_none() && self.kv_heads.is_none(),
                    InvalidArgument,
                    "{at}: q_num_heads and kv_num_heads must not be set for 4-D inputs"
                );
            }
            for (attr, given, got) in [("q_num_heads", self.q_heads, qs[1]), ("kv_num_heads", self.kv_heads, ks[1])] {
                if let Some(h) = given {
                    ensure!(h == got, InvalidArgument, "{at}: {attr} is {h} but the 4-D input has {got} heads");
                }
            }
            ensure!(ks[3] == qs[3], InvalidArgument, "{at}: K head size {} differs from Q head size {}", ks[3], qs[3]);
            ensure!(vs[1] == ks[1], InvalidArgument, "{at}: V has {} heads but K has {}", vs[1], ks[1]);
            Dims {
                batch: qs[0],
                q_heads: qs[1],
                kv_heads: ks[1],
                q_len: qs[2],
                kv_new: ks[2],
                past: 0,
                head: qs[3],
                v_head: vs[3],
                three_d,
            }
        };
        let mut d = d;
        ensure!(ks[0] == d.batch && vs[0] == d.batch, InvalidArgument, "{at}: batch sizes differ: Q {qs:?}, K {ks:?}, V {vs:?}");
        let v_len = if three_d { vs[1] } else { vs[2] };
        ensure!(v_len == d.kv_new, InvalidArgument, "{at}: K has {} positions but V has {v_len}", d.kv_new);
        ensure!(
            d.kv_heads > 0 && d.q_heads % d.kv_heads == 0,
            InvalidArgument,
            "{at}: the {} query heads cannot be grouped over {} key/value heads",
            d.q_heads,
            d.kv_heads
        );
        if let Some((pk, pv)) = past {
            let (a, b) = (pk.shape(), pv.shape());
            ensure!(
                a.len() == 4 && a[0] == d.batch && a[1] == d.kv_heads && a[3] == d.head,
                InvalidArgument,
                "{at}: past_key must be [{}, {}, past_len, {}], got {a:?}",
                d.batch,
                d.kv_heads,
                d.head
            );
            ensure!(
                b.len() == 4 && b[0] == d.batch && b[1] == d.kv_heads && b[2] == a[2] && b[3] == d.v_head,
                InvalidArgument,
                "{at}: past_value must be [{}, {}, {}, {}], got {b:?}",
                d.batch,
                d.kv_heads,
                a[2],
                d.v_head
            );
            d.past = a[2];
        }
        Ok(d)
    }
}

impl Kernel for Attention {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let at = ctx.node.describe();
        let (q, k, v) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
        let mask = ctx.opt_input(3)?;
        let (pk, pv) = (ctx.opt_input(4)?, ctx.opt_input(5)?);
        let nonpad = if self.has_nonpad_input { ctx.opt_input(6)? } else { None };
        let past = match (pk, pv) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => None,
            _ => bail!(InvalidArgument, "{at}: past_key and past_value must be given together"),
        };
        ensure!(nonpad.is_none() || past.is_none(), InvalidArgument, "{at}: nonpad_kv_seqlen cannot be combined with past_key/past_value");
        let dt = q.dtype();
        ensure!(
            matches!(dt, DataType::Float | DataType::Double | DataType::Float16 | DataType::Bfloat16),
            InvalidArgument,
            "{at}: Q must be float, double, float16 or bfloat16, got {dt}"
        );
        for (name, t) in [("K", Some(k)), ("V", Some(v)), ("past_key", pk), ("past_value", pv)] {
            if let Some(t) = t {
                ensure!(
                    t.dtype() == dt,
                    NotImplemented,
                    "{at}: {name} is {} but Q is {dt}; mixed element types are not supported",
                    t.dtype()
                );
            }
        }
        let d = self.dims(&at, q, k, v, past)?;
        let nonpad = match nonpad {
            None => None,
            Some(n) => {
                ensure!(
                    n.dtype() == DataType::Int64 && n.shape() == [d.batch],
                    InvalidArgument,
                    "{at}: nonpad_kv_seqlen must be int64 of shape [{}], got {} {:?}",
                    d.batch,
                    n.dtype(),
                    n.shape()
                );
                Some(n.data::<i64>()?.to_vec())
            }
        };
        let ops = Operands { q, k, v, mask, past, nonpad };
        match dt {
            DataType::Float => self.run::<f32, f32, Keep>(ctx, &d, ops),
            DataType::Double => self.run::<f64, f64, Keep>(ctx, &d, ops),
            DataType::Float16 => self.run::<f16, f32, ToF16>(ctx, &d, ops),
            DataType::Bfloat16 => self.run::<bf16, f32, ToBf16>(ctx, &d, ops),
            _ => bail!(InvalidArgument, "{at}: Q must be a float type, got {dt}"),
        }
    }
}

struct Operands<'a> {
    q: &'a Tensor,
    k: &'a Tensor,
    v: &'a Tensor,
    mask: Option<&'a Tensor>,
    past: Option<(&'a Tensor, &'a Tensor)>,
    nonpad: Option<Vec<i64>>,
}

/// The cache of `new` (3-D or 4-D, `width` per head) after `past` ([b, h, p, width]), as
/// [b, h, p + s, width], copied on the pool (for decoding it is most of the work).
fn present<T: Element>(past: Option<&Tensor>, new: &Tensor, d: &Dims, width: usize, pool: Option<&ThreadPool>) -> Result<Tensor> {
    let (h, p, s) = (d.kv_heads, d.past, d.kv_new);
    let shape = vec![d.batch, h, p + s, width];
    check_size(T::DTYPE, &shape)?;
    let mut out = Tensor::zeros(T::DTYPE, shape)?;
    let past = match past {
        Some(t) => Some(t.data::<T>()?),
        None => None,
    };
    let new = new.data::<T>()?;
    for_chunks_mut(pool, out.data_mut::<T>()?, (p + s) * width, |bh, o| {
        let (bi, hi) = (bh / h.max(1), bh % h.max(1));
        let (old, fresh) = o.split_at_mut(p * width);
        if let Some(past) = past {
            old.copy_from_slice(&past[bh * p * width..(bh + 1) * p * width]);
        }
        if d.three_d {
            for (si, row) in fresh.chunks_mut(width.max(1)).enumerate() {
                let start = (bi * s + si) * h * width + hi * width;
                row.copy_from_slice(&new[start..start + width]);
            }
        } else {
            fresh.copy_from_slice(&new[bh * s * width..(bh + 1) * s * width]);
        }
    })?;
    Ok(out)
}

/// `t` in the compute type: borrowed when it already is (then `mul` is folded into the
/// GEMM's alpha), else widened, times `mul` rounded back to the input type when given.
fn comp_src<'a, T: Real<A = C>, C: Comp, R: Rnd>(t: &'a Tensor, mul: Option<C>) -> Result<Cow<'a, [C]>> {
    if R::EXACT {
        return Ok(Cow::Borrowed(t.data::<C>()?));
    }
    let x = t.data::<T>()?;
    Ok(Cow::Owned(match mul {
        Some(s) => x.iter().map(|&v| rnd::<C, R>(v.to_acc() * s)).collect(),
        None => x.iter().map(|&v| v.to_acc()).collect(),
    }))
}

fn to_tensor<T: Real<A = C>, C: Comp, R: Rnd>(shape: Vec<usize>, v: Vec<C>) -> Result<Tensor> {
    if R::EXACT {
        Tensor::from_vec(shape, v)
    } else {
        Tensor::from_vec(shape, v.into_iter().map(T::from_acc).collect::<Vec<T>>())
    }
}

impl Attention {
    fn run<T: Real<A = C> + Element, C: Comp, R: Rnd>(&self, ctx: &mut OpContext<'_>, d: &Dims, ops: Operands<'_>) -> Result<()> {
        let at = ctx.node.describe();
        let total = d.total();
        let dt = T::DTYPE;
        let scale = self.scale.map_or(1.0 / (d.head as f64).sqrt(), |s| s as f64);
        // Half types scale Q and K each by sqrt(scale) in their own type, as the op is
        // defined; f32/f64 fold the whole scale into the GEMM.
        let (qk_mul, alpha) = if !R::EXACT { (Some(C::from_f64(R::r(scale.sqrt()))), <C as Acc>::ONE) } else { (None, C::from_f64(scale)) };

        // Present caches: built when there is a past (they are then what we attend over)
        // or when asked for.
        let want_pk = ctx.output_required(1);
        let want_pv = ctx.output_required(2);
        let copy_pool = pool_for(ctx, [d.kv_heads, total, d.head + d.v_head].iter().fold(d.batch, |a, &x| a.saturating_mul(x)));
        let cache = |new: &Tensor, past: Option<&Tensor>, width: usize| -> Result<Tensor> {
            if past.is_none() && !d.three_d {
                return Ok(new.clone());
            }
            present::<T>(past, new, d, width, copy_pool)
        };
        let (pk, pv) = match ops.past {
            Some((a, b)) => (Some(cache(ops.k, Some(a), d.head)?), Some(cache(ops.v, Some(b), d.v_head)?)),
            None => (
                if want_pk { Some(cache(ops.k, None, d.head)?) } else { None },
                if want_pv { Some(cache(ops.v, None, d.v_head)?) } else { None },
            ),
        };

        let q_src = comp_src::<T, C, R>(ops.q, qk_mul)?;
        let q_view = input_view(&q_src, d, d.q_heads, d.q_len, d.head);
        let (k_src, v_src);
        let (k_view, v_view) = if ops.past.is_some() {
            k_src = comp_src::<T, C, R>(pk.as_ref().unwrap_or(ops.k), qk_mul)?;
            v_src = comp_src::<T, C, R>(pv.as_ref().unwrap_or(ops.v), None)?;
            (cache_view(&k_src, d, d.head), cache_view(&v_src, d, d.v_head))
        } else {
            k_src = comp_src::<T, C, R>(ops.k, qk_mul)?;
            v_src = comp_src::<T, C, R>(ops.v, None)?;
            (input_view(&k_src, d, d.kv_heads, d.kv_new, d.head), input_view(&v_src, d, d.kv_heads, d.kv_new, d.v_head))
        };

        let mask_bias = match ops.mask {
            Some(m) => Some(mask::bias::<C>(&at, m, [d.batch, d.q_heads, d.q_len, total])?),
            None => None,
        };
        let offsets: Vec<i64> = (0..d.batch)
            .map(|b| match &ops.nonpad {
                _ if ops.past.is_some() => d.past as i64,
                Some(n) => n[b].saturating_sub(d.q_len as i64),
                None => 0,
            })
            .collect();
        let want_qk = ctx.output_required(3);
        let softmax = self.softmax_precision.unwrap_or(match dt {
            DataType::Float16 => SoftPrec::F16,
            DataType::Bfloat16 => SoftPrec::Bf16,
            DataType::Double => SoftPrec::F64,
            _ => SoftPrec::F32,
        });
        let problem = Problem {
            batch: d.batch,
            q_heads: d.q_heads,
            kv_heads: d.kv_heads,
            q_len: d.q_len,
            kv_len: total,
            head: d.head,
            v_head: d.v_head,
            q: q_view,
            k: k_view,
            v: v_view,
            mask: mask_bias.as_ref().map(|m| m.view()),
            alpha,
            softcap: (self.softcap > 0.0).then(|| rnd::<C, R>(C::from_f64(self.softcap as f64))),
            causal: self.causal,
            offsets,
            nonpad: ops.nonpad.clone(),
            window: self.window,
            qk_mode: want_qk.then_some(self.qk_mode),
            softmax,
            y_3d: d.three_d,
        };

        let y_shape = if d.three_d { vec![d.batch, d.q_len, d.q_heads * d.v_head] } else { vec![d.batch, d.q_heads, d.q_len, d.v_head] };
        let mut y = vec![<C as Acc>::ZERO; check_size(dt, &y_shape)?];
        let qk_shape = vec![d.batch, d.q_heads, d.q_len, total];
        let mut qk = if want_qk { Some(vec![<C as Acc>::ZERO; check_size(dt, &qk_shape)?]) } else { None };
        let work = [d.q_heads, d.q_len, total, d.head + d.v_head].iter().fold(d.batch, |a, &x| a.saturating_mul(x));
        let pool = pool_for(ctx, work);
        attend::<C, R>(&problem, pool, &mut y, qk.as_deref_mut())?;
        drop(problem);

        ctx.set_output(0, to_tensor::<T, C, R>(y_shape, y)?)?;
        if let (true, Some(t)) = (want_pk, pk) {
            ctx.set_output(1, t)?;
        }
        if let (true, Some(t)) = (want_pv, pv) {
            ctx.set_output(2, t)?;
        }
        if let Some(qk) = qk {
            ctx.set_output(3, to_tensor::<T, C, R>(qk_shape, qk)?)?;
        }
        Ok(())
    }
}

/// A Q/K/V input as given: [b, s, heads*width] (3-D) or [b, heads, s, width].
fn input_view<'a, C>(data: &'a [C], d: &Dims, heads: usize, len: usize, width: usize) -> View<'a, C> {
    if d.three_d {
        View { data, bs: len * heads * width, hs: width, ld: heads * width }
    } else {
        View { data, bs: heads * len * width, hs: len * width, ld: width }
    }
}

/// A present cache: [b, kv_heads, total, width].
fn cache_view<'a, C>(data: &'a [C], d: &Dims, width: usize) -> View<'a, C> {
    let t = d.total();
    View { data, bs: d.kv_heads * t * width, hs: t * width, ld: width }
}
