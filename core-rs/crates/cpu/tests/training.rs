//! ai.onnx.preview.training optimizers (Adagrad, Adam, Momentum standard/Nesterov) against
//! the ONNX reference implementation's update functions (values printed by the venv's
//! onnx 1.x reference), multiple tensors per node, f64, and bad graphs/inputs.

use onnxrun_core::{Attribute, ErrorCode, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

const DOMAIN: &str = "ai.onnx.preview.training";

fn run(op: &str, attrs: Vec<(&str, Attribute)>, inputs: Vec<Tensor>, n_out: usize) -> onnxrun_core::Result<Vec<Tensor>> {
    let vi = |name: String| ValueInfo { name, ty: None, doc: String::new() };
    let node = Node {
        op_type: op.into(),
        name: format!("my_{op}"),
        domain: DOMAIN.into(),
        attrs: attrs.into_iter().map(|(n, a)| (n.to_string(), a)).collect(),
        inputs: (0..inputs.len()).map(|i| format!("in{i}")).collect(),
        outputs: (0..n_out).map(|i| format!("out{i}")).collect(),
        ..Default::default()
    };
    let graph = Graph {
        name: "g".into(),
        nodes: vec![node],
        inputs: (0..inputs.len()).map(|i| vi(format!("in{i}"))).collect(),
        outputs: (0..n_out).map(|i| vi(format!("out{i}"))).collect(),
        ..Default::default()
    };
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), 22);
    model.opsets.insert(DOMAIN.into(), 1);
    let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(1))], ..Default::default() })?;
    let feeds = inputs.into_iter().enumerate().map(|(i, t)| (i, Value::Tensor(t))).collect();
    let fetch: Vec<usize> = (0..n_out).collect();
    Ok(sess.run(feeds, &fetch, &RunState::default())?.into_iter().map(|v| v.as_tensor().unwrap().clone()).collect())
}

fn t(v: &[f32]) -> Tensor {
    Tensor::from_vec(vec![2, 3], v.to_vec()).unwrap()
}
const X: [f32; 6] = [1.0, -2.0, 0.5, 3.0, 0.25, -1.5];
const G: [f32; 6] = [0.5, -1.0, 2.0, -0.25, 0.75, 1.0];
const H: [f32; 6] = [1.0, 0.5, 0.1, 2.0, 0.0, 3.0];
const V: [f32; 6] = [0.2, -0.1, 0.3, 0.0, 0.5, -0.4];

fn scalars() -> Vec<Tensor> {
    vec![Tensor::scalar(0.05f32), Tensor::scalar(3i64)]
}

fn close(got: &Tensor, want: &[f64], tol: f64) {
    let g = got.to_f64_vec().unwrap();
    assert_eq!(g.len(), want.len());
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol * (1.0 + b.abs()), "element {i}: got {a}, want {b}");
    }
}

#[test]
fn adagrad_with_decay() {
    let mut ins = scalars();
    ins.extend([t(&X), t(&G), t(&H)]);
    let attrs = vec![("decay_factor", Attribute::Float(0.2)), ("epsilon", Attribute::Float(1e-5)), ("norm_coefficient", Attribute::Float(0.01))];
    let o = run("Adagrad", attrs, ins, 2).unwrap();
    close(&o[0], &[0.985802412033081, -1.9743179082870483, 0.469131737947464, 3.0048036575317383, 0.21875041723251343, -1.5154480934143066], 1e-6);
    close(&o[1], &[1.26010000705719, 1.5403999090194702, 4.120025157928467, 2.0483999252319336, 0.5662562251091003, 3.9702250957489014], 1e-6);
}

#[test]
fn adam_bias_correction_and_post_norm() {
    let mut ins = scalars();
    ins.extend([t(&X), t(&G), t(&V), t(&H)]);
    let attrs = vec![
        ("alpha", Attribute::Float(0.9)),
        ("beta", Attribute::Float(0.99)),
        ("epsilon", Attribute::Float(1e-4)),
        ("norm_coefficient", Attribute::Float(0.02)),
        ("norm_coefficient_post", Attribute::Float(0.1)),
    ];
    let o = run("Adam", attrs, ins, 3).unwrap();
    close(&o[0], &[0.893337070941925, -1.7921949625015259, 0.41390886902809143, 2.7003862857818604, 0.02607942745089531, -1.345639944076538], 1e-5);
    close(&o[1], &[0.23199999332427979, -0.1939999908208847, 0.4710000157356262, -0.01899999938905239, 0.5254999995231628, -0.2629999816417694], 1e-6);
    close(&o[2], &[0.9927040338516235, 0.5058159828186035, 0.13940100371837616, 1.980360984802246, 0.005700249690562487, 2.9794089794158936], 1e-6);
}

