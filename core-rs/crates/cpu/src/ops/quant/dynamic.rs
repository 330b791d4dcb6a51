//! DynamicQuantizeLinear (opset 11): f32 → uint8 with a scale and zero point computed from
//! the data range widened to include 0: `scale = (max - min) / 255` (1/255 when the range
//! is empty), `zero_point = round(clamp(-min / scale, 0, 255))`, then QuantizeLinear.

use super::layout::At;
use super::quantize::quant_row_f32;
use crate::util::parallel::{for_chunks_mut, for_ranges, pool_for};
use onnxrun_core::{
    bail, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor,
};
use std::sync::Mutex;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "DynamicQuantizeLinear", 11, make));
}

fn make(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(DynamicQuantizeLinear))
}

struct DynamicQuantizeLinear;

const CHUNK: usize = 1 << 14;

/// (min, max) of `x`, NaN skipped, starting from 0 (the range always holds zero).
fn range(x: &[f32]) -> (f32, f32) {
    crate::util::broadcast::with_simd(
        #[inline(always)]
        || {
            // Sixteen independent lanes (`a < b ? a : b` is one vector min) so the loop vectorizes.
            let (mut lo, mut hi) = ([0f32; 16], [0f32; 16]);
            let mut it = x.chunks_exact(16);
            for c in &mut it {
                for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(c) {
                    *l = if v < *l { v } else { *l };
                    *h = if v > *h { v } else { *h };
                }
            }
            for &v in it.remainder() {
                lo[0] = if v < lo[0] { v } else { lo[0] };
                hi[0] = if v > hi[0] { v } else { hi[0] };
            }
            (
                lo.iter().fold(0f32, |a, &b| a.min(b)),
                hi.iter().fold(0f32, |a, &b| a.max(b)),
            )
        },
    )
}

impl Kernel for DynamicQuantizeLinear {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let x = ctx.input(0)?;
        if x.dtype() != DataType::Float {
            bail!(
                InvalidArgument,
                "{}: input x must be float, got {}",
                ctx.node.describe(),
                x.dtype()
            );
        }
        let xs = x.data::<f32>()?;
        let pool = pool_for(ctx, xs.len());
        let acc = Mutex::new((0f32, 0f32));
        let parts = xs.len().div_ceil(CHUNK);
        for_ranges(pool, parts, |r| {
            let (lo, hi) = range(&xs[r.start * CHUNK..(r.end * CHUNK).min(xs.len())]);
            if let Ok(mut a) = acc.lock() {
                a.0 = a.0.min(lo);
                a.1 = a.1.max(hi);
            }
        })?;
        let (lo, hi) = acc.into_inner().unwrap_or((0.0, 0.0));
        let scale = if lo == hi { 1.0 } else { hi - lo } / 255.0;
        let zp = (0.0 - lo / scale).clamp(0.0, 255.0).round_ties_even();
        let mut y = Tensor::zeros(DataType::Uint8, x.shape().to_vec())?;
        for_chunks_mut(pool, y.data_mut::<u8>()?, CHUNK, |i, out| {
            let xc = &xs[i * CHUNK..i * CHUNK + out.len()];
            quant_row_f32(xc, out, &[scale], &[zp], At::One(0), 0.0, 255.0);
        })?;
        ctx.set_output(0, y)?;
        // The schema declares three outputs; a node that names fewer gets only those.
        if ctx.num_outputs() > 1 {
            ctx.set_output(1, Tensor::scalar(scale))?;
        }
        if ctx.num_outputs() > 2 {
            ctx.set_output(2, Tensor::scalar(zp as u8))?;
        }
        Ok(())
    }
}
