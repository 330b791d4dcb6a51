//! Signal kernels: DFT, STFT, window generators and MelWeightMatrix (ai.onnx, opset 17+).

mod facts;
mod dft;
mod fft;
mod stft;
mod window;

use onnxrun_core::{ensure, KernelDef, KernelRegistry, OpContext, Result};
use window::Shape;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "DFT", 17, dft::create));
    r.register(KernelDef::new("", "STFT", 17, stft::create));
    r.register(KernelDef::new("", "HannWindow", 17, |n| window::create(n, Shape::Hann)));
    r.register(KernelDef::new("", "HammingWindow", 17, |n| window::create(n, Shape::Hamming)));
    r.register(KernelDef::new("", "BlackmanWindow", 17, |n| window::create(n, Shape::Blackman)));
    r.register(KernelDef::new("", "MelWeightMatrix", 17, window::create_mel));
    facts::register(r);
}

/// An optional integer scalar input (shape [] or [1]); None when omitted.
fn scalar_i64(ctx: &OpContext<'_>, i: usize, what: &str) -> Result<Option<i64>> {
    let Some(t) = ctx.opt_input(i)? else { return Ok(None) };
    ensure!(
        t.len() == 1 && t.rank() <= 1,
        InvalidArgument,
        "{}: {what} must be a scalar, got shape {:?}",
        ctx.node.describe(),
        t.shape()
    );
    let v = t.to_i64_vec().map_err(|e| e.context(format!("{}: {what}", ctx.node.describe())))?;
    Ok(Some(v[0]))
}