#[test]
fn momentum_standard_and_nesterov_f64() {
    let mut ins = scalars();
    ins.extend([t(&X), t(&G), t(&V)]);
    let attrs = |mode: &str| {
        vec![
            ("alpha", Attribute::Float(0.8)),
            ("beta", Attribute::Float(0.6)),
            ("norm_coefficient", Attribute::Float(0.03)),
            ("mode", Attribute::String(mode.as_bytes().to_vec())),
        ]
    };
    let o = run("Momentum", attrs("standard"), ins, 2).unwrap();
    close(&o[0], &[0.9761000275611877, -1.9642000198364258, 0.42754998803138733, 3.0048000812530518, 0.20727500319480896, -1.5126500129699707], 1e-6);
    close(&o[1], &[0.4779999852180481, -0.715999960899353, 1.4490001201629639, -0.09600000083446503, 0.8545000553131104, 0.2529999911785126], 1e-6);
    let f64t = |v: &[f32]| Tensor::from_vec(vec![2, 3], v.iter().map(|&x| x as f64).collect::<Vec<_>>()).unwrap();
    let ins = vec![Tensor::scalar(0.05f64), Tensor::scalar(3i64), f64t(&X), f64t(&G), f64t(&V)];
    let o = run("Momentum", attrs("nesterov"), ins, 2).unwrap();
    assert_eq!(o[0].dtype(), onnxrun_core::DataType::Double);
    close(&o[0], &[0.9543799999046325, -1.9183599999523162, 0.34128999961853024, 3.01184, 0.177945, -1.557869999809265], 1e-7);
    close(&o[1], &[0.47800000238418583, -0.716000001192093, 1.4490000095367432, -0.096, 0.8545, 0.25299999523162836], 1e-7);
}

#[test]
fn multiple_tensors_are_grouped() {
    // Two variables: the 2x3 one above and a scalar-like [1] one; outputs X1', X2', H1', H2'.
    let one = |v: f32| Tensor::from_vec(vec![1], vec![v]).unwrap();
    let mut ins = scalars();
    ins.extend([t(&X), one(1.0), t(&G), one(-1.0), t(&H), one(2.0)]);
    let attrs = vec![("decay_factor", Attribute::Float(0.2)), ("epsilon", Attribute::Float(1e-5)), ("norm_coefficient", Attribute::Float(0.01))];
    let o = run("Adagrad", attrs, ins, 4).unwrap();
    assert_eq!(o.iter().map(|t| t.shape().to_vec()).collect::<Vec<_>>(), vec![vec![2, 3], vec![1], vec![2, 3], vec![1]]);
    close(&o[0], &[0.985802412033081, -1.9743179082870483, 0.469131737947464, 3.0048036575317383, 0.21875041723251343, -1.5154480934143066], 1e-6);
    // By hand: r' = 0.05 / 1.6, g' = 0.01 - 1 = -0.99, h' = 2 + 0.9801, x' = 1 + r' * 0.99 / (sqrt(h') + 1e-5).
    let h2 = 2.0 + 0.99f64 * 0.99;
    close(&o[1], &[1.0 + 0.05 / 1.6 * 0.99 / (h2.sqrt() + 1e-5)], 1e-6);
    close(&o[3], &[h2], 1e-6);
}

fn expect_err<T>(r: onnxrun_core::Result<T>, code: ErrorCode, needle: &str) {
    match r {
        Ok(_) => panic!("expected an error containing '{needle}'"),
        Err(e) => {
            let msg = e.to_string();
            assert_eq!(e.code, code, "{msg}");
            assert!(msg.contains(needle), "'{msg}' lacks '{needle}'");
        }
    }
}

#[test]
fn bad_graphs_and_inputs() {
    let mom = |mode: &str| {
        vec![
            ("alpha", Attribute::Float(0.8)),
            ("beta", Attribute::Float(0.6)),
            ("norm_coefficient", Attribute::Float(0.03)),
            ("mode", Attribute::String(mode.as_bytes().to_vec())),
        ]
    };
    let mut ins = scalars();
    ins.extend([t(&X), t(&G), t(&V)]);
    expect_err(run("Momentum", mom("heavy"), ins.clone(), 2), ErrorCode::InvalidGraph, "mode");
    expect_err(run("Momentum", vec![("mode", Attribute::String(b"standard".to_vec()))], ins.clone(), 2), ErrorCode::InvalidGraph, "alpha");
    // Four tensors do not split into groups of three.
    let mut four = ins.clone();
    four.push(t(&H));
    expect_err(run("Momentum", mom("standard"), four, 2), ErrorCode::InvalidGraph, "my_Momentum");
    // G of another shape.
    let mut bad = ins.clone();
    bad[3] = Tensor::from_vec(vec![6], G.to_vec()).unwrap();
    expect_err(run("Momentum", mom("standard"), bad, 2), ErrorCode::InvalidArgument, "must match X1");
    // R not a scalar; T not int64.
    let mut bad = ins.clone();
    bad[0] = Tensor::from_vec(vec![2], vec![0.1f32, 0.2]).unwrap();
    expect_err(run("Momentum", mom("standard"), bad, 2), ErrorCode::InvalidArgument, "R must be a scalar");
    let mut bad = ins;
    bad[1] = Tensor::scalar(3i32);
    expect_err(run("Momentum", mom("standard"), bad, 2), ErrorCode::InvalidArgument, "T must be an int64 scalar");
}
