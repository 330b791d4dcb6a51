//! Facts of the shape and layout ops. Shape, Size, Reshape, Squeeze/Unsqueeze, Concat,
//! Slice and Identity also carry the contents of shape-like integer values, so that
//! `Shape → Gather → Concat → Reshape` chains give Reshape a known (or symbolic) shape.

use onnxrun_core::facts::dims::{self, axis};
use onnxrun_core::facts::rules::{self, axes};
use onnxrun_core::{Attribute, DataType, Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts("", "Shape", OpFacts::new(shape));
    r.facts("", "Size", OpFacts::new(size));
    r.facts("", "Constant", OpFacts::new(constant));
    r.facts("", "ConstantOfShape", OpFacts::new(constant_of_shape).host_inputs(&[0]));
    r.facts("", "EyeLike", OpFacts::new(eye_like));
    r.facts("", "Range", OpFacts::new(range).host_inputs(&[0, 1, 2]));
    r.facts("", "Reshape", OpFacts::new(reshape).host_inputs(&[1]));
    r.facts("", "Flatten", OpFacts::new(flatten));
    r.facts("", "Identity", OpFacts::new(identity));
    r.facts("", "Squeeze", OpFacts::new(squeeze).host_inputs(&[1]));
    r.facts("", "Unsqueeze", OpFacts::new(unsqueeze).host_inputs(&[1]));
    r.facts("", "Transpose", OpFacts::new(transpose));
    r.facts("", "Expand", OpFacts::new(expand).host_inputs(&[1]));
    r.facts("", "Tile", OpFacts::new(tile).host_inputs(&[1]));
    r.facts_all("", &["DepthToSpace", "SpaceToDepth"], OpFacts::new(depth_space));
    r.facts("", "Concat", OpFacts::new(concat));
    r.facts("", "Split", OpFacts::new(split).host_inputs(&[1]));
    r.facts("", "Pad", OpFacts::new(pad).host_inputs(&[1, 3]));
    r.facts("", "CenterCropPad", OpFacts::new(center_crop_pad).host_inputs(&[1, 2]));
    r.facts("", "Trilu", OpFacts::new(rules::same).host_inputs(&[1]));
    r.facts("", "Slice", OpFacts::new(slice).host_inputs(&[1, 2, 3, 4]));
}

/// A rank read from a declared shape, when it is one a tensor can have (a malformed model
/// may declare any number).
fn plausible_rank(r: i64) -> Option<usize> {
    const MAX_RANK: i64 = 64;
    (0..=MAX_RANK).contains(&r).then_some(r as usize)
}

fn known_shape(cx: &InferCtx<'_>, i: usize) -> Option<Vec<Dim>> {
    cx.shape(i).map(<[Dim]>::to_vec)
}

fn shape(cx: &mut InferCtx<'_>) {
    let Some(s) = cx.shape(0) else {
        cx.set_tensor(0, DataType::Int64, Some(vec![Dim::Unknown]));
        return;
    };
    let r = s.len() as i64;
    let clamp = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
    let (start, end) = (clamp(cx.int_or("start", 0)), clamp(cx.int_or("end", r)));
    let v = if start < end { s[start..end].to_vec() } else { vec![] };
    cx.set_tensor(0, DataType::Int64, Some(vec![Dim::Known(v.len() as i64)]));
    cx.set_value(0, v);
}

fn size(cx: &mut InferCtx<'_>) {
    cx.set_tensor(0, DataType::Int64, Some(vec![]));
    if let Some(s) = cx.shape(0) {
        cx.set_value(0, vec![dims::product(s)]);
    }
}

