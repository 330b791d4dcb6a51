//! SVMClassifier and SVMRegressor, as libsvm/liblinear models exported by converters.
//! - SVC mode (support vectors given): one-vs-one classifiers over kernel values; the label
//!   wins the most pairwise votes. With `prob_a`/`prob_b`, pairwise decisions become
//!   probabilities by Platt scaling and are coupled into class probabilities with the
//!   iterative method of Wu, Lin and Weng (libsvm's), in f32 as ONNX Runtime computes it.
//! - Linear mode (no support vectors): one weight row per class.

use super::common::{argmax, batch_dims, logistic, rows_with_labels, to_f32, Labels, PostTransform};
use crate::util::parallel::{for_chunk_ranges_mut, pool_for};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("ai.onnx.ml", "SVMClassifier", 1, svm_classifier));
    r.register(KernelDef::new("ai.onnx.ml", "SVMRegressor", 1, svm_regressor));
}

#[derive(Clone, Copy, Debug)]
enum KernelType {
    Linear,
    Poly,
    Rbf,
    Sigmoid,
}

/// A kernel function with its parameters (gamma, coef0, degree).
#[derive(Clone, Copy, Debug)]
struct SvmKernel {
    kind: KernelType,
    gamma: f32,
    coef0: f32,
    degree: f32,
}

impl SvmKernel {
    fn from_node(node: &NodeInfo) -> Result<SvmKernel> {
        let kind = match node.string_or("kernel_type", "LINEAR")?.as_str() {
            "LINEAR" => KernelType::Linear,
            "POLY" => KernelType::Poly,
            "RBF" => KernelType::Rbf,
            "SIGMOID" => KernelType::Sigmoid,
            s => bail!(InvalidGraph, "{}: kernel_type '{s}' is not one of LINEAR, POLY, RBF, SIGMOID", node.describe()),
        };
        let p = node.get_floats("kernel_params")?.unwrap_or_default();
        let at = |i: usize| p.get(i).copied().unwrap_or(0.0);
        Ok(SvmKernel { kind, gamma: at(0), coef0: at(1), degree: at(2) })
    }

    /// K from the dot product a·b and, for RBF, the squared norms |a|², |b|².
    #[inline]
    fn from_dot(&self, dot: f64, a2: f64, b2: f64) -> f64 {
        let (gamma, coef0) = (self.gamma as f64, self.coef0 as f64);
        match self.kind {
            KernelType::Linear => dot,
            KernelType::Poly => (gamma * dot + coef0).powf(self.degree as f64),
            KernelType::Sigmoid => (gamma * dot + coef0).tanh(),
            KernelType::Rbf => (-gamma * (a2 + b2 - 2.0 * dot).max(0.0)).exp(),
        }
    }
}

/// Support vectors in f64, with their squared norms. Kernel values are computed in f64:
/// SVMs sum many large kernel terms that largely cancel, and f32 leaves visible noise.
struct SupportVectors {
    data: Vec<f64>,
    norms: Vec<f64>,
    count: usize,
    features: usize,
}

/// Rows per block of kernel values (keeps the block in cache next to the vectors).
const KBLOCK: usize = 64;

impl SupportVectors {
    fn new(v: &[f32], count: usize, features: usize) -> SupportVectors {
        let data: Vec<f64> = v[..count * features].iter().map(|&x| x as f64).collect();
        let norms = if features == 0 { vec![0.0; count] } else { data.chunks_exact(features).map(|r| r.iter().map(|x| x * x).sum()).collect() };
        SupportVectors { data, norms, count, features }
    }

