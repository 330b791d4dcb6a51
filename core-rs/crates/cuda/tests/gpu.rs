//! GPU-only: each test returns early (printing why) when `probe()` finds no usable CUDA
//! device, and runs in full on an NVIDIA machine. References are computed here from the
//! ONNX definitions, except the MLP, which is compared with the CPU provider.

mod support;

use onnxrun_core::load::load_model_file;
use onnxrun_core::{Attribute, DataType, ErrorCode, ExecutionProvider, RunState, Tensor, Value};
use onnxrun_cuda::{CudaBuffer, CudaProvider, CUDA_PROVIDER};
use std::collections::BTreeMap;
use std::sync::Arc;
use support::*;

/// Runs `op` on CUDA alone (plus CPU as fallback, which must not be used) and returns y.
fn on_cuda(op: &str, attrs: Vec<(&str, Attribute)>, inputs: Vec<Tensor>) -> Tensor {
    let model = one_node(op, inputs.len(), attrs, 13);
    let s = session(model, vec![cuda(), cpu()]);
    for (o, p) in s.assignments() {
        assert_eq!(p, CUDA_PROVIDER, "{o} ran on {p}");
    }
    run(&s, inputs).remove(0)
}

fn assert_close(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = (g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= tol * (1.0 + w.abs());
        assert!(ok, "{what}: element {i}: got {g}, want {w}");
    }
}

/// out[i] of numpy broadcasting, computed naively.
fn broadcast_ref(a: &[f32], ash: &[usize], b: &[f32], bsh: &[usize], f: fn(f32, f32) -> f32) -> (Vec<usize>, Vec<f32>) {
    let r = ash.len().max(bsh.len());
    let pad = |s: &[usize]| {
        let mut v = vec![1; r - s.len()];
        v.extend_from_slice(s);
        v
    };
    let (pa, pb) = (pad(ash), pad(bsh));
    let out: Vec<usize> = (0..r).map(|d| pa[d].max(pb[d])).collect();
    let n: usize = out.iter().product();
    let index = |shape: &[usize], idx: &[usize]| {
        let mut off = 0;
        for d in 0..r {
            off = off * shape[d] + if shape[d] == 1 { 0 } else { idx[d] };
        }
        off
    };
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let mut idx = vec![0; r];
        let mut rem = i;
        for d in (0..r).rev() {
            idx[d] = rem % out[d];
            rem /= out[d];
        }
        y.push(f(a[index(&pa, &idx)], b[index(&pb, &idx)]));
    }
    (out, y)
}

#[test]
fn mlp_on_cuda_matches_cpu() {
    need_gpu!();
    let model = load_model_file(&mlp_path()).expect("mlp fixture");
    let gpu = session(model.clone(), vec![cuda(), cpu()]);
    let host = session(model, vec![cpu()]);
    for (op, p) in gpu.assignments() {
        assert_eq!(p, CUDA_PROVIDER, "{op} should run on CUDA");
    }
    for batch in [1usize, 8, 64] {
        let x = tensor(&[batch, 256], values(batch * 256, batch as u64));
        let want = f32s(&run(&host, vec![x.clone()])[0]);
        let got = run(&gpu, vec![x]);
        assert_eq!(got[0].shape(), &[batch, 10]);
        assert!(got[0].is_host(), "outputs come back to the host");
        let d = max_diff(&f32s(&got[0]), &want);
        eprintln!("mlp batch {batch}: max |cuda - cpu| = {d:e}");
        assert!(d <= 1e-4, "batch {batch}: max diff {d}");
    }
}

#[test]
fn binary_ops_broadcast() {
    need_gpu!();
    let shapes: &[(&[usize], &[usize])] = &[
        (&[2, 3, 4], &[2, 3, 4]),
        (&[64, 512], &[512]),
        (&[3, 1, 5], &[1, 4, 1]),
        (&[2, 3, 4, 5], &[3, 1, 5]),
        (&[], &[7]),
        (&[6, 1], &[1, 7]),
        (&[2, 1, 3, 1, 4], &[1, 5, 1, 6, 1]),
        (&[0, 3], &[3]),
        (&[1000, 37], &[1000, 1]),
    ];
    type Op = fn(f32, f32) -> f32;
    let ops: [(&str, Op); 4] = [("Add", |a, b| a + b), ("Sub", |a, b| a - b), ("Mul", |a, b| a * b), ("Div", |a, b| a / b)];
    for (op, f) in ops {
        for (ash, bsh) in shapes {
            let a = values(ash.iter().product(), 1);
            let b = values(bsh.iter().product(), 2);
            let (shape, want) = broadcast_ref(&a, ash, &b, bsh, f);
            let y = on_cuda(op, vec![], vec![tensor(ash, a), tensor(bsh, b)]);
            assert_eq!(y.shape(), shape.as_slice(), "{op} {ash:?} {bsh:?}");
            // Single IEEE operations: bit-exact with the host.
            assert_eq!(f32s(&y), want, "{op} {ash:?} {bsh:?}");
        }
    }
}

