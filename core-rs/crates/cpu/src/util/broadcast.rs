//! Iteration over numpy-style multidirectional broadcasts (the shape and stride rules are
//! onnxrun_core::broadcast's).
//!
//! `Broadcast::new(&[a.shape(), b.shape(), ...])` gives the output shape and an iteration
//! plan over *runs*: stretches of the output that are contiguous and along which every
//! input either advances by one element (stride 1) or stays put (stride 0, broadcast).
//! Adjacent dimensions that broadcast the same way for every input are merged first, so
//! e.g. `[8,3,224,224] + [1,3,1,1]` becomes runs of 50176 elements with the second input
//! fixed per run. `for_each_segment` walks any element range run by run; kernels pick
//! their inner loop from `inner_stride(k)`.
//!
//! `map2` / `map2_vec` / `map3` apply a closure over 2 / 3 broadcast inputs with those
//! tight loops (AVX2 via `with_simd`, the pool for big outputs via `par_ranges`);
//! `index_map` gives each output element's flat index into one input, for gathers
//! (Expand, Where on strings, ...).

use onnxrun_core::broadcast::{broadcast_coalesced, Coalesced};
use onnxrun_core::Result;
use onnxrun_linalg::ThreadPool;
use std::mem::MaybeUninit;
use std::ops::Range;

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
        let Coalesced { shape, mut dims, mut strides } = broadcast_coalesced(shapes)?;
        let len = onnxrun_core::num_elements(&shape)?;
        // One element: a single run of length 1 that every input stays put along.
        if dims.is_empty() {
            dims.push(1);
            strides.iter_mut().for_each(|s| s.push(0));
        }
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

    /// Calls `f(out_offset, in_offsets, len)` for each contiguous segment of the output
    /// elements `elems` (a sub-range of `0..len()`), in order. A segment lies within one
    /// run: along it input k advances by `inner_stride(k)` from flat index `in_offsets[k]`.
    pub fn for_each_segment(&self, elems: Range<usize>, mut f: impl FnMut(usize, &[usize], usize)) {
        if elems.start >= elems.end.min(self.len) {
            return;
        }
        let end = elems.end.min(self.len);
        let n = self.strides.len();
        let outer = &self.dims[..self.dims.len() - 1];
        let inner = self.inner_len();
        // Decompose the first run index into outer coordinates, then step like an odometer.
        let run0 = elems.start / inner;
        let mut j = elems.start % inner;
        let mut idx = vec![0usize; outer.len()];
        let mut rem = run0;
        for d in (0..outer.len()).rev() {
            idx[d] = rem % outer[d];
            rem /= outer[d];
        }
        let mut offs: Vec<usize> =
            (0..n).map(|k| idx.iter().enumerate().map(|(d, &i)| i * self.strides[k][d]).sum()).collect();
        let mut seg = vec![0usize; n];
        let mut e = elems.start;
        while e < end {
            let len = (inner - j).min(end - e);
            for k in 0..n {
                seg[k] = offs[k] + j * self.inner_stride(k);
            }
            f(e, &seg, len);
            e += len;
            j = 0;
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
        let s = self.inner_stride(k);
        self.for_each_segment(0..self.len, |_, offs, len| v.extend((0..len).map(|i| offs[k] + i * s)));
        v
    }
}

/// Output is written by disjoint element ranges from several threads.
struct SyncPtr<T>(*mut T);
// SAFETY: each task writes only its own disjoint range of the output.
unsafe impl<T> Send for SyncPtr<T> {}
unsafe impl<T> Sync for SyncPtr<T> {}

/// Outputs below this many elements run on one thread.
pub const PAR_MIN: usize = 1 << 15;

/// Runs `body(elems, out_part)` over `0..out.len()` split into ranges (in parallel when a
/// pool is given and the output is big); `out_part` is `out[elems]`.
pub fn par_ranges<O: Send>(out: &mut [O], pool: Option<&ThreadPool>, body: impl Fn(Range<usize>, &mut [O]) + Sync) {
    let len = out.len();
    let threads = pool.map_or(1, |p| p.num_threads());
    let chunks = if threads > 1 && len >= PAR_MIN { (len / (PAR_MIN / 4)).clamp(1, threads * 4) } else { 1 };
    match pool {
        Some(p) if chunks > 1 => {
            // Chunk boundaries on multiples of 64 elements keep tasks off each other's cache lines.
            let per = len.div_ceil(chunks).next_multiple_of(64);
            let chunks = len.div_ceil(per);
            let ptr = SyncPtr(out.as_mut_ptr());
            let ptr = &ptr;
            let res = p.parallel_for(chunks, |c| {
                let (e0, e1) = (c * per, ((c + 1) * per).min(len));
                // SAFETY: ranges of distinct chunks are disjoint and lie within `out`.
                let part = unsafe { std::slice::from_raw_parts_mut(ptr.0.add(e0), e1 - e0) };
                body(e0..e1, part);
            });
            if res.is_err() {
                // A task panicked (a bug); redo the work inline so the panic surfaces here.
                body(0..len, out);
            }
        }
        _ => body(0..len, out),
    }
}

