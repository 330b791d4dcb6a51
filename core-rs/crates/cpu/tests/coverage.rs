//! Every operator the ONNX standard defines (onnx 1.23.1, tests/data/onnx_ops.txt) has a CPU
//! kernel: a model using any of them loads without a "no provider implements it" error.
//! `OWED` names the ones still to write; the test fails if any other op is missing, and
//! also once an owed op gains a kernel, so the list cannot go stale.

/// Standard ops with no CPU kernel yet (no node test covers either).
const OWED: &[&str] = &["ai.onnx MaxRoiPool", "ai.onnx.preview.training Gradient"];

use onnxrun_core::ExecutionProvider;
use onnxrun_cpu::CpuProvider;

#[test]
fn every_standard_op_has_a_cpu_kernel() {
    let list = include_str!("data/onnx_ops.txt");
    let provider = CpuProvider::new(1);
    let registry = provider.registry();
    let mut missing = vec![];
    let mut total = 0;
    for line in list.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (domain, op) = line.split_once(' ').expect("`domain op` lines");
        let domain = if domain == "ai.onnx" { "" } else { domain };
        total += 1;
        if !registry.has_op(domain, op) {
            missing.push(line);
        }
    }
    assert!(total > 220, "the op list is incomplete ({total} ops)");
    assert_eq!(missing, OWED, "standard ops without a CPU kernel (of {total}) differ from the owed list");
}
