//! TreeEnsembleRegressor and TreeEnsembleClassifier (ai.onnx.ml 1 and 3): nodes named by
//! (tree id, node id), leaf weights listed apart and matched by those ids. Rows are walked
//! in float (int inputs are converted) or in double for double inputs; outputs are float.
//! Scores follow ONNX Runtime, including its handling of base values and of two-class
//! models that carry the weights of one class only.

use super::{Aggregate, Forest, Rule, TreeNode, Walk};
use crate::ops::ml::common::{batch_dims, rows_with_labels, to_f32, Labels, PostTransform};
use crate::util::parallel::{for_chunk_ranges_mut, pool_for};
use crate::util::real::Acc;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use std::collections::HashMap;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("ai.onnx.ml", "TreeEnsembleRegressor", 1, regressor));
    r.register(KernelDef::new("ai.onnx.ml", "TreeEnsembleClassifier", 1, classifier));
}

/// A list attribute of floats, or its `<name>_as_tensor` form (opset 3), as f64.
fn floats_attr(node: &NodeInfo, name: &str) -> Result<Option<Vec<f64>>> {
    if let Some(t) = node.get_tensor(&format!("{name}_as_tensor"))? {
        return Ok(Some(t.to_f64_vec()?));
    }
    Ok(node.get_floats(name)?.map(|v| v.into_iter().map(f64::from).collect()))
}

fn ints_attr(node: &NodeInfo, name: &str) -> Result<Vec<i64>> {
    Ok(node.get_ints(name)?.unwrap_or_default())
}

