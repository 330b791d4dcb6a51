//! Concat and Split (and their tensor-level helpers, also used by the sequence ops).

use crate::util::elems::{alloc, norm_axis, AtNode, Elem};
use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::with_elem;
use onnxrun_core::{bail, ensure, err, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Concat", 1, concat));
    r.register(KernelDef::new("", "Split", 1, split));
}

fn concat(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    // Opset 1 defaults the axis to 1; later opsets require it.
    let axis = if node.opset < 4 { node.int_or("axis", 1)? } else { node.req_int("axis")? };
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let inputs = (0..ctx.num_inputs()).map(|i| ctx.input(i)).collect::<Result<Vec<_>>>()?;
        let total: usize = inputs.iter().map(|t| t.len()).sum();
        let y = concat_tensors(&inputs, axis, pool_for(ctx, total)).at(ctx.node)?;
        ctx.set_output(0, y)
    })))
}

/// Joins tensors of equal rank along `axis` (negative counts from the end).
pub fn concat_tensors(inputs: &[&Tensor], axis: i64, pool: Option<&ThreadPool>) -> Result<Tensor> {
    let Some(first) = inputs.first() else { bail!(InvalidArgument, "Concat needs at least one input") };
    let rank = first.rank();
    ensure!(rank > 0, InvalidArgument, "cannot concatenate scalars");
    let axis = norm_axis(axis, rank, "Concat")?;
    let dtype = first.dtype();
    let mut out_shape = first.shape().to_vec();
    out_shape[axis] = 0;
    for t in inputs {
        ensure!(t.dtype() == dtype, InvalidArgument, "inputs mix {} and {}", dtype, t.dtype());
        ensure!(
            t.rank() == rank && t.shape().iter().zip(first.shape()).enumerate().all(|(d, (a, b))| d == axis || a == b),
            InvalidArgument,
            "input shapes {:?} and {:?} differ outside axis {axis}",
            first.shape(),
            t.shape()
        );
        out_shape[axis] += t.shape()[axis];
    }
    if inputs.len() == 1 {
        return Ok((*first).clone());
    }
    let inner: usize = out_shape[axis + 1..].iter().product();
    with_elem!(dtype, T => {
        let views = inputs.iter().map(|t| T::view(t)).collect::<Result<Vec<_>>>()?;
        let blocks: Vec<usize> = inputs.iter().map(|t| t.shape()[axis] * inner).collect();
        let row: usize = blocks.iter().sum();
        let mut out = alloc::<T>(dtype, &out_shape)?;
        // One output row per outer index: the inputs' blocks side by side.
        let rows_per_task = (out.len() / row.max(1) / 64).max(1);
        for_chunks_mut(pool, &mut out, rows_per_task * row.max(1), |c, chunk| {
            for (r, dst) in chunk.chunks_mut(row).enumerate() {
                let o = c * rows_per_task + r;
                let mut at = 0;
                for (v, &b) in views.iter().zip(&blocks) {
                    dst[at..at + b].clone_from_slice(&v[o * b..(o + 1) * b]);
                    at += b;
                }
            }
        })?;
        T::build(dtype, out_shape, out)
    })
}

/// Cuts `x` along `axis` into pieces of the given sizes (which must sum to the dim).
pub fn split_tensor(x: &Tensor, axis: usize, sizes: &[usize]) -> Result<Vec<Tensor>> {
    let shape = x.shape();
    let dim = shape[axis];
    let total = sizes.iter().try_fold(0usize, |a, &s| a.checked_add(s));
    ensure!(total == Some(dim), InvalidArgument, "split sizes {sizes:?} do not sum to dimension {axis} of {shape:?}");
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    with_elem!(x.dtype(), T => {
        let src = T::view(x)?;
        let mut outs = Vec::with_capacity(sizes.len());
        let mut start = 0;
        for &s in sizes {
            let mut os = shape.to_vec();
            os[axis] = s;
            let b = s * inner;
            let mut v: Vec<T> = Vec::with_capacity(outer * b);
            for o in 0..outer {
                let at = (o * dim + start) * inner;
                v.extend_from_slice(&src[at..at + b]);
            }
            outs.push(T::build(x.dtype(), os, v)?);
            start += s;
        }
        Ok(outs)
    })
}

/// Sizes for splitting `dim` into `n` parts: equal, the last smaller when it does not
/// divide (as opset 18's `num_outputs` wants).
pub fn even_sizes(dim: usize, n: usize, allow_uneven: bool) -> Result<Vec<usize>> {
    ensure!(n > 0, InvalidArgument, "cannot split into 0 parts");
    if dim.is_multiple_of(n) {
        return Ok(vec![dim / n; n]);
    }
    ensure!(allow_uneven, InvalidArgument, "dimension {dim} does not split evenly into {n} parts");
    let per = dim.div_ceil(n);
    let sizes: Vec<usize> = (0..n).map(|i| per.min(dim.saturating_sub(i * per))).collect();
    ensure!(sizes.iter().all(|&s| s > 0), InvalidArgument, "dimension {dim} cannot be split into {n} non-empty parts");
    Ok(sizes)
}

fn split(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axis = node.int_or("axis", 0)?;
    let attr_split = if node.opset < 13 { node.get_ints("split")? } else { None };
    let num_outputs = if node.opset >= 18 { node.get_int("num_outputs")? } else { None };
    if let Some(n) = num_outputs {
        ensure!(n >= 1 && n as usize == node.outputs.len(), InvalidGraph, "{}: num_outputs {n} does not match its {} outputs", node.describe(), node.outputs.len());
    }
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let a = norm_axis(axis, x.rank(), "Split").at(ctx.node)?;
        let dim = x.shape()[a];
        let n_out = ctx.num_outputs();
        // Sizes from the attribute, the optional input (opset 1 and 13+), or equal parts.
        let given = match &attr_split {
            Some(s) => Some(s.clone()),
            None if ctx.node.opset == 1 || ctx.node.opset >= 13 => match ctx.opt_input(1)? {
                Some(t) => Some(t.to_i64_vec().at(ctx.node)?),
                None => None,
            },
            None => None,
        };
        let sizes = match given {
            Some(s) => {
                ensure!(s.len() == n_out, InvalidArgument, "{}: split {s:?} has {} entries for {n_out} outputs", ctx.node.describe(), s.len());
                s.iter()
                    .map(|&v| usize::try_from(v).map_err(|_| err!(InvalidArgument, "{}: negative split size {v}", ctx.node.describe())))
                    .collect::<Result<Vec<_>>>()?
            }
            None => even_sizes(dim, n_out, num_outputs.is_some()).at(ctx.node)?,
        };
        let outs = split_tensor(x, a, &sizes).at(ctx.node)?;
        for (i, t) in outs.into_iter().enumerate() {
            ctx.set_output(i, t)?;
        }
        Ok(())
    })))
}
