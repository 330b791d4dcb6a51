//! Numpy-style broadcasting of two operands, reduced to the fewest dimensions the kernel
//! must walk (onnxrun_core::broadcast's rules). Pure host code; `Bcast` is the
//! kernel-side descriptor (kernels/common.cuh).

use cudarc::driver::DeviceRepr;
use onnxrun_core::broadcast::broadcast_coalesced;

pub const MAX_DIMS: usize = 8;

/// Mirrors `struct Bcast` in kernels/common.cuh: four 8-byte fields, no padding.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bcast {
    pub rank: u64,
    pub dims: [u64; MAX_DIMS],
    pub sa: [u64; MAX_DIMS],
    pub sb: [u64; MAX_DIMS],
}

// SAFETY: plain old data with the same C layout as the kernel's parameter type.
unsafe impl DeviceRepr for Bcast {}

/// How to compute `out = a op b`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryPlan {
    pub out_shape: Vec<usize>,
    /// Output dims after dropping 1s and merging dims that both operands walk
    /// contiguously; with the element strides of each operand (0 = broadcast).
    pub dims: Vec<usize>,
    pub sa: Vec<usize>,
    pub sb: Vec<usize>,
}

impl BinaryPlan {
    /// Both operands have the output's layout: a flat elementwise loop will do.
    pub fn is_same(&self) -> bool {
        self.dims.len() <= 1 && self.sa.iter().all(|&s| s == 1) && self.sb.iter().all(|&s| s == 1)
    }

    pub fn descriptor(&self) -> Result<Bcast, String> {
        if self.dims.len() > MAX_DIMS {
            return Err(format!("broadcasting needs {} independent dimensions after merging; the CUDA kernel handles at most {MAX_DIMS}", self.dims.len()));
        }
        let mut d = Bcast { rank: self.dims.len() as u64, ..Default::default() };
        for i in 0..self.dims.len() {
            d.dims[i] = self.dims[i] as u64;
            d.sa[i] = self.sa[i] as u64;
            d.sb[i] = self.sb[i] as u64;
        }
        Ok(d)
    }
}

/// The plan for `a op b`; errors are messages for the caller to attach to its node.
pub fn plan_binary(a: &[usize], b: &[usize]) -> Result<BinaryPlan, String> {
    let c = broadcast_coalesced(&[a, b]).map_err(|e| e.message)?;
    let [sa, sb]: [Vec<usize>; 2] = c.strides.try_into().expect("two operands, two stride lists");
    Ok(BinaryPlan { out_shape: c.shape, dims: c.dims, sa, sb })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operand offsets the kernel computes for output element `i` (`bcast_offsets` in
    /// common.cuh, written again here so tests can check plans against plain indexing).
    fn offsets(d: &Bcast, mut i: u64) -> (u64, u64) {
        let (mut ia, mut ib) = (0u64, 0u64);
        for k in (0..d.rank as usize).rev() {
            let c = i % d.dims[k];
            i /= d.dims[k];
            ia += c * d.sa[k];
            ib += c * d.sb[k];
        }
        (ia, ib)
    }

    /// Naive broadcasting: operand index of output multi-index.
    fn naive_index(shape: &[usize], out: &[usize], mut i: usize) -> usize {
        let r = out.len();
        let mut idx = vec![0; r];
        for k in (0..r).rev() {
            idx[k] = i % out[k];
            i /= out[k];
        }
        let mut off = 0;
        let mut acc = 1;
        for k in (0..shape.len()).rev() {
            let o = r - shape.len() + k;
            let c = if shape[k] == 1 { 0 } else { idx[o] };
            off += c * acc;
            acc *= shape[k];
        }
        off
    }

    fn check(a: &[usize], b: &[usize]) {
        let p = plan_binary(a, b).unwrap();
        let n: usize = p.out_shape.iter().product();
        let d = p.descriptor().unwrap();
        for i in 0..n {
            let (ia, ib) = if p.is_same() { (i as u64, i as u64) } else { offsets(&d, i as u64) };
            assert_eq!(ia as usize, naive_index(a, &p.out_shape, i), "a {a:?} b {b:?} i {i}");
            assert_eq!(ib as usize, naive_index(b, &p.out_shape, i), "a {a:?} b {b:?} i {i}");
        }
    }

    #[test]
    fn plans_match_naive_broadcasting() {
        let cases: &[(&[usize], &[usize])] = &[
            (&[2, 3, 4], &[2, 3, 4]),
            (&[4, 512], &[512]),
            (&[3, 1, 5], &[1, 4, 1]),
            (&[2, 3, 4, 5], &[3, 1, 5]),
            (&[], &[2, 3]),
            (&[1], &[]),
            (&[], &[]),
            (&[6, 1], &[1, 7]),
            (&[2, 1, 3, 1, 4], &[1, 5, 1, 6, 1]),
            (&[1, 1, 8], &[8, 1, 1]),
            (&[0, 3], &[3]),
        ];
        for (a, b) in cases {
            check(a, b);
            check(b, a);
        }
    }

    #[test]
    fn same_shapes_and_scalars_take_the_flat_path() {
        assert!(plan_binary(&[2, 3, 4], &[2, 3, 4]).unwrap().is_same());
        assert!(plan_binary(&[1, 6], &[6]).unwrap().is_same());
        assert!(plan_binary(&[], &[]).unwrap().is_same());
        assert!(!plan_binary(&[4, 512], &[512]).unwrap().is_same());
        // A bias add merges to two dims: rows walk a, b repeats.
        let p = plan_binary(&[4, 5, 512], &[512]).unwrap();
        assert_eq!((p.dims.clone(), p.sa.clone(), p.sb.clone()), (vec![20, 512], vec![512, 1], vec![0, 1]));
    }

    #[test]
    fn incompatible_shapes_are_refused() {
        let e = plan_binary(&[2, 3], &[4]).unwrap_err();
        assert!(e.contains("cannot be broadcast"), "{e}");
    }

    #[test]
    fn descriptor_layout_matches_the_kernel_struct() {
        assert_eq!(std::mem::size_of::<Bcast>(), 8 * (1 + 3 * MAX_DIMS));
        assert_eq!(std::mem::align_of::<Bcast>(), 8);
    }
}
