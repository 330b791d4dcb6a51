//! Element types, numbered as ONNX's TensorProto.DataType.

use crate::Result;
use half::{bf16, f16};
use onnxrun_proto::tensor_proto::DataType as Wire;

/// The runtime's element types. The numbers are the wire enum's (onnx-proto), the one
/// place they are written; its `Undefined` and float6 types have no runtime element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(i32)]
pub enum DataType {
    Float = Wire::Float as i32,
    Uint8 = Wire::Uint8 as i32,
    Int8 = Wire::Int8 as i32,
    Uint16 = Wire::Uint16 as i32,
    Int16 = Wire::Int16 as i32,
    Int32 = Wire::Int32 as i32,
    Int64 = Wire::Int64 as i32,
    String = Wire::String as i32,
    Bool = Wire::Bool as i32,
    Float16 = Wire::Float16 as i32,
    Double = Wire::Double as i32,
    Uint32 = Wire::Uint32 as i32,
    Uint64 = Wire::Uint64 as i32,
    Complex64 = Wire::Complex64 as i32,
    Complex128 = Wire::Complex128 as i32,
    Bfloat16 = Wire::Bfloat16 as i32,
    Float8E4M3FN = Wire::Float8e4m3fn as i32,
    Float8E4M3FNUZ = Wire::Float8e4m3fnuz as i32,
    Float8E5M2 = Wire::Float8e5m2 as i32,
    Float8E5M2FNUZ = Wire::Float8e5m2fnuz as i32,
    Uint4 = Wire::Uint4 as i32,
    Int4 = Wire::Int4 as i32,
    Float4E2M1 = Wire::Float4e2m1 as i32,
    Float8E8M0 = Wire::Float8e8m0 as i32,
    Uint2 = Wire::Uint2 as i32,
    Int2 = Wire::Int2 as i32,
}

impl DataType {
    pub const ALL: [DataType; 26] = [
        DataType::Float,
        DataType::Uint8,
        DataType::Int8,
        DataType::Uint16,
        DataType::Int16,
        DataType::Int32,
        DataType::Int64,
        DataType::String,
        DataType::Bool,
        DataType::Float16,
        DataType::Double,
        DataType::Uint32,
        DataType::Uint64,
        DataType::Complex64,
        DataType::Complex128,
        DataType::Bfloat16,
        DataType::Float8E4M3FN,
        DataType::Float8E4M3FNUZ,
        DataType::Float8E5M2,
        DataType::Float8E5M2FNUZ,
        DataType::Uint4,
        DataType::Int4,
        DataType::Float4E2M1,
        DataType::Float8E8M0,
        DataType::Uint2,
        DataType::Int2,
    ];

    pub fn from_i32(v: i32) -> Result<DataType> {
        match DataType::ALL.iter().find(|d| **d as i32 == v) {
            Some(d) => Ok(*d),
            None => bail!(InvalidArgument, "unknown tensor element type {v}"),
        }
    }

    /// Bytes per element in memory. Sub-byte types (int4, uint4, float4, int2, uint2) are
    /// held unpacked, one element per byte; packing happens only at the protobuf boundary.
    /// Strings are not stored as bytes (0).
    pub fn size(self) -> usize {
        use DataType::*;
        match self {
            Uint8 | Int8 | Bool | Float8E4M3FN | Float8E4M3FNUZ | Float8E5M2 | Float8E5M2FNUZ
            | Uint4 | Int4 | Float4E2M1 | Float8E8M0 | Uint2 | Int2 => 1,
            Uint16 | Int16 | Float16 | Bfloat16 => 2,
            Float | Int32 | Uint32 => 4,
            Double | Int64 | Uint64 | Complex64 => 8,
            Complex128 => 16,
            String => 0,
        }
    }

    /// Bits per element in packed (protobuf raw_data) form.
    pub fn packed_bits(self) -> usize {
        use DataType::*;
        match self {
            Uint4 | Int4 | Float4E2M1 => 4,
            Uint2 | Int2 => 2,
            _ => self.size() * 8,
        }
    }

    /// The ONNX type-string name: `tensor(<name>)`.
    pub fn onnx_name(self) -> &'static str {
        use DataType::*;
        match self {
            Float => "float",
            Uint8 => "uint8",
            Int8 => "int8",
            Uint16 => "uint16",
            Int16 => "int16",
            Int32 => "int32",
            Int64 => "int64",
            String => "string",
            Bool => "bool",
            Float16 => "float16",
            Double => "double",
            Uint32 => "uint32",
            Uint64 => "uint64",
            Complex64 => "complex64",
            Complex128 => "complex128",
            Bfloat16 => "bfloat16",
            Float8E4M3FN => "float8e4m3fn",
            Float8E4M3FNUZ => "float8e4m3fnuz",
            Float8E5M2 => "float8e5m2",
            Float8E5M2FNUZ => "float8e5m2fnuz",
            Uint4 => "uint4",
            Int4 => "int4",
            Float4E2M1 => "float4e2m1",
            Float8E8M0 => "float8e8m0",
            Uint2 => "uint2",
            Int2 => "int2",
        }
    }

    pub fn is_float(self) -> bool {
        use DataType::*;
        matches!(
            self,
            Float | Double | Float16 | Bfloat16 | Float8E4M3FN | Float8E4M3FNUZ | Float8E5M2
                | Float8E5M2FNUZ | Float4E2M1 | Float8E8M0
        )
    }

    pub fn is_signed_int(self) -> bool {
        use DataType::*;
        matches!(self, Int8 | Int16 | Int32 | Int64 | Int4 | Int2)
    }

    pub fn is_unsigned_int(self) -> bool {
        use DataType::*;
        matches!(self, Uint8 | Uint16 | Uint32 | Uint64 | Uint4 | Uint2)
    }
}

impl std::fmt::Display for DataType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.onnx_name())
    }
}

/// A Rust type that is the in-memory element of a tensor of `DTYPE`.
/// Implemented only for types where every bit pattern the runtime stores is valid.
pub trait Element: Copy + Send + Sync + PartialEq + std::fmt::Debug + Default + 'static {
    const DTYPE: DataType;
}

macro_rules! element {
    ($($t:ty => $d:ident),* $(,)?) => { $(impl Element for $t { const DTYPE: DataType = DataType::$d; })* };
}
element!(f32 => Float, f64 => Double, i8 => Int8, i16 => Int16, i32 => Int32, i64 => Int64,
    u8 => Uint8, u16 => Uint16, u32 => Uint32, u64 => Uint64, bool => Bool,
    f16 => Float16, bf16 => Bfloat16);