    /// K(x_r, sv_v) for the `rows` rows of `x` into `out` [rows, count], by one GEMM for
    /// the dot products.
    fn kernels(&self, kernel: &SvmKernel, x: &[f64], rows: usize, out: &mut [f64]) {
        let (f, nv) = (self.features, self.count);
        out[..rows * nv].fill(0.0);
        if f > 0 && rows > 0 && nv > 0 {
            onnxrun_linalg::dgemm(None, false, true, rows, nv, f, 1.0, &x[..rows * f], f, &self.data, f, 0.0, &mut out[..rows * nv], nv);
        }
        for r in 0..rows {
            let x2: f64 = if matches!(kernel.kind, KernelType::Rbf) { x[r * f..(r + 1) * f].iter().map(|v| v * v).sum() } else { 0.0 };
            for (k, &s2) in out[r * nv..(r + 1) * nv].iter_mut().zip(&self.norms) {
                *k = kernel.from_dot(*k, x2, s2);
            }
        }
    }
}

/// The input rows as f64.
fn rows_f64(x: &Tensor, what: &str) -> Result<Vec<f64>> {
    Ok(match x.dtype() {
        onnxrun_core::DataType::Double => x.data::<f64>()?.to_vec(),
        _ => to_f32(x, what)?.iter().map(|&v| v as f64).collect(),
    })
}

/// `vectors` rows of `features` values from a flat attribute.
fn check_rows(what: &str, name: &str, len: usize, rows: usize) -> Result<usize> {
    ensure!(rows > 0 && len > 0 && len.is_multiple_of(rows), InvalidGraph, "{what}: {name} ({len} values) does not split into {rows} rows");
    Ok(len / rows)
}

// ---- classifier -------------------------------------------------------------------------

struct SvmClassifier {
    kernel: SvmKernel,
    labels: Labels,
    /// Support vectors and where each class's start (SVC mode; none in linear mode).
    support: SupportVectors,
    per_class: Vec<usize>,
    starts: Vec<usize>,
    /// SVC: [classes - 1, vectors] dual coefficients; linear: [classes, features] weights.
    coef: Vec<f32>,
    rho: Vec<f32>,
    prob_a: Vec<f32>,
    prob_b: Vec<f32>,
    features: usize,
    post: PostTransform,
    all_positive: bool,
}

fn svm_classifier(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let what = node.describe();
    let labels = Labels::from_node(node, "classlabels_ints")?;
    let nc = labels.len();
    ensure!(nc > 0, InvalidGraph, "{what}: classlabels_ints or classlabels_strings must be set");
    let per_class: Vec<usize> = node
        .get_ints("vectors_per_class")?
        .unwrap_or_default()
        .iter()
        .map(|&v| usize::try_from(v).map_err(|_| onnxrun_core::err!(InvalidGraph, "{what}: negative vectors_per_class entry {v}")))
        .collect::<Result<_>>()?;
    let coef = node.get_floats("coefficients")?.unwrap_or_default();
    ensure!(!coef.is_empty(), InvalidGraph, "{what}: coefficients must be set");
    let rho = node.get_floats("rho")?.unwrap_or_default();
    ensure!(!rho.is_empty(), InvalidGraph, "{what}: rho must be set");
    let prob_a = node.get_floats("prob_a")?.unwrap_or_default();
    let prob_b = node.get_floats("prob_b")?.unwrap_or_default();
    ensure!(prob_a.len() == prob_b.len(), InvalidGraph, "{what}: prob_a and prob_b must have the same length");
    let support = node.get_floats("support_vectors")?.unwrap_or_default();
    let n_vectors: usize = per_class.iter().sum();
    let mut kernel = SvmKernel::from_node(node)?;
    let mut starts = Vec::with_capacity(per_class.len());
    let features = if n_vectors > 0 {
        ensure!(per_class.len() == nc, InvalidGraph, "{what}: vectors_per_class has {} entries for {nc} classes", per_class.len());
        per_class.iter().fold(0, |at, &v| {
            starts.push(at);
            at + v
        });
        let pairs = nc * (nc - 1) / 2;
        ensure!(coef.len() >= (nc - 1) * n_vectors, InvalidGraph, "{what}: {} coefficients, expected {} ((classes - 1) x vectors)", coef.len(), (nc - 1) * n_vectors);
        ensure!(rho.len() >= pairs, InvalidGraph, "{what}: rho has {} values for {pairs} class pairs", rho.len());
        ensure!(prob_a.is_empty() || prob_a.len() >= pairs, InvalidGraph, "{what}: prob_a has {} values for {pairs} class pairs", prob_a.len());
        check_rows(&what, "support_vectors", support.len(), n_vectors)?
    } else {
        // liblinear: one weight row per class, always a linear kernel.
        kernel.kind = KernelType::Linear;
        check_rows(&what, "coefficients", coef.len(), nc)?
    };
    let all_positive = coef.iter().all(|&c| c >= 0.0);
    Ok(Box::new(SvmClassifier {
        kernel,
        labels,
        support: SupportVectors::new(&support, n_vectors, if n_vectors > 0 { features } else { 0 }),
        per_class,
        starts,
        coef,
        rho,
        prob_a,
        prob_b,
        features,
        post: PostTransform::from_node(node)?,
        all_positive,
    }))
}

