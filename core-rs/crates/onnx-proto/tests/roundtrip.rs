//! Encode-then-decode of messages built in Rust, wire-format details that other
//! ONNX readers rely on, and the enum numbers.

use onnxrun_proto::attribute_proto::AttributeType;
use onnxrun_proto::tensor_proto::{DataLocation, DataType, Segment};
use onnxrun_proto::tensor_shape_proto::{dimension, Dimension};
use onnxrun_proto::type_proto::{self, Value as Type};
use onnxrun_proto::*;

fn entry(k: &str, v: &str) -> StringStringEntryProto {
    StringStringEntryProto {
        key: k.into(),
        value: v.into(),
    }
}

fn shape(dims: &[dimension::Value]) -> TensorShapeProto {
    TensorShapeProto {
        dim: dims
            .iter()
            .map(|d| Dimension {
                value: Some(d.clone()),
                denotation: String::new(),
            })
            .collect(),
    }
}

fn tensor_type(elem: DataType, dims: &[dimension::Value]) -> TypeProto {
    TypeProto {
        value: Some(Type::TensorType(type_proto::Tensor {
            elem_type: elem as i32,
            shape: Some(shape(dims)),
        })),
        denotation: String::new(),
    }
}

fn value_info(name: &str, ty: TypeProto) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(ty),
        ..Default::default()
    }
}

fn float_tensor(name: &str, dims: &[i64], data: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        float_data: data.to_vec(),
        ..Default::default()
    }
}

