//! Matrix-vector products for GEMMs with m == 1 or n == 1.
//!
//! A register tile would waste most of its lanes there, and packing B for a single row
//! of A costs as much as the product itself. Both cases are `y[t] = Σ_p x[p] * M(p, t)`
//! for a vector `x` and a `k × len` matrix M (B when m == 1, Aᵀ when n == 1): either a
//! sum of scaled rows of M (rows contiguous) or one dot product per output (columns
//! contiguous). The bodies are generic and get compiled once per tier.

use super::frame::{run_tasks, SendPtr};
use super::kernel::Tier;
use super::pack::Mat;
use super::Element;
use crate::pool::ThreadPool;

/// Outputs accumulated at once in the row-sum form (fits L1 comfortably).
const CHUNK: usize = 256;
/// Independent partial sums in a dot product, so it vectorises without reassociation.
const LANES: usize = 16;
/// Outputs per task are a multiple of this.
const GRANULE: usize = 64;
/// Smallest share of multiply-adds worth a separate task (memory bound, so larger than
/// for GEMM).
const TASK_MIN_WORK: usize = 64 * 1024;

/// How many tasks share `work` multiply-adds over `granules` granules of outputs.
fn task_parts(pool: Option<&ThreadPool>, work: usize, granules: usize) -> usize {
    match pool.map_or(1, ThreadPool::num_threads) {
        1 => 1,
        threads => (threads * 3).min(work / TASK_MIN_WORK).min(granules).max(1),
    }
}

/// `y[t * y_stride] = alpha * Σ_p x[p] * M(p, t) + beta * y[t * y_stride]` for
/// `t < len`, where `mt` is the logical `k × len` matrix M and `k == x.len()`.
///
/// `mt` must hold the `k × len` matrix (checked by the caller).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemv<T: Element>(
    pool: Option<&ThreadPool>,
    tier: Tier,
    x: &[T],
    mt: Mat<'_, T>,
    len: usize,
    alpha: T,
    beta: T,
    y: &mut [T],
    y_stride: usize,
) {
    assert!(len == 0 || (len - 1) * y_stride < y.len());
    let granules = len.div_ceil(GRANULE);
    let parts = task_parts(pool, x.len().saturating_mul(len), granules);
    let y = SendPtr::new(y.as_mut_ptr());
    run_tasks(pool, parts, |i| {
        let start = (i * granules / parts) * GRANULE;
        let end = ((i + 1) * granules / parts * GRANULE).min(len);
        let mut tmp = [T::ZERO; CHUNK];
        for t0 in (start..end).step_by(CHUNK) {
            let out = &mut tmp[..CHUNK.min(end - t0)];
            chunk(tier, x, mt, t0, out);
            for (j, &v) in out.iter().enumerate() {
                // SAFETY: t0 + j < len, so the element is inside `y` (asserted above), and the
                // parts cover disjoint ranges of t.
                let yp = unsafe { y.get().add((t0 + j) * y_stride) };
                // SAFETY: as above; `y` is valid for reads and writes there.
                unsafe {
                    *yp = if beta == T::ZERO {
                        alpha * v
                    } else {
                        alpha * v + beta * *yp
                    }
                };
            }
        }
    });
}

/// `C[t, j] = alpha * Σ_p xs[j][p] * M(p, t) + beta * C[t, j]` for up to 4 vectors at once,
/// when M's columns are contiguous, T is f32 and AVX2 is there: each row of M is loaded
/// once for all the vectors. False (nothing done) otherwise.
#[allow(clippy::too_many_arguments)]
pub(crate) fn thin_f32<T: Element>(
    pool: Option<&ThreadPool>,
    tier: Tier,
    xs: &[impl AsRef<[T]> + Sync],
    mt: Mat<'_, T>,
    len: usize,
    alpha: T,
    beta: T,
    c: &mut [T],
    ldc: usize,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if tier == Tier::Fma && mt.trans && (2..=4).contains(&xs.len()) && std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>() {
        let n = xs.len();
        assert!(len == 0 || (len - 1) * ldc + n <= c.len());
        let k = xs[0].as_ref().len();
        // SAFETY: T is f32 (checked above), so every reinterpretation below is exact.
        let cast = |v: &[T]| unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<f32>(), v.len()) };
        let x: Vec<&[f32]> = xs.iter().map(|v| cast(v.as_ref())).collect();
        let data = cast(mt.data);
        // SAFETY: T is f32.
        let (alpha, beta) = unsafe { (*(&alpha as *const T).cast::<f32>(), *(&beta as *const T).cast::<f32>()) };
        let granules = len.div_ceil(GRANULE);
        let parts = task_parts(pool, k * len * n, granules);
        let y = SendPtr::new(c.as_mut_ptr().cast::<f32>());
        run_tasks(pool, parts, |i| {
            let start = (i * granules / parts) * GRANULE;
            let end = ((i + 1) * granules / parts * GRANULE).min(len);
            for t in start..end {
                // SAFETY: AVX2 and FMA are present (the Fma tier); row t of M holds k values.
                let dots = unsafe { dots4_avx2(&x, &data[t * mt.ld..][..k]) };
                for (j, &d) in dots[..n].iter().enumerate() {
                    // SAFETY: t < len and j < n, so the element is inside C (asserted above);
                    // tasks cover disjoint t.
                    let yp = unsafe { y.get().add(t * ldc + j) };
                    // SAFETY: as above.
                    unsafe { *yp = if beta == 0.0 { alpha * d } else { alpha * d + beta * *yp } };
                }
            }
        });
        return true;
    }
    let _ = (pool, tier, xs, mt, len, alpha, beta, c, ldc);
    false
}

