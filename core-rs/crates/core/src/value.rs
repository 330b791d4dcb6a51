//! Values that flow through a graph: tensors, sequences, maps and optionals, and the
//! type descriptions (ONNX TypeProto) that describe them.

use crate::dtype::DataType;
use crate::tensor::Tensor;
use crate::Result;

/// One dimension of a declared shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dim {
    Known(i64),
    Symbolic(String),
    Unknown,
}

/// An ONNX type: what a graph input, output or value_info declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeInfo {
    Tensor { dtype: DataType, shape: Option<Vec<Dim>> },
    SparseTensor { dtype: DataType, shape: Option<Vec<Dim>> },
    Sequence(Box<TypeInfo>),
    Map(DataType, Box<TypeInfo>),
    Optional(Box<TypeInfo>),
}

impl TypeInfo {
    pub fn tensor(dtype: DataType) -> TypeInfo {
        TypeInfo::Tensor { dtype, shape: None }
    }

    /// The type string ONNX Runtime prints: `tensor(float)`, `seq(map(int64,tensor(float)))`.
    pub fn type_string(&self) -> String {
        match self {
            TypeInfo::Tensor { dtype, .. } => format!("tensor({})", dtype.onnx_name()),
            TypeInfo::SparseTensor { dtype, .. } => format!("sparse_tensor({})", dtype.onnx_name()),
            TypeInfo::Sequence(e) => format!("seq({})", e.type_string()),
            TypeInfo::Map(k, v) => format!("map({},{})", k.onnx_name(), v.type_string()),
            TypeInfo::Optional(e) => format!("optional({})", e.type_string()),
        }
    }

    /// Parses a type string back (inverse of `type_string`).
    pub fn parse(s: &str) -> Result<TypeInfo> {
        fn inner<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
            s.strip_prefix(prefix)?.strip_prefix('(')?.strip_suffix(')')
        }
        fn dtype_named(n: &str) -> Result<DataType> {
            match DataType::ALL.iter().find(|d| d.onnx_name() == n) {
                Some(d) => Ok(*d),
                None => bail!(InvalidArgument, "unknown element type '{n}'"),
            }
        }
        let s = s.trim();
        if let Some(e) = inner(s, "tensor") {
            return Ok(TypeInfo::tensor(dtype_named(e)?));
        }
        if let Some(e) = inner(s, "sparse_tensor") {
            return Ok(TypeInfo::SparseTensor { dtype: dtype_named(e)?, shape: None });
        }
        if let Some(e) = inner(s, "seq") {
            return Ok(TypeInfo::Sequence(Box::new(TypeInfo::parse(e)?)));
        }
        if let Some(e) = inner(s, "optional") {
            return Ok(TypeInfo::Optional(Box::new(TypeInfo::parse(e)?)));
        }
        if let Some(e) = inner(s, "map") {
            if let Some((k, v)) = e.split_once(',') {
                return Ok(TypeInfo::Map(dtype_named(k.trim())?, Box::new(TypeInfo::parse(v)?)));
            }
        }
        bail!(InvalidArgument, "cannot parse type '{s}'")
    }

    pub fn elem_dtype(&self) -> Option<DataType> {
        match self {
            TypeInfo::Tensor { dtype, .. } | TypeInfo::SparseTensor { dtype, .. } => Some(*dtype),
            _ => None,
        }
    }

    pub fn shape(&self) -> Option<&[Dim]> {
        match self {
            TypeInfo::Tensor { shape, .. } | TypeInfo::SparseTensor { shape, .. } => shape.as_deref(),
            _ => None,
        }
    }
}

/// A map value: keys in a 1-D tensor (int64 or string), values in a 1-D tensor of the same
/// length or a sequence.
#[derive(Clone, Debug)]
pub struct MapValue {
    pub keys: Tensor,
    pub values: Box<Value>,
}

#[derive(Clone, Debug)]
pub enum Value {
    Tensor(Tensor),
    /// A sequence with the type of its elements (needed when it is empty).
    Sequence { elem: TypeInfo, items: Vec<Value> },
    Map(MapValue),
    /// An optional; `elem` is the type of what it holds or would hold.
    Optional { elem: TypeInfo, value: Option<Box<Value>> },
}

impl From<Tensor> for Value {
    fn from(t: Tensor) -> Value {
        Value::Tensor(t)
    }
}

impl Value {
    pub fn as_tensor(&self) -> Result<&Tensor> {
        match self {
            Value::Tensor(t) => Ok(t),
            other => bail!(InvalidArgument, "expected a tensor, got {}", other.type_info().type_string()),
        }
    }

    pub fn into_tensor(self) -> Result<Tensor> {
        match self {
            Value::Tensor(t) => Ok(t),
            other => bail!(InvalidArgument, "expected a tensor, got {}", other.type_info().type_string()),
        }
    }

    pub fn type_info(&self) -> TypeInfo {
        match self {
            Value::Tensor(t) => TypeInfo::tensor(t.dtype()),
            Value::Sequence { elem, .. } => TypeInfo::Sequence(Box::new(elem.clone())),
            Value::Map(m) => TypeInfo::Map(m.keys.dtype(), Box::new(m.values.map_value_type())),
            Value::Optional { elem, .. } => TypeInfo::Optional(Box::new(elem.clone())),
        }
    }

    // A map's values are stored as a 1-D tensor; its ONNX type is that of one element.
    fn map_value_type(&self) -> TypeInfo {
        match self {
            Value::Tensor(t) => TypeInfo::tensor(t.dtype()),
            Value::Sequence { elem, .. } => elem.clone(),
            other => other.type_info(),
        }
    }

    /// Replaces caller-borrowed buffers with owned copies (before handing a value back).
    pub fn into_owned(self) -> Result<Value> {
        Ok(match self {
            Value::Tensor(t) => Value::Tensor(t.to_owned_host()?),
            Value::Sequence { elem, items } => {
                Value::Sequence { elem, items: items.into_iter().map(|v| v.into_owned()).collect::<Result<_>>()? }
            }
            Value::Map(m) => Value::Map(MapValue { keys: m.keys.to_owned_host()?, values: Box::new(m.values.into_owned()?) }),
            Value::Optional { elem, value } => Value::Optional {
                elem,
                value: match value {
                    Some(v) => Some(Box::new(v.into_owned()?)),
                    None => None,
                },
            },
        })
    }
}
