//! LinearAttention (opset 27): recurrent linear attention with a (d_k x d_v) state per KV
//! head, under one of four update rules (linear, gated, delta, gated_delta). Inputs are
//! packed (B, T, H*D); the state is (B, H_kv, d_k, d_v). Everything is computed in f32;
//! each (batch, KV head) pair is an independent task run on the pool. The per-token
//! recurrence lives in `linear_recur.rs`.

#[path = "linear_recur.rs"]
mod recur;

use crate::util::elems::check_size;
use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::util::real::Real;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use recur::{Head, Inputs};
use std::borrow::Cow;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "LinearAttention", 27, create));
}

struct LinearAttention {
    q_heads: usize,
    kv_heads: usize,
    /// 0 = 1/sqrt(d_k), fixed at run time.
    scale: f32,
    gating: bool,
    delta: bool,
}

fn create(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let name = node.describe();
    let hq = node.req_int("q_num_heads")?;
    let hkv = node.req_int("kv_num_heads")?;
    ensure!(hq > 0 && hkv > 0, InvalidGraph, "{name}: q_num_heads ({hq}) and kv_num_heads ({hkv}) must be positive");
    ensure!(hq % hkv == 0, InvalidGraph, "{name}: q_num_heads ({hq}) must be a multiple of kv_num_heads ({hkv})");
    let rule = node.string_or("update_rule", "gated_delta")?;
    let (gating, delta) = match rule.as_str() {
        "linear" => (false, false),
        "gated" => (true, false),
        "delta" => (false, true),
        "gated_delta" => (true, true),
        other => bail!(InvalidGraph, "{name}: update_rule must be 'linear', 'gated', 'delta' or 'gated_delta', got '{other}'"),
    };
    let chunk = node.int_or("chunk_size", 64)?;
    ensure!(chunk > 0, InvalidGraph, "{name}: chunk_size must be positive, got {chunk}");
    let scale = node.float_or("scale", 0.0)?;
    ensure!(scale.is_finite(), InvalidGraph, "{name}: scale must be finite, got {scale}");
    // Which optional inputs a rule needs is known from the graph: check it here.
    for (idx, input, wanted) in [(4, "decay", gating), (5, "beta", delta)] {
        ensure!(
            node.has_input(idx) == wanted,
            InvalidGraph,
            "{name}: update_rule '{rule}' {} the {input} input",
            if wanted { "requires" } else { "does not take" }
        );
    }
    Ok(Box::new(LinearAttention { q_heads: hq as usize, kv_heads: hkv as usize, scale, gating, delta }))
}

/// f32 view of a float tensor: borrowed for f32, widened for f16/bf16.
fn f32_view<'a>(t: &'a Tensor, node: &str, what: &str) -> Result<Cow<'a, [f32]>> {
    Ok(match t.dtype() {
        DataType::Float => Cow::Borrowed(t.data::<f32>()?),
        DataType::Float16 => Cow::Owned(t.data::<f16>()?.iter().map(|v| v.to_f32()).collect()),
        DataType::Bfloat16 => Cow::Owned(t.data::<bf16>()?.iter().map(|v| v.to_f32()).collect()),
        other => bail!(InvalidArgument, "{node}: {what} has unsupported type {other:?} (float, float16 or bfloat16)"),
    })
}

/// An f32 buffer as a tensor of `dtype` (f32, f16 or bf16).
fn narrow(dtype: DataType, shape: Vec<usize>, data: Vec<f32>) -> Result<Tensor> {
    match dtype {
        DataType::Float16 => Tensor::from_vec(shape, data.into_iter().map(f16::from_acc).collect::<Vec<_>>()),
        DataType::Bfloat16 => Tensor::from_vec(shape, data.into_iter().map(bf16::from_acc).collect::<Vec<_>>()),
        _ => Tensor::from_vec(shape, data),
    }
}

impl Kernel for LinearAttention {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let (hq, hkv) = (self.q_heads, self.kv_heads);
        let q = ctx.input(0)?;
        let k = ctx.input(1)?;
        let v = ctx.input(2)?;
        let past = ctx.opt_input(3)?;
        let decay = ctx.opt_input(4)?;
        let beta = ctx.opt_input(5)?;
        ensure!(decay.is_some() == self.gating, InvalidArgument, "{node}: the decay input is {}", if self.gating { "required" } else { "not taken" });
        ensure!(beta.is_some() == self.delta, InvalidArgument, "{node}: the beta input is {}", if self.delta { "required" } else { "not taken" });

