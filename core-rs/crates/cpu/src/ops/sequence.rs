//! Sequence and optional ops. Sequences hold values (normally tensors) plus their element
//! type, so even an empty sequence knows what it would hold.

use crate::ops::shape::concat::{concat_tensors, split_tensor};
use crate::util::elems::{norm_axis, AtNode};
use crate::util::parallel::pool_for;
use onnxrun_core::{
    bail, ensure, Attribute, DataType, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor, TypeInfo, Value, OpFacts,
};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "SequenceEmpty", 11, sequence_empty));
    r.register(KernelDef::new("", "SequenceConstruct", 11, sequence_construct));
    r.register(KernelDef::new("", "SequenceAt", 11, sequence_at));
    r.register(KernelDef::new("", "SequenceInsert", 11, sequence_insert));
    r.register(KernelDef::new("", "SequenceErase", 11, sequence_erase));
    r.register(KernelDef::new("", "SequenceLength", 11, sequence_length));
    r.register(KernelDef::new("", "SplitToSequence", 11, split_to_sequence));
    r.register(KernelDef::new("", "ConcatFromSequence", 11, concat_from_sequence));
    r.register(KernelDef::new("", "Optional", 15, optional));
    r.register(KernelDef::new("", "OptionalHasElement", 15, optional_has_element));
    r.register(KernelDef::new("", "OptionalGetElement", 15, optional_get_element));
    r.facts("", "SequenceEmpty", OpFacts::new(|cx| {
        let d = cx.dtype_attr("dtype").unwrap_or(DataType::Float);
        cx.set(0, TypeInfo::Sequence(Box::new(TypeInfo::tensor(d))));
    }));
    r.facts_all("", &["SequenceConstruct", "SplitToSequence"], OpFacts::new(|cx| {
        if let Some(d) = cx.dtype(0) {
            cx.set(0, TypeInfo::Sequence(Box::new(TypeInfo::tensor(d))));
        }
    }));
    r.facts("", "SequenceAt", OpFacts::new(|cx| {
        if let Some(TypeInfo::Sequence(e)) = cx.input(0) {
            cx.set(0, (**e).clone());
        }
    }));
    r.facts("", "SequenceLength", OpFacts::new(|cx| cx.set_tensor(0, DataType::Int64, Some(vec![]))));
    r.facts_all("", &["SequenceInsert", "SequenceErase"], OpFacts::new(|cx| {
        if let Some(t) = cx.input(0).cloned() {
            cx.set(0, t);
        }
    }));
    r.facts("", "ConcatFromSequence", OpFacts::new(|cx| {
        if let Some(TypeInfo::Sequence(e)) = cx.input(0) {
            if let Some(d) = e.elem_dtype() {
                cx.set_tensor(0, d, None);
            }
        }
    }));
    r.facts("", "Optional", OpFacts::new(|cx| match cx.attr("type") {
        Some(onnxrun_core::Attribute::Type(ty)) => cx.set(0, TypeInfo::Optional(Box::new(ty.clone()))),
        _ => {
            if let Some(t) = cx.input(0).cloned() {
                cx.set(0, TypeInfo::Optional(Box::new(t)));
            }
        }
    }));
    r.facts("", "OptionalHasElement", OpFacts::new(|cx| cx.set_tensor(0, DataType::Bool, Some(vec![]))));
    r.facts("", "OptionalGetElement", OpFacts::new(|cx| match cx.input(0).cloned() {
        Some(TypeInfo::Optional(e)) => cx.set(0, *e),
        Some(other) => cx.set(0, other),
        None => {}
    }));
}

/// Input `i` as a sequence: its element type and items.
fn seq_input<'a>(ctx: &OpContext<'a>, i: usize) -> Result<(&'a TypeInfo, &'a [Value])> {
    match ctx.value(i) {
        Some(Value::Sequence { elem, items }) => Ok((elem, items)),
        Some(v) => bail!(InvalidArgument, "{}: input {i} must be a sequence, got {}", ctx.node.describe(), v.type_info().type_string()),
        None => bail!(InvalidArgument, "{}: required input {i} is missing", ctx.node.describe()),
    }
}

