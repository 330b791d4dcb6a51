//! Times MatMul with a constant B (an initializer, packed once at session creation)
//! against the same model with B fed (packed on every run, as constant B was before
//! prepacking): fastest of BENCH_RUNS runs (default 20), 1 and 2 threads.
//! `cargo bench -p onnxrun-cpu --bench prepack`.

use onnxrun_core::{Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;
use std::time::Instant;

fn tensor(shape: &[usize], seed: usize) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec(shape.to_vec(), (0..n).map(|i| ((i * 7 + seed) % 13) as f32 * 0.1 - 0.6).collect::<Vec<f32>>()).unwrap()
}

/// Fastest ms of a `[m,k] x [k,n]` MatMul session, B an initializer or a fed input.
fn time_matmul(m: usize, n: usize, k: usize, constant_b: bool, threads: usize, runs: usize) -> f64 {
    let vi = |name: &str| ValueInfo { name: name.into(), ty: None, doc: String::new() };
    let node = Node { op_type: "MatMul".into(), inputs: vec!["a".into(), "b".into()], outputs: vec!["y".into()], ..Default::default() };
    let mut graph = Graph { name: "bench".into(), nodes: vec![node], inputs: vec![vi("a")], outputs: vec![vi("y")], ..Default::default() };
    let mut feeds = vec![(0, Value::Tensor(tensor(&[m, k], 1)))];
    if constant_b {
        graph.initializers.push(("b".into(), tensor(&[k, n], 2)));
    } else {
        graph.inputs.push(vi("b"));
        feeds.push((1, Value::Tensor(tensor(&[k, n], 2))));
    }
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), 13);
    let opts = SessionOptions { providers: vec![Arc::new(CpuProvider::new(threads))], ..Default::default() };
    let sess = Session::new(model, opts).unwrap();
    let run = || sess.run(feeds.clone(), &[0], &RunState::default()).unwrap();
    run();
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let runs = std::env::var("BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    println!("{:<22} {:>7} {:>12} {:>12} {:>8}", "MatMul m x n x k", "threads", "fed B ms", "const B ms", "speedup");
    for (m, n, k) in [(1024, 1024, 1024), (128, 768, 768), (128, 3072, 768), (1, 768, 768)] {
        for threads in [1, 2] {
            let fed = time_matmul(m, n, k, false, threads, runs);
            let packed = time_matmul(m, n, k, true, threads, runs);
            println!("{:<22} {threads:>7} {fed:>12.3} {packed:>12.3} {:>7.2}x", format!("{m}x{n}x{k}"), fed / packed);
        }
    }
}
