//! Facts of the normalizations: the output has the input's type; the statistics outputs
//! (LayerNormalization's mean and inverse deviation, training BatchNormalization's running
//! values) have theirs.

use onnxrun_core::facts::dims::axis;
use onnxrun_core::facts::rules;
use onnxrun_core::{DataType, Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts_all(
        "",
        &["InstanceNormalization", "GroupNormalization", "LRN", "LpNormalization", "MeanVarianceNormalization", "RMSNormalization"],
        OpFacts::new(rules::same),
    );
    r.facts("", "BatchNormalization", OpFacts::new(batch_norm));
    r.facts("", "LayerNormalization", OpFacts::new(layer_norm));
    // The mask depends on a random draw in training mode.
    r.facts("", "Dropout", OpFacts::new(dropout).not_foldable().host_inputs(&[1, 2]));
}

fn batch_norm(cx: &mut InferCtx<'_>) {
    rules::same(cx);
    for i in 1..cx.num_outputs() {
        if let Some(t) = cx.input(i + 2).cloned() {
            cx.set(i, t);
        }
    }
}

fn layer_norm(cx: &mut InferCtx<'_>) {
    rules::same(cx);
    let stash = cx.dtype_attr("stash_type").unwrap_or(DataType::Float);
    let shape = cx.shape(0).and_then(|s| {
        let a = axis(cx.int_or("axis", -1), s.len())?;
        Some(s.iter().enumerate().map(|(i, d)| if i < a { d.clone() } else { Dim::Known(1) }).collect())
    });
    for i in 1..cx.num_outputs() {
        cx.set_tensor(i, stash, shape.clone());
    }
}

fn dropout(cx: &mut InferCtx<'_>) {
    rules::same(cx);
    cx.set_tensor(1, DataType::Bool, cx.shape(0).map(<[Dim]>::to_vec));
}
