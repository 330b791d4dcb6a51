//! Inference rules many ops share, for op crates to name in their `OpFacts`.

use super::dims;
use super::InferCtx;
use crate::broadcast::broadcast_dims;
use crate::dtype::DataType;
use crate::value::Dim;

/// Output 0 is input 0's type, shape included (elementwise unary ops, activations).
pub fn same(cx: &mut InferCtx<'_>) {
    if let Some(t) = cx.input(0).cloned() {
        cx.set(0, t);
    }
}

/// Shape of every input broadcast together; `None` when one is unknown.
pub fn broadcast_shape(cx: &InferCtx<'_>) -> Option<Vec<Dim>> {
    let shapes: Option<Vec<&[Dim]>> = (0..cx.num_inputs()).filter(|&i| cx.has_input(i)).map(|i| cx.shape(i)).collect();
    Some(broadcast_dims(&shapes?))
}

/// Elementwise over broadcast inputs: the first input's element type, the broadcast
/// shape. Before opset 7 B broadcast onto A's shape (with `broadcast`/`axis`).
pub fn broadcast(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.first_dtype() else { return };
    let shape = if cx.opset < 7 { cx.shape(0).map(<[Dim]>::to_vec) } else { broadcast_shape(cx) };
    cx.set_tensor(0, d, shape);
}

/// Comparisons and logic: bool over the broadcast shape.
pub fn broadcast_bool(cx: &mut InferCtx<'_>) {
    let shape = if cx.opset < 7 { cx.shape(0).map(<[Dim]>::to_vec) } else { broadcast_shape(cx) };
    cx.set_tensor(0, DataType::Bool, shape);
}

/// Bool with input 0's shape (IsNaN, IsInf, Not).
pub fn same_shape_bool(cx: &mut InferCtx<'_>) {
    cx.set_tensor(0, DataType::Bool, cx.shape(0).map(<[Dim]>::to_vec));
}

/// Every output float32, shape unknown.
pub fn float32(cx: &mut InferCtx<'_>) {
    for i in 0..cx.num_outputs() {
        cx.set_tensor(i, DataType::Float, None);
    }
}

/// Every output has the first input's element type; shapes unknown.
pub fn first_dtype(cx: &mut InferCtx<'_>) {
    if let Some(d) = cx.first_dtype() {
        for i in 0..cx.num_outputs() {
            cx.set_tensor(i, d, None);
        }
    }
}

/// Input 0's shape with axis `axis` replaced by `d`.
pub fn replace_axis(shape: &[Dim], axis: usize, d: Dim) -> Vec<Dim> {
    let mut s = shape.to_vec();
    if axis < s.len() {
        s[axis] = d;
    }
    s
}

/// Reductions over `axes` of a rank-`rank` shape, kept as 1 or dropped.
pub fn reduced(shape: &[Dim], axes: &[usize], keep: bool) -> Vec<Dim> {
    shape
        .iter()
        .enumerate()
        .filter_map(|(i, d)| match (axes.contains(&i), keep) {
            (false, _) => Some(d.clone()),
            (true, true) => Some(Dim::Known(1)),
            (true, false) => None,
        })
        .collect()
}

/// Normalizes a list of (possibly negative) axes; `None` when one is out of range.
pub fn axes(list: &[i64], rank: usize) -> Option<Vec<usize>> {
    list.iter().map(|&a| dims::axis(a, rank)).collect()
}

