//! Facts of the reductions and ArgMax/ArgMin: the input's shape with the reduced axes
//! kept as 1 or dropped.

use onnxrun_core::facts::rules::{axes, reduced};
use onnxrun_core::{DataType, Dim, InferCtx, KernelRegistry, OpFacts};

const REDUCE: &[&str] =
    &["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"];

pub fn register(r: &mut KernelRegistry) {
    r.facts_all("", REDUCE, OpFacts::new(reduce).host_inputs(&[1]));
    r.facts_all("", &["ArgMax", "ArgMin"], OpFacts::new(arg));
}

fn reduce(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let keep = cx.int_or("keepdims", 1) != 0;
    let axes_from_input = cx.opset >= if cx.node.op_type == "ReduceSum" { 13 } else { 18 };
    let shape = cx.shape(0).and_then(|s| {
        let list = if axes_from_input {
            if cx.has_input(1) {
                Some(cx.ints(1).ok_or(())).transpose()
            } else {
                Ok(None)
            }
        } else {
            Ok(cx.ints_attr("axes"))
        };
        match list {
            Ok(Some(a)) if !a.is_empty() => Some(reduced(s, &axes(&a, s.len())?, keep)),
            Ok(_) if axes_from_input && cx.int_or("noop_with_empty_axes", 0) != 0 => Some(s.to_vec()),
            Ok(_) => Some(reduced(s, &(0..s.len()).collect::<Vec<_>>(), keep)),
            // Axes known only at run time: the rank is known when they are kept.
            Err(()) => keep.then(|| vec![Dim::Unknown; s.len()]),
        }
    });
    cx.set_tensor(0, d, shape);
}

fn arg(cx: &mut InferCtx<'_>) {
    let keep = cx.int_or("keepdims", 1) != 0;
    let shape = cx.shape(0).and_then(|s| Some(reduced(s, &axes(&[cx.int_or("axis", 0)], s.len())?, keep)));
    cx.set_tensor(0, DataType::Int64, shape);
}
