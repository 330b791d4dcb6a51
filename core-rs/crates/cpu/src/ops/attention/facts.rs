//! Facts of the attention ops. Attention's Y takes Q's layout with V's head size:
//! [B, q_heads, S, Dv] for 4-D inputs, [B, S, q_heads·Dv] for 3-D ones.

use onnxrun_core::facts::dims;
use onnxrun_core::facts::rules;
use onnxrun_core::{Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts("", "Attention", OpFacts::new(attention));
    r.facts("", "RotaryEmbedding", OpFacts::new(rules::same));
    r.facts("", "LinearAttention", OpFacts::new(rules::first_dtype));
    r.facts("ai.onnx.preview", "FlexAttention", OpFacts::new(rules::first_dtype));
}

fn attention(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let y = match (cx.shape(0), cx.shape(2)) {
        (Some([b, h, s, _]), Some([_, _, _, dv])) => Some(vec![b.clone(), h.clone(), s.clone(), dv.clone()]),
        (Some([b, s, _]), Some([_, _, v_hidden])) => {
            let q_heads = Dim::Known(cx.int_or("q_num_heads", 0));
            let kv_heads = Dim::Known(cx.int_or("kv_num_heads", 0));
            Some(vec![b.clone(), s.clone(), dims::mul(&q_heads, &dims::div(v_hidden, &kv_heads))])
        }
        _ => None,
    };
    cx.set_tensor(0, d, y);
    for i in 1..cx.num_outputs() {
        cx.set_tensor(i, d, None);
    }
}
