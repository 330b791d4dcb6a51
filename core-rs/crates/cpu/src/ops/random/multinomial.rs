//! Multinomial (opset 7-22): for each row of unnormalized log-probabilities
//! [batch, classes], `sample_size` class indices drawn from softmax(row), as int32 or
//! int64 (`dtype`). Each draw inverts the row's cumulative distribution.

use super::{is_float, Source};
use onnxrun_core::{bail, ensure, DataType, Kernel, NodeInfo, OpContext, Result, Tensor};

struct Multinomial {
    samples: usize,
    int64: bool,
    src: Source,
}

pub fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let me = node.describe();
    let samples = node.int_or("sample_size", 1)?;
    ensure!(samples > 0, InvalidGraph, "{me}: sample_size must be positive, got {samples}");
    let int64 = match node.int_or("dtype", DataType::Int32 as i64)? {
        6 => false,
        7 => true,
        v => bail!(InvalidGraph, "{me}: dtype must be int32 (6) or int64 (7), got {v}"),
    };
    Ok(Box::new(Multinomial { samples: samples as usize, int64, src: Source::from_node(node)? }))
}

impl Kernel for Multinomial {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let me = ctx.node.describe();
        let x = ctx.input(0)?;
        ensure!(is_float(x.dtype()), InvalidArgument, "{me}: input must be a float tensor, got {}", x.dtype());
        ensure!(x.rank() == 2, InvalidArgument, "{me}: input must be 2-D [batch, classes], got shape {:?}", x.shape());
        let (batch, classes) = (x.shape()[0], x.shape()[1]);
        ensure!(classes > 0 || batch == 0, InvalidArgument, "{me}: input has no classes");
        let n = onnxrun_core::num_elements(&[batch, self.samples])?;
        let limit = onnxrun_core::tensor::max_tensor_bytes();
        ensure!(n.saturating_mul(8) <= limit, InvalidArgument, "{me}: output of {n} samples exceeds the tensor size limit");
        let logits = x.to_f64_vec()?;
        let mut picks = Vec::with_capacity(n);
        let mut cdf = vec![0.0f64; classes];
        for (b, row) in logits.chunks_exact(classes.max(1)).take(batch).enumerate() {
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            ensure!(
                max.is_finite() || max == f64::INFINITY && row.iter().all(|v| !v.is_nan()),
                InvalidArgument,
                "{me}: row {b} has no finite log-probability"
            );
            let mut acc = 0.0;
            for (c, &v) in cdf.iter_mut().zip(row) {
                // +inf logits share all the mass.
                acc += if max == f64::INFINITY { (v == max) as u8 as f64 } else { (v - max).exp() };
                *c = acc;
            }
            self.src.draw(|rng| {
                for _ in 0..self.samples {
                    let u = rng.uniform() * acc;
                    picks.push(cdf.partition_point(|&c| c <= u).min(classes - 1) as i64);
                }
            });
        }
        let shape = vec![batch, self.samples];
        let out = if self.int64 {
            Tensor::from_vec(shape, picks)?
        } else {
            Tensor::from_vec(shape, picks.into_iter().map(|v| v as i32).collect::<Vec<_>>())?
        };
        ctx.set_output(0, out)
    }
}
