//! Elementwise ops: Relu, Sigmoid, Tanh, Exp, and Add/Sub/Mul/Div with broadcasting
//! (shaders/elementwise.wgsl).

use super::{float_input, provider};
use crate::pipelines::Shader;
use crate::shape::{pack, to_u32, MAX_DIMS};
use onnxrun_core::broadcast::broadcast_coalesced;
use onnxrun_core::{DataType, Kernel, KernelDef, KernelRegistry, OpContext, Result};

const F32: &[DataType] = &[DataType::Float];

/// Mirrors `Shape` in elementwise.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ShapeParams {
    n: u32,
    rank: u32,
    _pad: [u32; 2],
    dims: [u32; MAX_DIMS],
    a_strides: [u32; MAX_DIMS],
    b_strides: [u32; MAX_DIMS],
}

pub(super) fn register(r: &mut KernelRegistry) {
    // Since opset 6 (unary) and 7 (binary, numpy broadcasting): the semantics these
    // kernels implement; older nodes fall to the CPU.
    r.register_all([
        KernelDef::new("", "Relu", 6, |_| Ok(Box::new(Unary("unary_relu")))).types(F32),
        KernelDef::new("", "Sigmoid", 6, |_| Ok(Box::new(Unary("unary_sigmoid")))).types(F32),
        KernelDef::new("", "Tanh", 6, |_| Ok(Box::new(Unary("unary_tanh")))).types(F32),
        KernelDef::new("", "Exp", 6, |_| Ok(Box::new(Unary("unary_exp")))).types(F32),
        KernelDef::new("", "Add", 7, |_| Ok(Box::new(Binary("binary_add")))).types(F32),
        KernelDef::new("", "Sub", 7, |_| Ok(Box::new(Binary("binary_sub")))).types(F32),
        KernelDef::new("", "Mul", 7, |_| Ok(Box::new(Binary("binary_mul")))).types(F32),
        KernelDef::new("", "Div", 7, |_| Ok(Box::new(Binary("binary_div")))).types(F32),
    ]);
}

fn groups(n: usize) -> u64 {
    (n as u64).div_ceil(256)
}

struct Unary(&'static str);

impl Kernel for Unary {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let p = provider(ctx)?;
        let x = float_input(ctx, p, 0)?;
        let out = p.uninit(DataType::Float, x.shape().to_vec())?;
        let n = x.len();
        if n > 0 {
            let params = ShapeParams { n: to_u32(n, self.0)?, rank: 0, _pad: [0; 2], dims: [0; 8], a_strides: [0; 8], b_strides: [0; 8] };
            p.gpu().dispatch(Shader::Elementwise, self.0, bytemuck::bytes_of(&params), &[(1, p.buffer(&x)?), (3, p.buffer(&out)?)], groups(n))?;
        }
        ctx.set_output(0, out)
    }
}

struct Binary(&'static str);

impl Kernel for Binary {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let p = provider(ctx)?;
        let a = float_input(ctx, p, 0)?;
        let b = float_input(ctx, p, 1)?;
        let c = broadcast_coalesced(&[a.shape(), b.shape()]).map_err(|_| {
            onnxrun_core::Error::new(
                onnxrun_core::ErrorCode::InvalidArgument,
                format!("{}: shapes {:?} and {:?} cannot be broadcast", ctx.node.describe(), a.shape(), b.shape()),
            )
        })?;
        let out = p.uninit(DataType::Float, c.shape.clone())?;
        let n = out.len();
        if n > 0 {
            let what = ctx.node.describe();
            let params = ShapeParams {
                n: to_u32(n, &what)?,
                rank: c.dims.len() as u32,
                _pad: [0; 2],
                dims: pack(&c.dims, &what)?,
                a_strides: pack(&c.strides[0], &what)?,
                b_strides: pack(&c.strides[1], &what)?,
            };
            let bufs = [(1, p.buffer(&a)?), (2, p.buffer(&b)?), (3, p.buffer(&out)?)];
            p.gpu().dispatch(Shader::Elementwise, self.0, bytemuck::bytes_of(&params), &bufs, groups(n))?;
        }
        ctx.set_output(0, out)
    }
}
