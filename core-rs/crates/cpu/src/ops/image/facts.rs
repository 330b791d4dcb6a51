//! Facts of the image ops: Resize and Upsample size the output from `sizes` or `scales`.

use onnxrun_core::facts::dims;
use onnxrun_core::facts::rules;
use onnxrun_core::{DataType, Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts("", "Resize", OpFacts::new(resize).host_inputs(&[1, 2, 3]));
    r.facts("", "Upsample", OpFacts::new(upsample).host_inputs(&[1]));
    r.facts("", "GridSample", OpFacts::new(grid_sample));
    r.facts("", "AffineGrid", OpFacts::new(affine_grid).host_inputs(&[1]));
    r.facts("", "Col2Im", OpFacts::new(rules::first_dtype).host_inputs(&[1, 2]));
    r.facts("", "ImageDecoder", OpFacts::new(|cx| cx.set_tensor(0, DataType::Uint8, Some(vec![Dim::Unknown; 3]))));
}

/// `shape` scaled per axis (rounded down), or set from `sizes`, over `axes`.
fn scaled(shape: &[Dim], axes: &[usize], scales: Option<&[f64]>, sizes: Option<&[Dim]>) -> Option<Vec<Dim>> {
    let mut out = shape.to_vec();
    for (k, &a) in axes.iter().enumerate() {
        out[a] = match (sizes, scales) {
            (Some(s), _) => s.get(k)?.clone(),
            (None, Some(f)) => match dims::known(&shape[a]) {
                Some(n) => Dim::Known((n as f64 * f.get(k)?).floor() as i64),
                None if *f.get(k)? == 1.0 => shape[a].clone(),
                None => Dim::Unknown,
            },
            _ => return None,
        };
    }
    Some(out)
}

fn resize(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = cx.shape(0).and_then(|s| {
        let policy = cx.string_attr("keep_aspect_ratio_policy").unwrap_or_else(|| "stretch".into());
        let axes: Vec<usize> = match cx.ints_attr("axes") {
            Some(a) => rules::axes(&a, s.len())?,
            None => (0..s.len()).collect(),
        };
        let (scales_at, sizes_at) = if cx.opset < 11 { (1, usize::MAX) } else { (2, 3) };
        let sizes = cx.value(sizes_at).filter(|v| !v.is_empty() && cx.has_input(sizes_at));
        let scales = cx.floats(scales_at).filter(|v| !v.is_empty());
        if sizes.is_some() && policy != "stretch" {
            return Some(vec![Dim::Unknown; s.len()]);
        }
        scaled(s, &axes, scales.as_deref(), sizes).or_else(|| Some(vec![Dim::Unknown; s.len()]))
    });
    cx.set_tensor(0, d, shape);
}

fn upsample(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = cx.shape(0).and_then(|s| {
        let scales: Vec<f64> = match cx.attr("scales") {
            Some(onnxrun_core::Attribute::Floats(f)) => f.iter().map(|&x| x as f64).collect(),
            _ => cx.floats(1)?,
        };
        scaled(s, &(0..s.len()).collect::<Vec<_>>(), Some(&scales), None)
    });
    cx.set_tensor(0, d, shape);
}

fn grid_sample(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = match (cx.shape(0), cx.shape(1)) {
        (Some(x), Some(g)) if x.len() >= 3 && g.len() == x.len() => {
            let mut out = x[..2].to_vec();
            out.extend(g[1..g.len() - 1].iter().cloned());
            Some(out)
        }
        _ => None,
    };
    cx.set_tensor(0, d, shape);
}

/// [N, H, W, 2] (or [N, D, H, W, 3]) from the `size` input [N, C, H, W(, D)].
fn affine_grid(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = cx.value(1).filter(|v| v.len() >= 3).map(|v| {
        let mut out = vec![v[0].clone()];
        out.extend(v[2..].iter().cloned());
        out.push(Dim::Known(v.len() as i64 - 2));
        out
    });
    cx.set_tensor(0, d, shape);
}
