//! Gradient (ai.onnx.preview.training): the ONNX spec's two examples, then chains through
//! every differentiable op family checked against central finite differences of the same
//! function in numpy float64 (h = 1e-6), and the load-time errors.

use onnxrun_core::{Attribute, ErrorCode, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

const DOMAIN: &str = "ai.onnx.preview.training";

fn node(op: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<(&str, Attribute)>) -> Node {
    Node {
        op_type: op.into(),
        name: format!("{op}_{}", outputs[0]),
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        outputs: outputs.iter().map(|s| s.to_string()).collect(),
        attrs: attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        ..Default::default()
    }
}

fn names(v: &[&str]) -> Attribute {
    Attribute::Strings(v.iter().map(|s| s.as_bytes().to_vec()).collect())
}

fn gradient(inputs: &[&str], outputs: &[&str], xs: &[&str], zs: &[&str], y: &str) -> Node {
    let mut attrs = vec![("xs", names(xs)), ("y", Attribute::String(y.as_bytes().to_vec()))];
    if !zs.is_empty() {
        attrs.push(("zs", names(zs)));
    }
    Node { name: "my_gradient".into(), domain: DOMAIN.into(), ..node("Gradient", inputs, outputs, attrs) }
}

fn session(nodes: Vec<Node>, inputs: &[&str], outputs: &[&str], inits: Vec<(&str, Tensor)>) -> onnxrun_core::Result<Session> {
    let vi = |n: &&str| ValueInfo { name: n.to_string(), ty: None, doc: String::new() };
    let graph = Graph {
        name: "g".into(),
        nodes,
        inputs: inputs.iter().map(vi).collect(),
        outputs: outputs.iter().map(vi).collect(),
        initializers: inits.into_iter().map(|(n, t)| (n.to_string(), t)).collect(),
        ..Default::default()
    };
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), 12);
    model.opsets.insert(DOMAIN.into(), 1);
    Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(1))], ..Default::default() })
}

fn run(s: &Session, feeds: Vec<Tensor>, n_out: usize) -> Vec<Tensor> {
    let feeds = feeds.into_iter().enumerate().map(|(i, t)| (i, Value::Tensor(t))).collect();
    let fetch: Vec<usize> = (0..n_out).collect();
    s.run(feeds, &fetch, &RunState::default()).unwrap().into_iter().map(|v| v.as_tensor().unwrap().clone()).collect()
}

fn t64(shape: &[usize], v: &[f64]) -> Tensor {
    Tensor::from_vec(shape.to_vec(), v.to_vec()).unwrap()
}

fn assert_close(got: &Tensor, want: &[f64], tol: f64) {
    let g = got.to_f64_vec().unwrap();
    assert_eq!(g.len(), want.len(), "length of {g:?}");
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol * (1.0 + b.abs()), "element {i}: got {a}, want {b} (all: {g:?})");
    }
}

#[test]
fn spec_example_gradient_of_add() {
    let s = session(
        vec![node("Add", &["a", "b"], &["c"], vec![]), gradient(&["a", "b"], &["dc_da", "dc_db"], &["a", "b"], &[], "c")],
        &["a", "b"],
        &["c", "dc_da", "dc_db"],
        vec![],
    )
    .unwrap();
    let out = run(&s, vec![Tensor::scalar(1.0f32), Tensor::scalar(2.0f32)], 3);
    assert_eq!(out[0].data::<f32>().unwrap(), [3.0]);
    assert_eq!(out[1].data::<f32>().unwrap(), [1.0]);
    assert_eq!(out[2].data::<f32>().unwrap(), [1.0]);
}

#[test]
fn spec_example_gradient_of_add_and_mul() {
    // d = (a + b) * a: dd/da = 2a + b, dd/db = a.
    let s = session(
        vec![
            node("Add", &["a", "b"], &["c"], vec![]),
            node("Mul", &["c", "a"], &["d"], vec![]),
            gradient(&["a", "b"], &["dd_da", "dd_db"], &["a", "b"], &[], "d"),
        ],
        &["a", "b"],
        &["d", "dd_da", "dd_db"],
        vec![],
    )
    .unwrap();
    let out = run(&s, vec![Tensor::scalar(1.0f32), Tensor::scalar(2.0f32)], 3);
    assert_eq!(out[0].data::<f32>().unwrap(), [3.0]);
    assert_eq!(out[1].data::<f32>().unwrap(), [4.0]);
    assert_eq!(out[2].data::<f32>().unwrap(), [1.0]);
}

