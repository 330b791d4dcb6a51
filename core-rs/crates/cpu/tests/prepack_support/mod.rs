//! Helpers for the prepacking tests: one model run with chosen operands either as
//! initializers (constant, so the kernel may prepack them) or as graph inputs (fed).
#![allow(dead_code)]

use onnxrun_core::{Attribute, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

/// An operand of a test node: its value and whether it is an initializer.
pub struct Operand {
    pub value: Tensor,
    pub constant: bool,
}

/// A node: (op, attributes, input names, output name).
pub type NodeSpec<'a> = (&'a str, Vec<(&'a str, Attribute)>, Vec<&'a str>, &'a str);

/// A session for a chain of nodes reading named operands; the feeds it needs (the
/// non-constant operands) in order.
pub fn session(
    nodes: Vec<NodeSpec<'_>>,
    operands: Vec<(&str, Operand)>,
    output: &str,
    threads: usize,
) -> (Session, Vec<(usize, Value)>) {
    let mut graph = Graph { name: "prepack".into(), ..Default::default() };
    let mut feeds = Vec::new();
    for (name, op) in operands {
        if op.constant {
            graph.initializers.push((name.to_string(), op.value));
        } else {
            feeds.push((graph.inputs.len(), Value::Tensor(op.value)));
            graph.inputs.push(ValueInfo { name: name.to_string(), ty: None, doc: String::new() });
        }
    }
    for (op, attrs, inputs, out) in nodes {
        graph.nodes.push(Node {
            op_type: op.into(),
            name: format!("{op}_{out}"),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs: vec![out.to_string()],
            attrs: attrs.into_iter().map(|(n, a)| (n.to_string(), a)).collect(),
            ..Default::default()
        });
    }
    graph.outputs.push(ValueInfo { name: output.to_string(), ty: None, doc: String::new() });
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), 13);
    let opts = SessionOptions { providers: vec![Arc::new(CpuProvider::new(threads))], ..Default::default() };
    (Session::new(model, opts).unwrap(), feeds)
}

/// Runs the session on `feeds`, returning its single output.
pub fn run(sess: &Session, feeds: &[(usize, Value)]) -> Tensor {
    let out = sess.run(feeds.to_vec(), &[0], &RunState::default()).unwrap();
    out.into_iter().next().unwrap().as_tensor().unwrap().clone()
}

/// One node `op(inputs...)` run twice: with the operands flagged in `constant` as
/// initializers, and with all of them fed; returns (constant run, fed run).
pub fn both_ways(op: &str, attrs: Vec<(&str, Attribute)>, inputs: Vec<Tensor>, constant: &[bool], threads: usize) -> (Tensor, Tensor) {
    let names: Vec<String> = (0..inputs.len()).map(|i| format!("in{i}")).collect();
    let mut outs = Vec::new();
    for use_consts in [true, false] {
        let operands = names
            .iter()
            .zip(&inputs)
            .zip(constant)
            .map(|((n, v), &c)| (n.as_str(), Operand { value: v.clone(), constant: c && use_consts }))
            .collect();
        let node = (op, attrs.clone(), names.iter().map(|s| s.as_str()).collect(), "y");
        let (sess, feeds) = session(vec![node], operands, "y", threads);
        outs.push(run(&sess, &feeds));
    }
    let fed = outs.pop().unwrap();
    (outs.pop().unwrap(), fed)
}

/// A tensor of seeded values in [-1, 1) (the math tests' `rand_vec`).
pub fn f32_tensor(shape: &[usize], seed: u64) -> Tensor {
    Tensor::from_vec(shape.to_vec(), crate::math_support::rand_vec(shape.iter().product(), seed)).unwrap()
}
