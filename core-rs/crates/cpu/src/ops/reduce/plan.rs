//! The shape side of a reduction: which axes, the output shape, and the input dims merged
//! into alternating kept/reduced runs (size-1 dims dropped) that the driver loops over.

use onnxrun_core::{ensure, Result};

#[derive(Debug, Clone)]
pub(crate) struct ReducePlan {
    pub out_shape: Vec<usize>,
    pub out_len: usize,
    /// Elements folded into each output.
    pub count: usize,
    /// Merged input dims, outermost first: (size, reduced).
    pub dims: Vec<(usize, bool)>,
}

/// Normalizes `axes` (negative from the end) against `rank`; duplicates and out-of-range
/// axes are errors. Gives a mask of reduced dims.
pub(crate) fn axes_mask(axes: &[i64], rank: usize) -> Result<Vec<bool>> {
    let mut mask = vec![false; rank];
    let r = rank as i64;
    for &a in axes {
        // A scalar may be reduced over axis 0 / -1 as if it had one dim.
        ensure!(a >= -r.max(1) && a < r.max(1), InvalidArgument, "axis {a} is out of range for an input of rank {rank}");
        if rank == 0 {
            continue;
        }
        let i = if a < 0 { a + r } else { a } as usize;
        ensure!(!mask[i], InvalidArgument, "axis {a} is given more than once");
        mask[i] = true;
    }
    Ok(mask)
}

impl ReducePlan {
    pub fn new(shape: &[usize], mask: &[bool], keepdims: bool) -> ReducePlan {
        let mut out_shape = Vec::with_capacity(shape.len());
        let mut count = 1usize;
        let mut dims: Vec<(usize, bool)> = Vec::new();
        for (&d, &red) in shape.iter().zip(mask) {
            if red {
                count *= d;
                if keepdims {
                    out_shape.push(1);
                }
            } else {
                out_shape.push(d);
            }
            if d == 1 {
                continue;
            }
            match dims.last_mut() {
                Some(last) if last.1 == red => last.0 *= d,
                _ => dims.push((d, red)),
            }
        }
        if dims.is_empty() {
            dims.push((1, false));
        }
        let out_len = out_shape.iter().product();
        ReducePlan { out_shape, out_len, count, dims }
    }
}
