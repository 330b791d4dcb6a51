//! The generic GEMM driver: cache blocking, edge tiles and threading around any
//! micro-kernel.
//!
//! Loop order (Goto/BLIS): for each NC-wide column block, for each KC-deep k block, for
//! each MC-tall row block, pack that A block (into L2), then sweep the NR-wide B panels
//! (each stays in L1 while every MR-tall A panel passes over it). B is packed once in
//! full beforehand (or at session start, see `PackedB`), so the frame only reads it.
//!
//! Threads split C into a grid of rectangles aligned to the register tile; each task
//! packs its own A blocks into a thread-local buffer, so tasks share nothing but the
//! read-only packed B and write disjoint parts of C.

use super::buffer::{with_scratch, Scratch};
use super::kernel::GemmKernel;
use super::pack::{pack_a, pack_b_panel, Mat, PackedLayout};
use super::Element;
use crate::pool::ThreadPool;
use std::ops::Range;

/// Below this many multiply-adds a GEMM runs on the calling thread alone: waking workers
/// costs a few microseconds.
const PAR_MIN_WORK: usize = 96 * 1024;
/// Smallest share of multiply-adds worth a separate task.
const TASK_MIN_WORK: usize = 48 * 1024;
/// Tasks per thread, so a thread slowed by the OS does not hold up the rest.
const TASKS_PER_THREAD: usize = 3;
/// Below this many B elements, packing B runs on the calling thread alone.
const PACK_PAR_MIN: usize = 64 * 1024;

/// A raw pointer that tasks may share; each task touches a disjoint region.
#[derive(Clone, Copy)]
pub(crate) struct SendPtr<T>(*mut T);

// SAFETY: SendPtr is only handed to tasks that write provably disjoint regions of the
// allocation it points into, and the owner's borrow outlives the parallel_for.
unsafe impl<T: Send> Send for SendPtr<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for SendPtr<T> {}

impl<T> SendPtr<T> {
    pub(crate) fn new(p: *mut T) -> Self {
        SendPtr(p)
    }

    /// A method (not field access) so closures capture the whole Sync wrapper.
    pub(crate) fn get(self) -> *mut T {
        self.0
    }
}

/// Runs `n` tasks on the pool when there is one and `n > 1`, else inline.
pub(crate) fn run_tasks(pool: Option<&ThreadPool>, n: usize, task: impl Fn(usize) + Sync) {
    match pool {
        Some(pool) if n > 1 && pool.num_threads() > 1 => {
            if let Err(e) = pool.parallel_for(n, task) {
                panic!("onnxrun-linalg: {e}");
            }
        }
        _ => (0..n).for_each(task),
    }
}

/// Packs all of the logical `k × n` operand `b` into `out` (len `layout.len()`).
pub(crate) fn pack_b<T: Element>(
    pool: Option<&ThreadPool>,
    b: Mat<'_, T>,
    layout: PackedLayout,
    out: &mut [T],
) {
    assert_eq!(out.len(), layout.len());
    let PackedLayout { k, n, nr, kc } = layout;
    let panels = layout.panels();
    let k_blocks = k.div_ceil(kc);
    let threads = pool.map_or(1, ThreadPool::num_threads);
    let groups = if threads > 1 && k * n >= PACK_PAR_MIN {
        panels.min(2 * threads)
    } else {
        1
    };
    let out_ptr = SendPtr::new(out.as_mut_ptr());
    run_tasks(pool, k_blocks * groups, |t| {
        let (kb, g) = (t / groups, t % groups);
        let p0 = kb * kc;
        let depth = kc.min(k - p0);
        for j in g * panels / groups..(g + 1) * panels / groups {
            let (offset, len) = layout.panel(p0, j);
            // SAFETY: panels of distinct (k block, j) occupy disjoint ranges, all inside
            // `out` (len == layout.len()), and each (kb, j) belongs to exactly one task.
            let dst = unsafe { std::slice::from_raw_parts_mut(out_ptr.get().add(offset), len) };
            pack_b_panel(b, p0, depth, j * nr, nr.min(n - j * nr), nr, dst);
        }
    });
}

/// `C = alpha * op(A) * B + beta * C` for `m, n, k >= 1` with B already packed for
/// `kernel`. Operand sizes are checked by the caller.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_packed<T: Element>(
    pool: Option<&ThreadPool>,
    kernel: &GemmKernel<T>,
    m: usize,
    alpha: T,
    a: Mat<'_, T>,
    packed_b: &[T],
    layout: PackedLayout,
    beta: T,
    c: &mut [T],
    ldc: usize,
) {
    let PackedLayout { k, n, .. } = layout;
    debug_assert!(m > 0 && n > 0 && k > 0);
    debug_assert!(kernel.nc % kernel.nr == 0 && layout.nr == kernel.nr && layout.kc == kernel.kc);
    let block = Block {
        kernel,
        alpha,
        beta,
        a,
        b: packed_b,
        layout,
        ldc,
    };
    let (m_parts, n_parts) = split(
        pool.map_or(1, ThreadPool::num_threads),
        m,
        n,
        k,
        kernel.mr,
        kernel.nr,
    );
    let c_ptr = SendPtr::new(c.as_mut_ptr());
    let (m_panels, n_panels) = (m.div_ceil(kernel.mr), n.div_ceil(kernel.nr));
    run_tasks(pool, m_parts * n_parts, |t| {
        let (mi, ni) = (t / n_parts, t % n_parts);
        let rows = part(mi, m_parts, m_panels, kernel.mr, m);
        let cols = part(ni, n_parts, n_panels, kernel.nr, n);
        with_scratch(Scratch::A, |buf| {
            let a_pack =
                buf.as_mut_slice::<T>(kernel.mc.div_ceil(kernel.mr) * kernel.mr * kernel.kc);
            // SAFETY: the (rows, cols) rectangles of distinct tasks are disjoint, and the
            // caller checked that C holds m rows of n columns with stride ldc.
            unsafe { block.run(rows, cols, c_ptr.get(), a_pack) }
        })
    });
}

