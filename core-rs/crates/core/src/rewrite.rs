//! Graph rewrites that run before planning: an op defined by expansion into other ops
//! (Gradient), and fusions that trade several nodes for one cheaper node. Op crates
//! register them (`KernelRegistry::rewrite`) beside their kernels, because what a rewrite
//! matches and emits are op names; the planner applies them in registration order.

use crate::graph::{Graph, Node};
use crate::Result;
use std::collections::BTreeMap;

pub trait GraphRewrite: Send + Sync {
    /// Shown in errors and listings.
    fn name(&self) -> &'static str;
    /// The lowest graph optimization level that applies it: 0 for an op that exists only
    /// through its expansion, 2 ("extended") for fusions.
    fn min_level(&self) -> u32;
    /// (domain, op) of the ops this rewrite removes from every graph: they have no kernel.
    fn replaces(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// `nodes` (of `graph`, functions already inlined) rewritten.
    fn rewrite(&self, nodes: Vec<Node>, graph: &Graph, opsets: &BTreeMap<String, i64>) -> Result<Vec<Node>>;
}
