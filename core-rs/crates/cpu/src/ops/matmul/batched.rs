//! numpy-matmul over N-D operands: the shape plan (1-D operands promoted and their unit
//! dim dropped again, batch dims broadcast) and a driver that runs one matrix product per
//! batch, over the pool either across batches or inside each product.

use super::int_gemm::{int_gemm, IntElem};
use super::packed_weight::{Float, PackedWeight};
#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use crate::util::parallel::{for_chunks_mut, PARALLEL_MIN_WORK};
use crate::util::real::to_f32_vec;
use onnxrun_core::broadcast::{broadcast_shape, broadcast_strides};
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, num_elements, DataType, Result, Tensor};
use onnxrun_linalg::{gemm, gemm_with_packed_b, sgemm, ThreadPool};

/// How to compute `matmul(a, b)`: `batches` products of `m×k` by `k×n`, the i-th reading
/// A at matrix offset `batches[i].0` and B at `batches[i].1` (in elements).
#[derive(Debug)]
pub(crate) struct MatMulPlan {
    pub out_shape: Vec<usize>,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub batches: Vec<(usize, usize)>,
}

impl MatMulPlan {
    pub fn new(a: &[usize], b: &[usize]) -> Result<MatMulPlan> {
        ensure!(
            !a.is_empty() && !b.is_empty(),
            InvalidArgument,
            "MatMul operands must have rank >= 1, got shapes {a:?} and {b:?}"
        );
        let a2: Vec<usize> = if a.len() == 1 { vec![1, a[0]] } else { a.to_vec() };
        let b2: Vec<usize> = if b.len() == 1 { vec![b[0], 1] } else { b.to_vec() };
        let (ra, rb) = (a2.len(), b2.len());
        let (m, k) = (a2[ra - 2], a2[ra - 1]);
        let (kb, n) = (b2[rb - 2], b2[rb - 1]);
        ensure!(k == kb, InvalidArgument, "MatMul shapes {a:?} and {b:?} do not match: inner dimensions {k} vs {kb}");
        let (ab, bb) = (&a2[..ra - 2], &b2[..rb - 2]);
        let batch_shape = broadcast_shape(&[ab, bb])?;
        let mut out_shape = batch_shape.clone();
        if a.len() > 1 {
            out_shape.push(m);
        }
        if b.len() > 1 {
            out_shape.push(n);
        }
        num_elements(&out_shape)?;
        let nb = num_elements(&batch_shape)?;
        let (na, nbb) = (ab.iter().product::<usize>(), bb.iter().product::<usize>());
        // A batch of B-shared products with A stored contiguously is one tall product.
        if nbb == 1 && na == nb {
            return Ok(MatMulPlan { out_shape, m: m * nb, n, k, batches: vec![(0, 0)] });
        }
        let rank = batch_shape.len();
        let (sa, sb) = (broadcast_strides(ab, rank, 1), broadcast_strides(bb, rank, 1));
        let mut batches = Vec::with_capacity(nb);
        let mut idx = vec![0usize; batch_shape.len()];
        for _ in 0..nb {
            let oa: usize = idx.iter().zip(&sa).map(|(i, s)| i * s).sum();
            let ob: usize = idx.iter().zip(&sb).map(|(i, s)| i * s).sum();
            batches.push((oa * m * k, ob * k * n));
            for d in (0..idx.len()).rev() {
                idx[d] += 1;
                if idx[d] < batch_shape[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
        Ok(MatMulPlan { out_shape, m, n, k, batches })
    }

    /// Runs `mm(pool, a_i, b_i, out_i)` for each batch. Many batches are spread over the
    /// pool (each product single-threaded); a few big ones thread inside the product.
    pub fn run<T, F>(&self, pool: Option<&ThreadPool>, a: &[T], b: &[T], out: &mut [T], mm: F) -> Result<()>
    where
        T: Send + Sync,
        F: Fn(Option<&ThreadPool>, &[T], &[T], &mut [T]) + Sync,
    {
        let (m, n, k) = (self.m, self.n, self.k);
        if m * n == 0 {
            return Ok(());
        }
        let work = m.saturating_mul(n).saturating_mul(k.max(1)).saturating_mul(self.batches.len());
        let pool = if work >= PARALLEL_MIN_WORK { pool } else { None };
        let threads = pool.map_or(1, |p| p.num_threads());
        let per_batch = |i: usize, c: &mut [T], inner: Option<&ThreadPool>| {
            let (oa, ob) = self.batches[i];
            mm(inner, &a[oa..oa + m * k], &b[ob..ob + k * n], c);
        };
        if self.batches.len() >= threads && threads > 1 {
            for_chunks_mut(pool, out, m * n, |i, c| per_batch(i, c, None))
        } else {
            for (i, c) in out.chunks_mut(m * n).enumerate() {
                per_batch(i, c, pool);
            }
            Ok(())
        }
    }
}

/// `matmul(a, b)` for tensors of one element type (numpy semantics).
pub(crate) fn matmul_tensors(pool: Option<&ThreadPool>, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    matmul_tensors_packed(pool, a, b, None)
}

/// [`matmul_tensors`] with `b` also packed (`packed`, from the same tensor) where that helps.
pub(crate) fn matmul_tensors_packed(pool: Option<&ThreadPool>, a: &Tensor, b: &Tensor, packed: Option<&PackedWeight>) -> Result<Tensor> {
    ensure!(
        a.dtype() == b.dtype(),
        InvalidArgument,
        "MatMul operands must have the same element type, got {} and {}",
        a.dtype(),
        b.dtype()
    );
    let plan = MatMulPlan::new(a.shape(), b.shape())?;
    match a.dtype() {
        DataType::Float => float_matmul::<f32>(&plan, pool, a, b, packed),
        DataType::Double => float_matmul::<f64>(&plan, pool, a, b, packed),
        DataType::Float16 => narrow::<f16>(&plan, pool, a, b, f16::from_f32),
        DataType::Bfloat16 => narrow::<bf16>(&plan, pool, a, b, bf16::from_f32),
        dt => crate::dispatch_int!(dt, T => int_matmul::<T>(&plan, a, b), else bail!(
            NotImplemented,
            "MatMul is not implemented for element type {dt}"
        )),
    }
}

fn float_matmul<T: Float>(plan: &MatMulPlan, pool: Option<&ThreadPool>, a: &Tensor, b: &Tensor, packed: Option<&PackedWeight>) -> Result<Tensor> {
    let (m, n, k) = (plan.m, plan.n, plan.k);
    let mut out = Tensor::zeros(T::DTYPE, plan.out_shape.clone())?;
    let (a, b, c) = (a.data::<T>()?, b.data::<T>()?, out.data_mut::<T>()?);
    // A packed B is one 2-D matrix, so the plan is one (tall) product.
    match PackedWeight::for_product::<T>(packed, m, n, k).filter(|_| plan.batches.len() == 1) {
        Some(pb) => plan.run(pool, a, b, c, |p, a, _, c| gemm_with_packed_b(p, false, m, n, k, T::ONE, a, k, pb, T::ZERO, c, n))?,
        None => plan.run(pool, a, b, c, |p, a, b, c| gemm(T::best_kernel(), p, false, false, m, n, k, T::ONE, a, k, b, n, T::ZERO, c, n))?,
    }
    Ok(out)
}

/// f16/bf16 through f32: widen both operands, multiply, round the result once.
fn narrow<T>(plan: &MatMulPlan, pool: Option<&ThreadPool>, a: &Tensor, b: &Tensor, back: fn(f32) -> T) -> Result<Tensor>
where
    T: crate::util::real::Real<A = f32>,
{
    let (m, n, k) = (plan.m, plan.n, plan.k);
    let (af, bf) = (to_f32_vec(a.data::<T>()?), to_f32_vec(b.data::<T>()?));
    let mut out = vec![0f32; num_elements(&plan.out_shape)?];
    plan.run(pool, &af, &bf, &mut out, |p, a, b, c| sgemm(p, false, false, m, n, k, 1.0, a, k, b, n, 0.0, c, n))?;
    Tensor::from_vec(plan.out_shape.clone(), out.into_iter().map(back).collect::<Vec<T>>())
}

fn int_matmul<T: IntElem>(plan: &MatMulPlan, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (m, n, k) = (plan.m, plan.n, plan.k);
    let mut out = Tensor::zeros(T::DTYPE, plan.out_shape.clone())?;
    plan.run(None, a.data::<T>()?, b.data::<T>()?, out.data_mut::<T>()?, |_, a, b, c| {
        int_gemm(false, false, m, n, k, T::ONE, a, k, b, n, T::ZERO, c, n)
    })?;
    Ok(out)
}
