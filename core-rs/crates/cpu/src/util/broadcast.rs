//! Numpy-style multidirectional broadcasting (ONNX "Broadcasting.md").
//!
//! `Broadcast::new(&[a.shape(), b.shape(), ...])` gives the output shape and an iteration
//! plan over *runs*: stretches of the output that are contiguous and along which every
//! input either advances by one element (stride 1) or stays put (stride 0, broadcast).
//! Adjacent dimensions that broadcast the same way for every input are merged first, so
//! e.g. `[8,3,224,224] + [1,3,1,1]` becomes runs of 50176 elements with the second input
//! fixed per run. Kernels pick their inner loop once from `inner_strides()`.
//!
//! `map2` / `map3` apply a closure elementwise over 2 / 3 broadcast inputs with those
//! tight loops (and the thread pool for big outputs); `index_map` gives each output
//! element's flat index into one input, for gathers (Expand, Where on strings, ...).

use onnxrun_core::{bail, Result};
use onnxrun_linalg::ThreadPool;
use std::ops::Range;

/// The output shape of broadcasting `shapes` together, or an error naming the first
/// incompatible pair of dimensions.
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

/// An iteration plan for several inputs broadcast to one output (all row-major contiguous).
#[derive(Clone, Debug)]
pub struct Broadcast {
    shape: Vec<usize>,
    len: usize,
    /// Merged output dims, outermost first; the last one is the run length.
    dims: Vec<usize>,
    /// Per input, its element stride along each merged dim (0 = broadcast).
    strides: Vec<Vec<usize>>,
}

impl Broadcast {
    pub fn new(shapes: &[&[usize]]) -> Result<Broadcast> {
        let shape = broadcast_shape(shapes)?;
        let len = onnxrun_core::num_elements(&shape)?;
        let rank = shape.len();
        let n = shapes.len();
        // Whether input k is "real" (not broadcast) along output dim d; dims of size 1 drop out.
        let real = |k: usize, d: usize| -> bool {
            let pad = rank - shapes[k].len();
            d >= pad && shapes[k][d - pad] != 1
        };
        let mut dims: Vec<usize> = Vec::new();
        let mut pattern: Vec<Vec<bool>> = Vec::new();
        for d in 0..rank {
            if shape[d] == 1 {
                continue;
            }
            let p: Vec<bool> = (0..n).map(|k| real(k, d)).collect();
            match (dims.last_mut(), pattern.last()) {
                (Some(last), Some(lp)) if *lp == p => *last *= shape[d],
                _ => {
                    dims.push(shape[d]);
                    pattern.push(p);
                }
            }
        }
        if dims.is_empty() {
            dims.push(1);
            pattern.push(vec![false; n]);
        }
        let strides = (0..n)
            .map(|k| {
                let mut st = vec![0usize; dims.len()];
                let mut acc = 1usize;
                for d in (0..dims.len()).rev() {
                    if pattern[d][k] {
                        st[d] = acc;
                        acc *= dims[d];
                    }
                }
                st
            })
            .collect();
        Ok(Broadcast { shape, len, dims, strides })
    }

    /// The broadcast output shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// Output element count.
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Length of each contiguous output run.
    pub fn inner_len(&self) -> usize {
        *self.dims.last().unwrap_or(&1)
    }
    /// Number of runs (`len() / inner_len()`, 0 when the output is empty).
    pub fn num_runs(&self) -> usize {
        if self.len == 0 {
            0
        } else {
            self.len / self.inner_len()
        }
    }
    /// Input `k`'s stride along a run: 1 (advances) or 0 (broadcast, one value per run).
    pub fn inner_stride(&self, k: usize) -> usize {
        *self.strides[k].last().unwrap_or(&0)
    }
    /// True when input `k` needs no broadcasting (same element order as the output).
    pub fn is_identity(&self, k: usize) -> bool {
        self.dims.len() == 1 && self.strides[k][0] == 1
    }

    /// Calls `f(out_offset, in_offsets)` for each run in `runs` (a sub-range of
    /// `0..num_runs()`), in order. `in_offsets[k]` is input k's flat index at the run start.
    pub fn for_each_run(&self, runs: Range<usize>, mut f: impl FnMut(usize, &[usize])) {
        let n = self.strides.len();
        let outer = &self.dims[..self.dims.len() - 1];
        let inner = self.inner_len();
        if runs.is_empty() {
            return;
        }
        // Decompose the first run index into outer coordinates, then step like an odometer.
        let mut idx = vec![0usize; outer.len()];
        let mut rem = runs.start;
        for d in (0..outer.len()).rev() {
            idx[d] = rem % outer[d];
            rem /= outer[d];
        }
        let mut offs: Vec<usize> =
            (0..n).map(|k| idx.iter().enumerate().map(|(d, &i)| i * self.strides[k][d]).sum()).collect();
        for r in runs {
            f(r * inner, &offs);
            for d in (0..outer.len()).rev() {
                idx[d] += 1;
                for (k, o) in offs.iter_mut().enumerate() {
                    *o += self.strides[k][d];
                }
                if idx[d] < outer[d] {
                    break;
                }
                for (k, o) in offs.iter_mut().enumerate() {
                    *o -= self.strides[k][d] * outer[d];
                }
                idx[d] = 0;
            }
        }
    }

