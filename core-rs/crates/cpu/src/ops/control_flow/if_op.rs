//! If: runs then_branch or else_branch. The branches may give outputs of different shapes
//! (or kinds, from opset 16 on): whatever the chosen branch gives is the output.

use super::{expect_outputs, truth};
use onnxrun_core::{FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "If", 1, if_op));
}

fn if_op(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    node.subgraph("then_branch")?;
    node.subgraph("else_branch")?;
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let cond = ctx.value(0).ok_or_else(|| onnxrun_core::err!(InvalidArgument, "{}: input 'cond' is missing", ctx.node.describe()))?;
        let branch = if truth(ctx, cond, "cond")? { "then_branch" } else { "else_branch" };
        let outs = ctx.run_subgraph(branch, vec![])?;
        expect_outputs(ctx, &outs, ctx.num_outputs(), branch)?;
        for (i, v) in outs.into_iter().enumerate() {
            ctx.set_output(i, v)?;
        }
        Ok(())
    })))
}
