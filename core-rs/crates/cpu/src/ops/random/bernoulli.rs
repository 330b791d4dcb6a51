//! Bernoulli (opset 15-22): 1 with probability p for each input element p in [0, 1],
//! drawn as numpy's `binomial(1, p)`; the output type is `dtype` or the input's.

use super::{is_float, Source};
use crate::util::convert::{cast_tensor, CastOpts};
use onnxrun_core::{bail, DataType, Kernel, NodeInfo, OpContext, Result, Tensor};

struct Bernoulli {
    dtype: Option<DataType>,
    src: Source,
}

fn output_type_ok(dt: DataType) -> bool {
    use DataType::*;
    is_float(dt) || matches!(dt, Uint8 | Uint16 | Uint32 | Uint64 | Int8 | Int16 | Int32 | Int64 | Bool)
}

pub fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let me = node.describe();
    let dtype = match node.get_int("dtype")? {
        None | Some(0) => None,
        Some(v) => {
            let dt = DataType::from_i32(v as i32).map_err(|e| e.context(format!("{me}: dtype")))?;
            if !output_type_ok(dt) {
                bail!(InvalidGraph, "{me}: dtype {dt} is not a numeric or bool type");
            }
            Some(dt)
        }
    };
    Ok(Box::new(Bernoulli { dtype, src: Source::from_node(node)? }))
}

impl Kernel for Bernoulli {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let me = ctx.node.describe();
        let x = ctx.input(0)?;
        if !is_float(x.dtype()) {
            bail!(InvalidArgument, "{me}: input must be a float tensor of probabilities, got {}", x.dtype());
        }
        let probs = x.to_f64_vec()?;
        if let Some((i, p)) = probs.iter().enumerate().find(|(_, p)| !(0.0..=1.0).contains(*p)) {
            bail!(InvalidArgument, "{me}: probability {p} at element {i} is outside [0, 1]");
        }
        let hits: Vec<bool> = self.src.draw(|rng| probs.iter().map(|&p| rng.bernoulli(p)).collect());
        let mask = Tensor::from_vec(x.shape().to_vec(), hits)?;
        let out = cast_tensor(&mask, self.dtype.unwrap_or(x.dtype()), CastOpts::default(), None)?;
        ctx.set_output(0, out)
    }
}
