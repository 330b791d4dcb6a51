//! Dropout (opset 1-22). In inference (every opset before 12, and from 12 unless the
//! `training_mode` input is true) the output is the input and the mask all ones / true.
//! In training mode each element is kept when a uniform draw is >= ratio and scaled by
//! 1 / (1 - ratio); draws come from MT19937 seeded by the `seed` attribute as numpy's
//! RandomState would be (so seeded results match the ONNX reference), else freshly.

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use crate::util::mt19937::{fresh_seed, Mt19937};
use crate::util::real::{Acc, Real};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Dropout", 1, make));
}

struct Dropout {
    opset: i64,
    seed: Option<i64>,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(Dropout { opset: node.opset, seed: node.get_int("seed")? }))
}

impl Kernel for Dropout {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        let (mut ratio, mut training) = (0.5f64, false);
        if self.opset >= 12 {
            if let Some(r) = ctx.opt_input(1)? {
                let v = r.to_f64_vec().map_err(|e| e.context(format!("{node}: ratio")))?;
                ensure!(v.len() == 1, InvalidArgument, "{node}: ratio must be a scalar, got shape {:?}", r.shape());
                ratio = v[0];
            }
            if let Some(t) = ctx.opt_input(2)? {
                let v = t.to_i64_vec().map_err(|e| e.context(format!("{node}: training_mode")))?;
                ensure!(v.len() == 1, InvalidArgument, "{node}: training_mode must be a scalar, got shape {:?}", t.shape());
                training = v[0] != 0;
            }
        }
        let want_mask = ctx.output_required(1);
        if !training || ratio == 0.0 {
            ctx.set_output(0, x.clone())?;
            if want_mask {
                let mask = if self.opset < 10 {
                    // Before 10 the mask has the data's type.
                    ones_like(x).map_err(|e| e.context(&node))?
                } else {
                    Tensor::from_vec(x.shape().to_vec(), vec![true; x.len()])?
                };
                ctx.set_output(1, mask)?;
            }
            return Ok(());
        }
        ensure!((0.0..1.0).contains(&ratio), InvalidArgument, "{node}: ratio must be in [0, 1), got {ratio}");
        let seed = match self.seed {
            Some(s) => s as u32,
            None => fresh_seed(),
        };
        let mut rng = Mt19937::new(seed);
        let keep: Vec<bool> = (0..x.len()).map(|_| rng.next_f64() >= ratio).collect();
        let dt = x.dtype();
        let y = crate::dispatch_float!(dt, T => apply::<T>(x, &keep, ratio)?, else bail!(
            NotImplemented,
            "{node}: training mode is not implemented for element type {dt}"
        ));
        ctx.set_output(0, y)?;
        if want_mask {
            ctx.set_output(1, Tensor::from_vec(x.shape().to_vec(), keep)?)?;
        }
        Ok(())
    }
}

fn apply<T: Real>(x: &Tensor, keep: &[bool], ratio: f64) -> Result<Tensor> {
    let scale = T::A::ONE / (T::A::ONE - T::A::from_f64(ratio));
    let y: Vec<T> = x.data::<T>()?.iter().zip(keep).map(|(v, &k)| if k { T::from_acc(v.to_acc() * scale) } else { T::from_acc(T::A::ZERO) }).collect();
    Tensor::from_vec(x.shape().to_vec(), y)
}

fn ones_like(x: &Tensor) -> Result<Tensor> {
    fn ones<T: Real>(x: &Tensor) -> Result<Tensor> {
        Tensor::from_vec(x.shape().to_vec(), vec![T::from_acc(T::A::ONE); x.len()])
    }
    let dt = x.dtype();
    crate::dispatch_float!(dt, T => ones::<T>(x), else bail!(NotImplemented, "a mask of type {dt} is not supported"))
}

