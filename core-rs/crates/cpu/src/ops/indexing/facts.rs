//! Facts of the indexing ops. Gather also picks from shape-like values (`Shape → Gather`).

use onnxrun_core::facts::dims::{self, axis};
use onnxrun_core::facts::rules;
use onnxrun_core::{DataType, Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts("", "Gather", OpFacts::new(gather));
    r.facts("", "GatherElements", OpFacts::new(gather_elements));
    r.facts("", "GatherND", OpFacts::new(gather_nd));
    r.facts_all("", &["Scatter", "ScatterElements", "ScatterND", "TensorScatter", "CumSum", "CumProd", "ReverseSequence"], OpFacts::new(rules::same));
    r.facts("", "Compress", OpFacts::new(compress));
    r.facts("", "NonZero", OpFacts::new(non_zero));
    r.facts("", "OneHot", OpFacts::new(one_hot).host_inputs(&[1]));
    r.facts("", "TopK", OpFacts::new(top_k).host_inputs(&[1]));
    r.facts("", "Unique", OpFacts::new(unique));
}

fn gather(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = (|| {
        let data = cx.shape(0)?;
        let idx = cx.shape(1)?;
        let a = axis(cx.int_or("axis", 0), data.len())?;
        Some([&data[..a], idx, &data[a + 1..]].concat())
    })();
    cx.set_tensor(0, d, shape);
    if let (Some(v), Some(idx), Some(0)) = (cx.value(0), cx.ints(1), axis(cx.int_or("axis", 0), 1)) {
        let n = v.len() as i64;
        let picked: Option<Vec<Dim>> = idx.iter().map(|&i| v.get(usize::try_from(if i < 0 { i + n } else { i }).ok()?).cloned()).collect();
        if let Some(p) = picked {
            cx.set_value(0, p);
        }
    }
}

fn gather_elements(cx: &mut InferCtx<'_>) {
    if let Some(d) = cx.dtype(0) {
        cx.set_tensor(0, d, cx.shape(1).map(<[Dim]>::to_vec));
    }
}

fn gather_nd(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = (|| {
        let data = cx.shape(0)?;
        let idx = cx.shape(1)?;
        let b = cx.int_or("batch_dims", 0) as usize;
        let last = dims::known(idx.last()?)? as usize;
        Some([&idx[..idx.len() - 1], data.get(b + last..)?].concat())
    })();
    cx.set_tensor(0, d, shape);
}

fn compress(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = match (cx.shape(0), cx.int_attr("axis")) {
        (Some(s), Some(a)) => axis(a, s.len()).map(|a| rules::replace_axis(s, a, Dim::Unknown)),
        (_, None) => Some(vec![Dim::Unknown]),
        _ => None,
    };
    cx.set_tensor(0, d, shape);
}

fn non_zero(cx: &mut InferCtx<'_>) {
    let rank = cx.rank(0).map(|r| Dim::Known(r as i64)).unwrap_or(Dim::Unknown);
    cx.set_tensor(0, DataType::Int64, Some(vec![rank, Dim::Unknown]));
}

fn one_hot(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(2) else { return };
    let shape = (|| {
        let s = cx.shape(0)?;
        let depth = cx.floats(1).and_then(|v| v.first().map(|&x| Dim::Known(x as i64))).unwrap_or(Dim::Unknown);
        let a = axis(cx.int_or("axis", -1), s.len() + 1)?;
        let mut out = s.to_vec();
        out.insert(a, depth);
        Some(out)
    })();
    cx.set_tensor(0, d, shape);
}

fn top_k(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = cx.shape(0).and_then(|s| {
        let a = axis(cx.int_or("axis", -1), s.len())?;
        let k = if cx.opset < 10 { cx.int_attr("k").map(Dim::Known) } else { cx.value(1).and_then(|v| v.first().cloned()) };
        Some(rules::replace_axis(s, a, k.unwrap_or(Dim::Unknown)))
    });
    cx.set_tensor(0, d, shape.clone());
    cx.set_tensor(1, DataType::Int64, shape);
}

fn unique(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    cx.set_tensor(0, d, None);
    for i in 1..4 {
        cx.set_tensor(i, DataType::Int64, Some(vec![Dim::Unknown]));
    }
}
