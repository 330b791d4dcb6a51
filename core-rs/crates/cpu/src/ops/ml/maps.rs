//! Ops that read maps: CastMap (an int64-keyed map to a tensor, dense in key order or
//! sparse by key) and DictVectorizer (a map to a row over a fixed vocabulary).

use crate::util::elems::Elem;
use crate::with_elem;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, MapValue, NodeInfo, OpContext, Result, Tensor, Value};
use std::collections::HashMap;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("ai.onnx.ml", "CastMap", 1, cast_map));
    r.register(KernelDef::new("ai.onnx.ml", "DictVectorizer", 1, dict_vectorizer));
}

fn map_input<'a>(ctx: &OpContext<'a>) -> Result<&'a MapValue> {
    match ctx.value(0) {
        Some(Value::Map(m)) => Ok(m),
        Some(v) => bail!(InvalidArgument, "{}: input must be a map, got {}", ctx.node.describe(), v.type_info().type_string()),
        None => bail!(InvalidArgument, "{}: input is missing", ctx.node.describe()),
    }
}

fn map_values<'a>(ctx: &OpContext<'_>, m: &'a MapValue) -> Result<&'a Tensor> {
    match m.values.as_ref() {
        Value::Tensor(t) if t.len() == m.keys.len() => Ok(t),
        Value::Tensor(t) => bail!(InvalidArgument, "{}: map has {} keys but {} values", ctx.node.describe(), m.keys.len(), t.len()),
        v => bail!(InvalidArgument, "{}: map values must be a tensor, got {}", ctx.node.describe(), v.type_info().type_string()),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum CastTo {
    Float,
    String,
    Int64,
}

struct CastMap {
    to: CastTo,
    sparse: bool,
    max_map: usize,
}

fn cast_map(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let to = match node.string_or("cast_to", "TO_FLOAT")?.as_str() {
        "TO_FLOAT" => CastTo::Float,
        "TO_STRING" => CastTo::String,
        "TO_INT64" => CastTo::Int64,
        s => bail!(InvalidGraph, "{}: cast_to '{s}' is not one of TO_FLOAT, TO_STRING, TO_INT64", node.describe()),
    };
    let sparse = match node.string_or("map_form", "DENSE")?.as_str() {
        "DENSE" => false,
        "SPARSE" => true,
        s => bail!(InvalidGraph, "{}: map_form '{s}' is not DENSE or SPARSE", node.describe()),
    };
    let max_map = node.int_or("max_map", 1)?;
    ensure!(max_map >= 0, InvalidGraph, "{}: max_map must not be negative, got {max_map}", node.describe());
    Ok(Box::new(CastMap { to, sparse, max_map: max_map as usize }))
}

/// A map value on its way to the output type.
#[derive(Clone)]
enum Cell {
    F(f32),
    S(String),
}

/// The longest leading part of `s` that parses as `T` (C's strtof/strtoll accept a
/// numeric prefix and ignore the rest).
fn parse_prefix<T: std::str::FromStr>(s: &str) -> Option<T> {
    let s = s.trim_start();
    (1..=s.len()).rev().filter(|&n| s.is_char_boundary(n)).find_map(|n| s[..n].parse().ok())
}

impl CastMap {
    fn float(&self, c: &Cell, what: &str) -> Result<f32> {
        match c {
            Cell::F(v) => Ok(*v),
            Cell::S(s) => parse_prefix(s).ok_or_else(|| onnxrun_core::err!(InvalidArgument, "{what}: map value '{s}' is not a number")),
        }
    }
    fn int(&self, c: &Cell, what: &str) -> Result<i64> {
        match c {
            Cell::F(v) => Ok(*v as i64),
            Cell::S(s) => parse_prefix(s).ok_or_else(|| onnxrun_core::err!(InvalidArgument, "{what}: map value '{s}' is not an integer")),
        }
    }
    fn string(&self, c: &Cell) -> String {
        match c {
            // C's "%f", which is what ONNX Runtime prints.
            Cell::F(v) if v.is_nan() => "nan".into(),
            Cell::F(v) if v.is_infinite() => if *v > 0.0 { "inf".into() } else { "-inf".into() },
            Cell::F(v) => format!("{v:.6}"),
            Cell::S(s) => s.clone(),
        }
    }
}

impl Kernel for CastMap {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let m = map_input(ctx)?;
        ensure!(m.keys.dtype() == DataType::Int64, InvalidArgument, "{what}: map keys must be int64, got {}", m.keys.dtype());
        let vals = map_values(ctx, m)?;
        let cells: Vec<Cell> = match vals.dtype() {
            DataType::Float => vals.data::<f32>()?.iter().map(|&v| Cell::F(v)).collect(),
            DataType::String => vals.strings()?.iter().cloned().map(Cell::S).collect(),
            d => bail!(InvalidArgument, "{what}: map values must be float or string, got {d}"),
        };
        // Maps are ordered by key.
        let mut entries: Vec<(i64, Cell)> = m.keys.data::<i64>()?.iter().copied().zip(cells).collect();
        entries.sort_by_key(|e| e.0);
        let slots: Vec<Option<&Cell>> = if self.sparse {
            if let Some((k, _)) = entries.first().filter(|e| e.0 < 0) {
                bail!(InvalidArgument, "{what}: sparse form needs non-negative keys, got {k}");
            }
            let mut s = vec![None; self.max_map];
            for (k, c) in &entries {
                // Keys past max_map are dropped.
                if let Some(slot) = s.get_mut(*k as usize) {
                    *slot = Some(c);
                }
            }
            s
        } else {
            entries.iter().map(|(_, c)| Some(c)).collect()
        };
        let shape = vec![1, slots.len()];
        let out = match self.to {
            CastTo::Float => Tensor::from_vec(shape, slots.iter().map(|c| c.map_or(Ok(0.0), |c| self.float(c, &what))).collect::<Result<_>>()?)?,
            CastTo::Int64 => Tensor::from_vec(shape, slots.iter().map(|c| c.map_or(Ok(0), |c| self.int(c, &what))).collect::<Result<_>>()?)?,
            // An absent sparse entry reads "0.f", exactly as ONNX Runtime writes it.
            CastTo::String => Tensor::from_strings(shape, slots.iter().map(|c| c.map_or_else(|| "0.f".to_string(), |c| self.string(c))).collect())?,
        };
        ctx.set_output(0, out)
    }
}

enum Vocab {
    Strings(HashMap<String, Vec<usize>>),
    Ints(HashMap<i64, Vec<usize>>),
}

struct DictVectorizer {
    vocab: Vocab,
    n: usize,
}

fn dict_vectorizer(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let strings = node.get_strings("string_vocabulary")?.unwrap_or_default();
    let ints = node.get_ints("int64_vocabulary")?.unwrap_or_default();
    ensure!(
        strings.is_empty() != ints.is_empty(),
        InvalidGraph,
        "{}: exactly one of string_vocabulary and int64_vocabulary must be set",
        node.describe()
    );
    let n = strings.len().max(ints.len());
    // A word listed twice fills both of its columns.
    let vocab = if ints.is_empty() {
        let mut m: HashMap<String, Vec<usize>> = HashMap::new();
        strings.into_iter().enumerate().for_each(|(i, s)| m.entry(s).or_default().push(i));
        Vocab::Strings(m)
    } else {
        let mut m: HashMap<i64, Vec<usize>> = HashMap::new();
        ints.into_iter().enumerate().for_each(|(i, s)| m.entry(s).or_default().push(i));
        Vocab::Ints(m)
    };
    Ok(Box::new(DictVectorizer { vocab, n }))
}

impl Kernel for DictVectorizer {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let m = map_input(ctx)?;
        let vals = map_values(ctx, m)?;
        let none: &[usize] = &[];
        // For each map entry, the output columns it fills.
        let cols: Vec<&[usize]> = match (&self.vocab, m.keys.dtype()) {
            (Vocab::Strings(v), DataType::String) => m.keys.strings()?.iter().map(|k| v.get(k).map_or(none, |c| c.as_slice())).collect(),
            (Vocab::Ints(v), DataType::Int64) => m.keys.data::<i64>()?.iter().map(|k| v.get(k).map_or(none, |c| c.as_slice())).collect(),
            (_, d) => bail!(InvalidArgument, "{what}: map keys of type {d} do not match the vocabulary"),
        };
        let out = with_elem!(vals.dtype(), T => {
            let src = T::view(vals)?;
            let mut row = vec![T::default(); self.n];
            for (v, cs) in src.iter().zip(&cols) {
                for &c in cs.iter() {
                    row[c] = v.clone();
                }
            }
            T::build(vals.dtype(), vec![1, self.n], row)
        })?;
        ctx.set_output(0, out)
    }
}