impl SvmClassifier {
    fn svc(&self) -> bool {
        self.support.count > 0
    }
    fn has_proba(&self) -> bool {
        self.svc() && !self.prob_a.is_empty()
    }
    /// Scores per row written by `row`.
    fn width(&self) -> usize {
        let nc = self.labels.len();
        if !self.svc() || self.has_proba() {
            nc
        } else if nc > 2 {
            nc * (nc - 1) / 2
        } else {
            2
        }
    }

    /// One row of a linear-mode model: its scores (into `out`) and its label index.
    fn linear_row(&self, x: &[f64], out: &mut [f32]) -> usize {
        let nc = self.labels.len();
        for (c, o) in out.iter_mut().enumerate() {
            let w = &self.coef[c * self.features..(c + 1) * self.features];
            let dot: f64 = x.iter().zip(w).map(|(a, &b)| a * b as f64).sum();
            *o = (dot + self.rho[0] as f64) as f32;
        }
        let best = argmax(out);
        // One rho and two classes: a binary model, whose top score decides for class 1
        // (ONNX Runtime's rule: >= 0.5 with non-negative weights, > 0 otherwise).
        let w = out[best];
        let label = if self.rho.len() == 1 && nc == 2 && ((self.all_positive && w >= 0.5) || (!self.all_positive && w > 0.0)) { 1 } else { best };
        self.post.apply_rows(out, nc);
        label
    }

    /// One row of an SVC model from its kernel values `k`: its scores (into `out`,
    /// `width()` long) and its label index.
    fn svc_row(&self, k: &[f64], out: &mut [f32], scratch: &mut Scratch) -> usize {
        let nc = self.labels.len();
        let nv = self.support.count;
        let votes = &mut scratch.votes;
        votes.clear();
        votes.resize(nc, 0);
        let pair = &mut scratch.pair;
        pair.clear();
        for i in 0..nc {
            for j in i + 1..nc {
                // Class i's vectors weigh in with coefficient row j - 1, class j's with row i.
                let (si, ni) = (self.starts[i], self.per_class[i]);
                let (sj, nj) = (self.starts[j], self.per_class[j]);
                let ci = &self.coef[(j - 1) * nv + si..(j - 1) * nv + si + ni];
                let cj = &self.coef[i * nv + sj..i * nv + sj + nj];
                let mut sum: f64 = ci.iter().zip(&k[si..si + ni]).map(|(c, v)| *c as f64 * v).sum();
                sum += cj.iter().zip(&k[sj..sj + nj]).map(|(c, v)| *c as f64 * v).sum::<f64>();
                sum += self.rho[pair.len()] as f64;
                votes[if sum > 0.0 { i } else { j }] += 1;
                pair.push(sum as f32);
            }
        }
        // The winner of the votes (ties to the lower class), with or without probabilities.
        let mut label = 0;
        for c in 1..nc {
            if votes[c] > votes[label] {
                label = c;
            }
        }
        if self.has_proba() {
            let r = &mut scratch.r;
            r.clear();
            r.resize(nc * nc, 0.0);
            let mut idx = 0;
            for i in 0..nc {
                for j in i + 1..nc {
                    // Platt: P(i beats j) = 1 / (1 + exp(A f + B)).
                    let p = (1.0 - logistic(pair[idx] * self.prob_a[idx] + self.prob_b[idx])).clamp(1e-7, 1.0 - 1e-7);
                    r[i * nc + j] = p;
                    r[j * nc + i] = 1.0 - p;
                    idx += 1;
                }
            }
            couple(nc, r, out, &mut scratch.q, &mut scratch.qp);
            self.post.apply_rows(out, nc);
        } else if nc == 2 {
            // The one pairwise score s and its mirror (ONNX Runtime's layout: [-s, s], or
            // [1 - p, p] once a post-transform applies).
            let s = pair[0];
            let two = if self.post == PostTransform::None { [-s, s] } else { self.post.binary_pair(s, false) };
            out.copy_from_slice(&two);
        } else {
            out.copy_from_slice(pair);
            self.post.apply_rows(out, out.len());
        }
        label
    }
}

