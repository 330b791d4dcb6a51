//! cuBLAS for MatMul and Gemm. ONNX tensors are row-major and cuBLAS is column-major; a
//! row-major matrix read as column-major is its transpose, so Y = op(A)·op(B) is computed
//! as Yᵀ = op(B)ᵀ·op(A)ᵀ: the same buffers with the operands swapped and M/N exchanged.
//! The planning below is pure host code, tested against a reference column-major GEMM.

use crate::error::blas_err;
use cudarc::cublas::{result as cb, sys as cbs};
use onnxrun_core::broadcast::{broadcast_shape, broadcast_strides};
use onnxrun_core::Result;

/// Row-major `Y[M,N] = alpha * op(A)[M,K] · op(B)[K,N] + beta * Y`, over `batch` matrices
/// spaced by the given element strides. Offsets are in elements from each base pointer.
#[derive(Clone, Debug, PartialEq)]
pub struct RowGemm {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// A is stored [K,M] (Gemm transA) instead of [M,K].
    pub trans_a: bool,
    /// B is stored [N,K] (Gemm transB) instead of [K,N].
    pub trans_b: bool,
    pub a_off: usize,
    pub b_off: usize,
    pub y_off: usize,
    pub stride_a: usize,
    pub stride_b: usize,
    pub stride_y: usize,
    pub batch: usize,
    pub alpha: f32,
    pub beta: f32,
}

impl RowGemm {
    pub fn single(m: usize, n: usize, k: usize) -> RowGemm {
        RowGemm {
            m,
            n,
            k,
            trans_a: false,
            trans_b: false,
            a_off: 0,
            b_off: 0,
            y_off: 0,
            stride_a: 0,
            stride_b: 0,
            stride_y: 0,
            batch: 1,
            alpha: 1.0,
            beta: 0.0,
        }
    }
}

/// The column-major cuBLAS call (`cublasSgemmStridedBatched` argument order), with
/// "first"/"second" naming cuBLAS's A and B: first = our B, second = our A.
#[derive(Clone, Debug, PartialEq)]
pub struct ColCall {
    pub trans_first: bool,
    pub trans_second: bool,
    pub m: i32,
    pub n: i32,
    pub k: i32,
    pub first_off: usize,
    pub ld_first: i32,
    pub stride_first: i64,
    pub second_off: usize,
    pub ld_second: i32,
    pub stride_second: i64,
    pub y_off: usize,
    pub ldy: i32,
    pub stride_y: i64,
    pub batch: i32,
    pub alpha: f32,
    pub beta: f32,
}

fn int(v: usize, what: &str) -> std::result::Result<i32, String> {
    i32::try_from(v).map_err(|_| format!("{what} = {v} exceeds cuBLAS's 32-bit limit"))
}

fn long(v: usize, what: &str) -> std::result::Result<i64, String> {
    i64::try_from(v).map_err(|_| format!("{what} = {v} is too large"))
}

/// Translates a row-major GEMM into the column-major call computing Yᵀ = op(B)ᵀ·op(A)ᵀ.
pub fn to_col(g: &RowGemm) -> std::result::Result<ColCall, String> {
    // Row-major A is [M,K] (ld K) or, transposed, [K,M] (ld M); B is [K,N] (ld N) or [N,K] (ld K).
    let lda = if g.trans_a { g.m } else { g.k };
    let ldb = if g.trans_b { g.k } else { g.n };
    Ok(ColCall {
        trans_first: g.trans_b,
        trans_second: g.trans_a,
        m: int(g.n, "N")?,
        n: int(g.m, "M")?,
        k: int(g.k, "K")?,
        first_off: g.b_off,
        ld_first: int(ldb.max(1), "leading dimension of B")?,
        stride_first: long(g.stride_b, "batch stride of B")?,
        second_off: g.a_off,
        ld_second: int(lda.max(1), "leading dimension of A")?,
        stride_second: long(g.stride_a, "batch stride of A")?,
        y_off: g.y_off,
        ldy: int(g.n.max(1), "N")?,
        stride_y: long(g.stride_y, "batch stride of Y")?,
        batch: int(g.batch, "batch count")?,
        alpha: g.alpha,
        beta: g.beta,
    })
}

/// What MatMul (numpy `matmul` semantics) of shapes `a` and `b` computes.
#[derive(Clone, Debug, PartialEq)]
pub struct MatMulPlan {
    pub out_shape: Vec<usize>,
    pub calls: Vec<RowGemm>,
    /// K = 0 with a non-empty output: the result is all zeros, no GEMM runs.
    pub zero_fill: bool,
}

