//! What the ML ops share: score post-transforms computed as ONNX Runtime computes them,
//! numeric inputs read as f32, and class-label lists.

use onnxrun_core::{bail, ensure, DataType, NodeInfo, Result, Tensor};
use std::borrow::Cow;

/// The `post_transform` attribute of the linear, SVM and tree models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostTransform {
    None,
    Logistic,
    Softmax,
    SoftmaxZero,
    Probit,
}

impl PostTransform {
    pub fn from_node(node: &NodeInfo) -> Result<PostTransform> {
        let s = node.string_or("post_transform", "NONE")?;
        Self::parse(&s).ok_or_else(|| {
            onnxrun_core::err!(
                InvalidGraph,
                "{}: post_transform '{s}' is not one of NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO, PROBIT",
                node.describe()
            )
        })
    }

    pub fn parse(s: &str) -> Option<PostTransform> {
        Some(match s {
            "NONE" | "" => PostTransform::None,
            "LOGISTIC" => PostTransform::Logistic,
            "SOFTMAX" => PostTransform::Softmax,
            "SOFTMAX_ZERO" => PostTransform::SoftmaxZero,
            "PROBIT" => PostTransform::Probit,
            _ => return None,
        })
    }

    /// Applies the transform to `scores`, rows of `width` values, in place. Rows of one
    /// value get only PROBIT: ONNX Runtime leaves a lone score untouched otherwise.
    pub fn apply_rows(self, scores: &mut [f32], width: usize) {
        if width == 0 {
            return;
        }
        match self {
            PostTransform::None => {}
            PostTransform::Probit => scores.iter_mut().for_each(|s| *s = probit(*s)),
            _ if width == 1 => {}
            PostTransform::Logistic => scores.iter_mut().for_each(|s| *s = logistic(*s)),
            PostTransform::Softmax => scores.chunks_exact_mut(width).for_each(softmax),
            PostTransform::SoftmaxZero => scores.chunks_exact_mut(width).for_each(softmax_zero),
        }
    }
}

/// 1 / (1 + e^-x), computed on |x| so it never overflows.
pub fn logistic(x: f32) -> f32 {
    let v = 1.0 / (1.0 + (-x.abs()).exp());
    if x < 0.0 {
        1.0 - v
    } else {
        v
    }
}

/// The normal quantile sqrt(2) * erfinv(2p - 1), with erfinv by Winitzki's closed-form
/// approximation (a = 0.147), which is what ONNX Runtime uses.
pub fn probit(p: f32) -> f32 {
    std::f32::consts::SQRT_2 * erf_inv(2.0 * p - 1.0)
}

fn erf_inv(x: f32) -> f32 {
    const A: f32 = 0.147;
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let ln = ((1.0 - x) * (1.0 + x)).ln();
    let t = 2.0 / (std::f32::consts::PI * A) + 0.5 * ln;
    sign * (-t + (t * t - ln / A).sqrt()).sqrt()
}

pub fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    row.iter_mut().for_each(|v| *v /= sum);
}

/// Softmax that keeps (near-)zero scores at zero: they stand for "no vote".
pub fn softmax_zero(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::MIN, f32::max);
    let exp_neg_max = (-max).exp();
    let mut sum = 0.0;
    for v in row.iter_mut() {
        if v.abs() > 1e-7 {
            *v = (*v - max).exp();
            sum += *v;
        } else {
            *v *= exp_neg_max;
        }
    }
    row.iter_mut().for_each(|v| *v /= sum);
}

/// The numeric input types the ML models accept (float, double, int64, int32), as f32.
pub fn to_f32<'a>(t: &'a Tensor, what: &str) -> Result<Cow<'a, [f32]>> {
    Ok(match t.dtype() {
        DataType::Float => Cow::Borrowed(t.data::<f32>()?),
        DataType::Double => Cow::Owned(t.data::<f64>()?.iter().map(|&v| v as f32).collect()),
        DataType::Int64 => Cow::Owned(t.data::<i64>()?.iter().map(|&v| v as f32).collect()),
        DataType::Int32 => Cow::Owned(t.data::<i32>()?.iter().map(|&v| v as f32).collect()),
        d => bail!(InvalidArgument, "{what}: input must be float, double, int64 or int32, got {d}"),
    })
}

/// (rows, columns) of a model input that is one sample (1-D) or a batch (2-D).
pub fn batch_dims(t: &Tensor, what: &str) -> Result<(usize, usize)> {
    match t.shape() {
        [c] => Ok((1, *c)),
        [n, c] => Ok((*n, *c)),
        s => bail!(InvalidArgument, "{what}: input must be 1-D or 2-D, got shape {s:?}"),
    }
}

/// Class labels of a classifier: `classlabels_ints` / `classlabels_int64s` or
/// `classlabels_strings`.
#[derive(Clone, Debug)]
pub enum Labels {
    Ints(Vec<i64>),
    Strings(Vec<String>),
}

impl Labels {
    /// Reads the labels from `ints_attr` or `classlabels_strings` (at most one may be set);
    /// none at all gives an empty int list.
    pub fn from_node(node: &NodeInfo, ints_attr: &str) -> Result<Labels> {
        let ints = node.get_ints(ints_attr)?.unwrap_or_default();
        let strings = node.get_strings("classlabels_strings")?.unwrap_or_default();
        ensure!(
            ints.is_empty() || strings.is_empty(),
            InvalidGraph,
            "{}: only one of {ints_attr} and classlabels_strings may be set",
            node.describe()
        );
        Ok(if strings.is_empty() { Labels::Ints(ints) } else { Labels::Strings(strings) })
    }

    pub fn len(&self) -> usize {
        match self {
            Labels::Ints(v) => v.len(),
            Labels::Strings(v) => v.len(),
        }
    }

    /// A 1-D label tensor from class indices.
    pub fn pick(&self, idx: &[usize]) -> Result<Tensor> {
        let missing = |i: usize| onnxrun_core::err!(InvalidArgument, "class index {i} has no label ({} labels)", self.len());
        match self {
            Labels::Ints(v) => {
                let out = idx.iter().map(|&i| v.get(i).copied().ok_or_else(|| missing(i))).collect::<Result<_>>()?;
                Tensor::from_vec(vec![idx.len()], out)
            }
            Labels::Strings(v) => {
                let out = idx.iter().map(|&i| v.get(i).cloned().ok_or_else(|| missing(i))).collect::<Result<_>>()?;
                Tensor::from_strings(vec![idx.len()], out)
            }
        }
    }
}

/// Index of the first largest value (ties go to the lowest index, as std::max_element).
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate().skip(1) {
        if v > row[best] {
            best = i;
        }
    }
    best
}
