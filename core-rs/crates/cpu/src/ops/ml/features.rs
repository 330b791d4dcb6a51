//! ArrayFeatureExtractor (pick columns of the last axis) and FeatureVectorizer (concatenate
//! per-row features of several inputs, each cut or zero-padded to a declared width).

use super::common::to_f32;
use crate::util::elems::Elem;
use crate::with_elem;
use onnxrun_core::{bail, ensure, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("ai.onnx.ml", "ArrayFeatureExtractor", 1, |_| Ok(Box::new(FnKernel(array_feature_extractor)))));
    r.register(KernelDef::new("ai.onnx.ml", "FeatureVectorizer", 1, feature_vectorizer));
}

/// Z[..., j] = X[..., Y[j]] over the last axis; a 1-D X counts as one row. Y may have any
/// shape: its elements, in order, are the columns.
fn array_feature_extractor(ctx: &mut OpContext<'_>) -> Result<()> {
    let what = ctx.node.describe();
    let x = ctx.input(0)?;
    let y = ctx.input(1)?;
    let idx = y.to_i64_vec()?;
    ensure!(!idx.is_empty(), InvalidArgument, "{what}: the index input Y is empty");
    let (rows, c) = match x.shape() {
        [] => bail!(InvalidArgument, "{what}: input X must have at least one dimension"),
        s => (s[..s.len() - 1].iter().product::<usize>(), s[s.len() - 1]),
    };
    let cols = idx
        .iter()
        .enumerate()
        .map(|(j, &i)| {
            ensure!((0..c as i64).contains(&i), InvalidArgument, "{what}: index Y[{j}] = {i} is out of range [0, {c})");
            Ok(i as usize)
        })
        .collect::<Result<Vec<usize>>>()?;
    let mut shape = if x.rank() == 1 { vec![1] } else { x.shape()[..x.rank() - 1].to_vec() };
    shape.push(cols.len());
    let out = with_elem!(x.dtype(), T => {
        let src = T::view(x)?;
        let mut v: Vec<T> = Vec::with_capacity(rows * cols.len());
        for r in 0..rows {
            let row = &src[r * c..(r + 1) * c];
            v.extend(cols.iter().map(|&i| row[i].clone()));
        }
        T::build(x.dtype(), shape, v)
    })?;
    ctx.set_output(0, out)
}

struct FeatureVectorizer {
    dims: Vec<usize>,
}

fn feature_vectorizer(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let dims = node.get_ints("inputdimensions")?.unwrap_or_default();
    ensure!(!dims.is_empty(), InvalidGraph, "{}: attribute 'inputdimensions' is required", node.describe());
    ensure!(
        dims.len() == node.inputs.len(),
        InvalidGraph,
        "{}: inputdimensions has {} entries for {} inputs",
        node.describe(),
        dims.len(),
        node.inputs.len()
    );
    let dims = dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| onnxrun_core::err!(InvalidGraph, "{}: negative input dimension {d}", node.describe())))
        .collect::<Result<_>>()?;
    Ok(Box::new(FeatureVectorizer { dims }))
}

impl Kernel for FeatureVectorizer {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let total: usize = self.dims.iter().sum();
        let mut batch = None;
        let mut inputs = Vec::with_capacity(self.dims.len());
        for i in 0..ctx.num_inputs() {
            let x = ctx.input(i)?;
            // Rows are the first axis (a 1-D input is one row); a row is everything after it.
            let n = match x.shape() {
                [] => bail!(InvalidArgument, "{what}: input {i} must have at least one dimension"),
                [_] => 1,
                s => s[0],
            };
            match batch {
                None => batch = Some(n),
                Some(b) => ensure!(b == n, InvalidArgument, "{what}: input {i} has {n} rows, input 0 has {b}"),
            }
            inputs.push((to_f32(x, &what)?, x.len().checked_div(n).unwrap_or(0)));
        }
        let n = batch.unwrap_or(0);
        let mut out = vec![0f32; n * total];
        let mut at = 0;
        for ((data, width), &d) in inputs.iter().zip(&self.dims) {
            let take = (*width).min(d);
            for r in 0..n {
                out[r * total + at..r * total + at + take].copy_from_slice(&data[r * width..r * width + take]);
            }
            at += d;
        }
        ctx.set_output(0, Tensor::from_vec(vec![n, total], out)?)
    }
}
