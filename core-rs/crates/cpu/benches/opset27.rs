//! Times the opset-27 sequence-model ops (LinearAttention, CausalConvWithState, FlexAttention; mean of 5 one-node runs on 2 threads): `cargo bench -p onnxrun-cpu --bench opset27`.

use onnxrun_core::{Attribute, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

/// ((i*a + c) mod m) / m - 0.5 for i in 0..n: the input pattern of tests/opset27.rs.
fn pat(n: usize, a: usize, c: usize, m: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * a + c) % m) as f32 / m as f32 - 0.5).collect()
}
fn affine(v: Vec<f32>, mul: f32, add: f32) -> Vec<f32> {
    v.into_iter().map(|x| x * mul + add).collect()
}
fn t32(shape: &[usize], v: Vec<f32>) -> Option<Value> {
    Some(Tensor::from_vec(shape.to_vec(), v).unwrap().into())
}
fn vi(name: &str) -> ValueInfo {
    ValueInfo { name: name.into(), ty: None, doc: String::new() }
}

/// Runs one node of `op` (in `domain`; None inputs omitted) on 2 threads, as the tests'
/// `Case::run` does (a fresh session each run).
fn run(op: &str, domain: &str, attrs: &[(String, Attribute)], inputs: &[Option<Value>], outputs: usize) {
    let names: Vec<String> = inputs.iter().enumerate().map(|(i, v)| if v.is_some() { format!("in{i}") } else { String::new() }).collect();
    let outs: Vec<String> = (0..outputs).map(|i| format!("out{i}")).collect();
    let node = Node {
        op_type: op.into(),
        name: format!("my_{op}"),
        domain: domain.into(),
        inputs: names.clone(),
        outputs: outs.clone(),
        attrs: attrs.to_vec(),
        ..Default::default()
    };
    let graph = Graph {
        name: "bench".into(),
        nodes: vec![node],
        inputs: names.iter().filter(|n| !n.is_empty()).map(|n| vi(n)).collect(),
        outputs: outs.iter().map(|n| vi(n)).collect(),
        ..Default::default()
    };
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), if domain.is_empty() { 27 } else { 26 });
    model.opsets.insert("ai.onnx.preview".into(), 1);
    let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(2))], ..Default::default() }).unwrap();
    let feeds = inputs.iter().flatten().cloned().enumerate().collect();
    let fetch: Vec<usize> = (0..outputs).collect();
    sess.run(feeds, &fetch, &RunState::default()).unwrap();
}

/// Mean ms over `reps` runs after one warm-up.
fn time_ms(op: &str, domain: &str, attrs: &[(String, Attribute)], inputs: &[Option<Value>], outputs: usize, reps: usize) -> f64 {
    run(op, domain, attrs, inputs, outputs);
    let t = std::time::Instant::now();
    for _ in 0..reps {
        run(op, domain, attrs, inputs, outputs);
    }
    t.elapsed().as_secs_f64() * 1e3 / reps as f64
}

fn main() {
    let (b, t, h, d) = (1, 512, 8, 128);
    let n = b * t * h * d;
    let qk = affine(pat(n, 5, 1, 13), 0.1, 0.0);
    for rule in ["gated_delta", "linear"] {
        let attrs = [
            ("q_num_heads".into(), Attribute::Int(h as i64)),
            ("kv_num_heads".into(), Attribute::Int(h as i64)),
            ("update_rule".into(), Attribute::String(rule.as_bytes().to_vec())),
        ];
        let mut ins = vec![t32(&[b, t, h * d], qk.clone()), t32(&[b, t, h * d], qk.clone()), t32(&[b, t, h * d], pat(n, 4, 1, 9))];
        if rule == "gated_delta" {
            ins.push(None);
            ins.push(t32(&[b, t, h], affine(pat(b * t * h, 2, 1, 5), 0.1, -0.1)));
            ins.push(t32(&[b, t, h], affine(pat(b * t * h, 1, 0, 3), 1.0, 0.5)));
        }
        println!("LinearAttention {rule} B1 T512 H8 D128, 2 threads: {:.2} ms", time_ms("LinearAttention", "", &attrs, &ins, 2, 5));
    }
    let (c, l) = (4096, 2048);
    let attrs = [("activation".into(), Attribute::String(b"silu".to_vec()))];
    let ins = [t32(&[1, c, l], pat(c * l, 7, 1, 11)), t32(&[c, 1, 4], pat(c * 4, 5, 2, 7))];
    println!("CausalConvWithState 1x4096x2048 k4 silu, 2 threads: {:.2} ms", time_ms("CausalConvWithState", "", &attrs, &ins, 2, 5));
    let n = 16 * 512 * 64;
    let q = t32(&[1, 16, 512, 64], pat(n, 5, 1, 13));
    let ins = [q.clone(), q.clone(), q];
    println!("FlexAttention 1x16x512x64, 2 threads: {:.2} ms", time_ms("FlexAttention", "ai.onnx.preview", &[], &ins, 1, 5));
}