/// Builds the forest from `nodes_*` and the `<prefix>_*` leaf weights (prefix "target" or
/// "class").
fn build(node: &NodeInfo, prefix: &str, n_targets: usize) -> Result<Forest> {
    let what = node.describe();
    let tree_ids = ints_attr(node, "nodes_treeids")?;
    let node_ids = ints_attr(node, "nodes_nodeids")?;
    let features = ints_attr(node, "nodes_featureids")?;
    let modes = node.get_strings("nodes_modes")?.unwrap_or_default();
    let values = floats_attr(node, "nodes_values")?.unwrap_or_default();
    let trues = ints_attr(node, "nodes_truenodeids")?;
    let falses = ints_attr(node, "nodes_falsenodeids")?;
    let missing = ints_attr(node, "nodes_missing_value_tracks_true")?;
    let n = tree_ids.len();
    ensure!(n > 0, InvalidGraph, "{what}: the ensemble has no nodes");
    for (name, len) in [
        ("nodes_nodeids", node_ids.len()),
        ("nodes_featureids", features.len()),
        ("nodes_modes", modes.len()),
        ("nodes_truenodeids", trues.len()),
        ("nodes_falsenodeids", falses.len()),
    ] {
        ensure!(len == n, InvalidGraph, "{what}: {name} has {len} entries, nodes_treeids has {n}");
    }
    for (name, len) in [("nodes_values", values.len()), ("nodes_missing_value_tracks_true", missing.len())] {
        ensure!(len == n || len == 0, InvalidGraph, "{what}: {name} has {len} entries, nodes_treeids has {n}");
    }
    let mut index: HashMap<(i64, i64), usize> = HashMap::with_capacity(n);
    let mut roots = Vec::new();
    let mut seen_trees = std::collections::HashSet::new();
    for i in 0..n {
        if index.insert((tree_ids[i], node_ids[i]), i).is_some() {
            bail!(InvalidGraph, "{what}: node {} of tree {} is listed twice", node_ids[i], tree_ids[i]);
        }
        // A tree's root is its first listed node.
        if seen_trees.insert(tree_ids[i]) {
            roots.push(i);
        }
    }

    // Leaf weights, grouped by the node they belong to, in listed order.
    let w_trees = ints_attr(node, &format!("{prefix}_treeids"))?;
    let w_nodes = ints_attr(node, &format!("{prefix}_nodeids"))?;
    let w_ids = ints_attr(node, &format!("{prefix}_ids"))?;
    let w_vals = floats_attr(node, &format!("{prefix}_weights"))?.unwrap_or_default();
    let nw = w_trees.len();
    ensure!(
        w_nodes.len() == nw && w_ids.len() == nw && w_vals.len() == nw,
        InvalidGraph,
        "{what}: {prefix}_treeids, {prefix}_nodeids, {prefix}_ids and {prefix}_weights must have the same length"
    );
    let mut per_node: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for k in 0..nw {
        let Some(&i) = index.get(&(w_trees[k], w_nodes[k])) else {
            bail!(InvalidGraph, "{what}: weight {k} is for node {} of tree {}, which does not exist", w_nodes[k], w_trees[k]);
        };
        ensure!(modes[i] == "LEAF", InvalidGraph, "{what}: weight {k} is for node {} of tree {}, which is not a leaf", w_nodes[k], w_trees[k]);
        let t = usize::try_from(w_ids[k]).map_err(|_| onnxrun_core::err!(InvalidGraph, "{what}: negative {prefix} id {}", w_ids[k]))?;
        per_node[i].push((t, w_vals[k]));
    }

    let mut f = Forest { roots, ..Default::default() };
    for i in 0..n {
        let rule = match modes[i].as_str() {
            "LEAF" => {
                let start = f.weights.len();
                f.weights.extend_from_slice(&per_node[i]);
                Rule::Leaf { start, len: per_node[i].len() }
            }
            "BRANCH_LEQ" => Rule::Leq,
            "BRANCH_LT" => Rule::Lt,
            "BRANCH_GTE" => Rule::Gte,
            "BRANCH_GT" => Rule::Gt,
            "BRANCH_EQ" => Rule::Eq,
            "BRANCH_NEQ" => Rule::Neq,
            m => bail!(InvalidGraph, "{what}: node mode '{m}' is not one of BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ, BRANCH_NEQ, LEAF"),
        };
        let leaf = matches!(rule, Rule::Leaf { .. });
        let target = |id: i64| -> Result<usize> {
            if leaf {
                return Ok(0);
            }
            index.get(&(tree_ids[i], id)).copied().ok_or_else(|| {
                onnxrun_core::err!(InvalidGraph, "{what}: node {} of tree {} branches to node {id}, which does not exist", node_ids[i], tree_ids[i])
            })
        };
        let feature = if leaf {
            0
        } else {
            usize::try_from(features[i]).map_err(|_| onnxrun_core::err!(InvalidGraph, "{what}: negative feature id {}", features[i]))?
        };
        f.nodes.push(TreeNode {
            rule,
            feature,
            threshold: values.get(i).copied().unwrap_or(0.0),
            missing_true: missing.get(i).is_some_and(|&m| m != 0),
            on_true: target(trues[i])?,
            on_false: target(falses[i])?,
        });
    }
    f.validate(n_targets, &what)?;
    Ok(f)
}

/// Input rows as f32 (float, int64, int32) or f64 (double): the walk's float type.
enum Rows<'a> {
    F32(std::borrow::Cow<'a, [f32]>),
    F64(&'a [f64]),
}

fn rows<'a>(x: &'a Tensor, what: &str) -> Result<Rows<'a>> {
    Ok(match x.dtype() {
        DataType::Double => Rows::F64(x.data::<f64>()?),
        _ => Rows::F32(to_f32(x, what)?),
    })
}

fn parse_aggregate(node: &NodeInfo) -> Result<Aggregate> {
    Ok(match node.string_or("aggregate_function", "SUM")?.as_str() {
        "SUM" => Aggregate::Sum,
        "AVERAGE" => Aggregate::Average,
        "MIN" => Aggregate::Min,
        "MAX" => Aggregate::Max,
        s => bail!(InvalidGraph, "{}: aggregate_function '{s}' is not one of SUM, AVERAGE, MIN, MAX", node.describe()),
    })
}

// ---- regressor --------------------------------------------------------------------------

struct Regressor {
    forest: Forest,
    n_targets: usize,
    aggregate: Aggregate,
    base: Vec<f64>,
    post: PostTransform,
}

