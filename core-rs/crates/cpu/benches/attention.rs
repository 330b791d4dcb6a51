//! Times Attention (prefill, grouped-query decode with past or external cache, encoder; median over ATTN_RUNS=25 runs on ATTN_THREADS=2, ATTN_CASE=name picks cases) to compare with onnxruntime: `cargo bench -p onnxrun-cpu --bench attention`.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/math_support/mod.rs"]
mod math_support;

use common::f32s;
use math_support::rand_vec;
use onnxrun_core::{Attribute, Graph, Model, Node, RunState, Session, SessionOptions, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

fn main() {
    let threads: usize = std::env::var("ATTN_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    // (name, q shape, new k/v shape, past length, causal)
    type Case = (&'static str, [usize; 4], [usize; 4], usize, bool);
    let cases: [Case; 4] = [
        ("prefill b1 h16 s512 d64 causal", [1, 16, 512, 64], [1, 16, 512, 64], 0, true),
        ("decode b1 hq32 hkv8 t2048 d128 past", [1, 32, 1, 128], [1, 8, 1, 128], 2047, true),
        ("encoder b4 h12 s128 d64", [4, 12, 128, 64], [4, 12, 128, 64], 0, false),
        ("decode b1 hq32 hkv8 t2048 d128 external cache", [1, 32, 1, 128], [1, 8, 2048, 128], 0, false),
    ];
    let runs: usize = std::env::var("ATTN_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(25);
    let only = std::env::var("ATTN_CASE").unwrap_or_default();
    for (name, qs, ks, past, causal) in cases {
        if !name.contains(&only) {
            continue;
        }
        let node = Node {
            op_type: "Attention".into(),
            name: "bench".into(),
            inputs: ["q", "k", "v", "", if past > 0 { "pk" } else { "" }, if past > 0 { "pv" } else { "" }].map(String::from).to_vec(),
            outputs: if past > 0 { vec!["y".into(), "ok".into(), "ov".into()] } else { vec!["y".into()] },
            attrs: vec![("is_causal".into(), Attribute::Int(causal as i64))],
            ..Default::default()
        };
        let ins: Vec<&str> = if past > 0 { vec!["q", "k", "v", "pk", "pv"] } else { vec!["q", "k", "v"] };
        let graph = Graph {
            name: "bench".into(),
            inputs: ins.iter().map(|n| ValueInfo { name: n.to_string(), ty: None, doc: String::new() }).collect(),
            outputs: node.outputs.iter().map(|n| ValueInfo { name: n.clone(), ty: None, doc: String::new() }).collect(),
            nodes: vec![node],
            ..Default::default()
        };
        let mut model = Model { ir_version: 10, graph, ..Default::default() };
        model.opsets.insert(String::new(), 23);
        let sess =
            Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(threads))], ..Default::default() }).unwrap();
        let mk = |s: [usize; 4], seed| f32s(&s, &rand_vec(s.iter().product(), seed));
        let mut feeds = vec![mk(qs, 1), mk(ks, 2), mk(ks, 3)];
        if past > 0 {
            feeds.push(mk([ks[0], ks[1], past, ks[3]], 4));
            feeds.push(mk([ks[0], ks[1], past, ks[3]], 5));
        }
        let n_out = if past > 0 { 3 } else { 1 };
        let fetch: Vec<usize> = (0..n_out).collect();
        // Wall time, and (one thread) time on the CPU, which other processes on a busy
        // machine disturb less.
        let cpu_ns = || -> f64 {
            std::fs::read_to_string("/proc/thread-self/schedstat")
                .ok()
                .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
                .unwrap_or(0.0)
        };
        let (mut wall, mut cpu) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let f: Vec<(usize, Value)> = feeds.iter().cloned().map(Value::from).enumerate().collect();
            let (t0, c0) = (std::time::Instant::now(), cpu_ns());
            let out = sess.run(f, &fetch, &RunState::default()).unwrap();
            cpu.push((cpu_ns() - c0) / 1e6);
            wall.push(t0.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(out);
        }
        wall.sort_by(|a, b| a.partial_cmp(b).unwrap());
        cpu.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!("{name}: {:.3} ms wall, {:.3} ms cpu (threads {threads})", wall[wall.len() / 2], cpu[cpu.len() / 2]);
    }
}
