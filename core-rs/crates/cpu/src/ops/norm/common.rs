//! What the normalizations share: reading parameter tensors into accumulator floats
//! (broadcast to the shape they scale), row statistics, the per-row affine pass, and
//! building float outputs of a requested element type.

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use crate::util::broadcast::Broadcast;
use crate::util::parallel::for_chunks_mut;
use crate::util::real::{Acc, Real};
use crate::util::vecmath;
use onnxrun_core::{bail, ensure, DataType, Result, Tensor};
use onnxrun_linalg::ThreadPool;

/// All elements of a float (or integer) tensor as accumulator floats.
pub(super) fn params<A: Acc>(t: &Tensor) -> Result<Vec<A>> {
    Ok(t.to_f64_vec()?.into_iter().map(A::from_f64).collect())
}

/// A parameter of exactly `n` elements (any shape holding n, e.g. [C] or [C,1,1]).
pub(super) fn params_len<A: Acc>(t: &Tensor, n: usize, what: &str) -> Result<Vec<A>> {
    ensure!(t.len() == n, InvalidArgument, "{what} must have {n} elements, got shape {:?}", t.shape());
    params(t)
}

/// A parameter broadcast (unidirectionally) to `target`, flattened.
pub(super) fn params_to<A: Acc>(t: &Tensor, target: &[usize], what: &str) -> Result<Vec<A>> {
    let v: Vec<A> = params(t)?;
    if t.shape() == target {
        return Ok(v);
    }
    let b = Broadcast::new(&[target, t.shape()]);
    match b {
        Ok(b) if b.shape() == target => Ok(b.index_map(1).into_iter().map(|i| v[i]).collect()),
        _ => bail!(InvalidArgument, "{what} of shape {:?} cannot be broadcast to {target:?}", t.shape()),
    }
}

/// Population mean and variance of a row (two passes).
#[inline]
pub(super) fn mean_var<T: Real>(row: &[T]) -> (T::A, T::A) {
    if row.is_empty() {
        return (T::A::ZERO, T::A::ZERO);
    }
    let n = T::A::from_f64(row.len() as f64);
    if let Some(r) = T::f32s(row) {
        let mean = vecmath::sum(r) / row.len() as f32;
        let var = vecmath::sum_sq_dev(r, mean) / row.len() as f32;
        return (T::A::from_f64(mean as f64), T::A::from_f64(var as f64));
    }
    let mut s = T::A::ZERO;
    for v in row {
        s += v.to_acc();
    }
    let mean = s / n;
    let mut q = T::A::ZERO;
    for v in row {
        let d = v.to_acc() - mean;
        q += d * d;
    }
    (mean, q / n)
}

/// `y = x * a + b` over rows of `inner` elements, with `(a, b) = coef(row)`.
pub(super) fn affine_rows<T: Real, F>(pool: Option<&ThreadPool>, x: &[T], y: &mut [T], inner: usize, coef: F) -> Result<()>
where
    F: Fn(usize) -> (T::A, T::A) + Sync,
{
    for_chunks_mut(pool, y, inner, |r, yr| {
        let (a, b) = coef(r);
        for (y, v) in yr.iter_mut().zip(&x[r * inner..]) {
            *y = T::from_acc(v.to_acc() * a + b);
        }
    })
}

/// A float tensor of `dtype` from accumulator values (for statistics outputs whose type
/// differs from X's).
pub(super) fn float_tensor<A: Acc>(dtype: DataType, shape: Vec<usize>, v: &[A]) -> Result<Tensor> {
    fn build<T: Real>(shape: Vec<usize>, v: &[impl Acc]) -> Result<Tensor> {
        let out: Vec<T> = v.iter().map(|a| T::from_acc(<T::A as Acc>::from_f64(a.to_f64()))).collect();
        Tensor::from_vec(shape, out)
    }
    crate::dispatch_float!(dtype, T => build::<T>(shape, v), else bail!(InvalidArgument, "statistics cannot be output as {dtype}"))
}

/// Mean and population variance of each of `rows` contiguous rows of `len` elements.
pub(super) fn row_stats<T: Real>(pool: Option<&ThreadPool>, x: &[T], rows: usize, len: usize) -> Result<Vec<(T::A, T::A)>> {
    let mut st = vec![(T::A::ZERO, T::A::ZERO); rows];
    let pool = if rows > 1 { pool } else { None };
    for_chunks_mut(pool, &mut st, 1, |r, s| s[0] = mean_var(&x[r * len..][..len]))?;
    Ok(st)
}