    /// For each output element, input `k`'s flat index.
    pub fn index_map(&self, k: usize) -> Vec<usize> {
        let mut v = Vec::with_capacity(self.len);
        let (inner, s) = (self.inner_len(), self.inner_stride(k));
        self.for_each_run(0..self.num_runs(), |_, offs| v.extend((0..inner).map(|i| offs[k] + i * s)));
        v
    }

    /// Splits the runs into chunks of roughly `min_elems` output elements or more, for
    /// `parallel_for`. Returns the runs per chunk and the chunk count.
    fn chunks(&self, threads: usize, min_elems: usize) -> (usize, usize) {
        let runs = self.num_runs();
        if threads <= 1 || self.len < min_elems || runs <= 1 {
            return (runs.max(1), 1);
        }
        let want = (self.len / min_elems).clamp(1, threads * 4);
        let per = runs.div_ceil(want);
        (per, runs.div_ceil(per))
    }
}

/// Output is written by disjoint run ranges from several threads.
struct SyncPtr<T>(*mut T);
// SAFETY: each task writes only its own disjoint range of the output.
unsafe impl<T> Send for SyncPtr<T> {}
unsafe impl<T> Sync for SyncPtr<T> {}

/// Outputs below this many elements run on one thread.
pub const PAR_MIN: usize = 1 << 15;

/// Runs `body(run_range, out_chunk)` over the plan's runs, in parallel when a pool is given
/// and the output is big. `out_chunk` is the part of `out` those runs cover.
pub fn par_runs<O: Send>(
    plan: &Broadcast,
    out: &mut [O],
    pool: Option<&ThreadPool>,
    body: impl Fn(Range<usize>, &mut [O]) + Sync,
) {
    let runs = plan.num_runs();
    let inner = plan.inner_len();
    let threads = pool.map_or(1, |p| p.num_threads());
    let (per, n_chunks) = plan.chunks(threads, PAR_MIN);
    match pool {
        Some(p) if n_chunks > 1 => {
            let ptr = SyncPtr(out.as_mut_ptr());
            let ptr = &ptr;
            let res = p.parallel_for(n_chunks, |c| {
                let r0 = c * per;
                let r1 = ((c + 1) * per).min(runs);
                // SAFETY: run ranges of distinct chunks are disjoint, so these output
                // slices do not overlap, and they lie within `out` (r1 <= runs).
                let chunk = unsafe { std::slice::from_raw_parts_mut(ptr.0.add(r0 * inner), (r1 - r0) * inner) };
                body(r0..r1, chunk);
            });
            if res.is_err() {
                // A task panicked (a bug); redo the work inline so the panic surfaces here.
                body(0..runs, out);
            }
        }
        _ => body(0..runs, out),
    }
}

/// `out[i] = f(a[ia], b[ib])` over the broadcast of `a` and `b` (plan from their shapes).
/// `out.len()` must equal `plan.len()`.
pub fn map2<A: Copy + Sync, B: Copy + Sync, O: Send>(
    plan: &Broadcast,
    a: &[A],
    b: &[B],
    out: &mut [O],
    pool: Option<&ThreadPool>,
    f: impl Fn(A, B) -> O + Sync,
) {
    debug_assert_eq!(out.len(), plan.len());
    let inner = plan.inner_len();
    let (sa, sb) = (plan.inner_stride(0), plan.inner_stride(1));
    par_runs(plan, out, pool, |runs, chunk| {
        let base = runs.start * inner;
        plan.for_each_run(runs, |o, offs| {
            let dst = &mut chunk[o - base..o - base + inner];
            let (oa, ob) = (offs[0], offs[1]);
            match (sa, sb) {
                (1, 1) => {
                    for ((d, &x), &y) in dst.iter_mut().zip(&a[oa..oa + inner]).zip(&b[ob..ob + inner]) {
                        *d = f(x, y);
                    }
                }
                (1, _) => {
                    let y = b[ob];
                    for (d, &x) in dst.iter_mut().zip(&a[oa..oa + inner]) {
                        *d = f(x, y);
                    }
                }
                (_, 1) => {
                    let x = a[oa];
                    for (d, &y) in dst.iter_mut().zip(&b[ob..ob + inner]) {
                        *d = f(x, y);
                    }
                }
                _ => {
                    for d in dst.iter_mut() {
                        *d = f(a[oa], b[ob]);
                    }
                }
            }
        });
    });
}

