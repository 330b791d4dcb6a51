//! Matrix products: MatMul (numpy matmul semantics, batched with broadcasting), Gemm
//! (2-D with transposes, alpha/beta and a unidirectionally broadcast C), MatMulInteger,
//! Einsum (contractions as batched GEMMs) and Det.
//! f32/f64 run on onnxrun_linalg's packed GEMM; f16/bf16 are widened to f32 for it;
//! integer types use a plain cache-friendly loop with wrapping arithmetic.

mod facts;
pub(crate) use facts::matmul_shape;
mod batched;
mod det;
mod einsum;
mod gemm_op;
mod int_gemm;
mod integer;
mod matmul_op;
mod packed_weight;

#[allow(unused_imports)]
pub(crate) use batched::matmul_tensors;

use onnxrun_core::KernelRegistry;

pub fn register(r: &mut KernelRegistry) {
    matmul_op::register(r);
    gemm_op::register(r);
    integer::register(r);
    einsum::register(r);
    det::register(r);
    facts::register(r);
}
