//! Loop: runs the body while the trip count and the condition allow. The body gets
//! (iteration, cond, carried...) and gives (cond, carried..., scan outputs...); carried
//! values (tensors, sequences, optionals) feed the next iteration, and each scan output is
//! stacked over iterations along a new first axis.

use super::axis::stack;
use super::{empty_scan_output, expect_outputs, truth};
use onnxrun_core::{ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor, Value};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Loop", 1, loop_op));
}

struct Loop;

fn loop_op(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let body = node.subgraph("body")?;
    let carried = node.inputs.len().saturating_sub(2);
    ensure!(
        body.num_inputs() == carried + 2,
        InvalidGraph,
        "{}: the body takes {} inputs, but a loop with {carried} carried values needs {}",
        node.describe(),
        body.num_inputs(),
        carried + 2
    );
    ensure!(
        body.num_outputs() > carried,
        InvalidGraph,
        "{}: the body gives {} outputs, fewer than 1 + {carried} carried values",
        node.describe(),
        body.num_outputs()
    );
    Ok(Box::new(Loop))
}

impl Kernel for Loop {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let body = ctx.node.subgraph("body")?.clone();
        let n_carried = ctx.num_inputs().saturating_sub(2);
        let n_scan = body.num_outputs() - 1 - n_carried;
        let n_out = ctx.num_outputs();
        ensure!(
            n_out <= n_carried + n_scan,
            InvalidGraph,
            "{what}: the node has {n_out} outputs but the loop gives {n_carried} carried values and {n_scan} scan outputs"
        );
        let max_trips = match ctx.opt_input(0)? {
            Some(m) => {
                let v = m.to_i64_vec()?;
                ensure!(v.len() == 1, InvalidArgument, "{what}: M must hold one value, got {}", v.len());
                Some(v[0])
            }
            None => None,
        };
        // Without a cond input the body's cond output is ignored (a plain for loop).
        let use_cond = ctx.node.has_input(1);
        let mut cond = match ctx.value(1) {
            Some(c) if use_cond => truth(ctx, c, "cond")?,
            _ => true,
        };
        let mut carried: Vec<Value> = (0..n_carried)
            .map(|i| ctx.value(i + 2).cloned().ok_or_else(|| onnxrun_core::err!(InvalidArgument, "{what}: carried input {i} is missing")))
            .collect::<Result<_>>()?;
        let mut scans: Vec<Vec<Tensor>> = vec![Vec::new(); n_scan];
        let mut i: i64 = 0;
        while cond && max_trips.is_none_or(|m| i < m) {
            let mut feeds = Vec::with_capacity(2 + n_carried);
            feeds.push(Value::Tensor(Tensor::scalar(i)));
            feeds.push(Value::Tensor(Tensor::scalar(cond)));
            feeds.append(&mut carried);
            let mut outs = ctx.run_plan(&body, feeds)?;
            expect_outputs(ctx, &outs, 1 + n_carried + n_scan, "the body")?;
            if use_cond {
                cond = truth(ctx, &outs[0], "the body's cond output")?;
            }
            let rest = outs.split_off(1 + n_carried);
            carried = outs.split_off(1);
            for (k, v) in rest.into_iter().enumerate() {
                match v {
                    Value::Tensor(t) => scans[k].push(t),
                    other => {
                        onnxrun_core::bail!(InvalidArgument, "{what}: scan output {k} must be a tensor, got {}", other.type_info().type_string())
                    }
                }
            }
            i += 1;
        }
        for (k, v) in carried.into_iter().enumerate().take(n_out) {
            ctx.set_output(k, v)?;
        }
        for (k, parts) in scans.into_iter().enumerate() {
            let o = n_carried + k;
            if o >= n_out || !ctx.output_required(o) {
                continue;
            }
            let t = if parts.is_empty() {
                empty_scan_output(&body, 1 + n_carried + k, 0)?
            } else {
                stack(&parts, 0).map_err(|e| e.context(format!("{what}: scan output {k}")))?
            };
            ctx.set_output(o, t)?;
        }
        Ok(())
    }
}
