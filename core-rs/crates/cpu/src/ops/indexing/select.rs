//! Compress, NonZero and ReverseSequence: selections driven by a mask or by lengths.

use super::index_values;
use crate::util::elems::{alloc, norm_axis, AtNode, Elem};
use crate::{dispatch_all, with_elem};
use onnxrun_core::{bail, ensure, DataType, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Compress", 9, compress));
    r.register(KernelDef::new("", "NonZero", 9, nonzero));
    r.register(KernelDef::new("", "ReverseSequence", 10, reverse_sequence));
}

fn compress(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axis = node.get_int("axis")?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (x, c) = (ctx.input(0)?, ctx.input(1)?);
        ensure!(c.dtype() == DataType::Bool && c.rank() == 1, InvalidArgument, "{}: condition must be a 1-D bool tensor", node.describe());
        let cond = c.data::<bool>()?;
        // Without an axis the input is taken flat.
        let (outer, dim, inner, a) = match axis {
            Some(a) => {
                let a = norm_axis(a, x.rank(), "Compress").at(node)?;
                (x.shape()[..a].iter().product::<usize>(), x.shape()[a], x.shape()[a + 1..].iter().product::<usize>(), Some(a))
            }
            None => (1, x.len(), 1, None),
        };
        ensure!(
            cond.iter().skip(dim).all(|&b| !b),
            InvalidArgument,
            "{}: condition selects index {} past the dimension of size {dim}",
            node.describe(),
            cond.iter().rposition(|&b| b).unwrap_or(0)
        );
        let keep: Vec<usize> = cond.iter().take(dim).enumerate().filter(|(_, &b)| b).map(|(i, _)| i).collect();
        let out_shape = match a {
            Some(a) => {
                let mut s = x.shape().to_vec();
                s[a] = keep.len();
                s
            }
            None => vec![keep.len()],
        };
        let y = with_elem!(x.dtype(), T => {
            let src = T::view(x)?;
            let mut out: Vec<T> = Vec::with_capacity(outer * keep.len() * inner);
            for o in 0..outer {
                for &k in &keep {
                    let s = (o * dim + k) * inner;
                    out.extend_from_slice(&src[s..s + inner]);
                }
            }
            T::build(x.dtype(), out_shape, out)
        })?;
        ctx.set_output(0, y)
    })))
}

/// Whether each element is non-zero (floats: -0.0 is zero; strings: non-empty).
fn nonzero_mask(x: &Tensor) -> Result<Vec<bool>> {
    if x.dtype() == DataType::String {
        return Ok(x.strings()?.iter().map(|s| !s.is_empty()).collect());
    }
    dispatch_all!(x.dtype(), T => Ok(x.data::<T>()?.iter().map(|v| *v != T::default()).collect()), else {
        // Complex and other byte types: any set bit.
        with_elem!(x.dtype(), T => Ok(T::view(x)?.iter().map(|v| *v != T::default()).collect()))
    })
}

fn nonzero(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let mask = nonzero_mask(x).at(ctx.node)?;
        // A scalar counts as a 1-element vector (as ONNX Runtime does).
        let shape: Vec<usize> = if x.rank() == 0 { vec![1] } else { x.shape().to_vec() };
        let rank = shape.len();
        let hits: Vec<usize> = mask.iter().enumerate().filter(|(_, &b)| b).map(|(i, _)| i).collect();
        let n = hits.len();
        let mut out = alloc::<u64>(DataType::Int64, &[rank, n])?;
        let st = crate::util::elems::strides(&shape);
        for (j, &h) in hits.iter().enumerate() {
            for d in 0..rank {
                out[d * n + j] = (h / st[d] % shape[d]) as u64;
            }
        }
        ctx.set_output(0, Tensor::from_vec_as(DataType::Int64, vec![rank, n], out)?)
    })))
}

fn reverse_sequence(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let batch_axis = node.int_or("batch_axis", 1)?;
    let time_axis = node.int_or("time_axis", 0)?;
    ensure!(
        matches!((batch_axis, time_axis), (0, 1) | (1, 0)),
        InvalidGraph,
        "{}: batch_axis and time_axis must be 0 and 1 in some order, got {batch_axis} and {time_axis}",
        node.describe()
    );
    let time_first = time_axis == 0;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (x, l) = (ctx.input(0)?, ctx.input(1)?);
        let s = x.shape();
        ensure!(s.len() >= 2, InvalidArgument, "{}: input must have rank >= 2, got {s:?}", node.describe());
        let (steps, batch) = if time_first { (s[0], s[1]) } else { (s[1], s[0]) };
        let lens = index_values(l, node)?;
        ensure!(lens.len() == batch, InvalidArgument, "{}: sequence_lens has {} entries for batch {batch}", node.describe(), lens.len());
        for &v in &lens {
            if v < 0 || v as usize > steps {
                bail!(InvalidArgument, "{}: sequence length {v} is outside [0, {steps}]", node.describe());
            }
        }
        let inner: usize = s[2..].iter().product();
        // Flat offset of (time t, batch b) slices.
        let at = |t: usize, b: usize| if time_first { (t * batch + b) * inner } else { (b * steps + t) * inner };
        let y = with_elem!(x.dtype(), T => {
            let src = T::view(x)?;
            let mut out = alloc::<T>(x.dtype(), s)?;
            for (b, &len) in lens.iter().enumerate() {
                let len = len as usize;
                for t in 0..steps {
                    let from = if t < len { len - 1 - t } else { t };
                    let (o, i) = (at(t, b), at(from, b));
                    out[o..o + inner].clone_from_slice(&src[i..i + inner]);
                }
            }
            T::build(x.dtype(), s.to_vec(), out)
        })?;
        ctx.set_output(0, y)
    })))
}
