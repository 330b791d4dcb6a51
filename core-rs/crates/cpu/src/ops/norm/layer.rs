//! LayerNormalization (opset 17) and RMSNormalization (opset 23): each row of
//! `prod(shape[axis..])` elements normalized by its own statistics (mean and variance, or
//! the root mean square), then scaled (and shifted) by parameters broadcast to
//! `shape[axis..]`. LayerNormalization may also output the Mean and InvStdDev it used,
//! shaped `shape[..axis]` followed by ones, in the stash type (float).

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use super::common::{float_tensor, params_to, row_stats};
use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::util::real::{Acc, Real};
use crate::util::vecmath;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "LayerNormalization", 17, |n| make(n, false)));
    r.register(KernelDef::new("", "RMSNormalization", 23, |n| make(n, true)));
}

struct RowNorm {
    axis: i64,
    eps: f64,
    rms: bool,
    /// Element types of the Mean / InvStdDev outputs.
    stat_types: [DataType; 2],
}

fn make(node: &NodeInfo, rms: bool) -> Result<Box<dyn Kernel>> {
    let stash = node.int_or("stash_type", 1)?;
    let stash_dt = if stash == 1 { DataType::Float } else { DataType::from_i32(stash as i32)? };
    let stat_types = [node.output_dtype(1).unwrap_or(stash_dt), node.output_dtype(2).unwrap_or(stash_dt)];
    Ok(Box::new(RowNorm { axis: node.int_or("axis", -1)?, eps: node.float_or("epsilon", 1e-5)? as f64, rms, stat_types }))
}

impl Kernel for RowNorm {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        let w = ctx.input(1)?;
        let b = if self.rms { None } else { ctx.opt_input(2)? };
        let r = x.rank() as i64;
        ensure!(
            self.axis >= -r && self.axis < r,
            InvalidArgument,
            "{node}: axis {} is out of range for an input of rank {r}",
            self.axis
        );
        let axis = if self.axis < 0 { self.axis + r } else { self.axis } as usize;
        let p = pool_for(ctx, x.len() * 3);
        let dt = x.dtype();
        let outs = crate::dispatch_float!(dt, T => self.run::<T>(p, x, w, b, axis).map_err(|e| e.context(&node))?, else bail!(
            NotImplemented,
            "{node}: not implemented for element type {dt}"
        ));
        for (i, t) in outs.into_iter().enumerate() {
            if i == 0 || ctx.output_required(i) {
                ctx.set_output(i, t)?;
            }
        }
        Ok(())
    }
}

impl RowNorm {
    fn run<T: Real>(&self, p: Option<&ThreadPool>, x: &Tensor, w: &Tensor, b: Option<&Tensor>, axis: usize) -> Result<Vec<Tensor>> {
        let shape = x.shape();
        let norm_shape = &shape[axis..];
        let rows: usize = shape[..axis].iter().product();
        let cols: usize = norm_shape.iter().product();
        let w: Vec<T::A> = params_to(w, norm_shape, "Scale")?;
        let b: Option<Vec<T::A>> = b.map(|b| params_to(b, norm_shape, "B")).transpose()?;
        let xs = x.data::<T>()?;
        let eps = T::A::from_f64(self.eps);
        // (mean, 1 / sqrt(var + eps)) per row; RMS has mean 0 and uses mean(x^2).
        let st: Vec<(T::A, T::A)> = if self.rms {
            let mut st = vec![(T::A::ZERO, T::A::ZERO); rows];
            let pp = if rows > 1 { p } else { None };
            for_chunks_mut(pp, &mut st, 1, |r, s| {
                let row = &xs[r * cols..][..cols];
                let q = match T::f32s(row) {
                    Some(rf) => T::A::from_f64(vecmath::sum_sq(rf) as f64),
                    None => row.iter().fold(T::A::ZERO, |q, v| q + v.to_acc() * v.to_acc()),
                };
                let ms = q / T::A::from_f64(cols.max(1) as f64);
                s[0] = (T::A::ZERO, T::A::ONE / (ms + eps).sqrt());
            })?;
            st
        } else {
            row_stats(p, xs, rows, cols)?.into_iter().map(|(m, v)| (m, T::A::ONE / (v + eps).sqrt())).collect()
        };
        let mut y = Tensor::zeros(x.dtype(), shape.to_vec())?;
        if cols > 0 {
            for_chunks_mut(p, y.data_mut::<T>()?, cols, |r, yr| {
                let (m, inv) = st[r];
                let xr = &xs[r * cols..][..cols];
                if let (Some(xf), Some(wf), Some(yf)) = (T::f32s(xr), T::A::f32s(&w), T::f32s_mut(yr)) {
                    let bf = b.as_deref().and_then(T::A::f32s);
                    return vecmath::normalize(yf, xf, m.to_f64() as f32, inv.to_f64() as f32, wf, bf);
                }
                match &b {
                    Some(b) => {
                        for (((y, v), w), b) in yr.iter_mut().zip(xr).zip(&w).zip(b) {
                            *y = T::from_acc((v.to_acc() - m) * inv * *w + *b);
                        }
                    }
                    None => {
                        for ((y, v), w) in yr.iter_mut().zip(xr).zip(&w) {
                            *y = T::from_acc((v.to_acc() - m) * inv * *w);
                        }
                    }
                }
            })?;
        }
        let mut outs = vec![y];
        if !self.rms {
            let mut stat_shape = shape[..axis].to_vec();
            stat_shape.resize(shape.len(), 1);
            let means: Vec<T::A> = st.iter().map(|s| s.0).collect();
            let invs: Vec<T::A> = st.iter().map(|s| s.1).collect();
            outs.push(float_tensor(self.stat_types[0], stat_shape.clone(), &means)?);
            outs.push(float_tensor(self.stat_types[1], stat_shape, &invs)?);
        }
        Ok(outs)
    }
}