        for (what, t) in [("query", q), ("key", k), ("value", v)] {
            ensure!(t.rank() == 3, InvalidArgument, "{node}: {what} must be rank 3 (B, T, H*D), got shape {:?}", t.shape());
        }
        let (b, t) = (q.shape()[0], q.shape()[1]);
        let qw = q.shape()[2];
        ensure!(qw % hq == 0, InvalidArgument, "{node}: query last dim {qw} is not divisible by q_num_heads {hq}");
        let dk = qw / hq;
        let vw = v.shape()[2];
        ensure!(vw % hkv == 0, InvalidArgument, "{node}: value last dim {vw} is not divisible by kv_num_heads {hkv}");
        let dv = vw / hkv;
        ensure!(k.shape() == [b, t, hkv * dk], InvalidArgument, "{node}: key must have shape ({b}, {t}, {}), got {:?}", hkv * dk, k.shape());
        ensure!(v.shape()[..2] == [b, t], InvalidArgument, "{node}: value must have shape ({b}, {t}, H_kv*d_v), got {:?}", v.shape());
        let dt = q.dtype();
        for (what, x) in [("key", Some(k)), ("value", Some(v)), ("decay", decay), ("beta", beta)] {
            if let Some(x) = x {
                ensure!(x.dtype() == dt, InvalidArgument, "{node}: {what} has type {:?} but query has {:?}", x.dtype(), dt);
            }
        }
        if let Some(p) = past {
            ensure!(
                p.shape() == [b, hkv, dk, dv],
                InvalidArgument,
                "{node}: past_state must have shape ({b}, {hkv}, {dk}, {dv}), got {:?}",
                p.shape()
            );
        }
        let per_key_decay = match decay {
            Some(d) if d.shape() == [b, t, hkv * dk] => true,
            Some(d) if d.shape() == [b, t, hkv] => false,
            Some(d) => bail!(
                InvalidArgument,
                "{node}: decay must have shape ({b}, {t}, {hkv}) or ({b}, {t}, {}), got {:?}",
                hkv * dk,
                d.shape()
            ),
            None => false,
        };
        let beta_per_head = match beta {
            Some(x) if x.shape() == [b, t, hkv] => true,
            Some(x) if x.shape() == [b, t, 1] => false,
            Some(x) => bail!(InvalidArgument, "{node}: beta must have shape ({b}, {t}, {hkv}) or ({b}, {t}, 1), got {:?}", x.shape()),
            None => false,
        };
        let state_dtype = past.map_or(dt, |p| p.dtype());

        let qf = f32_view(q, &node, "query")?;
        let kf = f32_view(k, &node, "key")?;
        let vf = f32_view(v, &node, "value")?;
        let pf = past.map(|p| f32_view(p, &node, "past_state")).transpose()?;
        let df = decay.map(|d| f32_view(d, &node, "decay")).transpose()?;
        let bf = beta.map(|x| f32_view(x, &node, "beta")).transpose()?;

        let group = hq / hkv;
        let scale = if self.scale == 0.0 { 1.0 / (dk as f32).sqrt() } else { self.scale };
        let head = Head { t, hq, hkv, dk, dv, group, scale, per_key_decay, beta_per_head };
        let inputs = Inputs { q: &qf, k: &kf, v: &vf, decay: df.as_deref(), beta: bf.as_deref() };

        // One work block per (batch, KV head): its state, then its outputs (T, G*d_v).
        let state_len = dk * dv;
        let block = state_len + t * group * dv;
        let out_len = check_size(DataType::Float, &[b, t, hq, dv])?;
        let mut work = vec![0f32; check_size(DataType::Float, &[b, hkv, block])?];
        let flops = [b, hkv, t, state_len, 2 + group].iter().fold(1usize, |a, &x| a.saturating_mul(x));
        let pool = pool_for(ctx, flops);
        if block > 0 {
            for_chunks_mut(pool, &mut work, block, |task, buf| {
                let (state, out) = buf.split_at_mut(state_len);
                if let Some(p) = pf.as_deref() {
                    state.copy_from_slice(&p[task * state_len..(task + 1) * state_len]);
                }
                recur::run_head(&head, &inputs, task / hkv, task % hkv, state, out);
            })?;
        }

        let mut out = vec![0f32; out_len];
        let mut present = vec![0f32; b * hkv * state_len];
        let row = group * dv;
        if block > 0 {
            for (task, blk) in work.chunks(block).enumerate() {
                let (bi, h) = (task / hkv, task % hkv);
                present[task * state_len..(task + 1) * state_len].copy_from_slice(&blk[..state_len]);
                if row > 0 {
                    for (ti, src) in blk[state_len..].chunks(row).enumerate() {
                        let at = ((bi * t + ti) * hq + h * group) * dv;
                        out[at..at + row].copy_from_slice(src);
                    }
                }
            }
        }
        ctx.set_output(0, narrow(dt, vec![b, t, hq * dv], out)?)?;
        ctx.set_output(1, narrow(state_dtype, vec![b, hkv, dk, dv], present)?)
    }
}
