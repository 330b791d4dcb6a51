//! Shape and layout kernels: ops that reshape, permute, join, cut, pad or create tensors.
//! Data movement is written once over element storage (`util::elems`), not per dtype.

pub(crate) mod concat;
mod constant;
mod expand;
mod facts;
mod pad;
mod reshape;
mod slice;
mod space_depth;
pub(crate) mod transpose;
mod trilu;

use onnxrun_core::KernelRegistry;

pub fn register(r: &mut KernelRegistry) {
    reshape::register(r);
    transpose::register(r);
    concat::register(r);
    constant::register(r);
    expand::register(r);
    slice::register(r);
    pad::register(r);
    space_depth::register(r);
    trilu::register(r);
    facts::register(r);
}
