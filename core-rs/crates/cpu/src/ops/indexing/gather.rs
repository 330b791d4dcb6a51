//! Gather, GatherElements and GatherND, for every dtype. Indices are checked (and negative
//! ones resolved) before any data moves, so a bad index is an error, never a stray read.

use super::{index_values, resolve, resolve_all};
use crate::util::elems::{alloc, norm_axis, strides, AtNode, Elem};
use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::with_elem;
use onnxrun_core::{ensure, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Gather", 1, gather));
    r.register(KernelDef::new("", "GatherElements", 11, gather_elements));
    r.register(KernelDef::new("", "GatherND", 11, gather_nd));
}

fn gather(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axis = node.int_or("axis", 0)?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (x, ind) = (ctx.input(0)?, ctx.input(1)?);
        ensure!(x.rank() >= 1, InvalidArgument, "{}: data must have rank >= 1", node.describe());
        let a = norm_axis(axis, x.rank(), "Gather").at(node)?;
        let dim = x.shape()[a];
        let idx = resolve_all(&index_values(ind, node)?, dim, node, "Gather")?;
        let outer: usize = x.shape()[..a].iter().product();
        let inner: usize = x.shape()[a + 1..].iter().product();
        let mut out_shape = x.shape()[..a].to_vec();
        out_shape.extend_from_slice(ind.shape());
        out_shape.extend_from_slice(&x.shape()[a + 1..]);
        let pool = pool_for(ctx, outer * idx.len() * inner);
        let y = with_elem!(x.dtype(), T => {
            let src = T::view(x)?;
            let mut out = alloc::<T>(x.dtype(), &out_shape)?;
            let n = idx.len();
            if inner > 0 && n > 0 {
                // Chunks of `per` (outer, index) pairs, each copying `inner` elements.
                let per = (4096 / inner).max(1);
                for_chunks_mut(pool, &mut out, per * inner, |c, chunk| {
                    for (p, dst) in chunk.chunks_mut(inner).enumerate() {
                        let pair = c * per + p;
                        let (o, i) = (pair / n, pair % n);
                        let s = (o * dim + idx[i]) * inner;
                        dst.clone_from_slice(&src[s..s + inner]);
                    }
                })?;
            }
            T::build(x.dtype(), out_shape, out)
        })?;
        ctx.set_output(0, y)
    })))
}

fn gather_elements(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axis = node.int_or("axis", 0)?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (x, ind) = (ctx.input(0)?, ctx.input(1)?);
        let rank = x.rank();
        ensure!(rank >= 1 && ind.rank() == rank, InvalidArgument, "{}: data {:?} and indices {:?} must have the same rank >= 1", node.describe(), x.shape(), ind.shape());
        let a = norm_axis(axis, rank, "GatherElements").at(node)?;
        for d in 0..rank {
            ensure!(
                d == a || ind.shape()[d] <= x.shape()[d],
                InvalidArgument,
                "{}: indices shape {:?} exceeds data shape {:?} on axis {d}",
                node.describe(),
                ind.shape(),
                x.shape()
            );
        }
        let dim = x.shape()[a];
        let idx = resolve_all(&index_values(ind, node)?, dim, node, "GatherElements")?;
        let offsets = element_offsets(x.shape(), ind.shape(), a);
        let ds = strides(x.shape())[a];
        let y = with_elem!(x.dtype(), T => {
            let src = T::view(x)?;
            let out: Vec<T> = offsets.iter().zip(&idx).map(|(&o, &i)| src[o + i * ds].clone()).collect();
            T::build(x.dtype(), ind.shape().to_vec(), out)
        })?;
        ctx.set_output(0, y)
    })))
}

/// For each position of an index tensor of shape `ishape`, the flat offset into a data
/// tensor of shape `dshape` of the same coordinates, with the `axis` coordinate left out.
pub(super) fn element_offsets(dshape: &[usize], ishape: &[usize], axis: usize) -> Vec<usize> {
    let ds = strides(dshape);
    let n: usize = ishape.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let rank = ishape.len();
    let mut coord = vec![0usize; rank];
    let mut off = 0usize;
    for _ in 0..n {
        out.push(off);
        for d in (0..rank).rev() {
            coord[d] += 1;
            let step = if d == axis { 0 } else { ds[d] };
            off += step;
            if coord[d] < ishape[d] {
                break;
            }
            off -= step * ishape[d];
            coord[d] = 0;
        }
    }
    out
}

fn gather_nd(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let batch_dims = node.int_or("batch_dims", 0)?;
    ensure!(batch_dims >= 0, InvalidGraph, "{}: batch_dims must be >= 0", node.describe());
    let b = batch_dims as usize;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (x, ind) = (ctx.input(0)?, ctx.input(1)?);
        let (ds, is) = (x.shape(), ind.shape());
        let (r, q) = (ds.len(), is.len());
        ensure!(q >= 1 && r >= 1 && b < q && b < r, InvalidArgument, "{}: batch_dims {b} needs data and indices of higher rank, got {ds:?} and {is:?}", node.describe());
        let m = is[q - 1];
        ensure!(m >= 1 && m <= r - b, InvalidArgument, "{}: indices {is:?} address {m} dims but data {ds:?} has {} after the batch dims", node.describe(), r - b);
        ensure!(ds[..b] == is[..b], InvalidArgument, "{}: batch dims of data {ds:?} and indices {is:?} differ", node.describe());
        let iv = index_values(ind, node)?;
        let slice: usize = ds[b + m..].iter().product();
        let dstr = strides(ds);
        let batches: usize = is[..b].iter().product();
        let per_batch: usize = is[b..q - 1].iter().product();
        let batch_stride: usize = ds[b..].iter().product();
        // Source offset of every gathered slice, checked up front.
        let mut starts = Vec::with_capacity(batches * per_batch);
        for bi in 0..batches {
            for j in 0..per_batch {
                let t = &iv[(bi * per_batch + j) * m..(bi * per_batch + j + 1) * m];
                let mut off = bi * batch_stride;
                for (k, &v) in t.iter().enumerate() {
                    off += resolve(v, ds[b + k], node, "GatherND")? * dstr[b + k];
                }
                starts.push(off);
            }
        }
        let mut out_shape = is[..q - 1].to_vec();
        out_shape.extend_from_slice(&ds[b + m..]);
        let pool = pool_for(ctx, starts.len() * slice);
        let y = with_elem!(x.dtype(), T => {
            let src = T::view(x)?;
            let mut out = alloc::<T>(x.dtype(), &out_shape)?;
            if let Some(per) = 4096usize.checked_div(slice) {
                let per = per.max(1);
                for_chunks_mut(pool, &mut out, per * slice, |c, chunk| {
                    for (p, dst) in chunk.chunks_mut(slice).enumerate() {
                        let s = starts[c * per + p];
                        dst.clone_from_slice(&src[s..s + slice]);
                    }
                })?;
            }
            T::build(x.dtype(), out_shape, out)
        })?;
        ctx.set_output(0, y)
    })))
}
