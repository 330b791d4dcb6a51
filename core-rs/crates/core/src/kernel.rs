//! The kernel contract: a factory turns a node (attributes checked once, at session
//! creation) into a `Kernel`; `compute` reads inputs and sets outputs through `OpContext`.

use crate::dtype::DataType;
use crate::graph::Attribute;
use crate::session::{execute_plan, Plan, RunState};
use crate::tensor::Tensor;
use crate::value::{TypeInfo, Value};
use crate::Result;
use std::sync::Arc;

/// Everything a kernel factory may know about its node.
#[derive(Clone, Debug, Default)]
pub struct NodeInfo {
    pub name: String,
    pub op_type: String,
    pub domain: String,
    /// The opset version of the node's domain in this model.
    pub opset: i64,
    pub attrs: Vec<(String, Attribute)>,
    /// Input/output value names ("" = omitted optional).
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub input_types: Vec<Option<TypeInfo>>,
    pub output_types: Vec<Option<TypeInfo>>,
    /// Compiled subgraphs, by attribute name (GRAPHS attributes repeat the name).
    pub subgraphs: Vec<(String, Arc<Plan>)>,
    /// Per input, its value when fixed at session creation (an initializer that no feed
    /// can override, a folded output, an enclosing graph's constant), so a factory can
    /// prepare it once, e.g. pack a weight. Clones share the tensor's storage.
    pub const_inputs: Vec<Option<Value>>,
}

impl NodeInfo {
    pub fn describe(&self) -> String {
        if self.name.is_empty() {
            format!("{} node (outputs {:?})", self.op_type, self.outputs)
        } else {
            format!("{} node '{}'", self.op_type, self.name)
        }
    }

    pub fn attr(&self, name: &str) -> Option<&Attribute> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    fn wrong(&self, name: &str, want: &str, got: &Attribute) -> crate::Error {
        err!(InvalidGraph, "{}: attribute '{name}' must be {want}, got {}", self.describe(), got.kind_name())
    }

    fn missing(&self, name: &str) -> crate::Error {
        err!(InvalidGraph, "{}: required attribute '{name}' is missing", self.describe())
    }

    pub fn get_int(&self, name: &str) -> Result<Option<i64>> {
        match self.attr(name) {
            None => Ok(None),
            Some(Attribute::Int(v)) => Ok(Some(*v)),
            Some(a) => Err(self.wrong(name, "an int", a)),
        }
    }
    pub fn int_or(&self, name: &str, default: i64) -> Result<i64> {
        Ok(self.get_int(name)?.unwrap_or(default))
    }
    pub fn req_int(&self, name: &str) -> Result<i64> {
        self.get_int(name)?.ok_or_else(|| self.missing(name))
    }
    pub fn get_float(&self, name: &str) -> Result<Option<f32>> {
        match self.attr(name) {
            None => Ok(None),
            Some(Attribute::Float(v)) => Ok(Some(*v)),
            Some(Attribute::Int(v)) => Ok(Some(*v as f32)),
            Some(a) => Err(self.wrong(name, "a float", a)),
        }
    }
    pub fn float_or(&self, name: &str, default: f32) -> Result<f32> {
        Ok(self.get_float(name)?.unwrap_or(default))
    }
    pub fn get_string(&self, name: &str) -> Result<Option<String>> {
        match self.attr(name) {
            None => Ok(None),
            Some(Attribute::String(v)) => Ok(Some(String::from_utf8_lossy(v).into_owned())),
            Some(a) => Err(self.wrong(name, "a string", a)),
        }
    }
    pub fn string_or(&self, name: &str, default: &str) -> Result<String> {
        Ok(self.get_string(name)?.unwrap_or_else(|| default.to_string()))
    }
    pub fn get_ints(&self, name: &str) -> Result<Option<Vec<i64>>> {
        match self.attr(name) {
            None => Ok(None),
            Some(Attribute::Ints(v)) => Ok(Some(v.clone())),
            Some(a) => Err(self.wrong(name, "a list of ints", a)),
        }
    }
    pub fn get_floats(&self, name: &str) -> Result<Option<Vec<f32>>> {
        match self.attr(name) {
            None => Ok(None),
            Some(Attribute::Floats(v)) => Ok(Some(v.clone())),
            Some(a) => Err(self.wrong(name, "a list of floats", a)),
        }
    }
    pub fn get_strings(&self, name: &str) -> Result<Option<Vec<String>>> {
        match self.attr(name) {
            None => Ok(None),
            Some(Attribute::Strings(v)) => Ok(Some(v.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect())),
            Some(a) => Err(self.wrong(name, "a list of strings", a)),
        }
    }
    pub fn get_tensor(&self, name: &str) -> Result<Option<&Tensor>> {
        match self.attr(name) {
            None => Ok(None),
            Some(Attribute::Tensor(t)) | Some(Attribute::SparseTensor(t)) => Ok(Some(t)),
            Some(a) => Err(self.wrong(name, "a tensor", a)),
        }
    }
    pub fn subgraph(&self, name: &str) -> Result<&Arc<Plan>> {
        self.subgraphs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
            .ok_or_else(|| err!(InvalidGraph, "{}: graph attribute '{name}' is missing", self.describe()))
    }
    /// Element type of input `i` as inferred at load time, if known.
    pub fn input_dtype(&self, i: usize) -> Option<DataType> {
        self.input_types.get(i)?.as_ref()?.elem_dtype()
    }
    pub fn output_dtype(&self, i: usize) -> Option<DataType> {
        self.output_types.get(i)?.as_ref()?.elem_dtype()
    }
    /// Input `i`'s tensor if it is fixed at session creation (see `const_inputs`).
    pub fn constant_input(&self, i: usize) -> Option<&Tensor> {
        match self.const_inputs.get(i)? {
            Some(Value::Tensor(t)) => Some(t),
            _ => None,
        }
    }
    /// Whether input `i` is present (not omitted).
    pub fn has_input(&self, i: usize) -> bool {
        self.inputs.get(i).is_some_and(|n| !n.is_empty())
    }
    pub fn has_output(&self, i: usize) -> bool {
        self.outputs.get(i).is_some_and(|n| !n.is_empty())
    }
}

