//! A constant B operand (a weight initializer) packed once, at session creation, for
//! the GEMM micro-kernel, so steady-state MatMul/Gemm runs skip packing it.

use onnxrun_core::{DataType, NodeInfo, Result};
use onnxrun_linalg::{packs_b, PackedB};

pub(crate) enum PackedWeight {
    F32(PackedB<f32>),
    F64(PackedB<f64>),
}

/// f32/f64: the element types with packed GEMM.
pub(crate) trait Float: onnxrun_linalg::Element + onnxrun_core::Element {
    fn from_f32(x: f32) -> Self;
    fn packed(w: &PackedWeight) -> Option<&PackedB<Self>>;
}

impl Float for f32 {
    fn from_f32(x: f32) -> Self {
        x
    }
    fn packed(w: &PackedWeight) -> Option<&PackedB<f32>> {
        match w {
            PackedWeight::F32(p) => Some(p),
            PackedWeight::F64(_) => None,
        }
    }
}

impl Float for f64 {
    fn from_f32(x: f32) -> Self {
        x as f64
    }
    fn packed(w: &PackedWeight) -> Option<&PackedB<f64>> {
        match w {
            PackedWeight::F64(p) => Some(p),
            PackedWeight::F32(_) => None,
        }
    }
}

impl PackedWeight {
    /// `op(B)` packed, when node input `i` is a fixed 2-D f32/f64 tensor wide enough
    /// (more than 4 columns) for GEMM ever to pack it; else None (today's path).
    pub fn of_input(node: &NodeInfo, i: usize, trans_b: bool) -> Result<Option<PackedWeight>> {
        let Some(b) = node.constant_input(i).filter(|b| b.rank() == 2) else { return Ok(None) };
        let ld = b.shape()[1];
        let (k, n) = if trans_b { (ld, b.shape()[0]) } else { (b.shape()[0], ld) };
        if !packs_b(2, n) {
            return Ok(None);
        }
        Ok(match b.dtype() {
            DataType::Float => Some(PackedWeight::F32(PackedB::new(trans_b, k, n, b.data::<f32>()?, ld))),
            DataType::Double => Some(PackedWeight::F64(PackedB::new(trans_b, k, n, b.data::<f64>()?, ld))),
            _ => None,
        })
    }

    /// The packed B for an `m×k` by `k×n` product when it fits and beats GEMM on B as
    /// stored (which skips packing for one row or thin `n`).
    pub fn for_product<T: Float>(w: Option<&PackedWeight>, m: usize, n: usize, k: usize) -> Option<&PackedB<T>> {
        w.and_then(T::packed).filter(|p| p.k() == k && p.n() == n && packs_b(m, n))
    }
}
