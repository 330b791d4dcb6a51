//! Transpose for every dtype. The permutation is first simplified (size-1 dims dropped,
//! dims that stay adjacent merged), so most real cases become one of three loops:
//! an identity (zero-copy), contiguous block copies (inner dim unmoved), or a tiled 2-D
//! transpose (inner input dim becomes the second-to-last output dim).

use crate::util::elems::{strides, AtNode, Elem};
use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::with_elem;
use onnxrun_core::{ensure, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Transpose", 1, transpose));
}

fn transpose(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let perm = node.get_ints("perm")?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let rank = x.rank();
        let perm: Vec<usize> = match &perm {
            Some(p) => check_perm(p, rank).at(ctx.node)?,
            None => (0..rank).rev().collect(),
        };
        let pool = pool_for(ctx, x.len());
        let y = transpose_tensor(x, &perm, pool).at(ctx.node)?;
        ctx.set_output(0, y)
    })))
}

/// Validates `perm` as a permutation of `0..rank` (negative entries are not allowed).
pub fn check_perm(p: &[i64], rank: usize) -> Result<Vec<usize>> {
    ensure!(p.len() == rank, InvalidArgument, "perm {p:?} has {} entries but the input has rank {rank}", p.len());
    let mut seen = vec![false; rank];
    let mut out = Vec::with_capacity(rank);
    for &a in p {
        ensure!(a >= 0 && (a as usize) < rank && !seen[a as usize], InvalidArgument, "perm {p:?} is not a permutation of 0..{rank}");
        seen[a as usize] = true;
        out.push(a as usize);
    }
    Ok(out)
}

/// `x` with its dims permuted: output dim i is input dim `perm[i]`.
pub fn transpose_tensor(x: &Tensor, perm: &[usize], pool: Option<&ThreadPool>) -> Result<Tensor> {
    let out_shape: Vec<usize> = perm.iter().map(|&p| x.shape()[p]).collect();
    let (shape, sperm) = simplify(x.shape(), perm);
    if sperm.iter().enumerate().all(|(i, &p)| i == p) || x.is_empty() {
        return x.reshaped(out_shape);
    }
    with_elem!(x.dtype(), T => {
        let src = T::view(x)?;
        let mut out = crate::util::elems::alloc::<T>(x.dtype(), &out_shape)?;
        permute(&src, &shape, &sperm, &mut out, pool)?;
        T::build(x.dtype(), out_shape, out)
    })
}

/// Drops size-1 dims and merges input dims that stay adjacent and in order in the output.
/// Returns the merged input shape and the permutation over it.
fn simplify(shape: &[usize], perm: &[usize]) -> (Vec<usize>, Vec<usize>) {
    // Keep dims of size > 1, renumbered.
    let keep: Vec<usize> = (0..shape.len()).filter(|&d| shape[d] != 1).collect();
    let renum = |d: usize| keep.iter().position(|&k| k == d);
    let p: Vec<usize> = perm.iter().filter_map(|&d| renum(d)).collect();
    let s: Vec<usize> = keep.iter().map(|&d| shape[d]).collect();
    // Group consecutive output dims whose input dims are consecutive.
    let mut groups: Vec<(usize, usize)> = Vec::new(); // (first input dim, count)
    for &d in &p {
        match groups.last_mut() {
            Some((first, n)) if *first + *n == d => *n += 1,
            _ => groups.push((d, 1)),
        }
    }
    // Merged input dims are the groups ordered by their first input dim.
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| groups[g].0);
    let mut new_index = vec![0; groups.len()];
    let mut mshape = Vec::with_capacity(groups.len());
    for (i, &g) in order.iter().enumerate() {
        new_index[g] = i;
        let (first, n) = groups[g];
        mshape.push(s[first..first + n].iter().product());
    }
    let mperm = (0..groups.len()).map(|g| new_index[g]).collect();
    (mshape, mperm)
}

/// Side of the square tiles of the 2-D transpose loop.
const TILE: usize = 16;

