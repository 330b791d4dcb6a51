//! Facts of the quantization ops: the element type comes from the zero point (or the
//! `output_dtype` attribute), the shape from the data.

use crate::ops::matmul::matmul_shape;
use onnxrun_core::{DataType, Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts("", "QuantizeLinear", OpFacts::new(quantize));
    r.facts("", "DequantizeLinear", OpFacts::new(dequantize));
    r.facts("", "DynamicQuantizeLinear", OpFacts::new(dynamic));
    r.facts("", "QLinearMatMul", OpFacts::new(qlinear_matmul));
}

fn quantize(cx: &mut InferCtx<'_>) {
    let d = cx.dtype_attr("output_dtype").or(cx.dtype(2)).unwrap_or(DataType::Uint8);
    cx.set_tensor(0, d, cx.shape(0).map(<[Dim]>::to_vec));
}

fn dequantize(cx: &mut InferCtx<'_>) {
    if let Some(d) = cx.dtype_attr("output_dtype").or(cx.dtype(1)) {
        cx.set_tensor(0, d, cx.shape(0).map(<[Dim]>::to_vec));
    }
}

fn dynamic(cx: &mut InferCtx<'_>) {
    cx.set_tensor(0, DataType::Uint8, cx.shape(0).map(<[Dim]>::to_vec));
    cx.set_tensor(1, DataType::Float, Some(vec![]));
    cx.set_tensor(2, DataType::Uint8, Some(vec![]));
}

fn qlinear_matmul(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(7).or(cx.dtype(0)) else { return };
    let shape = match (cx.shape(0), cx.shape(3)) {
        (Some(a), Some(b)) => matmul_shape(a, b),
        _ => None,
    };
    cx.set_tensor(0, d, shape);
}
