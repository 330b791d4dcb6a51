//! Upsample (opsets 7 and 9; deprecated since 10): Resize with asymmetric coordinates and
//! "simple" nearest rounding, scales >= 1 from an attribute (7) or an input (9).

use super::resize::{check_interp_dtype, parse_mode, Mode, ResizeKernel, ScalesFrom, Spec};
use onnxrun_core::{ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, Result};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Upsample", 7, make).until(9));
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let d = node.describe();
    let mode = parse_mode(node, &node.string_or("mode", "nearest")?, &[("nearest", Mode::Nearest), ("linear", Mode::Linear)])?;
    check_interp_dtype(node, mode)?;
    let from = if node.opset < 9 {
        let s = node.get_floats("scales")?.ok_or_else(|| onnxrun_core::err!(InvalidGraph, "{d}: required attribute 'scales' is missing"))?;
        for &v in &s {
            ensure!(v.is_finite() && v >= 1.0, InvalidGraph, "{d}: every scale must be >= 1, got {v}");
        }
        ScalesFrom::Attr(s.iter().map(|&v| v as f64).collect())
    } else {
        ScalesFrom::Input1
    };
    Ok(Box::new(ResizeKernel(Spec::legacy(mode, from, true))))
}
