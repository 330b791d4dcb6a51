//! General matrix multiply, `C = alpha * op(A) * op(B) + beta * C`, on row-major strided
//! operands: `op(A)` is `m × k`, `op(B)` is `k × n`, C is `m × n`. Without `trans_a`, A
//! is stored `m × k` (element (i, p) at `a[i * lda + p]`); with it, A is stored `k × m`
//! (element (i, p) at `a[p * lda + i]`). Likewise for B. `beta == 0` overwrites C without
//! reading it, so C may hold NaN or garbage.
//!
//! `frame` holds the generic driver (packing, blocking, threading); `scalar` and the
//! per-ISA files supply only micro-kernels; `kernel` picks one at run time.

mod buffer;
mod frame;
mod gemv;
pub mod kernel;
mod pack;
mod pack_count;
mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86_64_fma;

pub use kernel::{active_tier, detected_tier, GemmKernel, Tier, TIER_ENV};
pub use pack_count::b_pack_count;

use crate::pool::ThreadPool;
use buffer::{with_scratch, AlignedBuf, Scratch};
use pack::{Mat, PackedLayout};
use std::fmt::Debug;
use std::ops::{Add, Mul};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Element types with GEMM kernels: `f32` and `f64`.
pub trait Element:
    sealed::Sealed
    + Copy
    + Send
    + Sync
    + PartialEq
    + Debug
    + Add<Output = Self>
    + Mul<Output = Self>
    + 'static
{
    const ZERO: Self;
    const ONE: Self;
    /// "sgemm" or "dgemm", for error messages.
    const ROUTINE: &'static str;

    /// The kernel `sgemm`/`dgemm` and `PackedB::new` use (see [`active_tier`]).
    fn best_kernel() -> &'static GemmKernel<Self>;

    /// Every kernel this CPU can run, for tests and benchmarks.
    fn available_kernels() -> Vec<&'static GemmKernel<Self>>;
}

impl Element for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const ROUTINE: &'static str = "sgemm";

    fn best_kernel() -> &'static GemmKernel<f32> {
        kernel::f32_kernel(active_tier())
    }

    fn available_kernels() -> Vec<&'static GemmKernel<f32>> {
        kernel::f32_kernels()
    }
}

impl Element for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const ROUTINE: &'static str = "dgemm";

    fn best_kernel() -> &'static GemmKernel<f64> {
        kernel::f64_kernel(active_tier())
    }

    fn available_kernels() -> Vec<&'static GemmKernel<f64>> {
        kernel::f64_kernels()
    }
}

/// Single-precision GEMM with the run-time selected kernel. Runs on `pool` when given
/// (and the product is large enough to be worth it), else on the calling thread.
///
/// Panics if an operand slice is too short for its shape and leading dimension, or a
/// leading dimension is smaller than its row length.
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    pool: Option<&ThreadPool>,
    trans_a: bool,
    trans_b: bool,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    gemm(
        f32::best_kernel(),
        pool,
        trans_a,
        trans_b,
        m,
        n,
        k,
        alpha,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
    )
}

/// Double-precision GEMM; same contract as [`sgemm`].
#[allow(clippy::too_many_arguments)]
pub fn dgemm(
    pool: Option<&ThreadPool>,
    trans_a: bool,
    trans_b: bool,
    m: usize,
    n: usize,
    k: usize,
    alpha: f64,
    a: &[f64],
    lda: usize,
    b: &[f64],
    ldb: usize,
    beta: f64,
    c: &mut [f64],
    ldc: usize,
) {
    gemm(
        f64::best_kernel(),
        pool,
        trans_a,
        trans_b,
        m,
        n,
        k,
        alpha,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
    )
}

/// Up to this many columns of C, GEMM runs as one GEMV per column.
const THIN: usize = 4;

/// Whether [`gemm`] packs B for an `m × n` product. Where it does, multiplying by a
/// [`PackedB`] instead saves that packing; where it doesn't (one row, or `n <= 4`), it
/// runs GEMVs on B as stored, which the packed path would not beat.
pub fn packs_b(m: usize, n: usize) -> bool {
    m > 1 && n > THIN
}

