//! Graph rewrites the CPU op set brings (registered with its kernels, applied by the
//! planner to every session): Gradient's expansion into standard ops, and the fusions of
//! the "extended" optimization level.

mod fuse;
mod gradient;

use onnxrun_core::{Graph, GraphRewrite, KernelRegistry, Node, Result};
use std::collections::BTreeMap;
use std::sync::Arc;

struct ExpandGradients;

impl GraphRewrite for ExpandGradients {
    fn name(&self) -> &'static str {
        "expand Gradient"
    }
    fn min_level(&self) -> u32 {
        0
    }
    fn replaces(&self) -> &'static [(&'static str, &'static str)] {
        &[(gradient::DOMAIN, "Gradient")]
    }
    fn rewrite(&self, nodes: Vec<Node>, _graph: &Graph, opsets: &BTreeMap<String, i64>) -> Result<Vec<Node>> {
        gradient::expand_gradients(nodes, opsets)
    }
}

struct Fusions;

impl GraphRewrite for Fusions {
    fn name(&self) -> &'static str {
        "Conv+affine and HardSwish fusions"
    }
    fn min_level(&self) -> u32 {
        2
    }
    fn rewrite(&self, nodes: Vec<Node>, graph: &Graph, _opsets: &BTreeMap<String, i64>) -> Result<Vec<Node>> {
        Ok(fuse::fuse(nodes, graph))
    }
}

pub fn register(r: &mut KernelRegistry) {
    r.rewrite(Arc::new(ExpandGradients));
    r.rewrite(Arc::new(Fusions));
}
