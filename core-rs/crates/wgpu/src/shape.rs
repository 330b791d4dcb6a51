//! Host-side shape work for the kernels: broadcasting, broadcast strides, and dimension
//! coalescing so the shaders' index loops stay short (and within their 8 dimensions).

use onnxrun_core::Result;

/// Dimensions the shaders' uniform blocks can describe.
pub const MAX_DIMS: usize = 8;

/// Multidirectional (numpy) broadcast of two shapes.
pub fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let mut out = vec![0; r];
    for i in 0..r {
        let da = if i + a.len() >= r { a[i + a.len() - r] } else { 1 };
        let db = if i + b.len() >= r { b[i + b.len() - r] } else { 1 };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// Row-major strides of `shape` as read at the (right-aligned) positions of `out`, with
/// 0 wherever `shape` is broadcast. `unit` scales every stride (e.g. a matrix's size).
pub fn broadcast_strides(shape: &[usize], out: &[usize], unit: usize) -> Vec<usize> {
    let mut strides = vec![0; out.len()];
    let mut s = unit;
    for i in (0..shape.len()).rev() {
        let o = i + out.len() - shape.len();
        strides[o] = if shape[i] == 1 { 0 } else { s };
        s *= shape[i];
    }
    strides
}

/// Drops size-1 dimensions and merges neighbours that every operand walks contiguously.
/// The output is contiguous, so its own strides never stop a merge.
pub fn coalesce(dims: &[usize], strides: &[Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut out_dims: Vec<usize> = Vec::new();
    let mut out_strides: Vec<Vec<usize>> = vec![Vec::new(); strides.len()];
    // Walk from the innermost dimension outwards, building reversed lists.
    for i in (0..dims.len()).rev() {
        if dims[i] == 1 {
            continue;
        }
        let merge = !out_dims.is_empty()
            && strides.iter().zip(&out_strides).all(|(s, os)| s[i] == os[os.len() - 1] * out_dims[out_dims.len() - 1]);
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

/// Packs up to `MAX_DIMS` values for a uniform block.
pub fn pack(values: &[usize], what: &str) -> Result<[u32; MAX_DIMS]> {
    if values.len() > MAX_DIMS {
        return Err(onnxrun_core::Error::new(
            onnxrun_core::ErrorCode::NotImplemented,
            format!("{what}: {} dimensions after merging; the WebGPU kernels handle at most {MAX_DIMS}", values.len()),
        ));
    }
    let mut out = [0u32; MAX_DIMS];
    for (o, &v) in out.iter_mut().zip(values) {
        *o = to_u32(v, what)?;
    }
    Ok(out)
}

pub fn to_u32(v: usize, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| {
        onnxrun_core::Error::new(onnxrun_core::ErrorCode::EpFail, format!("{what}: size {v} is too large for a WebGPU kernel"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
        assert_eq!(broadcast(&[], &[5]), Some(vec![5]));
        assert_eq!(broadcast(&[2, 3], &[3, 2]), None);
        assert_eq!(broadcast_strides(&[4, 1], &[2, 4, 3], 1), vec![0, 1, 0]);
        assert_eq!(broadcast_strides(&[2, 1, 3], &[2, 4, 3], 1), vec![3, 0, 1]);
    }

    #[test]
    fn coalescing_merges_only_contiguous_runs() {
        // Same shape: one dimension.
        let (d, s) = coalesce(&[2, 3, 4], &[vec![12, 4, 1], vec![12, 4, 1]]);
        assert_eq!((d, s), (vec![24], vec![vec![1], vec![1]]));
        // Row bias [4] over [2,3,4]: the bias repeats, so two dimensions remain.
        let (d, s) = coalesce(&[2, 3, 4], &[vec![12, 4, 1], vec![0, 0, 1]]);
        assert_eq!((d, s), (vec![6, 4], vec![vec![4, 1], vec![0, 1]]));
        // All size 1: a scalar.
        let (d, _) = coalesce(&[1, 1], &[vec![0, 0]]);
        assert!(d.is_empty());
    }
}
