//! Mutations of a seed model: byte-level ones over its serialized form (flips, interesting
//! bytes, chunk insert/delete/duplicate, truncation, broken varints and wire types, splices
//! from other seeds) and structure-aware ones over its decoded fields (dims, element types,
//! attributes, node wiring, op types, opsets, raw_data lengths, nodes and graph inputs,
//! If/Loop subgraphs, external data paths that must be refused, sparse initializers).

use crate::rng::Rng;
use crate::wire::{self, Kind, Msg, Val};
use std::path::{Component, Path};

pub struct Mutant {
    pub bytes: Vec<u8>,
    /// What was done, for reports.
    pub steps: Vec<&'static str>,
}

/// Other seeds to splice from, and where the file outside the model folder lives.
pub struct Donors {
    pub bytes: Vec<Vec<u8>>,
    pub trees: Vec<Msg>,
    pub outside_abs: String,
}

const INTERESTING_I64: [i64; 12] = [0, -1, 1, 2, 3, -2, 1 << 20, 1 << 31, 1 << 40, i64::MAX, i64::MIN, i32::MAX as i64];
const INTERESTING_BYTES: [u8; 7] = [0, 0xff, 0x7f, 0x80, 1, 0xfe, 0x08];
const OPS: [&str; 60] = [
    "Add", "Sub", "Mul", "Div", "MatMul", "Gemm", "Relu", "Softmax", "Conv", "ConvTranspose", "MaxPool", "AveragePool",
    "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Concat", "Split", "Slice", "Gather", "GatherElements",
    "GatherND", "ScatterND", "ScatterElements", "Shape", "Size", "Tile", "Expand", "ConstantOfShape", "Range", "Cast",
    "Identity", "If", "Loop", "Scan", "Where", "Pad", "Resize", "TopK", "ArgMax", "ReduceSum", "Einsum", "LSTM",
    "NonZero", "OneHot", "CumSum", "DepthToSpace", "Constant", "SequenceConstruct", "SplitToSequence", "OptionalGetElement",
    "StringNormalizer", "Unique", "Compress", "NonMaxSuppression", "QuantizeLinear", "DFT", "ReverseSequence", "NoSuchOp",
];
const DOMAINS: [&str; 6] = ["", "ai.onnx", "ai.onnx.ml", "com.microsoft", "ai.onnx.preview.training", "no.such.domain"];
const ATTR_NAMES: [&str; 24] = [
    "axis", "axes", "perm", "kernel_shape", "pads", "strides", "dilations", "group", "to", "value", "body", "then_branch",
    "else_branch", "shape", "keepdims", "mode", "alpha", "transB", "auto_pad", "k", "num_scan_inputs", "epsilon", "hidden_size", "x",
];
const OPSETS: [i64; 14] = [0, 1, 6, 7, 9, 11, 13, 17, 21, 25, 28, 29, -1, i64::MAX];
const OFFSETS: [&str; 8] = ["0", "4", "16", "17", "-1", "18446744073709551615", "abc", "99999999999"];

pub fn mutate(rng: &mut Rng, seed: &[u8], donors: &Donors) -> Mutant {
    let mut m = Mutant { bytes: seed.to_vec(), steps: Vec::new() };
    // 10% none (the seed as is, for fuzzed feeds), 35% bytes, 45% structure, 10% both; one
    // change mostly, since every extra one makes a loadable model less likely.
    let mode = rng.below(20);
    let changes = |rng: &mut Rng| rng.choose(&[1, 1, 1, 1, 1, 1, 2, 2, 2, 3]);
    if mode >= 9 {
        if let Some(mut tree) = wire::decode(Kind::Model, seed) {
            for _ in 0..changes(rng) {
                // An op that finds nothing to change says so; try another.
                for _ in 0..8 {
                    let (name, op) = rng.choose(&STRUCTURE_OPS);
                    if op(&mut tree, rng, donors) {
                        m.steps.push(name);
                        break;
                    }
                }
            }
            m.bytes = wire::encode(&tree);
        }
    }
    if (2..9).contains(&mode) || mode >= 18 {
        for _ in 0..changes(rng) {
            m.steps.push(mutate_bytes(&mut m.bytes, rng, donors));
        }
    }
    if m.steps.is_empty() {
        m.steps.push("as-is");
    }
    m
}

fn pos(rng: &mut Rng, len: usize) -> usize {
    // Big fixtures are mostly tensor data; the structure sits near the ends.
    match rng.below(3) {
        0 => rng.below(len.min(4096)),
        1 => len.saturating_sub(1 + rng.below(len.min(4096))),
        _ => rng.below(len),
    }
}