/// GEMM with an explicit kernel (one of `T::available_kernels()`); same contract as
/// [`sgemm`].
#[allow(clippy::too_many_arguments)]
pub fn gemm<T: Element>(
    kernel: &GemmKernel<T>,
    pool: Option<&ThreadPool>,
    trans_a: bool,
    trans_b: bool,
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: &[T],
    lda: usize,
    b: &[T],
    ldb: usize,
    beta: T,
    c: &mut [T],
    ldc: usize,
) {
    assert!(
        kernel.tier().is_supported(),
        "{}: kernel {} not supported by this CPU",
        T::ROUTINE,
        kernel.name()
    );
    check_operand::<T>("A", a.len(), m, k, lda, trans_a);
    check_operand::<T>("B", b.len(), k, n, ldb, trans_b);
    check_operand::<T>("C", c.len(), m, n, ldc, false);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 || alpha == T::ZERO {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    let a = Mat {
        data: a,
        ld: lda,
        trans: trans_a,
    };
    let b = Mat {
        data: b,
        ld: ldb,
        trans: trans_b,
    };
    if m == 1 {
        // y = row 0 of C, x = row 0 of op(A), M = op(B).
        let x = gather(a, k, |p| (0, p));
        gemv::gemv(pool, kernel.tier(), &x, b, n, alpha, beta, c, 1);
        return;
    }
    if n <= THIN {
        // Column j of C = op(A) * column j of op(B): a GEMV each, M = op(A)ᵀ. A register
        // tile would waste most of its lanes, and packing A would cost more than the
        // product.
        let at = Mat {
            trans: !a.trans,
            ..a
        };
        let xs: Vec<_> = (0..n).map(|j| gather(b, k, |p| (p, j))).collect();
        if gemv::thin_f32(pool, kernel.tier(), &xs, at, m, alpha, beta, c, ldc) {
            return;
        }
        for (j, x) in xs.iter().enumerate() {
            gemv::gemv(pool, kernel.tier(), x, at, m, alpha, beta, &mut c[j..], ldc);
        }
        return;
    }
    let layout = PackedLayout {
        k,
        n,
        nr: kernel.nr,
        kc: kernel.kc,
    };
    with_scratch(Scratch::B, |buf| {
        let packed = buf.as_mut_slice::<T>(layout.len());
        pack_count::count_b_pack();
        frame::pack_b(pool, b, layout, packed);
        frame::gemm_packed(pool, kernel, m, alpha, a, packed, layout, beta, c, ldc);
    });
}

/// `op(B)` packed once for one kernel, e.g. a constant weight at session start.
pub struct PackedB<T: Element = f32> {
    kernel: &'static GemmKernel<T>,
    layout: PackedLayout,
    buf: AlignedBuf,
}

impl<T: Element> Debug for PackedB<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PackedB({}x{} for {})",
            self.layout.k,
            self.layout.n,
            self.kernel.name()
        )
    }
}

impl<T: Element> PackedB<T> {
    /// Packs the logical `k × n` matrix `op(B)` for the run-time selected kernel.
    /// Panics like [`sgemm`] if `b` is too short.
    pub fn new(trans_b: bool, k: usize, n: usize, b: &[T], ldb: usize) -> Self {
        Self::with_kernel(T::best_kernel(), None, trans_b, k, n, b, ldb)
    }

    /// Packs for a given kernel, on `pool` when given.
    pub fn with_kernel(
        kernel: &'static GemmKernel<T>,
        pool: Option<&ThreadPool>,
        trans_b: bool,
        k: usize,
        n: usize,
        b: &[T],
        ldb: usize,
    ) -> Self {
        assert!(
            kernel.tier().is_supported(),
            "{}: kernel {} not supported by this CPU",
            T::ROUTINE,
            kernel.name()
        );
        check_operand::<T>("B", b.len(), k, n, ldb, trans_b);
        let layout = PackedLayout {
            k,
            n,
            nr: kernel.nr,
            kc: kernel.kc,
        };
        let mut buf = AlignedBuf::with_len::<T>(layout.len());
        pack_count::count_b_pack();
        if layout.len() > 0 {
            let b = Mat {
                data: b,
                ld: ldb,
                trans: trans_b,
            };
            frame::pack_b(pool, b, layout, buf.as_mut_slice::<T>(layout.len()));
        }
        PackedB {
            kernel,
            layout,
            buf,
        }
    }

    pub fn k(&self) -> usize {
        self.layout.k
    }

    pub fn n(&self) -> usize {
        self.layout.n
    }

    /// The kernel this was packed for (and that multiplies with it).
    pub fn kernel(&self) -> &'static GemmKernel<T> {
        self.kernel
    }
}

/// [`sgemm`] with `op(B)` already packed; `n` and `k` must match `packed_b`.
#[allow(clippy::too_many_arguments)]
pub fn sgemm_with_packed_b(
    pool: Option<&ThreadPool>,
    trans_a: bool,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    packed_b: &PackedB<f32>,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    gemm_with_packed_b(
        pool, trans_a, m, n, k, alpha, a, lda, packed_b, beta, c, ldc,
    )
}

