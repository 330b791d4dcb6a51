//! Random ops: seeded outputs equal numpy's RandomState (what the ONNX reference
//! implementation draws; values below printed by numpy 2.4), the same seed gives the same
//! output across runs and sessions, unseeded nodes advance per run, and the
//! distributions have the right moments.

use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, DataType, ErrorCode, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

/// A session holding one node with `n_in` graph inputs and one output.
fn session(op: &str, opset: i64, attrs: Vec<(&str, Attribute)>, n_in: usize) -> onnxrun_core::Result<Session> {
    let node = Node {
        op_type: op.into(),
        name: format!("my_{op}"),
        attrs: attrs.into_iter().map(|(n, a)| (n.to_string(), a)).collect(),
        inputs: (0..n_in).map(|i| format!("in{i}")).collect(),
        outputs: vec!["out".into()],
        ..Default::default()
    };
    let vi = |name: String| ValueInfo { name, ty: None, doc: String::new() };
    let graph = Graph {
        name: "g".into(),
        nodes: vec![node],
        inputs: (0..n_in).map(|i| vi(format!("in{i}"))).collect(),
        outputs: vec![vi("out".into())],
        ..Default::default()
    };
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), opset);
    Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(1))], ..Default::default() })
}

fn run(s: &Session, inputs: Vec<Tensor>) -> onnxrun_core::Result<Tensor> {
    let feeds = inputs.into_iter().enumerate().map(|(i, t)| (i, Value::Tensor(t))).collect();
    Ok(s.run(feeds, &[0], &RunState::default())?.remove(0).as_tensor().unwrap().clone())
}

fn once(op: &str, opset: i64, attrs: Vec<(&str, Attribute)>, inputs: Vec<Tensor>) -> onnxrun_core::Result<Tensor> {
    let s = session(op, opset, attrs, inputs.len())?;
    run(&s, inputs)
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

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n).sqrt())
}

#[test]
fn random_normal_seeded_matches_numpy() {
    // RandomState(5).randn(2, 3).astype(float32) * 2.5 - 1.0
    let want = [0.10306870937347412, -1.8271753787994385, 5.076927661895752, -1.6302303075790405, -0.7259753942489624, 2.956202983856201];
    let attrs = || {
        vec![
            ("shape", Attribute::Ints(vec![2, 3])),
            ("seed", Attribute::Float(5.0)),
            ("scale", Attribute::Float(2.5)),
            ("mean", Attribute::Float(-1.0)),
        ]
    };
    let s = session("RandomNormal", 22, attrs(), 0).unwrap();
    for _ in 0..2 {
        let y = run(&s, vec![]).unwrap();
        assert_eq!(y.shape(), [2, 3]);
        assert_eq!(y.dtype(), DataType::Float);
        let got: Vec<f64> = y.to_f64_vec().unwrap();
        assert_eq!(got, want.to_vec());
    }
    // Another session, same seed: same values.
    assert_eq!(once("RandomNormal", 1, attrs(), vec![]).unwrap().to_f64_vec().unwrap(), want.to_vec());
}

#[test]
fn random_uniform_seeded_matches_numpy() {
    // RandomState(7).rand(5) * 5.0 - 2.0 (float64)
    let want = [-1.618458553130214, 1.8995939612005732, 0.1920461572044676, 1.617325889154706, 2.889947559983013];
    let attrs = vec![
        ("shape", Attribute::Ints(vec![5])),
        ("seed", Attribute::Float(7.0)),
        ("low", Attribute::Float(-2.0)),
        ("high", Attribute::Float(3.0)),
        ("dtype", Attribute::Int(11)),
    ];
    let y = once("RandomUniform", 22, attrs, vec![]).unwrap();
    assert_eq!(y.dtype(), DataType::Double);
    let got = y.data::<f64>().unwrap();
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-15, "{g} vs {w}");
    }
}

