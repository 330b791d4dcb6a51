//! MatMul (batched, broadcast batch dimensions, 1-D operands) and Gemm (transposes,
//! alpha, beta, broadcast C) on the tiled kernel in shaders/matmul.wgsl.

use super::{float_input, provider};
use crate::pipelines::Shader;
use crate::provider::WgpuProvider;
use crate::shape::{pack, to_u32, MAX_DIMS};
use onnxrun_core::broadcast::{broadcast_shape, broadcast_strides, coalesce};
use onnxrun_core::{DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

const F32: &[DataType] = &[DataType::Float];
/// Per-thread block edge for an M x N output: 64-square tiles for large outputs, smaller
/// ones where most of a large tile would fall outside the matrix.
fn block_edge(m: usize, n: usize) -> u32 {
    match m.min(n) {
        64.. => 4,
        32.. => 2,
        _ => 1,
    }
}

/// Mirrors `Params` in matmul.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MatmulParams {
    m: u32,
    n: u32,
    k: u32,
    batch: u32,
    tiles_m: u32,
    tiles_n: u32,
    batch_rank: u32,
    has_c: u32,
    a_rs: u32,
    a_cs: u32,
    b_rs: u32,
    b_cs: u32,
    c_rs: u32,
    c_cs: u32,
    alpha: f32,
    beta: f32,
    batch_dims: [u32; MAX_DIMS],
    a_bstrides: [u32; MAX_DIMS],
    b_bstrides: [u32; MAX_DIMS],
}

pub(super) fn register(r: &mut KernelRegistry) {
    r.register_all([
        KernelDef::new("", "MatMul", 1, |_| Ok(Box::new(MatMul))).types(F32),
        // Opset 7 on: C broadcasts unidirectionally (earlier Gemm had a `broadcast` flag).
        KernelDef::new("", "Gemm", 7, Gemm::create).types(F32),
    ]);
}

fn invalid(ctx: &OpContext<'_>, msg: String) -> onnxrun_core::Error {
    onnxrun_core::Error::new(onnxrun_core::ErrorCode::InvalidArgument, format!("{}: {msg}", ctx.node.describe()))
}

/// One matrix product over prepared operands; `c` is Gemm's bias with its strides.
struct Launch<'t> {
    a: &'t Tensor,
    b: &'t Tensor,
    c: Option<(&'t Tensor, usize, usize)>,
    out: &'t Tensor,
    m: usize,
    n: usize,
    k: usize,
    a_strides: (usize, usize),
    b_strides: (usize, usize),
    alpha: f32,
    beta: f32,
    batch_dims: Vec<usize>,
    a_bstrides: Vec<usize>,
    b_bstrides: Vec<usize>,
}

impl Launch<'_> {
    fn run(&self, p: &WgpuProvider, what: &str) -> Result<()> {
        let batch: usize = self.batch_dims.iter().product();
        if batch == 0 || self.m == 0 || self.n == 0 {
            return Ok(());
        }
        let tm = block_edge(self.m, self.n);
        let tile = 16 * tm as usize;
        let (tiles_m, tiles_n) = (self.m.div_ceil(tile), self.n.div_ceil(tile));
        let (c_rs, c_cs) = self.c.map(|(_, r, c)| (r, c)).unwrap_or((0, 0));
        let u = |v: usize| to_u32(v, what);
        let params = MatmulParams {
            m: u(self.m)?,
            n: u(self.n)?,
            k: u(self.k)?,
            batch: u(batch)?,
            tiles_m: u(tiles_m)?,
            tiles_n: u(tiles_n)?,
            batch_rank: self.batch_dims.len() as u32,
            has_c: self.c.is_some() as u32,
            a_rs: u(self.a_strides.0)?,
            a_cs: u(self.a_strides.1)?,
            b_rs: u(self.b_strides.0)?,
            b_cs: u(self.b_strides.1)?,
            c_rs: u(c_rs)?,
            c_cs: u(c_cs)?,
            alpha: self.alpha,
            beta: self.beta,
            batch_dims: pack(&self.batch_dims, what)?,
            a_bstrides: pack(&self.a_bstrides, what)?,
            b_bstrides: pack(&self.b_bstrides, what)?,
        };
        let a = p.buffer(self.a)?;
        // Without a bias, binding 3 still needs a buffer; A is never read through it.
        let c = match self.c {
            Some((c, _, _)) => p.buffer(c)?,
            None => a,
        };
        let groups = (batch as u64) * (tiles_m as u64) * (tiles_n as u64);
        let bufs = [(1, a), (2, p.buffer(self.b)?), (3, c), (4, p.buffer(self.out)?)];
        p.gpu().dispatch(Shader::Matmul { tm }, "matmul", bytemuck::bytes_of(&params), &bufs, groups)
    }
}

struct MatMul;