/// `out[i] = f(a[ia], b[ib], c[ic])` over the broadcast of three inputs (Where, Clip).
pub fn map3<A: Copy + Sync, B: Copy + Sync, C: Copy + Sync, O: Send>(
    plan: &Broadcast,
    a: &[A],
    b: &[B],
    c: &[C],
    out: &mut [O],
    pool: Option<&ThreadPool>,
    f: impl Fn(A, B, C) -> O + Sync,
) {
    debug_assert_eq!(out.len(), plan.len());
    let inner = plan.inner_len();
    let (sa, sb, sc) = (plan.inner_stride(0), plan.inner_stride(1), plan.inner_stride(2));
    par_runs(plan, out, pool, |runs, chunk| {
        let base = runs.start * inner;
        plan.for_each_run(runs, |o, offs| {
            let dst = &mut chunk[o - base..o - base + inner];
            if sa == 1 && sb == 1 && sc == 1 {
                let (a, b, c) = (&a[offs[0]..offs[0] + inner], &b[offs[1]..offs[1] + inner], &c[offs[2]..offs[2] + inner]);
                for (i, d) in dst.iter_mut().enumerate() {
                    *d = f(a[i], b[i], c[i]);
                }
            } else {
                for (i, d) in dst.iter_mut().enumerate() {
                    *d = f(a[offs[0] + i * sa], b[offs[1] + i * sb], c[offs[2] + i * sc]);
                }
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_index(shape: &[usize], out: &[usize], flat: usize) -> usize {
        // Output coordinates → input flat index by right alignment.
        let mut coords = vec![0; out.len()];
        let mut r = flat;
        for d in (0..out.len()).rev() {
            coords[d] = r % out[d];
            r /= out[d];
        }
        let pad = out.len() - shape.len();
        let mut idx = 0;
        for (i, &s) in shape.iter().enumerate() {
            idx = idx * s + if s == 1 { 0 } else { coords[pad + i] };
        }
        idx
    }

    #[test]
    fn shapes_and_index_maps_match_naive() {
        let cases: Vec<Vec<Vec<usize>>> = vec![
            vec![vec![2, 3, 4], vec![4]],
            vec![vec![2, 3, 4], vec![3, 1]],
            vec![vec![1, 3, 1, 5], vec![2, 1, 4, 1], vec![5]],
            vec![vec![], vec![3, 2]],
            vec![vec![2, 1], vec![1, 2]],
            vec![vec![3, 0], vec![1]],
            vec![vec![1, 1], vec![1]],
            vec![vec![4, 1, 6], vec![4, 5, 6]],
        ];
        for shapes in cases {
            let refs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
            let plan = Broadcast::new(&refs).unwrap();
            let out = plan.shape().to_vec();
            assert_eq!(plan.len(), out.iter().product::<usize>());
            for (k, s) in shapes.iter().enumerate() {
                let m = plan.index_map(k);
                assert_eq!(m.len(), plan.len());
                for (i, &v) in m.iter().enumerate() {
                    assert_eq!(v, naive_index(s, &out, i), "shapes {shapes:?} input {k} elem {i}");
                }
            }
        }
    }

    #[test]
    fn incompatible_shapes_are_errors() {
        assert!(broadcast_shape(&[&[2, 3], &[4]]).is_err());
        assert_eq!(broadcast_shape(&[&[2, 1], &[5, 1, 3]]).unwrap(), vec![5, 2, 3]);
    }

    #[test]
    fn map2_parallel_matches_serial() {
        let pool = ThreadPool::new(3);
        let a: Vec<f32> = (0..70000).map(|i| i as f32).collect();
        let b: Vec<f32> = (0..7).map(|i| i as f32 * 0.5).collect();
        let plan = Broadcast::new(&[&[10000, 7], &[7]]).unwrap();
        let mut o1 = vec![0f32; plan.len()];
        let mut o2 = vec![0f32; plan.len()];
        map2(&plan, &a, &b, &mut o1, None, |x, y| x * y);
        map2(&plan, &a, &b, &mut o2, Some(&pool), |x, y| x * y);
        assert_eq!(o1, o2);
        assert_eq!(o1[7 * 3 + 2], (7 * 3 + 2) as f32 * 1.0);
    }
}
