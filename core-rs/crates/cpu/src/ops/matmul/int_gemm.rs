//! Integer GEMM: `C = alpha * op(A) * op(B) + beta * C` with wrapping arithmetic (what
//! ONNX Runtime and numpy give on overflow). Integer matrices in models are small, so a
//! plain row-times-panel loop over a contiguous copy of op(B) is enough.

use onnxrun_core::Element;

/// Integer element types with wrapping arithmetic.
pub(crate) trait IntElem: Element {
    const ZERO: Self;
    const ONE: Self;
    fn wadd(self, o: Self) -> Self;
    fn wmul(self, o: Self) -> Self;
    /// Truncating conversion of a float attribute (Gemm's alpha/beta) to this type.
    fn from_f32(v: f32) -> Self;
}

macro_rules! int_elem {
    ($($t:ty),*) => {$(
        impl IntElem for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            #[inline(always)]
            fn wadd(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline(always)]
            fn wmul(self, o: Self) -> Self { self.wrapping_mul(o) }
            fn from_f32(v: f32) -> Self { v as $t }
        }
    )*};
}
int_elem!(i8, i16, i32, i64, u8, u16, u32, u64);

/// `c (m×n, row stride ldc) = alpha * op(a) * op(b) + beta * c`; `beta == 0` ignores c.
/// Operands are row-major with leading dimensions as in BLAS; callers check the sizes.
#[allow(clippy::too_many_arguments)]
pub(crate) fn int_gemm<T: IntElem>(
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
    // op(B) as a contiguous k×n block so the inner loop streams along rows.
    let bt: Vec<T>;
    let (bb, ldbb) = if trans_b || ldb != n {
        bt = (0..k).flat_map(|p| (0..n).map(move |j| if trans_b { b[j * ldb + p] } else { b[p * ldb + j] })).collect();
        (&bt[..], n)
    } else {
        (b, ldb)
    };
    let mut row = vec![T::ZERO; n];
    for i in 0..m {
        row.fill(T::ZERO);
        for p in 0..k {
            let aip = if trans_a { a[p * lda + i] } else { a[i * lda + p] };
            if aip == T::ZERO {
                continue;
            }
            let brow = &bb[p * ldbb..][..n];
            for (r, &bv) in row.iter_mut().zip(brow) {
                *r = r.wadd(aip.wmul(bv));
            }
        }
        let crow = &mut c[i * ldc..][..n];
        for (cv, &r) in crow.iter_mut().zip(&row) {
            let prod = if alpha == T::ONE { r } else { alpha.wmul(r) };
            *cv = if beta == T::ZERO { prod } else { prod.wadd(beta.wmul(*cv)) };
        }
    }
}
