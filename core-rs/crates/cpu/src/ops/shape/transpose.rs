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
            let mut row = c * rows_per_task;
            for dst in chunk.chunks_mut(last) {
                let b = base_of(row);
                dst.clone_from_slice(&src[b..b + last]);
                row += 1;
            }
        });
    }
    let s_last = ist[rank - 1];
    if rank >= 2 && perm[rank - 2] == rank - 1 {
        // Input dim with stride 1 is output dim rank-2: tiled transpose of
        // [out_shape[rank-2] x last] blocks, TILE rows of the output at a time.
        let d1 = out_shape[rank - 2];
        // One task per matrix, or per TILE rows when there are few matrices.
        let rpc = if rows / d1 >= 4 || d1 % TILE != 0 { d1 } else { TILE };
        return for_chunks_mut(pool, out, rpc * last, |c, dst| {
            let row0 = c * rpc;
            let b = base_of(row0 - row0 % d1) + row0 % d1;
            let n_rows = dst.len() / last;
            for r0 in (0..n_rows).step_by(TILE) {
                let r1 = (r0 + TILE).min(n_rows);
                for c0 in (0..last).step_by(TILE) {
                    let c1 = (c0 + TILE).min(last);
                    for c in c0..c1 {
                        let s = b + c * s_last;
                        for r in r0..r1 {
                            dst[r * last + c] = src[s + r].clone();
                        }
                    }
                }
            }
        });
    }
    // General case: strided gather along the inner output dim.
    let rows_per_task = (rows / 64).max(1);
    for_chunks_mut(pool, out, rows_per_task * last, |c, chunk| {
        let mut row = c * rows_per_task;
        for dst in chunk.chunks_mut(last) {
            let b = base_of(row);
            for (i, d) in dst.iter_mut().enumerate() {
                *d = src[b + i * s_last].clone();
            }
            row += 1;
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
        let shape = [2usize, 3, 4, 5];
        let n: usize = shape.iter().product();
        let x = Tensor::from_vec(shape.to_vec(), (0..n as i32).collect::<Vec<_>>()).unwrap();
        let perms = permutations(4);
        for p in perms {
            let y = transpose_tensor(&x, &p, None).unwrap();
            let ys = y.data::<i32>().unwrap();
            let os: Vec<usize> = p.iter().map(|&d| shape[d]).collect();
            let ist = strides(&shape);
            let ost = strides(&os);
            for (o, &v) in ys.iter().enumerate() {
                let mut src = 0;
                for d in 0..4 {
                    src += (o / ost[d] % os[d]) * ist[p[d]];
                }
                assert_eq!(v as usize, src, "perm {p:?} at {o}");
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