fn constant(cx: &mut InferCtx<'_>) {
    use DataType::*;
    let known = |v: usize| Some(vec![Dim::Known(v as i64)]);
    let (dtype, shape) = match (cx.attr("value").or(cx.attr("sparse_value")), cx.attr("value_float"), cx.attr("value_int")) {
        (Some(Attribute::Tensor(t) | Attribute::SparseTensor(t)), ..) => {
            if t.rank() <= 1 && t.len() <= 64 && matches!(t.dtype(), Int64 | Int32) {
                if let Ok(v) = t.to_i64_vec() {
                    cx.set_value(0, v.into_iter().map(Dim::Known).collect());
                }
            }
            (t.dtype(), Some(t.shape().iter().map(|&d| Dim::Known(d as i64)).collect()))
        }
        (_, Some(_), _) => (Float, Some(vec![])),
        (_, _, Some(Attribute::Int(v))) => {
            cx.set_value(0, vec![Dim::Known(*v)]);
            (Int64, Some(vec![]))
        }
        _ => match (cx.attr("value_floats"), cx.attr("value_ints"), cx.attr("value_string"), cx.attr("value_strings")) {
            (Some(Attribute::Floats(v)), ..) => (Float, known(v.len())),
            (_, Some(Attribute::Ints(v)), ..) => {
                cx.set_value(0, v.iter().map(|&x| Dim::Known(x)).collect());
                (Int64, known(v.len()))
            }
            (_, _, Some(_), _) => (String, Some(vec![])),
            (_, _, _, Some(Attribute::Strings(v))) => (String, known(v.len())),
            _ => return,
        },
    };
    cx.set_tensor(0, dtype, shape);
}

fn constant_of_shape(cx: &mut InferCtx<'_>) {
    let dtype = cx.tensor_attr_dtype("value").unwrap_or(DataType::Float);
    let shape = cx.value(0).map(<[Dim]>::to_vec).or_else(|| Some(vec![Dim::Unknown; plausible_rank(dims::known(cx.shape(0)?.first()?)?)?]));
    cx.set_tensor(0, dtype, shape);
}

fn eye_like(cx: &mut InferCtx<'_>) {
    if let Some(d) = cx.dtype_attr("dtype").or(cx.dtype(0)) {
        cx.set_tensor(0, d, known_shape(cx, 0));
    }
}

fn range(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let n = match (cx.floats(0), cx.floats(1), cx.floats(2)) {
        (Some(s), Some(l), Some(dl)) if s.len() == 1 && l.len() == 1 && dl.len() == 1 && dl[0] != 0.0 => {
            Dim::Known((((l[0] - s[0]) / dl[0]).ceil()).max(0.0) as i64)
        }
        _ => Dim::Unknown,
    };
    cx.set_tensor(0, d, Some(vec![n]));
}

/// Reshape's target from the contents of its shape input: 0 copies the input's dim
/// (unless `allowzero`), -1 takes what is left of the element count.
fn reshape(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let allow_zero = cx.int_or("allowzero", 0) != 0;
    let input = cx.shape(0);
    let target: Option<Vec<Dim>> = match (cx.value(1), cx.attr("shape")) {
        (Some(v), _) => Some(v.to_vec()),
        (None, Some(Attribute::Ints(v))) if cx.opset < 5 => Some(v.iter().map(|&x| Dim::Known(x)).collect()),
        _ => None,
    };
    let Some(target) = target else {
        let rank = cx.shape(1).and_then(|s| plausible_rank(dims::known(s.first()?)?));
        cx.set_tensor(0, d, rank.map(|r| vec![Dim::Unknown; r]));
        return;
    };
    let mut out: Vec<Dim> = target
        .iter()
        .enumerate()
        .map(|(i, t)| match t {
            Dim::Known(0) if !allow_zero => input.and_then(|s| s.get(i).cloned()).unwrap_or(Dim::Unknown),
            other => other.clone(),
        })
        .collect();
    if let Some(p) = out.iter().position(|t| *t == Dim::Known(-1)) {
        out[p] = match input {
            Some(s) => {
                let rest: Vec<Dim> = out.iter().enumerate().filter(|(i, _)| *i != p).map(|(_, d)| d.clone()).collect();
                dims::div(&dims::product(s), &dims::product(&rest))
            }
            None => Dim::Unknown,
        };
    }
    cx.set_tensor(0, d, Some(out));
    pass_value(cx);
}

/// A shape-like value keeps its contents through ops that only move them around.
fn pass_value(cx: &mut InferCtx<'_>) {
    if let Some(v) = cx.value(0) {
        cx.set_value(0, v.to_vec());
    }
}

fn identity(cx: &mut InferCtx<'_>) {
    rules::same(cx);
    pass_value(cx);
}

fn flatten(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = cx.shape(0).and_then(|s| {
        // Axis in [-r, r]: a negative one counts from the rank, not from r + 1.
        let raw = cx.int_or("axis", 1);
        let a = if raw < 0 { raw + s.len() as i64 } else { raw };
        let a = usize::try_from(a).ok().filter(|&a| a <= s.len())?;
        Some(vec![dims::product(&s[..a]), dims::product(&s[a..])])
    });
    cx.set_tensor(0, d, shape);
}

