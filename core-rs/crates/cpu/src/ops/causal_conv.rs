//! CausalConvWithState (opset 27): depthwise causal 1-D convolution that carries the last
//! k-1 input positions between calls, with an optional fused SiLU. Each (batch, channel)
//! row is independent: out[t] = bias + sum_j w[j] * padded[t + j], where padded is the
//! carried state (or zeros) followed by the input row.

use crate::util::parallel::{for_chunk_ranges_mut, pool_for};
use crate::util::real::Real;
use crate::util::vecmath::exp_f32;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "CausalConvWithState", 27, create));
    r.facts("", "CausalConvWithState", OpFacts::new(onnxrun_core::facts::rules::first_dtype));
}

struct CausalConv {
    silu: bool,
}

fn create(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let act = node.string_or("activation", "none")?;
    let silu = match act.as_str() {
        "none" => false,
        "silu" | "swish" => true,
        other => bail!(InvalidGraph, "{}: activation must be 'none', 'silu' or 'swish', got '{other}'", node.describe()),
    };
    Ok(Box::new(CausalConv { silu }))
}

/// Checked dimensions of one call.
struct Dims {
    batch: usize,
    channels: usize,
    len: usize,
    k: usize,
}

impl Kernel for CausalConv {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        let w = ctx.input(1)?;
        let bias = ctx.opt_input(2)?;
        let past = ctx.opt_input(3)?;
        ensure!(x.rank() == 3, InvalidArgument, "{node}: input must be rank 3 (batch, channels, length), got shape {:?}", x.shape());
        let (batch, channels, len) = (x.shape()[0], x.shape()[1], x.shape()[2]);
        ensure!(
            w.rank() == 3 && w.shape()[0] == channels && w.shape()[1] == 1 && w.shape()[2] >= 1,
            InvalidArgument,
            "{node}: weight must have shape ({channels}, 1, k) with k >= 1, got {:?}",
            w.shape()
        );
        let k = w.shape()[2];
        let dt = x.dtype();
        let named = [("weight", Some(w)), ("bias", bias), ("past_state", past)];
        for (name, t) in named {
            if let Some(t) = t {
                ensure!(t.dtype() == dt, InvalidArgument, "{node}: {name} has type {:?} but input has {:?}", t.dtype(), dt);
            }
        }
        if let Some(b) = bias {
            ensure!(b.shape() == [channels], InvalidArgument, "{node}: bias must have shape ({channels}), got {:?}", b.shape());
        }
        if let Some(p) = past {
            ensure!(
                p.shape() == [batch, channels, k - 1],
                InvalidArgument,
                "{node}: past_state must have shape ({batch}, {channels}, {}), got {:?}",
                k - 1,
                p.shape()
            );
        }
        let d = Dims { batch, channels, len, k };
        let pool = pool_for(ctx, [batch, channels, len, k].iter().fold(1usize, |a, &x| a.saturating_mul(x)));
        let (out, present) = match dt {
            DataType::Float => run::<f32>(x, w, bias, past, &d, self.silu, pool)?,
            DataType::Float16 => run::<onnxrun_core::half::f16>(x, w, bias, past, &d, self.silu, pool)?,
            DataType::Bfloat16 => run::<onnxrun_core::half::bf16>(x, w, bias, past, &d, self.silu, pool)?,
            other => bail!(InvalidArgument, "{node}: unsupported input type {other:?} (float, float16 or bfloat16)"),
        };
        ctx.set_output(0, out)?;
        ctx.set_output(1, present)
    }
}

