//! Facts of the signal ops: windows are [size] of `output_datatype`, the mel matrix is
//! [dft_length/2 + 1, num_mel_bins].

use onnxrun_core::facts::dims;
use onnxrun_core::facts::rules;
use onnxrun_core::{DataType, Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts("", "DFT", OpFacts::new(rules::first_dtype).host_inputs(&[1, 2]));
    r.facts("", "STFT", OpFacts::new(rules::first_dtype).host_inputs(&[1, 3]));
    r.facts_all("", &["HannWindow", "HammingWindow", "BlackmanWindow"], OpFacts::new(window).host_inputs(&[0]));
    r.facts("", "MelWeightMatrix", OpFacts::new(mel).host_inputs(&[0, 1, 2, 3, 4]));
}

fn out_dtype(cx: &InferCtx<'_>) -> DataType {
    cx.dtype_attr("output_datatype").unwrap_or(DataType::Float)
}

fn window(cx: &mut InferCtx<'_>) {
    let n = cx.value(0).and_then(|v| v.first().cloned()).unwrap_or(Dim::Unknown);
    cx.set_tensor(0, out_dtype(cx), Some(vec![n]));
}

fn mel(cx: &mut InferCtx<'_>) {
    let bins = cx.value(0).and_then(|v| v.first().cloned()).unwrap_or(Dim::Unknown);
    let dft = cx.value(1).and_then(|v| v.first().cloned()).unwrap_or(Dim::Unknown);
    let rows = dims::known(&dft).map(|n| Dim::Known(n / 2 + 1)).unwrap_or(Dim::Unknown);
    cx.set_tensor(0, out_dtype(cx), Some(vec![rows, bins]));
}
