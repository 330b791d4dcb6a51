//! MatMul (numpy semantics, batched) and Gemm on cuBLAS; Gemm's C term is written by
//! gemm_bias_f32 first and accumulated into by the GEMM.

use super::{cuda, f32_input, F32};
use crate::blas::{plan_matmul, RowGemm};
use onnxrun_core::{bail, ensure, err, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result};

struct MatMul;

impl Kernel for MatMul {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let p = cuda(ctx)?;
        let (a, b) = (f32_input(ctx, 0)?, f32_input(ctx, 1)?);
        let plan = plan_matmul(a.shape(), b.shape()).map_err(|e| err!(InvalidArgument, "{}: {e}", ctx.node.describe()))?;
        let (out, y) = p.empty(DataType::Float, plan.out_shape.clone())?;
        if plan.zero_fill {
            p.zero(y, out.len() * DataType::Float.size())?;
        }
        if !plan.calls.is_empty() {
            let (pa, pb) = (p.ptr_of(a, "input A")?, p.ptr_of(b, "input B")?);
            p.bind()?;
            for call in &plan.calls {
                // SAFETY: the plan addresses only elements inside A, B and Y (tested in
                // blas.rs); the context is current; buffers outlive the queued GEMM.
                unsafe { p.blas().sgemm(call, pa, pb, y) }.map_err(|e| e.context(ctx.node.describe()))?;
            }
        }
        ctx.set_output(0, out)
    }
}

fn matmul(_: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(MatMul))
}

struct Gemm {
    alpha: f32,
    beta: f32,
    trans_a: bool,
    trans_b: bool,
}

/// Row and column strides of C broadcast (unidirectionally) to [m, n].
fn bias_strides(c: &[usize], m: usize, n: usize) -> std::result::Result<(u64, u64), String> {
    let (cr, cc) = match c {
        [] => (1, 1),
        [x] => (1, *x),
        [r, x] => (*r, *x),
        _ => return Err(format!("C must have rank <= 2, got shape {c:?}")),
    };
    if !(cr == 1 || cr == m) || !(cc == 1 || cc == n) {
        return Err(format!("C of shape {c:?} does not broadcast to the output shape [{m}, {n}]"));
    }
    let row = if cr == 1 { 0 } else { cc as u64 };
    let col = if cc == 1 { 0 } else { 1 };
    Ok((row, col))
}

impl Kernel for Gemm {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let p = cuda(ctx)?;
        let node = ctx.node.describe();
        let (a, b) = (f32_input(ctx, 0)?, f32_input(ctx, 1)?);
        ensure!(a.rank() == 2 && b.rank() == 2, InvalidArgument, "{node}: A and B must be 2-D, got shapes {:?} and {:?}", a.shape(), b.shape());
        let (m, k) = if self.trans_a { (a.shape()[1], a.shape()[0]) } else { (a.shape()[0], a.shape()[1]) };
        let (kb, n) = if self.trans_b { (b.shape()[1], b.shape()[0]) } else { (b.shape()[0], b.shape()[1]) };
        ensure!(
            k == kb,
            InvalidArgument,
            "{node}: inner dimensions differ: op(A) is [{m}, {k}], op(B) is [{kb}, {n}] (transA={}, transB={})",
            self.trans_a as i32,
            self.trans_b as i32
        );
        let c = match ctx.opt_input(2)? {
            Some(c) if c.dtype() != DataType::Float => bail!(InvalidArgument, "{node}: input C must be tensor(float), got tensor({})", c.dtype()),
            other => other,
        };
        let (out, y) = p.empty(DataType::Float, vec![m, n])?;
        if m * n == 0 {
            return ctx.set_output(0, out);
        }
        let mut beta = 0.0f32;
        if let Some(c) = c.filter(|_| self.beta != 0.0) {
            let (rs, cs) = bias_strides(c.shape(), m, n).map_err(|e| err!(InvalidArgument, "{node}: {e}"))?;
            p.launcher().gemm_bias(m as u64, n as u64, p.ptr_of(c, "input C")?, rs, cs, self.beta, y)?;
            beta = 1.0; // y already holds beta * C
        }
        if k == 0 {
            if beta == 0.0 {
                p.zero(y, m * n * DataType::Float.size())?;
            }
            return ctx.set_output(0, out);
        }
        let call = RowGemm { trans_a: self.trans_a, trans_b: self.trans_b, alpha: self.alpha, beta, ..RowGemm::single(m, n, k) };
        let (pa, pb) = (p.ptr_of(a, "input A")?, p.ptr_of(b, "input B")?);
        p.bind()?;
        // SAFETY: A, B and Y hold [m,k]/[k,m], [k,n]/[n,k] and [m,n] floats as checked
        // above; the context is current; buffers outlive the queued GEMM.
        unsafe { p.blas().sgemm(&call, pa, pb, y) }.map_err(|e| e.context(&node))?;
        ctx.set_output(0, out)
    }
}

fn gemm(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(Gemm {
        alpha: node.float_or("alpha", 1.0)?,
        beta: node.float_or("beta", 1.0)?,
        trans_a: node.int_or("transA", 0)? != 0,
        trans_b: node.int_or("transB", 0)? != 0,
    }))
}

pub(super) fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "MatMul", 1, matmul).types(F32));
    // Opset 7 replaced Gemm's `broadcast` attribute with unidirectional broadcasting of C.
    r.register(KernelDef::new("", "Gemm", 7, gemm).types(F32));
}

#[cfg(test)]
mod tests {
    use super::bias_strides;

    #[test]
    fn bias_broadcast_strides() {
        assert_eq!(bias_strides(&[3, 5], 3, 5), Ok((5, 1)));
        assert_eq!(bias_strides(&[5], 3, 5), Ok((0, 1)));
        assert_eq!(bias_strides(&[1, 5], 3, 5), Ok((0, 1)));
        assert_eq!(bias_strides(&[3, 1], 3, 5), Ok((1, 0)));
        assert_eq!(bias_strides(&[], 3, 5), Ok((0, 0)));
        assert_eq!(bias_strides(&[1], 3, 5), Ok((0, 0)));
        assert!(bias_strides(&[4], 3, 5).is_err());
        assert!(bias_strides(&[2, 3, 5], 3, 5).is_err());
    }
}
