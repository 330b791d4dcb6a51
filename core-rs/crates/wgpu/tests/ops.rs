//! Every WebGPU kernel against the CPU provider: odd sizes, broadcasting, transposes, and
//! dispatches past the 65535-workgroups-per-dimension limit.

mod common;

use common::*;
use onnxrun_core::{Attribute, DataType, ExecutionProvider, Tensor};
use onnxrun_wgpu::WgpuProvider;
use std::collections::BTreeMap;
use std::sync::Arc;

const TOL: f32 = 1e-4;

fn unary(gpu: &Arc<WgpuProvider>, op: &str, shape: &[usize], lo: f32, hi: f32, seed: u64) {
    let x = Rng::new(seed).tensor(shape, lo, hi);
    let make = || model(vec![node(op, &["x"], &["y"], vec![])], &[("x", &x)], &[], &["y"]);
    check_vs_cpu(gpu, make, &[&x], 1, &[op], TOL);
}

fn binary(gpu: &Arc<WgpuProvider>, op: &str, sa: &[usize], sb: &[usize], seed: u64) {
    let mut rng = Rng::new(seed);
    let a = rng.tensor(sa, -2.0, 2.0);
    let mut b = rng.tensor(sb, -2.0, 2.0);
    if op == "Div" {
        // Keep divisors away from zero.
        for v in b.data_mut::<f32>().unwrap() {
            *v += 0.5 * v.signum();
        }
    }
    let make = || model(vec![node(op, &["a", "b"], &["y"], vec![])], &[("a", &a), ("b", &b)], &[], &["y"]);
    check_vs_cpu(gpu, make, &[&a, &b], 1, &[op], TOL);
}

#[test]
fn unary_ops() {
    let Some(gpu) = gpu() else { return };
    for (op, lo, hi) in [("Relu", -3.0, 3.0), ("Sigmoid", -40.0, 40.0), ("Tanh", -40.0, 40.0), ("Exp", -20.0, 20.0)] {
        for (i, shape) in [&[1usize][..], &[1, 1], &[7, 13, 5], &[65, 129, 33], &[0, 3]].iter().enumerate() {
            unary(&gpu, op, shape, lo, hi, 100 + i as u64);
        }
    }
}

#[test]
fn unary_near_zero() {
    let Some(gpu) = gpu() else { return };
    for op in ["Sigmoid", "Tanh", "Exp"] {
        unary(&gpu, op, &[7, 13, 5], -1e-3, 1e-3, 7);
    }
}

#[test]
fn binary_ops_with_broadcasting() {
    let Some(gpu) = gpu() else { return };
    let cases: &[(&[usize], &[usize])] = &[
        (&[1], &[1]),
        (&[7, 13, 5], &[7, 13, 5]),
        (&[7, 13, 5], &[5]),
        (&[5], &[7, 13, 5]),
        (&[7, 1, 5], &[13, 1]),
        (&[], &[3, 4]),
        (&[3, 4], &[]),
        (&[2, 1, 3, 1, 4], &[1, 5, 1, 6, 1]),
        (&[65, 129, 33], &[129, 1]),
        (&[0, 4], &[4]),
    ];
    for op in ["Add", "Sub", "Mul", "Div"] {
        for (i, (sa, sb)) in cases.iter().enumerate() {
            binary(&gpu, op, sa, sb, 200 + i as u64);
        }
    }
}

#[test]
fn binary_broadcast_error_is_clear() {
    let Some(gpu) = gpu() else { return };
    let a = Rng::new(1).tensor(&[2, 3], 0.0, 1.0);
    let b = Rng::new(2).tensor(&[3, 2], 0.0, 1.0);
    let m = model(vec![node("Add", &["a", "b"], &["y"], vec![])], &[("a", &a), ("b", &b)], &[], &["y"]);
    let providers: Vec<Arc<dyn ExecutionProvider>> = vec![gpu.clone(), cpu()];
    let err = match onnxrun_core::Session::new(m, onnxrun_core::SessionOptions { providers, ..Default::default() }) {
        Err(e) => e,
        Ok(s) => s
            .run(vec![(0, a.into()), (1, b.into())], &[0], &onnxrun_core::RunState::default())
            .expect_err("shapes [2,3] and [3,2] must not broadcast"),
    };
    assert!(err.message.contains("broadcast"), "{err}");
}

fn matmul(gpu: &Arc<WgpuProvider>, sa: &[usize], sb: &[usize], seed: u64) {
    let mut rng = Rng::new(seed);
    let a = rng.tensor(sa, -1.0, 1.0);
    let b = rng.tensor(sb, -1.0, 1.0);
    let make = || model(vec![node("MatMul", &["a", "b"], &["y"], vec![])], &[("a", &a), ("b", &b)], &[], &["y"]);
    check_vs_cpu(gpu, make, &[&a, &b], 1, &["MatMul"], TOL);
}

