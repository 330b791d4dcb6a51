//! The ai.onnx.ml domain: classic machine-learning models (linear models, trees, SVMs) and
//! the pre/post-processing ops that converters such as skl2onnx put around them. Where the
//! spec leaves room, behavior follows ONNX Runtime, which these models are checked against.

mod common;
mod linear;
mod normalizer;
mod zipmap;

use onnxrun_core::KernelRegistry;

pub fn register(r: &mut KernelRegistry) {
    linear::register(r);
    normalizer::register(r);
    zipmap::register(r);
}
