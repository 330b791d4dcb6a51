//! What an execution provider is: capability (a kernel registry), an allocator, and data
//! transfer between its device and the host. The core never looks inside a provider.

use crate::dtype::DataType;
use crate::facts::OpFacts;
use crate::kernel::{Kernel, NodeInfo};
use crate::rewrite::GraphRewrite;
use crate::tensor::{Device, Tensor};
use crate::Result;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Which input element types a kernel accepts. Checked at partition time against the
/// inferred types; an unknown type never rules a kernel out on the CPU, but device
/// providers usually register `Types` so they only take what they can run.
#[derive(Clone, Copy)]
pub enum TypeConstraint {
    Any,
    /// Every known input type (of tensors) must be one of these.
    Types(&'static [DataType]),
    /// Custom check over the inferred input element types.
    Check(fn(&[Option<DataType>]) -> bool),
}

pub type KernelFactory = fn(&NodeInfo) -> Result<Box<dyn Kernel>>;

/// One kernel registration: (domain, op, opset range, types) → factory.
#[derive(Clone)]
pub struct KernelDef {
    pub domain: &'static str,
    pub op: &'static str,
    /// Inclusive opset range of the node's domain this kernel implements.
    pub since: i64,
    pub until: i64,
    pub types: TypeConstraint,
    /// Inputs that must be in host memory even on a device provider (shapes, axes, scalars).
    pub host_inputs: &'static [usize],
    /// When all known input types must be known for a device provider to accept the node.
    pub create: KernelFactory,
}

impl KernelDef {
    pub fn new(domain: &'static str, op: &'static str, since: i64, create: KernelFactory) -> KernelDef {
        KernelDef { domain, op, since, until: i64::MAX, types: TypeConstraint::Any, host_inputs: &[], create }
    }
    pub fn until(mut self, until: i64) -> Self {
        self.until = until;
        self
    }
    pub fn types(mut self, t: &'static [DataType]) -> Self {
        self.types = TypeConstraint::Types(t);
        self
    }
    pub fn check(mut self, f: fn(&[Option<DataType>]) -> bool) -> Self {
        self.types = TypeConstraint::Check(f);
        self
    }
    pub fn host_inputs(mut self, idx: &'static [usize]) -> Self {
        self.host_inputs = idx;
        self
    }

    fn accepts(&self, opset: i64, types: &[Option<DataType>]) -> bool {
        if opset < self.since || opset > self.until {
            return false;
        }
        match self.types {
            TypeConstraint::Any => true,
            TypeConstraint::Types(allowed) => types.iter().enumerate().all(|(i, t)| {
                self.host_inputs.contains(&i) || match t {
                    Some(t) => allowed.contains(t),
                    None => false,
                }
            }),
            TypeConstraint::Check(f) => f(types),
        }
    }
}

/// Kernels by (domain, op), and what ops declare about themselves (`OpFacts`) and the
/// graph rewrites they bring, registered by the same op families.
#[derive(Default)]
pub struct KernelRegistry {
    defs: HashMap<(String, String), Vec<KernelDef>>,
    facts: HashMap<(String, String), OpFacts>,
    rewrites: Vec<Arc<dyn GraphRewrite>>,
}

impl KernelRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, def: KernelDef) {
        self.defs.entry((def.domain.to_string(), def.op.to_string())).or_default().push(def);
    }

    pub fn register_all(&mut self, defs: impl IntoIterator<Item = KernelDef>) {
        for d in defs {
            self.register(d);
        }
    }

    /// The kernel for a node of `domain`/`op` at `opset` with these input types, if any.
    pub fn find(&self, domain: &str, op: &str, opset: i64, types: &[Option<DataType>]) -> Option<&KernelDef> {
        self.defs.get(&(domain.to_string(), op.to_string()))?.iter().find(|d| d.accepts(opset, types))
    }

    /// Declares an op's facts (one declaration per op; a second replaces the first).
    pub fn facts(&mut self, domain: &'static str, op: &'static str, facts: OpFacts) {
        self.facts.insert((domain.to_string(), op.to_string()), facts);
    }

    /// The facts of every op in `ops`, one declaration.
    pub fn facts_all(&mut self, domain: &'static str, ops: &[&'static str], facts: OpFacts) {
        for op in ops {
            self.facts(domain, op, facts);
        }
    }

    pub fn op_facts(&self, domain: &str, op: &str) -> Option<&OpFacts> {
        self.facts.get(&(domain.to_string(), op.to_string()))
    }

    /// (domain, op) pairs with declared facts, sorted.
    pub fn ops_with_facts(&self) -> Vec<(String, String)> {
        let mut v: Vec<_> = self.facts.keys().cloned().collect();
        v.sort();
        v
    }

    pub fn rewrite(&mut self, r: Arc<dyn GraphRewrite>) {
        self.rewrites.push(r);
    }

    pub fn rewrites(&self) -> &[Arc<dyn GraphRewrite>] {
        &self.rewrites
    }

    /// Ops that a registered rewrite removes (they need no kernel).
    pub fn rewritten_ops(&self) -> Vec<(&'static str, &'static str)> {
        self.rewrites.iter().flat_map(|r| r.replaces().iter().copied()).collect()
    }

    pub fn has_op(&self, domain: &str, op: &str) -> bool {
        self.defs.contains_key(&(domain.to_string(), op.to_string()))
    }

    /// (domain, op) pairs, sorted: for listings and coverage reports.
    pub fn ops(&self) -> Vec<(String, String)> {
        let mut v: Vec<_> = self.defs.keys().cloned().collect();
        v.sort();
        v
    }
}

/// An execution provider. Implemented by the CPU, CUDA and wgpu crates.
pub trait ExecutionProvider: Send + Sync {
    /// "CPUExecutionProvider", "CUDAExecutionProvider", "WebGpuExecutionProvider".
    fn name(&self) -> &str;
    fn device(&self) -> Device;
    fn registry(&self) -> &KernelRegistry;
    /// The options this provider runs with, as ONNX Runtime reports them.
    fn options(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }
    /// A zeroed tensor in this provider's memory.
    fn allocate(&self, dtype: DataType, shape: Vec<usize>) -> Result<Tensor>;
    /// Host tensor → this provider's device (a cheap clone for the CPU).
    fn copy_to_device(&self, t: &Tensor) -> Result<Tensor>;
    /// This provider's tensor → host.
    fn copy_to_host(&self, t: &Tensor) -> Result<Tensor>;
    /// Waits for queued device work (called at the end of a run).
    fn synchronize(&self) -> Result<()> {
        Ok(())
    }
    /// Threads for intra-op parallelism (the CPU provider's pool size).
    fn intra_op_threads(&self) -> usize {
        1
    }
    /// For kernels of this provider to reach its state (thread pool, device context).
    fn as_any(&self) -> &dyn std::any::Any;
}
