//! Facts of the pools: windowed pools size their output like a convolution
//! (`conv::facts::window_dims`), global pools keep one value per channel.

use crate::ops::conv::facts::window_dims;
use onnxrun_core::facts::dims;
use onnxrun_core::{DataType, Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts_all("", &["MaxPool", "AveragePool", "LpPool"], OpFacts::new(pool));
    r.facts_all("", &["GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"], OpFacts::new(global));
    r.facts("", "MaxUnpool", OpFacts::new(unpool).host_inputs(&[2]));
}

fn pool(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = (|| {
        let xs = cx.shape(0)?;
        let kernel = cx.ints_attr("kernel_shape")?;
        let mut out = xs.get(..2)?.to_vec();
        out.extend(window_dims(cx, &xs[2..], &kernel)?);
        Some(out)
    })();
    cx.set_tensor(0, d, shape.clone());
    cx.set_tensor(1, DataType::Int64, shape);
}

fn global(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = cx.shape(0).filter(|s| s.len() >= 2).map(|s| {
        let mut out = s[..2].to_vec();
        out.extend(std::iter::repeat_n(Dim::Known(1), s.len() - 2));
        out
    });
    cx.set_tensor(0, d, shape);
}

fn unpool(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let shape = cx.value(2).map(<[Dim]>::to_vec).or_else(|| {
        let xs = cx.shape(0)?;
        let k = cx.ints_attr("kernel_shape")?;
        let nd = xs.len().checked_sub(2)?;
        let strides = cx.ints_attr("strides").unwrap_or_else(|| vec![1; nd]);
        let pads = cx.ints_attr("pads").unwrap_or_else(|| vec![0; 2 * nd]);
        if k.len() != nd || strides.len() != nd || pads.len() != 2 * nd {
            return None;
        }
        let mut out = xs[..2].to_vec();
        for i in 0..nd {
            out.push(match dims::known(&xs[2 + i]) {
                Some(n) => Dim::Known((n - 1) * strides[i] + k[i] - pads[i] - pads[i + nd]),
                None => Dim::Unknown,
            });
        }
        Some(out)
    });
    cx.set_tensor(0, d, shape);
}
