//! ModelProto → Model: checks the IR version and opsets, converts graphs (and subgraphs),
//! attributes, types and functions.

use super::tensor::{sparse_to_dense, tensor_from_proto, LoadContext};
use crate::dtype::DataType;
use crate::graph::{normalize_domain, Attribute, Function, Graph, Model, Node, ValueInfo};
use crate::value::{Dim, TypeInfo};
use crate::{Error, ErrorCode, Result};
use onnxrun_proto::{
    attribute_proto::AttributeType, tensor_shape_proto::dimension, type_proto, AttributeProto, FunctionProto,
    GraphProto, Message, ModelProto, NodeProto, TypeProto, ValueInfoProto,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Newest IR version this runtime reads (onnx 1.23).
pub const MAX_IR_VERSION: i64 = 14;
/// Newest opset per domain this runtime knows.
pub const MAX_OPSETS: &[(&str, i64)] = &[("", 28), ("ai.onnx.ml", 5), ("ai.onnx.preview.training", 1), ("ai.onnx.preview", 1), ("com.microsoft", 1)];

pub fn load_model_file(path: &Path) -> Result<Model> {
    let bytes = std::fs::read(path).map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound { ErrorCode::NoSuchFile } else { ErrorCode::Fail };
        Error::new(code, format!("cannot read model file '{}': {e}", path.display()))
    })?;
    let ctx = LoadContext { model_dir: path.parent().map(|p| if p.as_os_str().is_empty() { Path::new(".").to_path_buf() } else { p.to_path_buf() }) };
    load_model_bytes(&bytes, &ctx)
}

pub fn load_model_bytes(bytes: &[u8], ctx: &LoadContext) -> Result<Model> {
    ensure!(!bytes.is_empty(), InvalidProtobuf, "model is empty (0 bytes)");
    let mp = ModelProto::decode(bytes).map_err(|e| err!(InvalidProtobuf, "bytes are not a valid ONNX model (protobuf parse failed: {e})"))?;
    convert_model(&mp, ctx)
}

fn convert_model(mp: &ModelProto, ctx: &LoadContext) -> Result<Model> {
    ensure!(mp.ir_version > 0, InvalidProtobuf, "not an ONNX model: ir_version is missing");
    ensure!(
        mp.ir_version <= MAX_IR_VERSION,
        InvalidGraph,
        "model IR version {} is newer than the newest supported ({MAX_IR_VERSION})",
        mp.ir_version
    );
    let graph = mp.graph.as_ref().ok_or_else(|| err!(InvalidProtobuf, "not an ONNX model: it has no graph"))?;
    let mut opsets = BTreeMap::new();
    for os in &mp.opset_import {
        opsets.insert(normalize_domain(&os.domain).to_string(), os.version);
    }
    if opsets.is_empty() && mp.ir_version < 3 {
        opsets.insert(String::new(), 1);
    }
    ensure!(!opsets.is_empty(), InvalidGraph, "model imports no opset");
    for (domain, v) in &opsets {
        if let Some((_, max)) = MAX_OPSETS.iter().find(|(d, _)| d == domain) {
            let name = if domain.is_empty() { "ai.onnx" } else { domain };
            ensure!(*v >= 1 && *v <= *max, InvalidGraph, "opset {v} of domain '{name}' is not supported (supported: 1 to {max})");
        }
    }
    let functions = mp.functions.iter().map(|f| convert_function(f, ctx)).collect::<Result<Vec<_>>>()?;
    Ok(Model {
        ir_version: mp.ir_version,
        opsets,
        producer_name: mp.producer_name.clone(),
        producer_version: mp.producer_version.clone(),
        domain: mp.domain.clone(),
        model_version: mp.model_version,
        doc: mp.doc_string.clone(),
        metadata: mp.metadata_props.iter().map(|kv| (kv.key.clone(), kv.value.clone())).collect(),
        graph: convert_graph(graph, ctx)?,
        functions,
    })
}