/// `dst[i * ds + j] = src[j * ss + i]` for `i < rows`, `j < cols`: one tile of a 2-D
/// transpose, writing contiguously. Bounds are checked once for the whole tile.
#[inline(always)]
fn block<T: Clone>(src: &[T], ss: usize, dst: &mut [T], ds: usize, rows: usize, cols: usize) {
    if rows == 0 || cols == 0 {
        return;
    }
    let fits = (cols - 1) * ss + rows <= src.len() && (rows - 1) * ds + cols <= dst.len();
    for i in 0..rows {
        let d = &mut dst[i * ds..i * ds + cols];
        if fits {
            for (j, v) in d.iter_mut().enumerate() {
                // SAFETY: j * ss + i <= (cols - 1) * ss + rows - 1 < src.len(), checked above.
                *v = unsafe { src.get_unchecked(j * ss + i) }.clone();
            }
        } else {
            for (j, v) in d.iter_mut().enumerate() {
                *v = src[j * ss + i].clone();
            }
        }
    }
}

/// `block` for any element type, with SSE2 register transposes for 4- and 8-byte
/// elements on x86-64 (float, int32, int64, double: the common cases).
#[inline(always)]
fn tile<T: Elem>(src: &[T], ss: usize, dst: &mut [T], ds: usize, rows: usize, cols: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::any::TypeId;
        if TypeId::of::<T>() == TypeId::of::<u32>() {
            // SAFETY: T is u32 (same TypeId), so the slices are reinterpreted as themselves.
            let (s, d) = unsafe { (&*(src as *const [T] as *const [u32]), &mut *(dst as *mut [T] as *mut [u32])) };
            return sse::tile32(s, ss, d, ds, rows, cols);
        }
        if TypeId::of::<T>() == TypeId::of::<u64>() {
            // SAFETY: as above, T is u64.
            let (s, d) = unsafe { (&*(src as *const [T] as *const [u64]), &mut *(dst as *mut [T] as *mut [u64])) };
            return sse::tile64(s, ss, d, ds, rows, cols);
        }
    }
    block(src, ss, dst, ds, rows, cols)
}

#[cfg(target_arch = "x86_64")]
mod sse {
    use super::block;
    use std::arch::x86_64::*;

    /// Whether a rows x cols tile lies within both slices (checked once per tile).
    fn fits(sl: usize, ss: usize, dl: usize, ds: usize, rows: usize, cols: usize) -> bool {
        rows > 0 && cols > 0 && (cols - 1) * ss + rows <= sl && (rows - 1) * ds + cols <= dl
    }

    /// 4x4 blocks of 32-bit elements; ragged edges via `block`.
    pub fn tile32(src: &[u32], ss: usize, dst: &mut [u32], ds: usize, rows: usize, cols: usize) {
        let (r4, c4) = (rows / 4 * 4, cols / 4 * 4);
        if r4 == 0 || c4 == 0 || !fits(src.len(), ss, dst.len(), ds, rows, cols) {
            return block(src, ss, dst, ds, rows, cols);
        }
        for i0 in (0..r4).step_by(4) {
            for j0 in (0..c4).step_by(4) {
                // SAFETY: SSE2 is part of x86-64; every load reads src[(j0+k)*ss + i0 .. +4]
                // and every store writes dst[(i0+k)*ds + j0 .. +4], inside the tile `fits` checked.
                unsafe {
                    let p = src.as_ptr().add(j0 * ss + i0);
                    let a = _mm_loadu_si128(p as *const __m128i);
                    let b = _mm_loadu_si128(p.add(ss) as *const __m128i);
                    let c = _mm_loadu_si128(p.add(2 * ss) as *const __m128i);
                    let d = _mm_loadu_si128(p.add(3 * ss) as *const __m128i);
                    let (t0, t1) = (_mm_unpacklo_epi32(a, b), _mm_unpacklo_epi32(c, d));
                    let (t2, t3) = (_mm_unpackhi_epi32(a, b), _mm_unpackhi_epi32(c, d));
                    let q = dst.as_mut_ptr().add(i0 * ds + j0);
                    _mm_storeu_si128(q as *mut __m128i, _mm_unpacklo_epi64(t0, t1));
                    _mm_storeu_si128(q.add(ds) as *mut __m128i, _mm_unpackhi_epi64(t0, t1));
                    _mm_storeu_si128(q.add(2 * ds) as *mut __m128i, _mm_unpacklo_epi64(t2, t3));
                    _mm_storeu_si128(q.add(3 * ds) as *mut __m128i, _mm_unpackhi_epi64(t2, t3));
                }
            }
        }
        edges(src, ss, dst, ds, rows, cols, r4, c4);
    }

