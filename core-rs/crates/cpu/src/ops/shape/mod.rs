//! Shape and layout kernels: ops that reshape, permute, join, cut, pad or create tensors.
//! Data movement is written once over element storage (`util::elems`), not per dtype.

mod concat;
mod constant;
mod reshape;
mod transpose;

use onnxrun_core::KernelRegistry;

pub fn register(r: &mut KernelRegistry) {
    reshape::register(r);
    transpose::register(r);
    concat::register(r);
    constant::register(r);
}
