//! Add, Sub, Mul, Div (numpy broadcasting) and Relu, Sigmoid, Tanh: one launch each on
//! the kernels of binary.cu and unary.cu.

use super::{cuda, f32_input, F32};
use crate::broadcast::plan_binary;
use onnxrun_core::{err, DataType, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result};

fn binary(ctx: &mut OpContext<'_>, same: &str, bcast: &str) -> Result<()> {
    let p = cuda(ctx)?;
    let (a, b) = (f32_input(ctx, 0)?, f32_input(ctx, 1)?);
    let plan = plan_binary(a.shape(), b.shape()).map_err(|e| err!(InvalidArgument, "{}: {e}", ctx.node.describe()))?;
    let (out, y) = p.empty(DataType::Float, plan.out_shape.clone())?;
    let n = out.len() as u64;
    if n > 0 {
        let (pa, pb) = (p.ptr_of(a, "input A")?, p.ptr_of(b, "input B")?);
        let l = p.launcher();
        if plan.is_same() {
            l.binary_same(same, n, pa, pb, y)?;
        } else {
            let d = plan.descriptor().map_err(|e| err!(NotImplemented, "{}: {e}", ctx.node.describe()))?;
            l.binary_bcast(bcast, n, &d, pa, pb, y)?;
        }
    }
    ctx.set_output(0, out)
}

fn unary(ctx: &mut OpContext<'_>, kernel: &str) -> Result<()> {
    let p = cuda(ctx)?;
    let x = f32_input(ctx, 0)?;
    let (out, y) = p.empty(DataType::Float, x.shape().to_vec())?;
    let n = out.len() as u64;
    if n > 0 {
        p.launcher().unary(kernel, n, p.ptr_of(x, "input X")?, y)?;
    }
    ctx.set_output(0, out)
}

macro_rules! kernel_fn {
    ($name:ident, $body:expr) => {
        fn $name(_: &NodeInfo) -> Result<Box<dyn Kernel>> {
            Ok(Box::new(FnKernel($body)))
        }
    };
}

kernel_fn!(add, |c: &mut OpContext<'_>| binary(c, "add_same_f32", "add_bcast_f32"));
kernel_fn!(sub, |c: &mut OpContext<'_>| binary(c, "sub_same_f32", "sub_bcast_f32"));
kernel_fn!(mul, |c: &mut OpContext<'_>| binary(c, "mul_same_f32", "mul_bcast_f32"));
kernel_fn!(div, |c: &mut OpContext<'_>| binary(c, "div_same_f32", "div_bcast_f32"));
kernel_fn!(relu, |c: &mut OpContext<'_>| unary(c, "relu_f32"));
kernel_fn!(sigmoid, |c: &mut OpContext<'_>| unary(c, "sigmoid_f32"));
kernel_fn!(tanh, |c: &mut OpContext<'_>| unary(c, "tanh_f32"));

pub(super) fn register(r: &mut KernelRegistry) {
    // Opset 7 introduced numpy broadcasting (earlier versions had broadcast/axis
    // attributes); opset 6 dropped the legacy consumed_inputs attribute of activations.
    r.register(KernelDef::new("", "Add", 7, add).types(F32));
    r.register(KernelDef::new("", "Sub", 7, sub).types(F32));
    r.register(KernelDef::new("", "Mul", 7, mul).types(F32));
    r.register(KernelDef::new("", "Div", 7, div).types(F32));
    r.register(KernelDef::new("", "Relu", 6, relu).types(F32));
    r.register(KernelDef::new("", "Sigmoid", 6, sigmoid).types(F32));
    r.register(KernelDef::new("", "Tanh", 6, tanh).types(F32));
}