fn regressor(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let n_targets = node.int_or("n_targets", 1)?;
    ensure!(n_targets >= 1, InvalidGraph, "{}: n_targets must be at least 1, got {n_targets}", node.describe());
    let n_targets = n_targets as usize;
    let base = floats_attr(node, "base_values")?.unwrap_or_default();
    ensure!(
        base.is_empty() || base.len() == n_targets,
        InvalidGraph,
        "{}: base_values has {} values for {n_targets} targets",
        node.describe(),
        base.len()
    );
    Ok(Box::new(Regressor {
        forest: build(node, "target", n_targets)?,
        n_targets,
        aggregate: parse_aggregate(node)?,
        base,
        post: PostTransform::from_node(node)?,
    }))
}

impl Regressor {
    /// Adds one leaf's weights to a row's targets. With a single target each tree counts
    /// once, with its leaf's first weight (0 for a leaf without one), as in ONNX Runtime.
    #[inline]
    fn add<A: Acc>(&self, out: &mut [A], has: &mut [bool], start: usize, len: usize) {
        let w = &self.forest.weights[start..start + len];
        if self.n_targets == 1 {
            let v = w.first().map_or(A::ZERO, |&(_, v)| A::from_f64(v));
            self.aggregate.add(&mut out[0], &mut has[0], v);
        } else {
            for &(t, v) in w {
                self.aggregate.add(&mut out[t], &mut has[t], A::from_f64(v));
            }
        }
    }

    /// A row's final targets: averaged if so, plus base values; a target no leaf wrote to
    /// stays 0 (without its base value), as in ONNX Runtime.
    fn finish<A: Acc>(&self, out: &mut [A], has: &[bool]) {
        let trees = A::from_f64(self.forest.roots.len() as f64);
        for (t, (o, &h)) in out.iter_mut().zip(has).enumerate() {
            *o = if !h {
                A::ZERO
            } else {
                let v = if self.aggregate == Aggregate::Average { *o / trees } else { *o };
                v + A::from_f64(self.base.get(t).copied().unwrap_or(0.0))
            };
        }
    }

    fn run<A: Walk>(&self, ctx: &OpContext<'_>, x: &[A], n: usize, c: usize) -> Result<Vec<A>> {
        let nt = self.n_targets;
        let mut out = vec![A::ZERO; n * nt];
        let pool = pool_for(ctx, n * self.forest.roots.len() * 8);
        for_chunk_ranges_mut(pool, &mut out, nt, |rows, piece| {
            let mut has = vec![false; rows.len() * nt];
            self.forest.for_each_leaf(x, c, rows, |r, start, len| {
                self.add(&mut piece[r * nt..(r + 1) * nt], &mut has[r * nt..(r + 1) * nt], start, len)
            });
            for (o, h) in piece.chunks_exact_mut(nt).zip(has.chunks_exact(nt)) {
                self.finish(o, h);
            }
        })?;
        self.post.apply_rows(&mut out, nt);
        Ok(out)
    }
}

impl Kernel for Regressor {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        let (n, c) = batch_dims(x, &what)?;
        self.forest.check_features(c, &what)?;
        let out: Vec<f32> = match rows(x, &what)? {
            Rows::F32(v) => self.run(ctx, &v, n, c)?,
            Rows::F64(v) => self.run(ctx, v, n, c)?.into_iter().map(|v| v as f32).collect(),
        };
        ctx.set_output(0, Tensor::from_vec(vec![n, self.n_targets], out)?)
    }
}

// ---- classifier -------------------------------------------------------------------------

struct Classifier {
    forest: Forest,
    labels: Labels,
    base: Vec<f64>,
    post: PostTransform,
    /// Two classes, weights for one of them only: the score is one number.
    binary_case: bool,
    all_positive: bool,
}