#[derive(Default)]
struct Scratch {
    votes: Vec<u32>,
    pair: Vec<f32>,
    r: Vec<f32>,
    q: Vec<f32>,
    qp: Vec<f32>,
}

/// Class probabilities `p` from pairwise ones `r` (r[i][j] = P(i beats j)): the fixed
/// point of Wu, Lin and Weng's second method (the one libsvm uses), iterated until every
/// (Qp)_t is within 0.005 / k of pᵀQp.
fn couple(k: usize, r: &[f32], p: &mut [f32], q: &mut Vec<f32>, qp: &mut Vec<f32>) {
    q.clear();
    q.resize(k * k, 0.0);
    qp.clear();
    qp.resize(k, 0.0);
    for t in 0..k {
        p[t] = 1.0 / k as f32;
        for j in 0..t {
            q[t * k + t] += r[j * k + t] * r[j * k + t];
            q[t * k + j] = q[j * k + t];
        }
        for j in t + 1..k {
            q[t * k + t] += r[j * k + t] * r[j * k + t];
            q[t * k + j] = -r[j * k + t] * r[t * k + j];
        }
    }
    let eps = 0.005 / k as f32;
    for _ in 0..k.max(100) {
        let mut pqp = 0.0;
        for t in 0..k {
            qp[t] = 0.0;
            for j in 0..k {
                qp[t] += q[t * k + j] * p[j];
            }
            pqp += p[t] * qp[t];
        }
        let max_err = qp.iter().map(|v| (v - pqp).abs()).fold(0.0f32, f32::max);
        if max_err < eps {
            break;
        }
        for t in 0..k {
            let diff = (-qp[t] + pqp) / q[t * k + t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * q[t * k + t] + 2.0 * qp[t])) / (1.0 + diff) / (1.0 + diff);
            for j in 0..k {
                qp[j] = (qp[j] + diff * q[t * k + j]) / (1.0 + diff);
                p[j] /= 1.0 + diff;
            }
        }
    }
}

impl Kernel for SvmClassifier {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        let (n, c) = batch_dims(x, &what)?;
        ensure!(c == self.features, InvalidArgument, "{what}: rows have {c} features, the model expects {}", self.features);
        let xs = rows_f64(x, &what)?;
        let w = self.width();
        let nv = self.support.count;
        let pool = pool_for(ctx, n * (self.coef.len() + nv * c));
        let (labels, scores) = rows_with_labels(pool, n, w, |rows, scores, labels| {
            let mut scratch = Scratch::default();
            if !self.svc() {
                for (k, r) in rows.enumerate() {
                    labels[k] = self.linear_row(&xs[r * c..(r + 1) * c], &mut scores[k * w..(k + 1) * w]);
                }
                return;
            }
            let mut kern = vec![0f64; KBLOCK.min(rows.len()) * nv];
            let mut b0 = rows.start;
            while b0 < rows.end {
                let b1 = (b0 + KBLOCK).min(rows.end);
                self.support.kernels(&self.kernel, &xs[b0 * c..b1 * c], b1 - b0, &mut kern);
                for r in b0..b1 {
                    let (k, i) = (r - b0, r - rows.start);
                    labels[i] = self.svc_row(&kern[k * nv..(k + 1) * nv], &mut scores[i * w..(i + 1) * w], &mut scratch);
                }
                b0 = b1;
            }
        })?;
        ctx.set_output(0, self.labels.pick(&labels)?)?;
        if ctx.num_outputs() > 1 {
            ctx.set_output(1, Tensor::from_vec(vec![n, w], scores)?)?;
        }
        Ok(())
    }
}

