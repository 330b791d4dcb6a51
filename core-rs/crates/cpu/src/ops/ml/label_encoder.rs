//! LabelEncoder: maps each input value through a key → value table, with a default for
//! unknown keys.
//! - v1: `classes_strings`; strings map to their index, int64 indices to their string.
//! - v2: one `keys_*` and one `values_*` list (strings, int64s or floats).
//! - v4: also `keys_tensor` / `values_tensor` / `default_tensor` (adding int32, int16 and
//!   double), and NaN keys match NaN inputs.

use crate::util::elems::Elem;
use crate::with_elem;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use std::collections::HashMap;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("ai.onnx.ml", "LabelEncoder", 1, label_encoder_v1).until(1));
    r.register(KernelDef::new("ai.onnx.ml", "LabelEncoder", 2, label_encoder));
}

// ---- v1 ---------------------------------------------------------------------------------

struct LabelEncoderV1 {
    classes: Vec<String>,
    index: HashMap<String, i64>,
    default_int: i64,
    default_string: String,
}

fn label_encoder_v1(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let classes = node.get_strings("classes_strings")?.unwrap_or_default();
    let mut index = HashMap::new();
    for (i, c) in classes.iter().enumerate() {
        index.entry(c.clone()).or_insert(i as i64);
    }
    Ok(Box::new(LabelEncoderV1 {
        classes,
        index,
        default_int: node.int_or("default_int64", -1)?,
        default_string: node.string_or("default_string", "_Unused")?,
    }))
}

impl Kernel for LabelEncoderV1 {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let x = ctx.input(0)?;
        let shape = x.shape().to_vec();
        let out = match x.dtype() {
            DataType::String => Tensor::from_vec(shape, x.strings()?.iter().map(|s| *self.index.get(s).unwrap_or(&self.default_int)).collect())?,
            DataType::Int64 => Tensor::from_strings(
                shape,
                x.data::<i64>()?
                    .iter()
                    .map(|&i| usize::try_from(i).ok().and_then(|i| self.classes.get(i)).unwrap_or(&self.default_string).clone())
                    .collect(),
            )?,
            d => bail!(InvalidArgument, "{}: input must be string or int64, got {d}", ctx.node.describe()),
        };
        ctx.set_output(0, out)
    }
}

// ---- v2 / v4 ----------------------------------------------------------------------------

enum Keys {
    Strings(HashMap<String, usize>),
    Ints(HashMap<i64, usize>),
    /// Float keys by the bits of their f64 value (0.0 and -0.0 as one; NaN as one key).
    Floats(HashMap<u64, usize>),
}

/// A float key's hash form; `None` for NaN when NaN matches nothing.
fn float_key(v: f64, nan_matches: bool) -> Option<u64> {
    if v.is_nan() {
        nan_matches.then_some(f64::NAN.to_bits())
    } else if v == 0.0 {
        Some(0)
    } else {
        Some(v.to_bits())
    }
}

struct LabelEncoder {
    keys: Keys,
    /// The values, 1-D, in key order; `default` is one element of the same dtype.
    values: Tensor,
    default: Tensor,
    nan_matches: bool,
}

/// Keys of any type read from a list attribute or a tensor attribute.
/// A repeated key keeps its first value, as with ONNX Runtime.
fn read_keys(node: &NodeInfo, nan_matches: bool) -> Result<(Keys, usize)> {
    let mut found: Vec<(Keys, usize)> = Vec::new();
    if let Some(v) = node.get_strings("keys_strings")? {
        let mut m = HashMap::new();
        v.iter().enumerate().for_each(|(i, k)| {
            m.entry(k.clone()).or_insert(i);
        });
        found.push((Keys::Strings(m), v.len()));
    }
    if let Some(v) = node.get_ints("keys_int64s")? {
        let mut m = HashMap::new();
        v.iter().enumerate().for_each(|(i, &k)| {
            m.entry(k).or_insert(i);
        });
        found.push((Keys::Ints(m), v.len()));
    }
    if let Some(v) = node.get_floats("keys_floats")? {
        found.push((float_keys(v.iter().map(|&f| f as f64), nan_matches), v.len()));
    }
    if let Some(t) = node.get_tensor("keys_tensor")? {
        let keys = match t.dtype() {
            DataType::String => {
                let mut m = HashMap::new();
                t.strings()?.iter().enumerate().for_each(|(i, k)| {
                    m.entry(k.clone()).or_insert(i);
                });
                Keys::Strings(m)
            }
            DataType::Int64 | DataType::Int32 | DataType::Int16 => {
                let mut m = HashMap::new();
                t.to_i64_vec()?.into_iter().enumerate().for_each(|(i, k)| {
                    m.entry(k).or_insert(i);
                });
                Keys::Ints(m)
            }
            DataType::Float | DataType::Double => float_keys(t.to_f64_vec()?.into_iter(), nan_matches),
            d => bail!(InvalidGraph, "{}: keys_tensor of type {d} is not supported", node.describe()),
        };
        found.push((keys, t.len()));
    }
    match found.len() {
        1 => Ok(found.pop().expect("one entry")),
        0 => bail!(InvalidGraph, "{}: one of keys_strings, keys_int64s, keys_floats, keys_tensor must be set", node.describe()),
        _ => bail!(InvalidGraph, "{}: only one keys attribute may be set", node.describe()),
    }
}

