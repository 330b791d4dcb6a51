//! FlexAttention (ai.onnx.preview, v1): scaled dot-product attention over rank-4 inputs
//! with optional user subgraphs that rewrite the scores before softmax (`score_mod`) and
//! the probabilities after it (`prob_mod`). Computed per (batch, query head) with GEMMs,
//! in f64 when the softmax precision is double and in f32 otherwise. Without modifier
//! graphs each head runs start to end in one task; with them, the (B, Hq, L, S) tensor is
//! materialized once per modifier and handed to the subgraph whole.

use crate::util::elems::check_size;
use crate::util::parallel::{for_chunk_ranges_mut, pool};
use crate::util::real::Acc;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor, Value};
use onnxrun_linalg::ThreadPool;
use std::borrow::Cow;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("ai.onnx.preview", "FlexAttention", 1, create));
}

const SCORE_MOD: &str = "score_mod";
const PROB_MOD: &str = "prob_mod";
/// Query rows whose scores are held at once when no modifier graph needs them all.
const ROW_BLOCK: usize = 128;

struct FlexAttention {
    scale: Option<f32>,
    /// softmax_precision when given: the element type the modifier graphs see.
    precision: Option<DataType>,
    score_mod: bool,
    prob_mod: bool,
}

fn create(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let name = node.describe();
    let scale = node.get_float("scale")?;
    if let Some(s) = scale {
        ensure!(s.is_finite(), InvalidGraph, "{name}: scale must be finite, got {s}");
    }
    let precision = match node.get_int("softmax_precision")? {
        None => None,
        Some(p) => match DataType::from_i32(p as i32) {
            Ok(dt @ (DataType::Float | DataType::Float16 | DataType::Bfloat16 | DataType::Double)) if p == dt as i64 => Some(dt),
            _ => bail!(InvalidGraph, "{name}: softmax_precision must be FLOAT (1), FLOAT16 (10), DOUBLE (11) or BFLOAT16 (16), got {p}"),
        },
    };
    let mut has = [false; 2];
    for (flag, attr) in has.iter_mut().zip([SCORE_MOD, PROB_MOD]) {
        if node.attr(attr).is_some() {
            let g = node.subgraph(attr)?;
            ensure!(
                g.num_inputs() == 1 && g.num_outputs() == 1,
                InvalidGraph,
                "{name}: {attr} must have 1 input and 1 output, has {} and {}",
                g.num_inputs(),
                g.num_outputs()
            );
            *flag = true;
        }
    }
    Ok(Box::new(FlexAttention { scale, precision, score_mod: has[0], prob_mod: has[1] }))
}

/// The two accumulation types, with what differs between them.
trait Flt: Acc + onnxrun_core::Element + onnxrun_linalg::Element {
    /// `row = softmax(row)`; `scratch` is at least as long as `row`.
    fn softmax_row(row: &mut [Self], scratch: &mut [Self]);
}

impl Flt for f32 {
    fn softmax_row(row: &mut [f32], scratch: &mut [f32]) {
        use crate::util::vecmath;
        let scratch = &mut scratch[..row.len()];
        let m = vecmath::max(row);
        let sum = vecmath::exp_store(row, m, scratch);
        row.copy_from_slice(scratch);
        vecmath::scale(row, 1.0 / sum);
    }
}

impl Flt for f64 {
    fn softmax_row(row: &mut [f64], _scratch: &mut [f64]) {
        let m = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = (*v - m).exp();
            sum += *v;
        }
        let inv = 1.0 / sum;
        row.iter_mut().for_each(|v| *v *= inv);
    }
}

/// A float tensor's elements as `A` (borrowed when already `A`).
fn load<'a, A: Flt>(t: &'a Tensor, node: &str, what: &str) -> Result<Cow<'a, [A]>> {
    if t.dtype() == <A as onnxrun_core::Element>::DTYPE {
        return Ok(Cow::Borrowed(t.data::<A>()?));
    }
    Ok(Cow::Owned(match t.dtype() {
        DataType::Float => t.data::<f32>()?.iter().map(|&v| A::from_f64(v as f64)).collect(),
        DataType::Double => t.data::<f64>()?.iter().map(|&v| A::from_f64(v)).collect(),
        DataType::Float16 => t.data::<f16>()?.iter().map(|v| A::from_f64(v.to_f64())).collect(),
        DataType::Bfloat16 => t.data::<bf16>()?.iter().map(|v| A::from_f64(v.to_f64())).collect(),
        other => bail!(InvalidArgument, "{node}: {what} has unsupported type {other:?} (float, float16, bfloat16 or double)"),
    }))
}