pub fn convert_graph(g: &GraphProto, ctx: &LoadContext) -> Result<Graph> {
    let mut initializers = Vec::with_capacity(g.initializer.len() + g.sparse_initializer.len());
    for t in &g.initializer {
        ensure!(!t.name.is_empty(), InvalidGraph, "graph '{}' has an initializer without a name", g.name);
        initializers.push((t.name.clone(), tensor_from_proto(t, ctx)?));
    }
    for sp in &g.sparse_initializer {
        let name = sp.values.as_ref().map(|v| v.name.clone()).unwrap_or_default();
        initializers.push((name.clone(), sparse_to_dense(sp, ctx).map_err(|e| e.context(format!("sparse initializer '{name}'")))?));
    }
    Ok(Graph {
        name: g.name.clone(),
        doc: g.doc_string.clone(),
        nodes: g.node.iter().map(|n| convert_node(n, ctx)).collect::<Result<_>>()?,
        inputs: g.input.iter().map(convert_value_info).collect::<Result<_>>()?,
        outputs: g.output.iter().map(convert_value_info).collect::<Result<_>>()?,
        initializers,
        value_info: g.value_info.iter().map(convert_value_info).collect::<Result<_>>()?,
    })
}

fn convert_node(n: &NodeProto, ctx: &LoadContext) -> Result<Node> {
    let mut node = Node {
        name: n.name.clone(),
        op_type: n.op_type.clone(),
        domain: normalize_domain(&n.domain).to_string(),
        inputs: n.input.clone(),
        outputs: n.output.clone(),
        attrs: Vec::with_capacity(n.attribute.len()),
        opset: None,
    };
    ensure!(!n.op_type.is_empty(), InvalidGraph, "a node has no op_type (name '{}')", n.name);
    for a in &n.attribute {
        let v = convert_attribute(a, ctx).map_err(|e| e.context(format!("attribute '{}' of {}", a.name, node.describe())))?;
        node.attrs.push((a.name.clone(), v));
    }
    Ok(node)
}

pub fn convert_attribute(a: &AttributeProto, ctx: &LoadContext) -> Result<Attribute> {
    if !a.ref_attr_name.is_empty() {
        return Ok(Attribute::Ref(a.ref_attr_name.clone()));
    }
    let ty = AttributeType::try_from(a.r#type).unwrap_or(AttributeType::Undefined);
    let ty = if ty == AttributeType::Undefined { guess_attr_type(a) } else { ty };
    Ok(match ty {
        AttributeType::Float => Attribute::Float(a.f),
        AttributeType::Int => Attribute::Int(a.i),
        AttributeType::String => Attribute::String(a.s.clone()),
        AttributeType::Tensor => Attribute::Tensor(tensor_from_proto(a.t.as_ref().ok_or_else(|| err!(InvalidGraph, "tensor attribute has no tensor"))?, ctx)?),
        AttributeType::Graph => Attribute::Graph(Arc::new(convert_graph(a.g.as_ref().ok_or_else(|| err!(InvalidGraph, "graph attribute has no graph"))?, ctx)?)),
        AttributeType::SparseTensor => Attribute::SparseTensor(sparse_to_dense(a.sparse_tensor.as_ref().ok_or_else(|| err!(InvalidGraph, "sparse attribute is empty"))?, ctx)?),
        AttributeType::TypeProto => Attribute::Type(convert_type(a.tp.as_ref().ok_or_else(|| err!(InvalidGraph, "type attribute is empty"))?)?),
        AttributeType::Floats => Attribute::Floats(a.floats.clone()),
        AttributeType::Ints => Attribute::Ints(a.ints.clone()),
        AttributeType::Strings => Attribute::Strings(a.strings.clone()),
        AttributeType::Tensors => Attribute::Tensors(a.tensors.iter().map(|t| tensor_from_proto(t, ctx)).collect::<Result<_>>()?),
        AttributeType::Graphs => Attribute::Graphs(a.graphs.iter().map(|g| convert_graph(g, ctx).map(Arc::new)).collect::<Result<_>>()?),
        AttributeType::SparseTensors => Attribute::SparseTensors(a.sparse_tensors.iter().map(|s| sparse_to_dense(s, ctx)).collect::<Result<_>>()?),
        AttributeType::TypeProtos => Attribute::Types(a.type_protos.iter().map(convert_type).collect::<Result<_>>()?),
        AttributeType::Undefined => bail!(InvalidGraph, "attribute has no type and no value"),
    })
}

// Very old models leave `type` unset; infer it from which field is filled.
fn guess_attr_type(a: &AttributeProto) -> AttributeType {
    if a.t.is_some() {
        AttributeType::Tensor
    } else if a.g.is_some() {
        AttributeType::Graph
    } else if !a.floats.is_empty() {
        AttributeType::Floats
    } else if !a.ints.is_empty() {
        AttributeType::Ints
    } else if !a.strings.is_empty() {
        AttributeType::Strings
    } else if !a.s.is_empty() {
        AttributeType::String
    } else if a.f != 0.0 {
        AttributeType::Float
    } else {
        AttributeType::Int
    }
}

fn convert_value_info(v: &ValueInfoProto) -> Result<ValueInfo> {
    Ok(ValueInfo {
        name: v.name.clone(),
        ty: match &v.r#type {
            Some(t) if t.value.is_some() => Some(convert_type(t).map_err(|e| e.context(format!("type of '{}'", v.name)))?),
            _ => None,
        },
        doc: v.doc_string.clone(),
    })
}