fn mutate_bytes(b: &mut Vec<u8>, rng: &mut Rng, donors: &Donors) -> &'static str {
    if b.is_empty() {
        b.extend((0..1 + rng.below(16)).map(|_| rng.next() as u8));
        return "bytes-insert";
    }
    let len = b.len();
    let i = pos(rng, len);
    match rng.below(9) {
        0 => {
            for _ in 0..1 + rng.below(4) {
                let j = pos(rng, len);
                b[j] ^= 1 << rng.below(8);
            }
            "bit-flip"
        }
        1 => {
            b[i] = rng.choose(&INTERESTING_BYTES);
            "byte-set"
        }
        2 => {
            let ins: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next() as u8).collect();
            b.splice(i..i, ins);
            "bytes-insert"
        }
        3 => {
            let n = (1 + rng.below(64)).min(len - i);
            b.drain(i..i + n);
            "bytes-delete"
        }
        4 => {
            let n = (1 + rng.below(64)).min(len - i);
            let chunk = b[i..i + n].to_vec();
            let j = pos(rng, len);
            b.splice(j..j, chunk);
            "bytes-duplicate"
        }
        5 => {
            b.truncate(rng.below(len));
            "truncate"
        }
        6 => {
            const BAD_VARINTS: [&[u8]; 4] = [&[0xff; 11], &[0xff, 0xff, 0xff, 0xff, 0x0f], &[0x80; 10], &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]];
            let v = rng.choose(&BAD_VARINTS);
            let end = (i + v.len()).min(len);
            b.splice(i..end, v.iter().copied());
            "varint-corrupt"
        }
        7 => {
            b[i] = (b[i] & !7) | rng.choose(&[3u8, 4, 6, 7]);
            "wire-type"
        }
        _ => {
            let d = rng.pick(&donors.bytes);
            if d.is_empty() {
                return "splice-none";
            }
            let s = rng.below(d.len());
            let n = (1 + rng.below(256)).min(d.len() - s);
            b.splice(i..i, d[s..s + n].iter().copied());
            "bytes-splice"
        }
    }
}

type StructureOp = fn(&mut Msg, &mut Rng, &Donors) -> bool;

const STRUCTURE_OPS: [(&str, StructureOp); 19] = [
    ("tensor-dims", tensor_dims),
    ("shape-dims", shape_dims),
    ("elem-type", elem_type),
    ("attr-value", attr_value),
    ("attr-drop-dup", attr_drop_dup),
    ("node-io", node_io),
    ("op-type", op_type),
    ("domain", domain),
    ("opset", opset),
    ("raw-data", raw_data),
    ("graph-nodes", graph_nodes),
    ("graph-io", graph_io),
    ("graph-empty", graph_empty),
    ("external-data", external_data),
    ("ir-version", ir_version),
    ("splice", splice),
    ("nest", nest),
    ("subgraph-swap", subgraph_swap),
    ("sparse", sparse),
];

fn pick<'a>(tree: &'a mut Msg, kind: Kind, rng: &mut Rng) -> Option<&'a mut Msg> {
    let n = wire::count(tree, kind);
    let mut k = rng.below(n);
    if n == 0 {
        None
    } else {
        wire::nth_mut(tree, kind, &mut k)
    }
}

fn int(rng: &mut Rng) -> Val {
    Val::Varint(rng.choose(&INTERESTING_I64) as u64)
}

fn name(s: &str) -> Val {
    Val::Bytes(s.as_bytes().to_vec())
}

/// Sets a random occurrence of `field` (or appends one when there is none).
fn set_one(m: &mut Msg, field: u32, v: Val, rng: &mut Rng) {
    let at = m.positions(field);
    if at.is_empty() {
        m.fields.push((field, v));
    } else {
        m.fields[at[rng.below(at.len())]].1 = v;
    }
}

fn remove_one(m: &mut Msg, field: u32, rng: &mut Rng) -> bool {
    let at = m.positions(field);
    if at.is_empty() {
        return false;
    }
    m.fields.remove(at[rng.below(at.len())]);
    true
}

/// Appends a copy of a random occurrence of `field`.
fn dup_one(m: &mut Msg, field: u32, rng: &mut Rng) -> bool {
    let at = m.positions(field);
    if at.is_empty() {
        return false;
    }
    let dup = m.fields[at[rng.below(at.len())]].clone();
    m.fields.push(dup);
    true
}

