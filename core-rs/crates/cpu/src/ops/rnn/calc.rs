//! The float the recurrent kernels compute in: f32 (for f32, f16 and bf16 tensors) or
//! f64. Inputs are viewed without a copy when already in that type.

use crate::util::real::Acc;
use crate::util::vecmath::exp_f32;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, DataType, Result, Tensor};
use onnxrun_linalg::ThreadPool;
use std::borrow::Cow;

pub trait Calc: Acc + onnxrun_linalg::Element {
    fn tanh(self) -> Self;
    fn sigmoid(self) -> Self;
    fn tanh_slice(x: &mut [Self]) {
        x.iter_mut().for_each(|v| *v = v.tanh());
    }
    fn sigmoid_slice(x: &mut [Self]) {
        x.iter_mut().for_each(|v| *v = v.sigmoid());
    }
    /// The tensor's elements in this type (borrowed when it already is).
    fn view(t: &Tensor) -> Result<Cow<'_, [Self]>>;
    /// A tensor of element type `dt` from values computed in this type.
    fn into_tensor(dt: DataType, shape: Vec<usize>, v: Vec<Self>) -> Result<Tensor>;

    /// `c = a · bᵀ (+ c when accumulate)`: a is m×k (row stride lda), b is n×k (row stride ldb).
    #[allow(clippy::too_many_arguments)]
    fn gemm_nt(pool: Option<&ThreadPool>, m: usize, n: usize, k: usize, a: &[Self], lda: usize, b: &[Self], ldb: usize, accumulate: bool, c: &mut [Self], ldc: usize) {
        if m == 0 || n == 0 {
            return;
        }
        let beta = if accumulate { <Self as Acc>::ONE } else { <Self as Acc>::ZERO };
        if k == 0 {
            if !accumulate {
                for row in c.chunks_mut(ldc).take(m) {
                    row[..n].fill(<Self as Acc>::ZERO);
                }
            }
            return;
        }
        onnxrun_linalg::gemm(Self::best_kernel(), pool, false, true, m, n, k, <Self as Acc>::ONE, a, lda, b, ldb, beta, c, ldc);
    }
}

impl Calc for f32 {
    #[inline(always)]
    fn tanh(self) -> f32 {
        f32::tanh(self)
    }
    #[inline(always)]
    fn sigmoid(self) -> f32 {
        1.0 / (1.0 + exp_f32(-self))
    }
    fn tanh_slice(x: &mut [f32]) {
        super::fastmath::tanh(x)
    }
    fn sigmoid_slice(x: &mut [f32]) {
        super::fastmath::sigmoid(x)
    }
    fn view(t: &Tensor) -> Result<Cow<'_, [f32]>> {
        Ok(match t.dtype() {
            DataType::Float => Cow::Borrowed(t.data::<f32>()?),
            DataType::Float16 => Cow::Owned(t.data::<f16>()?.iter().map(|v| v.to_f32()).collect()),
            DataType::Bfloat16 => Cow::Owned(t.data::<bf16>()?.iter().map(|v| v.to_f32()).collect()),
            d => bail!(InvalidArgument, "expected a float tensor, got {d}"),
        })
    }
    fn into_tensor(dt: DataType, shape: Vec<usize>, v: Vec<f32>) -> Result<Tensor> {
        match dt {
            DataType::Float16 => Tensor::from_vec(shape, v.into_iter().map(f16::from_f32).collect::<Vec<_>>()),
            DataType::Bfloat16 => Tensor::from_vec(shape, v.into_iter().map(bf16::from_f32).collect::<Vec<_>>()),
            _ => Tensor::from_vec(shape, v),
        }
    }
}

impl Calc for f64 {
    #[inline(always)]
    fn tanh(self) -> f64 {
        f64::tanh(self)
    }
    #[inline(always)]
    fn sigmoid(self) -> f64 {
        1.0 / (1.0 + (-self).exp())
    }
    fn view(t: &Tensor) -> Result<Cow<'_, [f64]>> {
        Ok(Cow::Borrowed(t.data::<f64>()?))
    }
    fn into_tensor(_dt: DataType, shape: Vec<usize>, v: Vec<f64>) -> Result<Tensor> {
        Tensor::from_vec(shape, v)
    }
}

/// A direction's recurrent weights R (n × k, row-major) for the per-step `H · Rᵀ`.
/// With more than one batch row R is packed once per run (a GEMM would otherwise repack
/// it every step); a single row is a matrix-vector product that reads R as it is.
pub struct RecWeights<'a, F: Calc> {
    r: &'a [F],
    n: usize,
    k: usize,
    packed: Option<onnxrun_linalg::PackedB<F>>,
}

impl<'a, F: Calc> RecWeights<'a, F> {
    pub fn new(pool: Option<&ThreadPool>, r: &'a [F], n: usize, k: usize, batch: usize) -> Self {
        let packed = (batch > 1 && n > 0 && k > 0).then(|| onnxrun_linalg::PackedB::with_kernel(F::best_kernel(), pool, true, k, n, r, k));
        RecWeights { r, n, k, packed }
    }

    /// `c = a · Rᵀ` for the m rows of `a` (row stride k); c has row stride `ldc`.
    pub fn mul(&self, pool: Option<&ThreadPool>, m: usize, a: &[F], c: &mut [F], ldc: usize) {
        match &self.packed {
            Some(p) if m > 0 => {
                onnxrun_linalg::gemm_with_packed_b(pool, false, m, self.n, self.k, <F as Acc>::ONE, a, self.k, p, <F as Acc>::ZERO, c, ldc)
            }
            _ => F::gemm_nt(pool, m, self.n, self.k, a, self.k, self.r, self.k, false, c, ldc),
        }
    }
}