#[test]
fn division_by_zero_and_special_values() {
    need_gpu!();
    let a = vec![1.0, -1.0, 0.0, f32::INFINITY, f32::NAN, 3.0];
    let b = vec![0.0, 0.0, 0.0, 2.0, 1.0, -0.0];
    let y = f32s(&on_cuda("Div", vec![], vec![tensor(&[6], a.clone()), tensor(&[6], b.clone())]));
    let want: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x / y).collect();
    assert_eq!(max_diff(&y, &want), 0.0, "{y:?} vs {want:?}");
}

#[test]
fn activations() {
    need_gpu!();
    let mut x = values(4099, 3).into_iter().map(|v| v * 20.0).collect::<Vec<f32>>();
    x.extend([0.0, -0.0, 1e-30, -1e-30, 88.0, -88.0, 100.0, -100.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN]);
    let n = x.len();
    let relu = f32s(&on_cuda("Relu", vec![], vec![tensor(&[n], x.clone())]));
    let want: Vec<f32> = x.iter().map(|&v| if v < 0.0 { 0.0 } else { v }).collect();
    assert_eq!(max_diff(&relu, &want), 0.0);
    let sig = f32s(&on_cuda("Sigmoid", vec![], vec![tensor(&[n], x.clone())]));
    let want: Vec<f32> = x.iter().map(|&v| (1.0 / (1.0 + (-(v as f64)).exp())) as f32).collect();
    assert_close(&sig, &want, 1e-6, "Sigmoid");
    let th = f32s(&on_cuda("Tanh", vec![], vec![tensor(&[n], x.clone())]));
    let want: Vec<f32> = x.iter().map(|&v| (v as f64).tanh() as f32).collect();
    assert_close(&th, &want, 1e-6, "Tanh");
}

/// Row-major matmul in f64, with each element's Σ|a·b| (the scale of its rounding error).
fn naive_matmul(a: &[f32], b: &[f32], m: usize, n: usize, k: usize) -> (Vec<f32>, Vec<f32>) {
    let (mut y, mut mag) = (vec![0.0f32; m * n], vec![0.0f32; m * n]);
    for i in 0..m {
        for j in 0..n {
            let terms = (0..k).map(|l| a[i * k + l] as f64 * b[l * n + j] as f64);
            y[i * n + j] = terms.clone().sum::<f64>() as f32;
            mag[i * n + j] = terms.map(f64::abs).sum::<f64>() as f32;
        }
    }
    (y, mag)
}

/// f32 dot products of length K differ from exact by well under K·eps·Σ|terms|.
fn assert_dot_close(got: &[f32], want: &[f32], mag: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for i in 0..got.len() {
        let tol = 1e-5 * mag[i] + 1e-6;
        assert!((got[i] - want[i]).abs() <= tol, "{what}: element {i}: got {}, want {} (tolerance {tol})", got[i], want[i]);
    }
}

