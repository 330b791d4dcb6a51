//! Reductions and ArgMax/ArgMin against a naive reference over every axis subset, both
//! axes conventions (attribute / input), keepdims, noop_with_empty_axes, empty inputs,
//! integer and bool types, and the pooled path.

mod math_support;
use math_support::*;
use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, ErrorCode, Tensor, Value};

const OPS: [&str; 10] = [
    "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
    "ReduceSumSquare",
];

/// Naive reduction over `mask` of a row-major `shape`, in f64.
fn reference(op: &str, x: &[f32], shape: &[usize], mask: &[bool]) -> Vec<f32> {
    let out_shape: Vec<usize> = shape.iter().zip(mask).map(|(&d, &m)| if m { 1 } else { d }).collect();
    let out_len: usize = out_shape.iter().product();
    let mut groups: Vec<Vec<f64>> = vec![Vec::new(); out_len];
    for (flat, &v) in x.iter().enumerate() {
        let mut rem = flat;
        let mut o = 0;
        let mut ostride = 1;
        for d in (0..shape.len()).rev() {
            let i = rem % shape[d];
            rem /= shape[d];
            if !mask[d] {
                o += i * ostride;
                ostride *= shape[d];
            }
        }
        groups[o].push(v as f64);
    }
    groups
        .iter()
        .map(|g| {
            let sum: f64 = g.iter().sum();
            (match op {
                "ReduceSum" => sum,
                "ReduceMean" => sum / g.len() as f64,
                "ReduceMax" => g.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                "ReduceMin" => g.iter().cloned().fold(f64::INFINITY, f64::min),
                "ReduceProd" => g.iter().product(),
                "ReduceL1" => g.iter().map(|v| v.abs()).sum(),
                "ReduceL2" => g.iter().map(|v| v * v).sum::<f64>().sqrt(),
                "ReduceLogSum" => sum.ln(),
                "ReduceLogSumExp" => g.iter().map(|v| v.exp()).sum::<f64>().ln(),
                _ => g.iter().map(|v| v * v).sum(),
            }) as f32
        })
        .collect()
}

fn reduce(op: &str, opset: i64, x: Value, axes: Option<Vec<i64>>, keepdims: bool, threads: usize) -> onnxrun_core::Result<Value> {
    let mut attrs = vec![("keepdims", Attribute::Int(keepdims as i64))];
    let mut inputs = vec![Some(x)];
    let axes_input = opset >= if op == "ReduceSum" { 13 } else { 18 };
    if let Some(a) = axes {
        if axes_input {
            inputs.push(t(&[a.len()], a));
        } else {
            attrs.push(("axes", Attribute::Ints(a)));
        }
    }
    Ok(run_node(op, opset, attrs, inputs, 1, threads)?.remove(0))
}

#[test]
fn every_op_every_axis_subset() {
    let shape = [2usize, 3, 4, 5];
    // Positive values keep LogSum defined and Prod moderate.
    let x: Vec<f32> = rand_vec(120, 31).iter().map(|v| 0.6 + v * 0.5).collect();
    for op in OPS {
        for bits in 1u32..16 {
            let mask: Vec<bool> = (0..4).map(|d| bits & (1 << d) != 0).collect();
            let axes: Vec<i64> = (0..4).filter(|&d| mask[d]).map(|d| if d % 2 == 0 { d as i64 } else { d as i64 - 4 }).collect();
            let want = reference(op, &x, &shape, &mask);
            for (opset, keepdims) in [(11, true), (18, false), (13, true)] {
                let xv: Value = Tensor::from_vec(shape.to_vec(), x.clone()).unwrap().into();
                let got = reduce(op, opset, xv, Some(axes.clone()), keepdims, 1).unwrap();
                let (s, v) = f32_out(&got);
                let want_shape: Vec<usize> = shape
                    .iter()
                    .zip(&mask)
                    .filter_map(|(&d, &m)| if !m { Some(d) } else if keepdims { Some(1) } else { None })
                    .collect();
                assert_eq!(s, want_shape, "{op} axes {axes:?}");
                assert_all_close(&v, &want, 1e-5, 1e-6);
            }
        }
    }
}