/// `data` as a tensor of `dtype` (a float type).
fn store<A: Flt>(dtype: DataType, shape: Vec<usize>, data: Vec<A>) -> Result<Tensor> {
    if dtype == <A as onnxrun_core::Element>::DTYPE {
        return Tensor::from_vec(shape, data);
    }
    match dtype {
        DataType::Float => Tensor::from_vec(shape, data.iter().map(|v| v.to_f64() as f32).collect::<Vec<_>>()),
        DataType::Double => Tensor::from_vec(shape, data.iter().map(|v| v.to_f64()).collect::<Vec<_>>()),
        DataType::Float16 => Tensor::from_vec(shape, data.iter().map(|v| f16::from_f64(v.to_f64())).collect::<Vec<_>>()),
        DataType::Bfloat16 => Tensor::from_vec(shape, data.iter().map(|v| bf16::from_f64(v.to_f64())).collect::<Vec<_>>()),
        other => bail!(InvalidArgument, "cannot store attention values as {other:?}"),
    }
}

/// Problem sizes: Q (B, Hq, L, E), K (B, Hkv, S, E), V (B, Hkv, S, Ev).
#[derive(Clone, Copy)]
struct Dims {
    b: usize,
    hq: usize,
    hkv: usize,
    l: usize,
    s: usize,
    e: usize,
    ev: usize,
}

impl Kernel for FlexAttention {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let q = ctx.input(0)?;
        let k = ctx.input(1)?;
        let v = ctx.input(2)?;
        for (what, t) in [("Q", q), ("K", k), ("V", v)] {
            ensure!(t.rank() == 4, InvalidArgument, "{node}: {what} must be rank 4, got shape {:?}", t.shape());
            ensure!(t.dtype() == q.dtype(), InvalidArgument, "{node}: {what} has type {:?} but Q has {:?}", t.dtype(), q.dtype());
        }
        let (qs, ks, vs) = (q.shape(), k.shape(), v.shape());
        let d = Dims { b: qs[0], hq: qs[1], hkv: ks[1], l: qs[2], s: ks[2], e: qs[3], ev: vs[3] };
        ensure!(ks[0] == d.b && vs[0] == d.b, InvalidArgument, "{node}: batch sizes differ: Q {qs:?}, K {ks:?}, V {vs:?}");
        ensure!(ks[3] == d.e, InvalidArgument, "{node}: Q and K head sizes differ: Q {qs:?}, K {ks:?}");
        ensure!(vs[1] == d.hkv && vs[2] == d.s, InvalidArgument, "{node}: K and V must share heads and sequence length: K {ks:?}, V {vs:?}");
        ensure!(
            (d.hkv > 0 && d.hq % d.hkv == 0) || (d.hq == 0 && d.hkv == 0),
            InvalidArgument,
            "{node}: Q heads ({}) must be a multiple of K/V heads ({})",
            d.hq,
            d.hkv
        );
        let dt = q.dtype();
        ensure!(
            matches!(dt, DataType::Float | DataType::Float16 | DataType::Bfloat16 | DataType::Double),
            InvalidArgument,
            "{node}: unsupported type {dt:?} (float, float16, bfloat16 or double)"
        );
        let precision = self.precision.unwrap_or(if dt == DataType::Double { DataType::Double } else { DataType::Float });
        let scale = self.scale.map_or(1.0 / (d.e as f64).sqrt(), |s| s as f64);
        let y = if precision == DataType::Double {
            self.attend::<f64>(ctx, &node, d, scale, precision)?
        } else {
            self.attend::<f32>(ctx, &node, d, scale, precision)?
        };
        ctx.set_output(0, y)
    }
}

