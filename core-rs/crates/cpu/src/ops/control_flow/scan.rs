//! Scan: runs the body once per slice of the scan inputs, carrying state between
//! iterations, and stacks each scan output over the iterations.
//! - opset 8: inputs are batched ([batch, seq, ...], states [batch, ...]), an optional
//!   `sequence_lens` gives each batch entry's length; short sequences' outputs are
//!   zero-padded to the longest.
//! - opset 9+: no batch; per-input scan axes and directions, per-output axes and directions.

use super::axis::{stack, take};
use super::{empty_scan_output, expect_outputs};
use crate::util::elems::norm_axis;
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Plan, Result, Tensor, Value};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Scan", 8, scan8).until(8));
    r.register(KernelDef::new("", "Scan", 9, scan9));
}

/// A 0/1 direction list of `n` entries (absent = all forward) as "reverse?" flags.
fn directions(node: &NodeInfo, attr: &str, n: usize) -> Result<Vec<bool>> {
    match node.get_ints(attr)? {
        None => Ok(vec![false; n]),
        Some(v) => {
            ensure!(v.len() == n, InvalidGraph, "{}: {attr} has {} entries, expected {n}", node.describe(), v.len());
            v.iter()
                .map(|&d| match d {
                    0 => Ok(false),
                    1 => Ok(true),
                    _ => bail!(InvalidGraph, "{}: {attr} entries must be 0 or 1, got {d}", node.describe()),
                })
                .collect()
        }
    }
}

fn num_scan_inputs(node: &NodeInfo, available: usize) -> Result<usize> {
    let m = node.req_int("num_scan_inputs")?;
    ensure!(
        m >= 1 && (m as usize) <= available,
        InvalidGraph,
        "{}: num_scan_inputs is {m}, but the node has {available} state and scan inputs",
        node.describe()
    );
    Ok(m as usize)
}

/// Runs `len` iterations: state in, state out; scan input j is sliced along `axes[j]`
/// (from the end when `reverse[j]`). Gives the final states and each scan output's
/// per-iteration tensors, in iteration order.
fn iterate(
    ctx: &OpContext<'_>,
    body: &Plan,
    mut states: Vec<Value>,
    inputs: &[Tensor],
    axes: &[usize],
    reverse: &[bool],
    len: usize,
) -> Result<(Vec<Value>, Vec<Vec<Tensor>>)> {
    let n_state = states.len();
    let n_scan_out = body.num_outputs().saturating_sub(n_state);
    let mut scans: Vec<Vec<Tensor>> = vec![Vec::with_capacity(len); n_scan_out];
    for t in 0..len {
        let mut feeds = Vec::with_capacity(n_state + inputs.len());
        feeds.append(&mut states);
        for ((x, &axis), &rev) in inputs.iter().zip(axes).zip(reverse) {
            feeds.push(Value::Tensor(take(x, axis, if rev { len - 1 - t } else { t })?));
        }
        let mut outs = ctx.run_plan(body, feeds)?;
        expect_outputs(ctx, &outs, n_state + n_scan_out, "the body")?;
        let rest = outs.split_off(n_state);
        states = outs;
        for (k, v) in rest.into_iter().enumerate() {
            match v {
                Value::Tensor(x) => scans[k].push(x),
                other => bail!(InvalidArgument, "{}: scan output {k} must be a tensor, got {}", ctx.node.describe(), other.type_info().type_string()),
            }
        }
    }
    Ok((states, scans))
}

fn tensor_inputs<'a>(ctx: &OpContext<'a>, range: std::ops::Range<usize>) -> Result<Vec<&'a Tensor>> {
    range.map(|i| ctx.input(i)).collect()
}

// ---- opset 9+ ---------------------------------------------------------------------------

struct Scan9 {
    n_scan_in: usize,
    in_axes: Vec<i64>,
    in_reverse: Vec<bool>,
    out_axes: Vec<i64>,
    out_reverse: Vec<bool>,
}

