//! Quantization ops: QuantizeLinear / DequantizeLinear (opsets 10-28; per-tensor, per-axis
//! and blocked scales; 16/8/4/2-bit integers, float8 and float4 codes), DynamicQuantizeLinear
//! and QLinearMatMul. MatMulInteger lives with the matmul family, QLinearConv with conv.
//!
//! - `layout`: how a scale tensor maps onto the data (validation and row iteration).
//! - `params`: scale / zero point tensors read into plain vectors, attribute checks.
//! - `quantize`, `dequantize`: the two linear ops (f32 → 8-bit and 8-bit → f32 fast paths,
//!   an f64 pipeline for every other type pair).

mod facts;
mod dequantize;
mod dynamic;
mod layout;
mod params;
mod qlinear_matmul;
mod quantize;

use onnxrun_core::KernelRegistry;

pub fn register(r: &mut KernelRegistry) {
    quantize::register(r);
    dequantize::register(r);
    dynamic::register(r);
    qlinear_matmul::register(r);
    facts::register(r);
}
