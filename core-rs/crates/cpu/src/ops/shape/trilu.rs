//! Trilu: keep the upper or lower triangle of the last two dims, zero the rest.

use crate::util::elems::{AtNode, Elem};
use crate::with_elem;
use onnxrun_core::{ensure, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Trilu", 14, trilu));
}

fn trilu(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let upper = node.int_or("upper", 1)? != 0;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let s = x.shape();
        ensure!(s.len() >= 2, InvalidArgument, "{}: input must have rank >= 2, got {s:?}", ctx.node.describe());
        let k = match ctx.opt_input(1)? {
            Some(t) => {
                let v = t.to_i64_vec().at(ctx.node)?;
                ensure!(v.len() == 1, InvalidArgument, "{}: k must be a scalar", ctx.node.describe());
                v[0]
            }
            None => 0,
        };
        let (rows, cols) = (s[s.len() - 2], s[s.len() - 1]);
        let y = with_elem!(x.dtype(), T => {
            let mut out = T::view(x)?.into_owned();
            if rows * cols > 0 {
                for m in out.chunks_mut(rows * cols) {
                    for (i, row) in m.chunks_mut(cols).enumerate() {
                        // Keep column j when j - i >= k (upper) or j - i <= k (lower).
                        let edge = (i as i64).saturating_add(k).clamp(0, cols as i64) as usize;
                        if upper {
                            row[..edge].fill(T::default());
                        } else {
                            let from = (i as i64).saturating_add(k).saturating_add(1).clamp(0, cols as i64) as usize;
                            row[from..].fill(T::default());
                        }
                    }
                }
            }
            T::build(x.dtype(), s.to_vec(), out)
        })?;
        ctx.set_output(0, y)
    })))
}
