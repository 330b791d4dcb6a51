//! Gemm (opset 1-13): `Y = alpha * op(A) * op(B) + beta * C`, C broadcast to M×N
//! (unidirectionally; optional from opset 11). Older opsets' `broadcast` attribute is
//! accepted and the broadcast always allowed, as ONNX Runtime does. A constant 2-D
//! f32/f64 B is packed (as op(B)) once, when the kernel is created.

use super::int_gemm::{int_gemm, IntElem};
use super::packed_weight::{Float, PackedWeight};
#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use crate::util::parallel::pool;
use crate::util::real::to_f32_vec;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, DataType, Element, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::{gemm as linalg_gemm, gemm_with_packed_b, ThreadPool};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Gemm", 1, gemm));
}

fn gemm(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let trans_b = node.int_or("transB", 0)? != 0;
    Ok(Box::new(Gemm {
        trans_a: node.int_or("transA", 0)? != 0,
        trans_b,
        alpha: node.float_or("alpha", 1.0)?,
        beta: node.float_or("beta", 1.0)?,
        packed_b: PackedWeight::of_input(node, 1, trans_b)?,
    }))
}

struct Gemm {
    trans_a: bool,
    trans_b: bool,
    alpha: f32,
    beta: f32,
    packed_b: Option<PackedWeight>,
}

/// Shapes of one Gemm call.
struct Dims {
    m: usize,
    n: usize,
    k: usize,
    lda: usize,
    ldb: usize,
}

impl Kernel for Gemm {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let (a, b, c) = (ctx.input(0)?, ctx.input(1)?, ctx.opt_input(2)?);
        ensure!(
            a.rank() == 2 && b.rank() == 2,
            InvalidArgument,
            "{node}: A and B must be 2-D, got shapes {:?} and {:?}",
            a.shape(),
            b.shape()
        );
        let dt = a.dtype();
        ensure!(
            b.dtype() == dt && c.is_none_or(|c| c.dtype() == dt),
            InvalidArgument,
            "{node}: A, B and C must have the same element type"
        );
        let (m, k) = if self.trans_a { (a.shape()[1], a.shape()[0]) } else { (a.shape()[0], a.shape()[1]) };
        let (kb, n) = if self.trans_b { (b.shape()[1], b.shape()[0]) } else { (b.shape()[0], b.shape()[1]) };
        ensure!(
            k == kb,
            InvalidArgument,
            "{node}: inner dimensions differ: op(A) is {m}x{k}, op(B) is {kb}x{n} (shapes {:?}, {:?})",
            a.shape(),
            b.shape()
        );
        let d = Dims { m, n, k, lda: a.shape()[1], ldb: b.shape()[1] };
        // beta == 0 ignores C altogether (NaN in C does not leak), like the reference.
        let c = c.filter(|_| self.beta != 0.0);
        if let Some(c) = c {
            check_c(c.shape(), m, n).map_err(|e| e.context(&node))?;
        }
        let p = pool(ctx);
        let y = match dt {
            DataType::Float => self.run_float_tensors::<f32>(p, &d, a, b, c)?,
            DataType::Double => self.run_float_tensors::<f64>(p, &d, a, b, c)?,
            DataType::Float16 => self.run_half::<f16>(p, &d, a, b, c, f16::from_f32)?,
            DataType::Bfloat16 => self.run_half::<bf16>(p, &d, a, b, c, bf16::from_f32)?,
            dt => crate::dispatch_int!(dt, T => self.run_int::<T>(&d, a, b, c)?, else bail!(
                NotImplemented,
                "{node}: Gemm is not implemented for element type {dt}"
            )),
        };
        ctx.set_output(0, y)
    }
}

impl Gemm {
    fn run_float_tensors<T: Float>(&self, p: Option<&ThreadPool>, d: &Dims, a: &Tensor, b: &Tensor, c: Option<&Tensor>) -> Result<Tensor> {
        let cv = c.map(|c| c.data::<T>()).transpose()?;
        let y = self.run_float(p, d, a.data::<T>()?, b.data::<T>()?, cv.map(|v| (v, c.unwrap().shape())), self.packed_b.as_ref())?;
        Tensor::from_vec(vec![d.m, d.n], y)
    }

