//! Pooling: MaxPool (with Indices), AveragePool, LpPool over any number of spatial axes,
//! their Global forms, and MaxUnpool. f16/bf16 are computed in f32. The windowed pools
//! share one row-based driver (driver.rs) and one geometry (geometry.rs).

mod argmax;
mod average;
mod driver;
mod elem;
mod facts;
mod geometry;
mod global;
mod lp;
mod max;
mod plan;
mod unpool;

use geometry::{Axis, PoolAttrs};
use onnxrun_core::{ensure, KernelRegistry, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    max::register(r);
    average::register(r);
    lp::register(r);
    global::register(r);
    unpool::register(r);
    facts::register(r);
}

/// Checks `x` is (N, C, spatial...) with as many spatial axes as the kernel, and resolves
/// the window geometry: the per-axis windows and the output shape.
fn setup(node: &str, x: &Tensor, attrs: &PoolAttrs) -> Result<(Vec<Axis>, Vec<usize>)> {
    let r = attrs.kernel.len();
    ensure!(
        x.rank() == r + 2,
        InvalidArgument,
        "{node}: input must have rank {} (N, C and one axis per kernel_shape value {:?}), got shape {:?}",
        r + 2,
        attrs.kernel,
        x.shape()
    );
    let axes = attrs.resolve(&x.shape()[2..]).map_err(|e| e.context(node))?;
    let mut shape = x.shape()[..2].to_vec();
    shape.extend(axes.iter().map(|a| a.output));
    crate::util::elems::check_size(x.dtype(), &shape)?;
    Ok((axes, shape))
}
