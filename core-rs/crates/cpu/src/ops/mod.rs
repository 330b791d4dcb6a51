//! Kernels by op family. Each module registers its ops in `register`.

mod elementwise;
mod activation;
mod cast;
mod matmul;
mod softmax;
mod shape;
mod indexing;
mod reduce;
mod conv;
mod pool;
mod norm;
mod rnn;
mod attention;
mod causal_conv;
mod detection;
mod training;
mod quant;
mod random;
mod string;
mod signal;
mod image;
mod sequence;
mod control_flow;
mod ml;

use onnxrun_core::KernelRegistry;

pub fn register_all(r: &mut KernelRegistry) {
    elementwise::register(r);
    activation::register(r);
    cast::register(r);
    matmul::register(r);
    softmax::register(r);
    shape::register(r);
    indexing::register(r);
    reduce::register(r);
    conv::register(r);
    pool::register(r);
    norm::register(r);
    rnn::register(r);
    attention::register(r);
    causal_conv::register(r);
    detection::register(r);
    training::register(r);
    quant::register(r);
    random::register(r);
    string::register(r);
    signal::register(r);
    image::register(r);
    sequence::register(r);
    control_flow::register(r);
    ml::register(r);
    crate::rewrite::register(r);
}