/// Dot products of `row` with each of up to 4 vectors (unused results are 0).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dots4_avx2(xs: &[&[f32]], row: &[f32]) -> [f32; 4] {
    use std::arch::x86_64::*;
    let k = row.len();
    let n = xs.len();
    let z = &[0.0f32; 0][..];
    let x = [xs[0], xs.get(1).copied().unwrap_or(z), xs.get(2).copied().unwrap_or(z), xs.get(3).copied().unwrap_or(z)];
    let mut acc = [[_mm256_setzero_ps(); 2]; 4];
    let mut p = 0;
    // SAFETY (all loads): p + 16 <= k, and every vector holds k values.
    while p + 16 <= k {
        let (r0, r1) = unsafe { (_mm256_loadu_ps(row.as_ptr().add(p)), _mm256_loadu_ps(row.as_ptr().add(p + 8))) };
        for (j, a) in acc.iter_mut().enumerate().take(n) {
            let xp = x[j].as_ptr();
            unsafe {
                a[0] = _mm256_fmadd_ps(r0, _mm256_loadu_ps(xp.add(p)), a[0]);
                a[1] = _mm256_fmadd_ps(r1, _mm256_loadu_ps(xp.add(p + 8)), a[1]);
            }
        }
        p += 16;
    }
    let mut out = [0.0f32; 4];
    for (j, o) in out.iter_mut().enumerate().take(n) {
        let v = _mm256_add_ps(acc[j][0], acc[j][1]);
        let h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        let h = _mm_add_ss(h, _mm_movehdup_ps(h));
        let mut s = _mm_cvtss_f32(h);
        for q in p..k {
            s += row[q] * x[j][q];
        }
        *o = s;
    }
    out
}

/// `out[j] = Σ_p x[p] * M(p, t0 + j)`, in the best form for M's storage.
fn chunk<T: Element>(tier: Tier, x: &[T], mt: Mat<'_, T>, t0: usize, out: &mut [T]) {
    match tier {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the Fma tier is only chosen for kernels whose tier the CPU supports.
        Tier::Fma => unsafe { chunk_avx2(x, mt, t0, out) },
        _ => chunk_generic(x, mt, t0, out),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn chunk_avx2<T: Element>(x: &[T], mt: Mat<'_, T>, t0: usize, out: &mut [T]) {
    if mt.trans && std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>() {
        // The dot form in f32: the auto-vectoriser splits `dot`'s lanes into 128-bit
        // halves and shuffles, several times slower than four 256-bit FMA chains.
        // SAFETY: T is f32 (checked above), so the slices reinterpret exactly.
        let (x, data, out) = unsafe {
            (
                std::slice::from_raw_parts(x.as_ptr().cast::<f32>(), x.len()),
                std::slice::from_raw_parts(mt.data.as_ptr().cast::<f32>(), mt.data.len()),
                std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<f32>(), out.len()),
            )
        };
        let k = x.len();
        for (j, o) in out.iter_mut().enumerate() {
            // SAFETY: this function runs only where AVX2 and FMA are available.
            *o = unsafe { dot_f32_avx2(x, &data[(t0 + j) * mt.ld..][..k]) };
        }
        return;
    }
    chunk_generic(x, mt, t0, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_f32_avx2(x: &[f32], y: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = x.len().min(y.len());
    let (xp, yp) = (x.as_ptr(), y.as_ptr());
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    // SAFETY (all loads): i + 8 <= n within each step, so every 8-lane load is in bounds.
    while i + 32 <= n {
        for (l, a) in acc.iter_mut().enumerate() {
            let at = i + 8 * l;
            *a = unsafe { _mm256_fmadd_ps(_mm256_loadu_ps(xp.add(at)), _mm256_loadu_ps(yp.add(at)), *a) };
        }
        i += 32;
    }
    while i + 8 <= n {
        acc[0] = unsafe { _mm256_fmadd_ps(_mm256_loadu_ps(xp.add(i)), _mm256_loadu_ps(yp.add(i)), acc[0]) };
        i += 8;
    }
    let v = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    let h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    let h = _mm_add_ss(h, _mm_movehdup_ps(h));
    let mut sum = _mm_cvtss_f32(h);
    for j in i..n {
        sum += x[j] * y[j];
    }
    sum
}

#[inline(always)]
fn chunk_generic<T: Element>(x: &[T], mt: Mat<'_, T>, t0: usize, out: &mut [T]) {
    let k = x.len();
    if mt.trans {
        // M(p, t) at t * ld + p: each output is a dot product of contiguous runs.
        for (j, o) in out.iter_mut().enumerate() {
            *o = dot(x, &mt.data[(t0 + j) * mt.ld..][..k]);
        }
    } else {
        // M(p, t) at p * ld + t: accumulate scaled contiguous rows.
        out.fill(T::ZERO);
        let w = out.len();
        for (p, &s) in x.iter().enumerate() {
            let row = &mt.data[p * mt.ld + t0..][..w];
            for (o, &v) in out.iter_mut().zip(row) {
                *o = *o + s * v;
            }
        }
    }
}

#[inline(always)]
fn dot<T: Element>(x: &[T], y: &[T]) -> T {
    let mut acc = [T::ZERO; LANES];
    let xs = x.chunks_exact(LANES);
    let ys = y.chunks_exact(LANES);
    let (x_tail, y_tail) = (xs.remainder(), ys.remainder());
    for (xc, yc) in xs.zip(ys) {
        for ((a, &u), &v) in acc.iter_mut().zip(xc).zip(yc) {
            *a = *a + u * v;
        }
    }
    for ((a, &u), &v) in acc.iter_mut().zip(x_tail).zip(y_tail) {
        *a = *a + u * v;
    }
    // Pairwise fold of the lanes.
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            acc[l] = acc[l] + acc[l + width];
        }
    }
    acc[0]
}
