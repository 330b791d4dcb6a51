//! Normalizations: BatchNormalization, InstanceNormalization, LayerNormalization,
//! GroupNormalization, RMSNormalization, LRN, LpNormalization, MeanVarianceNormalization.
//! Dropout (a pass-through in inference) lives here too. Statistics are taken in f32
//! (f64 for double) with a two-pass mean/variance.

mod facts;
mod batch;
mod common;
mod dropout;
mod group;
mod instance;
mod layer;
mod lp;
mod lrn;
mod mvn;

use onnxrun_core::KernelRegistry;

pub fn register(r: &mut KernelRegistry) {
    batch::register(r);
    dropout::register(r);
    instance::register(r);
    layer::register(r);
    group::register(r);
    lrn::register(r);
    lp::register(r);
    mvn::register(r);
    facts::register(r);
}
