//! RNN, GRU and LSTM against onnxruntime 1.32 (values made by a script running its CPU
//! provider on the inputs below; layout=1 references are onnxruntime's layout-0 results
//! on transposed tensors, as it has no batch-major mode), plus the Silero VAD v5 model
//! step by step, f64/f16 runs, and bad graphs and inputs.

use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, DataType, ErrorCode, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

/// The generator's input values: exact in f32, no randomness.
fn vals(n: usize, seed: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|i| ((((i * 37 + seed * 11) % 23) as f32) - 11.0) / scale).collect()
}

fn t32(shape: &[usize], v: Vec<f32>) -> Tensor {
    Tensor::from_vec(shape.to_vec(), v).unwrap()
}

fn ints(v: &[(&str, i64)]) -> Vec<(String, Attribute)> {
    v.iter().map(|(n, x)| (n.to_string(), Attribute::Int(*x))).collect()
}

fn s(v: &str) -> Attribute {
    Attribute::String(v.as_bytes().to_vec())
}

fn strs(v: &[&str]) -> Attribute {
    Attribute::Strings(v.iter().map(|s| s.as_bytes().to_vec()).collect())
}

/// One-node model: `inputs` None = omitted; `outputs` false = omitted. Returns the
/// declared outputs in order.
fn run_node(
    op: &str,
    opset: i64,
    attrs: Vec<(String, Attribute)>,
    inputs: Vec<Option<Tensor>>,
    outputs: &[bool],
    initializers: Vec<(usize, Tensor)>,
) -> onnxrun_core::Result<Vec<Tensor>> {
    let mut node = Node { op_type: op.into(), name: format!("my_{op}"), attrs, ..Default::default() };
    let mut graph = Graph { name: "g".into(), ..Default::default() };
    let mut feeds = vec![];
    for (i, t) in inputs.into_iter().enumerate() {
        let name = format!("in{i}");
        if let Some((_, init)) = initializers.iter().find(|(j, _)| *j == i) {
            graph.initializers.push((name.clone(), init.clone()));
            node.inputs.push(name);
            continue;
        }
        match t {
            Some(t) => {
                node.inputs.push(name.clone());
                graph.inputs.push(ValueInfo { name, ty: None, doc: String::new() });
                feeds.push((feeds.len(), Value::Tensor(t)));
            }
            None => node.inputs.push(String::new()),
        }
    }
    for (i, &want) in outputs.iter().enumerate() {
        if want {
            let name = format!("out{i}");
            node.outputs.push(name.clone());
            graph.outputs.push(ValueInfo { name, ty: None, doc: String::new() });
        } else {
            node.outputs.push(String::new());
        }
    }
    let n_out = graph.outputs.len();
    graph.nodes.push(node);
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), opset);
    let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(1))], ..Default::default() })?;
    let fetch: Vec<usize> = (0..n_out).collect();
    let outs = sess.run(feeds, &fetch, &RunState::default())?;
    Ok(outs.into_iter().map(|v| v.as_tensor().unwrap().clone()).collect())
}

fn close(got: &Tensor, want: &[f32], tol: f32, what: &str) {
    let g = got.to_f64_vec().unwrap();
    assert_eq!(g.len(), want.len(), "{what}: length");
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        assert!((*a as f32 - b).abs() <= tol * (1.0 + b.abs()), "{what} element {i}: got {a}, want {b}");
    }
}

/// Inputs as the generator builds them.
struct Case {
    op: &'static str,
    t: usize,
    b: usize,
    i: usize,
    h: usize,
    dirs: usize,
    layout: usize,
    bias: bool,
    h0: bool,
    c0: bool,
    p: bool,
    lens: Option<Vec<i32>>,
}

