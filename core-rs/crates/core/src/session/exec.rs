//! Executing a plan: fill slots from constants, feeds and the outer scope, run the
//! scheduled steps in order, free each value after its last use.

use super::plan::{Plan, Schedule, Step, StepOp};
use crate::kernel::OpContext;
use crate::profile::Profiler;
use crate::value::{Dim, TypeInfo, Value};
use crate::Result;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Per-run state shared by every step (and by nested subgraph runs).
#[derive(Default)]
pub struct RunState {
    pub terminate: Arc<AtomicBool>,
    pub profiler: Option<Arc<Profiler>>,
    pub config: BTreeMap<String, String>,
}

impl RunState {
    pub fn terminated(&self) -> bool {
        self.terminate.load(Ordering::Relaxed)
    }

    fn stop_if_terminated(&self) -> Result<()> {
        if self.terminated() {
            bail!(Fail, "run terminated: RunOptions.terminate was set");
        }
        Ok(())
    }
}

/// Runs a whole (sub)graph: `feeds` in the order of its inputs.
pub fn execute_plan(plan: &Plan, feeds: Vec<Value>, outer: &[(&str, &Value)], run: &RunState) -> Result<Vec<Value>> {
    if feeds.len() > plan.inputs.len() {
        bail!(InvalidArgument, "graph takes {} inputs, got {}", plan.inputs.len(), feeds.len());
    }
    let feeds: Vec<(usize, Value)> = plan.inputs.iter().copied().zip(feeds).collect();
    run_schedule(plan, &plan.full, feeds, outer, &plan.outputs, run)
}

pub(crate) fn run_schedule(
    plan: &Plan,
    sched: &Schedule,
    feeds: Vec<(usize, Value)>,
    outer: &[(&str, &Value)],
    fetch: &[usize],
    run: &RunState,
) -> Result<Vec<Value>> {
    let mut slots: Vec<Option<Value>> = vec![None; plan.slots.len()];
    for (s, v) in &plan.constants {
        slots[*s] = Some(v.clone());
    }
    for (s, v) in feeds {
        slots[s] = Some(v);
    }
    for (name, s) in &plan.outer {
        match outer.iter().find(|(n, _)| n == name) {
            Some((_, v)) => slots[*s] = Some((*v).clone()),
            None => bail!(Fail, "outer-scope value '{name}' is not available to the subgraph"),
        }
    }
    // Also checked on entry: a subgraph without steps (an empty Loop body, run once per
    // iteration) would otherwise never see the flag.
    run.stop_if_terminated()?;
    for (k, &si) in sched.steps.iter().enumerate() {
        run.stop_if_terminated()?;
        let step = &plan.steps[si];
        let start = run.profiler.as_ref().map(|_| Instant::now());
        let outs = run_step(plan, step, &slots, run)?;
        if plan.verify {
            verify_outputs(plan, step, &outs)?;
        }
        if let (Some(p), Some(t0)) = (&run.profiler, start) {
            p.node_event(step, &plan.providers[step.provider].name().to_string(), t0);
        }
        for (o, v) in step.outputs.iter().zip(outs) {
            if let (Some(s), Some(v)) = (o, v) {
                slots[*s] = Some(v);
            }
        }
        for &s in &sched.free_after[k] {
            slots[s] = None;
        }
    }
    fetch
        .iter()
        .map(|&s| match &slots[s] {
            Some(v) => Ok(v.clone()),
            None => bail!(Fail, "output '{}' was not computed", plan.slots[s].name),
        })
        .collect()
}

pub(crate) fn run_step(plan: &Plan, step: &Step, slots: &[Option<Value>], run: &RunState) -> Result<Vec<Option<Value>>> {
    let provider = &*plan.providers[step.provider];
    let mut inputs: Vec<Option<&Value>> = Vec::with_capacity(step.inputs.len());
    for s in &step.inputs {
        match s {
            Some(s) => match &slots[*s] {
                Some(v) => inputs.push(Some(v)),
                None => bail!(Fail, "{}: input '{}' has no value", step.label(), plan.slots[*s].name),
            },
            None => inputs.push(None),
        }
    }
    match &step.op {
        StepOp::Kernel { kernel, info } => {
            let implicit: Vec<(&str, &Value)> =
                step.implicit.iter().filter_map(|(n, s)| slots[*s].as_ref().map(|v| (n.as_str(), v))).collect();
            let mut ctx = OpContext { node: info, inputs: &inputs, outputs: vec![None; info.outputs.len()], implicit: &implicit, run, provider };
            kernel.compute(&mut ctx).map_err(|e| {
                let d = info.describe();
                if e.message.contains(&d) {
                    e
                } else {
                    e.context(d)
                }
            })?;
            for (i, name) in info.outputs.iter().enumerate() {
                if !name.is_empty() && ctx.outputs[i].is_none() {
                    bail!(Fail, "{} did not produce its output {i} ('{name}')", info.describe());
                }
            }
            Ok(ctx.outputs)
        }
        StepOp::ToDevice | StepOp::ToHost => {
            let t = match inputs[0] {
                Some(Value::Tensor(t)) => t,
                _ => bail!(NotImplemented, "only tensors can move between devices"),
            };
            let moved = if matches!(step.op, StepOp::ToHost) { provider.copy_to_host(t)? } else { provider.copy_to_device(t)? };
            Ok(vec![Some(Value::Tensor(moved))])
        }
    }
}

/// Fails when a kernel's output disagrees with its slot's inferred element type or
/// shape (an unknown or symbolic dim agrees with any size).
fn verify_outputs(plan: &Plan, step: &Step, outs: &[Option<Value>]) -> Result<()> {
    for (s, v) in step.outputs.iter().zip(outs) {
        let (Some(s), Some(Value::Tensor(t))) = (s, v) else { continue };
        let Some(TypeInfo::Tensor { dtype, shape }) = &plan.slots[*s].ty else { continue };
        let shape_ok = shape.as_ref().is_none_or(|dims| {
            dims.len() == t.rank() && dims.iter().zip(t.shape()).all(|(d, &n)| !matches!(d, Dim::Known(k) if *k != n as i64))
        });
        if *dtype != t.dtype() || !shape_ok {
            bail!(
                Fail,
                "{}: output '{}' is {}{:?}, but load-time inference said {}{:?}",
                step.label(),
                plan.slots[*s].name,
                t.dtype(),
                t.shape(),
                dtype,
                shape
            );
        }
    }
    Ok(())
}