#[test]
fn matmul_2d_odd_sizes() {
    let Some(gpu) = gpu() else { return };
    for (i, (m, k, n)) in [(1, 1, 1), (7, 13, 5), (65, 129, 33), (64, 64, 64), (1, 300, 1), (130, 3, 70), (3, 0, 4)].iter().enumerate() {
        matmul(&gpu, &[*m, *k], &[*k, *n], 300 + i as u64);
    }
}

#[test]
fn matmul_batched_and_broadcast() {
    let Some(gpu) = gpu() else { return };
    let cases: &[(&[usize], &[usize])] = &[
        (&[2, 3, 7, 13], &[13, 5]),
        (&[13, 5], &[4, 5, 6]),
        (&[2, 1, 7, 13], &[1, 4, 13, 5]),
        (&[3, 65, 129], &[3, 129, 33]),
        (&[5, 1, 3, 3, 4], &[2, 1, 4, 2]),
        (&[13], &[13, 5]),
        (&[7, 13], &[13]),
        (&[13], &[13]),
        (&[2, 3, 13], &[13]),
        (&[13], &[2, 13, 5]),
        (&[0, 4, 5], &[5, 6]),
    ];
    for (i, (sa, sb)) in cases.iter().enumerate() {
        matmul(&gpu, sa, sb, 400 + i as u64);
    }
}

/// Gemm of M x K by K x N with the given transposes, bias shape and (alpha, beta).
fn gemm(gpu: &Arc<WgpuProvider>, (m, k, n): (usize, usize, usize), (ta, tb): (bool, bool), c: Option<&[usize]>, (alpha, beta): (f32, f32), seed: u64) {
    let mut rng = Rng::new(seed);
    let a = rng.tensor(&if ta { [k, m] } else { [m, k] }, -1.0, 1.0);
    let b = rng.tensor(&if tb { [n, k] } else { [k, n] }, -1.0, 1.0);
    let ct = c.map(|s| rng.tensor(s, -1.0, 1.0));
    let make = || {
        let attrs = vec![
            ("transA", Attribute::Int(ta as i64)),
            ("transB", Attribute::Int(tb as i64)),
            ("alpha", Attribute::Float(alpha)),
            ("beta", Attribute::Float(beta)),
        ];
        let mut feeds = vec![("a", &a), ("b", &b)];
        let inputs: &[&str] = if let Some(c) = &ct {
            feeds.push(("c", c));
            &["a", "b", "c"]
        } else {
            &["a", "b"]
        };
        model(vec![node("Gemm", inputs, &["y"], attrs)], &feeds, &[], &["y"])
    };
    let mut feeds = vec![&a, &b];
    if let Some(c) = &ct {
        feeds.push(c);
    }
    check_vs_cpu(gpu, make, &feeds, 1, &["Gemm"], TOL);
}

#[test]
fn gemm_transposes_alpha_beta_and_bias_broadcast() {
    let Some(gpu) = gpu() else { return };
    let mut seed = 500;
    for dims in [(1, 1, 1), (7, 13, 5), (65, 129, 33)] {
        let (m, _, n) = dims;
        let biases: [Option<Vec<usize>>; 6] = [None, Some(vec![]), Some(vec![n]), Some(vec![1, n]), Some(vec![m, 1]), Some(vec![m, n])];
        for ta in [false, true] {
            for tb in [false, true] {
                for c in &biases {
                    seed += 1;
                    gemm(&gpu, dims, (ta, tb), c.as_deref(), (0.75, -1.5), seed);
                }
            }
        }
    }
    // Defaults (alpha = beta = 1) through the same path.
    gemm(&gpu, (8, 128, 10), (false, false), Some(&[10]), (1.0, 1.0), 600);
}

#[test]
fn gemm_beta_zero_ignores_c() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(601);
    let a = rng.tensor(&[5, 6], -1.0, 1.0);
    let b = rng.tensor(&[6, 4], -1.0, 1.0);
    let c = Tensor::from_vec(vec![4], vec![f32::NAN, f32::INFINITY, 1.0, 2.0]).unwrap();
    let make = || {
        let attrs = vec![("beta", Attribute::Float(0.0)), ("alpha", Attribute::Float(2.0))];
        model(vec![node("Gemm", &["a", "b", "c"], &["y"], attrs)], &[("a", &a), ("b", &b), ("c", &c)], &[], &["y"])
    };
    check_vs_cpu(&gpu, make, &[&a, &b, &c], 1, &["Gemm"], TOL);
    let (got, _) = run(make(), vec![gpu.clone(), cpu()], &[&a, &b, &c], 1);
    assert!(got[0].data::<f32>().unwrap().iter().all(|v| v.is_finite()));
}

