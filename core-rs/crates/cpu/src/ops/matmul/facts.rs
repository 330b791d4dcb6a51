//! Facts of the matrix products: MatMul's batch dimensions broadcast (a 1-D operand gains
//! and then loses a unit dimension), Gemm's [M, N] follows the transposes.

use onnxrun_core::broadcast::broadcast_dims;
use onnxrun_core::facts::rules;
use onnxrun_core::{DataType, Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts("", "MatMul", OpFacts::new(matmul));
    r.facts("", "MatMulInteger", OpFacts::new(matmul_integer));
    r.facts("", "Gemm", OpFacts::new(gemm));
    r.facts("", "Einsum", OpFacts::new(rules::first_dtype));
    r.facts("", "Det", OpFacts::new(det));
}

/// The shape of `a @ b` by MatMul's rules.
pub(crate) fn matmul_shape(a: &[Dim], b: &[Dim]) -> Option<Vec<Dim>> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let a2: Vec<Dim> = if a.len() == 1 { vec![Dim::Known(1), a[0].clone()] } else { a.to_vec() };
    let b2: Vec<Dim> = if b.len() == 1 { vec![b[0].clone(), Dim::Known(1)] } else { b.to_vec() };
    let mut out = broadcast_dims(&[&a2[..a2.len() - 2], &b2[..b2.len() - 2]]);
    if a.len() > 1 {
        out.push(a2[a2.len() - 2].clone());
    }
    if b.len() > 1 {
        out.push(b2[b2.len() - 1].clone());
    }
    Some(out)
}

fn matmul(cx: &mut InferCtx<'_>) {
    if let Some(d) = cx.dtype(0) {
        let shape = matmul_shape(cx.shape(0).unwrap_or_default(), cx.shape(1).unwrap_or_default());
        cx.set_tensor(0, d, shape.filter(|_| cx.shape(0).is_some() && cx.shape(1).is_some()));
    }
}

fn matmul_integer(cx: &mut InferCtx<'_>) {
    let shape = match (cx.shape(0), cx.shape(1)) {
        (Some(a), Some(b)) => matmul_shape(a, b),
        _ => None,
    };
    cx.set_tensor(0, DataType::Int32, shape);
}

fn gemm(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = match (cx.shape(0), cx.shape(1)) {
        (Some(a), Some(b)) if a.len() == 2 && b.len() == 2 => {
            let m = if cx.int_or("transA", 0) != 0 { &a[1] } else { &a[0] };
            let n = if cx.int_or("transB", 0) != 0 { &b[0] } else { &b[1] };
            Some(vec![m.clone(), n.clone()])
        }
        _ => None,
    };
    cx.set_tensor(0, d, shape);
}

fn det(cx: &mut InferCtx<'_>) {
    if let Some(d) = cx.dtype(0) {
        cx.set_tensor(0, d, cx.shape(0).and_then(|s| s.get(..s.len().checked_sub(2)?).map(<[Dim]>::to_vec)));
    }
}
