//! A two-layer MLP built in the IR, run on [WebGPU, CPU] and on [CPU] alone:
//! X[8,64] → MatMul W1[64,128] → Add b1 → Relu → Gemm(W2[128,10], b2) → Sigmoid.

mod common;

use common::*;
use onnxrun_core::{Attribute, Tensor};

#[test]
fn mlp_matches_cpu_and_runs_on_webgpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(0x5EED_0001);
    let x = rng.tensor(&[8, 64], -1.0, 1.0);
    let w1 = rng.tensor(&[64, 128], -0.25, 0.25);
    let b1 = rng.tensor(&[128], -0.1, 0.1);
    let w2 = rng.tensor(&[128, 10], -0.25, 0.25);
    let b2 = rng.tensor(&[10], -0.1, 0.1);
    let make = || {
        model(
            vec![
                node("MatMul", &["X", "W1"], &["h1"], vec![]),
                node("Add", &["h1", "b1"], &["h2"], vec![]),
                node("Relu", &["h2"], &["h3"], vec![]),
                node("Gemm", &["h3", "W2", "b2"], &["h4"], vec![("transB", Attribute::Int(0))]),
                node("Sigmoid", &["h4"], &["Y"], vec![]),
            ],
            &[("X", &x)],
            &[("W1", &w1), ("b1", &b1), ("W2", &w2), ("b2", &b2)],
            &["Y"],
        )
    };
    eprintln!("adapter: {}", gpu.adapter());
    let ops = ["MatMul", "Add", "Relu", "Gemm", "Sigmoid"];
    let max = check_vs_cpu(&gpu, make, &[&x], 1, &ops, 1e-4);
    eprintln!("MLP max abs difference vs CPU: {max:e}");

    // A second session and repeated runs reuse pooled buffers and cached pipelines.
    let (want, _) = run(make(), vec![cpu()], &[&x], 1);
    let sess_outs: Vec<Tensor> = (0..3).map(|_| run(make(), vec![gpu.clone(), cpu()], &[&x], 1).0.remove(0)).collect();
    for (i, got) in sess_outs.iter().enumerate() {
        compare(got, &want[0], 1e-4, &format!("repeat {i}"));
    }
    // The outputs are real activations, not a constant.
    let y = want[0].data::<f32>().unwrap();
    assert!(y.iter().all(|v| *v > 0.0 && *v < 1.0));
    assert!(y.iter().any(|v| (v - y[0]).abs() > 1e-3));
}
