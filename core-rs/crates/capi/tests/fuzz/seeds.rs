//! Seed models: small valid graphs built here (one per op family the loader and planner
//! treat specially: MLP, Conv/pool/Reshape, If and Loop subgraphs, indexing, size-computing
//! ops, strings, external data), plus the .onnx fixtures committed in the repo.

use crate::wire::{Kind, Msg};
use std::path::Path;

pub struct Seed {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Built here, so all-ones feeds of its declared shapes must run (checked first).
    pub built: bool,
}

const FLOAT: i64 = 1;
const INT64: i64 = 7;
const STRING: i64 = 8;
const BOOL: i64 = 9;

/// Bytes of the external data file `weights.bin` (see Workdir): four floats.
pub const WEIGHTS: [f32; 4] = [0.5, -1.0, 2.0, 4.0];

fn node(op: &str, ins: &[&str], outs: &[&str], attrs: Vec<Msg>) -> Msg {
    let n = ins.iter().fold(Msg::new(Kind::Node), |m, i| m.str(1, i));
    let n = outs.iter().fold(n, |m, o| m.str(2, o));
    n.str(3, &format!("{op}_{}", outs.first().unwrap_or(&""))).str(4, op).msgs(5, attrs)
}

fn attr(name: &str, ty: i64) -> Msg {
    Msg::new(Kind::Attr).str(1, name).int(20, ty)
}
fn attr_int(name: &str, v: i64) -> Msg {
    attr(name, 2).int(3, v)
}
fn attr_ints(name: &str, vs: &[i64]) -> Msg {
    vs.iter().fold(attr(name, 7), |m, &v| m.int(8, v))
}
fn attr_str(name: &str, s: &str) -> Msg {
    attr(name, 3).str(4, s)
}
fn attr_graph(name: &str, g: Msg) -> Msg {
    attr(name, 5).msg(6, g)
}
fn attr_tensor(name: &str, t: Msg) -> Msg {
    attr(name, 4).msg(5, t)
}

fn tensor(name: &str, elem: i64, dims: &[i64]) -> Msg {
    dims.iter().fold(Msg::new(Kind::Tensor), |m, &d| m.int(1, d)).int(2, elem).str(8, name)
}
/// Floats in `raw_data` (9) or packed `float_data` (4): the loader reads both.
fn floats(name: &str, dims: &[i64], v: &[f32], raw: bool) -> Msg {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    tensor(name, FLOAT, dims).bytes(if raw { 9 } else { 4 }, bytes)
}
fn int64s(name: &str, dims: &[i64], v: &[i64]) -> Msg {
    tensor(name, INT64, dims).bytes(9, v.iter().flat_map(|x| x.to_le_bytes()).collect())
}
fn entry(k: &str, v: &str) -> Msg {
    Msg::new(Kind::Entry).str(1, k).str(2, v)
}

/// A tensor value info; a negative dim is a symbolic one.
fn value(name: &str, elem: i64, dims: &[i64]) -> Msg {
    let shape = dims.iter().enumerate().fold(Msg::new(Kind::Shape), |s, (i, &d)| {
        let dim = if d < 0 { Msg::new(Kind::Dim).str(2, &format!("d{i}")) } else { Msg::new(Kind::Dim).int(1, d) };
        s.msg(1, dim)
    });
    let tt = Msg::new(Kind::TypeTensor).int(1, elem).msg(2, shape);
    Msg::new(Kind::ValueInfo).str(1, name).msg(2, Msg::new(Kind::Type).msg(1, tt))
}

fn graph(name: &str, nodes: Vec<Msg>, inits: Vec<Msg>, inputs: Vec<Msg>, outputs: Vec<Msg>) -> Msg {
    Msg::new(Kind::Graph).msgs(1, nodes).str(2, name).msgs(5, inits).msgs(11, inputs).msgs(12, outputs)
}

fn model(g: Msg, opset: i64) -> Vec<u8> {
    let os = Msg::new(Kind::Opset).str(1, "").int(2, opset);
    crate::wire::encode(&Msg::new(Kind::Model).int(1, 8).str(2, "onnxrun-fuzz").msg(7, g).msg(8, os))
}

