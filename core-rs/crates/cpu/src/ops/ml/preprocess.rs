//! Elementwise preprocessing: Binarizer, Scaler and Imputer (per-feature values apply along
//! the last axis).

use super::common::to_f32;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("ai.onnx.ml", "Binarizer", 1, binarizer));
    r.register(KernelDef::new("ai.onnx.ml", "Scaler", 1, scaler));
    r.register(KernelDef::new("ai.onnx.ml", "Imputer", 1, imputer));
}

/// Length of the last axis (1 for a scalar): the feature count.
fn features(t: &Tensor) -> usize {
    t.shape().last().copied().unwrap_or(1)
}

struct Binarizer {
    threshold: f32,
}

fn binarizer(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(Binarizer { threshold: node.float_or("threshold", 0.0)? }))
}

impl Kernel for Binarizer {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        let th = self.threshold;
        let shape = x.shape().to_vec();
        // NaN has no side of the threshold; ONNX Runtime refuses it too.
        let nan = |i: usize| onnxrun_core::err!(InvalidArgument, "{what}: input element {i} is NaN");
        let out = match x.dtype() {
            DataType::Float => {
                let d = x.data::<f32>()?;
                if let Some(i) = d.iter().position(|v| v.is_nan()) {
                    return Err(nan(i));
                }
                Tensor::from_vec(shape, d.iter().map(|&v| if v > th { 1f32 } else { 0.0 }).collect())?
            }
            DataType::Double => {
                let d = x.data::<f64>()?;
                if let Some(i) = d.iter().position(|v| v.is_nan()) {
                    return Err(nan(i));
                }
                Tensor::from_vec(shape, d.iter().map(|&v| if v > th as f64 { 1f64 } else { 0.0 }).collect())?
            }
            DataType::Int64 => Tensor::from_vec(shape, x.data::<i64>()?.iter().map(|&v| i64::from(v as f64 > th as f64)).collect())?,
            DataType::Int32 => Tensor::from_vec(shape, x.data::<i32>()?.iter().map(|&v| i32::from(v as f64 > th as f64)).collect())?,
            d => bail!(InvalidArgument, "{what}: input must be float, double, int64 or int32, got {d}"),
        };
        ctx.set_output(0, out)
    }
}

struct Scaler {
    offset: Vec<f32>,
    scale: Vec<f32>,
}

fn scaler(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let offset = node.get_floats("offset")?.filter(|v| !v.is_empty()).unwrap_or_else(|| vec![0.0]);
    let scale = node.get_floats("scale")?.filter(|v| !v.is_empty()).unwrap_or_else(|| vec![1.0]);
    Ok(Box::new(Scaler { offset, scale }))
}

impl Kernel for Scaler {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        let c = features(x);
        for (name, v) in [("offset", &self.offset), ("scale", &self.scale)] {
            ensure!(v.len() == 1 || v.len() == c, InvalidArgument, "{what}: {name} has {} values; it needs 1 or {c} (the feature count)", v.len());
        }
        let mut out = to_f32(x, &what)?.into_owned();
        for (i, v) in out.iter_mut().enumerate() {
            let j = if c == 0 { 0 } else { i % c };
            let o = self.offset[if self.offset.len() == 1 { 0 } else { j }];
            let s = self.scale[if self.scale.len() == 1 { 0 } else { j }];
            *v = (*v - o) * s;
        }
        ctx.set_output(0, Tensor::from_vec(x.shape().to_vec(), out)?)
    }
}

struct Imputer {
    floats: Vec<f32>,
    ints: Vec<i64>,
    replaced_float: f32,
    replaced_int: i64,
}

fn imputer(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let floats = node.get_floats("imputed_value_floats")?.unwrap_or_default();
    let ints = node.get_ints("imputed_value_int64s")?.unwrap_or_default();
    ensure!(
        floats.is_empty() != ints.is_empty(),
        InvalidGraph,
        "{}: exactly one of imputed_value_floats and imputed_value_int64s must be set",
        node.describe()
    );
    Ok(Box::new(Imputer {
        floats,
        ints,
        replaced_float: node.float_or("replaced_value_float", 0.0)?,
        replaced_int: node.int_or("replaced_value_int64", 0)?,
    }))
}

/// Replaces each element that `is_missing` with the imputed value of its column.
fn impute<T: Copy>(data: &[T], c: usize, imputed: &[T], is_missing: impl Fn(T) -> bool) -> Vec<T> {
    data.iter()
        .enumerate()
        .map(|(i, &v)| if is_missing(v) { imputed[if imputed.len() == 1 || c == 0 { 0 } else { i % c }] } else { v })
        .collect()
}

impl Kernel for Imputer {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        let c = features(x);
        let shape = x.shape().to_vec();
        let float_input = matches!(x.dtype(), DataType::Float | DataType::Double);
        let n_vals = if float_input { self.floats.len() } else { self.ints.len() };
        ensure!(
            n_vals > 0,
            InvalidArgument,
            "{what}: a {} input needs imputed_value_{}",
            x.dtype(),
            if float_input { "floats" } else { "int64s" }
        );
        ensure!(n_vals == 1 || n_vals == c, InvalidArgument, "{what}: {n_vals} imputed values; they must be 1 or {c} (the feature count)");
        let rf = self.replaced_float;
        let out = match x.dtype() {
            DataType::Float => {
                let miss = |v: f32| if rf.is_nan() { v.is_nan() } else { v == rf };
                Tensor::from_vec(shape, impute(x.data::<f32>()?, c, &self.floats, miss))?
            }
            DataType::Double => {
                let vals: Vec<f64> = self.floats.iter().map(|&v| v as f64).collect();
                let miss = |v: f64| if rf.is_nan() { v.is_nan() } else { v == rf as f64 };
                Tensor::from_vec(shape, impute(x.data::<f64>()?, c, &vals, miss))?
            }
            DataType::Int64 => Tensor::from_vec(shape, impute(x.data::<i64>()?, c, &self.ints, |v| v == self.replaced_int))?,
            DataType::Int32 => {
                let vals: Vec<i32> = self.ints.iter().map(|&v| v as i32).collect();
                Tensor::from_vec(shape, impute(x.data::<i32>()?, c, &vals, |v| v as i64 == self.replaced_int))?
            }
            d => bail!(InvalidArgument, "{what}: input must be float, double, int64 or int32, got {d}"),
        };
        ctx.set_output(0, out)
    }
}
