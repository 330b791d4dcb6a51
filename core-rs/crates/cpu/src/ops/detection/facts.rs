//! Facts of the detection ops.

use onnxrun_core::{DataType, Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts("", "NonMaxSuppression", OpFacts::new(|cx| cx.set_tensor(0, DataType::Int64, Some(vec![Dim::Unknown, Dim::Known(3)]))));
    r.facts("", "RoiAlign", OpFacts::new(roi_align));
    r.facts("", "MaxRoiPool", OpFacts::new(max_roi_pool));
}

/// [rois, C, output_height, output_width].
fn roi_align(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = match (cx.shape(0), cx.shape(1)) {
        (Some(x), Some(r)) if x.len() == 4 && r.len() == 2 => {
            Some(vec![r[0].clone(), x[1].clone(), Dim::Known(cx.int_or("output_height", 1)), Dim::Known(cx.int_or("output_width", 1))])
        }
        _ => None,
    };
    cx.set_tensor(0, d, shape);
}

fn max_roi_pool(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = match (cx.shape(0), cx.shape(1), cx.ints_attr("pooled_shape")) {
        (Some(x), Some(r), Some(p)) if x.len() == 4 && r.len() == 2 && p.len() == 2 => {
            Some(vec![r[0].clone(), x[1].clone(), Dim::Known(p[0]), Dim::Known(p[1])])
        }
        _ => None,
    };
    cx.set_tensor(0, d, shape);
}
