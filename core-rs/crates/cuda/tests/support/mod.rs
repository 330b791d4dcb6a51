//! Shared by the CUDA integration tests: building one-node models in memory, running
//! sessions on chosen providers, and the gate that skips GPU-only tests without a GPU.
#![allow(dead_code)]

use onnxrun_core::{Attribute, DataType, ExecutionProvider, Model, Node, RunState, Session, SessionOptions, Tensor, TypeInfo, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use onnxrun_cuda::CudaProvider;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Returns from the test (printing why) unless a usable CUDA device is present.
#[macro_export]
macro_rules! need_gpu {
    () => {
        if let Err(reason) = onnxrun_cuda::probe() {
            eprintln!("skipped (GPU-only test): no usable CUDA device: {reason}");
            return;
        }
    };
}

/// The repository root: $ONNXRUN_REPO_ROOT, else where this crate was built, else the
/// working folder or one above it (a test binary built here and run on a GPU machine).
pub fn repo_root() -> PathBuf {
    let has_fixture = |p: &PathBuf| p.join("tests/fixtures/mlp.onnx").is_file();
    if let Some(r) = std::env::var_os("ONNXRUN_REPO_ROOT") {
        return PathBuf::from(r);
    }
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    if has_fixture(&built) {
        return built;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    cwd.ancestors().map(PathBuf::from).find(has_fixture).unwrap_or(built)
}

pub fn mlp_path() -> PathBuf {
    repo_root().join("tests/fixtures/mlp.onnx")
}

pub fn cuda() -> Arc<dyn ExecutionProvider> {
    Arc::new(CudaProvider::new(0, &BTreeMap::new()).expect("CUDA provider on device 0"))
}

pub fn cpu() -> Arc<dyn ExecutionProvider> {
    Arc::new(CpuProvider::new(1))
}

fn vi(name: &str, dtype: DataType) -> ValueInfo {
    ValueInfo { name: name.to_string(), ty: Some(TypeInfo::tensor(dtype)), doc: String::new() }
}

/// A model of one `op` node over float inputs named i0, i1, ... and one output "y".
pub fn one_node(op: &str, n_inputs: usize, attrs: Vec<(&str, Attribute)>, opset: i64) -> Model {
    let names: Vec<String> = (0..n_inputs).map(|i| format!("i{i}")).collect();
    let mut m = Model { ir_version: 8, ..Default::default() };
    m.opsets.insert(String::new(), opset);
    m.graph.nodes.push(Node {
        name: format!("{op}_under_test"),
        op_type: op.to_string(),
        inputs: names.clone(),
        outputs: vec!["y".into()],
        attrs: attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        ..Default::default()
    });
    m.graph.inputs = names.iter().map(|n| vi(n, DataType::Float)).collect();
    m.graph.outputs = vec![vi("y", DataType::Float)];
    m
}

pub fn session(model: Model, providers: Vec<Arc<dyn ExecutionProvider>>) -> Session {
    Session::new(model, SessionOptions { providers, optimization_level: 1, ..Default::default() }).expect("session")
}

/// Runs with the feeds in input order; returns every output as a host tensor.
pub fn run(s: &Session, feeds: Vec<Tensor>) -> Vec<Tensor> {
    let n_out = s.outputs.len();
    let feeds = feeds.into_iter().enumerate().map(|(i, t)| (i, Value::Tensor(t))).collect();
    let out = s.run(feeds, &(0..n_out).collect::<Vec<_>>(), &RunState::default()).expect("run");
    out.into_iter().map(|v| v.as_tensor().expect("tensor output").clone()).collect()
}

pub fn f32s(t: &Tensor) -> Vec<f32> {
    t.data::<f32>().expect("f32 host tensor").to_vec()
}

pub fn tensor(shape: &[usize], data: Vec<f32>) -> Tensor {
    Tensor::from_vec(shape.to_vec(), data).expect("tensor")
}

/// Deterministic values in [-2, 2).
pub fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0
        })
        .collect()
}

/// Largest |a - b| (NaN on either side must match).
pub fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length differs");
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            if x.is_nan() || y.is_nan() {
                assert!(x.is_nan() && y.is_nan(), "NaN mismatch: {x} vs {y}");
                0.0
            } else if x == y {
                0.0
            } else {
                (x - y).abs()
            }
        })
        .fold(0.0, f32::max)
}
