//! Q·Kᵀ and P·V for blocks of only a few query rows (decoding: one position per head of a
//! group). A packed GEMM would copy all of K and V into panels for a handful of rows;
//! these loops instead stream each key and value row once, using it for every query row
//! while it is in L1. Compiled with AVX2+FMA when the linalg tier allows.

use super::core::Comp;
use onnxrun_linalg::gemm::{active_tier, Tier};

/// Most rows these loops handle (the per-row state stays in registers / L1).
pub(super) const MAX_ROWS: usize = 8;

/// `out[r*n + j] = alpha * dot(q[r*ldq..][..d], k[j*ldk..][..d])` for `r < rows`, `j < n`.
#[allow(clippy::too_many_arguments)]
pub(super) fn scores<C: Comp>(rows: usize, n: usize, d: usize, alpha: C, q: &[C], ldq: usize, k: &[C], ldk: usize, out: &mut [C]) {
    #[cfg(target_arch = "x86_64")]
    if active_tier() == Tier::Fma {
        // SAFETY: the Fma tier is only active when the CPU has AVX2 and FMA.
        return unsafe { scores_avx2(rows, n, d, alpha, q, ldq, k, ldk, out) };
    }
    scores_body(rows, n, d, alpha, q, ldq, k, ldk, out)
}

/// `y[r*dv..][..dv] = Σ_j p[r*n + j] * v[j*ldv..][..dv]` for `r < rows`.
#[allow(clippy::too_many_arguments)]
pub(super) fn weighted_sum<C: Comp>(rows: usize, n: usize, dv: usize, p: &[C], v: &[C], ldv: usize, y: &mut [C]) {
    #[cfg(target_arch = "x86_64")]
    if active_tier() == Tier::Fma {
        // SAFETY: as above.
        return unsafe { weighted_sum_avx2(rows, n, dv, p, v, ldv, y) };
    }
    weighted_sum_body(rows, n, dv, p, v, ldv, y)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn scores_avx2<C: Comp>(rows: usize, n: usize, d: usize, alpha: C, q: &[C], ldq: usize, k: &[C], ldk: usize, out: &mut [C]) {
    scores_body(rows, n, d, alpha, q, ldq, k, ldk, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn weighted_sum_avx2<C: Comp>(rows: usize, n: usize, dv: usize, p: &[C], v: &[C], ldv: usize, y: &mut [C]) {
    weighted_sum_body(rows, n, dv, p, v, ldv, y)
}

/// All rows' dot products with one key row at once: `R` rows × `L` lanes of independent
/// partial sums, so the adds do not wait on each other and the key is loaded once.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn dots<C: Comp, const R: usize, const L: usize>(q: &[C], ldq: usize, d: usize, kr: &[C], alpha: C, out: &mut [C], n: usize, j: usize) {
    let zero = <C as crate::util::real::Acc>::ZERO;
    let mut acc = [[zero; L]; R];
    let full = d / L * L;
    let mut c = 0;
    while c < full {
        let kc = &kr[c..c + L];
        for (r, a) in acc.iter_mut().enumerate() {
            let qc = &q[r * ldq + c..r * ldq + c + L];
            for l in 0..L {
                a[l] += qc[l] * kc[l];
            }
        }
        c += L;
    }
    for (r, a) in acc.iter().enumerate() {
        let mut s = zero;
        for &v in a {
            s += v;
        }
        for x in full..d {
            s += q[r * ldq + x] * kr[x];
        }
        out[r * n + j] = alpha * s;
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn scores_rows<C: Comp, const R: usize, const L: usize>(
    n: usize,
    d: usize,
    alpha: C,
    q: &[C],
    ldq: usize,
    k: &[C],
    ldk: usize,
    out: &mut [C],
) {
    for j in 0..n {
        dots::<C, R, L>(q, ldq, d, &k[j * ldk..j * ldk + d], alpha, out, n, j);
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn scores_body<C: Comp>(rows: usize, n: usize, d: usize, alpha: C, q: &[C], ldq: usize, k: &[C], ldk: usize, out: &mut [C]) {
    match rows {
        1 => scores_rows::<C, 1, 32>(n, d, alpha, q, ldq, k, ldk, out),
        2 => scores_rows::<C, 2, 16>(n, d, alpha, q, ldq, k, ldk, out),
        3 => scores_rows::<C, 3, 16>(n, d, alpha, q, ldq, k, ldk, out),
        4 => scores_rows::<C, 4, 8>(n, d, alpha, q, ldq, k, ldk, out),
        5 => scores_rows::<C, 5, 8>(n, d, alpha, q, ldq, k, ldk, out),
        6 => scores_rows::<C, 6, 8>(n, d, alpha, q, ldq, k, ldk, out),
        7 => scores_rows::<C, 7, 8>(n, d, alpha, q, ldq, k, ldk, out),
        _ => scores_rows::<C, 8, 8>(n, d, alpha, q, ldq, k, ldk, out),
    }
}

#[inline(always)]
fn weighted_sum_body<C: Comp>(rows: usize, n: usize, dv: usize, p: &[C], v: &[C], ldv: usize, y: &mut [C]) {
    let y = &mut y[..rows * dv];
    y.fill(<C as crate::util::real::Acc>::ZERO);
    for j in 0..n {
        let vr = &v[j * ldv..j * ldv + dv];
        for r in 0..rows {
            let w = p[r * n + j];
            for (o, &x) in y[r * dv..(r + 1) * dv].iter_mut().zip(vr) {
                *o += w * x;
            }
        }
    }
}
