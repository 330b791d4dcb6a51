//! Times LSTM and GRU (forward and bidirectional, one session, 20 runs, 1 thread) for comparison with onnxruntime: `cargo bench -p onnxrun-cpu --bench rnn`.

use onnxrun_core::{Attribute, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

/// The input values of tests/rnn.rs: exact in f32, no randomness.
fn vals(n: usize, seed: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|i| ((((i * 37 + seed * 11) % 23) as f32) - 11.0) / scale).collect()
}

fn t32(shape: &[usize], v: Vec<f32>) -> Tensor {
    Tensor::from_vec(shape.to_vec(), v).unwrap()
}

fn main() {
    for (op, t, b, i, h, d) in [("LSTM", 100, 1, 256, 256, 1), ("LSTM", 50, 16, 128, 128, 2), ("GRU", 100, 1, 256, 256, 1), ("LSTM", 1, 1, 128, 128, 1)] {
        let g = if op == "LSTM" { 4 } else { 3 };
        // X, W, R, B, (no sequence_lens), initial_h[, initial_c]: layout 0, no peepholes.
        let mut inputs = vec![
            Some(t32(&[t, b, i], vals(t * b * i, 1, 10.0))),
            Some(t32(&[d, g * h, i], vals(d * g * h * i, 2, 7.0))),
            Some(t32(&[d, g * h, h], vals(d * g * h * h, 3, 9.0))),
            Some(t32(&[d, 2 * g * h], vals(d * 2 * g * h, 4, 13.0))),
            None,
            Some(t32(&[d, b, h], vals(d * b * h, 5, 10.0))),
        ];
        if op == "LSTM" {
            inputs.push(Some(t32(&[d, b, h], vals(d * b * h, 6, 10.0))));
        }
        let dir = if d == 2 { "bidirectional" } else { "forward" };
        let attrs = vec![
            ("direction".into(), Attribute::String(dir.as_bytes().to_vec())),
            ("hidden_size".into(), Attribute::Int(h as i64)),
            ("layout".into(), Attribute::Int(0)),
        ];
        let n = if op == "LSTM" { 3 } else { 2 };
        let mut node = Node { op_type: op.into(), attrs, ..Default::default() };
        let mut graph = Graph { name: "g".into(), ..Default::default() };
        let mut feeds = vec![];
        for (k, x) in inputs.into_iter().enumerate() {
            match x {
                Some(x) => {
                    node.inputs.push(format!("in{k}"));
                    graph.inputs.push(ValueInfo { name: format!("in{k}"), ty: None, doc: String::new() });
                    feeds.push((feeds.len(), Value::Tensor(x)));
                }
                None => node.inputs.push(String::new()),
            }
        }
        node.outputs = (0..n).map(|k| format!("o{k}")).collect();
        graph.outputs = (0..n).map(|k| ValueInfo { name: format!("o{k}"), ty: None, doc: String::new() }).collect();
        graph.nodes.push(node);
        let mut model = Model { ir_version: 10, graph, ..Default::default() };
        model.opsets.insert(String::new(), 14);
        let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(1))], ..Default::default() }).unwrap();
        let fetch: Vec<usize> = (0..n).collect();
        let iters = 20;
        sess.run(feeds.clone(), &fetch, &RunState::default()).unwrap();
        let t0 = std::time::Instant::now();
        for _ in 0..iters {
            sess.run(feeds.clone(), &fetch, &RunState::default()).unwrap();
        }
        println!("{op} T={t} B={b} I={i} H={h} dirs={d}: {:.3} ms", t0.elapsed().as_secs_f64() * 1e3 / iters as f64);
    }
}
