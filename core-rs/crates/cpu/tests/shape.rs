//! Shape/layout kernels: values the conformance suite does not cover (strings, odd dtypes,
//! large transposes against a naive reference) and bad input (errors, not panics).

mod common;
use common::*;
use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, DataType, ErrorCode, Tensor, Value};

fn strs(shape: &[usize], v: &[&str]) -> Tensor {
    Tensor::from_strings(shape.to_vec(), v.iter().map(|s| s.to_string()).collect()).unwrap()
}
fn out_strs(v: &Value) -> Vec<String> {
    v.as_tensor().unwrap().strings().unwrap().to_vec()
}
fn out_i64(v: &Value) -> Vec<i64> {
    v.as_tensor().unwrap().data::<i64>().unwrap().to_vec()
}
fn shape_of(v: &Value) -> Vec<usize> {
    v.as_tensor().unwrap().shape().to_vec()
}

#[test]
fn reshape_infers_and_copies_dims() {
    let x = f32s(&[2, 3, 4], &(0..24).map(|v| v as f32).collect::<Vec<_>>());
    let out = OpTest::new("Reshape", 14).input(x.clone()).input(i64s(&[3], &[0, -1, 2])).run().unwrap();
    assert_eq!(shape_of(&out[0]), vec![2, 6, 2]);
    assert_close(&out[0], &(0..24).map(|v| v as f32).collect::<Vec<_>>(), 0.0);
    // allowzero: 0 means an empty dim
    let e = Tensor::from_vec(vec![0, 3], Vec::<f32>::new()).unwrap();
    let out = OpTest::new("Reshape", 14).attr("allowzero", Attribute::Int(1)).input(e).input(i64s(&[2], &[3, 0])).run().unwrap();
    assert_eq!(shape_of(&out[0]), vec![3, 0]);
    // bad reshapes
    assert_eq!(code(OpTest::new("Reshape", 14).input(x.clone()).input(i64s(&[2], &[5, -1])).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(OpTest::new("Reshape", 14).input(x.clone()).input(i64s(&[2], &[-1, -1])).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(OpTest::new("Reshape", 14).input(x.clone()).input(i64s(&[2], &[-2, 12])).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(OpTest::new("Reshape", 14).input(x).input(i64s(&[4], &[0, 0, 0, 0])).run()), ErrorCode::InvalidArgument);
}

#[test]
fn transpose_strings_and_f16() {
    let x = strs(&[2, 3], &["a", "b", "c", "d", "e", "f"]);
    let out = OpTest::new("Transpose", 13).input(x).run().unwrap();
    assert_eq!(shape_of(&out[0]), vec![3, 2]);
    assert_eq!(out_strs(&out[0]), ["a", "d", "b", "e", "c", "f"]);
    let h: Vec<f16> = (0..6).map(|v| f16::from_f32(v as f32)).collect();
    let x = Tensor::from_vec(vec![1, 2, 3], h).unwrap();
    let out = OpTest::new("Transpose", 13).attr("perm", Attribute::Ints(vec![2, 0, 1])).input(x).run().unwrap();
    let y: Vec<f32> = out[0].as_tensor().unwrap().data::<f16>().unwrap().iter().map(|v| v.to_f32()).collect();
    assert_eq!(y, [0., 3., 1., 4., 2., 5.]);
    let bad = f32s(&[2, 3], &[0.; 6]);
    assert_eq!(code(OpTest::new("Transpose", 13).attr("perm", Attribute::Ints(vec![0, 0])).input(bad).run()), ErrorCode::InvalidArgument);
}

#[test]
fn transpose_large_matches_naive() {
    // Big enough for the tiled path with ragged tiles.
    let (a, b, c) = (3usize, 37usize, 53usize);
    let x: Vec<i64> = (0..(a * b * c) as i64).collect();
    let t = Tensor::from_vec(vec![a, b, c], x.clone()).unwrap();
    for perm in [[0usize, 2, 1], [2, 1, 0], [1, 0, 2], [2, 0, 1], [1, 2, 0]] {
        let out = OpTest::new("Transpose", 13).attr("perm", Attribute::Ints(perm.iter().map(|&p| p as i64).collect())).input(t.clone()).run().unwrap();
        let dims = [a, b, c];
        let os: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
        let y = out_i64(&out[0]);
        let mut k = 0;
        for i in 0..os[0] {
            for j in 0..os[1] {
                for l in 0..os[2] {
                    let mut src = [0usize; 3];
                    src[perm[0]] = i;
                    src[perm[1]] = j;
                    src[perm[2]] = l;
                    assert_eq!(y[k], ((src[0] * b + src[1]) * c + src[2]) as i64, "perm {perm:?}");
                    k += 1;
                }
            }
        }
    }
}

#[test]
fn concat_strings_and_mismatch() {
    let out = OpTest::new("Concat", 13)
        .attr("axis", Attribute::Int(-1))
        .input(strs(&[2, 1], &["a", "b"]))
        .input(strs(&[2, 2], &["c", "d", "e", "f"]))
        .run()
        .unwrap();
    assert_eq!(out_strs(&out[0]), ["a", "c", "d", "b", "e", "f"]);
    let r = OpTest::new("Concat", 13).attr("axis", Attribute::Int(0)).input(f32s(&[1, 2], &[1., 2.])).input(f32s(&[1, 3], &[1., 2., 3.])).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
}

#[test]
fn constant_forms() {
    let out = OpTest::new("Constant", 13).attr("value_ints", Attribute::Ints(vec![4, 5])).run().unwrap();
    assert_eq!(out_i64(&out[0]), [4, 5]);
    let out = OpTest::new("Constant", 13).attr("value_string", Attribute::String(b"hi".to_vec())).run().unwrap();
    assert_eq!(out_strs(&out[0]), ["hi"]);
    assert!(shape_of(&out[0]).is_empty());
    let out = OpTest::new("Constant", 13).attr("value_float", Attribute::Float(2.5)).run().unwrap();
    assert_close(&out[0], &[2.5], 0.0);
}

#[test]
fn squeeze_unsqueeze_flatten() {
    let x = f32s(&[1, 3, 1], &[1., 2., 3.]);
    let out = OpTest::new("Squeeze", 13).input(x.clone()).run().unwrap();
    assert_eq!(shape_of(&out[0]), vec![3]);
    let out = OpTest::new("Squeeze", 11).attr("axes", Attribute::Ints(vec![-1])).input(x.clone()).run().unwrap();
    assert_eq!(shape_of(&out[0]), vec![1, 3]);
    assert_eq!(code(OpTest::new("Squeeze", 13).input(x.clone()).input(i64s(&[1], &[1])).run()), ErrorCode::InvalidArgument);
    let out = OpTest::new("Unsqueeze", 13).input(x.clone()).input(i64s(&[2], &[0, -1])).run().unwrap();
    assert_eq!(shape_of(&out[0]), vec![1, 1, 3, 1, 1]);
    let out = OpTest::new("Unsqueeze", 11).attr("axes", Attribute::Ints(vec![1])).input(x.clone()).run().unwrap();
    assert_eq!(shape_of(&out[0]), vec![1, 1, 3, 1]);
    assert_eq!(code(OpTest::new("Unsqueeze", 13).input(x.clone()).input(i64s(&[2], &[1, 1])).run()), ErrorCode::InvalidArgument);
    let out = OpTest::new("Flatten", 13).attr("axis", Attribute::Int(0)).input(x).run().unwrap();
    assert_eq!(shape_of(&out[0]), vec![1, 3]);
}

#[test]
fn slice_negative_steps_and_clamping() {
    let x = f32s(&[2, 5], &[0., 1., 2., 3., 4., 5., 6., 7., 8., 9.]);
    let out = OpTest::new("Slice", 13)
        .input(x.clone())
        .input(i64s(&[1], &[i64::MAX]))
        .input(i64s(&[1], &[i64::MIN]))
        .input(i64s(&[1], &[1]))
        .input(i64s(&[1], &[-2]))
        .run()
        .unwrap();
    assert_eq!(shape_of(&out[0]), vec![2, 3]);
    assert_close(&out[0], &[4., 2., 0., 9., 7., 5.], 0.0);
    // Opset 1 attribute form
    let out = OpTest::new("Slice", 1)
        .attr("starts", Attribute::Ints(vec![1, -3]))
        .attr("ends", Attribute::Ints(vec![1000, -1]))
        .input(x.clone())
        .run()
        .unwrap();
    assert_close(&out[0], &[7., 8.], 0.0);
    let r = OpTest::new("Slice", 13).input(x).input(i64s(&[1], &[0])).input(i64s(&[1], &[1])).input(i64s(&[1], &[0])).input(i64s(&[1], &[0])).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
}

#[test]
fn split_and_num_outputs() {
    let x = f32s(&[5], &[1., 2., 3., 4., 5.]);
    let out = OpTest::new("Split", 18).attr("num_outputs", Attribute::Int(2)).input(x.clone()).outputs(2).run().unwrap();
    assert_close(&out[0], &[1., 2., 3.], 0.0);
    assert_close(&out[1], &[4., 5.], 0.0);
    let out = OpTest::new("Split", 13).input(x.clone()).input(i64s(&[2], &[1, 4])).outputs(2).run().unwrap();
    assert_close(&out[1], &[2., 3., 4., 5.], 0.0);
    let r = OpTest::new("Split", 13).input(x).input(i64s(&[2], &[1, 1])).outputs(2).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
}

#[test]
fn expand_tile_and_size_limits() {
    let x = strs(&[2, 1], &["a", "b"]);
    let out = OpTest::new("Expand", 13).input(x.clone()).input(i64s(&[2], &[2, 3])).run().unwrap();
    assert_eq!(out_strs(&out[0]), ["a", "a", "a", "b", "b", "b"]);
    let out = OpTest::new("Tile", 13).input(x).input(i64s(&[2], &[2, 2])).run().unwrap();
    assert_eq!(out_strs(&out[0]), ["a", "a", "b", "b", "a", "a", "b", "b"]);
    let y = f32s(&[1], &[1.]);
    let big = i64s(&[3], &[1 << 20, 1 << 20, 1 << 20]);
    assert_eq!(code(OpTest::new("Expand", 13).input(y.clone()).input(big.clone()).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(OpTest::new("ConstantOfShape", 9).input(big).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(OpTest::new("Tile", 13).input(y.clone()).input(i64s(&[1], &[1 << 40])).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(OpTest::new("ConstantOfShape", 9).input(i64s(&[2], &[2, -1])).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(OpTest::new("Expand", 13).input(f32s(&[2], &[1., 2.])).input(i64s(&[1], &[3])).run()), ErrorCode::InvalidArgument);
}

#[test]
fn pad_modes_and_negative_pads() {
    let x = f32s(&[4], &[1., 2., 3., 4.]);
    let run = |mode: &str, pads: &[i64]| {
        OpTest::new("Pad", 19)
            .attr("mode", Attribute::String(mode.as_bytes().to_vec()))
            .input(x.clone())
            .input(i64s(&[2], pads))
            .input(Tensor::scalar(9f32))
            .run()
    };
    assert_close(&run("constant", &[1, 2]).unwrap()[0], &[9., 1., 2., 3., 4., 9., 9.], 0.0);
    assert_close(&run("reflect", &[2, 2]).unwrap()[0], &[3., 2., 1., 2., 3., 4., 3., 2.], 0.0);
    assert_close(&run("edge", &[1, 1]).unwrap()[0], &[1., 1., 2., 3., 4., 4.], 0.0);
    assert_close(&run("wrap", &[1, 2]).unwrap()[0], &[4., 1., 2., 3., 4., 1., 2.], 0.0);
    assert_close(&run("constant", &[-1, 1]).unwrap()[0], &[2., 3., 4., 9.], 0.0);
    assert_eq!(code(run("constant", &[-3, -2])), ErrorCode::InvalidArgument);
    assert_eq!(code(run("constant", &[1 << 40, 0])), ErrorCode::InvalidArgument);
    assert_eq!(code(run("reflect", &[i64::MAX, i64::MAX])), ErrorCode::InvalidArgument);
    // Opset 2 attribute form with a string tensor padded with ""
    let s = strs(&[2], &["a", "b"]);
    let out = OpTest::new("Pad", 13).input(s).input(i64s(&[2], &[1, 0])).run().unwrap();
    assert_eq!(out_strs(&out[0]), ["", "a", "b"]);
}

#[test]
fn range_and_eyelike() {
    let out = OpTest::new("Range", 11).input(Tensor::scalar(10i32)).input(Tensor::scalar(4i32)).input(Tensor::scalar(-2i32)).run().unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<i32>().unwrap(), [10, 8, 6]);
    let r = OpTest::new("Range", 11).input(Tensor::scalar(0i64)).input(Tensor::scalar(4i64)).input(Tensor::scalar(0i64)).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
    let out = OpTest::new("EyeLike", 9)
        .attr("k", Attribute::Int(1))
        .attr("dtype", Attribute::Int(DataType::Int32 as i64))
        .input(f32s(&[2, 3], &[0.; 6]))
        .run()
        .unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<i32>().unwrap(), [0, 1, 0, 0, 0, 1]);
}

#[test]
fn shape_start_end_and_size() {
    let x = f32s(&[2, 3, 4], &[0.; 24]);
    let out = OpTest::new("Shape", 15).attr("start", Attribute::Int(-2)).attr("end", Attribute::Int(100)).input(x.clone()).run().unwrap();
    assert_eq!(out_i64(&out[0]), [3, 4]);
    let out = OpTest::new("Size", 13).input(x).run().unwrap();
    assert_eq!(out_i64(&out[0]), [24]);
}

#[test]
fn extreme_values_give_results_or_errors_never_panics() {
    let x = f32s(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let ext = [i64::MIN, i64::MIN + 1, -7, -1, 0, 1, 7, i64::MAX - 1, i64::MAX];
    for &a in &ext {
        for &b in &ext {
            let _ = OpTest::new("Slice", 13).input(x.clone()).input(i64s(&[1], &[a])).input(i64s(&[1], &[b])).input(i64s(&[1], &[1])).input(i64s(&[1], &[a.max(b)])).run();
            let _ = OpTest::new("Pad", 19).input(x.clone()).input(i64s(&[4], &[a, 0, b, 1])).run();
            let _ = OpTest::new("Reshape", 14).input(x.clone()).input(i64s(&[2], &[a, b])).run();
            let _ = OpTest::new("Tile", 13).input(x.clone()).input(i64s(&[2], &[a, b])).run();
            let _ = OpTest::new("Range", 11).input(Tensor::scalar(a)).input(Tensor::scalar(b)).input(Tensor::scalar(a.wrapping_sub(b) | 1)).run();
            let _ = OpTest::new("Split", 13).input(x.clone()).input(i64s(&[2], &[a, b])).outputs(2).run();
            let _ = OpTest::new("Expand", 13).input(x.clone()).input(i64s(&[2], &[a, b])).run();
            let _ = OpTest::new("CenterCropPad", 18).input(x.clone()).input(i64s(&[2], &[a, b])).run();
        }
        let _ = OpTest::new("Trilu", 14).input(x.clone()).input(Tensor::scalar(a)).run();
        let _ = OpTest::new("EyeLike", 9).attr("k", Attribute::Int(a)).input(x.clone()).run();
        let _ = OpTest::new("Gather", 13).input(x.clone()).input(i64s(&[1], &[a])).run();
        let _ = OpTest::new("TopK", 11).input(x.clone()).input(i64s(&[1], &[a])).outputs(2).run();
        let _ = OpTest::new("OneHot", 11).input(i64s(&[1], &[a])).input(Tensor::scalar(a)).input(f32s(&[2], &[0., 1.])).run();
        let _ = OpTest::new("Shape", 15).attr("start", Attribute::Int(a)).attr("end", Attribute::Int(-a.saturating_add(1))).input(x.clone()).run();
        let _ = OpTest::new("Unsqueeze", 13).input(x.clone()).input(i64s(&[1], &[a])).run();
        let _ = OpTest::new("Squeeze", 13).input(x.clone()).input(i64s(&[1], &[a])).run();
        let _ = OpTest::new("Flatten", 13).attr("axis", Attribute::Int(a)).input(x.clone()).run();
        let _ = OpTest::new("DepthToSpace", 13).attr("blocksize", Attribute::Int(a)).input(f32s(&[1, 4, 1, 1], &[1., 2., 3., 4.])).run();
        let _ = OpTest::new("SpaceToDepth", 13).attr("blocksize", Attribute::Int(a)).input(f32s(&[1, 1, 2, 2], &[1., 2., 3., 4.])).run();
        let _ = OpTest::new("ConstantOfShape", 9).input(i64s(&[2], &[a, 0])).run();
    }
}
