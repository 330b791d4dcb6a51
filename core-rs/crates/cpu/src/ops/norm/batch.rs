//! BatchNormalization (opset 1-15). Inference: `y = scale * (x - mean) / sqrt(var + eps)
//! + bias` per channel (dim 1), or per element of `[C, d...]` with the old `spatial = 0`.
//! With `training_mode = 1` (opset 14+) the batch's own mean and (population) variance
//! normalize, and the running statistics come back updated by `momentum`.

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use super::common::{affine_rows, float_tensor, params};
use crate::util::parallel::pool_for;
use crate::util::real::{Acc, Real};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "BatchNormalization", 1, make));
}

struct BatchNorm {
    eps: f64,
    momentum: f64,
    training: bool,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let training = node.opset >= 14 && node.int_or("training_mode", 0)? != 0;
    // Before 14, extra outputs meant training statistics, which inference cannot give.
    if node.opset < 14 && (1..node.outputs.len()).any(|i| node.has_output(i)) {
        bail!(NotImplemented, "{}: training-mode outputs of opset {} are not supported", node.describe(), node.opset);
    }
    Ok(Box::new(BatchNorm {
        eps: node.float_or("epsilon", 1e-5)? as f64,
        momentum: node.float_or("momentum", 0.9)? as f64,
        training,
    }))
}

impl Kernel for BatchNorm {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        let ins = [ctx.input(1)?, ctx.input(2)?, ctx.input(3)?, ctx.input(4)?];
        ensure!(x.rank() >= 2, InvalidArgument, "{node}: X must have rank >= 2 (N, C, ...), got {:?}", x.shape());
        let p = pool_for(ctx, x.len() * 2);
        let dt = x.dtype();
        let outs = crate::dispatch_float!(dt, T => self.run::<T>(p, x, ins).map_err(|e| e.context(&node))?, else bail!(
            NotImplemented,
            "{node}: not implemented for element type {dt}"
        ));
        for (i, t) in outs.into_iter().enumerate() {
            if ctx.output_required(i) {
                ctx.set_output(i, t)?;
            }
        }
        Ok(())
    }
}

impl BatchNorm {
    fn run<T: Real>(&self, p: Option<&onnxrun_linalg::ThreadPool>, x: &Tensor, ins: [&Tensor; 4]) -> Result<Vec<Tensor>> {
        let (n, c) = (x.shape()[0], x.shape()[1]);
        let inner: usize = x.shape()[2..].iter().product();
        let [scale, bias, mean_t, var_t] = ins;
        let plen = scale.len();
        ensure!(
            plen == c || (plen == c * inner && !self.training),
            InvalidArgument,
            "scale has {plen} elements; expected C = {c}"
        );
        for (t, what) in [(bias, "B"), (mean_t, "input_mean"), (var_t, "input_var")] {
            ensure!(t.len() == plen, InvalidArgument, "{what} has {} elements, scale has {plen}", t.len());
        }
        let (s, b): (Vec<T::A>, Vec<T::A>) = (params(scale)?, params(bias)?);
        let xs = x.data::<T>()?;
        let mut y = Tensor::zeros(x.dtype(), x.shape().to_vec())?;
        let eps = T::A::from_f64(self.eps);
        let (mut mean, mut var): (Vec<T::A>, Vec<T::A>) = (params(mean_t)?, params(var_t)?);
        let mut extra = Vec::new();
        if self.training {
            let (bm, bv) = batch_stats(xs, n, c, inner);
            let mom = self.momentum;
            let run = |old: &[T::A], new: &[T::A]| -> Vec<f64> {
                old.iter().zip(new).map(|(o, v)| o.to_f64() * mom + v.to_f64() * (1.0 - mom)).collect()
            };
            extra.push(float_tensor(mean_t.dtype(), mean_t.shape().to_vec(), &run(&mean, &bm))?);
            extra.push(float_tensor(var_t.dtype(), var_t.shape().to_vec(), &run(&var, &bv))?);
            mean = bm;
            var = bv;
        }
        // y = x * a + (b - mean * a), a = scale / sqrt(var + eps).
        let a: Vec<T::A> = s.iter().zip(&var).map(|(s, v)| *s / (*v + eps).sqrt()).collect();
        let sh: Vec<T::A> = b.iter().zip(&mean).zip(&a).map(|((b, m), a)| *b - *m * *a).collect();
        let ys = y.data_mut::<T>()?;
        if plen == c {
            affine_rows(p, xs, ys, inner, |r| (a[r % c], sh[r % c]))?;
        } else {
            // spatial = 0: a coefficient per element of one sample.
            affine_rows(p, xs, ys, 1, |i| {
                let j = i % (c * inner);
                (a[j], sh[j])
            })?;
        }
        let mut outs = vec![y];
        outs.extend(extra);
        Ok(outs)
    }
}

/// Per-channel mean and population variance over N and the spatial dims.
fn batch_stats<T: Real>(x: &[T], n: usize, c: usize, inner: usize) -> (Vec<T::A>, Vec<T::A>) {
    let count = T::A::from_f64((n * inner).max(1) as f64);
    let mut mean = vec![T::A::ZERO; c];
    let mut var = vec![T::A::ZERO; c];
    for (r, row) in x.chunks(inner.max(1)).enumerate().take(n * c) {
        let m = &mut mean[r % c];
        for v in row {
            *m += v.to_acc();
        }
    }
    mean.iter_mut().for_each(|m| *m = *m / count);
    for (r, row) in x.chunks(inner.max(1)).enumerate().take(n * c) {
        let (m, q) = (mean[r % c], &mut var[r % c]);
        for v in row {
            let d = v.to_acc() - m;
            *q += d * d;
        }
    }
    var.iter_mut().for_each(|q| *q = *q / count);
    (mean, var)
}
