//! Attention family: scaled dot-product Attention, RotaryEmbedding, and the opset-27
//! LinearAttention and FlexAttention.

use onnxrun_core::KernelRegistry;

mod facts;
mod flex;
mod linear;
mod rotary;
mod sdpa;

pub fn register(r: &mut KernelRegistry) {
    sdpa::register(r);
    rotary::register(r);
    linear::register(r);
    flex::register(r);
    facts::register(r);
}