/// A model touching every message type and every attribute kind.
fn kitchen_sink() -> ModelProto {
    use dimension::Value::{DimParam, DimValue};
    let seq_of_opt_map = TypeProto {
        value: Some(Type::SequenceType(type_proto::Sequence {
            elem_type: Some(Box::new(TypeProto {
                value: Some(Type::OptionalType(type_proto::Optional {
                    elem_type: Some(Box::new(TypeProto {
                        value: Some(Type::MapType(type_proto::Map {
                            key_type: DataType::String as i32,
                            value_type: Some(Box::new(tensor_type(DataType::Float, &[]))),
                        })),
                        denotation: String::new(),
                    })),
                })),
                denotation: String::new(),
            })),
        })),
        denotation: "TEXT".into(),
    };
    let sparse = SparseTensorProto {
        values: Some(float_tensor("sp", &[2], &[1.0, 2.0])),
        indices: Some(TensorProto {
            dims: vec![2],
            data_type: DataType::Int64 as i32,
            int64_data: vec![1, 5],
            ..Default::default()
        }),
        dims: vec![2, 3],
    };
    let body = GraphProto {
        name: "body".into(),
        node: vec![NodeProto {
            op_type: "Identity".into(),
            input: vec!["a".into()],
            output: vec!["b".into()],
            ..Default::default()
        }],
        ..Default::default()
    };
    let attrs = vec![
        AttributeProto {
            name: "f".into(),
            r#type: AttributeType::Float as i32,
            f: -1.5,
            ..Default::default()
        },
        AttributeProto {
            name: "i".into(),
            r#type: AttributeType::Int as i32,
            i: -7,
            ..Default::default()
        },
        AttributeProto {
            name: "s".into(),
            r#type: AttributeType::String as i32,
            s: b"\xffraw".to_vec(),
            ..Default::default()
        },
        AttributeProto {
            name: "t".into(),
            r#type: AttributeType::Tensor as i32,
            t: Some(float_tensor("c", &[1], &[3.0])),
            ..Default::default()
        },
        AttributeProto {
            name: "g".into(),
            r#type: AttributeType::Graph as i32,
            g: Some(body.clone()),
            ..Default::default()
        },
        AttributeProto {
            name: "st".into(),
            r#type: AttributeType::SparseTensor as i32,
            sparse_tensor: Some(sparse.clone()),
            ..Default::default()
        },
        AttributeProto {
            name: "tp".into(),
            r#type: AttributeType::TypeProto as i32,
            tp: Some(seq_of_opt_map.clone()),
            ..Default::default()
        },
        AttributeProto {
            name: "fs".into(),
            r#type: AttributeType::Floats as i32,
            floats: vec![0.5, f32::NEG_INFINITY],
            ..Default::default()
        },
        AttributeProto {
            name: "is".into(),
            r#type: AttributeType::Ints as i32,
            ints: vec![i64::MIN, 0, i64::MAX],
            ..Default::default()
        },
        AttributeProto {
            name: "ss".into(),
            r#type: AttributeType::Strings as i32,
            strings: vec![b"x".to_vec(), vec![]],
            ..Default::default()
        },
        AttributeProto {
            name: "ts".into(),
            r#type: AttributeType::Tensors as i32,
            tensors: vec![float_tensor("", &[0], &[])],
            ..Default::default()
        },
        AttributeProto {
            name: "gs".into(),
            r#type: AttributeType::Graphs as i32,
            graphs: vec![body.clone(), body],
            ..Default::default()
        },
        AttributeProto {
            name: "sts".into(),
            r#type: AttributeType::SparseTensors as i32,
            sparse_tensors: vec![sparse.clone()],
            ..Default::default()
        },
        AttributeProto {
            name: "tps".into(),
            r#type: AttributeType::TypeProtos as i32,
            type_protos: vec![seq_of_opt_map.clone()],
            ..Default::default()
        },
        AttributeProto {
            name: "fwd".into(),
            r#type: AttributeType::Float as i32,
            ref_attr_name: "alpha".into(),
            doc_string: "forwarded".into(),
            ..Default::default()
        },
    ];
    let initializers = vec![
        TensorProto {
            name: "w".into(),
            dims: vec![2, 2],
            data_type: DataType::Float16 as i32,
            raw_data: vec![0x00, 0x3c, 0x00, 0x40, 0x00, 0x42, 0x00, 0x44],
            segment: Some(Segment { begin: 0, end: 4 }),
            doc_string: "fp16".into(),
            metadata_props: vec![entry("k", "v")],
            ..Default::default()
        },
        TensorProto {
            name: "i32".into(),
            dims: vec![3],
            data_type: DataType::Int8 as i32,
            int32_data: vec![-128, 0, 127],
            ..Default::default()
        },
        TensorProto {
            name: "s".into(),
            dims: vec![2],
            data_type: DataType::String as i32,
            string_data: vec![b"ab".to_vec(), b"".to_vec()],
            ..Default::default()
        },
        TensorProto {
            name: "d".into(),
            dims: vec![2],
            data_type: DataType::Complex128 as i32,
            double_data: vec![1.0, -2.0, 3.0, 0.25],
            ..Default::default()
        },
        TensorProto {
            name: "u".into(),
            dims: vec![1],
            data_type: DataType::Uint64 as i32,
            uint64_data: vec![u64::MAX],
            ..Default::default()
        },
        TensorProto {
            name: "ext".into(),
            dims: vec![1024],
            data_type: DataType::Float as i32,
            data_location: DataLocation::External as i32,
            external_data: vec![
                entry("location", "weights.bin"),
                entry("offset", "4096"),
                entry("length", "4096"),
            ],
            ..Default::default()
        },
    ];
    let graph = GraphProto {
        name: "main".into(),
        doc_string: "everything".into(),
        node: vec![NodeProto {
            name: "n0".into(),
            op_type: "Custom".into(),
            domain: "com.example".into(),
            overload: "v2".into(),
            input: vec!["x".into(), String::new(), "w".into()],
            output: vec!["y".into()],
            attribute: attrs,
            doc_string: "all attribute kinds".into(),
            metadata_props: vec![entry("origin", "test")],
            device_configurations: vec![NodeDeviceConfigurationProto {
                configuration_id: "two_gpus".into(),
                pipeline_stage: 1,
                sharding_spec: vec![ShardingSpecProto {
                    tensor_name: "x".into(),
                    device: vec![0, 1],
                    index_to_device_group_map: vec![IntIntListEntryProto {
                        key: 0,
                        value: vec![0, 1],
                    }],
                    sharded_dim: vec![ShardedDimProto {
                        axis: 0,
                        simple_sharding: vec![SimpleShardedDimProto {
                            dim: Some(simple_sharded_dim_proto::Dim::DimParam("N".into())),
                            num_shards: 2,
                        }],
                    }],
                }],
            }],
        }],
        initializer: initializers,
        sparse_initializer: vec![sparse],
        input: vec![
            value_info(
                "x",
                tensor_type(DataType::Float, &[DimParam("N".into()), DimValue(3)]),
            ),
            value_info("seq", seq_of_opt_map),
            value_info(
                "opaque",
                TypeProto {
                    value: Some(Type::OpaqueType(type_proto::Opaque {
                        domain: "com.example".into(),
                        name: "Handle".into(),
                    })),
                    denotation: String::new(),
                },
            ),
            value_info(
                "sp",
                TypeProto {
                    value: Some(Type::SparseTensorType(type_proto::SparseTensor {
                        elem_type: DataType::Float as i32,
                        shape: None,
                    })),
                    denotation: String::new(),
                },
            ),
        ],
        output: vec![value_info(
            "y",
            tensor_type(DataType::Float8e4m3fn, &[DimValue(0)]),
        )],
        value_info: vec![ValueInfoProto {
            name: "mid".into(),
            r#type: Some(TypeProto {
                value: None,
                denotation: String::new(),
            }),
            doc_string: "type unknown".into(),
            metadata_props: vec![entry("a", "b")],
        }],
        quantization_annotation: vec![TensorAnnotation {
            tensor_name: "y".into(),
            quant_parameter_tensor_names: vec![
                entry("SCALE_TENSOR", "y_scale"),
                entry("ZERO_POINT_TENSOR", "y_zp"),
            ],
        }],
        metadata_props: vec![entry("graph", "meta")],
    };
    ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![
            OperatorSetIdProto {
                domain: String::new(),
                version: 23,
            },
            OperatorSetIdProto {
                domain: "com.example".into(),
                version: 1,
            },
        ],
        producer_name: "onnxrun".into(),
        producer_version: "0.1".into(),
        domain: "test".into(),
        model_version: 3,
        doc_string: "kitchen sink".into(),
        graph: Some(graph.clone()),
        metadata_props: vec![entry("license", "MIT")],
        training_info: vec![TrainingInfoProto {
            initialization: Some(graph.clone()),
            algorithm: Some(graph),
            initialization_binding: vec![entry("w", "w_init")],
            update_binding: vec![entry("w", "w_new")],
        }],
        functions: vec![FunctionProto {
            name: "Custom".into(),
            domain: "com.example".into(),
            overload: "v2".into(),
            input: vec!["x".into()],
            output: vec!["y".into()],
            attribute: vec!["beta".into()],
            attribute_proto: vec![AttributeProto {
                name: "alpha".into(),
                r#type: AttributeType::Float as i32,
                f: 0.1,
                ..Default::default()
            }],
            node: vec![NodeProto {
                op_type: "Relu".into(),
                input: vec!["x".into()],
                output: vec!["y".into()],
                ..Default::default()
            }],
            doc_string: "fn".into(),
            opset_import: vec![OperatorSetIdProto {
                domain: String::new(),
                version: 23,
            }],
            value_info: vec![value_info("y", tensor_type(DataType::Float, &[]))],
            metadata_props: vec![entry("f", "m")],
        }],
        configuration: vec![DeviceConfigurationProto {
            name: "two_gpus".into(),
            num_devices: 2,
            device: vec!["cuda:0".into(), "cuda:1".into()],
        }],
    }
}

