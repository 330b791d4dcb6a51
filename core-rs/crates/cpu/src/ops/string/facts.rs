//! Facts of the string ops.

use onnxrun_core::facts::rules;
use onnxrun_core::{DataType, Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts("", "StringConcat", OpFacts::new(|cx| cx.set_tensor(0, DataType::String, rules::broadcast_shape(cx))));
    r.facts("", "StringNormalizer", OpFacts::new(|cx| cx.set_tensor(0, DataType::String, None)));
    r.facts("", "StringSplit", OpFacts::new(split));
    r.facts("", "RegexFullMatch", OpFacts::new(rules::same_shape_bool));
    r.facts("", "TfIdfVectorizer", OpFacts::new(rules::float32));
}

/// [..., max parts] strings and the part counts with the input's shape.
fn split(cx: &mut InferCtx<'_>) {
    let s = cx.shape(0).map(<[Dim]>::to_vec);
    cx.set_tensor(0, DataType::String, s.clone().map(|mut v| {
        v.push(Dim::Unknown);
        v
    }));
    cx.set_tensor(1, DataType::Int64, s);
}
