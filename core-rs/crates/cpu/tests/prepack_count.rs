//! Once a session is created, steady-state runs of a model whose MatMul/Gemm weights are
//! initializers pack no B operand; the same model with the weights fed packs them each
//! run. The packing counter is process-wide, so this binary holds this one test only.

mod math_support;
mod prepack_support;
use onnxrun_core::Attribute;
use onnxrun_linalg::b_pack_count;
use prepack_support::*;

/// B packings in one run after a warm-up run, for weights constant or fed.
fn packs_per_run(constant: bool) -> u64 {
    let weight = |shape: &[usize], seed| Operand { value: f32_tensor(shape, seed), constant };
    let nodes = vec![
        ("MatMul", vec![], vec!["x", "w1"], "h"),
        ("Gemm", vec![("transB", Attribute::Int(1))], vec!["h", "w2", "bias"], "y"),
    ];
    let operands = vec![
        ("x", Operand { value: f32_tensor(&[32, 64], 1), constant: false }),
        ("w1", weight(&[64, 48], 2)),
        ("w2", weight(&[40, 48], 3)),
        ("bias", weight(&[40], 4)),
    ];
    let (sess, feeds) = session(nodes, operands, "y", 2);
    run(&sess, &feeds);
    let before = b_pack_count();
    run(&sess, &feeds);
    b_pack_count() - before
}

#[test]
fn constant_weights_are_not_packed_per_run() {
    let created = b_pack_count();
    assert_eq!(packs_per_run(true), 0, "steady-state run with initializer weights packed B");
    assert!(b_pack_count() - created >= 2, "session creation should have packed both weights");
    assert_eq!(packs_per_run(false), 2, "fed weights should be packed once per product");
}