#[test]
fn matmul_shapes() {
    need_gpu!();
    let cases: &[(&[usize], &[usize])] = &[
        (&[3, 4], &[4, 5]),
        (&[4], &[4, 5]),
        (&[3, 4], &[4]),
        (&[4], &[4]),
        (&[2, 3, 4], &[4, 5]),
        (&[3, 4], &[2, 4, 5]),
        (&[2, 3, 4], &[2, 4, 5]),
        (&[2, 1, 3, 4], &[1, 3, 4, 5]),
        (&[1, 2, 3, 4], &[2, 1, 4, 5]),
        (&[130, 257], &[257, 129]),
        (&[3, 0], &[0, 5]),
    ];
    for (ash, bsh) in cases {
        let a = values(ash.iter().product(), 4);
        let b = values(bsh.iter().product(), 5);
        let y = on_cuda("MatMul", vec![], vec![tensor(ash, a.clone()), tensor(bsh, b.clone())]);
        // Reference: expand both to [batch.., M, K] x [batch.., K, N] by broadcasting.
        let a2: Vec<usize> = if ash.len() == 1 { vec![1, ash[0]] } else { ash.to_vec() };
        let b2: Vec<usize> = if bsh.len() == 1 { vec![bsh[0], 1] } else { bsh.to_vec() };
        let (m, k, n) = (a2[a2.len() - 2], a2[a2.len() - 1], b2[b2.len() - 1]);
        let (ba, bb) = (&a2[..a2.len() - 2], &b2[..b2.len() - 2]);
        let ia: Vec<f32> = (0..ba.iter().product::<usize>()).map(|i| i as f32).collect();
        let ib: Vec<f32> = (0..bb.iter().product::<usize>()).map(|i| i as f32).collect();
        // Which A and B matrix each output batch uses: broadcast their matrix indices.
        let (ba, bb): (&[usize], &[usize]) = (if ba.is_empty() { &[1] } else { ba }, if bb.is_empty() { &[1] } else { bb });
        let (_, pick_a) = broadcast_ref(&ia, ba, &ib, bb, |x, _| x);
        let (_, pick_b) = broadcast_ref(&ia, ba, &ib, bb, |_, z| z);
        let (mut want, mut mag) = (Vec::new(), Vec::new());
        for (x, z) in pick_a.iter().zip(&pick_b) {
            let (x, z) = (*x as usize, *z as usize);
            let (w, g) = naive_matmul(&a[x * m * k..][..m * k], &b[z * k * n..][..k * n], m, n, k);
            want.extend(w);
            mag.extend(g);
        }
        assert_eq!(y.len(), want.len(), "{ash:?} x {bsh:?}");
        assert_dot_close(&f32s(&y), &want, &mag, &format!("MatMul {ash:?} x {bsh:?}"));
    }
}

#[test]
fn gemm_attributes_and_bias_shapes() {
    need_gpu!();
    let (m, n, k) = (33, 17, 65);
    let c_shapes: &[&[usize]] = &[&[], &[1], &[17], &[1, 17], &[33, 1], &[33, 17]];
    for (ta, tb) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
        for (alpha, beta) in [(1.0f32, 1.0f32), (0.5, 2.0), (1.0, 0.0)] {
            for cs in c_shapes {
                let ash: Vec<usize> = if ta == 1 { vec![k, m] } else { vec![m, k] };
                let bsh: Vec<usize> = if tb == 1 { vec![n, k] } else { vec![k, n] };
                let (a, b, c) = (values(m * k, 6), values(k * n, 7), values(cs.iter().product(), 8));
                let at = |i: usize, l: usize| if ta == 1 { a[l * m + i] } else { a[i * k + l] };
                let bt = |l: usize, j: usize| if tb == 1 { b[j * k + l] } else { b[l * n + j] };
                let ct = |i: usize, j: usize| match cs.len() {
                    0 => c[0],
                    1 => c[if cs[0] == 1 { 0 } else { j }],
                    _ => c[(if cs[0] == 1 { 0 } else { i }) * cs[1] + if cs[1] == 1 { 0 } else { j }],
                };
                let (mut want, mut mag) = (vec![0.0f32; m * n], vec![0.0f32; m * n]);
                for i in 0..m {
                    for j in 0..n {
                        let s: f64 = (0..k).map(|l| at(i, l) as f64 * bt(l, j) as f64).sum();
                        let g: f64 = (0..k).map(|l| (at(i, l) as f64 * bt(l, j) as f64).abs()).sum();
                        want[i * n + j] = (alpha as f64 * s + beta as f64 * ct(i, j) as f64) as f32;
                        mag[i * n + j] = (alpha.abs() as f64 * g + (beta as f64 * ct(i, j) as f64).abs()) as f32;
                    }
                }
                let attrs =
                    vec![("alpha", Attribute::Float(alpha)), ("beta", Attribute::Float(beta)), ("transA", Attribute::Int(ta)), ("transB", Attribute::Int(tb))];
                let y = on_cuda("Gemm", attrs, vec![tensor(&ash, a.clone()), tensor(&bsh, b.clone()), tensor(cs, c.clone())]);
                assert_eq!(y.shape(), &[m, n]);
                assert_dot_close(&f32s(&y), &want, &mag, &format!("Gemm transA={ta} transB={tb} alpha={alpha} beta={beta} C{cs:?}"));
            }
        }
    }
}

