//! Portable micro-kernel for any MR×NR tile: the fallback tier and the oracle the SIMD
//! kernels are tested against. Plain multiply-then-add, no fused rounding.

use super::Element;

/// See [`super::kernel::KernelFn`] for the contract.
///
/// # Safety
/// `a` holds `k * MR` and `b` `k * NR` readable values; `c` addresses `MR` rows of `NR`
/// writable values with row stride `ldc`, readable too unless `beta == 0`.
pub(crate) unsafe fn generic_gemm<T: Element, const MR: usize, const NR: usize>(
    k: usize,
    alpha: T,
    a: *const T,
    b: *const T,
    beta: T,
    c: *mut T,
    ldc: usize,
) {
    let a = std::slice::from_raw_parts(a, k * MR);
    let b = std::slice::from_raw_parts(b, k * NR);
    let mut acc = [[T::ZERO; NR]; MR];
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        for (row, &av) in acc.iter_mut().zip(ap) {
            for (x, &bv) in row.iter_mut().zip(bp) {
                *x = *x + av * bv;
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        let out = std::slice::from_raw_parts_mut(c.add(i * ldc), NR);
        for (o, &x) in out.iter_mut().zip(row) {
            *o = if beta == T::ZERO {
                alpha * x
            } else {
                alpha * x + beta * *o
            };
        }
    }
}