impl Case {
    fn gates(&self) -> usize {
        match self.op {
            "RNN" => 1,
            "GRU" => 3,
            _ => 4,
        }
    }
    fn inputs(&self) -> Vec<Option<Tensor>> {
        let (t, b, i, h, d, g) = (self.t, self.b, self.i, self.h, self.dirs, self.gates());
        let xs = if self.layout == 1 { [b, t, i] } else { [t, b, i] };
        let ss = if self.layout == 1 { [b, d, h] } else { [d, b, h] };
        let mut v = vec![
            Some(t32(&xs, vals(t * b * i, 1, 10.0))),
            Some(t32(&[d, g * h, i], vals(d * g * h * i, 2, 7.0))),
            Some(t32(&[d, g * h, h], vals(d * g * h * h, 3, 9.0))),
            self.bias.then(|| t32(&[d, 2 * g * h], vals(d * 2 * g * h, 4, 13.0))),
            self.lens.as_ref().map(|l| Tensor::from_vec(vec![b], l.clone()).unwrap()),
            self.h0.then(|| t32(&ss, vals(d * b * h, 5, 10.0))),
        ];
        if self.op == "LSTM" {
            v.push(self.c0.then(|| t32(&ss, vals(d * b * h, 6, 10.0))));
            v.push(self.p.then(|| t32(&[d, 3 * h], vals(d * 3 * h, 7, 5.0))));
        }
        while v.last().is_some_and(|x| x.is_none()) {
            v.pop();
        }
        v
    }
    fn attrs(&self, mut extra: Vec<(String, Attribute)>) -> Vec<(String, Attribute)> {
        extra.extend(ints(&[("hidden_size", self.h as i64), ("layout", self.layout as i64)]));
        extra
    }
    fn run(&self, extra: Vec<(String, Attribute)>) -> Vec<Tensor> {
        let n = if self.op == "LSTM" { 3 } else { 2 };
        run_node(self.op, 14, self.attrs(extra), self.inputs(), &vec![true; n], vec![]).unwrap()
    }
}

fn bi_lstm(layout: usize) -> Case {
    Case { op: "LSTM", t: 4, b: 3, i: 2, h: 3, dirs: 2, layout, bias: true, h0: true, c0: true, p: true, lens: Some(vec![4, 2, 0]) }
}

#[test]
fn lstm_bidirectional_peepholes_sequence_lens() {
    let o = bi_lstm(0).run(vec![("direction".into(), s("bidirectional"))]);
    assert_eq!(o[0].shape(), [4, 2, 3, 3]);
    close(&o[0], &LSTM_BI_PEEP_Y, 1e-5, "Y");
    close(&o[1], &LSTM_BI_PEEP_YH, 1e-5, "Y_h");
    close(&o[2], &LSTM_BI_PEEP_YC, 1e-5, "Y_c");
}

#[test]
fn lstm_batch_major_layout() {
    let o = bi_lstm(1).run(vec![("direction".into(), s("bidirectional"))]);
    assert_eq!(o[0].shape(), [3, 4, 2, 3]);
    assert_eq!(o[1].shape(), [3, 2, 3]);
    close(&o[0], &LSTM_BI_PEEP_L1_Y, 1e-5, "Y");
    close(&o[1], &LSTM_BI_PEEP_L1_YH, 1e-5, "Y_h");
    close(&o[2], &LSTM_BI_PEEP_L1_YC, 1e-5, "Y_c");
}

#[test]
fn lstm_f64_and_f16_match_f32() {
    let c = bi_lstm(0);
    let attrs = c.attrs(vec![("direction".into(), s("bidirectional"))]);
    for dt in [DataType::Double, DataType::Float16] {
        let inputs: Vec<Option<Tensor>> = c
            .inputs()
            .into_iter()
            .map(|t| {
                t.map(|t| match (t.dtype(), dt) {
                    (DataType::Float, DataType::Double) => Tensor::from_vec(t.shape().to_vec(), t.to_f64_vec().unwrap()).unwrap(),
                    (DataType::Float, _) => {
                        Tensor::from_vec(t.shape().to_vec(), t.data::<f32>().unwrap().iter().map(|&v| f16::from_f32(v)).collect::<Vec<_>>()).unwrap()
                    }
                    _ => t,
                })
            })
            .collect();
        let o = run_node("LSTM", 14, attrs.clone(), inputs, &[true, true, true], vec![]).unwrap();
        assert!(o.iter().all(|t| t.dtype() == dt));
        // f16 inputs are rounded (~1e-3); f64 agrees with onnxruntime's f32 closely.
        let tol = if dt == DataType::Double { 1e-5 } else { 1e-2 };
        close(&o[0], &LSTM_BI_PEEP_Y, tol, "Y");
        close(&o[1], &LSTM_BI_PEEP_YH, tol, "Y_h");
        close(&o[2], &LSTM_BI_PEEP_YC, tol, "Y_c");
    }
}