pub fn plan_matmul(a: &[usize], b: &[usize]) -> std::result::Result<MatMulPlan, String> {
    if a.is_empty() || b.is_empty() {
        return Err(format!("MatMul inputs must have rank >= 1, got shapes {a:?} and {b:?}"));
    }
    // 1-D operands: A [K] is a row [1,K]; B [K] is a column [K,1]; the dim is dropped after.
    let a2: Vec<usize> = if a.len() == 1 { vec![1, a[0]] } else { a.to_vec() };
    let b2: Vec<usize> = if b.len() == 1 { vec![b[0], 1] } else { b.to_vec() };
    let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let (kb, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
    if k != kb {
        return Err(format!("MatMul shapes {a:?} and {b:?} do not match: inner dimensions {k} and {kb} differ"));
    }
    let (ba, bb) = (&a2[..a2.len() - 2], &b2[..b2.len() - 2]);
    let batch = broadcast_shape(&[ba, bb]).map_err(|e| format!("MatMul batch dimensions: {}", e.message))?;
    let mut out_shape = batch.clone();
    if a.len() > 1 {
        out_shape.push(m);
    }
    if b.len() > 1 {
        out_shape.push(n);
    }
    let total: usize = out_shape.iter().product();
    let (pa, pb, p): (usize, usize, usize) = (ba.iter().product(), bb.iter().product(), batch.iter().product());
    if total == 0 {
        return Ok(MatMulPlan { out_shape, calls: vec![], zero_fill: false });
    }
    if k == 0 {
        return Ok(MatMulPlan { out_shape, calls: vec![], zero_fill: true });
    }
    let (mk, kn, mn) = (m * k, k * n, m * n);
    // Matrix-index strides of each operand in the batch (0 where it has size 1).
    let r = batch.len();
    let (sa, sb) = (broadcast_strides(ba, r, 1), broadcast_strides(bb, r, 1));
    let calls = if pb == 1 {
        // B is one matrix: A's batches stack into one tall [pa*M, K] matrix, one GEMM.
        vec![RowGemm::single(pa * m, n, k)]
    } else if pa == 1 {
        vec![RowGemm { stride_a: 0, stride_b: kn, stride_y: mn, batch: p, ..RowGemm::single(m, n, k) }]
    } else if sa == sb {
        // Both have the same batch shape: one strided batch.
        vec![RowGemm { stride_a: mk, stride_b: kn, stride_y: mn, batch: p, ..RowGemm::single(m, n, k) }]
    } else {
        // Mixed broadcasting: one strided batch along the innermost batch dim for each
        // index of the outer ones.
        let inner = batch[r - 1];
        let outer: usize = batch[..r - 1].iter().product();
        let mut calls = Vec::with_capacity(outer);
        for o in 0..outer {
            let (mut rem, mut oa, mut ob) = (o, 0usize, 0usize);
            for d in (0..r - 1).rev() {
                let c = rem % batch[d];
                rem /= batch[d];
                oa += c * sa[d];
                ob += c * sb[d];
            }
            calls.push(RowGemm {
                a_off: oa * mk,
                b_off: ob * kn,
                y_off: o * inner * mn,
                stride_a: sa[r - 1] * mk,
                stride_b: sb[r - 1] * kn,
                stride_y: mn,
                batch: inner,
                ..RowGemm::single(m, n, k)
            });
        }
        calls
    };
    Ok(MatMulPlan { out_shape, calls, zero_fill: false })
}

/// A cuBLAS handle bound to the device stream.
pub(crate) struct Blas {
    handle: cbs::cublasHandle_t,
}

// SAFETY: cuBLAS documents its functions as callable from several host threads with the
// same handle as long as the handle's configuration (stream, math mode) is not changed
// meanwhile; both are set once in `new` and never again.
unsafe impl Send for Blas {}
unsafe impl Sync for Blas {}

impl Blas {
    /// Call with the device context current.
    pub fn new(stream: cudarc::driver::sys::CUstream, tf32: bool) -> std::result::Result<Blas, String> {
        let handle = cb::create_handle().map_err(|e| format!("cublasCreate failed: {}", crate::error::cublas_text(e)))?;
        let blas = Blas { handle };
        // SAFETY: handle is live; the stream belongs to the current context.
        unsafe { cb::set_stream(handle, stream as cbs::cudaStream_t) }.map_err(|e| format!("cublasSetStream failed: {}", crate::error::cublas_text(e)))?;
        let mode = if tf32 { cbs::cublasMath_t::CUBLAS_TF32_TENSOR_OP_MATH } else { cbs::cublasMath_t::CUBLAS_DEFAULT_MATH };
        // SAFETY: handle is live.
        unsafe { cbs::cublasSetMathMode(handle, mode) }.result().map_err(|e| format!("cublasSetMathMode failed: {}", crate::error::cublas_text(e)))?;
        Ok(blas)
    }

    /// Runs `g` on f32 device buffers at `a`, `b`, `y` (device addresses).
    ///
    /// # Safety
    /// The buffers must hold every element the call addresses, stay alive until the
    /// queued work finishes (stream-ordered frees guarantee it), and the device context
    /// must be current.
    pub unsafe fn sgemm(&self, g: &RowGemm, a: u64, b: u64, y: u64) -> Result<()> {
        let c = to_col(g).map_err(|e| onnxrun_core::err!(NotImplemented, "{e}"))?;
        let op = |t: bool| if t { cbs::cublasOperation_t::CUBLAS_OP_T } else { cbs::cublasOperation_t::CUBLAS_OP_N };
        let at = |base: u64, off: usize| (base + 4 * off as u64) as *const f32;
        let first = at(b, c.first_off);
        let second = at(a, c.second_off);
        let out = at(y, c.y_off) as *mut f32;
        if c.batch == 1 {
            cb::sgemm(self.handle, op(c.trans_first), op(c.trans_second), c.m, c.n, c.k, &c.alpha, first, c.ld_first, second, c.ld_second, &c.beta, out, c.ldy)
                .map_err(|e| blas_err("cublasSgemm", e))
        } else {
            cb::sgemm_strided_batched(
                self.handle,
                op(c.trans_first),
                op(c.trans_second),
                c.m,
                c.n,
                c.k,
                &c.alpha,
                first,
                c.ld_first,
                c.stride_first,
                second,
                c.ld_second,
                c.stride_second,
                &c.beta,
                out,
                c.ldy,
                c.stride_y,
                c.batch,
            )
            .map_err(|e| blas_err("cublasSgemmStridedBatched", e))
        }
    }
}

impl Drop for Blas {
    fn drop(&mut self) {
        // SAFETY: the handle is live and dropped once. A failure here cannot be reported.
        let _ = unsafe { cb::destroy_handle(self.handle) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Column-major SGEMM exactly as the BLAS reference defines it, strided batched.
    fn ref_col(c: &ColCall, first: &[f32], second: &[f32], y: &mut [f32]) {
        for bi in 0..c.batch as usize {
            let fo = c.first_off + bi * c.stride_first as usize;
            let so = c.second_off + bi * c.stride_second as usize;
            let yo = c.y_off + bi * c.stride_y as usize;
            for j in 0..c.n as usize {
                for i in 0..c.m as usize {
                    let mut acc = 0.0f32;
                    for l in 0..c.k as usize {
                        let f = if c.trans_first { first[fo + l + i * c.ld_first as usize] } else { first[fo + i + l * c.ld_first as usize] };
                        let s = if c.trans_second { second[so + j + l * c.ld_second as usize] } else { second[so + l + j * c.ld_second as usize] };
                        acc += f * s;
                    }
                    let o = yo + i + j * c.ldy as usize;
                    y[o] = c.alpha * acc + if c.beta == 0.0 { 0.0 } else { c.beta * y[o] };
                }
            }
        }
    }

    fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n).map(|i| (((i as u32).wrapping_mul(2654435761).wrapping_add(seed * 97)) % 17) as f32 - 8.0).collect()
    }

    /// numpy matmul by definition, with broadcasting of batch dims.
    fn naive_matmul(a: &[f32], ash: &[usize], b: &[f32], bsh: &[usize]) -> (Vec<usize>, Vec<f32>) {
        let a2: Vec<usize> = if ash.len() == 1 { vec![1, ash[0]] } else { ash.to_vec() };
        let b2: Vec<usize> = if bsh.len() == 1 { vec![bsh[0], 1] } else { bsh.to_vec() };
        let (m, k, n) = (a2[a2.len() - 2], a2[a2.len() - 1], b2[b2.len() - 1]);
        let (ba, bb) = (&a2[..a2.len() - 2], &b2[..b2.len() - 2]);
        let batch = broadcast_shape(&[ba, bb]).unwrap();
        let r = batch.len();
        let (sa, sb) = (broadcast_strides(ba, r, 1), broadcast_strides(bb, r, 1));
        let p: usize = batch.iter().product();
        let mut y = vec![0.0; p * m * n];
        for bi in 0..p {
            let (mut rem, mut oa, mut ob) = (bi, 0, 0);
            for d in (0..r).rev() {
                let c = rem % batch[d];
                rem /= batch[d];
                oa += c * sa[d];
                ob += c * sb[d];
            }
            for i in 0..m {
                for j in 0..n {
                    let mut acc = 0.0f32;
                    for l in 0..k {
                        acc += a[oa * m * k + i * k + l] * b[ob * k * n + l * n + j];
                    }
                    y[bi * m * n + i * n + j] = acc;
                }
            }
        }
        let mut shape = batch;
        if ash.len() > 1 {
            shape.push(m);
        }
        if bsh.len() > 1 {
            shape.push(n);
        }
        (shape, y)
    }

    fn run_plan(ash: &[usize], bsh: &[usize]) {
        let (a, b) = (data(ash.iter().product(), 1), data(bsh.iter().product(), 2));
        let plan = plan_matmul(ash, bsh).unwrap();
        let (want_shape, want) = naive_matmul(&a, ash, &b, bsh);
        assert_eq!(plan.out_shape, want_shape, "{ash:?} x {bsh:?}");
        let mut y = vec![f32::NAN; want.len()];
        for g in &plan.calls {
            ref_col(&to_col(g).unwrap(), &b, &a, &mut y);
        }
        assert_eq!(y, want, "{ash:?} x {bsh:?} via {:?}", plan.calls);
    }

    #[test]
    fn matmul_plans_compute_numpy_matmul() {
        let cases: &[(&[usize], &[usize])] = &[
            (&[3, 4], &[4, 5]),
            (&[4], &[4, 5]),
            (&[3, 4], &[4]),
            (&[4], &[4]),
            (&[2, 3, 4], &[4, 5]),
            (&[3, 4], &[2, 4, 5]),
            (&[2, 3, 4], &[2, 4, 5]),
            (&[2, 1, 3, 4], &[3, 4, 5]),
            (&[2, 1, 3, 4], &[1, 3, 4, 5]),
            (&[1, 2, 3, 4], &[2, 1, 4, 5]),
            (&[2, 3, 1, 4], &[3, 4, 1]),
            (&[5], &[2, 5, 3]),
            (&[2, 3, 5], &[5]),
            (&[1, 1, 3, 4], &[1, 2, 4, 5]),
        ];
        for (a, b) in cases {
            run_plan(a, b);
        }
    }

    #[test]
    fn matmul_single_and_batched_plans_use_one_call() {
        assert_eq!(plan_matmul(&[8, 3, 4], &[4, 5]).unwrap().calls, vec![RowGemm::single(24, 5, 4)]);
        let p = plan_matmul(&[6, 3, 4], &[6, 4, 5]).unwrap();
        assert_eq!(p.calls.len(), 1);
        assert_eq!(p.calls[0].batch, 6);
        assert_eq!(plan_matmul(&[2, 1, 3, 4], &[1, 3, 4, 5]).unwrap().calls.len(), 2);
    }

    #[test]
    fn matmul_edge_shapes() {
        let p = plan_matmul(&[3, 0], &[0, 5]).unwrap();
        assert_eq!((p.out_shape, p.zero_fill, p.calls.len()), (vec![3, 5], true, 0));
        let p = plan_matmul(&[0, 4], &[4, 5]).unwrap();
        assert_eq!((p.out_shape, p.zero_fill, p.calls.len()), (vec![0, 5], false, 0));
        assert!(plan_matmul(&[3, 4], &[5, 6]).unwrap_err().contains("inner dimensions"));
        assert!(plan_matmul(&[2, 3, 4], &[3, 4, 5]).unwrap_err().contains("batch"));
        assert!(plan_matmul(&[], &[3]).is_err());
    }

    #[test]
    fn gemm_transposes_and_scaling() {
        let (m, n, k) = (3, 5, 4);
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = data(m * k, 3);
            let b = data(k * n, 4);
            let y0 = data(m * n, 5);
            let a_at = |i: usize, l: usize| if ta { a[l * m + i] } else { a[i * k + l] };
            let b_at = |l: usize, j: usize| if tb { b[j * k + l] } else { b[l * n + j] };
            let (alpha, beta) = (0.5f32, 2.0f32);
            let mut want = vec![0.0; m * n];
            for i in 0..m {
                for j in 0..n {
                    let s: f32 = (0..k).map(|l| a_at(i, l) * b_at(l, j)).sum();
                    want[i * n + j] = alpha * s + beta * y0[i * n + j];
                }
            }
            let g = RowGemm { trans_a: ta, trans_b: tb, alpha, beta, ..RowGemm::single(m, n, k) };
            let mut y = y0.clone();
            ref_col(&to_col(&g).unwrap(), &b, &a, &mut y);
            assert_eq!(y, want, "transA {ta} transB {tb}");
        }
    }
}
