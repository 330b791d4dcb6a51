//! A process-wide count of B-operand packings, for tests and profiling: a steady-state
//! run whose weights were prepacked ([`PackedB`](super::PackedB)) should add none.

use std::sync::atomic::{AtomicU64, Ordering};

static B_PACKS: AtomicU64 = AtomicU64::new(0);

pub(crate) fn count_b_pack() {
    B_PACKS.fetch_add(1, Ordering::Relaxed);
}

/// How many times this process has packed a B operand so far: once per [`gemm`](super::gemm)
/// call that packs (not the GEMV paths for `m == 1` or thin `n`) and once per
/// [`PackedB`](super::PackedB) built. Counts every thread, so a test comparing two reads
/// must not run other GEMMs in between (give it a test binary of its own).
pub fn b_pack_count() -> u64 {
    B_PACKS.load(Ordering::Relaxed)
}