#[test]
fn elementwise_broadcast_matmul_and_shape_ops_match_finite_differences() {
    // y = sum(log(sqrt(r*r + 1))), r = reshape(transpose(exp(tanh(v)) @ C), [4]),
    // v = (|u| + 1)^1.5, u = A*B - A/(B + 3), with B broadcast over A's rows.
    let one = || t64(&[], &[1.0]);
    let nodes = vec![
        node("Mul", &["A", "B"], &["ab"], vec![]),
        node("Add", &["B", "three"], &["b3"], vec![]),
        node("Div", &["A", "b3"], &["q"], vec![]),
        node("Sub", &["ab", "q"], &["u"], vec![]),
        node("Abs", &["u"], &["au"], vec![]),
        node("Add", &["au", "one"], &["au1"], vec![]),
        node("Pow", &["au1", "p"], &["v"], vec![]),
        node("Tanh", &["v"], &["tv"], vec![]),
        node("Exp", &["tv"], &["ev"], vec![]),
        node("MatMul", &["ev", "C"], &["w"], vec![]),
        node("Transpose", &["w"], &["wt"], vec![("perm", Attribute::Ints(vec![1, 0]))]),
        node("Reshape", &["wt", "flat"], &["r"], vec![]),
        node("Mul", &["r", "r"], &["rr"], vec![]),
        node("Add", &["rr", "one"], &["rr1"], vec![]),
        node("Sqrt", &["rr1"], &["sq"], vec![]),
        node("Log", &["sq"], &["s"], vec![]),
        node("ReduceSum", &["s"], &["y"], vec![("keepdims", Attribute::Int(0))]),
        gradient(&["A", "B", "C"], &["dA", "dB", "dC"], &["A", "B", "C"], &[], "y"),
    ];
    let inits = vec![("three", t64(&[], &[3.0])), ("one", one()), ("p", t64(&[], &[1.5])), ("flat", Tensor::from_vec(vec![1], vec![4i64]).unwrap())];
    let s = session(nodes, &["A", "B", "C"], &["y", "dA", "dB", "dC"], inits).unwrap();
    let a = t64(&[2, 3], &[0.3, -1.2, 0.8, 1.5, -0.4, 0.2]);
    let b = t64(&[3], &[0.5, -0.7, 1.1]);
    let c = t64(&[3, 2], &[0.2, -0.3, 0.9, 0.4, -0.6, 0.1]);
    let out = run(&s, vec![a, b, c], 4);
    assert_close(&out[0], &[1.3438220943698724], 1e-12);
    assert_close(&out[1], &[-0.0114450626754, -0.0124068224583, -0.0529079720035, -0.00441674363749, -0.350847127684, -0.215980583529], 1e-7);
    assert_eq!(out[2].shape(), [3], "the broadcast input's gradient is summed back to its shape");
    assert_close(&out[2], &[-0.0507721538145, -0.16264835434, -0.105840846643], 1e-7);
    assert_close(&out[3], &[2.25029016676, 2.0476800181, 2.52660042921, 2.30981714, 2.39320180162, 2.19184073891], 1e-7);
}

#[test]
fn gemm_with_transposes_and_broadcast_bias_match_finite_differences() {
    // y = sum(sigmoid(0.7 * P^T Q^T + 1.3 * R)).
    let nodes = vec![
        node(
            "Gemm",
            &["P", "Q", "R"],
            &["z"],
            vec![("transA", Attribute::Int(1)), ("transB", Attribute::Int(1)), ("alpha", Attribute::Float(0.7)), ("beta", Attribute::Float(1.3))],
        ),
        node("Sigmoid", &["z"], &["sz"], vec![]),
        node("ReduceSum", &["sz"], &["y"], vec![("keepdims", Attribute::Int(0))]),
        gradient(&["P", "Q", "R"], &["dP", "dQ", "dR"], &["P", "Q", "R"], &[], "y"),
    ];
    let s = session(nodes, &["P", "Q", "R"], &["y", "dP", "dQ", "dR"], vec![]).unwrap();
    let p = t64(&[3, 2], &[0.1, -0.2, 0.4, 0.3, -0.5, 0.6]);
    let q = t64(&[4, 3], &[0.2, 0.1, -0.3, 0.5, -0.4, 0.2, -0.1, 0.3, 0.6, 0.7, -0.2, 0.05]);
    let r = t64(&[4], &[0.1, -0.2, 0.3, 0.0]);
    let out = run(&s, vec![p, q, r], 4);
    // alpha and beta are float attributes, so they enter as f32-rounded values.
    assert_close(&out[0], &[4.086378706635322], 1e-7);
    assert_close(&out[1], &[0.223578716874, 0.226807857384, -0.0333629661675, -0.0392453474163, 0.0941178059932, 0.0828021469168], 1e-6);
    #[rustfmt::skip]
    let dq = [-0.017831363941, 0.121174110745, 0.0191569773378, -0.0172693228606, 0.118275570671, 0.0182182997577, -0.0136254048044,
        0.115116136623, 0.00644784048376, -0.0173790088986, 0.122304071315, 0.0171422782635];
    assert_close(&out[2], &dq, 1e-6);
    assert_close(&out[3], &[0.643843903969, 0.628214086529, 0.606059687325, 0.648803363923], 1e-6);
}