#[test]
fn model_roundtrips() {
    let model = kitchen_sink();
    let bytes = model.encode_to_vec();
    assert_eq!(bytes.len(), model.encoded_len());
    let back = ModelProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(back, model);
    // Encoding is deterministic, so a second pass gives the same bytes.
    assert_eq!(back.encode_to_vec(), bytes);
}

#[test]
fn values_roundtrip() {
    let map = MapProto {
        name: "m".into(),
        key_type: DataType::Int64 as i32,
        keys: vec![-1, 2],
        string_keys: vec![],
        values: Some(SequenceProto {
            elem_type: sequence_proto::DataType::Tensor as i32,
            tensor_values: vec![float_tensor("", &[], &[1.0]), float_tensor("", &[], &[2.0])],
            ..Default::default()
        }),
    };
    let inner = OptionalProto {
        name: "none".into(),
        elem_type: optional_proto::DataType::Tensor as i32,
        ..Default::default()
    };
    let seq = SequenceProto {
        name: "s".into(),
        elem_type: sequence_proto::DataType::Optional as i32,
        optional_values: vec![
            OptionalProto {
                elem_type: optional_proto::DataType::Optional as i32,
                optional_value: Some(Box::new(inner)),
                ..Default::default()
            },
            OptionalProto {
                elem_type: optional_proto::DataType::Map as i32,
                map_value: Some(map),
                ..Default::default()
            },
        ],
        sequence_values: vec![SequenceProto::default()],
        ..Default::default()
    };
    let back = SequenceProto::decode(seq.encode_to_vec().as_slice()).unwrap();
    assert_eq!(back, seq);
    assert!(back.optional_values[0]
        .optional_value
        .as_ref()
        .unwrap()
        .tensor_value
        .is_none());
}