fn ramp(n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|i| ((i as f32 * 0.37).sin()) * scale).collect()
}

/// The canary: loaded once and run after every mutant to show the library still works.
pub fn mlp() -> Vec<u8> {
    let nodes = vec![
        node("MatMul", &["x", "w1"], &["h0"], vec![]),
        node("Add", &["h0", "b1"], &["h1"], vec![]),
        node("Relu", &["h1"], &["h2"], vec![]),
        node("MatMul", &["h2", "w2"], &["h3"], vec![]),
        node("Add", &["h3", "b2"], &["h4"], vec![]),
        node("Softmax", &["h4"], &["y"], vec![attr_int("axis", -1)]),
    ];
    let inits = vec![
        floats("w1", &[4, 8], &ramp(32, 0.5), false),
        floats("b1", &[8], &ramp(8, 0.1), true),
        floats("w2", &[8, 3], &ramp(24, 0.7), true),
        floats("b2", &[3], &[0.1, -0.2, 0.3], false),
    ];
    model(graph("mlp", nodes, inits, vec![value("x", FLOAT, &[-1, 4])], vec![value("y", FLOAT, &[-1, 3])]), 13)
}

fn conv() -> Vec<u8> {
    let nodes = vec![
        node("Conv", &["x", "w", "b"], &["c"], vec![attr_ints("kernel_shape", &[3, 3]), attr_ints("pads", &[1, 1, 1, 1])]),
        node("Relu", &["c"], &["r"], vec![]),
        node("MaxPool", &["r"], &["p"], vec![attr_ints("kernel_shape", &[2, 2]), attr_ints("strides", &[2, 2])]),
        node("Reshape", &["p", "shape"], &["y"], vec![]),
    ];
    let inits = vec![floats("w", &[2, 1, 3, 3], &ramp(18, 0.3), true), floats("b", &[2], &[0.0, 0.5], false), int64s("shape", &[2], &[1, -1])];
    model(graph("conv", nodes, inits, vec![value("x", FLOAT, &[1, 1, 8, 8])], vec![value("y", FLOAT, &[1, 32])]), 13)
}

/// If whose branches read the outer-scope `x`.
fn if_model() -> Vec<u8> {
    let then_g = graph("then", vec![node("Add", &["x", "x"], &["t"], vec![])], vec![], vec![], vec![value("t", FLOAT, &[3])]);
    let else_g = graph("else", vec![node("Neg", &["x"], &["e"], vec![])], vec![], vec![], vec![value("e", FLOAT, &[3])]);
    let nodes = vec![node("If", &["c"], &["y"], vec![attr_graph("then_branch", then_g), attr_graph("else_branch", else_g)])];
    model(graph("if", nodes, vec![], vec![value("c", BOOL, &[]), value("x", FLOAT, &[3])], vec![value("y", FLOAT, &[3])]), 17)
}

/// Loop with a trip count, a condition, one carried value and one scan output.
fn loop_model() -> Vec<u8> {
    let one = attr_tensor("value", floats("one", &[1], &[1.0], true));
    let body_nodes = vec![
        node("Constant", &[], &["one"], vec![one]),
        node("Add", &["xin", "one"], &["xout"], vec![]),
        node("Identity", &["cin"], &["cout"], vec![]),
        node("Identity", &["xout"], &["scan"], vec![]),
    ];
    let body = graph(
        "body",
        body_nodes,
        vec![],
        vec![value("i", INT64, &[]), value("cin", BOOL, &[]), value("xin", FLOAT, &[2])],
        vec![value("cout", BOOL, &[]), value("xout", FLOAT, &[2]), value("scan", FLOAT, &[2])],
    );
    let nodes = vec![node("Loop", &["m", "c", "x"], &["xf", "scans"], vec![attr_graph("body", body)])];
    let inputs = vec![value("m", INT64, &[]), value("c", BOOL, &[]), value("x", FLOAT, &[2])];
    model(graph("loop", nodes, vec![], inputs, vec![value("xf", FLOAT, &[2]), value("scans", FLOAT, &[-1, 2])]), 17)
}

