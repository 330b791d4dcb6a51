//! Load-time fusions (core/src/session/fuse.rs, optimization level 2 and up): each fused
//! graph gives the unfused graph's outputs (level 0 runs the nodes as written), and the fusion
//! happened (the plan's ops say so), and does not happen where a value it would remove is
//! exposed.

use onnxrun_core::{Attribute, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

fn node(op: &str, inputs: &[&str], output: &str) -> Node {
    Node {
        op_type: op.into(),
        name: output.into(),
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        outputs: vec![output.into()],
        ..Default::default()
    }
}

fn constant(name: &str, t: Tensor) -> Node {
    Node { attrs: vec![("value".into(), Attribute::Tensor(t))], ..node("Constant", &[], name) }
}

fn t(shape: &[usize], v: Vec<f32>) -> Tensor {
    Tensor::from_vec(shape.to_vec(), v).unwrap()
}

fn pat(n: usize, a: usize, p: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * a) % p) as f32 / p as f32 * 8.0 - 4.0).collect()
}

/// Runs the graph at `level`, giving its outputs and the ops the plan runs.
fn run(nodes: &[Node], outputs: &[&str], inits: &[(&str, Tensor)], x: Tensor, level: u32) -> (Vec<Vec<f32>>, Vec<String>) {
    let vi = |n: &str| ValueInfo { name: n.into(), ty: None, doc: String::new() };
    let graph = Graph {
        name: "g".into(),
        nodes: nodes.to_vec(),
        inputs: vec![vi("x")],
        outputs: outputs.iter().map(|o| vi(o)).collect(),
        initializers: inits.iter().map(|(n, t)| (n.to_string(), t.clone())).collect(),
        ..Default::default()
    };
    let mut model = Model { ir_version: 8, graph, ..Default::default() };
    model.opsets.insert(String::new(), 13);
    let opts = SessionOptions { providers: vec![Arc::new(CpuProvider::new(1))], optimization_level: level, ..Default::default() };
    let s = Session::new(model, opts).unwrap();
    let fetch: Vec<usize> = (0..outputs.len()).collect();
    let out = s.run(vec![(0, Value::Tensor(x))], &fetch, &RunState::default()).unwrap();
    let vals = out.iter().map(|v| v.as_tensor().unwrap().data::<f32>().unwrap().to_vec()).collect();
    (vals, s.assignments().into_iter().map(|(op, _)| op).collect())
}

fn assert_close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "element {i}: {x} vs {y}");
    }
}

#[test]
fn conv_then_per_channel_mul_and_add_fold_into_the_conv() {
    // Conv (bias from an initializer) * scale[1,4,1,1] + shift[4,1,1], then a ReLU.
    let nodes = vec![
        constant("w", t(&[4, 3, 3, 3], pat(108, 7, 23))),
        constant("scale", t(&[1, 4, 1, 1], vec![0.5, -2.0, 1.5, 3.0])),
        constant("shift", t(&[4, 1, 1], vec![0.1, 0.2, -0.3, 0.4])),
        Node { attrs: vec![("pads".into(), Attribute::Ints(vec![1, 1, 1, 1]))], ..node("Conv", &["x", "w", "b"], "c") },
        node("Mul", &["scale", "c"], "m"),
        node("Add", &["m", "shift"], "a"),
        node("Relu", &["a"], "y"),
    ];
    let inits = [("b", t(&[4], vec![1.0, -1.0, 0.5, 0.0]))];
    let x = || t(&[1, 3, 5, 6], pat(90, 5, 17));
    let (want, ops0) = run(&nodes, &["y"], &inits, x(), 0);
    let (got, ops) = run(&nodes, &["y"], &inits, x(), 99);
    assert_close(&got[0], &want[0]);
    assert!(ops0.contains(&"Mul".to_string()));
    assert_eq!(ops, ["Conv", "Relu"]);
    // A scale along the wrong axis ([4] broadcasts over width) is left alone.
    let mut wrong = nodes.clone();
    wrong[1] = constant("scale", t(&[6], vec![0.5, -2.0, 1.5, 3.0, 1.0, 2.0]));
    let (want, _) = run(&wrong, &["y"], &inits, x(), 0);
    let (got, ops) = run(&wrong, &["y"], &inits, x(), 99);
    assert_close(&got[0], &want[0]);
    assert_eq!(ops, ["Conv", "Mul", "Add", "Relu"]);
    // The conv's output is also a graph output: nothing fuses.
    let (got, ops) = run(&nodes, &["y", "c"], &inits, x(), 99);
    let (want, _) = run(&nodes, &["y", "c"], &inits, x(), 0);
    assert_close(&got[0], &want[0]);
    assert_close(&got[1], &want[1]);
    assert_eq!(ops, ["Conv", "Mul", "Add", "Relu"]);
}

#[test]
fn conv_then_batch_norm_then_mul_fold_into_the_conv() {
    let c4 = |v: [f32; 4]| t(&[4], v.to_vec());
    let nodes = vec![
        constant("w", t(&[4, 2, 3], pat(24, 5, 13))),
        constant("gamma", c4([1.5, -0.5, 2.0, 1.0])),
        constant("beta", c4([0.1, 0.0, -0.2, 0.3])),
        constant("mean", c4([0.5, -1.0, 0.25, 0.0])),
        constant("var", c4([0.9, 2.0, 0.1, 4.0])),
        constant("k", t(&[], vec![-0.75])),
        node("Conv", &["x", "w"], "c"),
        Node { attrs: vec![("epsilon".into(), Attribute::Float(1e-3))], ..node("BatchNormalization", &["c", "gamma", "beta", "mean", "var"], "bn") },
        node("Mul", &["bn", "k"], "y"),
    ];
    let x = || t(&[2, 2, 9], pat(36, 7, 19));
    let (want, _) = run(&nodes, &["y"], &[], x(), 0);
    let (got, ops) = run(&nodes, &["y"], &[], x(), 99);
    assert_close(&got[0], &want[0]);
    assert_eq!(ops, ["Conv"]);
    // Level 1 (basic) folds constants but does not fuse.
    let (got, ops) = run(&nodes, &["y"], &[], x(), 1);
    assert_close(&got[0], &want[0]);
    assert_eq!(ops, ["Conv", "BatchNormalization", "Mul"]);
}

#[test]
fn x_times_clip_of_x_plus_3_over_6_is_one_hard_swish() {
    let nodes = vec![
        constant("three", t(&[], vec![3.0])),
        constant("zero", t(&[], vec![0.0])),
        constant("six", t(&[], vec![6.0])),
        node("Add", &["x", "three"], "a"),
        node("Clip", &["a", "zero", "six"], "c"),
        node("Mul", &["x", "c"], "m"),
        node("Div", &["m", "six"], "y"),
    ];
    let x = || t(&[2, 50], pat(100, 13, 41).iter().map(|v| v * 1.6).collect());
    let (want, _) = run(&nodes, &["y"], &[], x(), 0);
    let (got, ops) = run(&nodes, &["y"], &[], x(), 99);
    assert_close(&got[0], &want[0]);
    assert_eq!(ops, ["HardSwish"]);
    // A clip to 5 is not HardSwish.
    let mut five = nodes.clone();
    five[2] = constant("six", t(&[], vec![5.0]));
    let (want, _) = run(&five, &["y"], &[], x(), 0);
    let (got, ops) = run(&five, &["y"], &[], x(), 99);
    assert_close(&got[0], &want[0]);
    assert_eq!(ops, ["Add", "Clip", "Mul", "Div"]);
}
