//! Indexing kernels: string data, reductions, tie order, and out-of-range indices (errors
//! naming the node, never out-of-bounds reads).

mod common;
use common::*;
use onnxrun_core::{Attribute, ErrorCode, Tensor, Value};

fn strs(shape: &[usize], v: &[&str]) -> Tensor {
    Tensor::from_strings(shape.to_vec(), v.iter().map(|s| s.to_string()).collect()).unwrap()
}
fn out_strs(v: &Value) -> Vec<String> {
    v.as_tensor().unwrap().strings().unwrap().to_vec()
}
fn out_i64(v: &Value) -> Vec<i64> {
    v.as_tensor().unwrap().data::<i64>().unwrap().to_vec()
}
fn invalid(r: onnxrun_core::Result<Vec<Value>>) {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => {
            assert_eq!(e.code, ErrorCode::InvalidArgument, "{}", e.message);
            assert!(e.message.contains("test_"), "error does not name the node: {}", e.message);
        }
    }
}

#[test]
fn gather_strings_negative_and_out_of_range() {
    let x = strs(&[3], &["a", "b", "c"]);
    let out = OpTest::new("Gather", 13).input(x.clone()).input(i64s(&[2, 2], &[2, -3, 1, -1])).run().unwrap();
    assert_eq!(out_strs(&out[0]), ["c", "a", "b", "c"]);
    invalid(OpTest::new("Gather", 13).input(x.clone()).input(i64s(&[1], &[3])).run());
    invalid(OpTest::new("Gather", 13).input(x).input(i64s(&[1], &[-4])).run());
    // axis 1, int32 indices
    let y = f32s(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let idx = Tensor::from_vec(vec![2], vec![2i32, 0]).unwrap();
    let out = OpTest::new("Gather", 13).attr("axis", Attribute::Int(1)).input(y).input(idx).run().unwrap();
    assert_close(&out[0], &[3., 1., 6., 4.], 0.0);
}

#[test]
fn gather_elements_and_nd_errors() {
    let x = f32s(&[2, 2], &[1., 2., 3., 4.]);
    let out = OpTest::new("GatherElements", 13).attr("axis", Attribute::Int(1)).input(x.clone()).input(i64s(&[2, 2], &[0, 0, 1, 0])).run().unwrap();
    assert_close(&out[0], &[1., 1., 4., 3.], 0.0);
    invalid(OpTest::new("GatherElements", 13).input(x.clone()).input(i64s(&[1, 1], &[2])).run());
    let out = OpTest::new("GatherND", 13).input(x.clone()).input(i64s(&[2, 2], &[1, 1, 0, 1])).run().unwrap();
    assert_close(&out[0], &[4., 2.], 0.0);
    invalid(OpTest::new("GatherND", 13).input(x.clone()).input(i64s(&[1, 2], &[0, 2])).run());
    invalid(OpTest::new("GatherND", 13).input(x).input(i64s(&[1, 3], &[0, 0, 0])).run());
}

#[test]
fn scatter_reductions_and_errors() {
    let x = f32s(&[1, 5], &[1., 2., 3., 4., 5.]);
    let idx = i64s(&[1, 2], &[1, 1]);
    let upd = f32s(&[1, 2], &[10., 20.]);
    let run = |red: &str| {
        OpTest::new("ScatterElements", 18)
            .attr("axis", Attribute::Int(1))
            .attr("reduction", Attribute::String(red.as_bytes().to_vec()))
            .input(x.clone())
            .input(idx.clone())
            .input(upd.clone())
            .run()
            .unwrap()
    };
    assert_close(&run("none")[0], &[1., 20., 3., 4., 5.], 0.0);
    assert_close(&run("add")[0], &[1., 32., 3., 4., 5.], 0.0);
    assert_close(&run("mul")[0], &[1., 400., 3., 4., 5.], 0.0);
    assert_close(&run("max")[0], &[1., 20., 3., 4., 5.], 0.0);
    assert_close(&run("min")[0], &[1., 2., 3., 4., 5.], 0.0);
    invalid(OpTest::new("ScatterElements", 18).attr("axis", Attribute::Int(1)).input(x.clone()).input(i64s(&[1, 1], &[5])).input(f32s(&[1, 1], &[0.])).run());
    // ScatterND on strings
    let s = strs(&[3], &["a", "b", "c"]);
    let out = OpTest::new("ScatterND", 13).input(s.clone()).input(i64s(&[1, 1], &[-1])).input(strs(&[1], &["z"])).run().unwrap();
    assert_eq!(out_strs(&out[0]), ["a", "b", "z"]);
    invalid(OpTest::new("ScatterND", 13).input(s).input(i64s(&[1, 1], &[3])).input(strs(&[1], &["z"])).run());
}

#[test]
fn tensor_scatter_linear_and_circular() {
    // past [1, 4, 1] (batch, seq, dim), update [1, 2, 1], axis 1
    let past = f32s(&[1, 4, 1], &[0., 0., 0., 0.]);
    let upd = f32s(&[1, 2, 1], &[7., 8.]);
    let out = OpTest::new("TensorScatter", 24)
        .attr("axis", Attribute::Int(1))
        .attr("mode", Attribute::String(b"circular".to_vec()))
        .input(past.clone())
        .input(upd.clone())
        .input(i64s(&[1], &[3]))
        .run()
        .unwrap();
    assert_close(&out[0], &[8., 0., 0., 7.], 0.0);
    invalid(OpTest::new("TensorScatter", 24).attr("axis", Attribute::Int(1)).input(past).input(upd).input(i64s(&[1], &[3])).run());
}

#[test]
fn topk_ties_keep_lower_index_first() {
    let x = f32s(&[6], &[3., 1., 3., 2., 3., f32::NAN]);
    let out = OpTest::new("TopK", 11).input(x.clone()).input(i64s(&[1], &[3])).outputs(2).run().unwrap();
    assert_eq!(out_i64(&out[1]), [5, 0, 2]);
    let out = OpTest::new("TopK", 11).attr("largest", Attribute::Int(0)).input(x.clone()).input(i64s(&[1], &[2])).outputs(2).run().unwrap();
    assert_close(&out[0], &[1., 2.], 0.0);
    assert_eq!(out_i64(&out[1]), [1, 3]);
    invalid(OpTest::new("TopK", 11).input(x).input(i64s(&[1], &[7])).outputs(2).run());
}

#[test]
fn unique_strings_unsorted() {
    let x = strs(&[5], &["b", "a", "b", "c", "a"]);
    let out = OpTest::new("Unique", 11).attr("sorted", Attribute::Int(0)).input(x.clone()).outputs(4).run().unwrap();
    assert_eq!(out_strs(&out[0]), ["b", "a", "c"]);
    assert_eq!(out_i64(&out[1]), [0, 1, 3]);
    assert_eq!(out_i64(&out[2]), [0, 1, 0, 2, 1]);
    assert_eq!(out_i64(&out[3]), [2, 2, 1]);
    let out = OpTest::new("Unique", 11).input(x).outputs(4).run().unwrap();
    assert_eq!(out_strs(&out[0]), ["a", "b", "c"]);
    assert_eq!(out_i64(&out[1]), [1, 0, 3]);
    assert_eq!(out_i64(&out[2]), [1, 0, 1, 2, 0]);
}

#[test]
fn onehot_nonzero_compress() {
    let out = OpTest::new("OneHot", 11)
        .input(i64s(&[3], &[0, -1, 5]))
        .input(Tensor::scalar(3i64))
        .input(f32s(&[2], &[0., 1.]))
        .run()
        .unwrap();
    assert_close(&out[0], &[1., 0., 0., 0., 0., 1., 0., 0., 0.], 0.0);
    let out = OpTest::new("NonZero", 13).input(f32s(&[2, 2], &[0., -0., 1., 2.])).run().unwrap();
    assert_eq!(out_i64(&out[0]), [1, 1, 0, 1]);
    let c = Tensor::from_vec(vec![3], vec![false, true, true]).unwrap();
    let out = OpTest::new("Compress", 11).attr("axis", Attribute::Int(0)).input(strs(&[3], &["a", "b", "c"])).input(c).run().unwrap();
    assert_eq!(out_strs(&out[0]), ["b", "c"]);
    let c = Tensor::from_vec(vec![4], vec![false, true, true, true]).unwrap();
    invalid(OpTest::new("Compress", 11).attr("axis", Attribute::Int(0)).input(strs(&[3], &["a", "b", "c"])).input(c).run());
}

#[test]
fn cumsum_int_wraps_and_reverse_exclusive() {
    let x = Tensor::from_vec(vec![3], vec![1i32, 2, 3]).unwrap();
    let out = OpTest::new("CumSum", 14)
        .attr("reverse", Attribute::Int(1))
        .attr("exclusive", Attribute::Int(1))
        .input(x)
        .input(Tensor::scalar(0i64))
        .run()
        .unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<i32>().unwrap(), [5, 3, 0]);
    let x = Tensor::from_vec(vec![2], vec![i32::MAX, 1]).unwrap();
    let out = OpTest::new("CumSum", 14).input(x).input(Tensor::scalar(0i64)).run().unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<i32>().unwrap(), [i32::MAX, i32::MIN]);
}