fn indexing() -> Vec<u8> {
    let nodes = vec![
        node("Gather", &["x", "idx"], &["g"], vec![attr_int("axis", 1)]),
        node("Shape", &["x"], &["s"], vec![]),
        node("Concat", &["g", "x"], &["c"], vec![attr_int("axis", 1)]),
        node("Slice", &["c", "starts", "ends", "axes"], &["y"], vec![]),
    ];
    let inits = vec![int64s("starts", &[1], &[0]), int64s("ends", &[1], &[3]), int64s("axes", &[1], &[1])];
    let inputs = vec![value("x", FLOAT, &[2, 5]), value("idx", INT64, &[2])];
    model(graph("indexing", nodes, inits, inputs, vec![value("y", FLOAT, &[2, 3]), value("s", INT64, &[2])]), 13)
}

/// Ops whose output size comes from input values: the tensor limit's business.
fn sizes() -> Vec<u8> {
    let nodes = vec![
        node("Tile", &["x", "reps"], &["t"], vec![]),
        node("Expand", &["x", "shape"], &["e"], vec![]),
        node("ConstantOfShape", &["shape"], &["z"], vec![]),
        node("Range", &["zero", "limit", "delta"], &["r"], vec![]),
    ];
    let inits = vec![floats("zero", &[], &[0.0], true), floats("delta", &[], &[1.0], false)];
    let inputs = vec![value("x", FLOAT, &[2, 3]), value("reps", INT64, &[2]), value("shape", INT64, &[2]), value("limit", FLOAT, &[])];
    let outputs = vec![value("t", FLOAT, &[-1, -1]), value("e", FLOAT, &[-1, -1]), value("z", FLOAT, &[-1, -1]), value("r", FLOAT, &[-1])];
    model(graph("sizes", nodes, inits, inputs, outputs), 13)
}

fn strings() -> Vec<u8> {
    let nodes = vec![
        node("Identity", &["s"], &["same"], vec![]),
        node("Cast", &["s"], &["f"], vec![attr_int("to", FLOAT)]),
        node("StringNormalizer", &["s"], &["up"], vec![attr_str("case_change_action", "UPPER")]),
    ];
    let outputs = vec![value("same", STRING, &[-1]), value("f", FLOAT, &[-1]), value("up", STRING, &[-1])];
    model(graph("strings", nodes, vec![], vec![value("s", STRING, &[-1])], outputs), 13)
}

/// One initializer in `weights.bin` next to the model, one in raw_data.
fn external() -> Vec<u8> {
    let w = tensor("w", FLOAT, &[4]).msgs(13, [entry("location", "weights.bin"), entry("offset", "0"), entry("length", "16")]).int(14, 1);
    let nodes = vec![node("Add", &["x", "w"], &["a"], vec![]), node("Mul", &["a", "k"], &["y"], vec![])];
    model(graph("external", nodes, vec![w, floats("k", &[4], &[2.0; 4], true)], vec![value("x", FLOAT, &[4])], vec![value("y", FLOAT, &[4])]), 13)
}

/// The .onnx models committed in the repo, relative to its root.
const FIXTURES: &[&str] = &[
    "tests/fixtures/mlp.onnx",
    "src/datasets/logreg_iris.onnx",
    "src/datasets/mul_1.onnx",
    "src/datasets/sigmoid.onnx",
    "core-rs/crates/onnx-proto/tests/data/tiny_model.onnx",
];

type Build = fn() -> Vec<u8>;

pub fn all(repo_root: &Path) -> Vec<Seed> {
    let built: [(&str, Build); 8] = [
        ("mlp", mlp),
        ("conv", conv),
        ("if", if_model),
        ("loop", loop_model),
        ("indexing", indexing),
        ("sizes", sizes),
        ("strings", strings),
        ("external", external),
    ];
    let mut seeds: Vec<Seed> = built.iter().map(|(n, f)| Seed { name: n.to_string(), bytes: f(), built: true }).collect();
    for rel in FIXTURES {
        let bytes = std::fs::read(repo_root.join(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"));
        seeds.push(Seed { name: rel.to_string(), bytes, built: false });
    }
    seeds
}
