//! Multidirectional (numpy) broadcasting, ONNX "Broadcasting.md", written once for shape
//! inference and every provider: the broadcast of concrete shapes and of declared
//! (symbolic) ones, right-aligned broadcast strides, and the dimension coalescing that
//! keeps kernels' index loops short. Iteration plans and kernel limits (a shader's or a
//! CUDA descriptor's MAX_DIMS) stay with the providers.

use crate::value::Dim;
use crate::Result;

/// The shape `shapes` broadcast to together, or an error naming the first incompatible
/// pair of dimensions (by output position).
pub fn broadcast_shape(shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let rank = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; rank];
    for s in shapes {
        let pad = rank - s.len();
        for (i, &d) in s.iter().enumerate() {
            let o = &mut out[pad + i];
            if *o == 1 {
                *o = d;
            } else if d != 1 && d != *o {
                bail!(InvalidArgument, "shapes {:?} cannot be broadcast together (dimension {} is {} vs {})", shapes, i + pad, *o, d);
            }
        }
    }
    Ok(out)
}

/// `broadcast_shape` over declared dims, for shape inference. A known size other than 1
/// wins over a symbolic or unknown dim (which may be 1), equal symbols stay, different
/// ones become unknown. Never fails: of conflicting known sizes the first is kept and the
/// kernel reports the error at run time.
pub fn broadcast_dims(shapes: &[&[Dim]]) -> Vec<Dim> {
    let rank = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    (0..rank)
        .map(|i| {
            let mut d = Dim::Known(1);
            for s in shapes {
                let k = (i + s.len()).checked_sub(rank).map(|j| s[j].clone()).unwrap_or(Dim::Known(1));
                d = match (d, k) {
                    (Dim::Known(1), k) => k,
                    (d, Dim::Known(1)) => d,
                    (Dim::Known(a), Dim::Known(b)) if a == b => Dim::Known(a),
                    (Dim::Symbolic(a), Dim::Symbolic(b)) if a == b => Dim::Symbolic(a),
                    (Dim::Known(a), _) | (_, Dim::Known(a)) => Dim::Known(a),
                    _ => Dim::Unknown,
                };
            }
            d
        })
        .collect()
}

/// Element strides of a row-major `shape` read at the right-aligned positions of a
/// rank-`rank` broadcast: 0 wherever `shape` has size 1 or no dimension. `unit` scales
/// every stride (1 for elements; a matrix's size for MatMul's batch dimensions).
pub fn broadcast_strides(shape: &[usize], rank: usize, unit: usize) -> Vec<usize> {
    let mut strides = vec![0; rank];
    let mut s = unit;
    for (i, &d) in shape.iter().enumerate().rev() {
        strides[rank - shape.len() + i] = if d == 1 { 0 } else { s };
        s *= d;
    }
    strides
}

/// Drops size-1 dimensions of `dims` and merges neighbours that every operand walks
/// contiguously (outer stride = inner stride × inner size, 0 = 0 included); a merged
/// dimension keeps its innermost strides. `strides[k]` are operand k's strides along
/// `dims`; the output is assumed contiguous, so it never stops a merge. A scalar gives
/// no dimensions.
pub fn coalesce(dims: &[usize], strides: &[Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut out_dims: Vec<usize> = Vec::new();
    let mut out_strides: Vec<Vec<usize>> = vec![Vec::new(); strides.len()];
    // Walk from the innermost dimension outwards, building reversed lists.
    for i in (0..dims.len()).rev() {
        if dims[i] == 1 {
            continue;
        }
        let merge = out_dims.last().is_some_and(|&inner| strides.iter().zip(&out_strides).all(|(s, os)| s[i] == os[os.len() - 1] * inner));
        if merge {
            *out_dims.last_mut().expect("not empty") *= dims[i];
        } else {
            out_dims.push(dims[i]);
            for (s, os) in strides.iter().zip(out_strides.iter_mut()) {
                os.push(s[i]);
            }
        }
    }
    out_dims.reverse();
    for os in &mut out_strides {
        os.reverse();
    }
    (out_dims, out_strides)
}

/// Contiguous operands broadcast together, as a kernel walks them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coalesced {
    /// The broadcast output shape.
    pub shape: Vec<usize>,
    /// `shape` coalesced (see [`coalesce`]), outermost first; empty for one element.
    pub dims: Vec<usize>,
    /// Per operand, its element strides along `dims` (0 = broadcast).
    pub strides: Vec<Vec<usize>>,
}

/// Broadcasts row-major operands of `shapes` and coalesces the output's dimensions.
/// Fails where the shapes do not broadcast or the output's element count overflows.
pub fn broadcast_coalesced(shapes: &[&[usize]]) -> Result<Coalesced> {
    let shape = broadcast_shape(shapes)?;
    crate::tensor::num_elements(&shape)?;
    let full: Vec<Vec<usize>> = shapes.iter().map(|s| broadcast_strides(s, shape.len(), 1)).collect();
    let (dims, strides) = coalesce(&shape, &full);
    Ok(Coalesced { shape, dims, strides })
}
