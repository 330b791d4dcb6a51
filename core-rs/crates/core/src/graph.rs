//! The graph IR: what the loader produces from protobuf and the planner consumes.

use crate::tensor::Tensor;
use crate::value::TypeInfo;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub enum Attribute {
    Float(f32),
    Int(i64),
    String(Vec<u8>),
    Tensor(Tensor),
    Graph(Arc<Graph>),
    /// Sparse tensors are densified at load time; the original is not kept.
    SparseTensor(Tensor),
    Type(TypeInfo),
    Floats(Vec<f32>),
    Ints(Vec<i64>),
    Strings(Vec<Vec<u8>>),
    Tensors(Vec<Tensor>),
    Graphs(Vec<Arc<Graph>>),
    SparseTensors(Vec<Tensor>),
    Types(Vec<TypeInfo>),
    /// Inside a function body: take the value of the caller's attribute of this name.
    Ref(String),
}

impl Attribute {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Attribute::Float(_) => "float",
            Attribute::Int(_) => "int",
            Attribute::String(_) => "string",
            Attribute::Tensor(_) => "tensor",
            Attribute::Graph(_) => "graph",
            Attribute::SparseTensor(_) => "sparse_tensor",
            Attribute::Type(_) => "type_proto",
            Attribute::Floats(_) => "floats",
            Attribute::Ints(_) => "ints",
            Attribute::Strings(_) => "strings",
            Attribute::Tensors(_) => "tensors",
            Attribute::Graphs(_) => "graphs",
            Attribute::SparseTensors(_) => "sparse_tensors",
            Attribute::Types(_) => "type_protos",
            Attribute::Ref(_) => "ref",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Node {
    pub name: String,
    pub op_type: String,
    /// "" is the default ONNX domain (also written "ai.onnx").
    pub domain: String,
    /// Empty string = an omitted optional input/output.
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub attrs: Vec<(String, Attribute)>,
    /// Opset of the node's domain when it differs from the model's (inlined function bodies).
    pub opset: Option<i64>,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&Attribute> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    /// "Add node 'add_1'": how errors name a node.
    pub fn describe(&self) -> String {
        if self.name.is_empty() {
            format!("{} node (outputs {:?})", self.op_type, self.outputs)
        } else {
            format!("{} node '{}'", self.op_type, self.name)
        }
    }

    /// Subgraphs held in attributes.
    pub fn subgraphs(&self) -> impl Iterator<Item = (&str, &Arc<Graph>)> {
        self.attrs.iter().flat_map(|(n, a)| {
            let v: Vec<(&str, &Arc<Graph>)> = match a {
                Attribute::Graph(g) => vec![(n.as_str(), g)],
                Attribute::Graphs(gs) => gs.iter().map(|g| (n.as_str(), g)).collect(),
                _ => vec![],
            };
            v
        })
    }
}

#[derive(Clone, Debug)]
pub struct ValueInfo {
    pub name: String,
    pub ty: Option<TypeInfo>,
    pub doc: String,
}

#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub name: String,
    pub doc: String,
    pub nodes: Vec<Node>,
    pub inputs: Vec<ValueInfo>,
    pub outputs: Vec<ValueInfo>,
    /// In declaration order.
    pub initializers: Vec<(String, Tensor)>,
    pub value_info: Vec<ValueInfo>,
}

impl Graph {
    pub fn initializer(&self, name: &str) -> Option<&Tensor> {
        self.initializers.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }
}

/// A model-local function (FunctionProto).
#[derive(Clone, Debug, Default)]
pub struct Function {
    pub name: String,
    pub domain: String,
    pub overload: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub attr_names: Vec<String>,
    /// Attributes with default values.
    pub attr_defaults: Vec<(String, Attribute)>,
    pub nodes: Vec<Node>,
    pub opsets: BTreeMap<String, i64>,
}

#[derive(Clone, Debug, Default)]
pub struct Model {
    pub ir_version: i64,
    /// Domain ("" for ai.onnx) → opset version.
    pub opsets: BTreeMap<String, i64>,
    pub producer_name: String,
    pub producer_version: String,
    pub domain: String,
    pub model_version: i64,
    pub doc: String,
    pub metadata: Vec<(String, String)>,
    pub graph: Graph,
    pub functions: Vec<Function>,
}

impl Model {
    pub fn opset(&self, domain: &str) -> Option<i64> {
        self.opsets.get(normalize_domain(domain)).copied()
    }
}

/// "ai.onnx" and "" are the same domain.
pub fn normalize_domain(d: &str) -> &str {
    if d == "ai.onnx" {
        ""
    } else {
        d
    }
}