/// [`dgemm`] with `op(B)` already packed; `n` and `k` must match `packed_b`.
#[allow(clippy::too_many_arguments)]
pub fn dgemm_with_packed_b(
    pool: Option<&ThreadPool>,
    trans_a: bool,
    m: usize,
    n: usize,
    k: usize,
    alpha: f64,
    a: &[f64],
    lda: usize,
    packed_b: &PackedB<f64>,
    beta: f64,
    c: &mut [f64],
    ldc: usize,
) {
    gemm_with_packed_b(
        pool, trans_a, m, n, k, alpha, a, lda, packed_b, beta, c, ldc,
    )
}

/// Generic form of [`sgemm_with_packed_b`]; uses the kernel `packed_b` was packed for.
#[allow(clippy::too_many_arguments)]
pub fn gemm_with_packed_b<T: Element>(
    pool: Option<&ThreadPool>,
    trans_a: bool,
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: &[T],
    lda: usize,
    packed_b: &PackedB<T>,
    beta: T,
    c: &mut [T],
    ldc: usize,
) {
    assert!(
        packed_b.k() == k && packed_b.n() == n,
        "{}: packed B is {}x{}, but the call has k={k}, n={n}",
        T::ROUTINE,
        packed_b.k(),
        packed_b.n()
    );
    check_operand::<T>("A", a.len(), m, k, lda, trans_a);
    check_operand::<T>("C", c.len(), m, n, ldc, false);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 || alpha == T::ZERO {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    let a = Mat {
        data: a,
        ld: lda,
        trans: trans_a,
    };
    let layout = packed_b.layout;
    let packed = packed_b.buf.as_slice::<T>(layout.len());
    if n == 1 {
        // A 1-wide B would waste all but one column of every register tile.
        let x: Vec<T> = (0..k).map(|p| packed[layout.element(p, 0)]).collect();
        let at = Mat {
            trans: !a.trans,
            ..a
        };
        gemv::gemv(pool, packed_b.kernel.tier(), &x, at, m, alpha, beta, c, ldc);
        return;
    }
    frame::gemm_packed(
        pool,
        packed_b.kernel,
        m,
        alpha,
        a,
        packed,
        layout,
        beta,
        c,
        ldc,
    );
}

/// Panics unless a logical `rows × cols` operand (stored transposed when `trans`) fits
/// in `len` elements with leading dimension `ld`.
fn check_operand<T: Element>(
    name: &str,
    len: usize,
    rows: usize,
    cols: usize,
    ld: usize,
    trans: bool,
) {
    let (stored_rows, stored_cols) = if trans { (cols, rows) } else { (rows, cols) };
    let routine = T::ROUTINE;
    assert!(
        ld >= stored_cols,
        "{routine}: leading dimension of {name} is {ld}, less than its stored row length {stored_cols}"
    );
    if stored_rows == 0 || stored_cols == 0 {
        return;
    }
    let need = (stored_rows - 1)
        .checked_mul(ld)
        .and_then(|x| x.checked_add(stored_cols))
        .unwrap_or_else(|| panic!("{routine}: {name} extent overflows usize"));
    assert!(
        len >= need,
        "{routine}: {name} is stored {stored_rows}x{stored_cols} with leading dimension {ld}, \
         which needs {need} elements, but the slice has {len}"
    );
}

/// `C = beta * C` (C zeroed when beta == 0, whatever it held).
fn scale_c<T: Element>(m: usize, n: usize, beta: T, c: &mut [T], ldc: usize) {
    if beta == T::ONE {
        return;
    }
    for i in 0..m {
        let row = &mut c[i * ldc..][..n];
        if beta == T::ZERO {
            row.fill(T::ZERO);
        } else {
            row.iter_mut().for_each(|x| *x = beta * *x);
        }
    }
}

/// The `k` elements `op(X)(at(p))` as a vector; borrows when they are contiguous.
fn gather<T: Element>(
    x: Mat<'_, T>,
    k: usize,
    at: impl Fn(usize) -> (usize, usize),
) -> std::borrow::Cow<'_, [T]> {
    let index = |p: usize| {
        let (r, c) = at(p);
        if x.trans {
            c * x.ld + r
        } else {
            r * x.ld + c
        }
    };
    let stride = if k > 1 { index(1) - index(0) } else { 1 };
    if stride == 1 {
        std::borrow::Cow::Borrowed(&x.data[index(0)..][..k])
    } else {
        std::borrow::Cow::Owned((0..k).map(|p| x.data[index(p)]).collect())
    }
}
