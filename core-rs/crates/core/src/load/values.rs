//! Serialized values (TensorProto, SequenceProto, MapProto, OptionalProto) → Value:
//! what test data and `onnxrun_value_from_proto` use.

use super::tensor::{sparse_to_dense, tensor_from_proto, LoadContext};
use crate::dtype::DataType;
use crate::tensor::Tensor;
use crate::value::{MapValue, TypeInfo, Value};
use crate::Result;
use onnxrun_proto::{MapProto, Message, OptionalProto, SequenceProto, TensorProto};

/// kind: 1 tensor, 2 sequence, 3 map, 4 optional.
pub fn value_from_proto_bytes(bytes: &[u8], kind: i32) -> Result<Value> {
    let ctx = LoadContext::default();
    let bad = |e: onnxrun_proto::DecodeError| err!(InvalidProtobuf, "cannot parse serialized value: {e}");
    match kind {
        1 => Ok(Value::Tensor(tensor_from_proto(&TensorProto::decode(bytes).map_err(bad)?, &ctx)?)),
        2 => sequence(&SequenceProto::decode(bytes).map_err(bad)?, &ctx),
        3 => map(&MapProto::decode(bytes).map_err(bad)?, &ctx),
        4 => optional(&OptionalProto::decode(bytes).map_err(bad)?, &ctx),
        k => bail!(InvalidArgument, "unknown serialized value kind {k} (1 tensor, 2 sequence, 3 map, 4 optional)"),
    }
}

fn sequence(s: &SequenceProto, ctx: &LoadContext) -> Result<Value> {
    let items: Vec<Value> = match s.elem_type {
        1 => s.tensor_values.iter().map(|t| tensor_from_proto(t, ctx).map(Value::Tensor)).collect::<Result<_>>()?,
        2 => s.sparse_tensor_values.iter().map(|t| sparse_to_dense(t, ctx).map(Value::Tensor)).collect::<Result<_>>()?,
        3 => s.sequence_values.iter().map(|v| sequence(v, ctx)).collect::<Result<_>>()?,
        4 => s.map_values.iter().map(|v| map(v, ctx)).collect::<Result<_>>()?,
        5 => s.optional_values.iter().map(|v| optional(v, ctx)).collect::<Result<_>>()?,
        0 => vec![],
        t => bail!(InvalidProtobuf, "unknown sequence element type {t}"),
    };
    let elem = match (items.first(), s.tensor_values.first()) {
        (Some(v), _) => v.type_info(),
        (None, Some(t)) => TypeInfo::tensor(DataType::from_i32(t.data_type)?),
        (None, None) => TypeInfo::tensor(DataType::Float),
    };
    Ok(Value::Sequence { elem, items })
}

fn map(m: &MapProto, ctx: &LoadContext) -> Result<Value> {
    let key_type = DataType::from_i32(m.key_type)?;
    let keys = if key_type == DataType::String {
        Tensor::from_strings(vec![m.string_keys.len()], m.string_keys.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect())?
    } else {
        Tensor::from_vec(vec![m.keys.len()], m.keys.clone())?
    };
    let values = sequence(m.values.as_ref().ok_or_else(|| err!(InvalidProtobuf, "map without values"))?, ctx)?;
    Ok(Value::Map(MapValue { keys, values: Box::new(values) }))
}

fn optional(o: &OptionalProto, ctx: &LoadContext) -> Result<Value> {
    let inner = match o.elem_type {
        1 => o.tensor_value.as_ref().map(|t| tensor_from_proto(t, ctx).map(Value::Tensor)).transpose()?,
        2 => o.sparse_tensor_value.as_ref().map(|t| sparse_to_dense(t, ctx).map(Value::Tensor)).transpose()?,
        3 => o.sequence_value.as_ref().map(|v| sequence(v, ctx)).transpose()?,
        4 => o.map_value.as_ref().map(|v| map(v, ctx)).transpose()?,
        5 => o.optional_value.as_deref().map(|v| optional(v, ctx)).transpose()?,
        _ => None,
    };
    let elem = match &inner {
        Some(v) => v.type_info(),
        None if o.elem_type == 3 => TypeInfo::Sequence(Box::new(TypeInfo::tensor(DataType::Float))),
        None => TypeInfo::tensor(DataType::Float),
    };
    Ok(Value::Optional { elem, value: inner.map(Box::new) })
}
