//! Slicing a tensor at one index of an axis and stacking equal-shaped tensors along a new
//! axis: how Scan feeds its body and how Loop/Scan assemble per-iteration outputs.

use crate::util::elems::{check_size, Elem};
use crate::with_elem;
use onnxrun_core::{ensure, Result, Tensor};

/// The sub-tensor at `index` along `axis` (that axis removed).
pub fn take(t: &Tensor, axis: usize, index: usize) -> Result<Tensor> {
    let shape = t.shape();
    ensure!(axis < shape.len() && index < shape[axis], InvalidArgument, "index {index} on axis {axis} is outside shape {shape:?}");
    let outer: usize = shape[..axis].iter().product();
    let d = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let mut out_shape = shape.to_vec();
    out_shape.remove(axis);
    with_elem!(t.dtype(), T => {
        let src = T::view(t)?;
        let mut v: Vec<T> = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            let at = (o * d + index) * inner;
            v.extend_from_slice(&src[at..at + inner]);
        }
        T::build(t.dtype(), out_shape, v)
    })
}

/// Stacks `parts` (same dtype and shape, at least one) along a new axis `axis`.
pub fn stack(parts: &[Tensor], axis: usize) -> Result<Tensor> {
    ensure!(!parts.is_empty(), InvalidArgument, "nothing to stack");
    let first = &parts[0];
    let shape = first.shape();
    ensure!(axis <= shape.len(), InvalidArgument, "axis {axis} is out of range for stacking rank-{} tensors", shape.len());
    for (i, p) in parts.iter().enumerate() {
        ensure!(
            p.dtype() == first.dtype() && p.shape() == shape,
            InvalidArgument,
            "iteration {i} produced a {} tensor of shape {:?}, but iteration 0 produced {} {:?}: per-iteration outputs must agree",
            p.dtype(),
            p.shape(),
            first.dtype(),
            shape
        );
    }
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis..].iter().product();
    let mut out_shape = shape.to_vec();
    out_shape.insert(axis, parts.len());
    check_size(first.dtype(), &out_shape)?;
    with_elem!(first.dtype(), T => {
        let views = parts.iter().map(T::view).collect::<Result<Vec<_>>>()?;
        let mut v: Vec<T> = Vec::with_capacity(outer * inner * parts.len());
        for o in 0..outer {
            for p in &views {
                v.extend_from_slice(&p[o * inner..(o + 1) * inner]);
            }
        }
        T::build(first.dtype(), out_shape, v)
    })
}