#[test]
fn lstm_input_forget_clip_custom_activations() {
    let c = Case { op: "LSTM", t: 3, b: 2, i: 3, h: 2, dirs: 1, layout: 0, bias: true, h0: false, c0: false, p: true, lens: Some(vec![3, 1]) };
    let o = c.run(vec![
        ("direction".into(), s("reverse")),
        ("input_forget".into(), Attribute::Int(1)),
        ("clip".into(), Attribute::Float(0.7)),
        ("activations".into(), strs(&["HardSigmoid", "Softsign", "LeakyRelu"])),
        ("activation_alpha".into(), Attribute::Floats(vec![0.3, 0.2])),
        ("activation_beta".into(), Attribute::Floats(vec![0.4])),
    ]);
    close(&o[0], &LSTM_IF_CLIP_Y, 1e-5, "Y");
    close(&o[1], &LSTM_IF_CLIP_YH, 1e-5, "Y_h");
    close(&o[2], &LSTM_IF_CLIP_YC, 1e-5, "Y_c");
}

#[test]
fn gru_bidirectional_reset_after_linear_0() {
    let c = Case { op: "GRU", t: 3, b: 2, i: 2, h: 3, dirs: 2, layout: 0, bias: true, h0: true, c0: false, p: false, lens: Some(vec![3, 2]) };
    let o = c.run(vec![("direction".into(), s("bidirectional"))]);
    close(&o[0], &GRU_LBR0_BI_Y, 1e-5, "Y");
    close(&o[1], &GRU_LBR0_BI_YH, 1e-5, "Y_h");
}

#[test]
fn gru_reverse_linear_before_reset() {
    let c = Case { op: "GRU", t: 3, b: 2, i: 2, h: 3, dirs: 1, layout: 0, bias: true, h0: true, c0: false, p: false, lens: Some(vec![1, 3]) };
    let o = c.run(vec![("direction".into(), s("reverse")), ("linear_before_reset".into(), Attribute::Int(1))]);
    close(&o[0], &GRU_LBR1_REV_Y, 1e-5, "Y");
    close(&o[1], &GRU_LBR1_REV_YH, 1e-5, "Y_h");
}

#[test]
fn gru_batch_major_layout() {
    let c = Case { op: "GRU", t: 3, b: 2, i: 3, h: 2, dirs: 1, layout: 1, bias: true, h0: false, c0: false, p: false, lens: None };
    let o = c.run(vec![]);
    assert_eq!(o[0].shape(), [2, 3, 1, 2]);
    close(&o[0], &GRU_LBR0_L1_Y, 1e-5, "Y");
    close(&o[1], &GRU_LBR0_L1_YH, 1e-5, "Y_h");
}

#[test]
fn rnn_activations_alpha_beta_clip() {
    let c = Case { op: "RNN", t: 3, b: 2, i: 2, h: 3, dirs: 2, layout: 0, bias: true, h0: true, c0: false, p: false, lens: Some(vec![2, 3]) };
    let o = c.run(vec![
        ("direction".into(), s("bidirectional")),
        ("activations".into(), strs(&["Relu", "ScaledTanh"])),
        ("activation_alpha".into(), Attribute::Floats(vec![1.5])),
        ("activation_beta".into(), Attribute::Floats(vec![0.5])),
        ("clip".into(), Attribute::Float(1.2)),
    ]);
    close(&o[0], &RNN_ACTS_Y, 1e-5, "Y");
    close(&o[1], &RNN_ACTS_YH, 1e-5, "Y_h");
}

