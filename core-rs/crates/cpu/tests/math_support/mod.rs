//! Helpers for the math-family tests (matmul, softmax, reduce, norm): a one-node runner
//! on a chosen number of threads (so the pooled paths run), seeded data, and naive
//! reference implementations to compare against.
#![allow(dead_code)]

use onnxrun_core::{Attribute, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

/// Runs one `op` node (opset `opset`) with `inputs` ("" names = omitted) on `threads` threads.
pub fn run_node(
    op: &str,
    opset: i64,
    attrs: Vec<(&str, Attribute)>,
    inputs: Vec<Option<Value>>,
    n_outputs: usize,
    threads: usize,
) -> onnxrun_core::Result<Vec<Value>> {
    let names: Vec<String> = inputs.iter().enumerate().map(|(i, v)| if v.is_some() { format!("in{i}") } else { String::new() }).collect();
    let node = Node {
        op_type: op.into(),
        name: format!("test_{op}"),
        inputs: names.clone(),
        outputs: (0..n_outputs).map(|i| format!("out{i}")).collect(),
        attrs: attrs.into_iter().map(|(n, a)| (n.to_string(), a)).collect(),
        ..Default::default()
    };
    let graph = Graph {
        name: "test".into(),
        nodes: vec![node],
        inputs: names.iter().filter(|n| !n.is_empty()).map(|n| ValueInfo { name: n.clone(), ty: None, doc: String::new() }).collect(),
        outputs: (0..n_outputs).map(|i| ValueInfo { name: format!("out{i}"), ty: None, doc: String::new() }).collect(),
        ..Default::default()
    };
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), opset);
    let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(threads))], ..Default::default() })?;
    let feeds: Vec<(usize, Value)> = inputs.into_iter().flatten().enumerate().collect();
    let fetch: Vec<usize> = (0..n_outputs).collect();
    sess.run(feeds, &fetch, &RunState::default())
}

/// Deterministic values in [-1, 1).
pub fn rand_vec(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

pub fn t<T: onnxrun_core::Element>(shape: &[usize], v: Vec<T>) -> Option<Value> {
    Some(Tensor::from_vec(shape.to_vec(), v).unwrap().into())
}

pub fn f32_out(v: &Value) -> (Vec<usize>, Vec<f32>) {
    let t = v.as_tensor().unwrap();
    (t.shape().to_vec(), t.data::<f32>().unwrap().to_vec())
}

pub fn assert_all_close(got: &[f32], want: &[f32], rtol: f32, atol: f32) {
    assert_eq!(got.len(), want.len(), "length");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        let ok = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= atol + rtol * b.abs();
        assert!(ok, "element {i}: got {a}, want {b}");
    }
}

/// Row-major m×k times k×n in f64.
pub fn naive_matmul(a: &[f32], b: &[f32], m: usize, n: usize, k: usize) -> Vec<f32> {
    let mut c = vec![0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = 0f64;
            for p in 0..k {
                s += a[i * k + p] as f64 * b[p * n + j] as f64;
            }
            c[i * n + j] = s as f32;
        }
    }
    c
}
