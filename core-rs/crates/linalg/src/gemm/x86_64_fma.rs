//! AVX2 + FMA micro-kernels.
//!
//! f32 6x16: 12 ymm accumulators + 2 for the B row + 1 broadcast of A = 15 of 16 ymm
//! registers; per k step 2 loads of B and 6 broadcasts feed 12 FMAs, which keeps both FMA
//! ports busy on Zen 3 / Skylake. f64 6x8 is the same tile with 4 doubles per register.

use std::arch::x86_64::*;

/// Adds one k step for row `i`: acc[i] += A[i] * (b0, b1).
macro_rules! row_step {
    ($acc:ident, $ap:ident, $b0:ident, $b1:ident, $bcast:ident, $fma:ident, $i:literal) => {
        let av = $bcast(&*$ap.add($i));
        $acc[$i][0] = $fma(av, $b0, $acc[$i][0]);
        $acc[$i][1] = $fma(av, $b1, $acc[$i][1]);
    };
}

/// # Safety
/// The CPU supports AVX2 and FMA; `a` holds `6k`, `b` `16k` readable f32; `c` addresses 6
/// rows of 16 writable f32 with row stride `ldc`, readable too unless `beta == 0`.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn x86_64_fma_gemm_f32_6x16(
    k: usize,
    alpha: f32,
    a: *const f32,
    b: *const f32,
    beta: f32,
    c: *mut f32,
    ldc: usize,
) {
    let mut acc = [[_mm256_setzero_ps(); 2]; 6];
    let mut ap = a;
    let mut bp = b;
    for _ in 0..k {
        let b0 = _mm256_loadu_ps(bp);
        let b1 = _mm256_loadu_ps(bp.add(8));
        row_step!(acc, ap, b0, b1, _mm256_broadcast_ss, _mm256_fmadd_ps, 0);
        row_step!(acc, ap, b0, b1, _mm256_broadcast_ss, _mm256_fmadd_ps, 1);
        row_step!(acc, ap, b0, b1, _mm256_broadcast_ss, _mm256_fmadd_ps, 2);
        row_step!(acc, ap, b0, b1, _mm256_broadcast_ss, _mm256_fmadd_ps, 3);
        row_step!(acc, ap, b0, b1, _mm256_broadcast_ss, _mm256_fmadd_ps, 4);
        row_step!(acc, ap, b0, b1, _mm256_broadcast_ss, _mm256_fmadd_ps, 5);
        ap = ap.add(6);
        bp = bp.add(16);
    }
    let va = _mm256_set1_ps(alpha);
    let vb = _mm256_set1_ps(beta);
    for (i, row) in acc.iter().enumerate() {
        let cp = c.add(i * ldc);
        for (h, &x) in row.iter().enumerate() {
            let cp = cp.add(8 * h);
            let out = if beta == 0.0 {
                _mm256_mul_ps(va, x)
            } else if beta == 1.0 {
                _mm256_fmadd_ps(va, x, _mm256_loadu_ps(cp))
            } else {
                _mm256_fmadd_ps(va, x, _mm256_mul_ps(vb, _mm256_loadu_ps(cp)))
            };
            _mm256_storeu_ps(cp, out);
        }
    }
}

/// # Safety
/// The CPU supports AVX2 and FMA; `a` holds `6k`, `b` `8k` readable f64; `c` addresses 6
/// rows of 8 writable f64 with row stride `ldc`, readable too unless `beta == 0`.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn x86_64_fma_gemm_f64_6x8(
    k: usize,
    alpha: f64,
    a: *const f64,
    b: *const f64,
    beta: f64,
    c: *mut f64,
    ldc: usize,
) {
    let mut acc = [[_mm256_setzero_pd(); 2]; 6];
    let mut ap = a;
    let mut bp = b;
    for _ in 0..k {
        let b0 = _mm256_loadu_pd(bp);
        let b1 = _mm256_loadu_pd(bp.add(4));
        row_step!(acc, ap, b0, b1, _mm256_broadcast_sd, _mm256_fmadd_pd, 0);
        row_step!(acc, ap, b0, b1, _mm256_broadcast_sd, _mm256_fmadd_pd, 1);
        row_step!(acc, ap, b0, b1, _mm256_broadcast_sd, _mm256_fmadd_pd, 2);
        row_step!(acc, ap, b0, b1, _mm256_broadcast_sd, _mm256_fmadd_pd, 3);
        row_step!(acc, ap, b0, b1, _mm256_broadcast_sd, _mm256_fmadd_pd, 4);
        row_step!(acc, ap, b0, b1, _mm256_broadcast_sd, _mm256_fmadd_pd, 5);
        ap = ap.add(6);
        bp = bp.add(8);
    }
    let va = _mm256_set1_pd(alpha);
    let vb = _mm256_set1_pd(beta);
    for (i, row) in acc.iter().enumerate() {
        let cp = c.add(i * ldc);
        for (h, &x) in row.iter().enumerate() {
            let cp = cp.add(4 * h);
            let out = if beta == 0.0 {
                _mm256_mul_pd(va, x)
            } else if beta == 1.0 {
                _mm256_fmadd_pd(va, x, _mm256_loadu_pd(cp))
            } else {
                _mm256_fmadd_pd(va, x, _mm256_mul_pd(vb, _mm256_loadu_pd(cp)))
            };
            _mm256_storeu_pd(cp, out);
        }
    }
}