fn dtype_of(elem_type: i32) -> Result<DataType> {
    DataType::from_i32(elem_type).map_err(|e| err!(InvalidGraph, "{}", e.message))
}

pub fn convert_type(t: &TypeProto) -> Result<TypeInfo> {
    let shape_of = |s: &Option<onnxrun_proto::TensorShapeProto>| {
        s.as_ref().map(|s| {
            s.dim
                .iter()
                .map(|d| match &d.value {
                    Some(dimension::Value::DimValue(v)) => Dim::Known(*v),
                    Some(dimension::Value::DimParam(p)) if !p.is_empty() => Dim::Symbolic(p.clone()),
                    _ => Dim::Unknown,
                })
                .collect()
        })
    };
    let boxed = |e: &Option<Box<TypeProto>>| -> Result<Box<TypeInfo>> {
        Ok(Box::new(convert_type(e.as_deref().ok_or_else(|| err!(InvalidGraph, "container type without element type"))?)?))
    };
    Ok(match &t.value {
        Some(type_proto::Value::TensorType(tt)) => TypeInfo::Tensor { dtype: dtype_of(tt.elem_type)?, shape: shape_of(&tt.shape) },
        Some(type_proto::Value::SparseTensorType(tt)) => TypeInfo::SparseTensor { dtype: dtype_of(tt.elem_type)?, shape: shape_of(&tt.shape) },
        Some(type_proto::Value::SequenceType(s)) => TypeInfo::Sequence(boxed(&s.elem_type)?),
        Some(type_proto::Value::MapType(m)) => TypeInfo::Map(dtype_of(m.key_type)?, boxed(&m.value_type)?),
        Some(type_proto::Value::OptionalType(o)) => TypeInfo::Optional(boxed(&o.elem_type)?),
        Some(type_proto::Value::OpaqueType(_)) => bail!(NotImplemented, "opaque types are not supported"),
        None => bail!(InvalidGraph, "type is empty"),
    })
}

fn convert_function(f: &FunctionProto, ctx: &LoadContext) -> Result<Function> {
    let what = format!("function '{}' ({})", f.name, f.domain);
    let body = || -> Result<Function> {
        Ok(Function {
            name: f.name.clone(),
            domain: normalize_domain(&f.domain).to_string(),
            overload: f.overload.clone(),
            inputs: f.input.clone(),
            outputs: f.output.clone(),
            attr_names: f.attribute.clone(),
            attr_defaults: f.attribute_proto.iter().map(|a| Ok((a.name.clone(), convert_attribute(a, ctx)?))).collect::<Result<_>>()?,
            nodes: f.node.iter().map(|n| convert_node(n, ctx)).collect::<Result<_>>()?,
            opsets: f.opset_import.iter().map(|o| (normalize_domain(&o.domain).to_string(), o.version)).collect(),
        })
    };
    body().map_err(|e| e.context(what))
}
