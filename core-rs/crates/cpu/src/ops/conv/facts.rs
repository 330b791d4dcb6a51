//! Facts of the convolutions: output spatial sizes from the window attributes (the same
//! rules the pools use, `window_dims`).

use onnxrun_core::facts::dims::{self, window_out};
use onnxrun_core::{DataType, Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts("", "Conv", OpFacts::new(conv));
    r.facts("", "DeformConv", OpFacts::new(conv));
    r.facts("", "ConvInteger", OpFacts::new(conv_integer));
    r.facts("", "QLinearConv", OpFacts::new(qlinear_conv));
    r.facts("", "ConvTranspose", OpFacts::new(conv_transpose));
}

/// Output sizes of a sliding window of `kernel` over `spatial` (auto_pad, pads, strides,
/// dilations, and ceil_mode for pools).
pub(crate) fn window_dims(cx: &InferCtx<'_>, spatial: &[Dim], kernel: &[i64]) -> Option<Vec<Dim>> {
    let nd = spatial.len();
    if kernel.len() != nd {
        return None;
    }
    let strides = cx.ints_attr("strides").unwrap_or_else(|| vec![1; nd]);
    let dil = cx.ints_attr("dilations").unwrap_or_else(|| vec![1; nd]);
    let pads = cx.ints_attr("pads").unwrap_or_else(|| vec![0; 2 * nd]);
    let ceil = cx.int_or("ceil_mode", 0) != 0;
    // Bad attributes are the kernel's to report; inference just gives up on them.
    if strides.len() != nd || dil.len() != nd || pads.len() != 2 * nd || strides.iter().any(|&s| s <= 0) {
        return None;
    }
    let auto = cx.string_attr("auto_pad").unwrap_or_else(|| "NOTSET".into());
    (0..nd)
        .map(|i| {
            Some(match auto.as_str() {
                "SAME_UPPER" | "SAME_LOWER" => match dims::known(&spatial[i]) {
                    Some(n) => Dim::Known((n + strides[i] - 1) / strides[i]),
                    None if strides[i] == 1 => spatial[i].clone(),
                    None => Dim::Unknown,
                },
                "VALID" => window_out(&spatial[i], kernel[i], strides[i], dil[i], (0, 0), ceil),
                _ => window_out(&spatial[i], kernel[i], strides[i], dil[i], (pads[i], pads[i + nd]), ceil),
            })
        })
        .collect()
}

/// [N, M, spatial…] for X at input `x` and W at input `w`.
fn conv_shape(cx: &InferCtx<'_>, x: usize, w: usize) -> Option<Vec<Dim>> {
    let xs = cx.shape(x)?;
    let ws = cx.shape(w)?;
    if xs.len() < 3 || ws.len() != xs.len() {
        return None;
    }
    let kernel: Vec<i64> = match cx.ints_attr("kernel_shape") {
        Some(k) => k,
        None => ws[2..].iter().map(dims::known).collect::<Option<_>>()?,
    };
    let mut out = vec![xs[0].clone(), ws[0].clone()];
    out.extend(window_dims(cx, &xs[2..], &kernel)?);
    Some(out)
}

fn conv(cx: &mut InferCtx<'_>) {
    if let Some(d) = cx.dtype(0) {
        cx.set_tensor(0, d, conv_shape(cx, 0, 1));
    }
}

fn conv_integer(cx: &mut InferCtx<'_>) {
    cx.set_tensor(0, DataType::Int32, conv_shape(cx, 0, 1));
}

fn qlinear_conv(cx: &mut InferCtx<'_>) {
    if let Some(d) = cx.dtype(7).or(cx.dtype(0)) {
        cx.set_tensor(0, d, conv_shape(cx, 0, 3));
    }
}

/// Out = stride·(in − 1) + output_padding + dilation·(k − 1) + 1 − pads, unless
/// `output_shape` fixes it.
fn conv_transpose(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = (|| {
        let xs = cx.shape(0)?;
        let ws = cx.shape(1)?;
        let nd = xs.len().checked_sub(2)?;
        if ws.len() != xs.len() {
            return None;
        }
        let group = cx.int_or("group", 1);
        let mut out = vec![xs[0].clone(), dims::mul(&ws[1], &Dim::Known(group))];
        if let Some(os) = cx.ints_attr("output_shape") {
            let os = &os[os.len().checked_sub(nd)?..];
            out.extend(os.iter().map(|&v| Dim::Known(v)));
            return Some(out);
        }
        let kernel: Vec<i64> = match cx.ints_attr("kernel_shape") {
            Some(k) => k,
            None => ws[2..].iter().map(dims::known).collect::<Option<_>>()?,
        };
        let strides = cx.ints_attr("strides").unwrap_or_else(|| vec![1; nd]);
        let dil = cx.ints_attr("dilations").unwrap_or_else(|| vec![1; nd]);
        let opad = cx.ints_attr("output_padding").unwrap_or_else(|| vec![0; nd]);
        let pads = cx.ints_attr("pads").unwrap_or_else(|| vec![0; 2 * nd]);
        let auto = cx.string_attr("auto_pad").unwrap_or_else(|| "NOTSET".into());
        if kernel.len() != nd || strides.len() != nd || dil.len() != nd || opad.len() != nd || pads.len() != 2 * nd {
            return None;
        }
        for i in 0..nd {
            out.push(match (dims::known(&xs[2 + i]), auto.as_str()) {
                (Some(n), "SAME_UPPER" | "SAME_LOWER") => Dim::Known(n * strides[i]),
                (Some(n), "VALID") => Dim::Known(strides[i] * (n - 1) + opad[i] + dil[i] * (kernel[i] - 1) + 1),
                (Some(n), _) => Dim::Known(strides[i] * (n - 1) + opad[i] + dil[i] * (kernel[i] - 1) + 1 - pads[i] - pads[i + nd]),
                (None, _) => Dim::Unknown,
            });
        }
        Some(out)
    })();
    cx.set_tensor(0, d, shape);
}
