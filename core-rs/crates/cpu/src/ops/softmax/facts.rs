//! Facts of the softmax family and its losses.

use onnxrun_core::facts::rules;
use onnxrun_core::{InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts_all("", &["Softmax", "LogSoftmax", "Hardmax"], OpFacts::new(rules::same));
    r.facts_all("", &["NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"], OpFacts::new(loss));
}

/// The loss: per element [N, d1, …] without the class axis under reduction "none", a
/// scalar otherwise; SoftmaxCrossEntropyLoss's log-probabilities have the scores' type.
fn loss(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let none = cx.string_attr("reduction").as_deref() == Some("none");
    let shape = if none { cx.shape(1).map(<[_]>::to_vec) } else { Some(vec![]) };
    cx.set_tensor(0, d, shape);
    if let Some(t) = cx.input(0).cloned() {
        cx.set(1, t);
    }
}
