//! TreeEnsemble (ai.onnx.ml 5): interior nodes and leaves in separate lists, branches as
//! indices flagged "leaf or node", thresholds and modes as tensors, set membership tests,
//! and an output in the input's float type (float, double or float16).
//! Set membership compares the feature value itself, as the spec says (ONNX Runtime casts
//! it to an integer first, so 1.4 is "in" {1} there).

use super::{Aggregate, Forest, Rule, TreeNode, Walk};
use crate::ops::ml::common::{batch_dims, PostTransform};
use crate::util::parallel::{for_chunk_ranges_mut, pool_for};
use onnxrun_core::half::f16;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("ai.onnx.ml", "TreeEnsemble", 5, tree_ensemble));
}

struct TreeEnsemble {
    forest: Forest,
    n_targets: usize,
    aggregate: Aggregate,
    post: PostTransform,
}

fn index(v: i64, what: &str, name: &str) -> Result<usize> {
    usize::try_from(v).map_err(|_| onnxrun_core::err!(InvalidGraph, "{what}: {name} has a negative entry {v}"))
}

fn tree_ensemble(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let what = node.describe();
    let ints = |name: &str| -> Result<Vec<i64>> { Ok(node.get_ints(name)?.unwrap_or_default()) };
    let tensor = |name: &str| -> Result<Option<&Tensor>> { node.get_tensor(name) };
    let features = ints("nodes_featureids")?;
    let m = features.len();
    let splits = tensor("nodes_splits")?.map(|t| t.to_f64_vec()).transpose()?.unwrap_or_default();
    let modes = tensor("nodes_modes")?.map(|t| t.to_i64_vec()).transpose()?.unwrap_or_default();
    let trues = ints("nodes_truenodeids")?;
    let falses = ints("nodes_falsenodeids")?;
    let true_leafs = ints("nodes_trueleafs")?;
    let false_leafs = ints("nodes_falseleafs")?;
    let missing = ints("nodes_missing_value_tracks_true")?;
    for (name, len) in [
        ("nodes_splits", splits.len()),
        ("nodes_modes", modes.len()),
        ("nodes_truenodeids", trues.len()),
        ("nodes_falsenodeids", falses.len()),
        ("nodes_trueleafs", true_leafs.len()),
        ("nodes_falseleafs", false_leafs.len()),
    ] {
        ensure!(len == m, InvalidGraph, "{what}: {name} has {len} entries, nodes_featureids has {m}");
    }
    ensure!(missing.is_empty() || missing.len() == m, InvalidGraph, "{what}: nodes_missing_value_tracks_true has {} entries for {m} nodes", missing.len());
    let targets = ints("leaf_targetids")?;
    let weights = tensor("leaf_weights")?.map(|t| t.to_f64_vec()).transpose()?.unwrap_or_default();
    ensure!(targets.len() == weights.len(), InvalidGraph, "{what}: leaf_targetids has {} entries, leaf_weights {}", targets.len(), weights.len());
    let roots = ints("tree_roots")?;
    ensure!(!roots.is_empty(), InvalidGraph, "{what}: tree_roots is empty");
    let n_targets = node.int_or("n_targets", 1)?;
    ensure!(n_targets >= 1, InvalidGraph, "{what}: n_targets must be at least 1, got {n_targets}");
    let members = tensor("membership_values")?.map(|t| t.to_f64_vec()).transpose()?.unwrap_or_default();
    // Each BRANCH_MEMBER node, in node order, takes the next NaN-terminated run of values.
    let mut member_runs = members.split(|v| v.is_nan());

    let mut f = Forest::default();
    // Leaves follow the m interior nodes.
    let target = |id: i64, leaf: i64, name: &str| -> Result<usize> { Ok(index(id, &what, name)? + if leaf != 0 { m } else { 0 }) };
    for i in 0..m {
        let rule = match modes[i] {
            0 => Rule::Leq,
            1 => Rule::Lt,
            2 => Rule::Gte,
            3 => Rule::Gt,
            4 => Rule::Eq,
            5 => Rule::Neq,
            6 => {
                let set = member_runs.next().ok_or_else(|| {
                    onnxrun_core::err!(InvalidGraph, "{what}: membership_values has no set for BRANCH_MEMBER node {i}")
                })?;
                f.sets.push(set.to_vec());
                Rule::Member(f.sets.len() - 1)
            }
            x => bail!(InvalidGraph, "{what}: node {i} has mode {x}, not one of 0 (BRANCH_LEQ) to 6 (BRANCH_MEMBER)"),
        };
        f.nodes.push(TreeNode {
            rule,
            feature: index(features[i], &what, "nodes_featureids")?,
            threshold: splits[i],
            missing_true: missing.get(i).is_some_and(|&v| v != 0),
            on_true: target(trues[i], true_leafs[i], "nodes_truenodeids")?,
            on_false: target(falses[i], false_leafs[i], "nodes_falsenodeids")?,
        });
    }
    for (j, (&t, &w)) in targets.iter().zip(&weights).enumerate() {
        f.weights.push((index(t, &what, "leaf_targetids")?, w));
        f.nodes.push(TreeNode { rule: Rule::Leaf { start: j, len: 1 }, feature: 0, threshold: 0.0, missing_true: false, on_true: 0, on_false: 0 });
    }
    f.roots = roots.iter().map(|&r| index(r, &what, "tree_roots")).collect::<Result<_>>()?;
    ensure!(f.roots.iter().all(|&r| r < m.max(1)), InvalidGraph, "{what}: a tree root is not an interior node");
    f.validate(n_targets as usize, &what)?;
    let aggregate = match node.int_or("aggregate_function", 1)? {
        0 => Aggregate::Average,
        1 => Aggregate::Sum,
        2 => Aggregate::Min,
        3 => Aggregate::Max,
        a => bail!(InvalidGraph, "{what}: aggregate_function {a} is not one of 0 (AVERAGE), 1 (SUM), 2 (MIN), 3 (MAX)"),
    };
    // The spec's numbering (1 SOFTMAX, 2 LOGISTIC); ONNX Runtime 1.32 reads 1 and 2 the
    // other way round.
    let post = match node.int_or("post_transform", 0)? {
        0 => PostTransform::None,
        1 => PostTransform::Softmax,
        2 => PostTransform::Logistic,
        3 => PostTransform::SoftmaxZero,
        4 => PostTransform::Probit,
        p => bail!(InvalidGraph, "{what}: post_transform {p} is not one of 0 (NONE) to 4 (PROBIT)"),
    };
    Ok(Box::new(TreeEnsemble { forest: f, n_targets: n_targets as usize, aggregate, post }))
}

