//! The ONNX model format (onnx 1.23, IR version 14) as plain Rust structs.
//!
//! The messages are written by hand with `prost` derives instead of being generated
//! from the schema, so building needs neither `protoc` nor a build script. Names follow
//! what `prost-build` would produce: a message `Foo` lives at the crate root, its nested
//! messages, enums and oneofs in the module `foo` (for example
//! [`tensor_proto::DataType`], [`type_proto::Value`]).
//!
//! Scalar fields are plain values rather than `Option`s: a field left unset reads as
//! zero or empty, which is what the ONNX spec means by an absent scalar. Only message
//! fields keep their presence (`Option<T>`), and the two "one of" choices
//! ([`tensor_shape_proto::dimension::Value`], [`type_proto::Value`]) are Rust enums.
//!
//! Fields typed as an enum are stored as `i32`, as prost does; read them with the
//! generated getter (`tensor.data_type()`, which maps unknown numbers to the default)
//! or strictly with `DataType::try_from(tensor.data_type)`.
//!
//! ```
//! use onnxrun_proto::{Message, ModelProto};
//! let model = ModelProto { ir_version: 10, ..Default::default() };
//! let bytes = model.encode_to_vec();
//! assert_eq!(ModelProto::decode(bytes.as_slice()).unwrap(), model);
//! ```

mod attribute;
mod device;
mod model;
mod tensor;
mod types;
mod values;

pub use attribute::{attribute_proto, AttributeProto};
pub use device::{
    simple_sharded_dim_proto, DeviceConfigurationProto, IntIntListEntryProto,
    NodeDeviceConfigurationProto, ShardedDimProto, ShardingSpecProto, SimpleShardedDimProto,
};
pub use model::{
    FunctionProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, OperatorStatus,
    StringStringEntryProto, TensorAnnotation, TrainingInfoProto, Version,
};
pub use tensor::{
    tensor_proto, tensor_shape_proto, SparseTensorProto, TensorProto, TensorShapeProto,
};
pub use types::{type_proto, TypeProto, ValueInfoProto};
pub use values::{optional_proto, sequence_proto, MapProto, OptionalProto, SequenceProto};

/// Re-exported so callers can `encode`/`decode` without naming prost themselves.
pub use prost::{DecodeError, EncodeError, Message};

/// The newest IR version this schema describes.
pub const IR_VERSION: i64 = Version::IrVersion as i64;