/// Grid of tasks (row parts, column parts) for a thread count. Rows are split first: that
/// adds no packing work, while splitting columns makes each column part repack A.
fn split(threads: usize, m: usize, n: usize, k: usize, mr: usize, nr: usize) -> (usize, usize) {
    let work = m.saturating_mul(n).saturating_mul(k);
    if threads <= 1 || work < PAR_MIN_WORK {
        return (1, 1);
    }
    let tasks = (threads * TASKS_PER_THREAD)
        .min(work / TASK_MIN_WORK)
        .max(1);
    let m_parts = m.div_ceil(mr).min(tasks);
    let n_parts = (tasks / m_parts).clamp(1, n.div_ceil(nr));
    (m_parts, n_parts)
}

/// Range of part `i` of `parts` over `panels` tiles of width `w` covering `len`.
fn part(i: usize, parts: usize, panels: usize, w: usize, len: usize) -> Range<usize> {
    let start = (i * panels / parts) * w;
    let end = ((i + 1) * panels / parts * w).min(len);
    start..end
}

/// Everything one task needs besides its rectangle.
struct Block<'a, T> {
    kernel: &'a GemmKernel<T>,
    alpha: T,
    beta: T,
    a: Mat<'a, T>,
    b: &'a [T],
    layout: PackedLayout,
    ldc: usize,
}

impl<T: Element> Block<'_, T> {
    /// Computes `C[rows, cols]`.
    ///
    /// # Safety
    /// `c` addresses the whole C (rows `< m`, columns `< n`, stride `ldc`), and no other
    /// thread touches `C[rows, cols]` meanwhile. `rows.start` and `cols.start` are
    /// multiples of MR and NR.
    unsafe fn run(&self, rows: Range<usize>, cols: Range<usize>, c: *mut T, a_pack: &mut [T]) {
        let GemmKernel {
            mr,
            nr,
            kc: kc_max,
            mc: mc_max,
            nc: nc_max,
            ..
        } = *self.kernel;
        let PackedLayout { k, n, .. } = self.layout;
        for j_block in cols.clone().step_by(nc_max) {
            let j_end = (j_block + nc_max).min(cols.end);
            for p0 in (0..k).step_by(kc_max) {
                let kc = kc_max.min(k - p0);
                // Later k blocks accumulate onto what the first one wrote.
                let beta = if p0 == 0 { self.beta } else { T::ONE };
                for i_block in rows.clone().step_by(mc_max) {
                    let mc = mc_max.min(rows.end - i_block);
                    pack_a(self.a, i_block, mc, p0, kc, mr, a_pack);
                    for j in (j_block..j_end).step_by(nr) {
                        let (offset, len) = self.layout.panel(p0, j / nr);
                        let b_panel = self.b[offset..][..len].as_ptr();
                        let cols_here = nr.min(n - j);
                        for ir in (0..mc).step_by(mr) {
                            let a_panel = a_pack[ir * kc..][..mr * kc].as_ptr();
                            let c_tile = c.add((i_block + ir) * self.ldc + j);
                            self.tile(
                                kc,
                                a_panel,
                                b_panel,
                                beta,
                                c_tile,
                                mr.min(mc - ir),
                                cols_here,
                            );
                        }
                    }
                }
            }
        }
    }

    /// One register tile; partial tiles go through a stack buffer.
    ///
    /// # Safety
    /// `c` addresses `rows × cols` elements of C with stride `ldc`; the panels hold
    /// `kc` steps each.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile(
        &self,
        kc: usize,
        a: *const T,
        b: *const T,
        beta: T,
        c: *mut T,
        rows: usize,
        cols: usize,
    ) {
        let GemmKernel { mr, nr, func, .. } = *self.kernel;
        if rows == mr && cols == nr {
            func(kc, self.alpha, a, b, beta, c, self.ldc);
            return;
        }
        let mut tmp = [T::ZERO; MAX_TILE];
        assert!(
            mr * nr <= MAX_TILE,
            "micro-kernel tile larger than MAX_TILE"
        );
        func(kc, self.alpha, a, b, T::ZERO, tmp.as_mut_ptr(), nr);
        for (i, t_row) in tmp.chunks_exact(nr).take(rows).enumerate() {
            let c_row = std::slice::from_raw_parts_mut(c.add(i * self.ldc), cols);
            for (o, &t) in c_row.iter_mut().zip(t_row) {
                *o = if beta == T::ZERO { t } else { t + beta * *o };
            }
        }
    }
}

/// Largest MR×NR of any kernel (6x16 = 96, with room to spare).
const MAX_TILE: usize = 256;
