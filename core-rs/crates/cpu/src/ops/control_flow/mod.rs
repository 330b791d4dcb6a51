//! Control flow: If, Loop, Scan and SequenceMap. The core compiles their subgraphs and wires
//! outer-scope values in; these kernels decide which subgraph runs how often with which
//! feeds, and assemble the results.

mod facts;
mod axis;
mod if_op;
mod loop_op;
mod scan;
mod sequence_map;

use onnxrun_core::{bail, DataType, Dim, OpContext, Plan, Result, Tensor, TypeInfo, Value};
use onnxrun_core::KernelRegistry;

pub fn register(r: &mut KernelRegistry) {
    if_op::register(r);
    loop_op::register(r);
    scan::register(r);
    sequence_map::register(r);
    facts::register(r);
}

/// The truth value of a one-element bool tensor (a condition input or output).
fn truth(ctx: &OpContext<'_>, v: &Value, what: &str) -> Result<bool> {
    let t = match v {
        Value::Tensor(t) => t,
        other => bail!(InvalidArgument, "{}: {what} must be a bool tensor, got {}", ctx.node.describe(), other.type_info().type_string()),
    };
    match (t.dtype(), t.len()) {
        (DataType::Bool, 1) => Ok(t.data::<bool>()?[0]),
        (d, n) => bail!(InvalidArgument, "{}: {what} must be a single bool, got a {d} tensor of {n} elements", ctx.node.describe()),
    }
}

/// Checks a subgraph run gave as many outputs as the op needs.
fn expect_outputs(ctx: &OpContext<'_>, outs: &[Value], want: usize, what: &str) -> Result<()> {
    if outs.len() != want {
        bail!(InvalidGraph, "{}: {what} produced {} outputs, expected {want}", ctx.node.describe(), outs.len());
    }
    Ok(())
}

/// An empty scan output (zero iterations ran): its dtype and known dims come from the
/// body's declared output type, with a 0-length axis inserted at `axis`.
fn empty_scan_output(body: &Plan, out: usize, axis: usize) -> Result<Tensor> {
    let (dtype, dims) = match body.output_type(out) {
        Some(TypeInfo::Tensor { dtype, shape }) => {
            let dims: Option<Vec<usize>> =
                shape.as_ref().and_then(|s| s.iter().map(|d| if let Dim::Known(k) = d { usize::try_from(*k).ok() } else { None }).collect());
            (*dtype, dims.unwrap_or_default())
        }
        _ => (DataType::Float, vec![]),
    };
    let mut shape = dims;
    shape.insert(axis.min(shape.len()), 0);
    Tensor::zeros(dtype, shape)
}