#[test]
fn default_axes_reduce_all_and_noop_keeps_shape() {
    let x = vec![1.0f32, -2.0, 3.0, -4.0];
    let xv = || -> Value { Tensor::from_vec(vec![2, 2], x.clone()).unwrap().into() };
    let got = reduce("ReduceSum", 13, xv(), None, true, 1).unwrap();
    assert_eq!(f32_out(&got), (vec![1, 1], vec![-2.0]));
    let got = reduce("ReduceMax", 18, xv(), None, false, 1).unwrap();
    assert_eq!(f32_out(&got), (vec![], vec![3.0]));
    // noop_with_empty_axes: nothing is reduced, but the per-element map still applies.
    for (op, want) in [("ReduceSum", x.clone()), ("ReduceSumSquare", vec![1.0, 4.0, 9.0, 16.0]), ("ReduceL1", vec![1.0, 2.0, 3.0, 4.0])] {
        let out = run_node(op, 18, vec![("noop_with_empty_axes", Attribute::Int(1))], vec![Some(xv()), t(&[0], Vec::<i64>::new())], 1, 1).unwrap();
        assert_eq!(f32_out(&out[0]), (vec![2, 2], want), "{op}");
    }
}

#[test]
fn empty_reductions_give_identities() {
    let cases = [
        ("ReduceSum", 0.0),
        ("ReduceProd", 1.0),
        ("ReduceMax", f32::NEG_INFINITY),
        ("ReduceMin", f32::INFINITY),
        ("ReduceL1", 0.0),
        ("ReduceL2", 0.0),
        ("ReduceLogSum", f32::NEG_INFINITY),
        ("ReduceLogSumExp", f32::NEG_INFINITY),
        ("ReduceSumSquare", 0.0),
        ("ReduceMean", f32::NAN),
    ];
    for (op, id) in cases {
        let x: Value = Tensor::from_vec(vec![2, 0, 4], Vec::<f32>::new()).unwrap().into();
        let got = reduce(op, 18, x, Some(vec![1]), true, 1).unwrap();
        let (s, v) = f32_out(&got);
        assert_eq!(s, vec![2, 1, 4], "{op}");
        assert!(v.iter().all(|&g| g == id || (g.is_nan() && id.is_nan())), "{op}: {v:?}");
        // A zero-sized kept dim gives an empty output.
        let x: Value = Tensor::from_vec(vec![2, 0, 4], Vec::<f32>::new()).unwrap().into();
        let got = reduce(op, 18, x, Some(vec![2]), true, 1).unwrap();
        assert_eq!(f32_out(&got).0, vec![2, 0, 1]);
    }
}

#[test]
fn ints_bools_halves() {
    let x: Value = Tensor::from_vec(vec![2, 3], vec![1i32, -5, 3, 4, 2, -6]).unwrap().into();
    let got = reduce("ReduceSum", 13, x.clone(), Some(vec![1]), false, 1).unwrap();
    assert_eq!(got.as_tensor().unwrap().data::<i32>().unwrap(), &[-1, 0]);
    let got = reduce("ReduceMin", 18, x.clone(), Some(vec![0]), false, 1).unwrap();
    assert_eq!(got.as_tensor().unwrap().data::<i32>().unwrap(), &[1, -5, -6]);
    let got = reduce("ReduceProd", 18, x.clone(), None, false, 1).unwrap();
    assert_eq!(got.as_tensor().unwrap().data::<i32>().unwrap(), &[720]);
    let got = reduce("ReduceMean", 18, x, Some(vec![1]), false, 1).unwrap();
    assert_eq!(got.as_tensor().unwrap().data::<i32>().unwrap(), &[0, 0]);
    // Max of an empty int8 set is the type's lowest value.
    let x: Value = Tensor::from_vec(vec![0, 2], Vec::<i8>::new()).unwrap().into();
    let got = reduce("ReduceMax", 18, x, Some(vec![0]), false, 1).unwrap();
    assert_eq!(got.as_tensor().unwrap().data::<i8>().unwrap(), &[i8::MIN, i8::MIN]);
    let b: Value = Tensor::from_vec(vec![2, 2], vec![true, false, false, false]).unwrap().into();
    let got = reduce("ReduceMax", 20, b.clone(), Some(vec![1]), false, 1).unwrap();
    assert_eq!(got.as_tensor().unwrap().data::<bool>().unwrap(), &[true, false]);
    let got = reduce("ReduceMin", 20, b.clone(), Some(vec![0]), false, 1).unwrap();
    assert_eq!(got.as_tensor().unwrap().data::<bool>().unwrap(), &[false, false]);
    assert!(reduce("ReduceSum", 13, b, None, false, 1).is_err());
    let h: Value = Tensor::from_vec(vec![3], vec![f16::from_f32(1.5), f16::from_f32(2.0), f16::from_f32(-0.5)]).unwrap().into();
    let got = reduce("ReduceL2", 18, h, None, false, 1).unwrap();
    let v = got.as_tensor().unwrap().data::<f16>().unwrap()[0].to_f32();
    assert!((v - 6.5f32.sqrt()).abs() < 2e-3, "{v}");
}