pub trait Kernel: Send + Sync {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()>;
}

/// A kernel from a closure, for simple ops.
pub struct FnKernel<F>(pub F);

impl<F> Kernel for FnKernel<F>
where
    F: Fn(&mut OpContext<'_>) -> Result<()> + Send + Sync,
{
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        (self.0)(ctx)
    }
}

/// What `compute` sees: its inputs, slots for its outputs, and the run it belongs to.
pub struct OpContext<'a> {
    pub node: &'a NodeInfo,
    pub(crate) inputs: &'a [Option<&'a Value>],
    pub(crate) outputs: Vec<Option<Value>>,
    /// Outer-scope values the node's subgraphs use, by name.
    pub(crate) implicit: &'a [(&'a str, &'a Value)],
    pub run: &'a RunState,
    /// The provider this node was assigned to.
    pub provider: &'a dyn crate::provider::ExecutionProvider,
}

impl<'a> OpContext<'a> {
    pub fn num_inputs(&self) -> usize {
        self.inputs.len()
    }
    pub fn num_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Input `i` as a value, `None` when omitted or past the end.
    pub fn value(&self, i: usize) -> Option<&'a Value> {
        self.inputs.get(i).copied().flatten()
    }

    /// Required tensor input.
    pub fn input(&self, i: usize) -> Result<&'a Tensor> {
        match self.value(i) {
            Some(Value::Tensor(t)) => Ok(t),
            Some(v) => bail!(InvalidArgument, "{}: input {i} must be a tensor, got {}", self.node.describe(), v.type_info().type_string()),
            None => bail!(InvalidArgument, "{}: required input {i} is missing", self.node.describe()),
        }
    }

    /// Optional tensor input (omitted, or an empty optional, → None).
    pub fn opt_input(&self, i: usize) -> Result<Option<&'a Tensor>> {
        match self.value(i) {
            None => Ok(None),
            Some(Value::Tensor(t)) => Ok(Some(t)),
            Some(Value::Optional { value: None, .. }) => Ok(None),
            Some(Value::Optional { value: Some(v), .. }) => match v.as_ref() {
                Value::Tensor(t) => Ok(Some(t)),
                _ => bail!(InvalidArgument, "{}: input {i} must be a tensor", self.node.describe()),
            },
            Some(v) => bail!(InvalidArgument, "{}: input {i} must be a tensor, got {}", self.node.describe(), v.type_info().type_string()),
        }
    }

    /// Whether output `i` is wanted (declared with a name).
    pub fn output_required(&self, i: usize) -> bool {
        self.node.has_output(i)
    }

    /// The provider downcast to its concrete type (a CPU kernel asks for `CpuProvider`).
    pub fn provider_as<P: 'static>(&self) -> Option<&'a P> {
        self.provider.as_any().downcast_ref::<P>()
    }

    pub fn set_output(&mut self, i: usize, v: impl Into<Value>) -> Result<()> {
        match self.outputs.get_mut(i) {
            Some(slot) => {
                *slot = Some(v.into());
                Ok(())
            }
            None => bail!(InvalidGraph, "{}: has no output {i}", self.node.describe()),
        }
    }

    /// Runs the subgraph held in attribute `attr` with these graph inputs, giving its outputs.
    pub fn run_subgraph(&self, attr: &str, feeds: Vec<Value>) -> Result<Vec<Value>> {
        let plan = self.node.subgraph(attr)?;
        self.run_plan(plan, feeds)
    }

    pub fn run_plan(&self, plan: &Plan, feeds: Vec<Value>) -> Result<Vec<Value>> {
        execute_plan(plan, feeds, self.implicit, self.run)
    }
}