    /// 2x2 blocks of 64-bit elements.
    pub fn tile64(src: &[u64], ss: usize, dst: &mut [u64], ds: usize, rows: usize, cols: usize) {
        let (r2, c2) = (rows / 2 * 2, cols / 2 * 2);
        if r2 == 0 || c2 == 0 || !fits(src.len(), ss, dst.len(), ds, rows, cols) {
            return block(src, ss, dst, ds, rows, cols);
        }
        for i0 in (0..r2).step_by(2) {
            for j0 in (0..c2).step_by(2) {
                // SAFETY: as in tile32, with 2x2 blocks inside the checked tile.
                unsafe {
                    let p = src.as_ptr().add(j0 * ss + i0);
                    let a = _mm_loadu_si128(p as *const __m128i);
                    let b = _mm_loadu_si128(p.add(ss) as *const __m128i);
                    let q = dst.as_mut_ptr().add(i0 * ds + j0);
                    _mm_storeu_si128(q as *mut __m128i, _mm_unpacklo_epi64(a, b));
                    _mm_storeu_si128(q.add(ds) as *mut __m128i, _mm_unpackhi_epi64(a, b));
                }
            }
        }
        edges(src, ss, dst, ds, rows, cols, r2, c2);
    }

    /// The parts of a tile the vector blocks left: columns past `cd` for the first `rd`
    /// rows, then the rows past `rd`.
    #[allow(clippy::too_many_arguments)]
    fn edges<P: Copy>(src: &[P], ss: usize, dst: &mut [P], ds: usize, rows: usize, cols: usize, rd: usize, cd: usize) {
        if cd < cols {
            block(&src[cd * ss..], ss, &mut dst[cd..], ds, rd, cols - cd);
        }
        if rd < rows {
            block(&src[rd..], ss, &mut dst[rd * ds..], ds, rows - rd, cols);
        }
    }
}

