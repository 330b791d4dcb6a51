//! MatMul, Gemm and MatMulInteger against naive references, on 1 and 4 threads.

mod math_support;
use math_support::*;
use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, ErrorCode, Tensor};

fn matmul(a: (&[usize], Vec<f32>), b: (&[usize], Vec<f32>), threads: usize) -> (Vec<usize>, Vec<f32>) {
    let out = run_node("MatMul", 13, vec![], vec![t(a.0, a.1), t(b.0, b.1)], 1, threads).unwrap();
    f32_out(&out[0])
}

#[test]
fn matmul_2d_large_matches_naive_on_pool() {
    let (m, n, k) = (67, 45, 129);
    let (a, b) = (rand_vec(m * k, 1), rand_vec(k * n, 2));
    let want = naive_matmul(&a, &b, m, n, k);
    for threads in [1, 4] {
        let (shape, got) = matmul((&[m, k], a.clone()), (&[k, n], b.clone()), threads);
        assert_eq!(shape, vec![m, n]);
        assert_all_close(&got, &want, 1e-4, 1e-5);
    }
}

#[test]
fn matmul_broadcasts_batch_dims() {
    // A [2,1,3,4] x B [3,4,5] -> [2,3,3,5]; batch (i, j) uses A[i,0] and B[j].
    let (a, b) = (rand_vec(2 * 3 * 4, 3), rand_vec(3 * 4 * 5, 4));
    for threads in [1, 4] {
        let (shape, got) = matmul((&[2, 1, 3, 4], a.clone()), (&[3, 4, 5], b.clone()), threads);
        assert_eq!(shape, vec![2, 3, 3, 5]);
        for i in 0..2 {
            for j in 0..3 {
                let want = naive_matmul(&a[i * 12..][..12], &b[j * 20..][..20], 3, 5, 4);
                assert_all_close(&got[(i * 3 + j) * 15..][..15], &want, 1e-5, 1e-6);
            }
        }
    }
}

#[test]
fn matmul_shared_b_folds_batches() {
    // [4,8,16] x [16,3]: one tall product; also with many batches on the pool.
    let (a, b) = (rand_vec(4 * 8 * 16, 5), rand_vec(16 * 3, 6));
    let want = naive_matmul(&a, &b, 32, 3, 16);
    let (shape, got) = matmul((&[4, 8, 16], a), (&[16, 3], b), 4);
    assert_eq!(shape, vec![4, 8, 3]);
    assert_all_close(&got, &want, 1e-5, 1e-6);
}

#[test]
fn matmul_one_d_operands() {
    let a = vec![1.0, 2.0, 3.0];
    let b = vec![4.0, 5.0, 6.0];
    let (s, v) = matmul((&[3], a.clone()), (&[3], b.clone()), 1);
    assert_eq!(s, Vec::<usize>::new());
    assert_eq!(v, vec![32.0]);
    // [3] x [2,3,2] -> [2,2]
    let bb: Vec<f32> = (0..12).map(|x| x as f32).collect();
    let (s, v) = matmul((&[3], a.clone()), (&[2, 3, 2], bb.clone()), 1);
    assert_eq!(s, vec![2, 2]);
    assert_eq!(v, vec![16.0, 22.0, 52.0, 58.0]);
    // [2,2,3] x [3] -> [2,2]
    let (s, v) = matmul((&[2, 2, 3], bb), (&[3], b), 1);
    assert_eq!(s, vec![2, 2]);
    assert_eq!(v, vec![17.0, 62.0, 107.0, 152.0]);
}

#[test]
fn matmul_empty_inner_dim_gives_zeros() {
    let (s, v) = matmul((&[2, 0], vec![]), (&[0, 3], vec![]), 1);
    assert_eq!(s, vec![2, 3]);
    assert_eq!(v, vec![0.0; 6]);
}

