//! Sequence and optional kernels.

mod common;
use common::*;
use onnxrun_core::{Attribute, DataType, ErrorCode, Tensor, TypeInfo, Value};

fn seq(items: Vec<Tensor>) -> Value {
    Value::Sequence { elem: TypeInfo::tensor(DataType::Float), items: items.into_iter().map(Value::Tensor).collect() }
}
fn items(v: &Value) -> &[Value] {
    match v {
        Value::Sequence { items, .. } => items,
        _ => panic!("not a sequence"),
    }
}

#[test]
fn construct_insert_erase_at_length() {
    let (a, b, c) = (f32s(&[1], &[1.]), f32s(&[1], &[2.]), f32s(&[1], &[3.]));
    let out = OpTest::new("SequenceConstruct", 11).input(a.clone()).input(b.clone()).run().unwrap();
    assert_eq!(items(&out[0]).len(), 2);
    let out = OpTest::new("SequenceInsert", 11).input(seq(vec![a.clone(), b.clone()])).input(c.clone()).input(Tensor::scalar(-1i64)).run().unwrap();
    let got: Vec<f32> = items(&out[0]).iter().map(|v| v.as_tensor().unwrap().data::<f32>().unwrap()[0]).collect();
    assert_eq!(got, [1., 3., 2.]);
    let out = OpTest::new("SequenceErase", 11).input(seq(vec![a.clone(), b.clone(), c.clone()])).input(Tensor::scalar(0i64)).run().unwrap();
    assert_eq!(items(&out[0]).len(), 2);
    let out = OpTest::new("SequenceAt", 11).input(seq(vec![a.clone(), b.clone(), c.clone()])).input(Tensor::scalar(-1i32)).run().unwrap();
    assert_close(&out[0], &[3.], 0.0);
    let r = OpTest::new("SequenceAt", 11).input(seq(vec![a.clone()])).input(Tensor::scalar(1i64)).run();
    assert_eq!(r.unwrap_err().code, ErrorCode::InvalidArgument);
    let out = OpTest::new("SequenceLength", 11).input(seq(vec![a, b, c])).run().unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<i64>().unwrap(), [3]);
    let out = OpTest::new("SequenceEmpty", 11).attr("dtype", Attribute::Int(DataType::Int64 as i64)).run().unwrap();
    match &out[0] {
        Value::Sequence { elem, items } => {
            assert!(items.is_empty());
            assert_eq!(elem.elem_dtype(), Some(DataType::Int64));
        }
        _ => panic!("not a sequence"),
    }
}

#[test]
fn split_and_concat_round_trip() {
    let x = f32s(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let out = OpTest::new("SplitToSequence", 11).attr("axis", Attribute::Int(1)).attr("keepdims", Attribute::Int(0)).input(x.clone()).run().unwrap();
    let parts = items(&out[0]);
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].as_tensor().unwrap().shape(), [2]);
    let out2 = OpTest::new("ConcatFromSequence", 11).attr("axis", Attribute::Int(1)).attr("new_axis", Attribute::Int(1)).input(out[0].clone()).run().unwrap();
    assert_eq!(out2[0].as_tensor().unwrap().shape(), [2, 3]);
    assert_close(&out2[0], &[1., 2., 3., 4., 5., 6.], 0.0);
    // A scalar split: pieces of 2, the last one smaller.
    let out = OpTest::new("SplitToSequence", 11).attr("axis", Attribute::Int(1)).input(x).input(Tensor::scalar(2i64)).run().unwrap();
    let shapes: Vec<Vec<usize>> = items(&out[0]).iter().map(|v| v.as_tensor().unwrap().shape().to_vec()).collect();
    assert_eq!(shapes, [vec![2, 2], vec![2, 1]]);
}

#[test]
fn optionals() {
    let t = f32s(&[1], &[5.]);
    let out = OpTest::new("Optional", 15).input(t.clone()).run().unwrap();
    assert!(matches!(&out[0], Value::Optional { value: Some(_), .. }));
    let out = OpTest::new("OptionalHasElement", 18).input(out[0].clone()).run().unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<bool>().unwrap(), [true]);
    let empty = Value::Optional { elem: TypeInfo::tensor(DataType::Float), value: None };
    let out = OpTest::new("OptionalHasElement", 18).input(empty.clone()).run().unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<bool>().unwrap(), [false]);
    let r = OpTest::new("OptionalGetElement", 18).input(empty).run();
    assert_eq!(r.unwrap_err().code, ErrorCode::InvalidArgument);
    let out = OpTest::new("OptionalGetElement", 18).input(t).run().unwrap();
    assert_close(&out[0], &[5.], 0.0);
}
