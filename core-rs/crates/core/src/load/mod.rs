//! Reading ONNX models and serialized values.

mod model;
mod tensor;
mod values;

pub use model::{convert_attribute, convert_graph, convert_type, load_model_bytes, load_model_file, MAX_IR_VERSION, MAX_OPSETS};
pub use tensor::{from_raw, pack_bits, resolve_inside, sparse_to_dense, tensor_from_proto, unpack_bits, LoadContext};
pub use values::value_from_proto_bytes;
