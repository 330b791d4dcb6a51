//! Decodes bytes written by the Python `onnx` package (tests/data/make_tiny_model.py)
//! and checks every field against what the script put there.

use onnxrun_proto::attribute_proto::AttributeType;
use onnxrun_proto::optional_proto;
use onnxrun_proto::sequence_proto;
use onnxrun_proto::tensor_proto::DataType;
use onnxrun_proto::tensor_shape_proto::dimension::Value as Dim;
use onnxrun_proto::type_proto::{self, Value as Type};
use onnxrun_proto::*;

const TINY_MODEL: &[u8] = include_bytes!("data/tiny_model.onnx");
const OPTIONAL_SEQ_MAP: &[u8] = include_bytes!("data/optional_seq_map.pb");

fn dims(shape: &TensorShapeProto) -> Vec<Option<Dim>> {
    shape.dim.iter().map(|d| d.value.clone()).collect()
}

/// The tensor type of a value info, or a panic naming the value.
fn tensor_type(vi: &ValueInfoProto) -> &type_proto::Tensor {
    match vi.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(Type::TensorType(t)) => t,
        other => panic!("{}: expected a tensor type, got {other:?}", vi.name),
    }
}

fn attr<'a>(node: &'a NodeProto, name: &str) -> &'a AttributeProto {
    node.attribute
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no attribute {name}"))
}