/// proto2 declares `dims`/`ints`/`floats` unpacked and the typed data lists packed;
/// the Python package and onnxruntime write them that way, so must we.
#[test]
fn repeated_scalars_use_the_schema_packing() {
    let t = TensorProto {
        dims: vec![2, 3],
        float_data: vec![1.0, 2.0],
        ..Default::default()
    };
    let mut want = vec![0x08, 2, 0x08, 3, 0x22, 8];
    want.extend(1.0f32.to_le_bytes());
    want.extend(2.0f32.to_le_bytes());
    assert_eq!(t.encode_to_vec(), want);

    let a = AttributeProto {
        ints: vec![1, 2],
        floats: vec![0.5],
        ..Default::default()
    };
    let mut want = vec![0x3d];
    want.extend(0.5f32.to_le_bytes());
    want.extend([0x40, 1, 0x40, 2]);
    assert_eq!(a.encode_to_vec(), want);

    // Readers must accept either packing: a packed `dims` still decodes.
    let packed_dims = [0x0a, 2, 4, 5];
    assert_eq!(TensorProto::decode(&packed_dims[..]).unwrap().dims, [4, 5]);
}

#[test]
fn dim_value_zero_is_kept_and_distinct_from_unknown() {
    let s = TensorShapeProto {
        dim: vec![
            Dimension {
                value: Some(dimension::Value::DimValue(0)),
                denotation: String::new(),
            },
            Dimension {
                value: None,
                denotation: "DATA_BATCH".into(),
            },
        ],
    };
    let back = TensorShapeProto::decode(s.encode_to_vec().as_slice()).unwrap();
    assert_eq!(back.dim[0].value, Some(dimension::Value::DimValue(0)));
    assert_eq!(back.dim[1].value, None);
    assert_eq!(back.dim[1].denotation, "DATA_BATCH");
}

#[test]
fn data_type_numbers_match_onnx_1_23() {
    let expected = [
        ("UNDEFINED", 0),
        ("FLOAT", 1),
        ("UINT8", 2),
        ("INT8", 3),
        ("UINT16", 4),
        ("INT16", 5),
        ("INT32", 6),
        ("INT64", 7),
        ("STRING", 8),
        ("BOOL", 9),
        ("FLOAT16", 10),
        ("DOUBLE", 11),
        ("UINT32", 12),
        ("UINT64", 13),
        ("COMPLEX64", 14),
        ("COMPLEX128", 15),
        ("BFLOAT16", 16),
        ("FLOAT8E4M3FN", 17),
        ("FLOAT8E4M3FNUZ", 18),
        ("FLOAT8E5M2", 19),
        ("FLOAT8E5M2FNUZ", 20),
        ("UINT4", 21),
        ("INT4", 22),
        ("FLOAT4E2M1", 23),
        ("FLOAT8E8M0", 24),
        ("UINT2", 25),
        ("INT2", 26),
        ("FLOAT6E2M3", 27),
        ("FLOAT6E3M2", 28),
    ];
    for (name, n) in expected {
        let dt = DataType::try_from(n).unwrap();
        assert_eq!((dt.as_str_name(), dt as i32), (name, n));
    }
    assert!(DataType::try_from(29).is_err());
    // The lenient getter maps an unknown number to UNDEFINED.
    assert_eq!(
        TensorProto {
            data_type: 99,
            ..Default::default()
        }
        .data_type(),
        DataType::Undefined
    );
}

#[test]
fn attribute_type_numbers_match_onnx_1_23() {
    let expected = [
        ("UNDEFINED", 0),
        ("FLOAT", 1),
        ("INT", 2),
        ("STRING", 3),
        ("TENSOR", 4),
        ("GRAPH", 5),
        ("FLOATS", 6),
        ("INTS", 7),
        ("STRINGS", 8),
        ("TENSORS", 9),
        ("GRAPHS", 10),
        ("SPARSE_TENSOR", 11),
        ("SPARSE_TENSORS", 12),
        ("TYPE_PROTO", 13),
        ("TYPE_PROTOS", 14),
    ];
    for (name, n) in expected {
        assert_eq!(AttributeType::try_from(n).unwrap().as_str_name(), name);
    }
    assert!(AttributeType::try_from(15).is_err());
    assert_eq!(IR_VERSION, 14);
    assert_eq!(Version::IrVersion20251106 as i32, 13);
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(ModelProto::decode(&b"\x0a\xff\xff\xff\xff\x0f"[..]).is_err()); // length past the end
    assert!(ModelProto::decode(&b"\x3a\x02\x0a"[..]).is_err()); // truncated sub-message
    assert!(ModelProto::decode(&b"\x07"[..]).is_err()); // field 0 / bad wire type
}
