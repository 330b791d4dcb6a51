//! Shared by the wgpu tests: the provider (or a skip when this machine has no adapter),
//! a seeded PRNG, graphs built in the IR, and run-on-both-providers comparisons.
#![allow(dead_code)]

use onnxrun_core::{Attribute, DataType, Dim, ExecutionProvider, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, TypeInfo, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use onnxrun_wgpu::{WgpuProvider, WEBGPU_PROVIDER};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// The WebGPU provider on device 0, or None (after printing why) when there is no
/// adapter. Under CI=true a missing adapter fails the test instead.
pub fn gpu() -> Option<Arc<WgpuProvider>> {
    static GPU: OnceLock<Result<Arc<WgpuProvider>, String>> = OnceLock::new();
    let got = GPU.get_or_init(|| {
        onnxrun_wgpu::probe()?;
        WgpuProvider::new(0, &BTreeMap::new()).map(Arc::new).map_err(|e| format!("adapter found but unusable: {e}"))
    });
    match got {
        Ok(p) => Some(p.clone()),
        Err(reason) if std::env::var("CI").as_deref() == Ok("true") => panic!("CI needs a WebGPU adapter: {reason}"),
        Err(reason) => {
            eprintln!("skipped: {reason}");
            None
        }
    }
}

/// splitmix64: a fixed, dependency-free sequence.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
    }
    pub fn tensor(&mut self, shape: &[usize], lo: f32, hi: f32) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_vec(shape.to_vec(), (0..n).map(|_| self.uniform(lo, hi)).collect()).unwrap()
    }
}

pub fn float_type(shape: &[usize]) -> Option<TypeInfo> {
    Some(TypeInfo::Tensor { dtype: DataType::Float, shape: Some(shape.iter().map(|&d| Dim::Known(d as i64)).collect()) })
}

pub fn node(op: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<(&str, Attribute)>) -> Node {
    Node {
        name: format!("{op}_{}", outputs[0]),
        op_type: op.into(),
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        outputs: outputs.iter().map(|s| s.to_string()).collect(),
        attrs: attrs.into_iter().map(|(n, a)| (n.to_string(), a)).collect(),
        ..Default::default()
    }
}

/// A model of `nodes` (opset 13) with typed graph inputs `feeds`, initializers and
/// graph outputs.
pub fn model(nodes: Vec<Node>, feeds: &[(&str, &Tensor)], inits: &[(&str, &Tensor)], outputs: &[&str]) -> Model {
    let graph = Graph {
        name: "wgpu_test".into(),
        nodes,
        inputs: feeds.iter().map(|(n, t)| ValueInfo { name: n.to_string(), ty: float_type(t.shape()), doc: String::new() }).collect(),
        outputs: outputs.iter().map(|n| ValueInfo { name: n.to_string(), ty: None, doc: String::new() }).collect(),
        initializers: inits.iter().map(|(n, t)| (n.to_string(), (*t).clone())).collect(),
        ..Default::default()
    };
    let mut m = Model { ir_version: 8, graph, ..Default::default() };
    m.opsets.insert(String::new(), 13);
    m
}

/// Runs `model` on these providers; returns the outputs and (op, provider) assignments.
pub fn run(model: Model, providers: Vec<Arc<dyn ExecutionProvider>>, feeds: &[&Tensor], n_out: usize) -> (Vec<Tensor>, Vec<(String, String)>) {
    let sess = Session::new(model, SessionOptions { providers, ..Default::default() }).expect("session");
    let feeds = feeds.iter().enumerate().map(|(i, t)| (i, Value::Tensor((*t).clone()))).collect();
    let fetch: Vec<usize> = (0..n_out).collect();
    let outs = sess.run(feeds, &fetch, &RunState::default()).expect("run");
    let outs = outs.into_iter().map(|v| v.as_tensor().unwrap().clone()).collect();
    (outs, sess.assignments())
}

pub fn cpu() -> Arc<dyn ExecutionProvider> {
    Arc::new(CpuProvider::new(1))
}

/// Largest |a - b|, after checking shapes and |a - b| <= tol + tol * |b| everywhere.
pub fn compare(got: &Tensor, want: &Tensor, tol: f32, what: &str) -> f32 {
    assert!(got.is_host(), "{what}: output is not on the host");
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let (g, w) = (got.data::<f32>().unwrap(), want.data::<f32>().unwrap());
    let mut max = 0f32;
    for (i, (a, b)) in g.iter().zip(w).enumerate() {
        let d = (a - b).abs();
        assert!(d <= tol + tol * b.abs(), "{what}: element {i}: wgpu {a}, cpu {b}");
        max = max.max(d);
    }
    max
}

/// Runs `model` on [wgpu, cpu] and on [cpu], compares every output, and checks that
/// each op in `on_gpu` ran on the WebGPU provider. Returns the largest difference.
pub fn check_vs_cpu(gpu: &Arc<WgpuProvider>, make: impl Fn() -> Model, feeds: &[&Tensor], n_out: usize, on_gpu: &[&str], tol: f32) -> f32 {
    let (got, assigned) = run(make(), vec![gpu.clone(), cpu()], feeds, n_out);
    let (want, _) = run(make(), vec![cpu()], feeds, n_out);
    for op in on_gpu {
        let placed: Vec<&String> = assigned.iter().filter(|(o, _)| o == op).map(|(_, p)| p).collect();
        assert!(!placed.is_empty() && placed.iter().all(|p| *p == WEBGPU_PROVIDER), "{op} ran on {placed:?}, not {WEBGPU_PROVIDER}");
    }
    let mut max = 0f32;
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        max = max.max(compare(g, w, tol, &format!("output {i}")));
    }
    max
}