// 65535 * 256 + 1000 elements: the grid needs a second row of workgroups.
const PAST_ONE_ROW: usize = 65535 * 256 + 1000;

#[test]
fn unary_dispatch_beyond_65535_workgroups() {
    let Some(gpu) = gpu() else { return };
    unary(&gpu, "Relu", &[PAST_ONE_ROW], -1.0, 1.0, 700);
}

#[test]
fn binary_dispatch_beyond_65535_workgroups() {
    let Some(gpu) = gpu() else { return };
    binary(&gpu, "Add", &[PAST_ONE_ROW], &[1], 701);
}

#[test]
fn matmul_dispatch_beyond_65535_workgroups() {
    let Some(gpu) = gpu() else { return };
    // 70000 one-tile products.
    matmul(&gpu, &[70000, 2, 3], &[70000, 3, 2], 702);
}

#[test]
fn device_memory_round_trips_and_allocates_zeros() {
    let Some(gpu) = gpu() else { return };
    // Odd byte lengths and non-float types move unchanged.
    let bytes = Tensor::from_vec(vec![7], vec![1u8, 2, 3, 4, 5, 6, 7]).unwrap();
    let dev = gpu.copy_to_device(&bytes).unwrap();
    assert!(!dev.is_host());
    assert_eq!(dev.device(), gpu.device());
    assert_eq!(gpu.copy_to_host(&dev).unwrap().data::<u8>().unwrap(), &[1, 2, 3, 4, 5, 6, 7]);
    let ints = Tensor::from_vec(vec![2, 2], vec![-1i64, i64::MAX, 3, i64::MIN]).unwrap();
    let back = gpu.copy_to_host(&gpu.copy_to_device(&ints).unwrap()).unwrap();
    assert_eq!(back.data::<i64>().unwrap(), ints.data::<i64>().unwrap());
    // A recycled buffer still allocates as zeros.
    let junk = Rng::new(9).tensor(&[1000], 1.0, 2.0);
    drop(gpu.copy_to_device(&junk).unwrap());
    let z = gpu.copy_to_host(&gpu.allocate(DataType::Float, vec![1000]).unwrap()).unwrap();
    assert!(z.data::<f32>().unwrap().iter().all(|v| *v == 0.0));
    let empty = gpu.copy_to_host(&gpu.copy_to_device(&Tensor::from_vec(vec![0, 3], Vec::<f32>::new()).unwrap()).unwrap()).unwrap();
    assert_eq!(empty.shape(), &[0, 3]);
    gpu.synchronize().unwrap();
}

#[test]
fn provider_identity_and_options() {
    let Some(gpu) = gpu() else { return };
    assert_eq!(gpu.name(), "WebGpuExecutionProvider");
    assert_eq!(gpu.device(), onnxrun_core::Device { kind: onnxrun_core::DeviceKind::WebGpu, id: 0 });
    assert_eq!(onnxrun_wgpu::probe().unwrap(), gpu.adapter());
    assert_eq!(gpu.options().get("deviceId").map(String::as_str), Some("0"));
    let bad = BTreeMap::from([("nonsense".to_string(), "1".to_string())]);
    let e = WgpuProvider::new(0, &bad).err().expect("unknown option");
    assert!(e.message.contains("nonsense"), "{e}");
    let e = WgpuProvider::new(99, &BTreeMap::new()).err().expect("no device 99");
    assert_eq!(e.code, onnxrun_core::ErrorCode::EpFail);
    assert!(e.message.contains("99"), "{e}");
    // Non-float nodes are left to the CPU.
    let a = Tensor::from_vec(vec![3], vec![1i64, 2, 3]).unwrap();
    let m = {
        let mut m = model(vec![node("Add", &["a", "a"], &["y"], vec![])], &[], &[], &["y"]);
        m.graph.inputs.push(onnxrun_core::ValueInfo {
            name: "a".into(),
            ty: Some(onnxrun_core::TypeInfo::Tensor { dtype: DataType::Int64, shape: None }),
            doc: String::new(),
        });
        m
    };
    let (out, assigned) = run(m, vec![gpu.clone(), cpu()], &[&a], 1);
    assert_eq!(assigned, vec![("Add".to_string(), "CPUExecutionProvider".to_string())]);
    assert_eq!(out[0].data::<i64>().unwrap(), &[2, 4, 6]);
}
