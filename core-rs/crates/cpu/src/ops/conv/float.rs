//! Element-type dispatch shared by the float convolutions (Conv, ConvTranspose): f32 and
//! f64 run natively, f16 and bf16 through f32.

use super::engine::ConvElem;
use crate::util::real::{to_f32_vec, Real};
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, DataType, Result, Tensor};
use onnxrun_linalg::ThreadPool;

/// A float convolution over slices of one element type, with its checked call plan.
pub(super) trait FloatConv {
    type Plan;
    fn run<T: ConvElem>(&self, pool: Option<&ThreadPool>, p: &Self::Plan, x: &[T], w: &[T], b: Option<&[T]>) -> Result<Vec<T>>;
}

/// Runs `op` on X, W and the optional bias B in X's element type, giving Y of `out_shape`.
/// `node` and `op_name` name it in the error for an element type it has no kernel for.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_float<K: FloatConv>(
    op: &K,
    pool: Option<&ThreadPool>,
    p: &K::Plan,
    out_shape: &[usize],
    (x, w, b): (&Tensor, &Tensor, Option<&Tensor>),
    node: &str,
    op_name: &str,
) -> Result<Tensor> {
    match x.dtype() {
        DataType::Float => native::<K, f32>(op, pool, p, out_shape, x, w, b),
        DataType::Double => native::<K, f64>(op, pool, p, out_shape, x, w, b),
        DataType::Float16 => half::<K, f16>(op, pool, p, out_shape, x, w, b),
        DataType::Bfloat16 => half::<K, bf16>(op, pool, p, out_shape, x, w, b),
        dt => bail!(NotImplemented, "{node}: {op_name} is not implemented for element type {dt}"),
    }
}

fn native<K: FloatConv, T: ConvElem>(op: &K, pool: Option<&ThreadPool>, p: &K::Plan, out_shape: &[usize], x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    let bv = b.map(|b| b.data::<T>()).transpose()?;
    Tensor::from_vec(out_shape.to_vec(), op.run(pool, p, x.data::<T>()?, w.data::<T>()?, bv)?)
}

fn half<K: FloatConv, H: Real<A = f32>>(op: &K, pool: Option<&ThreadPool>, p: &K::Plan, out_shape: &[usize], x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    let (xf, wf) = (to_f32_vec(x.data::<H>()?), to_f32_vec(w.data::<H>()?));
    let bf = b.map(|b| b.data::<H>().map(to_f32_vec)).transpose()?;
    let y = op.run::<f32>(pool, p, &xf, &wf, bf.as_deref())?;
    Tensor::from_vec(out_shape.to_vec(), y.into_iter().map(H::from_acc).collect::<Vec<H>>())
}
