//! SequenceMap: runs the body once per element of the input sequence. Additional inputs
//! that are sequences (of the same length) are walked in step; tensors are passed whole
//! every time. Each body output becomes a sequence.

use super::expect_outputs;
use onnxrun_core::{bail, ensure, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, TypeInfo, Value};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "SequenceMap", 17, sequence_map));
}

/// An additional input: walked in step with input 0, or passed whole each time.
enum Extra<'a> {
    Step(&'a [Value]),
    Whole(&'a Value),
}

fn sequence_map(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let body = node.subgraph("body")?;
    ensure!(
        body.num_inputs() == node.inputs.len(),
        InvalidGraph,
        "{}: the body takes {} inputs, the node has {}",
        node.describe(),
        body.num_inputs(),
        node.inputs.len()
    );
    ensure!(
        body.num_outputs() == node.outputs.len(),
        InvalidGraph,
        "{}: the body gives {} outputs, the node has {}",
        node.describe(),
        body.num_outputs(),
        node.outputs.len()
    );
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let what = ctx.node.describe();
        let body = ctx.node.subgraph("body")?.clone();
        let mut first: &[Value] = &[];
        let mut extra: Vec<Extra<'_>> = Vec::with_capacity(ctx.num_inputs().saturating_sub(1));
        for i in 0..ctx.num_inputs() {
            match ctx.value(i) {
                Some(Value::Sequence { items, .. }) if i == 0 => first = items,
                Some(Value::Sequence { items, .. }) => {
                    ensure!(
                        items.len() == first.len(),
                        InvalidArgument,
                        "{what}: sequence input {i} has {} elements, input 0 has {}",
                        items.len(),
                        first.len()
                    );
                    extra.push(Extra::Step(items));
                }
                Some(v @ Value::Tensor(_)) if i > 0 => extra.push(Extra::Whole(v)),
                Some(v) => bail!(
                    InvalidArgument,
                    "{what}: input {i} must be a sequence{}, got {}",
                    if i > 0 { " or a tensor" } else { "" },
                    v.type_info().type_string()
                ),
                None => bail!(InvalidArgument, "{what}: input {i} is missing"),
            }
        }
        let n = first.len();
        let k = ctx.num_outputs();
        let mut results: Vec<Vec<Value>> = vec![Vec::with_capacity(n); k];
        for (j, item) in first.iter().enumerate() {
            let mut feeds = Vec::with_capacity(1 + extra.len());
            feeds.push(item.clone());
            for seq in &extra {
                feeds.push(match seq {
                    Extra::Step(s) => s[j].clone(),
                    Extra::Whole(v) => (*v).clone(),
                });
            }
            let outs = ctx.run_plan(&body, feeds)?;
            expect_outputs(ctx, &outs, k, "the body")?;
            for (r, v) in results.iter_mut().zip(outs) {
                r.push(v);
            }
        }
        for (o, items) in results.into_iter().enumerate() {
            let elem = match items.first() {
                Some(v) => v.type_info(),
                None => match ctx.node.output_types.get(o).cloned().flatten() {
                    Some(TypeInfo::Sequence(e)) => *e,
                    _ => match body.output_type(o) {
                        Some(t) => t.elem_dtype().map(TypeInfo::tensor).unwrap_or_else(|| t.clone()),
                        None => TypeInfo::tensor(onnxrun_core::DataType::Float),
                    },
                },
            };
            ctx.set_output(o, Value::Sequence { elem, items })?;
        }
        Ok(())
    })))
}