#[test]
fn rnn_other_activations() {
    let c = Case { op: "RNN", t: 2, b: 1, i: 2, h: 2, dirs: 1, layout: 0, bias: true, h0: false, c0: false, p: false, lens: None };
    // (activation, alphas, betas, Y, Y_h)
    type Expect<'a> = (&'a str, Vec<f32>, Vec<f32>, &'a [f32], &'a [f32]);
    let cases: [Expect; 4] = [
        ("Elu", vec![], vec![], &RNN_ELU_Y, &RNN_ELU_YH),
        ("Softplus", vec![], vec![], &RNN_SOFTPLUS_Y, &RNN_SOFTPLUS_YH),
        ("Affine", vec![0.5], vec![0.25], &RNN_AFFINE_Y, &RNN_AFFINE_YH),
        ("ThresholdedRelu", vec![0.1], vec![], &RNN_THR_Y, &RNN_THR_YH),
    ];
    for (name, a, b, y, yh) in cases {
        let mut attrs = vec![("activations".to_string(), strs(&[name]))];
        if !a.is_empty() {
            attrs.push(("activation_alpha".into(), Attribute::Floats(a)));
        }
        if !b.is_empty() {
            attrs.push(("activation_beta".into(), Attribute::Floats(b)));
        }
        let o = c.run(attrs);
        close(&o[0], y, 1e-5, name);
        close(&o[1], yh, 1e-5, name);
    }
}

#[test]
fn omitted_outputs_and_inputs() {
    // Only Y_c wanted, and no B, sequence_lens or initial_h: Y_c must equal the full run's.
    let c = Case { op: "LSTM", t: 3, b: 2, i: 2, h: 2, dirs: 1, layout: 0, bias: false, h0: false, c0: false, p: false, lens: None };
    let full = c.run(vec![]);
    let only_c = run_node("LSTM", 14, c.attrs(vec![]), c.inputs(), &[false, false, true], vec![]).unwrap();
    assert_eq!(only_c.len(), 1);
    close(&only_c[0], full[2].data::<f32>().unwrap(), 0.0, "Y_c");
    // Y's last step equals Y_h for a forward run without sequence_lens.
    let y = full[0].data::<f32>().unwrap();
    close(&full[1], &y[2 * 2 * 2..], 0.0, "Y_h");
}

#[test]
fn rnn_opset_7_and_22() {
    let c = Case { op: "GRU", t: 3, b: 2, i: 2, h: 3, dirs: 2, layout: 0, bias: true, h0: true, c0: false, p: false, lens: Some(vec![3, 2]) };
    for opset in [7, 22] {
        let attrs = vec![("direction".to_string(), s("bidirectional")), ("hidden_size".to_string(), Attribute::Int(3))];
        let o = run_node("GRU", opset, attrs, c.inputs(), &[true, true], vec![]).unwrap();
        close(&o[0], &GRU_LBR0_BI_Y, 1e-5, "Y");
    }
}

