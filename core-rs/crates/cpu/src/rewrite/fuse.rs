//! Graph fusions applied before planning (optimization level 2, "extended", and up). Each removes
//! whole passes over large activations, which are memory-bound:
//! - Conv followed by a chain of inference BatchNormalization and per-channel Mul/Add with
//!   constants: the composed scale and shift move into the Conv's weight and bias.
//! - `x * clip(x + 3, 0, 6) / 6`: one HardSwish node.
//!
//! A node is folded away only when its output has a single consumer and is not a graph
//! output, so no value the model exposes or reuses changes.

use onnxrun_core::session::free_names;
use onnxrun_core::{Attribute, DataType, Graph, Node, Tensor};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

static FUSED: AtomicUsize = AtomicUsize::new(0);

/// Names and values of the constants a graph defines: initializers that are not graph
/// inputs, and Constant nodes holding a tensor.
fn constants<'a>(g: &'a Graph, nodes: &'a [Node]) -> HashMap<&'a str, &'a Tensor> {
    let inputs: HashSet<&str> = g.inputs.iter().map(|v| v.name.as_str()).collect();
    let mut out: HashMap<&str, &Tensor> = g.initializers.iter().filter(|(n, _)| !inputs.contains(n.as_str())).map(|(n, t)| (n.as_str(), t)).collect();
    for n in nodes.iter().filter(|n| n.op_type == "Constant" && n.domain.is_empty() && n.outputs.len() == 1) {
        if let Some(Attribute::Tensor(t)) = n.attr("value") {
            out.insert(n.outputs[0].as_str(), t);
        }
    }
    out
}

/// One f32 value of a constant that holds a single element.
fn scalar(t: &Tensor) -> Option<f32> {
    match t.dtype() {
        DataType::Float if t.len() == 1 => t.data::<f32>().ok().map(|d| d[0]),
        _ => None,
    }
}

struct Graphs<'a> {
    nodes: Vec<Node>,
    consts: HashMap<&'a str, &'a Tensor>,
    /// How many nodes (or graph outputs, or subgraphs) read each value.
    uses: HashMap<String, usize>,
    removed: Vec<bool>,
}

impl Graphs<'_> {
    /// The one node that reads `value`, when exactly one does and it is not exposed.
    fn sole_consumer(&self, value: &str) -> Option<usize> {
        if self.uses.get(value) != Some(&1) {
            return None;
        }
        (0..self.nodes.len()).find(|&i| !self.removed[i] && self.nodes[i].domain.is_empty() && self.nodes[i].inputs.iter().any(|s| s == value))
    }

    /// The operand of binary node `n` other than `value`, if it is a float constant.
    fn other_const(&self, n: usize, value: &str) -> Option<&Tensor> {
        let node = &self.nodes[n];
        if node.inputs.len() != 2 {
            return None;
        }
        let other = if node.inputs[0] == value { &node.inputs[1] } else { &node.inputs[0] };
        if other == value {
            return None;
        }
        self.consts.get(other.as_str()).copied().filter(|t| t.dtype() == DataType::Float)
    }
}

/// `nodes` with the fusions applied.
pub fn fuse(nodes: Vec<Node>, g: &Graph) -> Vec<Node> {
    if !nodes.iter().any(|n| matches!(n.op_type.as_str(), "Conv" | "Clip")) {
        return nodes;
    }
    let consts = constants(g, &nodes);
    let mut uses: HashMap<String, usize> = HashMap::new();
    for n in &nodes {
        let implicit = n.subgraphs().flat_map(|(_, sg)| free_names(sg));
        for i in n.inputs.iter().cloned().chain(implicit).filter(|i| !i.is_empty()) {
            *uses.entry(i).or_default() += 1;
        }
    }
    for o in &g.outputs {
        *uses.entry(o.name.clone()).or_default() += 2;
    }
    let removed = vec![false; nodes.len()];
    let mut gs = Graphs { nodes: nodes.clone(), consts, uses, removed };
    let mut extra = vec![];
    for i in 0..gs.nodes.len() {
        if gs.removed[i] || !gs.nodes[i].domain.is_empty() {
            continue;
        }
        match gs.nodes[i].op_type.as_str() {
            "Conv" => conv_affine(&mut gs, i, &mut extra),
            "Add" => hard_swish(&mut gs, i),
            _ => {}
        }
    }
    let Graphs { nodes, removed, .. } = gs;
    let kept: Vec<Node> = nodes.into_iter().zip(removed).filter(|(_, r)| !r).map(|(n, _)| n).chain(extra).collect();
    // Constants the fusions replaced (the unscaled weights) would otherwise stay in memory.
    let mut read: HashSet<String> = g.outputs.iter().map(|o| o.name.clone()).collect();
    for n in &kept {
        read.extend(n.inputs.iter().cloned().chain(n.subgraphs().flat_map(|(_, sg)| free_names(sg))));
    }
    kept.into_iter().filter(|n| n.op_type != "Constant" || !n.domain.is_empty() || n.outputs.iter().any(|o| read.contains(o))).collect()
}

