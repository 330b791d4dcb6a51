//! What an inference rule sees of its node, and where it writes its answers.

use crate::dtype::DataType;
use crate::graph::{Attribute, Node};
use crate::session::Plan;
use crate::tensor::Tensor;
use crate::value::{Dim, TypeInfo};
use std::sync::Arc;

pub struct InferCtx<'a> {
    pub node: &'a Node,
    /// The opset of the node's domain in this model.
    pub opset: i64,
    inputs: &'a [Option<TypeInfo>],
    /// Per input, its contents when it is a small integer tensor known at load: a
    /// constant, or a value computed from shapes (Shape → Gather → Concat → …). Rank-0
    /// and rank-1 only, one `Dim` per element, symbols kept.
    values: &'a [Option<Vec<Dim>>],
    /// Per input, its tensor when fixed at load (initializers, folded values).
    consts: &'a [Option<&'a Tensor>],
    bodies: &'a [(String, Arc<Plan>)],
    out: Vec<Option<TypeInfo>>,
    out_values: Vec<Option<Vec<Dim>>>,
}

impl<'a> InferCtx<'a> {
    pub fn new(
        node: &'a Node,
        opset: i64,
        inputs: &'a [Option<TypeInfo>],
        values: &'a [Option<Vec<Dim>>],
        consts: &'a [Option<&'a Tensor>],
        bodies: &'a [(String, Arc<Plan>)],
    ) -> InferCtx<'a> {
        let n = node.outputs.len();
        InferCtx { node, opset, inputs, values, consts, bodies, out: vec![None; n], out_values: vec![None; n] }
    }

    /// (types, contents) of the outputs, as the rule left them.
    pub fn finish(self) -> (Vec<Option<TypeInfo>>, Vec<Option<Vec<Dim>>>) {
        (self.out, self.out_values)
    }

    pub fn num_inputs(&self) -> usize {
        self.node.inputs.len()
    }
    pub fn num_outputs(&self) -> usize {
        self.node.outputs.len()
    }
    /// Whether input `i` is given (not omitted, not past the end).
    pub fn has_input(&self, i: usize) -> bool {
        self.node.inputs.get(i).is_some_and(|n| !n.is_empty())
    }

    pub fn input(&self, i: usize) -> Option<&'a TypeInfo> {
        self.inputs.get(i)?.as_ref()
    }
    pub fn dtype(&self, i: usize) -> Option<DataType> {
        self.input(i)?.elem_dtype()
    }
    pub fn shape(&self, i: usize) -> Option<&'a [Dim]> {
        self.input(i)?.shape()
    }
    pub fn rank(&self, i: usize) -> Option<usize> {
        self.shape(i).map(|s| s.len())
    }
    /// The first known element type among the inputs.
    pub fn first_dtype(&self) -> Option<DataType> {
        (0..self.inputs.len()).find_map(|i| self.dtype(i))
    }

    /// Input `i`'s contents (see `values`).
    pub fn value(&self, i: usize) -> Option<&'a [Dim]> {
        self.values.get(i)?.as_deref()
    }
    /// Input `i`'s contents when every element is a known number.
    pub fn ints(&self, i: usize) -> Option<Vec<i64>> {
        self.value(i)?.iter().map(dims_known).collect()
    }

    /// Input `i`'s tensor when it is fixed at load.
    pub fn constant(&self, i: usize) -> Option<&'a Tensor> {
        *self.consts.get(i)?
    }
    /// Input `i`'s values as floats when it is fixed at load (Resize's scales).
    pub fn floats(&self, i: usize) -> Option<Vec<f64>> {
        self.constant(i)?.to_f64_vec().ok()
    }

    pub fn attr(&self, name: &str) -> Option<&'a Attribute> {
        self.node.attr(name)
    }
    pub fn int_attr(&self, name: &str) -> Option<i64> {
        match self.attr(name)? {
            Attribute::Int(v) => Some(*v),
            _ => None,
        }
    }
    pub fn int_or(&self, name: &str, default: i64) -> i64 {
        self.int_attr(name).unwrap_or(default)
    }
    pub fn ints_attr(&self, name: &str) -> Option<Vec<i64>> {
        match self.attr(name)? {
            Attribute::Ints(v) => Some(v.clone()),
            _ => None,
        }
    }
    pub fn float_attr(&self, name: &str) -> Option<f32> {
        match self.attr(name)? {
            Attribute::Float(v) => Some(*v),
            _ => None,
        }
    }
    pub fn string_attr(&self, name: &str) -> Option<String> {
        match self.attr(name)? {
            Attribute::String(v) => Some(String::from_utf8_lossy(v).into_owned()),
            _ => None,
        }
    }
    /// An element-type attribute (Cast's `to`, `dtype`, `output_dtype`).
    pub fn dtype_attr(&self, name: &str) -> Option<DataType> {
        DataType::from_i32(self.int_attr(name)? as i32).ok()
    }
    /// The element type of a tensor attribute (Constant's `value`).
    pub fn tensor_attr_dtype(&self, name: &str) -> Option<DataType> {
        match self.attr(name)? {
            Attribute::Tensor(t) | Attribute::SparseTensor(t) => Some(t.dtype()),
            _ => None,
        }
    }

    /// Output `i`'s type of the subgraph in attribute `attr`, as compiled.
    pub fn body_output(&self, attr: &str, i: usize) -> Option<&'a TypeInfo> {
        let body: &'a Arc<Plan> = self.bodies.iter().find(|(n, _)| n == attr).map(|(_, p)| p)?;
        body.output_type(i)
    }

    pub fn set(&mut self, i: usize, ty: TypeInfo) {
        if let Some(slot) = self.out.get_mut(i) {
            *slot = Some(ty);
        }
    }
    pub fn set_tensor(&mut self, i: usize, dtype: DataType, shape: Option<Vec<Dim>>) {
        self.set(i, TypeInfo::Tensor { dtype, shape });
    }
    /// Records output `i`'s contents (a shape-like integer tensor of rank ≤ 1).
    pub fn set_value(&mut self, i: usize, v: Vec<Dim>) {
        if let Some(slot) = self.out_values.get_mut(i) {
            *slot = Some(v);
        }
    }
}

fn dims_known(d: &Dim) -> Option<i64> {
    match d {
        Dim::Known(v) => Some(*v),
        _ => None,
    }
}