/// An optional scalar position input.
fn position(ctx: &OpContext<'_>, i: usize) -> Result<Option<i64>> {
    match ctx.opt_input(i)? {
        Some(t) => {
            let v = t.to_i64_vec().at(ctx.node)?;
            ensure!(v.len() == 1, InvalidArgument, "{}: position must be a scalar, got shape {:?}", ctx.node.describe(), t.shape());
            Ok(Some(v[0]))
        }
        None => Ok(None),
    }
}

/// Resolves a position in `[-len, len + extra)` to an index.
fn resolve_pos(p: i64, len: usize, extra: usize, node: &NodeInfo) -> Result<usize> {
    let n = len as i64;
    let q = if p < 0 { p + n } else { p };
    ensure!(q >= 0 && q < n + extra as i64, InvalidArgument, "{}: position {p} is out of range for a sequence of length {len}", node.describe());
    Ok(q as usize)
}

fn check_elem(elem: &TypeInfo, t: &Tensor, node: &NodeInfo) -> Result<()> {
    if let Some(dt) = elem.elem_dtype() {
        ensure!(dt == t.dtype(), InvalidArgument, "{}: tensor of {} does not fit a sequence of {}", node.describe(), t.dtype(), dt);
    }
    Ok(())
}

fn sequence_empty(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let dt = match node.get_int("dtype")? {
        Some(d) => DataType::from_i32(d as i32).at(node)?,
        None => DataType::Float,
    };
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        ctx.set_output(0, Value::Sequence { elem: TypeInfo::tensor(dt), items: vec![] })
    })))
}

fn sequence_construct(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let items = (0..ctx.num_inputs()).map(|i| ctx.input(i).cloned()).collect::<Result<Vec<_>>>()?;
        let Some(first) = items.first() else { bail!(InvalidArgument, "{}: needs at least one input", ctx.node.describe()) };
        let elem = TypeInfo::tensor(first.dtype());
        for t in &items {
            check_elem(&elem, t, ctx.node)?;
        }
        ctx.set_output(0, Value::Sequence { elem, items: items.into_iter().map(Value::Tensor).collect() })
    })))
}

fn sequence_at(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let (_, items) = seq_input(ctx, 0)?;
        let Some(p) = position(ctx, 1)? else { bail!(InvalidArgument, "{}: position is missing", ctx.node.describe()) };
        let v = items[resolve_pos(p, items.len(), 0, ctx.node)?].clone();
        ctx.set_output(0, v)
    })))
}

fn sequence_insert(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let (elem, items) = seq_input(ctx, 0)?;
        let t = ctx.input(1)?;
        check_elem(elem, t, ctx.node)?;
        let at = match position(ctx, 2)? {
            Some(p) => resolve_pos(p, items.len(), 1, ctx.node)?,
            None => items.len(),
        };
        let mut items = items.to_vec();
        items.insert(at, Value::Tensor(t.clone()));
        ctx.set_output(0, Value::Sequence { elem: elem.clone(), items })
    })))
}

fn sequence_erase(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let (elem, items) = seq_input(ctx, 0)?;
        ensure!(!items.is_empty(), InvalidArgument, "{}: cannot erase from an empty sequence", ctx.node.describe());
        let at = match position(ctx, 1)? {
            Some(p) => resolve_pos(p, items.len(), 0, ctx.node)?,
            None => items.len() - 1,
        };
        let mut items = items.to_vec();
        items.remove(at);
        ctx.set_output(0, Value::Sequence { elem: elem.clone(), items })
    })))
}

fn sequence_length(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let (_, items) = seq_input(ctx, 0)?;
        ctx.set_output(0, Tensor::scalar(items.len() as i64))
    })))
}

