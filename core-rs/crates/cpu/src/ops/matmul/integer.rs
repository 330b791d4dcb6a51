//! MatMulInteger (opset 10): uint8/int8 operands minus their zero points, multiplied
//! with exact integer accumulation into int32. A's zero point is a scalar, one per row
//! (`[M]`), or broadcast over A's shape (`[.., M, 1]`); B's a scalar, one per column
//! (`[N]`) or `[.., 1, N]`. The product runs on dgemm: every partial sum of 8-bit
//! differences is an integer far below 2^53, so f64 holds it exactly, and the result is
//! wrapped to int32 as the spec allows.

use super::batched::MatMulPlan;
use crate::util::broadcast::Broadcast;
use crate::util::parallel::pool;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::dgemm;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "MatMulInteger", 10, make));
}

fn make(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(MatMulInteger))
}

struct MatMulInteger;

impl Kernel for MatMulInteger {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let (a, b) = (ctx.input(0)?, ctx.input(1)?);
        let (za, zb) = (ctx.opt_input(2)?, ctx.opt_input(3)?);
        let plan = MatMulPlan::new(a.shape(), b.shape()).map_err(|e| e.context(&node))?;
        let row_zp_shape = |t: &Tensor| -> Vec<usize> {
            // A 1-D per-row zero point of a matrix is its column [M, 1].
            if t.rank() == 1 && t.len() > 1 {
                vec![t.len(), 1]
            } else {
                t.shape().to_vec()
            }
        };
        let av = shifted(a, za, za.map(row_zp_shape)).map_err(|e| e.context(format!("{node}: A")))?;
        let bv = shifted(b, zb, zb.map(|t| t.shape().to_vec())).map_err(|e| e.context(format!("{node}: B")))?;
        let (m, n, k) = (plan.m, plan.n, plan.k);
        let mut out = vec![0f64; onnxrun_core::num_elements(&plan.out_shape)?];
        plan.run(pool(ctx), &av, &bv, &mut out, |p, a, b, c| dgemm(p, false, false, m, n, k, 1.0, a, k, b, n, 0.0, c, n))?;
        let y: Vec<i32> = out.into_iter().map(|v| v as i64 as i32).collect();
        ctx.set_output(0, Tensor::from_vec(plan.out_shape.clone(), y)?)
    }
}

/// `x - zero_point` as f64, the zero point (of x's type) broadcast to x's shape.
fn shifted(x: &Tensor, zp: Option<&Tensor>, zp_shape: Option<Vec<usize>>) -> Result<Vec<f64>> {
    ensure!(
        matches!(x.dtype(), DataType::Uint8 | DataType::Int8),
        InvalidArgument,
        "must be uint8 or int8, got {}",
        x.dtype()
    );
    let xs = x.to_i64_vec()?;
    let Some(zp) = zp else {
        return Ok(xs.into_iter().map(|v| v as f64).collect());
    };
    ensure!(zp.dtype() == x.dtype(), InvalidArgument, "zero point type {} differs from the data type {}", zp.dtype(), x.dtype());
    let z = zp.to_i64_vec()?;
    if z.len() == 1 {
        return Ok(xs.into_iter().map(|v| (v - z[0]) as f64).collect());
    }
    let zs = zp_shape.unwrap_or_default();
    let b = Broadcast::new(&[x.shape(), &zs]);
    match b {
        Ok(b) if b.shape() == x.shape() => Ok(xs.iter().zip(b.index_map(1)).map(|(&v, i)| (v - z[i]) as f64).collect()),
        _ => bail!(InvalidArgument, "zero point of shape {:?} does not fit data of shape {:?}", zp.shape(), x.shape()),
    }
}