fn tensor_dims(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let Some(t) = pick(t, Kind::Tensor, rng) else { return false };
    match rng.below(3) {
        0 => t.fields.push((1, int(rng))),
        1 => return remove_one(t, 1, rng),
        _ => set_one(t, 1, int(rng), rng),
    }
    true
}

fn shape_dims(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    if rng.one_in(3) {
        let Some(s) = pick(t, Kind::Shape, rng) else { return false };
        if rng.one_in(2) {
            return remove_one(s, 1, rng);
        }
        s.fields.push((1, Val::Msg(Msg::new(Kind::Dim).int(1, rng.choose(&INTERESTING_I64)))));
        return true;
    }
    let Some(d) = pick(t, Kind::Dim, rng) else { return false };
    if rng.one_in(3) {
        d.remove(1);
        d.set(2, name("sym"));
    } else {
        d.remove(2);
        d.set(1, int(rng));
    }
    true
}

fn elem_type(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let v = if rng.one_in(4) { rng.choose(&[-1, 40, i32::MAX as i64, 1 << 40]) } else { rng.below(27) as i64 };
    let (kind, field) = if rng.one_in(2) { (Kind::Tensor, 2) } else { (Kind::TypeTensor, 1) };
    let Some(m) = pick(t, kind, rng) else { return false };
    m.set(field, Val::Varint(v as u64));
    true
}

fn attr_value(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let Some(a) = pick(t, Kind::Attr, rng) else { return false };
    match rng.below(7) {
        0 => a.set(3, int(rng)),
        1 => a.set(2, Val::Fixed32(rng.pick(&[f32::NAN, f32::INFINITY, -0.0, 1e30, -1.0]).to_bits())),
        2 => a.set(20, Val::Varint(rng.choose(&[0u64, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 99]))),
        3 => set_one(a, 8, int(rng), rng),
        4 => a.set(1, name(rng.choose(&ATTR_NAMES))),
        5 => a.set(4, name(rng.choose(&["", "UPPER", "NOTSET", "SAME_UPPER", "constant", "\u{ff}"]))),
        _ => {
            a.remove(5);
            a.remove(6);
        }
    }
    true
}

fn attr_drop_dup(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let Some(n) = pick(t, Kind::Node, rng) else { return false };
    if rng.one_in(2) {
        remove_one(n, 5, rng)
    } else {
        dup_one(n, 5, rng)
    }
}

fn node_io(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let Some(n) = pick(t, Kind::Node, rng) else { return false };
    let ins = n.positions(1);
    let outs = n.positions(2);
    match rng.below(8) {
        0 if ins.len() >= 2 => {
            let (a, b) = (ins[rng.below(ins.len())], ins[rng.below(ins.len())]);
            let va = n.fields[a].1.clone();
            n.fields[a].1 = std::mem::replace(&mut n.fields[b].1, va);
        }
        1 => set_one(n, 1, name(rng.choose(&["dangling", "", "x"])), rng),
        2 if !outs.is_empty() => {
            // Its own output as an input: a cycle.
            let o = n.fields[outs[0]].1.clone();
            set_one(n, 1, o, rng);
        }
        3 => n.fields.push((1, name(rng.choose(&["x", "", "extra_in"])))),
        4 => return remove_one(n, 1, rng),
        5 => set_one(n, 2, name(rng.choose(&["x", "y", "", "h1", "one"])), rng),
        6 => n.fields.push((2, name("extra_out"))),
        _ => n.remove(2),
    }
    true
}

fn op_type(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let Some(n) = pick(t, Kind::Node, rng) else { return false };
    n.set(4, name(rng.choose(&OPS)));
    true
}

fn domain(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let Some(n) = pick(t, Kind::Node, rng) else { return false };
    n.set(7, name(rng.choose(&DOMAINS)));
    true
}

fn opset(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    match rng.below(8) {
        0 => {
            t.remove(8);
        }
        1 | 2 => t.fields.push((8, Val::Msg(Msg::new(Kind::Opset).str(1, rng.choose(&DOMAINS)).int(2, rng.choose(&OPSETS))))),
        _ => {
            let Some(o) = pick(t, Kind::Opset, rng) else { return false };
            o.set(2, Val::Varint(rng.choose(&OPSETS) as u64));
        }
    }
    true
}