#[test]
fn reverse_sequence_checks_lengths() {
    let x = f32s(&[3, 2], &[1., 2., 3., 4., 5., 6.]);
    let out = OpTest::new("ReverseSequence", 10).input(x.clone()).input(i64s(&[2], &[3, 2])).run().unwrap();
    assert_close(&out[0], &[5., 4., 3., 2., 1., 6.], 0.0);
    invalid(OpTest::new("ReverseSequence", 10).input(x).input(i64s(&[2], &[4, 1])).run());
}

#[test]
fn extreme_values_give_results_or_errors_never_panics() {
    let x = f32s(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let ext = [i64::MIN, -7, -1, 0, 1, 2, 7, i64::MAX];
    for &a in &ext {
        for &b in &ext {
            let idx = i64s(&[1, 2], &[a, b]);
            let _ = OpTest::new("GatherElements", 13).attr("axis", Attribute::Int(b)).input(x.clone()).input(idx.clone()).run();
            let _ = OpTest::new("GatherND", 13).attr("batch_dims", Attribute::Int(a.clamp(-1, 3))).input(x.clone()).input(idx.clone()).run();
            let _ = OpTest::new("ScatterND", 13).input(x.clone()).input(idx.clone()).input(Tensor::scalar(1f32)).run();
            let _ = OpTest::new("ScatterElements", 13).attr("axis", Attribute::Int(a)).input(x.clone()).input(idx.clone()).input(f32s(&[1, 2], &[0., 0.])).run();
            let _ = OpTest::new("TensorScatter", 24).attr("axis", Attribute::Int(a)).input(x.clone()).input(f32s(&[2, 1], &[0., 0.])).input(i64s(&[2], &[a, b])).run();
            let _ = OpTest::new("ReverseSequence", 10).input(x.clone()).input(i64s(&[3], &[a, b, 1])).run();
        }
        let _ = OpTest::new("CumSum", 14).input(x.clone()).input(Tensor::scalar(a)).run();
        let _ = OpTest::new("TopK", 11).attr("axis", Attribute::Int(a)).input(x.clone()).input(i64s(&[1], &[1])).outputs(2).run();
        let _ = OpTest::new("Unique", 11).attr("axis", Attribute::Int(a)).input(x.clone()).outputs(4).run();
        let _ = OpTest::new("Compress", 11).attr("axis", Attribute::Int(a)).input(x.clone()).input(Tensor::from_vec(vec![2], vec![true, true]).unwrap()).run();
        let _ = OpTest::new("OneHot", 11).attr("axis", Attribute::Int(a)).input(i64s(&[2], &[a, 1])).input(Tensor::scalar(3i64)).input(f32s(&[2], &[0., 1.])).run();
    }
}