fn float_keys(v: impl Iterator<Item = f64>, nan_matches: bool) -> Keys {
    let mut m = HashMap::new();
    for (i, k) in v.enumerate() {
        if let Some(b) = float_key(k, nan_matches) {
            m.entry(b).or_insert(i);
        }
    }
    Keys::Floats(m)
}

fn read_values(node: &NodeInfo) -> Result<Tensor> {
    let mut found: Vec<Tensor> = Vec::new();
    if let Some(v) = node.get_strings("values_strings")? {
        found.push(Tensor::from_strings(vec![v.len()], v)?);
    }
    if let Some(v) = node.get_ints("values_int64s")? {
        found.push(Tensor::from_vec(vec![v.len()], v)?);
    }
    if let Some(v) = node.get_floats("values_floats")? {
        found.push(Tensor::from_vec(vec![v.len()], v)?);
    }
    if let Some(t) = node.get_tensor("values_tensor")? {
        ensure!(
            matches!(t.dtype(), DataType::String | DataType::Int64 | DataType::Int32 | DataType::Int16 | DataType::Float | DataType::Double),
            InvalidGraph,
            "{}: values_tensor of type {} is not supported",
            node.describe(),
            t.dtype()
        );
        found.push(t.reshaped(vec![t.len()])?);
    }
    match found.len() {
        1 => Ok(found.pop().expect("one entry")),
        0 => bail!(InvalidGraph, "{}: one of values_strings, values_int64s, values_floats, values_tensor must be set", node.describe()),
        _ => bail!(InvalidGraph, "{}: only one values attribute may be set", node.describe()),
    }
}

/// The default for unknown keys: `default_tensor`, else the `default_*` attribute of the
/// value type (-1, -0.0, "_Unused" when unset).
fn read_default(node: &NodeInfo, dtype: DataType) -> Result<Tensor> {
    if let Some(t) = node.get_tensor("default_tensor")? {
        ensure!(
            t.dtype() == dtype && t.len() == 1,
            InvalidGraph,
            "{}: default_tensor must be one {dtype} value, got {} of {}",
            node.describe(),
            t.len(),
            t.dtype()
        );
        return t.reshaped(vec![1]);
    }
    let f = node.float_or("default_float", -0.0)?;
    let i = node.int_or("default_int64", -1)?;
    Ok(match dtype {
        DataType::String => Tensor::from_strings(vec![1], vec![node.string_or("default_string", "_Unused")?])?,
        DataType::Int64 => Tensor::from_vec(vec![1], vec![i])?,
        DataType::Int32 => Tensor::from_vec(vec![1], vec![i as i32])?,
        DataType::Int16 => Tensor::from_vec(vec![1], vec![i as i16])?,
        DataType::Float => Tensor::from_vec(vec![1], vec![f])?,
        DataType::Double => Tensor::from_vec(vec![1], vec![f as f64])?,
        d => bail!(InvalidGraph, "{}: values of type {d} are not supported", node.describe()),
    })
}

fn label_encoder(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let nan_matches = node.opset >= 4;
    let (keys, n_keys) = read_keys(node, nan_matches)?;
    let values = read_values(node)?;
    ensure!(
        values.len() == n_keys,
        InvalidGraph,
        "{}: {n_keys} keys but {} values",
        node.describe(),
        values.len()
    );
    let default = read_default(node, values.dtype())?;
    Ok(Box::new(LabelEncoder { keys, values, default, nan_matches }))
}

impl Kernel for LabelEncoder {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        let idx: Vec<Option<usize>> = match (&self.keys, x.dtype()) {
            (Keys::Strings(m), DataType::String) => x.strings()?.iter().map(|s| m.get(s).copied()).collect(),
            (Keys::Ints(m), DataType::Int64 | DataType::Int32 | DataType::Int16) => {
                x.to_i64_vec()?.iter().map(|k| m.get(k).copied()).collect()
            }
            (Keys::Floats(m), DataType::Float | DataType::Double) => {
                x.to_f64_vec()?.into_iter().map(|v| float_key(v, self.nan_matches).and_then(|b| m.get(&b).copied())).collect()
            }
            (_, d) => bail!(InvalidArgument, "{what}: input of type {d} does not match the type of the keys"),
        };
        let out = with_elem!(self.values.dtype(), T => {
            let vals = T::view(&self.values)?;
            let dflt = T::view(&self.default)?;
            let v: Vec<T> = idx.iter().map(|i| match i {
                Some(i) => vals[*i].clone(),
                None => dflt[0].clone(),
            }).collect();
            T::build(self.values.dtype(), x.shape().to_vec(), v)
        })?;
        ctx.set_output(0, out)
    }
}