/// Runs `f` compiled with AVX2+FMA enabled when the CPU has them (onnxrun_linalg's tier,
/// so `ONNXRUN_LINALG_TIER=scalar` turns it off), letting simple loops in `f` vectorize 8
/// lanes wide. Mark the closure `#[inline(always)]` so it is compiled into the caller.
#[inline(always)]
pub fn with_simd<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        use onnxrun_linalg::gemm::{active_tier, Tier};
        if active_tier() == Tier::Fma {
            // SAFETY: the Fma tier is only active when the CPU has AVX2 and FMA.
            return unsafe { avx2(f) };
        }
    }
    f()
}

/// `out[i] = f(a[ia], b[ib])` over the broadcast of `a` and `b` (plan from their shapes).
/// `out.len()` must equal `plan.len()`.
pub fn map2<A: Copy + Sync, B: Copy + Sync, O: Copy + Send>(
    plan: &Broadcast,
    a: &[A],
    b: &[B],
    out: &mut [O],
    pool: Option<&ThreadPool>,
    f: impl Fn(A, B) -> O + Sync,
) {
    // SAFETY: MaybeUninit<O> has O's layout, and O: Copy has no drop to skip.
    let out = unsafe { &mut *(out as *mut [O] as *mut [MaybeUninit<O>]) };
    map2_uninit(plan, a, b, out, pool, f);
}

/// `map2` into a new vector (no zero-fill pass before the writes).
pub fn map2_vec<A: Copy + Sync, B: Copy + Sync, O: Send>(
    plan: &Broadcast,
    a: &[A],
    b: &[B],
    pool: Option<&ThreadPool>,
    f: impl Fn(A, B) -> O + Sync,
) -> Vec<O> {
    let mut v = Vec::with_capacity(plan.len());
    map2_uninit(plan, a, b, &mut v.spare_capacity_mut()[..plan.len()], pool, f);
    // SAFETY: map2_uninit wrote every one of the plan.len() elements.
    unsafe { v.set_len(plan.len()) };
    v
}

fn map2_uninit<A: Copy + Sync, B: Copy + Sync, O: Send>(
    plan: &Broadcast,
    a: &[A],
    b: &[B],
    out: &mut [MaybeUninit<O>],
    pool: Option<&ThreadPool>,
    f: impl Fn(A, B) -> O + Sync,
) {
    assert_eq!(out.len(), plan.len(), "map2: output length must match the plan");
    let (sa, sb) = (plan.inner_stride(0), plan.inner_stride(1));
    let f = &f;
    par_ranges(out, pool, |elems, part| {
        let base = elems.start;
        plan.for_each_segment(elems, |o, offs, n| {
            let dst = &mut part[o - base..o - base + n];
            let (oa, ob) = (offs[0], offs[1]);
            with_simd(
                #[inline(always)]
                || match (sa, sb) {
                    (1, 1) => {
                        for ((d, &x), &y) in dst.iter_mut().zip(&a[oa..oa + n]).zip(&b[ob..ob + n]) {
                            d.write(f(x, y));
                        }
                    }
                    (1, _) => {
                        let y = b[ob];
                        for (d, &x) in dst.iter_mut().zip(&a[oa..oa + n]) {
                            d.write(f(x, y));
                        }
                    }
                    (_, 1) => {
                        let x = a[oa];
                        for (d, &y) in dst.iter_mut().zip(&b[ob..ob + n]) {
                            d.write(f(x, y));
                        }
                    }
                    _ => {
                        for d in dst.iter_mut() {
                            d.write(f(a[oa], b[ob]));
                        }
                    }
                },
            );
        });
    });
}

/// `out[i] = f(a[ia], b[ib], c[ic])` over the broadcast of three inputs (Where, Clip).
pub fn map3<A: Copy + Sync, B: Copy + Sync, C: Copy + Sync, O: Copy + Send>(
    plan: &Broadcast,
    a: &[A],
    b: &[B],
    c: &[C],
    out: &mut [O],
    pool: Option<&ThreadPool>,
    f: impl Fn(A, B, C) -> O + Sync,
) {
    assert_eq!(out.len(), plan.len(), "map3: output length must match the plan");
    let (sa, sb, sc) = (plan.inner_stride(0), plan.inner_stride(1), plan.inner_stride(2));
    let f = &f;
    par_ranges(out, pool, |elems, part| {
        let base = elems.start;
        plan.for_each_segment(elems, |o, offs, n| {
            let dst = &mut part[o - base..o - base + n];
            with_simd(
                #[inline(always)]
                || {
                    if sa == 1 && sb == 1 && sc == 1 {
                        let (a, b, c) = (&a[offs[0]..offs[0] + n], &b[offs[1]..offs[1] + n], &c[offs[2]..offs[2] + n]);
                        for (i, d) in dst.iter_mut().enumerate() {
                            *d = f(a[i], b[i], c[i]);
                        }
                    } else {
                        for (i, d) in dst.iter_mut().enumerate() {
                            *d = f(a[offs[0] + i * sa], b[offs[1] + i * sb], c[offs[2] + i * sc]);
                        }
                    }
                },
            );
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
        assert!(Broadcast::new(&[&[2, 3], &[4]]).is_err());
        assert_eq!(Broadcast::new(&[&[2, 1], &[5, 1, 3]]).unwrap().shape(), &[5, 2, 3]);
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
