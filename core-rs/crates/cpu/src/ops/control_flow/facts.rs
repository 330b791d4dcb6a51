//! Facts of the control-flow ops: outputs follow their bodies' outputs. If takes what its
//! branches agree on; Loop and Scan keep only the element type, since a carried value's
//! shape may change from one iteration to the next and scan outputs gain an axis.

use onnxrun_core::{Dim, InferCtx, KernelRegistry, OpFacts, TypeInfo};

pub fn register(r: &mut KernelRegistry) {
    r.facts("", "If", OpFacts::new(if_facts).host_inputs(&[0]));
    r.facts("", "Loop", OpFacts::new(loop_facts).host_inputs(&[0, 1]));
    r.facts("", "Scan", OpFacts::new(scan_facts));
    r.facts("", "SequenceMap", OpFacts::new(sequence_map_facts));
}

/// What two types have in common: the same type, or the element type with the dims they
/// agree on.
fn agree(a: &TypeInfo, b: &TypeInfo) -> Option<TypeInfo> {
    if a == b {
        return Some(a.clone());
    }
    match (a, b) {
        (TypeInfo::Tensor { dtype, shape: sa }, TypeInfo::Tensor { dtype: db, shape: sb }) if dtype == db => {
            let shape = match (sa, sb) {
                (Some(x), Some(y)) if x.len() == y.len() => Some(x.iter().zip(y).map(|(p, q)| if p == q { p.clone() } else { Dim::Unknown }).collect()),
                _ => None,
            };
            Some(TypeInfo::Tensor { dtype: *dtype, shape })
        }
        _ => None,
    }
}

fn if_facts(cx: &mut InferCtx<'_>) {
    for i in 0..cx.num_outputs() {
        let ty = match (cx.body_output("then_branch", i), cx.body_output("else_branch", i)) {
            (Some(a), Some(b)) => agree(a, b),
            (Some(a), None) | (None, Some(a)) => Some(a.clone()),
            _ => None,
        };
        if let Some(t) = ty {
            cx.set(i, t);
        }
    }
}

fn dtype_only(t: &TypeInfo) -> TypeInfo {
    match t.elem_dtype() {
        Some(d) => TypeInfo::tensor(d),
        None => t.clone(),
    }
}

/// Loop's outputs are the body's outputs after its condition.
fn loop_facts(cx: &mut InferCtx<'_>) {
    for i in 0..cx.num_outputs() {
        if let Some(t) = cx.body_output("body", i + 1) {
            let t = dtype_only(t);
            cx.set(i, t);
        }
    }
}

fn scan_facts(cx: &mut InferCtx<'_>) {
    for i in 0..cx.num_outputs() {
        if let Some(t) = cx.body_output("body", i) {
            let t = dtype_only(t);
            cx.set(i, t);
        }
    }
}

fn sequence_map_facts(cx: &mut InferCtx<'_>) {
    for i in 0..cx.num_outputs() {
        if let Some(t) = cx.body_output("body", i) {
            let t = TypeInfo::Sequence(Box::new(dtype_only(t)));
            cx.set(i, t);
        }
    }
}