impl TreeEnsemble {
    fn run<A: Walk>(&self, ctx: &OpContext<'_>, x: &[A], n: usize, c: usize) -> Result<Vec<A>> {
        let nt = self.n_targets;
        let f = &self.forest;
        let trees = A::from_f64(f.roots.len() as f64);
        let mut out = vec![A::ZERO; n * nt];
        let pool = pool_for(ctx, n * f.roots.len() * 8);
        for_chunk_ranges_mut(pool, &mut out, nt, |rows, piece| {
            let mut has = vec![false; rows.len() * nt];
            f.for_each_leaf(x, c, rows, |r, start, len| {
                for &(t, w) in &f.weights[start..start + len] {
                    self.aggregate.add(&mut piece[r * nt + t], &mut has[r * nt + t], A::from_f64(w));
                }
            });
            // A target no tree reached stays 0.
            for (v, h) in piece.iter_mut().zip(&has) {
                if !h {
                    *v = A::ZERO;
                } else if self.aggregate == Aggregate::Average {
                    *v = *v / trees;
                }
            }
        })?;
        self.post.apply_rows(&mut out, nt);
        Ok(out)
    }
}

impl Kernel for TreeEnsemble {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        let (n, c) = batch_dims(x, &what)?;
        self.forest.check_features(c, &what)?;
        let shape = vec![n, self.n_targets];
        let out = match x.dtype() {
            DataType::Float => Tensor::from_vec(shape, self.run(ctx, x.data::<f32>()?, n, c)?)?,
            DataType::Double => Tensor::from_vec(shape, self.run(ctx, x.data::<f64>()?, n, c)?)?,
            DataType::Float16 => {
                let xs: Vec<f32> = x.data::<f16>()?.iter().map(|v| v.to_f32()).collect();
                Tensor::from_vec(shape, self.run(ctx, &xs, n, c)?.into_iter().map(f16::from_f32).collect())?
            }
            d => bail!(InvalidArgument, "{what}: input must be float, double or float16, got {d}"),
        };
        ctx.set_output(0, out)
    }
}