fn expect_err(r: onnxrun_core::Result<Vec<Tensor>>, code: ErrorCode, needle: &str) {
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
fn bad_graphs_are_rejected_at_creation() {
    let c = Case { op: "LSTM", t: 2, b: 1, i: 2, h: 2, dirs: 1, layout: 0, bias: false, h0: false, c0: false, p: false, lens: None };
    let go = |attrs: Vec<(String, Attribute)>| run_node("LSTM", 14, attrs, c.inputs(), &[true, true, true], vec![]);
    let hs = || ("hidden_size".to_string(), Attribute::Int(2));
    expect_err(go(vec![hs(), ("activations".into(), strs(&["Sigmoid", "Tanh", "Gelu"]))]), ErrorCode::InvalidGraph, "unknown activation function 'Gelu'");
    expect_err(go(vec![hs(), ("activations".into(), strs(&["Sigmoid", "Tanh"]))]), ErrorCode::InvalidGraph, "must list 3 functions");
    expect_err(go(vec![]), ErrorCode::InvalidGraph, "hidden_size");
    expect_err(go(vec![("hidden_size".into(), Attribute::Int(0))]), ErrorCode::InvalidGraph, "hidden_size must be positive");
    expect_err(go(vec![hs(), ("direction".into(), s("sideways"))]), ErrorCode::InvalidGraph, "direction");
    expect_err(go(vec![hs(), ("layout".into(), Attribute::Int(2))]), ErrorCode::InvalidGraph, "layout");
    expect_err(go(vec![hs(), ("input_forget".into(), Attribute::Int(3))]), ErrorCode::InvalidGraph, "input_forget");
    // The node is named in the message.
    expect_err(go(vec![hs(), ("direction".into(), s("sideways"))]), ErrorCode::InvalidGraph, "my_LSTM");
    // W as an initializer whose shape does not fit hidden_size 3.
    let w = c.inputs()[1].clone().unwrap();
    let r = run_node("LSTM", 14, vec![("hidden_size".into(), Attribute::Int(3))], c.inputs(), &[true, true, true], vec![(1, w)]);
    expect_err(r, ErrorCode::InvalidGraph, "W has shape");
}

#[test]
fn bad_inputs_are_rejected_at_run() {
    let c = Case { op: "GRU", t: 3, b: 2, i: 2, h: 2, dirs: 1, layout: 0, bias: true, h0: true, c0: false, p: false, lens: Some(vec![3, 4]) };
    let attrs = c.attrs(vec![]);
    expect_err(run_node("GRU", 14, attrs.clone(), c.inputs(), &[true, true], vec![]), ErrorCode::InvalidArgument, "sequence_lens value 4");
    let mut bad = c.inputs();
    bad[4] = Some(Tensor::from_vec(vec![2], vec![-1i32, 2]).unwrap());
    expect_err(run_node("GRU", 14, attrs.clone(), bad, &[true, true], vec![]), ErrorCode::InvalidArgument, "sequence_lens value -1");
    let mut bad = c.inputs();
    bad[4] = Some(Tensor::from_vec(vec![3], vec![1i32, 2, 3]).unwrap());
    expect_err(run_node("GRU", 14, attrs.clone(), bad, &[true, true], vec![]), ErrorCode::InvalidArgument, "sequence_lens must have shape");
    let mut bad = c.inputs();
    bad[3] = Some(t32(&[1, 10], vec![0.0; 10]));
    expect_err(run_node("GRU", 14, attrs.clone(), bad, &[true, true], vec![]), ErrorCode::InvalidArgument, "B must have shape");
    let mut bad = c.inputs();
    bad[2] = Some(t32(&[1, 6, 3], vec![0.0; 18]));
    expect_err(run_node("GRU", 14, attrs.clone(), bad, &[true, true], vec![]), ErrorCode::InvalidArgument, "R must have shape");
    let mut bad = c.inputs();
    bad[0] = Some(t32(&[3, 2], vec![0.0; 6]));
    expect_err(run_node("GRU", 14, attrs.clone(), bad, &[true, true], vec![]), ErrorCode::InvalidArgument, "X must be 3-D");
    let mut bad = c.inputs();
    bad[5] = Some(t32(&[1, 3, 2], vec![0.0; 6]));
    expect_err(run_node("GRU", 14, attrs.clone(), bad, &[true, true], vec![]), ErrorCode::InvalidArgument, "initial_h must have shape");
    let mut bad = c.inputs();
    bad[1] = Some(Tensor::from_vec(vec![1, 6, 2], vec![0.0f64; 12]).unwrap());
    expect_err(run_node("GRU", 14, attrs, bad, &[true, true], vec![]), ErrorCode::InvalidArgument, "element type");
}

#[test]
fn empty_sequence_gives_zero_states() {
    let c = Case { op: "LSTM", t: 0, b: 2, i: 2, h: 2, dirs: 1, layout: 0, bias: false, h0: true, c0: true, p: false, lens: None };
    let o = c.run(vec![]);
    assert_eq!(o[0].shape(), [0, 1, 2, 2]);
    close(&o[1], &[0.0; 4], 0.0, "Y_h");
    close(&o[2], &[0.0; 4], 0.0, "Y_c");
}

/// Silero VAD v5 (two LSTM layers inside If branches) run step by step, the state fed
/// back, against the outputs onnxruntime recorded. Skipped when the model is not cached.
#[test]
fn silero_vad_v5_steps() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../.cache/models/silero_vad_v5");
    let Ok(case) = std::fs::read(dir.join("case.json")) else {
        eprintln!("silero_vad_v5 not cached; skipped");
        return;
    };
    let case: serde_json::Value = serde_json::from_slice(&case).unwrap();
    let model = onnxrun_core::load::load_model_file(&dir.join("model.onnx")).unwrap();
    let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(1))], ..Default::default() }).unwrap();
    let read = |file: &str, dtype: &str, shape: Vec<usize>| -> Tensor {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let dt = if dtype == "int64" { DataType::Int64 } else { DataType::Float };
        Tensor::from_bytes(dt, shape, &bytes).unwrap()
    };
    let shape = |v: &serde_json::Value| -> Vec<usize> { v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect() };
    let mut carried: std::collections::HashMap<String, Tensor> = Default::default();
    let mut steps = 0;
    for step in case["steps"].as_array().unwrap() {
        let mut feeds = vec![];
        for (name, f) in step["feeds"].as_object().unwrap() {
            let t = match f.get("from") {
                Some(src) => carried[src.as_str().unwrap()].clone(),
                None => read(f["file"].as_str().unwrap(), f["dtype"].as_str().unwrap(), shape(f)),
            };
            let idx = sess.inputs.iter().position(|vi| &vi.name == name).unwrap();
            feeds.push((idx, Value::Tensor(t)));
        }
        let fetch: Vec<usize> = (0..sess.outputs.len()).collect();
        let outs = sess.run(feeds, &fetch, &RunState::default()).unwrap();
        for (name, o) in step["outputs"].as_object().unwrap() {
            let idx = sess.outputs.iter().position(|vi| &vi.name == name).unwrap();
            let got = outs[idx].as_tensor().unwrap().clone();
            let want = read(o["file"].as_str().unwrap(), "float32", shape(o));
            close(&got, want.data::<f32>().unwrap(), 1e-4, &format!("step {steps} {name}"));
            carried.insert(name.clone(), got);
        }
        steps += 1;
    }
    assert!(steps > 0);
}

