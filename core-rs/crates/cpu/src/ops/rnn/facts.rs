//! Facts of RNN, GRU and LSTM: Y is [seq, directions, batch, hidden] (layout 0) or
//! [batch, seq, directions, hidden] (layout 1); the final states drop the sequence axis.

use onnxrun_core::{Dim, InferCtx, KernelRegistry, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.facts_all("", &["RNN", "GRU", "LSTM"], OpFacts::new(recurrent).host_inputs(&[4]));
}

fn recurrent(cx: &mut InferCtx<'_>) {
    let Some(d) = cx.dtype(0) else { return };
    let dirs = Dim::Known(if cx.string_attr("direction").as_deref() == Some("bidirectional") { 2 } else { 1 });
    let hidden = cx.int_attr("hidden_size").map(Dim::Known).unwrap_or(Dim::Unknown);
    let batch_first = cx.int_or("layout", 0) != 0;
    let (y, state) = match cx.shape(0) {
        Some([a, b, _]) => {
            let (seq, batch) = if batch_first { (b, a) } else { (a, b) };
            let y = if batch_first {
                vec![batch.clone(), seq.clone(), dirs.clone(), hidden.clone()]
            } else {
                vec![seq.clone(), dirs.clone(), batch.clone(), hidden.clone()]
            };
            let state = if batch_first { vec![batch.clone(), dirs, hidden] } else { vec![dirs, batch.clone(), hidden] };
            (Some(y), Some(state))
        }
        _ => (None, None),
    };
    cx.set_tensor(0, d, y);
    for i in 1..cx.num_outputs() {
        cx.set_tensor(i, d, state.clone());
    }
}
