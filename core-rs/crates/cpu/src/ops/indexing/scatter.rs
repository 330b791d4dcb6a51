//! Scatter, ScatterElements, ScatterND (with their reductions) and TensorScatter.
//! The output starts as a copy of `data`; updates are applied in index order, so with
//! duplicate indices and no reduction the last update wins (as the reference does).

use super::gather::element_offsets;
use super::{index_values, resolve, Combine};
use crate::util::elems::{norm_axis, strides, AtNode, Elem};
use crate::{dispatch_numeric, with_elem};
use onnxrun_core::{bail, ensure, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    // Scatter is the old name of ScatterElements (deprecated in opset 11, same semantics).
    r.register(KernelDef::new("", "Scatter", 9, scatter_elements));
    r.register(KernelDef::new("", "ScatterElements", 11, scatter_elements));
    r.register(KernelDef::new("", "ScatterND", 11, scatter_nd));
    r.register(KernelDef::new("", "TensorScatter", 24, tensor_scatter));
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Reduction {
    None,
    Add,
    Mul,
    Max,
    Min,
}

fn reduction(node: &NodeInfo) -> Result<Reduction> {
    Ok(match node.string_or("reduction", "none")?.as_str() {
        "none" => Reduction::None,
        "add" => Reduction::Add,
        "mul" => Reduction::Mul,
        "max" => Reduction::Max,
        "min" => Reduction::Min,
        other => bail!(InvalidGraph, "{}: unknown reduction '{other}'", node.describe()),
    })
}

fn apply<T: Combine>(red: Reduction, dst: &mut T, v: T) {
    *dst = match red {
        Reduction::None => v,
        Reduction::Add => dst.add(v),
        Reduction::Mul => dst.mul(v),
        Reduction::Max => Combine::max(*dst, v),
        Reduction::Min => Combine::min(*dst, v),
    };
}

/// Runs `f(dst_offset, src_offset, len)` pairs against a copy of `data`: plain copies when
/// there is no reduction (any dtype), element-wise reductions for numeric types.
fn scatter_into(
    data: &Tensor,
    updates: &Tensor,
    red: Reduction,
    pairs: &[(usize, usize)],
    len: usize,
    node: &NodeInfo,
) -> Result<Tensor> {
    ensure!(data.dtype() == updates.dtype(), InvalidArgument, "{}: data is {} but updates are {}", node.describe(), data.dtype(), updates.dtype());
    let dt = data.dtype();
    if red == Reduction::None {
        return with_elem!(dt, T => {
            let mut out = T::view(data)?.into_owned();
            let src = T::view(updates)?;
            for &(d, s) in pairs {
                out[d..d + len].clone_from_slice(&src[s..s + len]);
            }
            T::build(dt, data.shape().to_vec(), out)
        });
    }
    dispatch_numeric!(dt, T => {
        let mut out = data.data::<T>()?.to_vec();
        let src = updates.data::<T>()?;
        for &(d, s) in pairs {
            for (o, &u) in out[d..d + len].iter_mut().zip(&src[s..s + len]) {
                apply(red, o, u);
            }
        }
        Tensor::from_vec(data.shape().to_vec(), out)
    }, else bail!(InvalidArgument, "{}: reduction {red:?} does not support {dt}", node.describe()))
}

fn scatter_elements(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axis = node.int_or("axis", 0)?;
    let red = reduction(node)?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (x, ind, upd) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
        let rank = x.rank();
        ensure!(rank >= 1 && ind.rank() == rank, InvalidArgument, "{}: data {:?} and indices {:?} must have the same rank >= 1", node.describe(), x.shape(), ind.shape());
        ensure!(ind.shape() == upd.shape(), InvalidArgument, "{}: indices {:?} and updates {:?} must have the same shape", node.describe(), ind.shape(), upd.shape());
        let a = norm_axis(axis, rank, "ScatterElements").at(node)?;
        for d in 0..rank {
            ensure!(d == a || ind.shape()[d] <= x.shape()[d], InvalidArgument, "{}: indices shape {:?} exceeds data shape {:?} on axis {d}", node.describe(), ind.shape(), x.shape());
        }
        let iv = index_values(ind, node)?;
        let dim = x.shape()[a];
        let st = strides(x.shape())[a];
        let offs = element_offsets(x.shape(), ind.shape(), a);
        let pairs = offs
            .iter()
            .zip(&iv)
            .enumerate()
            .map(|(k, (&o, &v))| Ok((o + resolve(v, dim, node, "ScatterElements")? * st, k)))
            .collect::<Result<Vec<_>>>()?;
        let y = scatter_into(x, upd, red, &pairs, 1, node)?;
        ctx.set_output(0, y)
    })))
}