fn split_to_sequence(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axis = node.int_or("axis", 0)?;
    let keepdims = node.int_or("keepdims", 1)? != 0;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let x = ctx.input(0)?;
        let a = norm_axis(axis, x.rank(), "SplitToSequence").at(node)?;
        let dim = x.shape()[a];
        let split = ctx.opt_input(1)?;
        let (sizes, squeeze) = match split {
            None => (vec![1; dim], !keepdims),
            Some(s) => {
                let v = s.to_i64_vec().at(node)?;
                ensure!(v.iter().all(|&e| e >= 0), InvalidArgument, "{}: negative split size in {v:?}", node.describe());
                if s.rank() == 0 {
                    // A scalar: pieces of that size, the last one smaller.
                    let p = v[0] as usize;
                    ensure!(p > 0, InvalidArgument, "{}: split size must be positive", node.describe());
                    ((0..dim.div_ceil(p)).map(|i| p.min(dim - i * p)).collect(), false)
                } else {
                    (v.iter().map(|&e| e as usize).collect(), false)
                }
            }
        };
        let pieces = split_tensor(x, a, &sizes).at(node)?;
        let items = pieces
            .into_iter()
            .map(|t| {
                if squeeze {
                    let mut s = t.shape().to_vec();
                    s.remove(a);
                    t.reshaped(s).map(Value::Tensor)
                } else {
                    Ok(Value::Tensor(t))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        ctx.set_output(0, Value::Sequence { elem: TypeInfo::tensor(x.dtype()), items })
    })))
}

fn concat_from_sequence(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axis = node.req_int("axis")?;
    let new_axis = node.int_or("new_axis", 0)? != 0;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (_, items) = seq_input(ctx, 0)?;
        ensure!(!items.is_empty(), InvalidArgument, "{}: the sequence is empty", node.describe());
        let mut tensors = items.iter().map(|v| v.as_tensor()).collect::<Result<Vec<_>>>().at(node)?;
        let stacked: Vec<Tensor>;
        let mut ax = axis;
        if new_axis {
            // Stack: give every tensor a new size-1 dim at `axis`, then concatenate.
            let r = tensors[0].rank();
            let a = norm_axis(axis, r + 1, "ConcatFromSequence").at(node)?;
            stacked = tensors
                .iter()
                .map(|t| {
                    let mut s = t.shape().to_vec();
                    if a > s.len() {
                        bail!(InvalidArgument, "{}: tensors of differing rank in the sequence", node.describe());
                    }
                    s.insert(a, 1);
                    t.reshaped(s)
                })
                .collect::<Result<_>>()?;
            tensors = stacked.iter().collect();
            ax = a as i64;
        }
        let total = tensors.iter().map(|t| t.len()).sum();
        let y = concat_tensors(&tensors, ax, pool_for(ctx, total)).at(node)?;
        ctx.set_output(0, y)
    })))
}

fn optional(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let ty = match node.attr("type") {
        Some(Attribute::Type(t)) => Some(t.clone()),
        Some(a) => bail!(InvalidGraph, "{}: attribute 'type' must be a type, got {}", node.describe(), a.kind_name()),
        None => None,
    };
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let v = match ctx.value(0) {
            Some(v) => Value::Optional { elem: v.type_info(), value: Some(Box::new(v.clone())) },
            None => match &ty {
                Some(t) => Value::Optional { elem: t.clone(), value: None },
                None => bail!(InvalidArgument, "{}: with no input the 'type' attribute is required", ctx.node.describe()),
            },
        };
        ctx.set_output(0, v)
    })))
}

fn optional_has_element(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let has = match ctx.value(0) {
            None => false,
            Some(Value::Optional { value, .. }) => value.is_some(),
            Some(_) => true,
        };
        ctx.set_output(0, Tensor::scalar(has))
    })))
}

fn optional_get_element(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let v = match ctx.value(0) {
            Some(Value::Optional { value: Some(v), .. }) => v.as_ref().clone(),
            Some(Value::Optional { value: None, .. }) | None => {
                bail!(InvalidArgument, "{}: the optional input is empty", ctx.node.describe())
            }
            Some(v) => v.clone(),
        };
        ctx.set_output(0, v)
    })))
}