/// Squeeze/Unsqueeze axes: an attribute before opset 13, the second input after.
fn axes_arg(cx: &InferCtx<'_>) -> Option<Option<Vec<i64>>> {
    if cx.opset < 13 {
        Some(cx.ints_attr("axes"))
    } else if cx.has_input(1) {
        cx.ints(1).map(Some)
    } else {
        Some(None)
    }
}

fn squeeze(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = (|| {
        let s = cx.shape(0)?;
        let drop: Vec<usize> = match axes_arg(cx)? {
            Some(a) => axes(&a, s.len())?,
            None if s.iter().all(|d| matches!(d, Dim::Known(_))) => (0..s.len()).filter(|&i| s[i] == Dim::Known(1)).collect(),
            None => return None,
        };
        Some(s.iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, d)| d.clone()).collect())
    })();
    cx.set_tensor(0, d, shape);
    pass_value(cx);
}

fn unsqueeze(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = (|| {
        let s = cx.shape(0)?;
        let a = axes_arg(cx)??;
        let rank = s.len() + a.len();
        let add = axes(&a, rank)?;
        let mut src = s.iter();
        (0..rank).map(|i| if add.contains(&i) { Some(Dim::Known(1)) } else { src.next().cloned() }).collect()
    })();
    cx.set_tensor(0, d, shape);
    pass_value(cx);
}

fn transpose(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = cx.shape(0).and_then(|s| {
        let perm = cx.ints_attr("perm").unwrap_or_else(|| (0..s.len() as i64).rev().collect());
        perm.iter().map(|&p| s.get(usize::try_from(p).ok()?).cloned()).collect()
    });
    cx.set_tensor(0, d, shape);
}

fn expand(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = match (cx.shape(0), cx.value(1)) {
        (Some(s), Some(to)) => Some(onnxrun_core::broadcast::broadcast_dims(&[s, to])),
        _ => None,
    };
    cx.set_tensor(0, d, shape);
}

fn tile(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = match (cx.shape(0), cx.value(1)) {
        (Some(s), Some(rep)) if rep.len() == s.len() => Some(s.iter().zip(rep).map(|(a, b)| dims::mul(a, b)).collect()),
        _ => cx.rank(0).map(|r| vec![Dim::Unknown; r]),
    };
    cx.set_tensor(0, d, shape);
}

fn depth_space(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let b = Dim::Known(cx.int_or("blocksize", 1));
    let bb = dims::mul(&b, &b);
    let to_space = cx.node.op_type == "DepthToSpace";
    let shape = cx.shape(0).filter(|s| s.len() == 4).map(|s| {
        if to_space {
            vec![s[0].clone(), dims::div(&s[1], &bb), dims::mul(&s[2], &b), dims::mul(&s[3], &b)]
        } else {
            vec![s[0].clone(), dims::mul(&s[1], &bb), dims::div(&s[2], &b), dims::div(&s[3], &b)]
        }
    });
    cx.set_tensor(0, d, shape);
}

fn concat(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.first_dtype() else { return };
    let n = cx.num_inputs();
    let shape = (|| {
        let first = cx.shape(0)?;
        let a = axis(cx.int_or("axis", 0), first.len())?;
        let mut out = first.to_vec();
        for i in 1..n {
            let s = cx.shape(i)?;
            if s.len() != first.len() {
                return None;
            }
            out[a] = dims::add(&out[a], &s[a]);
            for (k, dk) in s.iter().enumerate() {
                if k != a && matches!(out[k], Dim::Unknown | Dim::Symbolic(_)) && matches!(dk, Dim::Known(_)) {
                    out[k] = dk.clone();
                }
            }
        }
        Some(out)
    })();
    cx.set_tensor(0, d, shape);
    let values: Option<Vec<&[Dim]>> = (0..n).map(|i| cx.value(i)).collect();
    if let Some(vs) = values {
        cx.set_value(0, vs.concat());
    }
}