fn classifier(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let labels = Labels::from_node(node, "classlabels_int64s")?;
    let nc = labels.len();
    ensure!(nc >= 2, InvalidGraph, "{}: a classifier needs at least 2 class labels, got {nc}", node.describe());
    let base = floats_attr(node, "base_values")?.unwrap_or_default();
    ensure!(
        base.is_empty() || base.len() == nc || (nc == 2 && base.len() == 1),
        InvalidGraph,
        "{}: base_values has {} values for {nc} classes",
        node.describe(),
        base.len()
    );
    let forest = build(node, "class", nc)?;
    let classes: std::collections::HashSet<usize> = forest.weights.iter().map(|w| w.0).collect();
    let all_positive = forest.weights.iter().all(|w| w.1 >= 0.0);
    Ok(Box::new(Classifier { binary_case: nc == 2 && classes.len() == 1, forest, labels, base, post: PostTransform::from_node(node)?, all_positive }))
}

impl Classifier {
    /// A row's final scores from its summed leaf weights (`out`, with `has` marking the
    /// classes some leaf wrote to), and the index of its label.
    fn finish<A: Acc>(&self, out: &mut [A], has: &mut [bool]) -> usize {
        let base = |i: usize| A::from_f64(self.base[i]);
        if out.len() != 2 {
            if !self.base.is_empty() {
                for i in 0..out.len() {
                    out[i] += base(i);
                    has[i] = true;
                }
            }
            let mut best: Option<usize> = None;
            for i in 0..out.len() {
                if has[i] && best.is_none_or(|b| out[i] > out[b]) {
                    best = Some(i);
                }
                if !has[i] {
                    out[i] = A::ZERO;
                }
            }
            self.post.apply_rows(out, out.len());
            return best.unwrap_or(0);
        }

        // Two classes. With two base values and a score for class 1, class 1 is
        // base[1] + score[0] and class 0 its negation; with one, it shifts class 0.
        let mut two_scores = has[1];
        match self.base.len() {
            2 if has[1] => {
                out[1] = base(1) + out[0];
                out[0] = -out[1];
            }
            2 => {
                two_scores = true;
                if has[0] {
                    out[0] += base(0);
                }
            }
            1 if has[0] => out[0] += base(0),
            _ => {}
        }
        // Classes nothing wrote to read 0.
        if !has[0] {
            out[0] = A::ZERO;
        }
        if !has[1] {
            out[1] = A::ZERO;
        }
        let pos = if two_scores && has[1] { out[1] } else { out[0] };
        let (label, mirrored) = if self.binary_case && self.all_positive {
            (usize::from(pos > A::from_f64(0.5)), false)
        } else {
            (usize::from(pos > A::ZERO), true)
        };
        if two_scores {
            self.post.apply_rows(out, 2);
        } else {
            let pair = self.post.binary_pair(pos, mirrored);
            out.copy_from_slice(&pair);
        }
        label
    }

    fn run<A: Walk>(&self, ctx: &OpContext<'_>, x: &[A], n: usize, c: usize) -> Result<(Vec<usize>, Vec<A>)> {
        let nc = self.labels.len();
        let f = &self.forest;
        let pool = pool_for(ctx, n * f.roots.len() * 8);
        rows_with_labels(pool, n, nc, |rows, scores, labels| {
            let mut has = vec![false; rows.len() * nc];
            f.for_each_leaf(x, c, rows, |r, start, len| {
                for &(k, w) in &f.weights[start..start + len] {
                    scores[r * nc + k] += A::from_f64(w);
                    has[r * nc + k] = true;
                }
            });
            for (r, l) in labels.iter_mut().enumerate() {
                *l = self.finish(&mut scores[r * nc..(r + 1) * nc], &mut has[r * nc..(r + 1) * nc]);
            }
        })
    }
}

impl Kernel for Classifier {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        let (n, c) = batch_dims(x, &what)?;
        self.forest.check_features(c, &what)?;
        let (labels, scores): (Vec<usize>, Vec<f32>) = match rows(x, &what)? {
            Rows::F32(v) => self.run(ctx, &v, n, c)?,
            Rows::F64(v) => {
                let (l, s) = self.run(ctx, v, n, c)?;
                (l, s.into_iter().map(|v| v as f32).collect())
            }
        };
        ctx.set_output(0, self.labels.pick(&labels)?)?;
        if ctx.num_outputs() > 1 {
            ctx.set_output(1, Tensor::from_vec(vec![n, self.labels.len()], scores)?)?;
        }
        Ok(())
    }
}
