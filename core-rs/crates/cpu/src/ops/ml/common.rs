//! What the ML ops share: score post-transforms computed as ONNX Runtime computes them,
//! numeric inputs read as f32, and class-label lists.

use crate::util::real::Acc;
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
    pub fn apply_rows<A: Acc>(self, scores: &mut [A], width: usize) {
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

    /// The two scores of a binary model that computed one: `[1 - p, p]` where `p` is the
    /// score (after LOGISTIC or PROBIT), or, for `mirrored` models (weights of both signs),
    /// `[-s, s]` (`[σ(-s), σ(s)]` under LOGISTIC). ONNX Runtime leaves the second column
    /// unwritten under PROBIT; we complete it as for LOGISTIC.
    pub fn binary_pair<A: Acc>(self, s: A, mirrored: bool) -> [A; 2] {
        match (self, mirrored) {
            (PostTransform::Logistic, true) => [logistic(-s), logistic(s)],
            (PostTransform::Probit, true) => {
                let p = probit(s);
                [-p, p]
            }
            (_, true) => [-s, s],
            (PostTransform::Logistic, false) => {
                let p = logistic(s);
                [A::ONE - p, p]
            }
            (PostTransform::Probit, false) => {
                let p = probit(s);
                [A::ONE - p, p]
            }
            (_, false) => [A::ONE - s, s],
        }
    }
}

/// 1 / (1 + e^-x), computed on |x| so it never overflows.
pub fn logistic<A: Acc>(x: A) -> A {
    let v = A::ONE / (A::ONE + (-x.abs()).exp());
    if x < A::ZERO {
        A::ONE - v
    } else {
        v
    }
}

/// The normal quantile sqrt(2) * erfinv(2p - 1), with erfinv by Winitzki's closed-form
/// approximation (a = 0.147), which is what ONNX Runtime uses.
pub fn probit<A: Acc>(p: A) -> A {
    A::from_f64(std::f64::consts::SQRT_2) * erf_inv(A::from_f64(2.0) * p - A::ONE)
}

fn erf_inv<A: Acc>(x: A) -> A {
    let a = A::from_f64(0.147);
    let sign = if x < A::ZERO { -A::ONE } else { A::ONE };
    let ln = ((A::ONE - x) * (A::ONE + x)).ln();
    let t = A::from_f64(2.0) / (A::from_f64(std::f64::consts::PI) * a) + A::from_f64(0.5) * ln;
    sign * (-t + (t * t - ln / a).sqrt()).sqrt()
}

pub fn softmax<A: Acc>(row: &mut [A]) {
    let max = row.iter().copied().fold(A::NEG_INFINITY, A::max);
    let mut sum = A::ZERO;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    row.iter_mut().for_each(|v| *v = *v / sum);
}

/// Softmax that keeps (near-)zero scores at zero: they stand for "no vote".
pub fn softmax_zero<A: Acc>(row: &mut [A]) {
    let max = row.iter().copied().fold(A::NEG_INFINITY, A::max);
    let exp_neg_max = (-max).exp();
    let eps = A::from_f64(1e-7);
    let mut sum = A::ZERO;
    for v in row.iter_mut() {
        if v.abs() > eps {
            *v = (*v - max).exp();
            sum += *v;
        } else {
            *v *= exp_neg_max;
        }
    }
    row.iter_mut().for_each(|v| *v = *v / sum);
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

/// Runs `block(rows, scores, labels)` over contiguous row ranges covering `0..n` (in
/// parallel on `pool`); each call fills its rows' `width` scores and label indices.
/// Gives all labels and all scores.
pub fn rows_with_labels<A, F>(pool: Option<&onnxrun_linalg::ThreadPool>, n: usize, width: usize, block: F) -> Result<(Vec<usize>, Vec<A>)>
where
    A: Copy + Default + Send,
    F: Fn(std::ops::Range<usize>, &mut [A], &mut [usize]) + Sync,
{
    // (first row, labels, scores) of each task's rows.
    type Part<A> = (usize, Vec<usize>, Vec<A>);
    let parts: std::sync::Mutex<Vec<Part<A>>> = std::sync::Mutex::new(Vec::new());
    crate::util::parallel::for_ranges(pool, n, |rows| {
        let mut scores = vec![A::default(); rows.len() * width];
        let mut labels = vec![0; rows.len()];
        block(rows.clone(), &mut scores, &mut labels);
        if let Ok(mut p) = parts.lock() {
            p.push((rows.start, labels, scores));
        }
    })?;
    let mut parts = parts.into_inner().map_err(|_| onnxrun_core::err!(Fail, "a parallel task failed"))?;
    parts.sort_by_key(|p| p.0);
    let mut labels = Vec::with_capacity(n);
    let mut scores = Vec::with_capacity(n * width);
    for (_, l, s) in parts {
        labels.extend(l);
        scores.extend(s);
    }
    ensure!(labels.len() == n, Fail, "a parallel task did not finish");
    Ok((labels, scores))
}