fn split(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let n = cx.num_outputs();
    let Some(s) = cx.shape(0) else {
        for i in 0..n {
            cx.set_tensor(i, d, None);
        }
        return;
    };
    let Some(a) = axis(cx.int_or("axis", 0), s.len()) else { return };
    let sizes: Option<Vec<Dim>> = match (cx.ints_attr("split").filter(|_| cx.opset < 13), cx.has_input(1)) {
        (Some(v), _) => Some(v.into_iter().map(Dim::Known).collect()),
        (None, true) => cx.value(1).map(<[Dim]>::to_vec),
        (None, false) => match dims::known(&s[a]) {
            // Equal parts; with `num_outputs` (opset 18) the last part may be smaller.
            Some(len) if n > 0 => {
                let part = (len + n as i64 - 1) / n as i64;
                Some((0..n as i64).map(|i| Dim::Known(part.min(len - i * part).max(0))).collect())
            }
            _ => None,
        },
    };
    for i in 0..n {
        let dim = sizes.as_ref().and_then(|v| v.get(i).cloned()).unwrap_or(Dim::Unknown);
        cx.set_tensor(i, d, Some(rules::replace_axis(s, a, dim)));
    }
}

fn pad(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = (|| {
        let s = cx.shape(0)?;
        let pads = if cx.opset < 11 { cx.ints_attr("pads").or(cx.ints_attr("paddings"))? } else { cx.ints(1)? };
        let axes_list = if cx.has_input(3) { axes(&cx.ints(3)?, s.len())? } else { (0..s.len()).collect() };
        let k = axes_list.len();
        if pads.len() != 2 * k {
            return None;
        }
        let mut out = s.to_vec();
        for (j, &a) in axes_list.iter().enumerate() {
            out[a] = dims::add(&out[a], &Dim::Known(pads[j] + pads[j + k]));
        }
        Some(out)
    })();
    let shape = shape.or_else(|| cx.rank(0).map(|r| vec![Dim::Unknown; r]));
    cx.set_tensor(0, d, shape);
}

fn center_crop_pad(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = (|| {
        let s = cx.shape(0)?;
        let want = cx.value(1)?;
        let a = match cx.ints_attr("axes") {
            Some(a) => axes(&a, s.len())?,
            None => (0..s.len()).collect(),
        };
        let mut out = s.to_vec();
        for (k, &ax) in a.iter().enumerate() {
            out[ax] = want.get(k)?.clone();
        }
        Some(out)
    })();
    cx.set_tensor(0, d, shape);
}

fn slice(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let args = (|| {
        if cx.opset < 10 {
            let starts = cx.ints_attr("starts")?;
            let ends = cx.ints_attr("ends")?;
            let axes = cx.ints_attr("axes");
            Some((starts, ends, axes, None))
        } else {
            let axes = if cx.has_input(3) { Some(cx.ints(3)?) } else { None };
            let steps = if cx.has_input(4) { Some(cx.ints(4)?) } else { None };
            Some((cx.ints(1)?, cx.ints(2)?, axes, steps))
        }
    })();
    let Some(s) = cx.shape(0) else {
        cx.set_tensor(0, d, None);
        return;
    };
    let Some((starts, ends, ax, steps)) = args else {
        cx.set_tensor(0, d, Some(vec![Dim::Unknown; s.len()]));
        return;
    };
    let ax = ax.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let Some(ax) = axes(&ax, s.len()) else { return };
    let steps = steps.unwrap_or_else(|| vec![1; starts.len()]);
    if ends.len() != starts.len() || ax.len() != starts.len() || steps.len() != starts.len() {
        return;
    }
    let mut out = s.to_vec();
    for k in 0..ax.len() {
        out[ax[k]] = dims::slice_len(&s[ax[k]], starts[k], ends[k], steps[k]);
    }
    cx.set_tensor(0, d, Some(out));
    // Slicing a 1-D shape value.
    if let (Some(v), [0]) = (cx.value(0), ax.as_slice()) {
        let n = v.len() as i64;
        if let Dim::Known(len) = dims::slice_len(&Dim::Known(n), starts[0], ends[0], steps[0]) {
            let norm = |x: i64| if x < 0 { x + n } else { x };
            let step = steps[0];
            let first = if step > 0 { norm(starts[0]).clamp(0, n) } else { norm(starts[0]).clamp(-1, n - 1) };
            let picked: Vec<Dim> = (0..len).map(|i| v[(first + i * step) as usize].clone()).collect();
            cx.set_value(0, picked);
        }
    }
}