impl FlexAttention {
    fn attend<A: Flt>(&self, ctx: &OpContext<'_>, node: &str, d: Dims, scale: f64, precision: DataType) -> Result<Tensor> {
        let Dims { b, hq, hkv, l, s, e, ev } = d;
        let q = load::<A>(ctx.input(0)?, node, "Q")?;
        let k = load::<A>(ctx.input(1)?, node, "K")?;
        let v = load::<A>(ctx.input(2)?, node, "V")?;
        let out_dtype = ctx.input(2)?.dtype();
        let out_shape = vec![b, hq, l, ev];
        check_size(<A as onnxrun_core::Element>::DTYPE, &out_shape)?;
        let (heads, sq, so) = (b * hq, l * s, l * ev);
        let group = if hkv == 0 { 1 } else { hq / hkv };
        let alpha = A::from_f64(scale);
        // The K/V block of query head `i` (GQA: a contiguous group shares one).
        let kv_of = |i: usize| (i / hq) * hkv + (i % hq) / group;
        // Scores (or output) rows r0..r0+rows of head `i`, into a (rows x S) / (rows x Ev) block.
        let scores_into = |i: usize, r0: usize, rows: usize, c: &mut [A], p: Option<&ThreadPool>| {
            let qh = &q[(i * l + r0) * e..(i * l + r0 + rows) * e];
            let kh = &k[kv_of(i) * s * e..(kv_of(i) + 1) * s * e];
            onnxrun_linalg::gemm(A::best_kernel(), p, false, true, rows, s, e, alpha, qh, e, kh, e, <A as Acc>::ZERO, c, s);
        };
        let pv_into = |i: usize, rows: usize, probs: &[A], c: &mut [A], p: Option<&ThreadPool>| {
            let vh = &v[kv_of(i) * s * ev..(kv_of(i) + 1) * s * ev];
            onnxrun_linalg::gemm(A::best_kernel(), p, false, false, rows, ev, s, <A as Acc>::ONE, probs, s, vh, ev, <A as Acc>::ZERO, c, ev);
        };
        let softmax_rows = |c: &mut [A], scratch: &mut [A]| {
            if s > 0 {
                c.chunks_exact_mut(s).for_each(|row| A::softmax_row(row, scratch));
            }
        };

        let pool = pool(ctx);
        let mut out = vec![<A as Acc>::ZERO; heads * so];
        if !self.score_mod && !self.prob_mod {
            // Each head start to end in one task, a block of query rows at a time, so the
            // scores never outgrow a (ROW_BLOCK x S) scratch.
            let rb = l.clamp(1, ROW_BLOCK);
            per_head(pool, heads, &mut out, so, rb * s + s, |i, c, scratch, p| {
                let (sc, row) = scratch.split_at_mut(rb * s);
                for r0 in (0..l).step_by(rb) {
                    let rows = rb.min(l - r0);
                    let sc = &mut sc[..rows * s];
                    scores_into(i, r0, rows, sc, p);
                    softmax_rows(sc, row);
                    pv_into(i, rows, sc, &mut c[r0 * ev..(r0 + rows) * ev], p);
                }
            })?;
        } else {
            let mut sc = vec![<A as Acc>::ZERO; check_size(<A as onnxrun_core::Element>::DTYPE, &[heads, l, s])?];
            per_head(pool, heads, &mut sc, sq, s, |i, c, row, p| {
                scores_into(i, 0, l, c, p);
                if !self.score_mod {
                    softmax_rows(c, row);
                }
            })?;
            let shape = vec![b, hq, l, s];
            if self.score_mod {
                sc = run_mod::<A>(ctx, node, SCORE_MOD, precision, &shape, sc)?;
                per_head(pool, heads, &mut sc, sq, s, |_, c, row, _| softmax_rows(c, row))?;
            }
            if self.prob_mod {
                sc = run_mod::<A>(ctx, node, PROB_MOD, precision, &shape, sc)?;
            }
            per_head(pool, heads, &mut out, so, 0, |i, c, _, p| pv_into(i, l, &sc[i * sq..(i + 1) * sq], c, p))?;
        }
        store(out_dtype, out_shape, out)
    }
}

/// Runs `f(head, chunk, scratch, gemm_pool)` for each `chunk`-long piece of `data`: heads
/// spread over the pool when there are enough of them, else one at a time with the pool
/// handed to the GEMMs. `scratch` holds `scratch_len` elements, allocated once per task.
fn per_head<A: Flt, F>(pool: Option<&ThreadPool>, heads: usize, data: &mut [A], chunk: usize, scratch_len: usize, f: F) -> Result<()>
where
    F: Fn(usize, &mut [A], &mut [A], Option<&ThreadPool>) + Sync,
{
    if heads == 0 {
        return Ok(());
    }
    if chunk == 0 {
        // Empty pieces: every caller's work for a head only fills its piece.
        return Ok(());
    }
    let across = pool.filter(|p| heads >= p.num_threads());
    let inner = if across.is_some() { None } else { pool };
    for_chunk_ranges_mut(across, data, chunk, |range, piece| {
        let mut scratch = vec![<A as Acc>::ZERO; scratch_len];
        for (i, c) in range.zip(piece.chunks_mut(chunk)) {
            f(i, c, &mut scratch, inner);
        }
    })
}

/// Hands `data` (shape `shape`) to modifier graph `attr` as a `precision` tensor and
/// takes its output back, checking it kept the shape.
fn run_mod<A: Flt>(ctx: &OpContext<'_>, node: &str, attr: &str, precision: DataType, shape: &[usize], data: Vec<A>) -> Result<Vec<A>> {
    let feed = store(precision, shape.to_vec(), data)?;
    let outs = ctx.run_subgraph(attr, vec![Value::Tensor(feed)])?;
    let n = outs.len();
    let t = match outs.into_iter().next() {
        Some(Value::Tensor(t)) if n == 1 => t,
        Some(v) if n == 1 => bail!(InvalidArgument, "{node}: {attr} must give a tensor, gave {}", v.type_info().type_string()),
        _ => bail!(InvalidArgument, "{node}: {attr} gave {n} outputs, expected 1"),
    };
    ensure!(t.shape() == shape, InvalidArgument, "{node}: {attr} changed the shape from {shape:?} to {:?}", t.shape());
    ensure!(t.dtype().is_float(), InvalidArgument, "{node}: {attr} must give a float tensor, gave {:?}", t.dtype());
    let t = if t.is_host() { t } else { t.to_owned_host()? };
    Ok(load::<A>(&t, node, attr)?.into_owned())
}