#[test]
fn decodes_model_header_and_metadata() {
    let m = ModelProto::decode(TINY_MODEL).unwrap();
    assert_eq!(m.ir_version, 10);
    assert_eq!(m.producer_name, "onnxrun-test");
    assert_eq!(
        m.opset_import,
        vec![
            OperatorSetIdProto {
                domain: String::new(),
                version: 21
            },
            OperatorSetIdProto {
                domain: "local".into(),
                version: 1
            },
        ]
    );
    let props: Vec<(&str, &str)> = m
        .metadata_props
        .iter()
        .map(|p| (p.key.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(props, [("author", "onnxrun"), ("purpose", "decode test")]);
}

#[test]
fn decodes_graph_io_with_symbolic_and_scalar_shapes() {
    let g = ModelProto::decode(TINY_MODEL).unwrap().graph.unwrap();
    assert_eq!(g.name, "tiny");
    let names: Vec<&str> = g.input.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["X", "cond"]);

    let x = tensor_type(&g.input[0]);
    assert_eq!(x.elem_type(), DataType::Float);
    assert_eq!(
        dims(x.shape.as_ref().unwrap()),
        [Some(Dim::DimParam("N".into())), Some(Dim::DimValue(3))]
    );

    // A scalar has a present but empty shape (rank 0), not a missing one.
    let cond = tensor_type(&g.input[1]);
    assert_eq!(cond.elem_type(), DataType::Bool);
    assert_eq!(cond.shape, Some(TensorShapeProto::default()));

    assert_eq!(g.output.len(), 1);
    assert_eq!(g.output[0].name, "Y");
    assert_eq!(tensor_type(&g.output[0]).elem_type, 1);
}

#[test]
fn decodes_int64_initializer_from_raw_data() {
    let g = ModelProto::decode(TINY_MODEL).unwrap().graph.unwrap();
    assert_eq!(g.initializer.len(), 1);
    let b = &g.initializer[0];
    assert_eq!(b.name, "B");
    assert_eq!(b.dims, [3]);
    assert_eq!(b.data_type(), DataType::Int64);
    assert_eq!(b.data_location(), tensor_proto::DataLocation::Default);
    assert!(b.int64_data.is_empty());
    let values: Vec<i64> = b
        .raw_data
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(values, [1, -2, 3]);
}

#[test]
fn decodes_nodes_and_attributes() {
    let g = ModelProto::decode(TINY_MODEL).unwrap().graph.unwrap();
    let ops: Vec<(&str, &str, &str)> = g
        .node
        .iter()
        .map(|n| (n.name.as_str(), n.op_type.as_str(), n.domain.as_str()))
        .collect();
    assert_eq!(
        ops,
        [
            ("cast", "Cast", ""),
            ("add", "Add", ""),
            ("leaky", "LeakyRelu", ""),
            ("if", "If", ""),
            ("call", "AddTwice", "local"),
        ]
    );
    assert_eq!(g.node[1].input, ["X", "Bf"]);
    assert_eq!(g.node[1].output, ["S"]);

    let to = attr(&g.node[0], "to");
    assert_eq!(
        (to.r#type(), to.i),
        (AttributeType::Int, DataType::Float as i64)
    );

    let alpha = attr(&g.node[2], "alpha");
    assert_eq!((alpha.r#type(), alpha.f), (AttributeType::Float, 0.25));
    assert_eq!(alpha.r#type().as_str_name(), "FLOAT");
}

#[test]
fn decodes_if_subgraphs() {
    let g = ModelProto::decode(TINY_MODEL).unwrap().graph.unwrap();
    let node = &g.node[3];
    assert_eq!(node.input, ["cond"]);
    for (attr_name, op, out) in [
        ("then_branch", "Identity", "t_out"),
        ("else_branch", "Neg", "e_out"),
    ] {
        let a = attr(node, attr_name);
        assert_eq!(a.r#type(), AttributeType::Graph);
        let sub = a.g.as_ref().unwrap();
        assert_eq!(sub.name, attr_name);
        assert!(sub.input.is_empty(), "If branches take no inputs");
        assert_eq!(sub.node.len(), 1);
        // The branch reads "L" from the enclosing graph's scope.
        assert_eq!(
            (sub.node[0].op_type.as_str(), sub.node[0].input.as_slice()),
            (op, &["L".to_string()][..])
        );
        assert_eq!(sub.output[0].name, out);
        let shape = tensor_type(&sub.output[0]).shape.as_ref().unwrap();
        assert_eq!(
            dims(shape),
            [Some(Dim::DimParam("N".into())), Some(Dim::DimValue(3))]
        );
    }
}

#[test]
fn decodes_model_local_function() {
    let m = ModelProto::decode(TINY_MODEL).unwrap();
    assert_eq!(m.functions.len(), 1);
    let f = &m.functions[0];
    assert_eq!((f.domain.as_str(), f.name.as_str()), ("local", "AddTwice"));
    assert_eq!(f.input, ["x", "y"]);
    assert_eq!(f.output, ["z"]);
    assert_eq!(
        f.opset_import,
        [OperatorSetIdProto {
            domain: String::new(),
            version: 21
        }]
    );
    let body: Vec<(&str, Vec<&str>, Vec<&str>)> = f
        .node
        .iter()
        .map(|n| {
            (
                n.op_type.as_str(),
                n.input.iter().map(String::as_str).collect(),
                n.output.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        body,
        [
            ("Add", vec!["x", "y"], vec!["t"]),
            ("Add", vec!["t", "y"], vec!["z"])
        ]
    );
}

/// Re-encoding must give back the exact bytes: proof that no field was dropped or
/// mis-typed (unknown fields would vanish, a wrong packing would change the bytes).
#[test]
fn reencodes_python_bytes_exactly() {
    let m = ModelProto::decode(TINY_MODEL).unwrap();
    assert_eq!(m.encoded_len(), TINY_MODEL.len());
    assert_eq!(m.encode_to_vec(), TINY_MODEL);

    let o = OptionalProto::decode(OPTIONAL_SEQ_MAP).unwrap();
    assert_eq!(o.encode_to_vec(), OPTIONAL_SEQ_MAP);
}

#[test]
fn decodes_optional_sequence_of_maps() {
    let o = OptionalProto::decode(OPTIONAL_SEQ_MAP).unwrap();
    assert_eq!(o.name, "o");
    assert_eq!(o.elem_type(), optional_proto::DataType::Sequence);
    assert!(o.tensor_value.is_none() && o.map_value.is_none() && o.optional_value.is_none());

    let s = o.sequence_value.unwrap();
    assert_eq!(
        (s.name.as_str(), s.elem_type()),
        ("s", sequence_proto::DataType::Map)
    );
    assert_eq!(s.map_values.len(), 2);

    let m = &s.map_values[0];
    assert_eq!((m.name.as_str(), m.key_type()), ("m", DataType::Int64));
    assert_eq!(m.keys, [3, 7]);
    let vals = m.values.as_ref().unwrap();
    assert_eq!(vals.elem_type(), sequence_proto::DataType::Tensor);
    let floats: Vec<(&[i64], &[f32])> = vals
        .tensor_values
        .iter()
        .map(|t| (t.dims.as_slice(), t.float_data.as_slice()))
        .collect();
    assert_eq!(
        floats,
        [(&[2][..], &[1.5, 2.0][..]), (&[1][..], &[-1.0][..])]
    );

    let sm = &s.map_values[1];
    assert_eq!(sm.key_type(), DataType::String);
    assert_eq!(sm.string_keys, [b"a".to_vec(), b"b".to_vec()]);
    let ints: Vec<i64> = sm
        .values
        .as_ref()
        .unwrap()
        .tensor_values
        .iter()
        .map(|t| {
            assert_eq!(t.data_type(), DataType::Int64);
            i64::from_le_bytes(t.raw_data.as_slice().try_into().unwrap())
        })
        .collect();
    assert_eq!(ints, [10, 20]);
}
