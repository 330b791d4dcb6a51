//! NegativeLogLikelihoodLoss (opset 12, 13, 22) and SoftmaxCrossEntropyLoss (12, 13):
//! `loss[n, d...] = -weight[t] * logp[n, t, d...]` with `t = target[n, d...]`, where logp
//! is the input (NLL) or its log-softmax along dim 1 (SCE, also returned as the optional
//! second output). Targets equal to `ignore_index` contribute nothing. Reduction `none`
//! keeps the target's shape; `sum` adds up; `mean` divides by the total weight (by the
//! count of elements when there is neither a weight nor an ignore_index).

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use super::{run as softmax_run, Kind};
use crate::util::parallel::pool_for;
use crate::util::real::{Acc, Real};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "NegativeLogLikelihoodLoss", 12, |n| make(n, false)));
    r.register(KernelDef::new("", "SoftmaxCrossEntropyLoss", 12, |n| make(n, true)));
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Reduction {
    None,
    Sum,
    Mean,
}

struct Loss {
    softmax: bool,
    reduction: Reduction,
    ignore_index: Option<i64>,
}

fn make(node: &NodeInfo, softmax: bool) -> Result<Box<dyn Kernel>> {
    let reduction = match node.string_or("reduction", "mean")?.as_str() {
        "none" => Reduction::None,
        "sum" => Reduction::Sum,
        "mean" => Reduction::Mean,
        other => bail!(InvalidGraph, "{}: reduction must be none, sum or mean, got '{other}'", node.describe()),
    };
    Ok(Box::new(Loss { softmax, reduction, ignore_index: node.get_int("ignore_index")? }))
}

impl Kernel for Loss {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let (x, target, weight) = (ctx.input(0)?, ctx.input(1)?, ctx.opt_input(2)?);
        let xs = x.shape();
        ensure!(xs.len() >= 2, InvalidArgument, "{node}: input must have shape [N, C, d...], got {xs:?}");
        let (n, c) = (xs[0], xs[1]);
        let mut want_t = vec![n];
        want_t.extend_from_slice(&xs[2..]);
        ensure!(
            target.shape() == want_t.as_slice(),
            InvalidArgument,
            "{node}: target shape {:?} does not match input shape {xs:?} (expected {want_t:?})",
            target.shape()
        );
        if let Some(w) = weight {
            ensure!(w.shape() == [c], InvalidArgument, "{node}: weight must have shape [{c}], got {:?}", w.shape());
        }
        let p = pool_for(ctx, x.len() * 8);
        let dt = x.dtype();
        let (loss, log_prob) = crate::dispatch_float!(dt, T => self.run::<T>(p, x, target, weight).map_err(|e| e.context(&node))?, else bail!(
            NotImplemented,
            "{node}: not implemented for element type {dt}"
        ));
        ctx.set_output(0, loss)?;
        if let Some(lp) = log_prob.filter(|_| ctx.output_required(1)) {
            ctx.set_output(1, lp)?;
        }
        Ok(())
    }
}

impl Loss {
    fn run<T: Real>(
        &self,
        p: Option<&onnxrun_linalg::ThreadPool>,
        x: &Tensor,
        target: &Tensor,
        weight: Option<&Tensor>,
    ) -> Result<(Tensor, Option<Tensor>)> {
        let (n, c) = (x.shape()[0], x.shape()[1]);
        let inner: usize = x.shape()[2..].iter().product();
        let log_prob = if self.softmax { Some(softmax_run::<T>(p, Kind::LogSoftmax, x, c, inner)?) } else { None };
        let lp = log_prob.as_ref().unwrap_or(x).data::<T>()?;
        let t = target.to_i64_vec()?;
        let w: Option<Vec<T::A>> = weight.map(|w| w.to_f64_vec().map(|v| v.into_iter().map(T::A::from_f64).collect())).transpose()?;
        let mut losses = vec![T::A::ZERO; n * inner];
        let mut total_w = T::A::ZERO;
        for ni in 0..n {
            for d in 0..inner {
                let i = ni * inner + d;
                let ti = t[i];
                if Some(ti) == self.ignore_index {
                    continue;
                }
                ensure!(ti >= 0 && (ti as usize) < c, InvalidArgument, "target value {ti} is out of range [0, {c})");
                let wi = w.as_ref().map_or(T::A::ONE, |w| w[ti as usize]);
                losses[i] = -(lp[(ni * c + ti as usize) * inner + d].to_acc()) * wi;
                total_w += wi;
            }
        }
        let loss = match self.reduction {
            Reduction::None => {
                let v: Vec<T> = losses.into_iter().map(T::from_acc).collect();
                Tensor::from_vec(target.shape().to_vec(), v)?
            }
            r => {
                let sum = losses.iter().fold(T::A::ZERO, |a, &b| a + b);
                let v = if r == Reduction::Sum {
                    sum
                } else if w.is_some() || self.ignore_index.is_some() {
                    sum / total_w
                } else {
                    sum / T::A::from_f64(losses.len() as f64)
                };
                Tensor::from_vec(vec![], vec![T::from_acc(v)])?
            }
        };
        Ok((loss, log_prob))
    }
}