#[test]
fn fan_out_shape_ops_and_mean_accumulate() {
    // h = relu(x) + (-x) + identity(x) = relu(x); y = mean over a flattened, unsqueezed copy.
    // dy/dx = [x > 0] / 6, built from three contributions per element.
    let nodes = vec![
        node("Relu", &["x"], &["r"], vec![]),
        node("Neg", &["x"], &["n"], vec![]),
        node("Identity", &["x"], &["i"], vec![]),
        node("Sum", &["r", "n", "i"], &["h"], vec![]),
        node("Unsqueeze", &["h"], &["hu"], vec![("axes", Attribute::Ints(vec![0]))]),
        node("Flatten", &["hu"], &["hf"], vec![("axis", Attribute::Int(1))]),
        node("ReduceMean", &["hf"], &["m"], vec![("axes", Attribute::Ints(vec![1])), ("keepdims", Attribute::Int(0))]),
        node("Squeeze", &["m"], &["y"], vec![("axes", Attribute::Ints(vec![0]))]),
        gradient(&["x"], &["dx"], &["x"], &[], "y"),
    ];
    let s = session(nodes, &["x"], &["y", "dx"], vec![]).unwrap();
    let x = [-0.5, 0.7, 1.2, 0.3, -0.9, 2.0];
    let out = run(&s, vec![t64(&[2, 3], &x)], 2);
    assert_eq!(out[0].shape(), [] as [usize; 0]);
    assert_close(&out[0], &[(0.7 + 1.2 + 0.3 + 2.0) / 6.0], 1e-12);
    assert_close(&out[1], &x.map(|v| if v > 0.0 { 1.0 / 6.0 } else { 0.0 }), 1e-12);
}

#[test]
fn forward_copy_reads_the_gradient_inputs_and_zs_get_no_gradient() {
    // c = a * b * k where k is a z; the Gradient node is fed (a2, b2, k2), so the
    // derivative is taken there: dc/da = b2 * k2, dc/db = a2 * k2. `u` is an x that c
    // does not read: its gradient is zeros of its shape.
    let nodes = vec![
        node("Mul", &["a", "b"], &["ab"], vec![]),
        node("Mul", &["ab", "k"], &["c"], vec![]),
        gradient(&["a2", "b2", "u", "k2"], &["da", "db", "du"], &["a", "b", "u"], &["k"], "c"),
    ];
    let s = session(nodes, &["a", "b", "k", "a2", "b2", "k2", "u"], &["c", "da", "db", "du"], vec![]).unwrap();
    let f = |v: &[f32]| Tensor::from_vec(vec![v.len()], v.to_vec()).unwrap();
    let out = run(&s, vec![f(&[1., 2.]), f(&[3., 4.]), f(&[5., 6.]), f(&[10., 20.]), f(&[30., 40.]), f(&[0.5, 2.]), f(&[9., 9., 9.])], 4);
    assert_eq!(out[0].data::<f32>().unwrap(), [15., 48.]);
    assert_eq!(out[1].data::<f32>().unwrap(), [15., 80.]);
    assert_eq!(out[2].data::<f32>().unwrap(), [5., 40.]);
    assert_eq!(out[3].data::<f32>().unwrap(), [0., 0., 0.]);
}

#[test]
fn y_that_is_an_x_has_gradient_one() {
    let s = session(vec![gradient(&["a"], &["da"], &["a"], &[], "a")], &["a"], &["da"], vec![]).unwrap();
    let out = run(&s, vec![t64(&[2, 2], &[3., -1., 0., 7.])], 1);
    assert_eq!(out[0].data::<f64>().unwrap(), [1.0; 4]);
}

#[test]
fn bad_gradient_nodes_fail_at_load_naming_the_node() {
    let add = || node("Add", &["a", "b"], &["c"], vec![]);
    let cases = vec![
        // An op without a chain rule on the path.
        (vec![add(), node("Softmax", &["c"], &["s"], vec![]), gradient(&["a", "b"], &["da"], &["a"], &["b"], "s")], "Softmax"),
        // Inputs must match xs + zs, outputs xs.
        (vec![add(), gradient(&["a"], &["da"], &["a", "b"], &[], "c")], "inputs"),
        (vec![add(), gradient(&["a", "b"], &["da"], &["a", "b"], &[], "c")], "outputs"),
        // y must depend on xs/zs.
        (vec![add(), node("Identity", &["b"], &["ib"], vec![]), gradient(&["a"], &["da"], &["a"], &[], "ib")], "does not depend"),
        (vec![add(), gradient(&["a", "a"], &["da", "da2"], &["a", "a"], &[], "c")], "twice"),
    ];
    for (nodes, needle) in cases {
        let outs: Vec<String> = nodes.iter().flat_map(|n| n.outputs.clone()).collect();
        let outs: Vec<&str> = outs.iter().map(String::as_str).collect();
        let e = session(nodes, &["a", "b"], &outs, vec![]).err().expect("load must fail");
        assert_eq!(e.code, ErrorCode::InvalidGraph, "{e}");
        assert!(e.message.contains("my_gradient") && e.message.contains(needle), "{e}");
    }
    let no_y = Node { attrs: vec![("xs".into(), names(&["a"]))], ..gradient(&["a"], &["da"], &["a"], &[], "c") };
    let e = session(vec![add(), no_y], &["a", "b"], &["da"], vec![]).err().expect("load must fail");
    assert!(e.message.contains("'y'"), "{e}");
}
