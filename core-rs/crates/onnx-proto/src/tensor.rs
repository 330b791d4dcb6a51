//! Tensor values (dense and sparse) and tensor shapes.

use crate::StringStringEntryProto;

/// A dense tensor value: initializers, `Constant` values, tensor attributes.
///
/// The elements live in exactly one place: `raw_data` (little-endian, row-major),
/// one of the typed lists, or an external file named by `external_data` when
/// `data_location` is `EXTERNAL`. Which typed list holds a given element type:
/// - `float_data`: FLOAT, and COMPLEX64 as (real, imaginary) pairs;
/// - `double_data`: DOUBLE, and COMPLEX128 as pairs;
/// - `int64_data`: INT64;
/// - `uint64_data`: UINT32 and UINT64;
/// - `string_data`: STRING;
/// - `int32_data`: every other type, widened to 32 bits (16-bit floats and 8-bit
///   floats by their bit pattern; the 4-bit and 2-bit types pack several elements
///   into one entry, the first element in the lowest bits).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    #[prost(int64, repeated, packed = "false", tag = "1")]
    pub dims: Vec<i64>,
    /// A [`tensor_proto::DataType`] number (declared `int32` in the schema).
    #[prost(enumeration = "tensor_proto::DataType", tag = "2")]
    pub data_type: i32,
    #[prost(message, optional, tag = "3")]
    pub segment: Option<tensor_proto::Segment>,
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    #[prost(int32, repeated, tag = "5")]
    pub int32_data: Vec<i32>,
    #[prost(bytes = "vec", repeated, tag = "6")]
    pub string_data: Vec<Vec<u8>>,
    #[prost(int64, repeated, tag = "7")]
    pub int64_data: Vec<i64>,
    #[prost(string, tag = "8")]
    pub name: String,
    #[prost(bytes = "vec", tag = "9")]
    pub raw_data: Vec<u8>,
    #[prost(double, repeated, tag = "10")]
    pub double_data: Vec<f64>,
    #[prost(uint64, repeated, tag = "11")]
    pub uint64_data: Vec<u64>,
    #[prost(string, tag = "12")]
    pub doc_string: String,
    /// Keys "location" (path relative to the model file), "offset", "length",
    /// "checksum"; only meaningful when `data_location` is `EXTERNAL`.
    #[prost(message, repeated, tag = "13")]
    pub external_data: Vec<StringStringEntryProto>,
    #[prost(enumeration = "tensor_proto::DataLocation", tag = "14")]
    pub data_location: i32,
    #[prost(message, repeated, tag = "16")]
    pub metadata_props: Vec<StringStringEntryProto>,
}

pub mod tensor_proto {
    /// Element types. The number is what appears on the wire, in `TensorProto.data_type`,
    /// `TypeProto.Tensor.elem_type` and friends.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum DataType {
        Undefined = 0,
        Float = 1,
        Uint8 = 2,
        Int8 = 3,
        Uint16 = 4,
        Int16 = 5,
        Int32 = 6,
        Int64 = 7,
        String = 8,
        Bool = 9,
        Float16 = 10,
        Double = 11,
        Uint32 = 12,
        Uint64 = 13,
        Complex64 = 14,
        Complex128 = 15,
        Bfloat16 = 16,
        /// 8-bit floats: E4M3 without infinities; its variant with no negative zero
        /// (FNUZ); E5M2 with infinities; its FNUZ variant.
        Float8e4m3fn = 17,
        Float8e4m3fnuz = 18,
        Float8e5m2 = 19,
        Float8e5m2fnuz = 20,
        /// 4-bit integers, two to a byte.
        Uint4 = 21,
        Int4 = 22,
        /// 4-bit float (1 sign, 2 exponent, 1 mantissa bits).
        Float4e2m1 = 23,
        /// 8-bit power-of-two scale: exponent only, no sign or mantissa.
        Float8e8m0 = 24,
        /// 2-bit integers, four to a byte.
        Uint2 = 25,
        Int2 = 26,
        /// 6-bit floats (exponent/mantissa bits 2/3 and 3/2).
        Float6e2m3 = 27,
        Float6e3m2 = 28,
    }

    impl DataType {
        /// The spec's spelling (`"FLOAT16"`), for error messages.
        pub fn as_str_name(self) -> &'static str {
            match self {
                Self::Undefined => "UNDEFINED",
                Self::Float => "FLOAT",
                Self::Uint8 => "UINT8",
                Self::Int8 => "INT8",
                Self::Uint16 => "UINT16",
                Self::Int16 => "INT16",
                Self::Int32 => "INT32",
                Self::Int64 => "INT64",
                Self::String => "STRING",
                Self::Bool => "BOOL",
                Self::Float16 => "FLOAT16",
                Self::Double => "DOUBLE",
                Self::Uint32 => "UINT32",
                Self::Uint64 => "UINT64",
                Self::Complex64 => "COMPLEX64",
                Self::Complex128 => "COMPLEX128",
                Self::Bfloat16 => "BFLOAT16",
                Self::Float8e4m3fn => "FLOAT8E4M3FN",
                Self::Float8e4m3fnuz => "FLOAT8E4M3FNUZ",
                Self::Float8e5m2 => "FLOAT8E5M2",
                Self::Float8e5m2fnuz => "FLOAT8E5M2FNUZ",
                Self::Uint4 => "UINT4",
                Self::Int4 => "INT4",
                Self::Float4e2m1 => "FLOAT4E2M1",
                Self::Float8e8m0 => "FLOAT8E8M0",
                Self::Uint2 => "UINT2",
                Self::Int2 => "INT2",
                Self::Float6e2m3 => "FLOAT6E2M3",
                Self::Float6e3m2 => "FLOAT6E3M2",
            }
        }
    }

    /// Where a tensor's bytes are: in the message, or in a file beside the model.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum DataLocation {
        Default = 0,
        External = 1,
    }

    /// Marks a tensor as one chunk, elements `begin..end`, of a larger tensor.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, prost::Message)]
    pub struct Segment {
        #[prost(int64, tag = "1")]
        pub begin: i64,
        #[prost(int64, tag = "2")]
        pub end: i64,
    }
}

/// A sparse tensor in coordinate form: `values` holds the non-zero elements (1-D),
/// `indices` their positions, either as `[nnz, rank]` coordinates or as `[nnz]`
/// linear offsets into the dense shape `dims`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SparseTensorProto {
    #[prost(message, optional, tag = "1")]
    pub values: Option<TensorProto>,
    #[prost(message, optional, tag = "2")]
    pub indices: Option<TensorProto>,
    #[prost(int64, repeated, packed = "false", tag = "3")]
    pub dims: Vec<i64>,
}

/// A possibly partial shape: each dimension is a number, a symbol, or unknown.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct TensorShapeProto {
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<tensor_shape_proto::Dimension>,
}

pub mod tensor_shape_proto {
    /// One dimension. `value` is `None` when the size is entirely unknown.
    #[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
    pub struct Dimension {
        #[prost(oneof = "dimension::Value", tags = "1, 2")]
        pub value: Option<dimension::Value>,
        /// Optional meaning of the axis, such as "DATA_BATCH" or "DATA_CHANNEL".
        #[prost(string, tag = "3")]
        pub denotation: String,
    }

    pub mod dimension {
        #[derive(Clone, PartialEq, Eq, Hash, prost::Oneof)]
        pub enum Value {
            /// A known size.
            #[prost(int64, tag = "1")]
            DimValue(i64),
            /// A symbolic size such as "batch"; equal symbols mean equal sizes.
            #[prost(string, tag = "2")]
            DimParam(String),
        }
    }
}
