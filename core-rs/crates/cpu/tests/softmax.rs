//! Softmax, LogSoftmax and Hardmax: both axis semantics (opset < 13 flattens to 2-D at
//! axis, >= 13 works along one axis), the strided path, f16/f64 and large inputs.

mod math_support;
use math_support::*;
use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, ErrorCode};

/// Reference along one axis of a [outer, n, inner] layout.
fn reference(op: &str, x: &[f32], outer: usize, n: usize, inner: usize) -> Vec<f32> {
    let mut y = vec![0f32; x.len()];
    for o in 0..outer {
        for j in 0..inner {
            let at = |i: usize| o * n * inner + i * inner + j;
            let max = (0..n).map(|i| x[at(i)] as f64).fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = (0..n).map(|i| (x[at(i)] as f64 - max).exp()).sum();
            let first = (0..n).find(|&i| x[at(i)] as f64 == max).unwrap();
            for i in 0..n {
                let v = x[at(i)] as f64;
                y[at(i)] = match op {
                    "Softmax" => ((v - max).exp() / sum) as f32,
                    "LogSoftmax" => (v - max - sum.ln()) as f32,
                    _ => (i == first) as u8 as f32,
                };
            }
        }
    }
    y
}

fn run(op: &str, opset: i64, axis: Option<i64>, shape: &[usize], x: Vec<f32>, threads: usize) -> Vec<f32> {
    let attrs = axis.map(|a| vec![("axis", Attribute::Int(a))]).unwrap_or_default();
    let out = run_node(op, opset, attrs, vec![t(shape, x)], 1, threads).unwrap();
    let (s, v) = f32_out(&out[0]);
    assert_eq!(s, shape);
    v
}

#[test]
fn every_axis_both_semantics() {
    let shape = [3usize, 4, 5];
    let x: Vec<f32> = rand_vec(60, 21).iter().map(|v| v * 10.0).collect();
    for op in ["Softmax", "LogSoftmax", "Hardmax"] {
        for axis in -3i64..3 {
            let a = if axis < 0 { axis + 3 } else { axis } as usize;
            let outer: usize = shape[..a].iter().product();
            // opset 13: along `axis`.
            let inner: usize = shape[a + 1..].iter().product();
            let want = reference(op, &x, outer, shape[a], inner);
            assert_all_close(&run(op, 13, Some(axis), &shape, x.clone(), 1), &want, 1e-5, 1e-6);
            // opset 11: rows of everything from `axis` on.
            let n: usize = shape[a..].iter().product();
            let want = reference(op, &x, outer, n, 1);
            assert_all_close(&run(op, 11, Some(axis), &shape, x.clone(), 1), &want, 1e-5, 1e-6);
        }
        // Defaults: -1 from 13, 1 before.
        assert_all_close(&run(op, 13, None, &shape, x.clone(), 1), &reference(op, &x, 12, 5, 1), 1e-5, 1e-6);
        assert_all_close(&run(op, 12, None, &shape, x.clone(), 1), &reference(op, &x, 3, 20, 1), 1e-5, 1e-6);
    }
}

#[test]
fn large_inputs_on_the_pool_and_big_values() {
    let (outer, n, inner) = (64, 300, 7);
    let x: Vec<f32> = rand_vec(outer * n * inner, 22).iter().map(|v| v * 1000.0).collect();
    for op in ["Softmax", "LogSoftmax", "Hardmax"] {
        let want = reference(op, &x, outer, n, inner);
        // Inputs near 1000 carry f32 rounding of ~1e-4 into x - max.
        let got = run(op, 13, Some(1), &[outer, n, inner], x.clone(), 4);
        assert_all_close(&got, &want, 1e-4, 2e-4);
        let want = reference(op, &x, outer * n, inner, 1);
        assert_all_close(&run(op, 13, Some(-1), &[outer, n, inner], x.clone(), 4), &want, 1e-4, 2e-4);
    }
}

#[test]
fn hardmax_picks_first_of_ties() {
    let got = run("Hardmax", 13, None, &[2, 3], vec![1.0, 3.0, 3.0, -1.0, -1.0, -1.0], 1);
    assert_eq!(got, vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
}

#[test]
fn f16_and_f64() {
    let x = [1.0f32, 2.0, 3.0, 4.0];
    let want = reference("Softmax", &x, 1, 4, 1);
    let xh: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
    let out = run_node("Softmax", 13, vec![], vec![t(&[4], xh)], 1, 1).unwrap();
    let got: Vec<f32> = out[0].as_tensor().unwrap().data::<f16>().unwrap().iter().map(|v| v.to_f32()).collect();
    assert_all_close(&got, &want, 2e-3, 1e-4);
    let xd: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let out = run_node("LogSoftmax", 13, vec![], vec![t(&[4], xd)], 1, 1).unwrap();
    let got = out[0].as_tensor().unwrap().data::<f64>().unwrap();
    let want = reference("LogSoftmax", &x, 1, 4, 1);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - *w as f64).abs() < 1e-6);
    }
}

#[test]
fn bad_axis_and_type_are_errors() {
    let e = run_node("Softmax", 13, vec![("axis", Attribute::Int(2))], vec![t(&[2, 2], vec![0f32; 4])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let e = run_node("Softmax", 13, vec![], vec![t(&[2], vec![1i32, 2])], 1, 1).unwrap_err();
    assert!(matches!(e.code, ErrorCode::NotImplemented | ErrorCode::InvalidArgument), "{e}");
}

#[test]
fn empty_input_gives_empty_output() {
    assert_eq!(run("Softmax", 13, None, &[0, 3], vec![], 1), Vec::<f32>::new());
    assert_eq!(run("Softmax", 13, Some(0), &[0, 3], vec![], 1), Vec::<f32>::new());
}