// Expected values from onnxruntime.
// lstm_bi_peep: LSTM {'hidden_size': 3, 'direction': 'bidirectional'} dims(T,B,I,H)=(4, 3, 2, 3) inputs=['B', 'h0', 'c0', 'P'] lens=[4, 2, 0]
const LSTM_BI_PEEP_Y: [f32; 72] = [
    0.0049353773, -0.12103961, -0.27019328, 0.08126377, -0.15368304, 0.022406818, 0.0, 0.0,
    0.0, -0.07303646, 0.31151032, -0.2970637, -0.105664484, 0.27091327, 0.0233672, 0.0,
    0.0, 0.0, -0.04827133, -0.002205212, 0.03335329, 0.03458082, 0.040575895, 0.08449735,
    0.0, 0.0, 0.0, -0.33823675, 0.093678, -0.10875091, -0.16363887, 0.12144889,
    -0.033058602, 0.0, 0.0, 0.0, 0.16857655, -0.23762435, 0.05445706, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, -0.03994406, 0.24271205, 0.035050955,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.08610059, -0.17266406,
    -0.053940758, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3939528,
    0.15053712, -0.0149762, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
];
const LSTM_BI_PEEP_YH: [f32; 18] = [
    0.08610059, -0.17266406, -0.053940758, 0.03458082, 0.040575895, 0.08449735, 0.0, 0.0,
    0.0, -0.07303646, 0.31151032, -0.2970637, -0.105664484, 0.27091327, 0.0233672, 0.0,
    0.0, 0.0,
];
const LSTM_BI_PEEP_YC: [f32; 18] = [
    0.14378, -0.40508276, -0.09280281, 0.21326561, 0.08871486, 0.10134621, 0.0, 0.0,
    0.0, -0.41366965, 0.45827115, -0.5694776, -0.60510445, 0.5206715, 0.029549979, 0.0,
    0.0, 0.0,
];
// lstm_bi_peep_l1: LSTM {'hidden_size': 3, 'direction': 'bidirectional', 'layout': 1} dims(T,B,I,H)=(4, 3, 2, 3) inputs=['B', 'h0', 'c0', 'P'] lens=[4, 2, 0]
const LSTM_BI_PEEP_L1_Y: [f32; 72] = [
    0.0049353773, -0.12103961, -0.27019328, -0.088423945, 0.3313321, -0.14214298, 0.22137487, -0.17635372,
    -0.08678687, -0.09789192, 0.29817733, 0.09080755, 0.19745524, -0.19864665, -0.006626541, -0.09952594,
    0.14248565, 0.18912536, 0.06919866, 0.11779185, 0.12838797, -0.34475, -0.21581715, 0.1356151,
    -0.014057572, -0.032785006, 0.31928152, -0.33406046, 0.04645684, -0.08700436, -0.001106262, -0.2363017,
    0.123821855, 0.33590987, 0.15441383, 0.045054298, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
];
const LSTM_BI_PEEP_L1_YH: [f32; 18] = [
    0.06919866, 0.11779185, 0.12838797, -0.088423945, 0.3313321, -0.14214298, -0.001106262, -0.2363017,
    0.123821855, -0.33406046, 0.04645684, -0.08700436, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0,
];
const LSTM_BI_PEEP_L1_YC: [f32; 18] = [
    0.41530496, 0.2891856, 0.14540657, -0.6406652, 0.46591204, -0.2042756, -0.0021295846, -0.47712976,
    0.26076213, -0.436333, 0.19637518, -0.27541065, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0,
];
// lstm_if_clip: LSTM {'hidden_size': 2, 'direction': 'reverse', 'input_forget': 1, 'clip': 0.7, 'activations': ['HardSigmoid', 'Softsign', 'LeakyRelu'], 'activation_alpha': [0.3, 0.2], 'activation_beta': [0.4]} dims(T,B,I,H)=(3, 2, 3, 2) inputs=['B', 'P'] lens=[3, 1]
const LSTM_IF_CLIP_Y: [f32; 12] = [
    -0.016924795, -0.030773347, -0.0073675574, -0.0038533292, -0.0027846007, -0.024368271, 0.0, 0.0,
    0.047723524, -0.02915301, 0.0, 0.0,
];
const LSTM_IF_CLIP_YH: [f32; 4] = [
    -0.016924795, -0.030773347, -0.0073675574, -0.0038533292,
];
const LSTM_IF_CLIP_YC: [f32; 4] = [
    -0.2540714, -0.25224054, -0.19388308, -0.07823529,
];
// gru_lbr0_bi: GRU {'hidden_size': 3, 'direction': 'bidirectional'} dims(T,B,I,H)=(3, 2, 2, 3) inputs=['B', 'h0'] lens=[3, 2]
const GRU_LBR0_BI_Y: [f32; 36] = [
    -0.25648254, 0.14466415, 0.29290447, -0.7434735, 0.7436581, 0.12413766, -0.4750284, 0.003741026,
    0.62151927, 0.8178287, -0.004949335, 0.26685184, -0.3158214, -0.11782715, 0.5789154, 0.21910474,
    0.5429779, -0.21145788, -0.059890855, -0.5217688, 0.13083854, 0.9045196, -0.13733388, -0.8836405,
    0.02782531, -0.39284873, -0.59486324, 0.0, 0.0, 0.0, 0.0009201467, -0.018581897,
    -0.65131456, 0.0, 0.0, 0.0,
];
const GRU_LBR0_BI_YH: [f32; 12] = [
    0.02782531, -0.39284873, -0.59486324, 0.21910474, 0.5429779, -0.21145788, -0.4750284, 0.003741026,
    0.62151927, 0.8178287, -0.004949335, 0.26685184,
];
// gru_lbr1_rev: GRU {'hidden_size': 3, 'direction': 'reverse', 'linear_before_reset': 1} dims(T,B,I,H)=(3, 2, 2, 3) inputs=['B', 'h0'] lens=[1, 3]
const GRU_LBR1_REV_Y: [f32; 18] = [
    -0.25204977, 0.103018925, 0.33372873, -0.006136894, 0.39177728, 0.4329989, 0.0, 0.0,
    0.0, 0.48264, 0.5790003, 0.1561509, 0.0, 0.0, 0.0, -0.7848891,
    0.7883867, 0.042870797,
];
const GRU_LBR1_REV_YH: [f32; 6] = [
    -0.25204977, 0.103018925, 0.33372873, -0.006136894, 0.39177728, 0.4329989,
];
// gru_lbr0_l1: GRU {'hidden_size': 2, 'layout': 1} dims(T,B,I,H)=(3, 2, 3, 2) inputs=['B'] lens=None
const GRU_LBR0_L1_Y: [f32; 12] = [
    -0.44821134, 0.10737805, -0.06173259, 0.8254682, 0.39850098, 0.9522655, -0.02953991, 0.03180004,
    -0.07172204, 0.09638254, -0.4445598, -0.19098452,
];
const GRU_LBR0_L1_YH: [f32; 4] = [
    0.39850098, 0.9522655, -0.4445598, -0.19098452,
];
// rnn_acts: RNN {'hidden_size': 3, 'direction': 'bidirectional', 'activations': ['Relu', 'ScaledTanh'], 'activation_alpha': [1.5], 'activation_beta': [0.5], 'clip': 1.2} dims(T,B,I,H)=(3, 2, 2, 3) inputs=['B', 'h0'] lens=[2, 3]
const RNN_ACTS_Y: [f32; 36] = [
    1.2, 0.0, 1.1006103, 1.035531, 0.079487324, 1.2, 0.7876357, -0.8055744,
    0.15594792, -0.048036397, 0.44224012, 0.75993955, 1.2, 0.0, 0.0, 0.47501004,
    0.75034624, 0.0, -0.20817178, -0.8055744, -0.8055744, 0.16592503, -0.8055744, 0.8055745,
    0.0, 0.0, 0.0, 0.45855802, 0.0, 1.2, 0.0, 0.0,
    0.0, 0.8055745, -0.8055744, -0.30792448,
];
const RNN_ACTS_YH: [f32; 12] = [
    1.2, 0.0, 0.0, 0.45855802, 0.0, 1.2, 0.7876357, -0.8055744,
    0.15594792, -0.048036397, 0.44224012, 0.75993955,
];
// rnn_elu: RNN {'hidden_size': 2, 'activations': ['Elu']} dims(T,B,I,H)=(2, 1, 2, 2) inputs=['B'] lens=None
const RNN_ELU_Y: [f32; 4] = [
    -0.09814066, -0.30339617, 1.1732861, -0.21069545,
];
const RNN_ELU_YH: [f32; 2] = [
    1.1732861, -0.21069545,
];
// rnn_softplus: RNN {'hidden_size': 2, 'activations': ['Softplus']} dims(T,B,I,H)=(2, 1, 2, 2) inputs=['B'] lens=None
const RNN_SOFTPLUS_Y: [f32; 4] = [
    0.642832, 0.52862847, 0.7798498, 0.52536,
];
const RNN_SOFTPLUS_YH: [f32; 2] = [
    0.7798498, 0.52536,
];
// rnn_affine: RNN {'hidden_size': 2, 'activations': ['Affine'], 'activation_alpha': [0.5], 'activation_beta': [0.25]} dims(T,B,I,H)=(2, 1, 2, 2) inputs=['B'] lens=None
const RNN_AFFINE_Y: [f32; 4] = [
    0.19835164, 0.069230795, 0.61315626, 0.09407815,
];
const RNN_AFFINE_YH: [f32; 2] = [
    0.61315626, 0.09407815,
];
// rnn_thr: RNN {'hidden_size': 2, 'activations': ['ThresholdedRelu'], 'activation_alpha': [0.1]} dims(T,B,I,H)=(2, 1, 2, 2) inputs=['B'] lens=None
const RNN_THR_Y: [f32; 4] = [
    0.0, 0.0, 0.8252747, 0.0,
];
const RNN_THR_YH: [f32; 2] = [
    0.8252747, 0.0,
];
