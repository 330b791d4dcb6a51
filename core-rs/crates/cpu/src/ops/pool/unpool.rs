//! MaxUnpool (opsets 9, 11, 22): scatters X into zeros at the flat indices I (typically
//! MaxPool's Indices). The indices address the shape unpooling infers,
//! `(in - 1) * stride - pads + kernel` per spatial axis; an `output_shape` input that is
//! larger places that result at the start of each axis, as the ONNX reference and
//! conformance tests define (onnxruntime instead reads the indices against output_shape).

use crate::util::elems::check_size;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "MaxUnpool", 9, make));
}

struct MaxUnpool {
    kernel: Vec<usize>,
    strides: Vec<usize>,
    pads: Vec<usize>,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let d = node.describe();
    let Some(k) = node.get_ints("kernel_shape")? else { bail!(InvalidGraph, "{d}: required attribute 'kernel_shape' is missing") };
    ensure!(!k.is_empty() && k.iter().all(|&v| v > 0), InvalidGraph, "{d}: attribute 'kernel_shape' must be non-empty and positive, got {k:?}");
    let r = k.len();
    let strides = node.get_ints("strides")?.unwrap_or_else(|| vec![1; r]);
    ensure!(strides.len() == r, InvalidGraph, "{d}: attribute 'strides' has {} values but kernel_shape has {r}", strides.len());
    ensure!(strides.iter().all(|&v| v > 0), InvalidGraph, "{d}: attribute 'strides' must be positive, got {strides:?}");
    let pads = node.get_ints("pads")?.unwrap_or_else(|| vec![0; 2 * r]);
    ensure!(pads.len() == 2 * r, InvalidGraph, "{d}: attribute 'pads' must have {} values (begins then ends), got {}", 2 * r, pads.len());
    ensure!(pads.iter().all(|&v| v >= 0), InvalidGraph, "{d}: attribute 'pads' must be non-negative, got {pads:?}");
    let u = |v: Vec<i64>| v.into_iter().map(|x| x as usize).collect();
    Ok(Box::new(MaxUnpool { kernel: u(k), strides: u(strides), pads: u(pads) }))
}

impl Kernel for MaxUnpool {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let (x, idx) = (ctx.input(0)?, ctx.input(1)?);
        let r = self.kernel.len();
        ensure!(x.rank() == r + 2, InvalidArgument, "{node}: X must have rank {} for kernel_shape {:?}, got shape {:?}", r + 2, self.kernel, x.shape());
        ensure!(idx.shape() == x.shape(), InvalidArgument, "{node}: I must have X's shape {:?}, got {:?}", x.shape(), idx.shape());
        let mut inferred = x.shape()[..2].to_vec();
        for i in 0..r {
            let full = (x.shape()[i + 2].max(1) - 1) * self.strides[i] + self.kernel[i];
            let pads = self.pads[i] + self.pads[i + r];
            ensure!(full > pads, InvalidArgument, "{node}: pads {:?} leave no output along spatial axis {i}", self.pads);
            inferred.push(full - pads);
        }
        let out_shape = match ctx.opt_input(2)? {
            None => inferred.clone(),
            Some(t) => {
                let s = t.to_i64_vec()?;
                ensure!(s.len() == r + 2, InvalidArgument, "{node}: output_shape must have {} values, got {s:?}", r + 2);
                ensure!(
                    s.iter().zip(&inferred).all(|(&o, &i)| o >= i as i64),
                    InvalidArgument,
                    "{node}: output_shape {s:?} is smaller than the unpooled shape {inferred:?}"
                );
                s.iter().map(|&v| v as usize).collect()
            }
        };
        check_size(x.dtype(), &out_shape)?;
        let ix = idx.data::<i64>().map_err(|e| e.context(format!("{node}: I")))?;
        let dt = x.dtype();
        let y = crate::dispatch!(dt, T => unpool::<T>(&node, x, ix, &inferred, out_shape)?, [f32, f64, f16, bf16],
            else bail!(NotImplemented, "{node}: MaxUnpool is not implemented for element type {dt}"));
        ctx.set_output(0, y)
    }
}

fn unpool<T: onnxrun_core::Element>(node: &str, x: &Tensor, ix: &[i64], inferred: &[usize], out_shape: Vec<usize>) -> Result<Tensor> {
    let total: usize = inferred.iter().product();
    let mut y = vec![T::default(); total];
    for (&v, &i) in x.data::<T>()?.iter().zip(ix) {
        match usize::try_from(i).ok().and_then(|i| y.get_mut(i)) {
            Some(slot) => *slot = v,
            None => bail!(InvalidArgument, "{node}: index {i} in I is out of range [0, {total}) for the unpooled shape {inferred:?}"),
        }
    }
    if out_shape == inferred {
        return Tensor::from_vec(out_shape, y);
    }
    // Embed at the start of every axis of the larger output, one innermost row at a time.
    let mut out = vec![T::default(); out_shape.iter().product()];
    let rank = inferred.len();
    let row = inferred[rank - 1];
    let rows = total / row.max(1);
    let mut coord = vec![0usize; rank - 1];
    for r in 0..rows {
        let dst: usize = coord.iter().zip(&out_shape).fold(0, |acc, (&c, &d)| acc * d + c) * out_shape[rank - 1];
        out[dst..dst + row].copy_from_slice(&y[r * row..(r + 1) * row]);
        for j in (0..rank - 1).rev() {
            coord[j] += 1;
            if coord[j] < inferred[j] {
                break;
            }
            coord[j] = 0;
        }
    }
    Tensor::from_vec(out_shape, out)
}