fn scan9(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let body = node.subgraph("body")?;
    let m = num_scan_inputs(node, node.inputs.len())?;
    let n_state = node.inputs.len() - m;
    ensure!(
        body.num_inputs() == node.inputs.len(),
        InvalidGraph,
        "{}: the body takes {} inputs, expected {n_state} states + {m} scan inputs",
        node.describe(),
        body.num_inputs()
    );
    ensure!(body.num_outputs() >= n_state, InvalidGraph, "{}: the body gives fewer outputs than the {n_state} states", node.describe());
    let k = body.num_outputs() - n_state;
    let axes = |attr: &str, n: usize| -> Result<Vec<i64>> {
        let v = node.get_ints(attr)?.unwrap_or_else(|| vec![0; n]);
        ensure!(v.len() == n, InvalidGraph, "{}: {attr} has {} entries, expected {n}", node.describe(), v.len());
        Ok(v)
    };
    Ok(Box::new(Scan9 {
        n_scan_in: m,
        in_axes: axes("scan_input_axes", m)?,
        in_reverse: directions(node, "scan_input_directions", m)?,
        out_axes: axes("scan_output_axes", k)?,
        out_reverse: directions(node, "scan_output_directions", k)?,
    }))
}

impl Kernel for Scan9 {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let body = ctx.node.subgraph("body")?.clone();
        let n_state = ctx.num_inputs() - self.n_scan_in;
        let states: Vec<Value> = (0..n_state)
            .map(|i| ctx.value(i).cloned().ok_or_else(|| onnxrun_core::err!(InvalidArgument, "{what}: state input {i} is missing")))
            .collect::<Result<_>>()?;
        let inputs = tensor_inputs(ctx, n_state..ctx.num_inputs())?;
        let mut axes = Vec::with_capacity(inputs.len());
        let mut len = None;
        for (j, x) in inputs.iter().enumerate() {
            let a = norm_axis(self.in_axes[j], x.rank(), &format!("{what}: scan_input_axes[{j}]"))?;
            let d = x.shape()[a];
            match len {
                None => len = Some(d),
                Some(l) => ensure!(l == d, InvalidArgument, "{what}: scan input {j} has {d} steps along its scan axis, scan input 0 has {l}"),
            }
            axes.push(a);
        }
        let len = len.unwrap_or(0);
        let owned: Vec<Tensor> = inputs.into_iter().cloned().collect();
        let (states, scans) = iterate(ctx, &body, states, &owned, &axes, &self.in_reverse, len)?;
        for (i, v) in states.into_iter().enumerate() {
            ctx.set_output(i, v)?;
        }
        for (k, mut parts) in scans.into_iter().enumerate() {
            if !ctx.output_required(n_state + k) {
                continue;
            }
            let out_rank = body.output_type(n_state + k).and_then(|t| t.shape()).map(|s| s.len()).or(parts.first().map(|p| p.rank()));
            let axis = norm_axis(self.out_axes[k], out_rank.unwrap_or(0) + 1, &format!("{what}: scan_output_axes[{k}]"))?;
            let t = if parts.is_empty() {
                empty_scan_output(&body, n_state + k, axis)?
            } else {
                if self.out_reverse[k] {
                    parts.reverse();
                }
                stack(&parts, axis).map_err(|e| e.context(format!("{what}: scan output {k}")))?
            };
            ctx.set_output(n_state + k, t)?;
        }
        Ok(())
    }
}

// ---- opset 8 ----------------------------------------------------------------------------

struct Scan8 {
    n_scan_in: usize,
    reverse: Vec<bool>,
}

fn scan8(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let body = node.subgraph("body")?;
    let rest = node.inputs.len().saturating_sub(1);
    let m = num_scan_inputs(node, rest)?;
    ensure!(
        body.num_inputs() == rest,
        InvalidGraph,
        "{}: the body takes {} inputs, expected {} states + {m} scan inputs",
        node.describe(),
        body.num_inputs(),
        rest - m
    );
    ensure!(body.num_outputs() >= rest - m, InvalidGraph, "{}: the body gives fewer outputs than its states", node.describe());
    Ok(Box::new(Scan8 { n_scan_in: m, reverse: directions(node, "directions", m)? }))
}

