//! DepthToSpace and SpaceToDepth: a reshape, a transpose and a reshape.

use super::transpose::transpose_tensor;
use crate::util::elems::AtNode;
use crate::util::parallel::pool_for;
use onnxrun_core::{bail, ensure, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "DepthToSpace", 1, depth_to_space));
    r.register(KernelDef::new("", "SpaceToDepth", 1, space_to_depth));
}

fn blocksize(node: &NodeInfo) -> Result<usize> {
    let b = node.req_int("blocksize")?;
    ensure!(b >= 1, InvalidGraph, "{}: blocksize must be >= 1, got {b}", node.describe());
    Ok(b as usize)
}

fn depth_to_space(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let b = blocksize(node)?;
    let crd = match node.string_or("mode", "DCR")?.as_str() {
        "DCR" => false,
        "CRD" => true,
        m => bail!(InvalidGraph, "{}: unknown mode '{m}'", node.describe()),
    };
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let s = x.shape();
        let bb = b.saturating_mul(b);
        ensure!(s.len() == 4 && s[1] % bb == 0, InvalidArgument, "{}: input {s:?} must be 4-D with channels divisible by {bb}", ctx.node.describe());
        let (n, c, h, w) = (s[0], s[1] / bb, s[2], s[3]);
        let (split, perm) = if crd {
            (vec![n, c, b, b, h, w], [0, 1, 4, 2, 5, 3])
        } else {
            (vec![n, b, b, c, h, w], [0, 3, 4, 1, 5, 2])
        };
        let t = transpose_tensor(&x.reshaped(split)?, &perm, pool_for(ctx, x.len())).at(ctx.node)?;
        ctx.set_output(0, t.reshaped(vec![n, c, h.saturating_mul(b), w.saturating_mul(b)])?)
    })))
}

fn space_to_depth(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let b = blocksize(node)?;
    // Opset 28 adds CRD ordering (channel-major blocks).
    let perm = match node.string_or("mode", "DCR")?.as_str() {
        "DCR" => [0, 3, 5, 1, 2, 4],
        "CRD" => [0, 1, 3, 5, 2, 4],
        m => bail!(InvalidGraph, "{}: unknown mode '{m}'", node.describe()),
    };
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let s = x.shape();
        ensure!(s.len() == 4 && s[2] % b == 0 && s[3] % b == 0, InvalidArgument, "{}: input {s:?} must be 4-D with height and width divisible by {b}", ctx.node.describe());
        let (n, c, h, w) = (s[0], s[1], s[2] / b, s[3] / b);
        let t = transpose_tensor(&x.reshaped(vec![n, c, h, b, w, b])?, &perm, pool_for(ctx, x.len())).at(ctx.node)?;
        ctx.set_output(0, t.reshaped(vec![n, c.saturating_mul(b).saturating_mul(b), h, w])?)
    })))
}