fn run<T: Real<A = f32>>(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    past: Option<&Tensor>,
    d: &Dims,
    silu: bool,
    pool: Option<&onnxrun_linalg::ThreadPool>,
) -> Result<(Tensor, Tensor)> {
    let Dims { batch, channels, len, k } = *d;
    let xs = x.data::<T>()?;
    let ws: Vec<f32> = w.data::<T>()?.iter().map(|v| v.to_acc()).collect();
    let bs: Option<Vec<f32>> = bias.map(|b| b.data::<T>().map(|v| v.iter().map(|x| x.to_acc()).collect())).transpose()?;
    let ps = past.map(|p| p.data::<T>()).transpose()?;
    let carry = k - 1;
    let rows = batch * channels;

    let mut out = Tensor::zeros(T::DTYPE, vec![batch, channels, len])?;
    if len > 0 {
        let os = out.data_mut::<T>()?;
        for_chunk_ranges_mut(pool, os, len, |range, piece| {
            // Scratch reused across this task's rows: the padded row and the sums.
            let mut padded = vec![0f32; carry + len];
            let mut acc = vec![0f32; len];
            for (row, o) in range.zip(piece.chunks_mut(len)) {
                let c = row % channels;
                match ps {
                    Some(p) => {
                        for (dst, &v) in padded[..carry].iter_mut().zip(&p[row * carry..(row + 1) * carry]) {
                            *dst = v.to_acc();
                        }
                    }
                    None => padded[..carry].fill(0.0),
                }
                for (dst, &v) in padded[carry..].iter_mut().zip(&xs[row * len..(row + 1) * len]) {
                    *dst = v.to_acc();
                }
                let b0 = bs.as_ref().map_or(0.0, |b| b[c]);
                let taps = &ws[c * k..(c + 1) * k];
                match T::f32s_mut(o) {
                    Some(o) => conv_row(&padded, taps, b0, silu, o),
                    None => {
                        conv_row(&padded, taps, b0, false, &mut acc);
                        for (dst, &a) in o.iter_mut().zip(acc.iter()) {
                            // Round to the element type before the activation, as the
                            // spec's Conv-then-SiLU decomposition does.
                            let y = T::from_acc(a);
                            *dst = if silu { T::from_acc(silu_f32(y.to_acc())) } else { y };
                        }
                    }
                }
            }
        })?;
    }

    // present_state: the last k-1 positions of [carry, input].
    let mut present = Tensor::zeros(T::DTYPE, vec![batch, channels, carry])?;
    if carry > 0 {
        let pr = present.data_mut::<T>()?;
        for row in 0..rows {
            let dst = &mut pr[row * carry..(row + 1) * carry];
            for (i, slot) in dst.iter_mut().enumerate() {
                let pos = len + i; // index into the padded row
                *slot = if pos >= carry {
                    xs[row * len + pos - carry]
                } else {
                    ps.map_or(T::from_acc(0.0), |p| p[row * carry + pos])
                };
            }
        }
    }
    Ok((out, present))
}

#[inline(always)]
fn silu_f32(v: f32) -> f32 {
    v / (1.0 + exp_f32(-v))
}

/// `out[t] = bias + sum_j taps[j] * padded[t + j]`, then SiLU when asked. Compiled for
/// AVX2+FMA too, picked at run time.
fn conv_row(padded: &[f32], taps: &[f32], bias: f32, silu: bool, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if onnxrun_linalg::gemm::active_tier() == onnxrun_linalg::Tier::Fma {
        // SAFETY: the Fma tier is only active when the CPU has AVX2 and FMA.
        return unsafe { conv_row_fma(padded, taps, bias, silu, out) };
    }
    conv_row_body::<false>(padded, taps, bias, silu, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn conv_row_fma(padded: &[f32], taps: &[f32], bias: f32, silu: bool, out: &mut [f32]) {
    conv_row_body::<true>(padded, taps, bias, silu, out)
}

#[inline(always)]
fn conv_row_body<const F: bool>(padded: &[f32], taps: &[f32], bias: f32, silu: bool, out: &mut [f32]) {
    out.fill(bias);
    // Tap-major so the inner loop runs over contiguous positions.
    for (j, &wj) in taps.iter().enumerate() {
        for (o, &p) in out.iter_mut().zip(&padded[j..]) {
            *o = if F { wj.mul_add(p, *o) } else { wj * p + *o };
        }
    }
    if silu {
        out.iter_mut().for_each(|o| *o = silu_f32(*o));
    }
}
