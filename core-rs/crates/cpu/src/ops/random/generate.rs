//! RandomNormal / RandomUniform (shape from the `shape` attribute) and RandomNormalLike /
//! RandomUniformLike (shape, and by default element type, from the input). As in numpy,
//! each draw is rounded to the output type first, then scaled and shifted in that type.

use super::draw::NpRandom;
use super::{is_float, Source};
#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use crate::util::convert::Num;
use crate::util::real::Real;
use onnxrun_core::{bail, shape_from_dims, DataType, Kernel, NodeInfo, OpContext, Result, Tensor};

#[derive(Clone, Copy)]
enum Dist {
    Normal { mean: f64, scale: f64 },
    Uniform { low: f64, high: f64 },
}

struct Generate {
    dist: Dist,
    /// Output type; None: the input's (the *Like ops without `dtype`).
    dtype: Option<DataType>,
    /// Output shape; None: the input's.
    shape: Option<Vec<usize>>,
    src: Source,
}

fn normal_dist(node: &NodeInfo) -> Result<Dist> {
    Ok(Dist::Normal { mean: node.float_or("mean", 0.0)? as f64, scale: node.float_or("scale", 1.0)? as f64 })
}

fn uniform_dist(node: &NodeInfo) -> Result<Dist> {
    Ok(Dist::Uniform { low: node.float_or("low", 0.0)? as f64, high: node.float_or("high", 1.0)? as f64 })
}

pub fn normal(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    make(node, normal_dist(node)?, false)
}
pub fn uniform(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    make(node, uniform_dist(node)?, false)
}
pub fn normal_like(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    make(node, normal_dist(node)?, true)
}
pub fn uniform_like(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    make(node, uniform_dist(node)?, true)
}

fn make(node: &NodeInfo, dist: Dist, like: bool) -> Result<Box<dyn Kernel>> {
    let me = node.describe();
    let dtype = match node.get_int("dtype")? {
        None | Some(0) if like => None,
        None => Some(DataType::Float),
        Some(v) => {
            let dt = DataType::from_i32(v as i32).map_err(|e| e.context(format!("{me}: dtype")))?;
            if !is_float(dt) {
                bail!(InvalidGraph, "{me}: dtype must be a float type, got {dt}");
            }
            Some(dt)
        }
    };
    let shape = if like {
        None
    } else {
        let dims = node.get_ints("shape")?.ok_or_else(|| onnxrun_core::err!(InvalidGraph, "{me}: required attribute 'shape' is missing"))?;
        Some(shape_from_dims(&dims).map_err(|e| onnxrun_core::err!(InvalidGraph, "{me}: shape: {e}"))?)
    };
    Ok(Box::new(Generate { dist, dtype, shape, src: Source::from_node(node)? }))
}

impl Kernel for Generate {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let me = ctx.node.describe();
        let (shape, dt) = match &self.shape {
            Some(s) => (s.clone(), self.dtype.unwrap_or(DataType::Float)),
            None => {
                let x = ctx.input(0)?;
                (x.shape().to_vec(), self.dtype.unwrap_or(x.dtype()))
            }
        };
        if !is_float(dt) {
            bail!(InvalidArgument, "{me}: output type {dt} is not a float type; set the dtype attribute");
        }
        let n = onnxrun_core::num_elements(&shape)?;
        // Refuse absurd sizes before drawing.
        let limit = onnxrun_core::tensor::max_tensor_bytes();
        if n.saturating_mul(dt.size()) > limit {
            bail!(InvalidArgument, "{me}: output of shape {shape:?} exceeds the tensor size limit of {limit} bytes");
        }
        let dist = self.dist;
        let out = self.src.draw(|rng| {
            crate::dispatch_float!(dt, T => Tensor::from_vec(shape, fill::<T>(n, dist, rng)), else Err(onnxrun_core::err!(InvalidArgument, "{me}: unsupported output type {dt}")))
        })?;
        ctx.set_output(0, out)
    }
}

/// n draws of `dist` as T, with numpy's rounding: draw → T, then `* scale`, then `+ shift`.
fn fill<T: Real + Num>(n: usize, dist: Dist, rng: &mut NpRandom) -> Vec<T> {
    let (normal, scale, shift) = match dist {
        Dist::Normal { mean, scale } => (true, scale, mean),
        Dist::Uniform { low, high } => (false, high - low, low),
    };
    let (s, m) = (T::from_f64(scale).to_acc(), T::from_f64(shift).to_acc());
    (0..n)
        .map(|_| {
            let v = T::from_f64(if normal { rng.normal() } else { rng.uniform() });
            let v = T::from_acc(v.to_acc() * s);
            T::from_acc(v.to_acc() + m)
        })
        .collect()
}
