//! Splitting a kernel's work over the CPU provider's intra-op pool. Kernels pass `None`
//! for work too small to be worth waking the pool, and the work then runs inline.

use onnxrun_core::{OpContext, Result};
use onnxrun_linalg::ThreadPool;
use std::ops::Range;

/// The CPU provider's pool for this node, if it runs multi-threaded.
pub fn pool<'a>(ctx: &OpContext<'a>) -> Option<&'a ThreadPool> {
    ctx.provider_as::<crate::CpuProvider>().and_then(|p| p.pool())
}

/// `pool` when `work` (roughly, scalar operations) is large enough to split.
pub fn pool_for<'a>(ctx: &OpContext<'a>, work: usize) -> Option<&'a ThreadPool> {
    if work >= PARALLEL_MIN_WORK {
        pool(ctx)
    } else {
        None
    }
}

/// Below this many scalar operations a job costs more to hand out than to run.
pub const PARALLEL_MIN_WORK: usize = 1 << 15;

fn pool_error(e: onnxrun_linalg::PoolError) -> onnxrun_core::Error {
    onnxrun_core::err!(Fail, "internal error in a parallel kernel task: {e}")
}

/// Runs `f(range)` over `0..n` split into contiguous ranges, in parallel when `pool` is given.
pub fn for_ranges<F>(pool: Option<&ThreadPool>, n: usize, f: F) -> Result<()>
where
    F: Fn(Range<usize>) + Sync,
{
    let threads = pool.map_or(1, |p| p.num_threads());
    if threads <= 1 || n <= 1 {
        f(0..n);
        return Ok(());
    }
    // A few tasks per thread evens out uneven tasks without much hand-out cost.
    let tasks = n.min(threads * 4);
    let per = n.div_ceil(tasks);
    let tasks = n.div_ceil(per);
    pool.unwrap().parallel_for(tasks, |t| f(t * per..((t + 1) * per).min(n))).map_err(pool_error)
}

/// A raw pointer that tasks may share because each writes a disjoint part.
struct SharedMut<T>(*mut T);
// SAFETY: only used below, where every task touches a disjoint range of the slice.
unsafe impl<T: Send> Sync for SharedMut<T> {}
unsafe impl<T: Send> Send for SharedMut<T> {}

/// Runs `f(i, chunk_i)` for every `chunk`-long piece of `data` (the last may be shorter),
/// in parallel when `pool` is given.
pub fn for_chunks_mut<T, F>(pool: Option<&ThreadPool>, data: &mut [T], chunk: usize, f: F) -> Result<()>
where
    T: Send,
    F: Fn(usize, &mut [T]) + Sync,
{
    let chunk = chunk.max(1);
    for_chunk_ranges_mut(pool, data, chunk, |r, piece| {
        for (i, c) in r.zip(piece.chunks_mut(chunk)) {
            f(i, c);
        }
    })
}

/// Runs `f(range, piece)` where `piece` is `data[range.start * chunk .. range.end * chunk]`
/// (clipped to `data`), over contiguous ranges of chunk indices that cover `data`, in
/// parallel when `pool` is given. For tasks that set up scratch space once per range.
pub fn for_chunk_ranges_mut<T, F>(pool: Option<&ThreadPool>, data: &mut [T], chunk: usize, f: F) -> Result<()>
where
    T: Send,
    F: Fn(Range<usize>, &mut [T]) + Sync,
{
    if data.is_empty() {
        return Ok(());
    }
    let chunk = chunk.max(1);
    let n_chunks = data.len().div_ceil(chunk);
    let len = data.len();
    let base = SharedMut(data.as_mut_ptr());
    for_ranges(pool, n_chunks, |r| {
        let base = &base;
        let start = r.start * chunk;
        let end = (r.end * chunk).min(len);
        // SAFETY: start..end lies inside `data`; the ranges handed to tasks are disjoint,
        // so no two live slices overlap.
        let piece = unsafe { std::slice::from_raw_parts_mut(base.0.add(start), end - start) };
        f(r, piece);
    })
}