#[test]
fn matmul_f16_and_int_types() {
    let a: Vec<f16> = [1.0f32, 2.0, 3.0, 4.0].iter().map(|&x| f16::from_f32(x)).collect();
    let out = run_node("MatMul", 13, vec![], vec![t(&[2, 2], a.clone()), t(&[2, 2], a)], 1, 1).unwrap();
    let got: Vec<f32> = out[0].as_tensor().unwrap().data::<f16>().unwrap().iter().map(|v| v.to_f32()).collect();
    assert_eq!(got, vec![7.0, 10.0, 15.0, 22.0]);

    let out = run_node("MatMul", 13, vec![], vec![t(&[2, 2], vec![1i64, 2, 3, 4]), t(&[2, 1], vec![5i64, -6])], 1, 1).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<i64>().unwrap(), &[-7, -9]);
    let out = run_node("MatMul", 13, vec![], vec![t(&[1, 1], vec![i32::MAX]), t(&[1, 1], vec![2i32])], 1, 1).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<i32>().unwrap(), &[-2], "wraps like numpy");
    let out = run_node("MatMul", 13, vec![], vec![t(&[1, 2], vec![1.0f64, 2.0]), t(&[2], vec![3.0f64, 4.0])], 1, 1).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<f64>().unwrap(), &[11.0]);
}