fn permute<T: Elem>(src: &[T], shape: &[usize], perm: &[usize], out: &mut [T], pool: Option<&ThreadPool>) -> Result<()> {
    let rank = shape.len();
    let in_strides = strides(shape);
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    // Input stride of each output dim.
    let ist: Vec<usize> = perm.iter().map(|&p| in_strides[p]).collect();
    let last = out_shape[rank - 1];
    let rows = out.len() / last;
    let outer_shape = &out_shape[..rank - 1];
    let outer_ist = &ist[..rank - 1];
    let base_of = |mut row: usize| -> usize {
        let mut off = 0;
        for d in (0..rank - 1).rev() {
            off += (row % outer_shape[d]) * outer_ist[d];
            row /= outer_shape[d];
        }
        off
    };
    if perm[rank - 1] == rank - 1 {
        // Inner dim unmoved: copy rows of `last` contiguous elements.
        let rows_per_task = (rows / 64).max(1);
        return for_chunks_mut(pool, out, rows_per_task * last, |c, chunk| {
            for (row, dst) in (c * rows_per_task..).zip(chunk.chunks_mut(last)) {
                let b = base_of(row);
                dst.clone_from_slice(&src[b..b + last]);
            }
        });
    }
    let s_last = ist[rank - 1];
    if rank >= 2 && perm[rank - 2] == rank - 1 {
        // Input dim with stride 1 is output dim rank-2: tiled transpose of
        // [out_shape[rank-2] x last] blocks, TILE rows of the output at a time.
        let d1 = out_shape[rank - 2];
        // One task per matrix, or per TILE rows when there are few matrices.
        let rpc = if rows / d1 >= 4 || !d1.is_multiple_of(TILE) { d1 } else { TILE };
        return for_chunks_mut(pool, out, rpc * last, |c, dst| {
            let row0 = c * rpc;
            let b = base_of(row0 - row0 % d1) + row0 % d1;
            let n_rows = dst.len() / last;
            for r0 in (0..n_rows).step_by(TILE) {
                let r1 = (r0 + TILE).min(n_rows);
                for c0 in (0..last).step_by(TILE) {
                    let c1 = (c0 + TILE).min(last);
                    tile(&src[b + r0 + c0 * s_last..], s_last, &mut dst[r0 * last + c0..], last, r1 - r0, c1 - c0);
                }
            }
        });
    }
    // General case: strided gather along the inner output dim.
    let rows_per_task = (rows / 64).max(1);
    for_chunks_mut(pool, out, rows_per_task * last, |c, chunk| {
        for (row, dst) in (c * rows_per_task..).zip(chunk.chunks_mut(last)) {
            let b = base_of(row);
            for (i, d) in dst.iter_mut().enumerate() {
                *d = src[b + i * s_last].clone();
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplify_merges_and_drops() {
        // NCHW -> NHWC
        assert_eq!(simplify(&[2, 3, 4, 5], &[0, 2, 3, 1]), (vec![2, 3, 20], vec![0, 2, 1]));
        // size-1 dims vanish
        assert_eq!(simplify(&[1, 3, 1, 5], &[3, 2, 1, 0]), (vec![3, 5], vec![1, 0]));
        assert_eq!(simplify(&[2, 3], &[0, 1]), (vec![6], vec![0]));
    }

    #[test]
    fn matches_naive_for_all_perms_of_rank4() {
        // 4- and 8-byte elements take the vector tiles; odd sizes leave ragged edges.
        for shape in [[2usize, 3, 4, 5], [2, 37, 3, 53]] {
            let n: usize = shape.iter().product();
            let x32 = Tensor::from_vec(shape.to_vec(), (0..n as i32).collect::<Vec<_>>()).unwrap();
            let x64 = Tensor::from_vec(shape.to_vec(), (0..n as i64).collect::<Vec<_>>()).unwrap();
            let x16 = Tensor::from_vec(shape.to_vec(), (0..n).map(|v| v as u16).collect::<Vec<_>>()).unwrap();
            for p in permutations(4) {
                let os: Vec<usize> = p.iter().map(|&d| shape[d]).collect();
                let ist = strides(&shape);
                let ost = strides(&os);
                let want: Vec<usize> = (0..n)
                    .map(|o| (0..4).map(|d| (o / ost[d] % os[d]) * ist[p[d]]).sum())
                    .collect();
                let y32: Vec<usize> = transpose_tensor(&x32, &p, None).unwrap().data::<i32>().unwrap().iter().map(|&v| v as usize).collect();
                let y64: Vec<usize> = transpose_tensor(&x64, &p, None).unwrap().data::<i64>().unwrap().iter().map(|&v| v as usize).collect();
                let y16: Vec<usize> = transpose_tensor(&x16, &p, None).unwrap().data::<u16>().unwrap().iter().map(|&v| v as usize).collect();
                assert_eq!(y32, want, "i32 perm {p:?} shape {shape:?}");
                assert_eq!(y64, want, "i64 perm {p:?} shape {shape:?}");
                let w16: Vec<usize> = want.iter().map(|&v| v as u16 as usize).collect();
                assert_eq!(y16, w16, "u16 perm {p:?} shape {shape:?}");
            }
        }
    }

    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut out = vec![];
        for p in permutations(n - 1) {
            for i in 0..=p.len() {
                let mut q = p.clone();
                q.insert(i, n - 1);
                out.push(q);
            }
        }
        out
    }
}