/// Per-output-channel values of a constant broadcast against a Conv output of rank
/// `rank` with `m` channels: a single value, or shape [.., m, 1, .., 1] (channel at axis 1).
fn per_channel(t: &Tensor, m: usize, rank: usize) -> Option<Vec<f32>> {
    let d = t.data::<f32>().ok()?;
    if d.len() == 1 {
        return Some(vec![d[0]; m]);
    }
    let s = t.shape();
    if s.len() > rank || s.len() < rank - 1 || d.len() != m {
        return None;
    }
    // Aligned to the output's trailing axes, the channel axis is index s.len() - (rank - 1).
    let ch = s.len() + 1 - rank;
    (s[ch] == m && s.iter().enumerate().all(|(i, &v)| i == ch || v == 1)).then(|| d.to_vec())
}

fn conv_affine(gs: &mut Graphs<'_>, i: usize, extra: &mut Vec<Node>) {
    let conv = &gs.nodes[i];
    let (Some(w), y) = (conv.inputs.get(1).and_then(|w| gs.consts.get(w.as_str()).copied()), conv.outputs[0].clone()) else { return };
    if w.dtype() != DataType::Float || w.rank() < 3 || conv.outputs.len() != 1 {
        return;
    }
    let bias = match conv.inputs.get(2).filter(|b| !b.is_empty()) {
        Some(b) => match gs.consts.get(b.as_str()) {
            Some(t) if t.dtype() == DataType::Float => t.data::<f32>().ok().map(|d| d.to_vec()),
            _ => return,
        },
        None => None,
    };
    let (m, rank) = (w.shape()[0], w.rank());
    // y = conv * scale + shift, composed over the chain of per-channel ops that follows.
    let mut scale = vec![1.0f32; m];
    let mut shift = vec![0.0f32; m];
    let mut out = y.clone();
    let mut drop = vec![];
    while let Some(c) = gs.sole_consumer(&out) {
        let node = &gs.nodes[c];
        match node.op_type.as_str() {
            "Mul" | "Add" => {
                let Some(v) = gs.other_const(c, &out).and_then(|t| per_channel(t, m, rank)) else { break };
                if node.op_type == "Mul" {
                    scale.iter_mut().zip(&v).for_each(|(a, b)| *a *= b);
                    shift.iter_mut().zip(&v).for_each(|(a, b)| *a *= b);
                } else {
                    shift.iter_mut().zip(&v).for_each(|(a, b)| *a += b);
                }
            }
            "BatchNormalization" => {
                let Some((a, b)) = batch_norm(gs, c, &out, m) else { break };
                scale.iter_mut().zip(&a).for_each(|(s, a)| *s *= a);
                shift.iter_mut().zip(a.iter().zip(&b)).for_each(|(t, (a, b))| *t = *t * a + b);
            }
            _ => break,
        }
        out = gs.nodes[c].outputs[0].clone();
        drop.push(c);
    }
    if drop.is_empty() {
        return;
    }
    let Ok(wd) = w.data::<f32>() else { return };
    let per = wd.len() / m.max(1);
    let new_w: Vec<f32> = wd.iter().enumerate().map(|(k, &v)| v * scale[k / per]).collect();
    let new_b: Vec<f32> = bias.unwrap_or_else(|| vec![0.0; m]).iter().zip(scale.iter().zip(&shift)).map(|(b, (s, t))| b * s + t).collect();
    let (Ok(wt), Ok(bt)) = (Tensor::from_vec(w.shape().to_vec(), new_w), Tensor::from_vec(vec![m], new_b)) else { return };
    let id = FUSED.fetch_add(1, Ordering::Relaxed);
    let (wn, bn) = (format!("{y}__fused_w{id}"), format!("{y}__fused_b{id}"));
    for (name, t) in [(&wn, wt), (&bn, bt)] {
        extra.push(Node {
            name: format!("{name}/Constant"),
            op_type: "Constant".into(),
            outputs: vec![name.clone()],
            attrs: vec![("value".into(), Attribute::Tensor(t))],
            ..Default::default()
        });
    }
    let conv = &mut gs.nodes[i];
    conv.inputs.truncate(2);
    conv.inputs[1] = wn;
    conv.inputs.push(bn);
    conv.outputs[0] = out;
    for c in drop {
        gs.removed[c] = true;
    }
}