#[test]
fn gemm_without_c_and_with_empty_k() {
    need_gpu!();
    let (a, b) = (values(12, 9), values(20, 10));
    let y = on_cuda("Gemm", vec![], vec![tensor(&[3, 4], a.clone()), tensor(&[4, 5], b.clone())]);
    let (want, mag) = naive_matmul(&a, &b, 3, 5, 4);
    assert_dot_close(&f32s(&y), &want, &mag, "Gemm without C");
    let y = on_cuda("Gemm", vec![("beta", Attribute::Float(2.0))], vec![tensor(&[3, 0], vec![]), tensor(&[0, 5], vec![]), tensor(&[5], vec![1.0; 5])]);
    assert_eq!(f32s(&y), vec![2.0; 15], "K = 0 leaves beta * C");
}

#[test]
fn copies_round_trip_and_allocate_zeroes() {
    need_gpu!();
    let p = CudaProvider::new(0, &BTreeMap::new()).unwrap();
    for shape in [vec![], vec![0], vec![5], vec![3, 1000, 7]] {
        let n: usize = shape.iter().product();
        let host = tensor(&shape, values(n, 11));
        let dev = p.copy_to_device(&host).unwrap();
        assert!(!dev.is_host());
        assert_eq!(dev.device(), p.device());
        assert!(CudaBuffer::of(&dev).is_some());
        let back = p.copy_to_host(&dev).unwrap();
        assert_eq!(back.shape(), host.shape());
        assert_eq!(f32s(&back), f32s(&host));
    }
    let z = p.allocate(DataType::Int64, vec![4, 4]).unwrap();
    assert_eq!(p.copy_to_host(&z).unwrap().data::<i64>().unwrap(), &[0i64; 16]);
    let s = Tensor::from_strings(vec![1], vec!["x".into()]).unwrap();
    assert_eq!(p.copy_to_device(&s).unwrap_err().code, ErrorCode::NotImplemented);
    p.synchronize().unwrap();
}

#[test]
fn memory_limit_and_accounting() {
    need_gpu!();
    let opts: BTreeMap<String, String> = [("gpu_mem_limit".to_string(), "4096".to_string())].into();
    let p = CudaProvider::new(0, &opts).unwrap();
    let t = p.allocate(DataType::Float, vec![1024]).unwrap();
    assert_eq!(p.bytes_in_use(), 4096);
    let e = p.allocate(DataType::Float, vec![1]).unwrap_err();
    assert_eq!(e.code, ErrorCode::RuntimeException);
    assert!(e.message.contains("gpu_mem_limit"), "{}", e.message);
    drop(t);
    assert_eq!(p.bytes_in_use(), 0);
    p.allocate(DataType::Float, vec![1024]).unwrap();
}

#[test]
fn kernels_are_cached_on_disk() {
    need_gpu!();
    let p = CudaProvider::new(0, &BTreeMap::new()).unwrap();
    eprintln!("kernels from: {}", p.kernel_origin());
    // The first provider of the process compiled them or read the cache; either way
    // the cache file exists now for the next process.
    let dir = onnxrun_cuda::nvrtc::cache_dir().unwrap();
    let found = std::fs::read_dir(&dir).map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("kernels-sm"))).unwrap_or(false);
    assert!(found, "no kernel cache in {}", dir.display());
}

#[test]
fn sessions_run_concurrently_on_one_device() {
    need_gpu!();
    let model = load_model_file(&mlp_path()).expect("mlp fixture");
    let s = Arc::new(session(model, vec![cuda(), cpu()]));
    let x = tensor(&[16, 256], values(16 * 256, 12));
    let want = f32s(&run(&s, vec![x.clone()])[0]);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (s, x, want) = (s.clone(), x.clone(), want.clone());
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let out = s.run(vec![(0, Value::Tensor(x.clone()))], &[0], &RunState::default()).unwrap();
                    assert_eq!(f32s(out[0].as_tensor().unwrap()), want);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn provider_reports_itself() {
    need_gpu!();
    let p = CudaProvider::new(0, &BTreeMap::new()).unwrap();
    assert_eq!(p.name(), CUDA_PROVIDER);
    assert_eq!(p.options()["device_id"], "0");
    assert!(!p.device_name().is_empty());
    let e = CudaProvider::new(999, &BTreeMap::new()).unwrap_err();
    assert_eq!(e.code, ErrorCode::EpFail);
    assert!(e.message.contains("device_id 999"), "{}", e.message);
}
