//! Every operator the ONNX standard defines (onnx 1.23.1, tests/data/onnx_ops.txt) has a CPU
//! kernel, or is one the session rewrites into other ops before planning (Gradient): a
//! model using any of them loads without a "no provider implements it" error.

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
        if !registry.has_op(domain, op) && !registry.rewritten_ops().contains(&(domain, op)) {
            missing.push(line);
        }
    }
    assert!(total > 220, "the op list is incomplete ({total} ops)");
    assert!(missing.is_empty(), "standard ops without a CPU kernel (of {total}): {missing:?}");
}
