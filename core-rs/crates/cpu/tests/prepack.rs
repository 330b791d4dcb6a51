//! MatMul and Gemm with a constant (initializer) B, which the kernels pack once at
//! session creation, give the same bits as with B fed at run time (packed per call),
//! across shapes that take the packed path and those that keep the GEMV paths.

mod math_support;
mod prepack_support;
use onnxrun_core::{Attribute, DataType, Tensor};
use prepack_support::*;

fn assert_same_bits(a: &Tensor, b: &Tensor, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    assert_eq!(a.dtype(), b.dtype(), "{what}: dtypes");
    match a.dtype() {
        DataType::Float => {
            let (x, y) = (a.data::<f32>().unwrap(), b.data::<f32>().unwrap());
            assert!(x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()), "{what}: values differ");
        }
        DataType::Double => {
            let (x, y) = (a.data::<f64>().unwrap(), b.data::<f64>().unwrap());
            assert!(x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()), "{what}: values differ");
        }
        dt => panic!("{what}: unexpected {dt}"),
    }
}

fn f64_tensor(shape: &[usize], seed: u64) -> Tensor {
    let v = f32_tensor(shape, seed).data::<f32>().unwrap().iter().map(|&x| x as f64).collect::<Vec<_>>();
    Tensor::from_vec(shape.to_vec(), v).unwrap()
}

#[test]
fn matmul_constant_b_matches_fed_b() {
    // (A shape, B shape): odd sizes, a batched A (one tall product), one row, thin n.
    let cases: &[(&[usize], &[usize])] = &[
        (&[67, 129], &[129, 45]),
        (&[3, 17, 33], &[33, 31]),
        (&[2, 2, 5, 8], &[8, 9]),
        (&[1, 40], &[40, 50]),
        (&[40], &[40, 50]),
        (&[30, 20], &[20, 4]),
        (&[30, 20], &[20, 5]),
        (&[30, 20], &[20]),
        (&[2, 30, 20], &[2, 20, 10]),
        (&[0, 20], &[20, 10]),
        (&[8, 0], &[0, 10]),
    ];
    for (i, &(sa, sb)) in cases.iter().enumerate() {
        for threads in [1, 4] {
            let (a, b) = (f32_tensor(sa, 2 * i as u64), f32_tensor(sb, 2 * i as u64 + 1));
            let (packed, fed) = both_ways("MatMul", vec![], vec![a, b], &[false, true], threads);
            assert_same_bits(&packed, &fed, &format!("MatMul {sa:?} x {sb:?} on {threads} threads"));
        }
    }
    let (a, b) = (f64_tensor(&[33, 65], 1), f64_tensor(&[65, 19], 2));
    let (packed, fed) = both_ways("MatMul", vec![], vec![a, b], &[false, true], 4);
    assert_same_bits(&packed, &fed, "f64 MatMul");
}

#[test]
fn gemm_constant_b_matches_fed_b() {
    // (m, n, k, transA, transB, C shape or None, alpha, beta)
    type Case = (usize, usize, usize, bool, bool, Option<&'static [usize]>, f32, f32);
    let cases: &[Case] = &[
        (67, 45, 129, false, false, Some(&[45]), 1.0, 1.0),
        (67, 45, 129, false, true, Some(&[67, 45]), 0.5, 2.0),
        (31, 77, 13, true, true, Some(&[67, 1][1..]), 1.5, 0.0),
        (31, 77, 13, true, false, None, -1.0, 1.0),
        (1, 50, 40, false, true, Some(&[50]), 1.0, 1.0),
        (30, 3, 20, false, true, Some(&[1]), 1.0, 1.0),
        (30, 9, 20, false, false, Some(&[30, 1]), 0.0, 3.0),
        (16, 8, 0, false, true, Some(&[8]), 1.0, 0.5),
    ];
    for (i, &(m, n, k, ta, tb, cs, alpha, beta)) in cases.iter().enumerate() {
        let sa: &[usize] = if ta { &[k, m] } else { &[m, k] };
        let sb: &[usize] = if tb { &[n, k] } else { &[k, n] };
        let attrs = vec![
            ("transA", Attribute::Int(ta as i64)),
            ("transB", Attribute::Int(tb as i64)),
            ("alpha", Attribute::Float(alpha)),
            ("beta", Attribute::Float(beta)),
        ];
        let seed = 3 * i as u64;
        let mut inputs = vec![f32_tensor(sa, seed), f32_tensor(sb, seed + 1)];
        inputs.extend(cs.map(|cs| f32_tensor(cs, seed + 2)));
        for threads in [1, 4] {
            let (packed, fed) = both_ways("Gemm", attrs.clone(), inputs.clone(), &[false, true, true], threads);
            assert_same_bits(&packed, &fed, &format!("Gemm case {i} on {threads} threads"));
        }
    }
    let attrs = vec![("transB", Attribute::Int(1)), ("alpha", Attribute::Float(0.25))];
    let inputs = vec![f64_tensor(&[21, 35], 7), f64_tensor(&[18, 35], 8), f64_tensor(&[18], 9)];
    let (packed, fed) = both_ways("Gemm", attrs, inputs, &[false, true, true], 4);
    assert_same_bits(&packed, &fed, "f64 Gemm");
}
