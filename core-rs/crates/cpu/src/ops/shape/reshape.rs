//! Ops that only change a tensor's shape (Reshape, Flatten, Squeeze, Unsqueeze) and
//! Identity: all zero-copy, sharing the input's buffer.

use crate::util::elems::{norm_axis, AtNode};
use onnxrun_core::{bail, ensure, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Reshape", 1, reshape));
    r.register(KernelDef::new("", "Flatten", 1, flatten));
    r.register(KernelDef::new("", "Squeeze", 1, squeeze));
    r.register(KernelDef::new("", "Unsqueeze", 1, unsqueeze));
    r.register(KernelDef::new("", "Identity", 1, identity));
}

/// The output shape of Reshape: `0` copies the input dim (unless `allowzero`), one `-1`
/// takes whatever is left.
pub fn reshape_dims(input: &[usize], spec: &[i64], allowzero: bool) -> Result<Vec<usize>> {
    let total = onnxrun_core::num_elements(input)?;
    let mut out = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &d) in spec.iter().enumerate() {
        match d {
            -1 => {
                ensure!(infer.is_none(), InvalidArgument, "shape {spec:?} has more than one -1");
                infer = Some(i);
                out.push(1);
            }
            0 if !allowzero => match input.get(i) {
                Some(&v) => out.push(v),
                None => bail!(InvalidArgument, "shape {spec:?} copies dim {i} (0) but the input {input:?} has rank {}", input.len()),
            },
            d if d < 0 => bail!(InvalidArgument, "shape {spec:?} has invalid dimension {d}"),
            d => out.push(usize::try_from(d).map_err(|_| onnxrun_core::err!(InvalidArgument, "dimension {d} is too large"))?),
        }
    }
    let known = onnxrun_core::num_elements(&out)?;
    if let Some(i) = infer {
        ensure!(
            known != 0 && total % known == 0,
            InvalidArgument,
            "cannot reshape {input:?} ({total} elements) to {spec:?}: the -1 dimension cannot be inferred"
        );
        out[i] = total / known;
    } else {
        ensure!(known == total, InvalidArgument, "cannot reshape {input:?} ({total} elements) to {spec:?} ({known} elements)");
    }
    Ok(out)
}

fn reshape(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let allowzero = node.int_or("allowzero", 0)? != 0;
    // Opsets 1-4 carry the shape as an attribute.
    let attr_shape = if node.opset < 5 {
        Some(node.get_ints("shape")?.ok_or_else(|| onnxrun_core::err!(InvalidGraph, "{}: attribute 'shape' is missing", node.describe()))?)
    } else {
        None
    };
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let spec = match &attr_shape {
            Some(s) => s.clone(),
            None => ctx.input(1)?.to_i64_vec().at(ctx.node)?,
        };
        let shape = reshape_dims(x.shape(), &spec, allowzero).at(ctx.node)?;
        let y = x.reshaped(shape)?;
        ctx.set_output(0, y)
    })))
}

fn flatten(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axis = node.int_or("axis", 1)?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let r = x.rank() as i64;
        ensure!((-r..=r).contains(&axis), InvalidArgument, "{}: axis {axis} is out of range for rank {r}", ctx.node.describe());
        let a = if axis < 0 { axis + r } else { axis } as usize;
        let outer: usize = x.shape()[..a].iter().product();
        let inner: usize = x.shape()[a..].iter().product();
        let y = x.reshaped(vec![outer, inner])?;
        ctx.set_output(0, y)
    })))
}

/// Axes from the attribute (opset < 13) or from input 1 (opset >= 13, optional).
fn axes_source(node: &NodeInfo) -> Result<Option<Vec<i64>>> {
    if node.opset < 13 {
        node.get_ints("axes")
    } else {
        Ok(None)
    }
}

fn read_axes(ctx: &OpContext<'_>, attr: &Option<Vec<i64>>) -> Result<Option<Vec<i64>>> {
    if ctx.node.opset < 13 {
        return Ok(attr.clone());
    }
    match ctx.opt_input(1)? {
        Some(t) => Ok(Some(t.to_i64_vec().at(ctx.node)?)),
        None => Ok(None),
    }
}

fn squeeze(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let attr = axes_source(node)?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let shape = x.shape();
        let axes = read_axes(ctx, &attr)?;
        let out: Vec<usize> = match axes {
            // An empty axes list counts as none given (as ONNX Runtime treats it).
            None => shape.iter().copied().filter(|&d| d != 1).collect(),
            Some(a) if a.is_empty() => shape.iter().copied().filter(|&d| d != 1).collect(),
            Some(axes) => {
                let mut drop = vec![false; shape.len()];
                for &a in &axes {
                    let a = norm_axis(a, shape.len(), "Squeeze").at(ctx.node)?;
                    ensure!(
                        shape[a] == 1,
                        InvalidArgument,
                        "{}: cannot squeeze axis {a} of shape {shape:?}: its size is not 1",
                        ctx.node.describe()
                    );
                    drop[a] = true;
                }
                shape.iter().zip(&drop).filter(|(_, &d)| !d).map(|(&s, _)| s).collect()
            }
        };
        let y = x.reshaped(out)?;
        ctx.set_output(0, y)
    })))
}

fn unsqueeze(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let attr = axes_source(node)?;
    ensure!(node.opset >= 13 || attr.is_some(), InvalidGraph, "{}: attribute 'axes' is missing", node.describe());
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let Some(axes) = read_axes(ctx, &attr)? else {
            bail!(InvalidArgument, "{}: input 'axes' is required", ctx.node.describe())
        };
        let rank = x.rank() + axes.len();
        let mut new = vec![false; rank];
        for &a in &axes {
            let a = norm_axis(a, rank, "Unsqueeze").at(ctx.node)?;
            ensure!(!new[a], InvalidArgument, "{}: axis {a} is repeated in {axes:?}", ctx.node.describe());
            new[a] = true;
        }
        let mut src = x.shape().iter();
        let out: Vec<usize> = new.iter().map(|&n| if n { 1 } else { *src.next().unwrap_or(&1) }).collect();
        let y = x.reshaped(out)?;
        ctx.set_output(0, y)
    })))
}

fn identity(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let Some(v) = ctx.value(0) else { bail!(InvalidArgument, "{}: input 0 is missing", ctx.node.describe()) };
        let v = v.clone();
        ctx.set_output(0, v)
    })))
}
