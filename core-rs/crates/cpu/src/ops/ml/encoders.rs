//! CategoryMapper (string ↔ int64 by two parallel lists) and OneHotEncoder (one column per
//! category, appended as a last axis).

use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use std::collections::HashMap;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("ai.onnx.ml", "CategoryMapper", 1, category_mapper));
    r.register(KernelDef::new("ai.onnx.ml", "OneHotEncoder", 1, one_hot_encoder));
}

struct CategoryMapper {
    to_int: HashMap<String, i64>,
    to_string: HashMap<i64, String>,
    default_int: i64,
    default_string: String,
}

fn category_mapper(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let strings = node.get_strings("cats_strings")?.unwrap_or_default();
    let ints = node.get_ints("cats_int64s")?.unwrap_or_default();
    ensure!(
        strings.len() == ints.len(),
        InvalidGraph,
        "{}: cats_strings ({}) and cats_int64s ({}) must have the same length",
        node.describe(),
        strings.len(),
        ints.len()
    );
    // A repeated category maps to its last partner, as with ONNX Runtime.
    let to_int = strings.iter().cloned().zip(ints.iter().copied()).collect();
    let to_string = ints.iter().copied().zip(strings.iter().cloned()).collect();
    Ok(Box::new(CategoryMapper {
        to_int,
        to_string,
        default_int: node.int_or("default_int64", -1)?,
        default_string: node.string_or("default_string", "_Unused")?,
    }))
}

impl Kernel for CategoryMapper {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let x = ctx.input(0)?;
        let shape = x.shape().to_vec();
        let out = match x.dtype() {
            DataType::String => {
                Tensor::from_vec(shape, x.strings()?.iter().map(|s| *self.to_int.get(s).unwrap_or(&self.default_int)).collect())?
            }
            DataType::Int64 => Tensor::from_strings(
                shape,
                x.data::<i64>()?.iter().map(|v| self.to_string.get(v).unwrap_or(&self.default_string).clone()).collect(),
            )?,
            d => bail!(InvalidArgument, "{}: input must be string or int64, got {d}", ctx.node.describe()),
        };
        ctx.set_output(0, out)
    }
}

enum Cats {
    Ints(HashMap<i64, usize>),
    Strings(HashMap<String, usize>),
}

struct OneHotEncoder {
    cats: Cats,
    n: usize,
    zeros: bool,
}

fn one_hot_encoder(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let ints = node.get_ints("cats_int64s")?.unwrap_or_default();
    let strings = node.get_strings("cats_strings")?.unwrap_or_default();
    ensure!(
        ints.is_empty() != strings.is_empty(),
        InvalidGraph,
        "{}: exactly one of cats_int64s and cats_strings must be set",
        node.describe()
    );
    let n = ints.len().max(strings.len());
    // First occurrence wins for a repeated category.
    let cats = if strings.is_empty() {
        let mut m = HashMap::new();
        for (i, v) in ints.into_iter().enumerate() {
            m.entry(v).or_insert(i);
        }
        Cats::Ints(m)
    } else {
        let mut m = HashMap::new();
        for (i, v) in strings.into_iter().enumerate() {
            m.entry(v).or_insert(i);
        }
        Cats::Strings(m)
    };
    Ok(Box::new(OneHotEncoder { cats, n, zeros: node.int_or("zeros", 1)? != 0 }))
}

impl Kernel for OneHotEncoder {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        // Category index of each element (None = unknown); numbers are truncated to int64.
        let idx: Vec<Option<usize>> = match (&self.cats, x.dtype()) {
            (Cats::Strings(m), DataType::String) => x.strings()?.iter().map(|s| m.get(s).copied()).collect(),
            (Cats::Ints(m), DataType::Int64) => x.data::<i64>()?.iter().map(|v| m.get(v).copied()).collect(),
            (Cats::Ints(m), DataType::Int32) => x.data::<i32>()?.iter().map(|&v| m.get(&(v as i64)).copied()).collect(),
            (Cats::Ints(m), DataType::Float) => x.data::<f32>()?.iter().map(|&v| m.get(&(v as i64)).copied()).collect(),
            (Cats::Ints(m), DataType::Double) => x.data::<f64>()?.iter().map(|&v| m.get(&(v as i64)).copied()).collect(),
            (Cats::Strings(_), d) => bail!(InvalidArgument, "{what}: categories are strings, so the input must be too, got {d}"),
            (Cats::Ints(_), d) => bail!(InvalidArgument, "{what}: categories are int64, the input must be numeric, got {d}"),
        };
        if !self.zeros {
            if let Some(i) = idx.iter().position(|c| c.is_none()) {
                bail!(InvalidArgument, "{what}: input element {i} is not a known category and zeros = 0");
            }
        }
        let mut shape = x.shape().to_vec();
        shape.push(self.n);
        let mut out = Tensor::zeros(DataType::Float, shape)?;
        let o = out.data_mut::<f32>()?;
        for (i, c) in idx.iter().enumerate() {
            if let Some(c) = c {
                o[i * self.n + c] = 1.0;
            }
        }
        ctx.set_output(0, out)
    }
}