#[test]
fn large_inputs_on_the_pool() {
    let shape = [16usize, 64, 96];
    let x: Vec<f32> = rand_vec(shape.iter().product(), 41);
    for op in ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceLogSumExp", "ReduceL2"] {
        for mask in [[false, false, true], [false, true, true], [true, false, false], [false, true, false]] {
            let axes: Vec<i64> = (0..3).filter(|&d| mask[d]).map(|d| d as i64).collect();
            let want = reference(op, &x, &shape, &mask);
            let xv: Value = Tensor::from_vec(shape.to_vec(), x.clone()).unwrap().into();
            let got = reduce(op, 18, xv, Some(axes), true, 4).unwrap();
            assert_all_close(&f32_out(&got).1, &want, 1e-4, 1e-5);
        }
    }
}

#[test]
fn log_sum_exp_is_stable_for_large_values() {
    let x: Value = Tensor::from_vec(vec![3], vec![1000.0f32, 1000.0, -1000.0]).unwrap().into();
    let got = reduce("ReduceLogSumExp", 18, x, None, false, 1).unwrap();
    assert_all_close(&f32_out(&got).1, &[1000.0 + 2f32.ln()], 1e-6, 0.0);
}

#[test]
fn bad_axes_are_errors() {
    let x: Value = Tensor::from_vec(vec![2, 2], vec![0f32; 4]).unwrap().into();
    let e = reduce("ReduceSum", 13, x.clone(), Some(vec![2]), true, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let e = reduce("ReduceMean", 18, x.clone(), Some(vec![1, -1]), true, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let e = reduce("ReduceMean", 11, x, Some(vec![-3]), true, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
}

fn arg(op: &str, x: Value, axis: i64, keepdims: bool, last: bool) -> onnxrun_core::Result<(Vec<usize>, Vec<i64>)> {
    let attrs = vec![
        ("axis", Attribute::Int(axis)),
        ("keepdims", Attribute::Int(keepdims as i64)),
        ("select_last_index", Attribute::Int(last as i64)),
    ];
    let out = run_node(op, 13, attrs, vec![Some(x)], 1, 1)?;
    let t = out[0].as_tensor().unwrap();
    Ok((t.shape().to_vec(), t.data::<i64>().unwrap().to_vec()))
}

#[test]
fn argmax_argmin() {
    let x: Value = Tensor::from_vec(vec![2, 3], vec![1.0f32, 5.0, 5.0, 7.0, 2.0, 7.0]).unwrap().into();
    assert_eq!(arg("ArgMax", x.clone(), 1, true, false).unwrap(), (vec![2, 1], vec![1, 0]));
    assert_eq!(arg("ArgMax", x.clone(), -1, false, true).unwrap(), (vec![2], vec![2, 2]));
    assert_eq!(arg("ArgMin", x.clone(), 0, false, false).unwrap(), (vec![3], vec![0, 1, 0]));
    assert_eq!(arg("ArgMin", x.clone(), 1, false, true).unwrap(), (vec![2], vec![0, 1]));
    let xi: Value = Tensor::from_vec(vec![4], vec![3u8, 9, 9, 1]).unwrap().into();
    assert_eq!(arg("ArgMax", xi, 0, false, false).unwrap(), (vec![], vec![1]));
    let e = arg("ArgMax", x, 2, true, false).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let empty: Value = Tensor::from_vec(vec![2, 0], Vec::<f32>::new()).unwrap().into();
    assert!(arg("ArgMax", empty, 1, true, false).is_err());
}
