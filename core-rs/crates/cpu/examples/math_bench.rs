//! Quick throughput check that MatMul and Gemm run on the packed linalg GEMM: times a
//! 256×256×256 product through a one-node session (1 and N threads) against a naive
//! triple loop. Also times Softmax, LayerNormalization and ReduceMean over an
//! attention-sized tensor. `cargo run --release -p onnxrun-cpu --example math_bench [size] [iters]`

use onnxrun_core::{Attribute, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;
use std::time::Instant;

fn session(op: &str, attrs: Vec<(String, Attribute)>, n_inputs: usize, threads: usize) -> Session {
    session_at(op, 13, attrs, n_inputs, threads)
}

fn session_at(op: &str, opset: i64, attrs: Vec<(String, Attribute)>, n_inputs: usize, threads: usize) -> Session {
    let inputs: Vec<String> = (0..n_inputs).map(|i| format!("in{i}")).collect();
    let node = Node { op_type: op.into(), inputs: inputs.clone(), outputs: vec!["y".into()], attrs, ..Default::default() };
    let graph = Graph {
        nodes: vec![node],
        inputs: inputs.iter().map(|n| ValueInfo { name: n.clone(), ty: None, doc: String::new() }).collect(),
        outputs: vec![ValueInfo { name: "y".into(), ty: None, doc: String::new() }],
        ..Default::default()
    };
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), opset);
    Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(threads))], ..Default::default() }).unwrap()
}

/// (op, opset, attributes, feeds)
type Case = (&'static str, i64, Vec<(String, Attribute)>, Vec<Value>);

fn time_it(iters: usize, mut f: impl FnMut()) -> f64 {
    f();
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed().as_secs_f64() / iters as f64
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(256);
    let iters = args.get(1).copied().unwrap_or(20);
    let flops = 2.0 * (n * n * n) as f64;
    let a: Vec<f32> = (0..n * n).map(|i| ((i * 7 % 13) as f32 - 6.0) / 7.0).collect();
    let b: Vec<f32> = (0..n * n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 5.0).collect();
    let c: Vec<f32> = (0..n).map(|i| i as f32 / n as f32).collect();

    let naive = time_it(iters.min(3), || {
        let mut y = vec![0f32; n * n];
        for i in 0..n {
            for j in 0..n {
                let mut s = 0f32;
                for p in 0..k(n) {
                    s += a[i * n + p] * b[p * n + j];
                }
                y[i * n + j] = s;
            }
        }
        std::hint::black_box(&y);
    });
    println!("naive loop      {n}^3: {:8.3} ms  {:7.2} GFLOP/s", naive * 1e3, flops / naive / 1e9);

    let cores = std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1);
    let ta = Tensor::from_vec(vec![n, n], a.clone()).unwrap();
    let tb = Tensor::from_vec(vec![n, n], b.clone()).unwrap();
    let tc = Tensor::from_vec(vec![n], c.clone()).unwrap();
    for threads in [1, cores] {
        let s = session("MatMul", vec![], 2, threads);
        let dt = time_it(iters, || {
            let out = s.run(vec![(0, Value::Tensor(ta.clone())), (1, Value::Tensor(tb.clone()))], &[0], &RunState::default()).unwrap();
            std::hint::black_box(out);
        });
        println!("MatMul {threads} thread(s) {n}^3: {:8.3} ms  {:7.2} GFLOP/s  ({:.0}x naive)", dt * 1e3, flops / dt / 1e9, naive / dt);
        let s = session("Gemm", vec![("transB".into(), Attribute::Int(1)), ("alpha".into(), Attribute::Float(0.5))], 3, threads);
        let dt = time_it(iters, || {
            let feeds = vec![(0, Value::Tensor(ta.clone())), (1, Value::Tensor(tb.clone())), (2, Value::Tensor(tc.clone()))];
            std::hint::black_box(s.run(feeds, &[0], &RunState::default()).unwrap());
        });
        println!("Gemm   {threads} thread(s) {n}^3: {:8.3} ms  {:7.2} GFLOP/s  ({:.0}x naive)", dt * 1e3, flops / dt / 1e9, naive / dt);
    }
    // Row-wise ops over [8, 12, 128, 128] (attention scores).
    let shape = vec![8usize, 12, 128, 128];
    let len: usize = shape.iter().product();
    let x = Tensor::from_vec(shape.clone(), (0..len).map(|i| ((i * 31 % 97) as f32 - 48.0) / 9.0).collect::<Vec<f32>>()).unwrap();
    let w = Tensor::from_vec(vec![128], vec![1.0f32; 128]).unwrap();
    for threads in [1, cores] {
        let cases: Vec<Case> = vec![
            ("Softmax", 13, vec![], vec![Value::Tensor(x.clone())]),
            ("LayerNormalization", 17, vec![], vec![Value::Tensor(x.clone()), Value::Tensor(w.clone())]),
            ("ReduceMean", 13, vec![("axes".into(), Attribute::Ints(vec![-1]))], vec![Value::Tensor(x.clone())]),
        ];
        for (op, opset, attrs, feeds) in cases {
            let s = session_at(op, opset, attrs, feeds.len(), threads);
            let dt = time_it(iters, || {
                let f: Vec<(usize, Value)> = feeds.iter().cloned().enumerate().collect();
                std::hint::black_box(s.run(f, &[0], &RunState::default()).unwrap());
            });
            println!("{op:<18} {threads} thread(s) {shape:?}: {:8.3} ms  {:6.2} Gelem/s", dt * 1e3, len as f64 / dt / 1e9);
        }
    }
}

/// Keeps the naive loop's bound opaque so it is not specialised away.
fn k(n: usize) -> usize {
    std::hint::black_box(n)
}