/// Inference BatchNormalization `c` of `value` with constant statistics, as per-channel
/// (scale, shift): scale = gamma / sqrt(var + epsilon), shift = beta - mean * scale.
fn batch_norm(gs: &Graphs<'_>, c: usize, value: &str, m: usize) -> Option<(Vec<f32>, Vec<f32>)> {
    let n = &gs.nodes[c];
    let training = matches!(n.attr("training_mode"), Some(Attribute::Int(t)) if *t != 0);
    if n.inputs.len() != 5 || n.inputs[0] != value || n.outputs.len() != 1 || training {
        return None;
    }
    let eps = match n.attr("epsilon") {
        Some(Attribute::Float(e)) => *e,
        _ => 1e-5,
    };
    let vals: Vec<&[f32]> = n.inputs[1..]
        .iter()
        .map(|i| gs.consts.get(i.as_str()).filter(|t| t.dtype() == DataType::Float && t.len() == m).and_then(|t| t.data::<f32>().ok()))
        .collect::<Option<_>>()?;
    let (gamma, beta, mean, var) = (vals[0], vals[1], vals[2], vals[3]);
    let scale: Vec<f32> = gamma.iter().zip(var).map(|(g, v)| g / (v + eps).sqrt()).collect();
    let shift = beta.iter().zip(mean).zip(&scale).map(|((b, mu), s)| b - mu * s).collect();
    Some((scale, shift))
}

/// Add(x, 3) → Clip(0, 6) → Mul(x, ·) → Div(·, 6) (or Mul by 1/6): HardSwish(x).
fn hard_swish(gs: &mut Graphs<'_>, add: usize) {
    let n = &gs.nodes[add];
    let Some(x) = n.inputs.iter().find(|s| !gs.consts.contains_key(s.as_str())).cloned() else { return };
    if gs.other_const(add, &x).and_then(scalar) != Some(3.0) {
        return;
    }
    let a = n.outputs[0].clone();
    let Some(clip) = gs.sole_consumer(&a).filter(|&c| gs.nodes[c].op_type == "Clip" && gs.nodes[c].inputs[0] == a) else { return };
    let bound = |k: usize, attr: &str| -> Option<f32> {
        let c = &gs.nodes[clip];
        match c.inputs.get(k).filter(|s| !s.is_empty()) {
            Some(s) => gs.consts.get(s.as_str()).copied().and_then(scalar),
            None => match c.attr(attr) {
                Some(Attribute::Float(v)) => Some(*v),
                _ => None,
            },
        }
    };
    if bound(1, "min") != Some(0.0) || bound(2, "max") != Some(6.0) {
        return;
    }
    let b = gs.nodes[clip].outputs[0].clone();
    let Some(mul) = gs.sole_consumer(&b).filter(|&c| {
        let m = &gs.nodes[c];
        m.op_type == "Mul" && m.inputs.len() == 2 && m.inputs.contains(&x) && m.inputs.contains(&b)
    }) else {
        return;
    };
    let p = gs.nodes[mul].outputs[0].clone();
    let Some(div) = gs.sole_consumer(&p).filter(|&c| {
        let d = &gs.nodes[c];
        let k = gs.other_const(c, &p).and_then(scalar);
        (d.op_type == "Div" && d.inputs[0] == p && k == Some(6.0)) || (d.op_type == "Mul" && k == Some(1.0 / 6.0))
    }) else {
        return;
    };
    let out = gs.nodes[div].outputs[0].clone();
    // The Add node becomes the HardSwish; x keeps its other readers (the Mul read it too).
    if let Some(u) = gs.uses.get_mut(&x) {
        *u -= 1;
    }
    let hs = &mut gs.nodes[add];
    hs.op_type = "HardSwish".into();
    hs.inputs = vec![x];
    hs.outputs = vec![out];
    hs.attrs.clear();
    hs.opset = Some(14);
    for r in [clip, mul, div] {
        gs.removed[r] = true;
    }
}
