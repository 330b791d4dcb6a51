//! Compiling a graph into a plan: inline functions, apply the registered graph rewrites,
//! order nodes, infer types and shapes through each op's declared facts, compile
//! subgraphs, assign each node a provider's kernel (priority order), insert explicit
//! host/device copies, and fold nodes whose inputs are all constant.
//!
//! Folding happens as each node is planned, in topological order, so a subgraph compiled
//! later sees the enclosing graph's constants (weights held in Constant nodes of an If
//! branch, say) as its own and folds what it computes from them too.

use super::exec::RunState;
use super::inline::inline_functions;
use crate::dtype::DataType;
use crate::facts::{default_infer, InferCtx, OpFacts};
use crate::graph::{Function, Graph, Node};
use crate::rewrite::GraphRewrite;
use crate::kernel::{Kernel, NodeInfo, OpContext};
use crate::provider::ExecutionProvider;
use crate::tensor::{Device, DeviceKind};
use crate::value::{Dim, TypeInfo, Value};
use crate::Result;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

pub struct SlotInfo {
    pub name: String,
    pub ty: Option<TypeInfo>,
    pub device: Device,
}

pub(crate) enum StepOp {
    Kernel { kernel: Box<dyn Kernel>, info: NodeInfo },
    ToDevice,
    ToHost,
}

pub(crate) struct Step {
    pub op: StepOp,
    pub provider: usize,
    pub inputs: Vec<Option<usize>>,
    pub outputs: Vec<Option<usize>>,
    /// Outer-scope values the node's subgraphs read: (name, slot).
    pub implicit: Vec<(String, usize)>,
}

impl Step {
    pub fn label(&self) -> String {
        match &self.op {
            StepOp::Kernel { info, .. } => info.describe(),
            StepOp::ToDevice => "copy to device".into(),
            StepOp::ToHost => "copy to host".into(),
        }
    }
}

/// Which steps to run for a set of fetched slots, and which slots to free after each.
pub(crate) struct Schedule {
    pub steps: Vec<usize>,
    pub free_after: Vec<Vec<usize>>,
}

/// A compiled graph, ready to execute.
pub struct Plan {
    pub(crate) slots: Vec<SlotInfo>,
    pub(crate) inputs: Vec<usize>,
    pub(crate) outputs: Vec<usize>,
    pub(crate) outer: Vec<(String, usize)>,
    pub(crate) constants: Vec<(usize, Value)>,
    pub(crate) steps: Vec<Step>,
    pub(crate) providers: Vec<Arc<dyn ExecutionProvider>>,
    pub(crate) full: Schedule,
    /// Check each kernel's outputs against the inferred types (config entry
    /// `session.verify_inferred_shapes`): a disagreement fails the run.
    pub(crate) verify: bool,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Plan({} steps)", self.steps.len())
    }
}

