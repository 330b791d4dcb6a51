//! Single-node test helper (like ONNX Runtime's OpTester): build a one-node graph in the IR,
//! run it on the CPU provider, get the outputs.
#![allow(dead_code)]

use onnxrun_core::{Attribute, Dim, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, TypeInfo, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

pub struct OpTest {
    node: Node,
    opset: i64,
    inputs: Vec<(String, Value)>,
    n_outputs: usize,
    threads: usize,
}

impl OpTest {
    pub fn new(op: &str, opset: i64) -> OpTest {
        OpTest { node: Node { op_type: op.into(), name: format!("test_{op}"), ..Default::default() }, opset, inputs: vec![], n_outputs: 1, threads: 1 }
    }
    pub fn domain(mut self, d: &str) -> Self {
        self.node.domain = d.into();
        self
    }
    pub fn attr(mut self, name: &str, a: Attribute) -> Self {
        self.node.attrs.push((name.into(), a));
        self
    }
    pub fn input(mut self, v: impl Into<Value>) -> Self {
        let name = format!("in{}", self.inputs.len());
        self.node.inputs.push(name.clone());
        self.inputs.push((name, v.into()));
        self
    }
    /// An omitted optional input.
    pub fn no_input(mut self) -> Self {
        self.node.inputs.push(String::new());
        self
    }
    /// Threads of the CPU provider's pool (1 unless set).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n;
        self
    }
    pub fn outputs(mut self, n: usize) -> Self {
        self.n_outputs = n;
        self
    }
    pub fn run(self) -> onnxrun_core::Result<Vec<Value>> {
        let mut node = self.node;
        node.outputs = (0..self.n_outputs).map(|i| format!("out{i}")).collect();
        let graph = Graph {
            name: "test".into(),
            nodes: vec![node],
            // Typed like the feeds, so load-time inference runs and the session checks every
            // output against it (`verify_inferred_shapes`).
            inputs: self.inputs.iter().map(|(n, v)| ValueInfo { name: n.clone(), ty: Some(declared(v)), doc: String::new() }).collect(),
            outputs: (0..self.n_outputs).map(|i| ValueInfo { name: format!("out{i}"), ty: None, doc: String::new() }).collect(),
            ..Default::default()
        };
        let mut model = Model { ir_version: 10, graph, ..Default::default() };
        model.opsets.insert(String::new(), self.opset);
        model.opsets.insert("ai.onnx.ml".into(), 5);
        let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(self.threads))], verify_inferred_shapes: true, ..Default::default() })?;
        let feeds = self.inputs.into_iter().enumerate().map(|(i, (_, v))| (i, v)).collect();
        let fetch: Vec<usize> = (0..self.n_outputs).collect();
        sess.run(feeds, &fetch, &RunState::default())
    }
}

/// A feed's full type: tensors with their shape.
fn declared(v: &Value) -> TypeInfo {
    match v {
        Value::Tensor(t) => TypeInfo::Tensor { dtype: t.dtype(), shape: Some(t.shape().iter().map(|&d| Dim::Known(d as i64)).collect()) },
        other => other.type_info(),
    }
}

/// The error of a run that must fail, after checking that its message names the node.
pub fn code(r: onnxrun_core::Result<Vec<Value>>) -> onnxrun_core::ErrorCode {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => {
            assert!(e.message.contains("test_"), "error does not name the node: {}", e.message);
            e.code
        }
    }
}

pub fn f32s(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape.to_vec(), v.to_vec()).unwrap()
}
pub fn i64s(shape: &[usize], v: &[i64]) -> Tensor {
    Tensor::from_vec(shape.to_vec(), v.to_vec()).unwrap()
}
pub fn assert_close(got: &Value, want: &[f32], tol: f32) {
    let t = got.as_tensor().unwrap();
    let g = t.data::<f32>().unwrap();
    assert_eq!(g.len(), want.len(), "length");
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol * (1.0 + b.abs()), "element {i}: got {a}, want {b}");
    }
}

