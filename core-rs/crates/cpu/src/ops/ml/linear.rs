//! LinearClassifier and LinearRegressor: scores = X · Wᵀ + b, then a post-transform.

use super::common::{argmax, batch_dims, to_f32, Labels, PostTransform};
use crate::util::parallel::pool_for;
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("ai.onnx.ml", "LinearClassifier", 1, linear_classifier));
    r.register(KernelDef::new("ai.onnx.ml", "LinearRegressor", 1, linear_regressor));
}

/// X [n, f] times W [rows, f] transposed, plus b: the raw scores [n, rows].
fn scores(ctx: &OpContext<'_>, x: &[f32], n: usize, f: usize, w: &[f32], b: &[f32], rows: usize) -> Vec<f32> {
    let mut out = vec![0f32; n * rows];
    if !b.is_empty() {
        out.chunks_exact_mut(rows).for_each(|r| r.copy_from_slice(b));
    }
    if n > 0 && f > 0 && rows > 0 {
        let pool = pool_for(ctx, n * rows * f);
        onnxrun_linalg::sgemm(pool, false, true, n, rows, f, 1.0, x, f, &w[..rows * f], f, 1.0, &mut out, rows);
    }
    out
}

struct LinearClassifier {
    coef: Vec<f32>,
    intercepts: Vec<f32>,
    labels: Labels,
    post: PostTransform,
}

fn linear_classifier(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let coef = node.get_floats("coefficients")?.unwrap_or_default();
    ensure!(!coef.is_empty(), InvalidGraph, "{}: attribute 'coefficients' is required", node.describe());
    let intercepts = node.get_floats("intercepts")?.unwrap_or_default();
    let labels = Labels::from_node(node, "classlabels_ints")?;
    let post = PostTransform::from_node(node)?;
    match intercepts.len() {
        0 => {}
        1 => ensure!(
            labels.len() == 0 || labels.len() == 2,
            InvalidGraph,
            "{}: a binary classifier (one intercept) needs 0 or 2 class labels, got {}",
            node.describe(),
            labels.len()
        ),
        c => ensure!(
            labels.len() >= c,
            InvalidGraph,
            "{}: {c} classes (intercepts) but {} class labels",
            node.describe(),
            labels.len()
        ),
    }
    Ok(Box::new(LinearClassifier { coef, intercepts, labels, post }))
}

impl Kernel for LinearClassifier {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        let (n, f) = batch_dims(x, &what)?;
        let xs = to_f32(x, &what)?;
        // Without intercepts the class count follows from the coefficients.
        let classes = match self.intercepts.len() {
            0 if f > 0 && self.coef.len().is_multiple_of(f) => self.coef.len() / f,
            0 => bail!(InvalidArgument, "{what}: {} coefficients do not split into rows of {f} features", self.coef.len()),
            c => c,
        };
        ensure!(
            self.coef.len() >= classes * f,
            InvalidArgument,
            "{what}: {} coefficients are too few for {classes} classes of {f} features",
            self.coef.len()
        );
        ensure!(
            classes == 1 || self.labels.len() >= classes,
            InvalidArgument,
            "{what}: {classes} classes but {} class labels",
            self.labels.len()
        );
        let mut s = scores(ctx, &xs, n, f, &self.coef, &self.intercepts, classes);

        // Labels come from the raw scores.
        let label = if classes == 1 {
            let positive: Vec<usize> = s.iter().map(|&v| usize::from(v > 0.0)).collect();
            if self.labels.len() == 2 {
                self.labels.pick(&positive)?
            } else {
                Tensor::from_vec(vec![n], positive.iter().map(|&p| p as i64).collect())?
            }
        } else {
            let idx: Vec<usize> = s.chunks_exact(classes).map(argmax).collect();
            self.labels.pick(&idx)?
        };

        let scores = if classes == 1 && self.labels.len() == 2 {
            // One score stands for the positive class; the negative one is its complement.
            let two: Vec<f32> = s.iter().flat_map(|&v| self.post.binary_pair(v, false)).collect();
            Tensor::from_vec(vec![n, 2], two)?
        } else {
            self.post.apply_rows(&mut s, classes);
            Tensor::from_vec(vec![n, classes], s)?
        };
        ctx.set_output(0, label)?;
        if ctx.num_outputs() > 1 {
            ctx.set_output(1, scores)?;
        }
        Ok(())
    }
}

struct LinearRegressor {
    coef: Vec<f32>,
    intercepts: Vec<f32>,
    targets: usize,
    post: PostTransform,
}

fn linear_regressor(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let coef = node.get_floats("coefficients")?.unwrap_or_default();
    let intercepts = node.get_floats("intercepts")?.unwrap_or_default();
    let targets = node.int_or("targets", 1)?;
    ensure!(targets >= 1, InvalidGraph, "{}: targets must be at least 1, got {targets}", node.describe());
    let targets = targets as usize;
    ensure!(
        intercepts.is_empty() || intercepts.len() == targets,
        InvalidGraph,
        "{}: {} intercepts for {targets} targets",
        node.describe(),
        intercepts.len()
    );
    Ok(Box::new(LinearRegressor { coef, intercepts, targets, post: PostTransform::from_node(node)? }))
}

impl Kernel for LinearRegressor {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        let (n, f) = batch_dims(x, &what)?;
        let xs = to_f32(x, &what)?;
        ensure!(
            self.coef.len() >= self.targets * f,
            InvalidArgument,
            "{what}: {} coefficients are too few for {} targets of {f} features",
            self.coef.len(),
            self.targets
        );
        let mut s = scores(ctx, &xs, n, f, &self.coef, &self.intercepts, self.targets);
        self.post.apply_rows(&mut s, self.targets);
        ctx.set_output(0, Tensor::from_vec(vec![n, self.targets], s)?)
    }
}