impl Plan {
    pub fn num_inputs(&self) -> usize {
        self.inputs.len()
    }
    pub fn num_outputs(&self) -> usize {
        self.outputs.len()
    }
    /// Declared or inferred type of subgraph input `i`.
    pub fn input_type(&self, i: usize) -> Option<&TypeInfo> {
        self.slots[*self.inputs.get(i)?].ty.as_ref()
    }
    pub fn output_type(&self, i: usize) -> Option<&TypeInfo> {
        self.slots[*self.outputs.get(i)?].ty.as_ref()
    }
    /// Names of the outer-scope values this plan reads.
    pub fn outer_names(&self) -> impl Iterator<Item = &str> {
        self.outer.iter().map(|(n, _)| n.as_str())
    }
    /// (name, type) of every value this plan and its kernels' subgraphs hold, with the
    /// subgraph's attribute path prefixed (`If node 'x'/then_branch/y`). Host/device copies
    /// are left out: they repeat a value.
    pub fn value_types(&self) -> Vec<(String, Option<TypeInfo>)> {
        let copies: HashSet<usize> = self.steps.iter().filter(|s| !matches!(s.op, StepOp::Kernel { .. })).flat_map(|s| s.outputs.iter().flatten().copied()).collect();
        let mut out: Vec<(String, Option<TypeInfo>)> =
            self.slots.iter().enumerate().filter(|(i, _)| !copies.contains(i)).map(|(_, s)| (s.name.clone(), s.ty.clone())).collect();
        for step in &self.steps {
            if let StepOp::Kernel { info, .. } = &step.op {
                for (attr, body) in &info.subgraphs {
                    let prefix = format!("{}/{attr}/", info.describe());
                    out.extend(body.value_types().into_iter().map(|(n, t)| (format!("{prefix}{n}"), t)));
                }
            }
        }
        out
    }
    /// (op, provider name) for each kernel step, in execution order.
    pub fn assignments(&self) -> Vec<(String, String)> {
        self.steps
            .iter()
            .filter_map(|s| match &s.op {
                StepOp::Kernel { info, .. } => Some((info.op_type.clone(), self.providers[s.provider].name().to_string())),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn schedule(&self, fetch: &[usize]) -> Schedule {
        let mut needed = vec![false; self.slots.len()];
        for &s in fetch {
            needed[s] = true;
        }
        let mut run = vec![false; self.steps.len()];
        for (i, step) in self.steps.iter().enumerate().rev() {
            if step.outputs.iter().flatten().any(|&s| needed[s]) {
                run[i] = true;
                for &s in step.inputs.iter().flatten().chain(step.implicit.iter().map(|(_, s)| s)) {
                    needed[s] = true;
                }
            }
        }
        let steps: Vec<usize> = (0..self.steps.len()).filter(|&i| run[i]).collect();
        let mut last_use: HashMap<usize, usize> = HashMap::new();
        for (k, &si) in steps.iter().enumerate() {
            let step = &self.steps[si];
            for &s in step.inputs.iter().flatten().chain(step.implicit.iter().map(|(_, s)| s)).chain(step.outputs.iter().flatten()) {
                last_use.insert(s, k);
            }
        }
        let fetched: HashSet<usize> = fetch.iter().copied().collect();
        let mut free_after = vec![Vec::new(); steps.len()];
        for (s, k) in last_use {
            if !fetched.contains(&s) {
                free_after[k].push(s);
            }
        }
        Schedule { steps, free_after }
    }
}

pub(crate) struct Compiler<'a> {
    pub providers: &'a [Arc<dyn ExecutionProvider>],
    pub opsets: &'a BTreeMap<String, i64>,
    pub functions: &'a [Function],
    pub fold_constants: bool,
    /// The graph optimization level: which rewrites apply (`GraphRewrite::min_level`).
    pub level: u32,
    pub verify: bool,
}

/// Names a graph reads from enclosing scopes (through nested subgraphs too).
pub fn free_names(g: &Graph) -> Vec<String> {
    let mut defined: HashSet<&str> = g.inputs.iter().map(|v| v.name.as_str()).collect();
    defined.extend(g.initializers.iter().map(|(n, _)| n.as_str()));
    for n in &g.nodes {
        defined.extend(n.outputs.iter().map(|s| s.as_str()));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for n in &g.nodes {
        let nested: Vec<String> = n.subgraphs().flat_map(|(_, sg)| free_names(sg)).collect();
        for name in n.inputs.iter().cloned().chain(nested) {
            if !name.is_empty() && !defined.contains(name.as_str()) && seen.insert(name.clone()) {
                out.push(name);
            }
        }
    }
    out
}

struct Builder {
    /// Contents of small integer values known at load beyond the constants (shapes).
    values: HashMap<usize, Vec<Dim>>,
    slots: Vec<SlotInfo>,
    by_name: HashMap<String, usize>,
    /// Slot → value, for initializers, folded outputs and the enclosing graphs' constants.
    constants: BTreeMap<usize, Value>,
    /// Constant slots whose value is fixed: not graph inputs (those can be fed instead).
    fixed: HashSet<usize>,
    steps: Vec<Step>,
    outer: Vec<(String, usize)>,
    /// (slot, device) → slot holding the copy.
    copies: HashMap<(usize, Device), usize>,
}

impl Builder {
    /// Slot `s`'s contents when it is a small integer tensor known at load.
    fn value(&self, s: usize) -> Option<Vec<Dim>> {
        if let Some(v) = self.values.get(&s) {
            return Some(v.clone());
        }
        match self.constants.get(&s) {
            Some(Value::Tensor(t)) if self.fixed.contains(&s) => small_ints(t),
            _ => None,
        }
    }

    fn add_slot(&mut self, name: &str, ty: Option<TypeInfo>) -> usize {
        self.slots.push(SlotInfo { name: name.to_string(), ty, device: Device::CPU });
        let s = self.slots.len() - 1;
        self.by_name.insert(name.to_string(), s);
        s
    }
}

/// A rank-0/1 integer tensor of at most `MAX_VALUE_LEN` elements, as dims.
fn small_ints(t: &crate::tensor::Tensor) -> Option<Vec<Dim>> {
    const MAX_VALUE_LEN: usize = 64;
    if t.rank() > 1 || t.len() > MAX_VALUE_LEN || !matches!(t.dtype(), DataType::Int64 | DataType::Int32) || !t.is_host() {
        return None;
    }
    Some(t.to_i64_vec().ok()?.into_iter().map(Dim::Known).collect())
}

/// A declared type, with what inference knows filling what it leaves open (a missing
/// shape, unknown dims of the same rank).
fn merge(declared: Option<TypeInfo>, inferred: Option<TypeInfo>) -> Option<TypeInfo> {
    match (declared, inferred) {
        (Some(TypeInfo::Tensor { dtype, shape: ds }), Some(TypeInfo::Tensor { dtype: di, shape: is })) if dtype == di => {
            let shape = match (ds, is) {
                (Some(d), Some(i)) if d.len() == i.len() => {
                    Some(d.into_iter().zip(i).map(|(d, i)| if d == Dim::Unknown { i } else { d }).collect())
                }
                (None, i) => i,
                (d, _) => d,
            };
            Some(TypeInfo::Tensor { dtype, shape })
        }
        (Some(d), _) => Some(d),
        (None, i) => i,
    }
}

fn tensor_type(t: &crate::tensor::Tensor) -> TypeInfo {
    TypeInfo::Tensor { dtype: t.dtype(), shape: Some(t.shape().iter().map(|&d| Dim::Known(d as i64)).collect()) }
}

impl<'a> Compiler<'a> {
    /// `outer_types` types the names visible from enclosing graphs; `outer_consts` holds
    /// those among them whose value is fixed.
    pub fn compile(&self, g: &Graph, outer_types: &HashMap<String, Option<TypeInfo>>, outer_consts: &HashMap<String, Value>) -> Result<Plan> {
        let nodes = inline_functions(&g.nodes, self.functions)?;
        // Every ONNX op has at least one output (ONNX Runtime's schema check agrees), and
        // gradient expansion, fusion and type inference read output 0.
        if let Some(n) = nodes.iter().find(|n| n.outputs.is_empty()) {
            bail!(InvalidGraph, "{}: the node has no outputs", n.describe());
        }
        let mut nodes = nodes;
        for r in self.rewrites() {
            nodes = r.rewrite(nodes, g, self.opsets).map_err(|e| e.context(r.name()))?;
        }
        let mut b = Builder {
            values: HashMap::new(),
            slots: Vec::new(),
            by_name: HashMap::new(),
            constants: BTreeMap::new(),
            fixed: HashSet::new(),
            steps: Vec::new(),
            outer: Vec::new(),
            copies: HashMap::new(),
        };
        let mut inputs = Vec::with_capacity(g.inputs.len());
        for vi in &g.inputs {
            if b.by_name.contains_key(&vi.name) {
                bail!(InvalidGraph, "graph input '{}' is declared twice", vi.name);
            }
            inputs.push(b.add_slot(&vi.name, vi.ty.clone()));
        }
        for (name, t) in &g.initializers {
            let s = match b.by_name.get(name) {
                Some(&s) => s,
                None => b.add_slot(name, Some(tensor_type(t))),
            };
            if b.slots[s].ty.is_none() {
                b.slots[s].ty = Some(tensor_type(t));
            }
            b.constants.insert(s, Value::Tensor(t.clone()));
            // Initializers that are also graph inputs can be overridden by feeds.
            if !inputs.contains(&s) {
                b.fixed.insert(s);
            }
        }
        let declared: HashMap<&str, &TypeInfo> =
            g.value_info.iter().chain(&g.outputs).filter_map(|v| v.ty.as_ref().map(|t| (v.name.as_str(), t))).collect();
        for node in &nodes {
            for o in node.outputs.iter().filter(|o| !o.is_empty()) {
                if b.by_name.contains_key(o) {
                    bail!(InvalidGraph, "{}: output '{o}' is already produced by another node, a graph input or an initializer", node.describe());
                }
                b.add_slot(o, declared.get(o.as_str()).map(|t| (*t).clone()));
            }
        }
        // Names read from enclosing scopes.
        let implicit_of: Vec<Vec<String>> = nodes.iter().map(|n| n.subgraphs().flat_map(|(_, sg)| free_names(sg)).collect()).collect();
        for (node, imp) in nodes.iter().zip(&implicit_of) {
            for name in node.inputs.iter().chain(imp) {
                if name.is_empty() || b.by_name.contains_key(name) {
                    continue;
                }
                match outer_types.get(name) {
                    Some(ty) => {
                        let s = b.add_slot(name, ty.clone());
                        match outer_consts.get(name) {
                            Some(v) => {
                                b.constants.insert(s, v.clone());
                                b.fixed.insert(s);
                            }
                            None => b.outer.push((name.clone(), s)),
                        }
                    }
                    None => bail!(InvalidGraph, "{}: input '{name}' is not produced by any node, graph input or initializer", node.describe()),
                }
            }
        }
        let order = topo_order(&nodes, &implicit_of)?;
        for &ni in &order {
            self.plan_node(&mut b, &nodes[ni], &implicit_of[ni], outer_types, outer_consts)
                .map_err(|e| if e.message.contains(&nodes[ni].op_type) { e } else { e.context(nodes[ni].describe()) })?;
        }
        let mut outputs = Vec::with_capacity(g.outputs.len());
        for vi in &g.outputs {
            let s = *b.by_name.get(&vi.name).ok_or_else(|| err!(InvalidGraph, "graph output '{}' is not produced by any node, input or initializer", vi.name))?;
            outputs.push(self.place(&mut b, s, Device::CPU)?);
        }
        let mut plan = Plan {
            slots: b.slots,
            inputs,
            outputs,
            outer: b.outer,
            constants: b.constants.into_iter().collect(),
            steps: b.steps,
            providers: self.providers.to_vec(),
            full: Schedule { steps: vec![], free_after: vec![] },
            verify: self.verify,
        };
        plan.full = plan.schedule(&plan.outputs.clone());
        Ok(plan)
    }

    fn plan_node(
        &self,
        b: &mut Builder,
        node: &Node,
        implicit: &[String],
        outer_types: &HashMap<String, Option<TypeInfo>>,
        outer_consts: &HashMap<String, Value>,
    ) -> Result<()> {
        let opset = match node.opset.or_else(|| self.opsets.get(&node.domain).copied()) {
            Some(v) => v,
            None => bail!(InvalidGraph, "{} uses domain '{}', which the model does not import", node.describe(), node.domain),
        };
        let in_slots: Vec<Option<usize>> = node.inputs.iter().map(|n| if n.is_empty() { None } else { b.by_name.get(n).copied() }).collect();
        let input_types: Vec<Option<TypeInfo>> = in_slots.iter().map(|s| s.and_then(|s| b.slots[s].ty.clone())).collect();

        // Subgraphs see everything visible here.
        let mut subgraphs = Vec::new();
        if node.subgraphs().next().is_some() {
            let mut scope = outer_types.clone();
            for s in &b.slots {
                scope.insert(s.name.clone(), s.ty.clone());
            }
            let mut consts = outer_consts.clone();
            if self.fold_constants {
                for &s in &b.fixed {
                    consts.insert(b.slots[s].name.clone(), b.constants[&s].clone());
                }
            }
            for (attr, g) in node.subgraphs() {
                let plan = self.compile(g, &scope, &consts).map_err(|e| e.context(format!("subgraph '{attr}'")))?;
                subgraphs.push((attr.to_string(), Arc::new(plan)));
            }
        }

        let facts = self.facts(node);
        let values: Vec<Option<Vec<Dim>>> = in_slots.iter().map(|s| s.and_then(|s| b.value(s))).collect();
        let consts: Vec<Option<&crate::tensor::Tensor>> = in_slots
            .iter()
            .map(|s| match s.filter(|s| b.fixed.contains(s)).and_then(|s| b.constants.get(&s)) {
                Some(Value::Tensor(t)) if t.is_host() => Some(t),
                _ => None,
            })
            .collect();
        let mut cx = InferCtx::new(node, opset, &input_types, &values, &consts, &subgraphs);
        let infer: crate::facts::InferFn = facts.map_or(default_infer, |f| f.infer);
        infer(&mut cx);
        let (mut output_types, out_values) = cx.finish();
        for (i, o) in node.outputs.iter().enumerate() {
            if let Some(&s) = b.by_name.get(o) {
                b.slots[s].ty = merge(b.slots[s].ty.take(), output_types[i].take());
                output_types[i] = b.slots[s].ty.clone();
                if let Some(v) = &out_values[i] {
                    b.values.insert(s, v.clone());
                }
            }
        }

        let dtypes: Vec<Option<DataType>> = input_types.iter().map(|t| t.as_ref().and_then(|t| t.elem_dtype())).collect();
        let (pi, def) = self
            .providers
            .iter()
            .enumerate()
            .find_map(|(pi, p)| p.registry().find(&node.domain, &node.op_type, opset, &dtypes).map(|d| (pi, d.clone())))
            .ok_or_else(|| self.no_kernel(node, opset, &dtypes))?;
        let const_inputs = in_slots.iter().map(|s| s.filter(|s| b.fixed.contains(s)).map(|s| b.constants[&s].clone())).collect();
        let info = NodeInfo {
            name: node.name.clone(),
            op_type: node.op_type.clone(),
            domain: node.domain.clone(),
            opset,
            attrs: node.attrs.clone(),
            inputs: node.inputs.clone(),
            outputs: node.outputs.clone(),
            input_types,
            output_types,
            subgraphs,
            const_inputs,
        };
        let kernel = (def.create)(&info)?;
        let device = self.providers[pi].device();
        let mut inputs = Vec::with_capacity(in_slots.len());
        for (i, s) in in_slots.iter().enumerate() {
            inputs.push(match s {
                Some(s) => {
                    let host = def.host_inputs.contains(&i) || facts.is_some_and(|f| f.host_inputs.contains(&i));
                    let want = if host { Device::CPU } else { device };
                    Some(self.place(b, *s, want)?)
                }
                None => None,
            });
        }
        let mut imp = Vec::with_capacity(implicit.len());
        for name in implicit {
            let s = b.by_name[name];
            imp.push((name.clone(), self.place(b, s, device)?));
        }
        let outputs: Vec<Option<usize>> = node.outputs.iter().map(|o| if o.is_empty() { None } else { b.by_name.get(o).copied() }).collect();
        for &s in outputs.iter().flatten() {
            b.slots[s].device = device;
        }
        let step = Step { op: StepOp::Kernel { kernel, info }, provider: pi, inputs, outputs, implicit: imp };
        let foldable = facts.is_none_or(|f| f.foldable);
        if !(self.fold_constants && foldable && self.try_fold(b, &step)) {
            b.steps.push(step);
        }
        Ok(())
    }

    /// Runs a CPU step whose inputs are all fixed constants now, keeping its outputs as
    /// constants. False (the step stays for run time) when it can't be folded or fails:
    /// the same error then surfaces with the run's context.
    fn try_fold(&self, b: &mut Builder, step: &Step) -> bool {
        let StepOp::Kernel { kernel, info } = &step.op else { return false };
        let provider = &*self.providers[step.provider];
        let foldable = provider.device().kind == DeviceKind::Cpu
            && info.subgraphs.is_empty()
            && step.implicit.is_empty()
            && step.inputs.iter().flatten().all(|s| b.fixed.contains(s));
        if !foldable {
            return false;
        }
        let inputs: Vec<Option<&Value>> = step.inputs.iter().map(|s| s.map(|s| &b.constants[&s])).collect();
        let run = RunState::default();
        let mut ctx = OpContext { node: info, inputs: &inputs, outputs: vec![None; info.outputs.len()], implicit: &[], run: &run, provider };
        if kernel.compute(&mut ctx).is_err() {
            return false;
        }
        let outs = ctx.outputs;
        if step.outputs.iter().zip(&outs).any(|(s, v)| s.is_some() && v.is_none()) {
            return false;
        }
        for (s, v) in step.outputs.iter().zip(outs) {
            if let (Some(s), Some(v)) = (s, v) {
                if let Value::Tensor(t) = &v {
                    b.slots[*s].ty = Some(tensor_type(t));
                }
                b.constants.insert(*s, v);
                b.fixed.insert(*s);
            }
        }
        true
    }

    fn no_kernel(&self, node: &Node, opset: i64, dtypes: &[Option<DataType>]) -> crate::Error {
        let domain = if node.domain.is_empty() { "ai.onnx" } else { &node.domain };
        let known = self.providers.iter().any(|p| p.registry().has_op(&node.domain, &node.op_type));
        let names: Vec<&str> = self.providers.iter().map(|p| p.name()).collect();
        if known {
            let types: Vec<String> = dtypes.iter().map(|t| t.map(|d| d.to_string()).unwrap_or_else(|| "?".into())).collect();
            err!(NotImplemented, "{}: no kernel for op '{}' (domain '{domain}', opset {opset}) with input types [{}] in {:?}", node.describe(), node.op_type, types.join(", "), names)
        } else {
            err!(InvalidGraph, "{}: unknown op '{}' in domain '{domain}' (opset {opset}): no provider of {:?} implements it", node.describe(), node.op_type, names)
        }
    }

    /// The facts `node`'s op declares: the first provider's registry that has them.
    fn facts(&self, node: &Node) -> Option<OpFacts> {
        self.providers.iter().find_map(|p| p.registry().op_facts(&node.domain, &node.op_type).copied())
    }

    /// The registered rewrites that apply at this level, each once, in registration order.
    fn rewrites(&self) -> Vec<Arc<dyn GraphRewrite>> {
        let mut seen = HashSet::new();
        self.providers
            .iter()
            .flat_map(|p| p.registry().rewrites().iter().cloned())
            .filter(|r| r.min_level() <= self.level && seen.insert(r.name()))
            .collect()
    }

    /// The slot holding `s` on `device`, adding a copy (done now for constants) if needed.
    fn place(&self, b: &mut Builder, s: usize, device: Device) -> Result<usize> {
        let here = b.slots[s].device;
        if here == device {
            return Ok(s);
        }
        if let Some(&c) = b.copies.get(&(s, device)) {
            return Ok(c);
        }
        let (pi, to_host) = if device.kind == DeviceKind::Cpu {
            (self.provider_for(here)?, true)
        } else {
            (self.provider_for(device)?, false)
        };
        let name = format!("{}@{}", b.slots[s].name, device.name());
        let ty = b.slots[s].ty.clone();
        b.slots.push(SlotInfo { name, ty, device });
        let c = b.slots.len() - 1;
        if let Some(v) = b.constants.get(&s) {
            let p = &self.providers[pi];
            let t = v.as_tensor()?;
            let moved = if to_host { p.copy_to_host(t)? } else { p.copy_to_device(t)? };
            b.constants.insert(c, Value::Tensor(moved));
            if b.fixed.contains(&s) {
                b.fixed.insert(c);
            }
        } else {
            let op = if to_host { StepOp::ToHost } else { StepOp::ToDevice };
            b.steps.push(Step { op, provider: pi, inputs: vec![Some(s)], outputs: vec![Some(c)], implicit: vec![] });
        }
        b.copies.insert((s, device), c);
        Ok(c)
    }

    fn provider_for(&self, device: Device) -> Result<usize> {
        self.providers.iter().position(|p| p.device() == device).ok_or_else(|| err!(EpFail, "no provider for device {}", device.name()))
    }
}

/// Kahn's algorithm, keeping the model's order among ready nodes.
fn topo_order(nodes: &[Node], implicit: &[Vec<String>]) -> Result<Vec<usize>> {
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for o in n.outputs.iter().filter(|o| !o.is_empty()) {
            producer.insert(o, i);
        }
    }
    let mut indegree = vec![0usize; nodes.len()];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let deps: BTreeSet<usize> = n.inputs.iter().chain(&implicit[i]).filter_map(|name| producer.get(name.as_str()).copied()).collect();
        for d in deps {
            if d == i {
                bail!(InvalidGraph, "{} consumes its own output", n.describe());
            }
            indegree[i] += 1;
            users[d].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..nodes.len()).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &u in &users[i] {
            indegree[u] -= 1;
            if indegree[u] == 0 {
                ready.insert(u);
            }
        }
    }
    if order.len() != nodes.len() {
        let stuck = (0..nodes.len()).find(|&i| indegree[i] > 0).map(|i| nodes[i].describe()).unwrap_or_default();
        bail!(InvalidGraph, "the graph has a cycle (involving {stuck})");
    }
    Ok(order)
}