fn scatter_nd(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let red = reduction(node)?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (x, ind, upd) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
        let (ds, is) = (x.shape(), ind.shape());
        ensure!(!is.is_empty(), InvalidArgument, "{}: indices must have rank >= 1", node.describe());
        let k = is[is.len() - 1];
        ensure!(k <= ds.len(), InvalidArgument, "{}: indices {is:?} address {k} dims of data {ds:?}", node.describe());
        let mut want = is[..is.len() - 1].to_vec();
        want.extend_from_slice(&ds[k..]);
        ensure!(upd.shape() == want.as_slice(), InvalidArgument, "{}: updates have shape {:?}, expected {want:?}", node.describe(), upd.shape());
        let iv = index_values(ind, node)?;
        let slice: usize = ds[k..].iter().product();
        let dst = strides(ds);
        let n: usize = is[..is.len() - 1].iter().product();
        let mut pairs = Vec::with_capacity(n);
        for j in 0..n {
            let mut off = 0;
            for (d, &v) in iv[j * k..(j + 1) * k].iter().enumerate() {
                off += resolve(v, ds[d], node, "ScatterND")? * dst[d];
            }
            pairs.push((off, j * slice));
        }
        let y = scatter_into(x, upd, red, &pairs, slice, node)?;
        ctx.set_output(0, y)
    })))
}

fn tensor_scatter(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axis = node.int_or("axis", -2)?;
    let circular = match node.string_or("mode", "linear")?.as_str() {
        "linear" => false,
        "circular" => true,
        m => bail!(InvalidGraph, "{}: unknown mode '{m}'", node.describe()),
    };
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (past, upd) = (ctx.input(0)?, ctx.input(1)?);
        let (ps, us) = (past.shape(), upd.shape());
        let rank = ps.len();
        ensure!(rank >= 2 && us.len() == rank, InvalidArgument, "{}: past_cache {ps:?} and update {us:?} must have the same rank >= 2", node.describe());
        let a = norm_axis(axis, rank, "TensorScatter").at(node)?;
        ensure!(a != 0, InvalidArgument, "{}: axis cannot be the batch dimension", node.describe());
        ensure!(
            (0..rank).all(|d| d == a || ps[d] == us[d]) && us[a] <= ps[a],
            InvalidArgument,
            "{}: update {us:?} does not fit past_cache {ps:?} on axis {a}",
            node.describe()
        );
        let batch = ps[0];
        let writes = match ctx.opt_input(2)? {
            Some(w) => {
                let w = index_values(w, node)?;
                ensure!(w.len() == batch, InvalidArgument, "{}: write_indices has {} entries for batch {batch}", node.describe(), w.len());
                w
            }
            None => vec![0; batch],
        };
        let (max_seq, seq) = (ps[a], us[a]);
        let inner: usize = ps[a + 1..].iter().product();
        let prefix: usize = ps[..a].iter().product();
        let per_batch = prefix / batch.max(1);
        let mut pairs = Vec::with_capacity(prefix * seq);
        for p in 0..prefix {
            let w = writes[p / per_batch.max(1)];
            ensure!(w >= 0, InvalidArgument, "{}: negative write index {w}", node.describe());
            for s in 0..seq {
                let mut at = w as usize + s;
                if circular {
                    at %= max_seq;
                } else {
                    ensure!(at < max_seq, InvalidArgument, "{}: write index {w} + sequence length {seq} exceeds max_sequence_length {max_seq}", node.describe());
                }
                pairs.push(((p * max_seq + at) * inner, (p * seq + s) * inner));
            }
        }
        let y = scatter_into(past, upd, Reduction::None, &pairs, inner, node)?;
        ctx.set_output(0, y)
    })))
}
