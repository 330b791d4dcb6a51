//! Normalizer: scales each row by its MAX, L1 or L2 norm (rows whose norm is 0 are left as
//! they are, as ONNX Runtime does).

use super::common::{batch_dims, to_f32};
use onnxrun_core::{bail, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("ai.onnx.ml", "Normalizer", 1, normalizer));
}

#[derive(Clone, Copy)]
enum Norm {
    Max,
    L1,
    L2,
}

struct Normalizer {
    norm: Norm,
}

fn normalizer(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let norm = match node.string_or("norm", "MAX")?.as_str() {
        "MAX" => Norm::Max,
        "L1" => Norm::L1,
        "L2" => Norm::L2,
        s => bail!(InvalidGraph, "{}: norm '{s}' is not one of MAX, L1, L2", node.describe()),
    };
    Ok(Box::new(Normalizer { norm }))
}

impl Kernel for Normalizer {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        let (_, c) = batch_dims(x, &what)?;
        let mut out = to_f32(x, &what)?.into_owned();
        if c > 0 {
            for row in out.chunks_exact_mut(c) {
                let d = match self.norm {
                    Norm::Max => row.iter().copied().fold(f32::MIN, f32::max),
                    Norm::L1 => row.iter().map(|v| v.abs()).sum(),
                    Norm::L2 => row.iter().map(|v| v * v).sum::<f32>().sqrt(),
                };
                if d != 0.0 {
                    row.iter_mut().for_each(|v| *v /= d);
                }
            }
        }
        ctx.set_output(0, Tensor::from_vec(x.shape().to_vec(), out)?)
    }
}
