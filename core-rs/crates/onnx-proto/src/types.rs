//! Value types (tensor, sequence, map, optional, sparse, opaque) and typed names.

use crate::StringStringEntryProto;

/// A graph input, output or intermediate value: its name and, when known, its type.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueInfoProto {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
    #[prost(string, tag = "3")]
    pub doc_string: String,
    #[prost(message, repeated, tag = "4")]
    pub metadata_props: Vec<StringStringEntryProto>,
}

/// The type of a value. `value` is `None` when the type is not given.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct TypeProto {
    #[prost(oneof = "type_proto::Value", tags = "1, 4, 5, 7, 8, 9")]
    pub value: Option<type_proto::Value>,
    /// Optional meaning of the whole value, such as "IMAGE" or "AUDIO".
    #[prost(string, tag = "6")]
    pub denotation: String,
}

pub mod type_proto {
    use crate::TensorShapeProto;

    /// The kinds of value. Numbers on the wire: tensor 1, sequence 4, map 5,
    /// opaque 7, sparse tensor 8, optional 9.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Oneof)]
    pub enum Value {
        #[prost(message, tag = "1")]
        TensorType(Tensor),
        #[prost(message, tag = "4")]
        SequenceType(Sequence),
        #[prost(message, tag = "5")]
        MapType(Map),
        #[prost(message, tag = "7")]
        OpaqueType(Opaque),
        #[prost(message, tag = "8")]
        SparseTensorType(SparseTensor),
        #[prost(message, tag = "9")]
        OptionalType(Optional),
    }

    /// A dense tensor; `shape` absent means the rank is unknown too.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
    pub struct Tensor {
        /// A [`DataType`](crate::tensor_proto::DataType) number.
        #[prost(enumeration = "crate::tensor_proto::DataType", tag = "1")]
        pub elem_type: i32,
        #[prost(message, optional, tag = "2")]
        pub shape: Option<TensorShapeProto>,
    }

    /// A list of values that all have `elem_type`. Boxed: a type may nest itself.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
    pub struct Sequence {
        #[prost(message, optional, boxed, tag = "1")]
        pub elem_type: Option<Box<super::TypeProto>>,
    }

    /// A map from a scalar key type (an integer type or STRING) to `value_type`.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
    pub struct Map {
        /// A [`DataType`](crate::tensor_proto::DataType) number.
        #[prost(enumeration = "crate::tensor_proto::DataType", tag = "1")]
        pub key_type: i32,
        #[prost(message, optional, boxed, tag = "2")]
        pub value_type: Option<Box<super::TypeProto>>,
    }

    /// A value of `elem_type` that may be absent.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
    pub struct Optional {
        #[prost(message, optional, boxed, tag = "1")]
        pub elem_type: Option<Box<super::TypeProto>>,
    }

    /// A sparse tensor; same fields as [`Tensor`].
    #[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
    pub struct SparseTensor {
        #[prost(enumeration = "crate::tensor_proto::DataType", tag = "1")]
        pub elem_type: i32,
        #[prost(message, optional, tag = "2")]
        pub shape: Option<TensorShapeProto>,
    }

    /// A value whose layout only its (domain, name) owner understands.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
    pub struct Opaque {
        #[prost(string, tag = "1")]
        pub domain: String,
        #[prost(string, tag = "2")]
        pub name: String,
    }
}
