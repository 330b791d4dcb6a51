//! The convolution family: Conv, ConvTranspose, ConvInteger, QLinearConv and DeformConv.
//! Float convolutions run as im2col + packed GEMM (`engine`), with a direct path for
//! depthwise convs; ConvTranspose is a GEMM + col2im; the quantized ops shift out their
//! zero points and reuse the float engine where that is exact.

mod attrs;
mod conv_op;
mod deform;
mod depthwise;
mod engine;
pub(crate) mod facts;
mod float;
mod quant;
mod transpose;
mod window;

use onnxrun_core::KernelRegistry;

pub fn register(r: &mut KernelRegistry) {
    conv_op::register(r);
    transpose::register(r);
    quant::register(r);
    deform::register(r);
    facts::register(r);
}
