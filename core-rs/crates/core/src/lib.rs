//! onnxrun core: tensors and values, the graph IR and its loader, type inference, the
//! planner and executor, and the provider/kernel contracts. It knows no provider.

#[macro_use]
mod error;
pub mod broadcast;
pub mod dtype;
pub mod graph;
pub mod infer;
pub mod kernel;
pub mod load;
pub mod profile;
pub mod provider;
pub mod session;
pub mod tensor;
pub mod value;

pub use dtype::{DataType, Element};
pub use error::{Error, ErrorCode, Result};
pub use graph::{Attribute, Function, Graph, Model, Node, ValueInfo};
pub use kernel::{FnKernel, Kernel, NodeInfo, OpContext};
pub use provider::{ExecutionProvider, KernelDef, KernelRegistry, TypeConstraint};
pub use session::{execute_plan, next_session_seed, ModelMeta, Plan, RunState, Session, SessionOptions, REWRITTEN_OPS};
pub use tensor::{byte_len, num_elements, shape_from_dims, Buffer, Device, DeviceBuffer, DeviceKind, Tensor};
pub use value::{Dim, MapValue, TypeInfo, Value};

/// Re-exported so kernels use the same `half` as the core.
pub use half;