    /// `packed` is op(B) already packed (from `b`), used where it helps.
    fn run_float<T: Float>(&self, p: Option<&ThreadPool>, d: &Dims, a: &[T], b: &[T], c: Option<(&[T], &[usize])>, packed: Option<&PackedWeight>) -> Result<Vec<T>> {
        let mut y = vec![T::ZERO; d.m * d.n];
        let beta = match c {
            Some((cv, cs)) => {
                fill_c(cv, cs, d.m, d.n, &mut y);
                T::from_f32(self.beta)
            }
            None => T::ZERO,
        };
        let alpha = T::from_f32(self.alpha);
        match PackedWeight::for_product::<T>(packed, d.m, d.n, d.k) {
            Some(pb) => gemm_with_packed_b(p, self.trans_a, d.m, d.n, d.k, alpha, a, d.lda, pb, beta, &mut y, d.n),
            None => linalg_gemm(T::best_kernel(), p, self.trans_a, self.trans_b, d.m, d.n, d.k, alpha, a, d.lda, b, d.ldb, beta, &mut y, d.n),
        }
        Ok(y)
    }

    fn run_half<T>(&self, p: Option<&ThreadPool>, d: &Dims, a: &Tensor, b: &Tensor, c: Option<&Tensor>, back: fn(f32) -> T) -> Result<Tensor>
    where
        T: crate::util::real::Real<A = f32>,
    {
        let (af, bf) = (to_f32_vec(a.data::<T>()?), to_f32_vec(b.data::<T>()?));
        let cf = c.map(|c| c.data::<T>().map(to_f32_vec)).transpose()?;
        let y = self.run_float(p, d, &af, &bf, cf.as_deref().map(|v| (v, c.unwrap().shape())), None)?;
        Tensor::from_vec(vec![d.m, d.n], y.into_iter().map(back).collect::<Vec<T>>())
    }

    fn run_int<T: IntElem>(&self, d: &Dims, a: &Tensor, b: &Tensor, c: Option<&Tensor>) -> Result<Tensor> {
        let mut y = vec![T::ZERO; d.m * d.n];
        let beta = match c {
            Some(c) => {
                fill_c(c.data::<T>()?, c.shape(), d.m, d.n, &mut y);
                T::from_f32(self.beta)
            }
            None => T::ZERO,
        };
        let (a, b) = (a.data::<T>()?, b.data::<T>()?);
        int_gemm(self.trans_a, self.trans_b, d.m, d.n, d.k, T::from_f32(self.alpha), a, d.lda, b, d.ldb, beta, &mut y, d.n);
        Tensor::from_vec(vec![d.m, d.n], y)
    }
}

/// C must broadcast to M×N without growing: rank <= 2, each dim 1 or the target.
fn check_c(cs: &[usize], m: usize, n: usize) -> Result<()> {
    let (cm, cn) = c_dims(cs);
    ensure!(
        cs.len() <= 2 && (cm == 1 || cm == m) && (cn == 1 || cn == n),
        InvalidArgument,
        "C of shape {cs:?} cannot be broadcast to the {m}x{n} output"
    );
    Ok(())
}

fn c_dims(cs: &[usize]) -> (usize, usize) {
    match cs {
        [] => (1, 1),
        [n] => (1, *n),
        [m, n] => (*m, *n),
        _ => (0, 0),
    }
}

/// Writes C broadcast to M×N into y (shape already checked).
fn fill_c<T: Element>(c: &[T], cs: &[usize], m: usize, n: usize, y: &mut [T]) {
    let (cm, cn) = c_dims(cs);
    for (i, row) in y.chunks_mut(n).enumerate().take(m) {
        let ci = if cm == 1 { 0 } else { i * cn };
        if cn == 1 {
            row.fill(c[ci]);
        } else {
            row.copy_from_slice(&c[ci..ci + n]);
        }
    }
}