#[test]
fn random_uniform_like_takes_shape_and_type() {
    // RandomState(3).rand(2, 2).astype(float16) * 4 + 1, as f16 arithmetic.
    let want = [3.203125, 3.83203125, 2.1640625, 3.04296875];
    let x = Tensor::from_vec(vec![2, 2], vec![f16::ZERO; 4]).unwrap();
    let attrs = vec![("seed", Attribute::Float(3.0)), ("low", Attribute::Float(1.0)), ("high", Attribute::Float(5.0))];
    let y = once("RandomUniformLike", 22, attrs, vec![x]).unwrap();
    assert_eq!(y.dtype(), DataType::Float16);
    assert_eq!(y.to_f64_vec().unwrap(), want.to_vec());
    // An int input with dtype float: shape only.
    let x = Tensor::from_vec(vec![3, 1], vec![1i32, 2, 3]).unwrap();
    let y = once("RandomNormalLike", 22, vec![("dtype", Attribute::Int(1))], vec![x.clone()]).unwrap();
    assert_eq!((y.dtype(), y.shape()), (DataType::Float, &[3usize, 1][..]));
    // Without dtype an int input has no float type to copy.
    expect_err(once("RandomNormalLike", 22, vec![], vec![x]), ErrorCode::InvalidArgument, "not a float type");
}

#[test]
fn unseeded_generators_advance_and_differ() {
    let attrs = || vec![("shape", Attribute::Ints(vec![64]))];
    let s = session("RandomUniform", 22, attrs(), 0).unwrap();
    let a = run(&s, vec![]).unwrap().to_f64_vec().unwrap();
    let b = run(&s, vec![]).unwrap().to_f64_vec().unwrap();
    assert_ne!(a, b, "two runs of an unseeded node repeated themselves");
    let c = once("RandomUniform", 22, attrs(), vec![]).unwrap().to_f64_vec().unwrap();
    assert_ne!(a, c, "two sessions drew the same values");
    assert!(a.iter().chain(&b).all(|v| (0.0..1.0).contains(v)));
}

#[test]
fn distributions_have_the_right_moments() {
    let n = 20000;
    let y = once("RandomNormal", 22, vec![("shape", Attribute::Ints(vec![n])), ("mean", Attribute::Float(3.0)), ("scale", Attribute::Float(0.5))], vec![])
        .unwrap()
        .to_f64_vec()
        .unwrap();
    let (m, s) = mean_std(&y);
    assert!((m - 3.0).abs() < 0.02 && (s - 0.5).abs() < 0.02, "normal mean {m} std {s}");
    let y = once("RandomUniform", 22, vec![("shape", Attribute::Ints(vec![n])), ("low", Attribute::Float(-1.0)), ("high", Attribute::Float(3.0))], vec![])
        .unwrap()
        .to_f64_vec()
        .unwrap();
    let (m, s) = mean_std(&y);
    // Uniform on [-1, 3): mean 1, std 4 / sqrt(12).
    assert!((m - 1.0).abs() < 0.04 && (s - 4.0 / 12f64.sqrt()).abs() < 0.03, "uniform mean {m} std {s}");
    assert!(y.iter().all(|v| (-1.0..3.0).contains(v)));
}

#[test]
fn bernoulli_seeded_matches_numpy_binomial() {
    // RandomState(11).binomial(1, p)
    let p = Tensor::from_vec(vec![8], vec![0.1f32, 0.9, 0.5, 0.5, 0.0, 1.0, 0.25, 0.75]).unwrap();
    let want = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0];
    let y = once("Bernoulli", 15, vec![("seed", Attribute::Float(11.0))], vec![p.clone()]).unwrap();
    assert_eq!(y.dtype(), DataType::Float);
    assert_eq!(y.to_f64_vec().unwrap(), want.to_vec());
    let y = once("Bernoulli", 22, vec![("seed", Attribute::Float(11.0)), ("dtype", Attribute::Int(9))], vec![p.clone()]).unwrap();
    assert_eq!(y.data::<bool>().unwrap(), &[false, true, false, true, false, true, false, true]);
    let y = once("Bernoulli", 22, vec![("seed", Attribute::Float(11.0)), ("dtype", Attribute::Int(7))], vec![p]).unwrap();
    assert_eq!(y.data::<i64>().unwrap(), &[0, 1, 0, 1, 0, 1, 0, 1]);
}