impl Kernel for Scan8 {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let body = ctx.node.subgraph("body")?.clone();
        let n_state = ctx.num_inputs() - 1 - self.n_scan_in;
        let states = tensor_inputs(ctx, 1..1 + n_state)?;
        let inputs = tensor_inputs(ctx, 1 + n_state..ctx.num_inputs())?;
        let (batch, max_len) = match inputs[0].shape() {
            [b, s, ..] => (*b, *s),
            s => bail!(InvalidArgument, "{what}: scan inputs must be [batch, sequence, ...], got shape {s:?}"),
        };
        for (j, x) in inputs.iter().enumerate() {
            ensure!(
                x.rank() >= 2 && x.shape()[0] == batch && x.shape()[1] == max_len,
                InvalidArgument,
                "{what}: scan input {j} has shape {:?}, expected [{batch}, {max_len}, ...]",
                x.shape()
            );
        }
        for (i, s) in states.iter().enumerate() {
            ensure!(s.rank() >= 1 && s.shape()[0] == batch, InvalidArgument, "{what}: state {i} has shape {:?}, expected batch {batch} first", s.shape());
        }
        let lens: Vec<usize> = match ctx.opt_input(0)? {
            None => vec![max_len; batch],
            Some(l) => {
                let v = l.to_i64_vec()?;
                ensure!(v.len() == batch, InvalidArgument, "{what}: sequence_lens has {} entries for batch {batch}", v.len());
                v.iter()
                    .map(|&n| {
                        ensure!((0..=max_len as i64).contains(&n), InvalidArgument, "{what}: sequence length {n} is outside [0, {max_len}]");
                        Ok(n as usize)
                    })
                    .collect::<Result<_>>()?
            }
        };
        let axes = vec![0; inputs.len()];
        let n_scan_out = body.num_outputs() - n_state;
        let mut final_states: Vec<Vec<Tensor>> = vec![Vec::with_capacity(batch); n_state];
        let mut per_batch: Vec<Vec<Vec<Tensor>>> = vec![Vec::with_capacity(batch); n_scan_out];
        for (b, &len) in lens.iter().enumerate() {
            let st = states.iter().map(|s| take(s, 0, b).map(Value::Tensor)).collect::<Result<Vec<_>>>()?;
            let xs = inputs.iter().map(|x| take(x, 0, b)).collect::<Result<Vec<_>>>()?;
            let (st, scans) = iterate(ctx, &body, st, &xs, &axes, &self.reverse, len)?;
            for (i, v) in st.into_iter().enumerate() {
                final_states[i].push(v.into_tensor()?);
            }
            for (k, parts) in scans.into_iter().enumerate() {
                per_batch[k].push(parts);
            }
        }
        for (i, parts) in final_states.into_iter().enumerate() {
            let t = if parts.is_empty() { states[i].clone() } else { stack(&parts, 0)? };
            ctx.set_output(i, t)?;
        }
        for (k, batches) in per_batch.into_iter().enumerate() {
            if !ctx.output_required(n_state + k) {
                continue;
            }
            // Steps past a sequence's length are zeros shaped like the steps that ran.
            let step = match batches.iter().find_map(|p| p.first()) {
                Some(p) => Tensor::zeros(p.dtype(), p.shape().to_vec())?,
                None => {
                    let e = empty_scan_output(&body, n_state + k, 0)?;
                    Tensor::zeros(e.dtype(), e.shape()[1..].to_vec())?
                }
            };
            let mut rows = Vec::with_capacity(batch);
            for mut parts in batches {
                parts.resize(max_len, step.clone());
                rows.push(if max_len == 0 {
                    let mut shape = step.shape().to_vec();
                    shape.insert(0, 0);
                    Tensor::zeros(step.dtype(), shape)?
                } else {
                    stack(&parts, 0).map_err(|e| e.context(format!("{what}: scan output {k}")))?
                });
            }
            let t = if rows.is_empty() {
                let mut shape = step.shape().to_vec();
                shape.splice(0..0, [0, max_len]);
                Tensor::zeros(step.dtype(), shape)?
            } else {
                stack(&rows, 0)?
            };
            ctx.set_output(n_state + k, t)?;
        }
        Ok(())
    }
}