fn raw_data(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let Some(tensor) = pick(t, Kind::Tensor, rng) else { return false };
    let mut raw = match tensor.fields.iter().rev().find(|(f, _)| *f == 9) {
        Some((_, Val::Bytes(b))) => b.clone(),
        _ => Vec::new(),
    };
    match rng.below(4) {
        0 => raw.truncate(rng.below(raw.len() + 1)),
        1 => raw.extend((0..1 + rng.below(9)).map(|_| rng.next() as u8)),
        // The right length, any bits: NaN weights, out-of-range indices and shapes.
        2 => raw.iter_mut().for_each(|b| *b = rng.next() as u8),
        _ => raw = (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
    }
    tensor.set(9, Val::Bytes(raw));
    true
}

fn graph_nodes(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let Some(g) = pick(t, Kind::Graph, rng) else { return false };
    match rng.below(3) {
        0 => remove_one(g, 1, rng),
        1 => dup_one(g, 1, rng),
        _ => {
            // Reversed order: the graph's nodes are no longer topologically sorted.
            let at = g.positions(1);
            let mut nodes: Vec<_> = at.iter().map(|&i| g.fields[i].clone()).collect();
            nodes.reverse();
            for (&i, n) in at.iter().zip(nodes) {
                g.fields[i] = n;
            }
            at.len() > 1
        }
    }
}

fn graph_io(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let Some(g) = pick(t, Kind::Graph, rng) else { return false };
    match rng.below(4) {
        0 => remove_one(g, 11, rng),
        1 => remove_one(g, 12, rng),
        2 => dup_one(g, 11, rng),
        _ => {
            let out = rng.choose(&["dangling", "h1", "w", "one", ""]);
            g.fields.push((12, Val::Msg(Msg::new(Kind::ValueInfo).str(1, out))));
            true
        }
    }
}

/// No nodes, each output renamed to an input: a pass-through graph (an empty Loop body
/// runs no step at all per iteration).
fn graph_empty(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    // Mostly a subgraph (the top graph comes first in depth-first order).
    let n = wire::count(t, Kind::Graph);
    let mut k = if n > 1 && !rng.one_in(4) { 1 + rng.below(n - 1) } else { rng.below(n) };
    let Some(g) = wire::nth_mut(t, Kind::Graph, &mut k) else { return false };
    let inputs: Vec<Val> = g.children(11).filter_map(|vi| vi.fields.iter().find(|(f, _)| *f == 1).map(|(_, v)| v.clone())).collect();
    if inputs.is_empty() {
        return false;
    }
    g.remove(1);
    let shift = rng.below(inputs.len());
    let mut j = 0;
    for (f, v) in g.fields.iter_mut() {
        if let (12, Val::Msg(out)) = (*f, v) {
            out.set(1, inputs[(j + shift) % inputs.len()].clone());
            j += 1;
        }
    }
    true
}

/// Locations a model may name for external data; whether each escapes is computed.
fn locations(outside_abs: &str) -> [String; 14] {
    [
        "../outside.bin", "../../../../../etc/passwd", "/etc/passwd", "escape.bin", "./escape.bin",
        "weights.bin/../../outside.bin", "./../outside.bin", "sub/../weights.bin", "weights.bin", "./weights.bin",
        "", ".", "missing.bin", outside_abs,
    ]
    .map(String::from)
}

/// Absolute, climbing, or through the symlink `escape.bin` that Workdir points outside.
fn escapes(location: &str) -> bool {
    let p = Path::new(location);
    p.components().any(|c| matches!(c, Component::ParentDir | Component::RootDir | Component::Prefix(_)))
        || p.components().find(|c| !matches!(c, Component::CurDir)) == Some(Component::Normal("escape.bin".as_ref()))
}

fn external_data(t: &mut Msg, rng: &mut Rng, d: &Donors) -> bool {
    let Some(g) = t.fields.iter_mut().find_map(|(f, v)| match v {
        Val::Msg(g) if *f == 7 => Some(g),
        _ => None,
    }) else {
        return false;
    };
    if g.positions(5).is_empty() {
        g.fields.push((5, Val::Msg(Msg::new(Kind::Tensor).int(1, 4).int(2, 1).str(8, "ext"))));
    }
    let at = g.positions(5);
    let Val::Msg(tensor) = &mut g.fields[at[rng.below(at.len())]].1 else { return false };
    tensor.remove(9);
    tensor.remove(13);
    tensor.set(14, Val::Varint(1));
    let loc = rng.pick(&locations(&d.outside_abs)).clone();
    tensor.fields.push((13, Val::Msg(Msg::new(Kind::Entry).str(1, "location").str(2, &loc))));
    for key in ["offset", "length"] {
        if rng.one_in(2) {
            tensor.fields.push((13, Val::Msg(Msg::new(Kind::Entry).str(1, key).str(2, rng.choose(&OFFSETS)))));
        }
    }
    true
}

/// The last value of a bytes field, as protobuf reads a singular one.
fn last_bytes(m: &Msg, field: u32) -> Option<&[u8]> {
    m.fields.iter().rev().find_map(|(f, v)| match v {
        Val::Bytes(b) if *f == field => Some(b.as_slice()),
        _ => None,
    })
}

/// Whether a top-level initializer of `model` reads external data from an escaping
/// location: the loader reads every one of them, so such a model must not load.
pub fn must_refuse(model: &[u8]) -> bool {
    let Some(model) = wire::decode(Kind::Model, model) else { return false };
    let escaping = model.children(7).flat_map(|g| g.children(5)).any(|t| {
        let location = t.children(13).filter(|e| last_bytes(e, 1) == Some(b"location")).last().and_then(|e| last_bytes(e, 2));
        t.varint(14) == Some(1) && location.and_then(|l| std::str::from_utf8(l).ok()).is_some_and(escapes)
    });
    escaping
}

fn ir_version(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    t.set(1, Val::Varint(rng.choose(&[0i64, 1, 2, 3, 4, 7, 10, 14, 15, -1, i64::MAX]) as u64));
    true
}

/// A node or initializer of another seed dropped into one of this model's graphs.
fn splice(t: &mut Msg, rng: &mut Rng, d: &Donors) -> bool {
    let mut donor = rng.pick(&d.trees).clone();
    let (kind, field) = rng.choose(&[(Kind::Node, 1), (Kind::Tensor, 5), (Kind::ValueInfo, 11)]);
    let Some(part) = pick(&mut donor, kind, rng).cloned() else { return false };
    let Some(g) = pick(t, Kind::Graph, rng) else { return false };
    g.fields.push((field, Val::Msg(part)));
    true
}

fn has_graph_attr(n: &Msg) -> bool {
    n.children(5).any(|a| a.children(6).next().is_some())
}

/// A control-flow node copied into one of its own subgraphs, level after level: deep
/// nesting (each level adds one copy, so the model grows linearly).
fn nest(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let Some(n) = pick(t, Kind::Node, rng) else { return false };
    if !has_graph_attr(n) {
        return false;
    }
    let original = n.clone();
    let mut inner = original.clone();
    for _ in 0..1 + rng.below(40) {
        let mut outer = original.clone();
        let Some(g) = pick(&mut outer, Kind::Graph, rng) else { return false };
        g.fields.push((1, Val::Msg(inner)));
        inner = outer;
    }
    *n = inner;
    true
}

fn subgraph_swap(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let top = t.children(7).next().cloned();
    let Some(a) = pick(t, Kind::Attr, rng) else { return false };
    if a.children(6).next().is_none() {
        return false;
    }
    match (rng.below(3), top) {
        (0, Some(top)) => a.set(6, Val::Msg(top)),
        (1, _) => a.remove(6),
        _ => a.set(6, Val::Msg(Msg::new(Kind::Graph).str(2, "empty"))),
    }
    true
}

/// A sparse initializer with random (often out-of-range) indices in either layout.
fn sparse(t: &mut Msg, rng: &mut Rng, _: &Donors) -> bool {
    let Some(g) = pick(t, Kind::Graph, rng) else { return false };
    let k = rng.below(4) as i64;
    let dims: Vec<i64> = (0..1 + rng.below(3)).map(|_| if rng.one_in(8) { rng.choose(&INTERESTING_I64) } else { rng.below(5) as i64 }).collect();
    let coords = rng.one_in(2);
    let n_idx = if coords { k * dims.len() as i64 } else { k };
    let values = Msg::new(Kind::Tensor).int(1, k).int(2, 1).str(8, rng.choose(&["sp", "x", "w1"])).bytes(9, (0..k * 4).map(|_| rng.next() as u8).collect());
    let idx_bytes = (0..n_idx).flat_map(|_| (rng.below(8) as i64 - 1).to_le_bytes()).collect();
    let idx_dims = if coords { vec![k, dims.len() as i64] } else { vec![k] };
    let indices = idx_dims.iter().fold(Msg::new(Kind::Tensor), |m, &d| m.int(1, d)).int(2, 7).bytes(9, idx_bytes);
    let sp = dims.iter().fold(Msg::new(Kind::Sparse).msg(1, values).msg(2, indices), |m, &dim| m.int(3, dim));
    g.fields.push((15, Val::Msg(sp)));
    true
}
