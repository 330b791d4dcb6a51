//! OneHot: indices outside [-depth, depth) give an all-off row, as the spec says.

use crate::util::elems::{alloc, norm_axis, AtNode, Elem};
use crate::with_elem;
use onnxrun_core::{ensure, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "OneHot", 9, one_hot));
}

fn one_hot(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axis = node.int_or("axis", -1)?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (ind, dep, vals) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
        ensure!(dep.len() == 1, InvalidArgument, "{}: depth must hold one value, got shape {:?}", node.describe(), dep.shape());
        let depth = dep.to_f64_vec().at(node)?[0];
        ensure!(depth >= 1.0 && depth.is_finite(), InvalidArgument, "{}: depth must be >= 1, got {depth}", node.describe());
        let depth = depth as usize;
        ensure!(vals.len() == 2, InvalidArgument, "{}: values must hold [off, on], got shape {:?}", node.describe(), vals.shape());
        // Indices of any numeric type; floats are truncated toward zero.
        let idx: Vec<i64> = if ind.dtype().is_float() {
            ind.to_f64_vec().at(node)?.iter().map(|&v| v as i64).collect()
        } else {
            ind.to_i64_vec().at(node)?
        };
        let rank = ind.rank() + 1;
        let a = norm_axis(axis, rank, "OneHot").at(node)?;
        let mut out_shape = ind.shape().to_vec();
        out_shape.insert(a, depth);
        let inner: usize = ind.shape()[a..].iter().product();
        let y = with_elem!(vals.dtype(), T => {
            let v = T::view(vals)?;
            let (off, on) = (v[0].clone(), v[1].clone());
            let mut out = alloc::<T>(vals.dtype(), &out_shape)?;
            out.fill(off);
            let d = depth as i64;
            for (p, &i) in idx.iter().enumerate() {
                let i = if i < 0 { i + d } else { i };
                if (0..d).contains(&i) {
                    let (o, r) = (p / inner.max(1), p % inner.max(1));
                    out[(o * depth + i as usize) * inner + r] = on.clone();
                }
            }
            T::build(vals.dtype(), out_shape, out)
        })?;
        ctx.set_output(0, y)
    })))
}