// ---- regressor --------------------------------------------------------------------------

struct SvmRegressor {
    kernel: SvmKernel,
    support: SupportVectors,
    coef: Vec<f32>,
    rho: f32,
    features: usize,
    one_class: bool,
    post: PostTransform,
}

fn svm_regressor(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let what = node.describe();
    let coef = node.get_floats("coefficients")?.unwrap_or_default();
    ensure!(!coef.is_empty(), InvalidGraph, "{what}: coefficients must be set");
    let rho = node.get_floats("rho")?.unwrap_or_default().first().copied().unwrap_or(0.0);
    let support = node.get_floats("support_vectors")?.unwrap_or_default();
    let n_supports = node.int_or("n_supports", 0)?;
    ensure!(n_supports >= 0, InvalidGraph, "{what}: n_supports must not be negative");
    let mut kernel = SvmKernel::from_node(node)?;
    let (support, features) = if n_supports > 0 {
        let nv = n_supports as usize;
        ensure!(coef.len() >= nv, InvalidGraph, "{what}: {} coefficients for {nv} support vectors", coef.len());
        let features = check_rows(&what, "support_vectors", support.len(), nv)?;
        (support, features)
    } else {
        kernel.kind = KernelType::Linear;
        (Vec::new(), coef.len())
    };
    let count = if support.is_empty() { 0 } else { n_supports as usize };
    Ok(Box::new(SvmRegressor {
        kernel,
        support: SupportVectors::new(&support, count, if count > 0 { features } else { 0 }),
        coef,
        rho,
        features,
        one_class: node.int_or("one_class", 0)? != 0,
        post: PostTransform::from_node(node)?,
    }))
}

impl Kernel for SvmRegressor {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        let (n, c) = batch_dims(x, &what)?;
        ensure!(c == self.features, InvalidArgument, "{what}: rows have {c} features, the model expects {}", self.features);
        let xs = rows_f64(x, &what)?;
        let mut out = vec![0f32; n];
        let nv = self.support.count;
        let pool = pool_for(ctx, n * (nv + 1) * c);
        for_chunk_ranges_mut(pool, &mut out, 1, |rows, piece| {
            let mut kern = vec![0f64; KBLOCK.min(rows.len()) * nv];
            let mut b0 = rows.start;
            while b0 < rows.end {
                let b1 = (b0 + KBLOCK).min(rows.end);
                if nv > 0 {
                    self.support.kernels(&self.kernel, &xs[b0 * c..b1 * c], b1 - b0, &mut kern);
                }
                for r in b0..b1 {
                    let s = if nv == 0 {
                        xs[r * c..(r + 1) * c].iter().zip(&self.coef).map(|(a, &b)| a * b as f64).sum::<f64>()
                    } else {
                        kern[(r - b0) * nv..(r - b0 + 1) * nv].iter().zip(&self.coef).map(|(k, &w)| k * w as f64).sum()
                    } + self.rho as f64;
                    piece[r - rows.start] = if !self.one_class {
                        s as f32
                    } else if s > 0.0 {
                        1.0
                    } else {
                        -1.0
                    };
                }
                b0 = b1;
            }
        })?;
        self.post.apply_rows(&mut out, 1);
        ctx.set_output(0, Tensor::from_vec(vec![n, 1], out)?)
    }
}
