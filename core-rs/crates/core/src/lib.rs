//! onnxrun core: tensors and values, the graph IR and its loader, the planner and
//! executor, and the contracts ops and providers fill in (kernels, op facts, graph
//! rewrites, providers). It knows no provider and names no op.

#[macro_use]
mod error;
pub mod broadcast;
pub mod dtype;
pub mod facts;
pub mod graph;
pub mod kernel;
pub mod load;
pub mod profile;
pub mod provider;
pub mod rewrite;
pub mod session;
pub mod tensor;
pub mod value;

pub use dtype::{DataType, Element};
pub use error::{Error, ErrorCode, Result};
pub use graph::{Attribute, Function, Graph, Model, Node, ValueInfo};
pub use kernel::{FnKernel, Kernel, NodeInfo, OpContext};
pub use provider::{ExecutionProvider, KernelDef, KernelRegistry, TypeConstraint};
pub use session::{execute_plan, next_session_seed, ModelMeta, Plan, RunState, Session, SessionOptions};
pub use facts::{InferCtx, OpFacts};
pub use rewrite::GraphRewrite;
pub use tensor::{byte_len, num_elements, shape_from_dims, Buffer, Device, DeviceBuffer, DeviceKind, Tensor};
pub use value::{Dim, MapValue, TypeInfo, Value};

/// Re-exported so kernels use the same `half` as the core.
pub use half;