#[test]
fn bernoulli_statistics_and_bad_input() {
    let n = 20000;
    let p = Tensor::from_vec(vec![n], vec![0.3f64; n]).unwrap();
    let y = once("Bernoulli", 22, vec![], vec![p]).unwrap();
    assert_eq!(y.dtype(), DataType::Double);
    let (m, _) = mean_std(&y.to_f64_vec().unwrap());
    assert!((m - 0.3).abs() < 0.015, "mean {m}");
    let bad = Tensor::from_vec(vec![2], vec![0.5f32, 1.5]).unwrap();
    expect_err(once("Bernoulli", 22, vec![], vec![bad]), ErrorCode::InvalidArgument, "outside [0, 1]");
    let bad = Tensor::from_vec(vec![1], vec![f32::NAN]).unwrap();
    expect_err(once("Bernoulli", 22, vec![], vec![bad]), ErrorCode::InvalidArgument, "outside [0, 1]");
    let p = Tensor::from_vec(vec![1], vec![0.5f32]).unwrap();
    expect_err(once("Bernoulli", 22, vec![("dtype", Attribute::Int(8))], vec![p]), ErrorCode::InvalidGraph, "my_Bernoulli");
}

#[test]
fn multinomial_frequencies_follow_softmax() {
    let probs = [0.2f32, 0.3, 0.5];
    let logits: Vec<f32> = probs.iter().map(|p| p.ln() + 4.0).chain([f32::NEG_INFINITY, 0.0, f32::NEG_INFINITY]).collect();
    let x = Tensor::from_vec(vec![2, 3], logits).unwrap();
    let n = 20000;
    let attrs = || vec![("sample_size", Attribute::Int(n)), ("dtype", Attribute::Int(7)), ("seed", Attribute::Float(2.0))];
    let y = once("Multinomial", 7, attrs(), vec![x.clone()]).unwrap();
    assert_eq!((y.dtype(), y.shape()), (DataType::Int64, &[2usize, n as usize][..]));
    let v = y.data::<i64>().unwrap();
    for (c, p) in probs.iter().enumerate() {
        let f = v[..n as usize].iter().filter(|&&k| k == c as i64).count() as f32 / n as f32;
        assert!((f - p).abs() < 0.015, "class {c}: frequency {f}, want {p}");
    }
    // The second row has all its mass on class 1.
    assert!(v[n as usize..].iter().all(|&k| k == 1));
    // Seeded: another session repeats the draws.
    assert_eq!(once("Multinomial", 22, attrs(), vec![x.clone()]).unwrap().data::<i64>().unwrap(), v);
    // Default dtype is int32.
    let y = once("Multinomial", 22, vec![("sample_size", Attribute::Int(4))], vec![x.clone()]).unwrap();
    assert_eq!((y.dtype(), y.shape()), (DataType::Int32, &[2usize, 4][..]));
    expect_err(once("Multinomial", 22, vec![("dtype", Attribute::Int(1))], vec![x.clone()]), ErrorCode::InvalidGraph, "dtype");
    expect_err(once("Multinomial", 22, vec![("sample_size", Attribute::Int(0))], vec![x]), ErrorCode::InvalidGraph, "sample_size");
    let dead = Tensor::from_vec(vec![1, 2], vec![f32::NEG_INFINITY; 2]).unwrap();
    expect_err(once("Multinomial", 22, vec![], vec![dead]), ErrorCode::InvalidArgument, "no finite");
    let flat = Tensor::from_vec(vec![3], vec![0.0f32; 3]).unwrap();
    expect_err(once("Multinomial", 22, vec![], vec![flat]), ErrorCode::InvalidArgument, "2-D");
}

#[test]
fn bad_generator_attributes() {
    expect_err(once("RandomNormal", 22, vec![], vec![]), ErrorCode::InvalidGraph, "shape");
    expect_err(once("RandomNormal", 22, vec![("shape", Attribute::Ints(vec![2])), ("dtype", Attribute::Int(7))], vec![]), ErrorCode::InvalidGraph, "float type");
    expect_err(once("RandomUniform", 22, vec![("shape", Attribute::Ints(vec![2, -1]))], vec![]), ErrorCode::InvalidGraph, "negative");
    expect_err(once("RandomUniform", 22, vec![("shape", Attribute::Ints(vec![1 << 40, 1 << 20]))], vec![]), ErrorCode::InvalidArgument, "limit");
}