#[test]
fn matmul_bad_shapes_are_errors() {
    let e = run_node("MatMul", 13, vec![], vec![t(&[2, 3], vec![0f32; 6]), t(&[2, 3], vec![0f32; 6])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let e = run_node("MatMul", 13, vec![], vec![t(&[2, 2, 2], vec![0f32; 8]), t(&[3, 2, 2], vec![0f32; 12])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let e = run_node("MatMul", 13, vec![], vec![t(&[], vec![1f32]), t(&[1], vec![1f32])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let e = run_node("MatMul", 13, vec![], vec![t(&[1], vec![1f32]), t(&[1], vec![1i64])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
}

#[allow(clippy::too_many_arguments)]
fn gemm_ref(a: &[f32], b: &[f32], c: &dyn Fn(usize, usize) -> f32, m: usize, n: usize, k: usize, ta: bool, tb: bool, alpha: f32, beta: f32) -> Vec<f32> {
    let mut y = vec![0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = 0f64;
            for p in 0..k {
                let av = if ta { a[p * m + i] } else { a[i * k + p] };
                let bv = if tb { b[j * k + p] } else { b[p * n + j] };
                s += av as f64 * bv as f64;
            }
            y[i * n + j] = alpha * s as f32 + beta * c(i, j);
        }
    }
    y
}

/// (C shape, C values, C as a function of (i, j))
type CCase<'a> = (Vec<usize>, Vec<f32>, Box<dyn Fn(usize, usize) -> f32 + 'a>);

#[test]
fn gemm_transposes_alpha_beta_and_c_broadcasts() {
    let (m, n, k) = (37, 29, 53);
    let a = rand_vec(m * k, 7);
    let b = rand_vec(k * n, 8);
    let cfull = rand_vec(m * n, 9);
    let crow = rand_vec(n, 10);
    let ccol = rand_vec(m, 11);
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let a_shape = if ta { [k, m] } else { [m, k] };
        let b_shape = if tb { [n, k] } else { [k, n] };
        let cases: Vec<CCase> = vec![
            (vec![m, n], cfull.clone(), Box::new(|i, j| cfull[i * n + j])),
            (vec![n], crow.clone(), Box::new(|_, j| crow[j])),
            (vec![1, n], crow.clone(), Box::new(|_, j| crow[j])),
            (vec![m, 1], ccol.clone(), Box::new(|i, _| ccol[i])),
            (vec![], vec![0.5], Box::new(|_, _| 0.5)),
        ];
        for (cs, cv, cf) in cases {
            let want = gemm_ref(&a, &b, &*cf, m, n, k, ta, tb, 0.75, -1.5);
            for threads in [1, 4] {
                let out = run_node(
                    "Gemm",
                    13,
                    vec![
                        ("transA", Attribute::Int(ta as i64)),
                        ("transB", Attribute::Int(tb as i64)),
                        ("alpha", Attribute::Float(0.75)),
                        ("beta", Attribute::Float(-1.5)),
                    ],
                    vec![t(&a_shape, a.clone()), t(&b_shape, b.clone()), t(&cs, cv.clone())],
                    1,
                    threads,
                )
                .unwrap();
                let (shape, got) = f32_out(&out[0]);
                assert_eq!(shape, vec![m, n]);
                assert_all_close(&got, &want, 1e-4, 1e-5);
            }
        }
    }
}

#[test]
fn gemm_without_c_and_with_zero_beta_ignores_c() {
    let a = vec![1.0f32, 2.0, 3.0, 4.0];
    let out = run_node("Gemm", 11, vec![], vec![t(&[2, 2], a.clone()), t(&[2, 2], a.clone())], 1, 1).unwrap();
    assert_eq!(f32_out(&out[0]).1, vec![7.0, 10.0, 15.0, 22.0]);
    let out = run_node(
        "Gemm",
        13,
        vec![("beta", Attribute::Float(0.0))],
        vec![t(&[2, 2], a.clone()), t(&[2, 2], a), t(&[1], vec![f32::NAN])],
        1,
        1,
    )
    .unwrap();
    assert_eq!(f32_out(&out[0]).1, vec![7.0, 10.0, 15.0, 22.0]);
}

#[test]
fn gemm_double_and_int() {
    let out = run_node("Gemm", 13, vec![("transB", Attribute::Int(1))], vec![t(&[1, 2], vec![1.0f64, 2.0]), t(&[1, 2], vec![3.0f64, 4.0]), t(&[1], vec![0.5f64])], 1, 1).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<f64>().unwrap(), &[11.5]);
    let out = run_node("Gemm", 13, vec![], vec![t(&[1, 2], vec![1i32, 2]), t(&[2, 2], vec![3i32, 4, 5, 6]), t(&[2], vec![10i32, 20])], 1, 1).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<i32>().unwrap(), &[23, 36]);
}

#[test]
fn gemm_bad_input_is_an_error() {
    // C [3] cannot broadcast to 2x2.
    let e = run_node("Gemm", 13, vec![], vec![t(&[2, 2], vec![0f32; 4]), t(&[2, 2], vec![0f32; 4]), t(&[3], vec![0f32; 3])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    // Inner dims differ.
    let e = run_node("Gemm", 13, vec![], vec![t(&[2, 3], vec![0f32; 6]), t(&[2, 2], vec![0f32; 4])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    // 3-D A.
    let e = run_node("Gemm", 13, vec![], vec![t(&[1, 2, 2], vec![0f32; 4]), t(&[2, 2], vec![0f32; 4])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let _ = Tensor::scalar(0f32);
}

#[test]
fn matmul_integer_zero_points() {
    // A u8 [2,3] with per-row zero points, B i8 [3,2] with per-column ones.
    let a = vec![10u8, 20, 30, 40, 50, 60];
    let b = vec![1i8, -2, 3, 4, -5, 6];
    let (za, zb) = (vec![10u8, 40], vec![1i8, -2]);
    let out = run_node("MatMulInteger", 10, vec![], vec![t(&[2, 3], a.clone()), t(&[3, 2], b.clone()), t(&[2], za.clone()), t(&[2], zb.clone())], 1, 1).unwrap();
    let mut want = [0i32; 4];
    for i in 0..2 {
        for j in 0..2 {
            want[i * 2 + j] = (0..3).map(|p| (a[i * 3 + p] as i32 - za[i] as i32) * (b[p * 2 + j] as i32 - zb[j] as i32)).sum();
        }
    }
    assert_eq!(out[0].as_tensor().unwrap().data::<i32>().unwrap(), &want[..]);
    // Scalar zero points, batched A, large K.
    let k = 300;
    let a: Vec<u8> = (0..2 * 3 * k).map(|i| (i * 37 % 256) as u8).collect();
    let b: Vec<u8> = (0..k * 4).map(|i| (i * 91 % 256) as u8).collect();
    let out = run_node("MatMulInteger", 10, vec![], vec![t(&[2, 3, k], a.clone()), t(&[k, 4], b.clone()), t(&[], vec![128u8]), t(&[], vec![3u8])], 1, 4).unwrap();
    let got = out[0].as_tensor().unwrap().data::<i32>().unwrap().to_vec();
    for r in 0..6 {
        for j in 0..4 {
            let want: i32 = (0..k).map(|p| (a[r * k + p] as i32 - 128) * (b[p * 4 + j] as i32 - 3)).sum();
            assert_eq!(got[r * 4 + j], want);
        }
    }
    let e = run_node("MatMulInteger", 10, vec![], vec![t(&[1, 2], vec![1f32, 2.0]), t(&[2, 1], vec![1u8, 2])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
}

fn einsum(eq: &str, ins: Vec<(&[usize], Vec<f32>)>) -> (Vec<usize>, Vec<f32>) {
    let inputs = ins.into_iter().map(|(s, v)| t(s, v)).collect();
    let out = run_node("Einsum", 12, vec![("equation", Attribute::String(eq.as_bytes().to_vec()))], inputs, 1, 1).unwrap();
    f32_out(&out[0])
}

#[test]
fn einsum_forms() {
    let a = rand_vec(2 * 3 * 4, 71);
    let b = rand_vec(2 * 4 * 5, 72);
    // Batched matmul, explicit and with ellipsis.
    let (s, v) = einsum("bij,bjk->bik", vec![(&[2, 3, 4], a.clone()), (&[2, 4, 5], b.clone())]);
    assert_eq!(s, vec![2, 3, 5]);
    for bi in 0..2 {
        assert_all_close(&v[bi * 15..][..15], &naive_matmul(&a[bi * 12..][..12], &b[bi * 20..][..20], 3, 5, 4), 1e-5, 1e-6);
    }
    let (s2, v2) = einsum("...ij,...jk", vec![(&[2, 3, 4], a.clone()), (&[2, 4, 5], b.clone())]);
    assert_eq!((s2, v2), (s, v.clone()));
    // Transpose, trace, diagonal, sum, outer product, three operands.
    let m: Vec<f32> = (0..9).map(|x| x as f32).collect();
    assert_eq!(einsum("ij->ji", vec![(&[3, 3], m.clone())]).1, vec![0.0, 3.0, 6.0, 1.0, 4.0, 7.0, 2.0, 5.0, 8.0]);
    assert_eq!(einsum("ii", vec![(&[3, 3], m.clone())]), (vec![], vec![12.0]));
    assert_eq!(einsum("ii->i", vec![(&[3, 3], m.clone())]).1, vec![0.0, 4.0, 8.0]);
    assert_eq!(einsum("ij->", vec![(&[3, 3], m.clone())]).1, vec![36.0]);
    assert_eq!(einsum("i,j->ij", vec![(&[2], vec![1.0, 2.0]), (&[2], vec![3.0, 4.0])]).1, vec![3.0, 4.0, 6.0, 8.0]);
    let (s, v) = einsum("ij,jk,kl->il", vec![(&[3, 3], m.clone()), (&[3, 3], m.clone()), (&[3, 3], m.clone())]);
    let mm = naive_matmul(&naive_matmul(&m, &m, 3, 3, 3), &m, 3, 3, 3);
    assert_eq!(s, vec![3, 3]);
    assert_all_close(&v, &mm, 1e-6, 0.0);
    // Implicit output: letters used once, sorted.
    assert_eq!(einsum("ba", vec![(&[2, 3], (0..6).map(|x| x as f32).collect())]).0, vec![3, 2]);
    // Integer einsum.
    let out = run_node(
        "Einsum",
        12,
        vec![("equation", Attribute::String(b"i,i->".to_vec()))],
        vec![t(&[3], vec![1i64, 2, 3]), t(&[3], vec![4i64, 5, 6])],
        1,
        1,
    )
    .unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<i64>().unwrap(), &[32]);
    // Errors: operand rank vs term, mismatched sizes, bad character.
    let bad = |eq: &str, ins: Vec<(&[usize], Vec<f32>)>| {
        let inputs = ins.into_iter().map(|(s, v)| t(s, v)).collect();
        run_node("Einsum", 12, vec![("equation", Attribute::String(eq.as_bytes().to_vec()))], inputs, 1, 1).unwrap_err()
    };
    assert_eq!(bad("ij->i", vec![(&[3], vec![0.0; 3])]).code, ErrorCode::InvalidArgument);
    assert_eq!(bad("ij,jk->ik", vec![(&[2, 3], vec![0.0; 6]), (&[2, 2], vec![0.0; 4])]).code, ErrorCode::InvalidArgument);
    assert!(matches!(bad("i1->i", vec![(&[3], vec![0.0; 3])]).code, ErrorCode::InvalidGraph | ErrorCode::InvalidArgument));
}

#[test]
fn det_batches() {
    let out = run_node("Det", 11, vec![], vec![t(&[2, 2, 2], vec![1f32, 2.0, 3.0, 4.0, 0.0, 1.0, 1.0, 0.0])], 1, 1).unwrap();
    assert_eq!(f32_out(&out[0]), (vec![2], vec![-2.0, -1.0]));
    let out = run_node("Det", 11, vec![], vec![t(&[3, 3], vec![2f64, 0.0, 1.0, 1.0, 3.0, 2.0, 1.0, 1.0, 2.0])], 1, 1).unwrap();
    let d = out[0].as_tensor().unwrap().data::<f64>().unwrap()[0];
    assert!((d - 6.0).abs() < 1e-12, "{d}");
    let e = run_node("Det", 11, vec![], vec![t(&[2, 3], vec![0f32; 6])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
}