impl Kernel for MatMul {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let p = provider(ctx)?;
        let a = float_input(ctx, p, 0)?;
        let b = float_input(ctx, p, 1)?;
        if a.rank() == 0 || b.rank() == 0 {
            return Err(invalid(ctx, "MatMul inputs must have at least one dimension".into()));
        }
        // 1-D operands are promoted to matrices, and the added dimension dropped after.
        let a2: Vec<usize> = if a.rank() == 1 { vec![1, a.shape()[0]] } else { a.shape().to_vec() };
        let b2: Vec<usize> = if b.rank() == 1 { vec![b.shape()[0], 1] } else { b.shape().to_vec() };
        let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
        let (kb, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
        if k != kb {
            return Err(invalid(ctx, format!("shapes {:?} and {:?} do not agree on the inner dimension", a.shape(), b.shape())));
        }
        let (ba, bb) = (&a2[..a2.len() - 2], &b2[..b2.len() - 2]);
        let batch = broadcast_shape(&[ba, bb])
            .map_err(|_| invalid(ctx, format!("batch dimensions of {:?} and {:?} cannot be broadcast", a.shape(), b.shape())))?;
        let mut shape = batch.clone();
        if a.rank() > 1 {
            shape.push(m);
        }
        if b.rank() > 1 {
            shape.push(n);
        }
        let out = p.uninit(DataType::Float, shape)?;
        let sa = broadcast_strides(ba, batch.len(), m * k);
        let sb = broadcast_strides(bb, batch.len(), k * n);
        let (batch_dims, strides) = coalesce(&batch, &[sa, sb]);
        let what = ctx.node.describe();
        Launch {
            a: &a,
            b: &b,
            c: None,
            out: &out,
            m,
            n,
            k,
            a_strides: (k, 1),
            b_strides: (n, 1),
            alpha: 1.0,
            beta: 0.0,
            batch_dims,
            a_bstrides: strides[0].clone(),
            b_bstrides: strides[1].clone(),
        }
        .run(p, &what)?;
        ctx.set_output(0, out)
    }
}

struct Gemm {
    trans_a: bool,
    trans_b: bool,
    alpha: f32,
    beta: f32,
}

impl Gemm {
    fn create(info: &NodeInfo) -> Result<Box<dyn Kernel>> {
        Ok(Box::new(Gemm {
            trans_a: info.int_or("transA", 0)? != 0,
            trans_b: info.int_or("transB", 0)? != 0,
            alpha: info.float_or("alpha", 1.0)?,
            beta: info.float_or("beta", 1.0)?,
        }))
    }
}

impl Kernel for Gemm {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let p = provider(ctx)?;
        let a = float_input(ctx, p, 0)?;
        let b = float_input(ctx, p, 1)?;
        if a.rank() != 2 || b.rank() != 2 {
            return Err(invalid(ctx, format!("Gemm takes matrices, got shapes {:?} and {:?}", a.shape(), b.shape())));
        }
        let (m, k) = if self.trans_a { (a.shape()[1], a.shape()[0]) } else { (a.shape()[0], a.shape()[1]) };
        let (kb, n) = if self.trans_b { (b.shape()[1], b.shape()[0]) } else { (b.shape()[0], b.shape()[1]) };
        if k != kb {
            return Err(invalid(
                ctx,
                format!("A {:?} (transA={}) and B {:?} (transB={}) do not agree on K", a.shape(), self.trans_a as u8, b.shape(), self.trans_b as u8),
            ));
        }
        // A transpose is a swap of strides: A(m, k) = a[m * rs + k * cs].
        let a_strides = if self.trans_a { (1, m) } else { (k, 1) };
        let b_strides = if self.trans_b { (1, k) } else { (n, 1) };
        // beta == 0 ignores C altogether, so inf or NaN in C cannot leak (as on the CPU).
        let c = match ctx.opt_input(2)? {
            Some(_) if self.beta != 0.0 => Some(float_input(ctx, p, 2)?),
            _ => None,
        };
        // C broadcasts to [M, N]: a 0 stride along each dimension of size 1 (or absent).
        let c_strides = match &c {
            None => None,
            Some(c) => {
                let s = c.shape();
                let fits = s.len() <= 2 && broadcast_shape(&[s, &[m, n]]).is_ok_and(|b| b == [m, n]);
                if !fits {
                    return Err(invalid(ctx, format!("C of shape {s:?} does not broadcast to [{m}, {n}]")));
                }
                let st = broadcast_strides(s, 2, 1);
                Some((st[0], st[1]))
            }
        };
        let out = p.uninit(DataType::Float, vec![m, n])?;
        let what = ctx.node.describe();
        Launch {
            a: &a,
            b: &b,
            c: c.as_ref().zip(c_strides).map(|(t, (r, cs))| (t, r, cs)),
            out: &out,
            m,
            n,
            k,
            a_strides,
            b_strides,
            alpha: self.alpha,
            beta: self.beta,
            batch_dims: vec![],
            a_bstrides: vec![],
            b_bstrides: vec![],
        }
        .run(p, &what)?;
        ctx.set_output(0, out)
    }
}
