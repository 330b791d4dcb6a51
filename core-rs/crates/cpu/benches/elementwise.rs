//! Times the hot elementwise kernels (one session per op, 4M-f32 inputs, 1 and 2 threads; compare with onnxruntime on the same shapes): `cargo bench -p onnxrun-cpu --bench elementwise`.

use onnxrun_core::{Attribute, DataType, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;
use std::time::Instant;

fn bench(name: &str, op: &str, shapes: &[&[usize]], attrs: Vec<(&str, Attribute)>, threads: usize) {
    let names: Vec<String> = (0..shapes.len()).map(|i| format!("x{i}")).collect();
    let node = Node {
        op_type: op.into(),
        name: "n".into(),
        inputs: names.clone(),
        outputs: vec!["y".into()],
        attrs: attrs.into_iter().map(|(n, a)| (n.to_string(), a)).collect(),
        ..Default::default()
    };
    let graph = Graph {
        name: "g".into(),
        nodes: vec![node],
        inputs: names.iter().map(|n| ValueInfo { name: n.clone(), ty: None, doc: String::new() }).collect(),
        outputs: vec![ValueInfo { name: "y".into(), ty: None, doc: String::new() }],
        ..Default::default()
    };
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), 21);
    let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(threads))], ..Default::default() }).unwrap();
    let feeds: Vec<(usize, Value)> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let n: usize = s.iter().product();
            let v: Vec<f32> = (0..n).map(|j| ((j * 7919 + i * 13) % 1000) as f32 / 250.0 - 2.0).collect();
            (i, Tensor::from_vec(s.to_vec(), v).unwrap().into())
        })
        .collect();
    for _ in 0..3 {
        sess.run(feeds.clone(), &[0], &RunState::default()).unwrap();
    }
    let k = 20;
    let t = Instant::now();
    for _ in 0..k {
        sess.run(feeds.clone(), &[0], &RunState::default()).unwrap();
    }
    println!("{name:16} {threads}t {:8.3} ms", t.elapsed().as_secs_f64() * 1e3 / k as f64);
}

fn main() {
    let n = 1usize << 22;
    for threads in [1, 2] {
        bench("add_same", "Add", &[&[n], &[n]], vec![], threads);
        bench("add_scalar", "Add", &[&[n], &[1]], vec![], threads);
        bench("mul_bcast_rows", "Mul", &[&[4096, 1024], &[1024]], vec![], threads);
        bench("add_bcast_chw", "Add", &[&[8, 64, 96, 96], &[1, 64, 1, 1]], vec![], threads);
        bench("relu", "Relu", &[&[n]], vec![], threads);
        bench("sigmoid", "Sigmoid", &[&[n]], vec![], threads);
        bench("tanh", "Tanh", &[&[n]], vec![], threads);
        bench("exp", "Exp", &[&[n]], vec![], threads);
        bench("erf", "Erf", &[&[n]], vec![], threads);
        bench("gelu", "Gelu", &[&[n]], vec![], threads);
        bench("gelu_tanh", "Gelu", &[&[n]], vec![("approximate", Attribute::String(b"tanh".to_vec()))], threads);
        bench("cast_f16_back", "Cast", &[&[n]], vec![("to", Attribute::Int(DataType::Int32 as i64))], threads);
        bench("cast_f16", "Cast", &[&[n]], vec![("to", Attribute::Int(DataType::Float16 as i64))], threads);
        bench("sqrt", "Sqrt", &[&[n]], vec![], threads);
    }
}
