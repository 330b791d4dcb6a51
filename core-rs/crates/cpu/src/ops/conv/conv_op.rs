//! Conv (opsets 1, 11, 22): N-D convolution with groups, dilations, strides, pads or
//! auto_pad and an optional bias, on f32/f64 directly and on f16/bf16 through f32.

use super::attrs::{check_forward_shapes, ConvAttrs};
use super::engine::{ConvElem, Forward};
use super::float::{run_float, FloatConv};
use crate::util::parallel::pool;
use onnxrun_core::{ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Conv", 1, create));
}

fn create(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let attrs = ConvAttrs::parse(node, true)?;
    attrs.check_conv_channels(node)?;
    Ok(Box::new(Conv { attrs }))
}

struct Conv {
    attrs: ConvAttrs,
}

/// Shapes of one call, checked.
struct Plan {
    win: super::window::Window,
    out_shape: Vec<usize>,
    n: usize,
    c: usize,
    m: usize,
}

impl Conv {
    fn plan(&self, x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Plan> {
        let node = &self.attrs.node;
        ensure!(
            w.dtype() == x.dtype() && b.is_none_or(|b| b.dtype() == x.dtype()),
            InvalidArgument,
            "{node}: X, W and B must share one element type, got {}, {} and {}",
            x.dtype(),
            w.dtype(),
            b.map_or("none".to_string(), |b| b.dtype().to_string())
        );
        let (n, c, m) = check_forward_shapes(&self.attrs, x.shape(), w.shape())?;
        if let Some(b) = b {
            ensure!(b.shape() == [m], InvalidArgument, "{node}: B must have shape [{m}], got {:?}", b.shape());
        }
        let nd = x.rank() - 2;
        let k = self.attrs.kernel(w.shape(), nd)?;
        let win = self.attrs.forward_window(&x.shape()[2..], k)?;
        let mut out_shape = vec![n, m];
        out_shape.extend_from_slice(&win.output);
        onnxrun_core::num_elements(&out_shape)?;
        Ok(Plan { win, out_shape, n, c, m })
    }
}

impl FloatConv for Conv {
    type Plan = Plan;

    fn run<T: ConvElem>(&self, pool: Option<&ThreadPool>, p: &Plan, x: &[T], w: &[T], b: Option<&[T]>) -> Result<Vec<T>> {
        let len = crate::util::elems::check_size(<T as onnxrun_core::Element>::DTYPE, &p.out_shape)?;
        let mut y = vec![T::ZERO; len];
        Forward { win: &p.win, batch: p.n, c_in: p.c, c_out: p.m, group: self.attrs.group, x, w, bias: b }.run(pool, &mut y)?;
        Ok(y)
    }
}

impl Kernel for Conv {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let (x, w, b) = (ctx.input(0)?, ctx.input(1)?, ctx.opt_input(2)?);
        let p = self.plan(x, w, b)?;
        let pool = pool(ctx);
        let y = run_float(self, pool, &p, &p.out_shape, (x, w, b), &self.attrs.node, "Conv")?;
        ctx.set_output(0, y)
    }
}
