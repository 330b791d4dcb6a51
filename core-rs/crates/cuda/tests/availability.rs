//! Runs everywhere: without a GPU the provider must say why, never panic, and refuse
//! cleanly; options are checked before any device is touched.

mod support;

use onnxrun_core::load::load_model_file;
use onnxrun_core::{ErrorCode, ExecutionProvider, Session, SessionOptions};
use onnxrun_cuda::{cuda_registry, device_count, probe, CudaOptions, CudaProvider, CUDA_PROVIDER};
use std::collections::BTreeMap;
use std::sync::Arc;

fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn probe_gives_a_reason_or_a_device_and_is_stable() {
    let first = probe();
    // Concurrent first calls from several threads see the same cached answer.
    let others: Vec<_> = (0..4).map(|_| std::thread::spawn(probe)).collect();
    for h in others {
        assert_eq!(h.join().expect("probe must not panic"), first);
    }
    match &first {
        Ok(desc) => {
            assert!(desc.contains("CUDA device"), "{desc}");
            assert!(device_count() >= 1);
        }
        Err(reason) => {
            eprintln!("no CUDA here: {reason}");
            assert!(!reason.is_empty());
            assert!(!reason.contains("bindings failed"), "probe fell back on a caught panic: {reason}");
            assert_eq!(device_count(), 0);
        }
    }
}

#[test]
fn provider_creation_fails_cleanly_without_cuda() {
    let r = CudaProvider::new(0, &BTreeMap::new());
    match probe() {
        Ok(_) => {
            let p = r.expect("a usable device gives a provider");
            assert_eq!(p.name(), CUDA_PROVIDER);
        }
        Err(reason) => {
            let e = r.expect_err("no device, no provider");
            assert_eq!(e.code, ErrorCode::EpFail, "{e}");
            assert!(e.message.starts_with("CUDAExecutionProvider is not available: "), "{}", e.message);
            assert!(e.message.contains(&reason), "{}", e.message);
        }
    }
}

#[test]
fn session_with_cuda_requested_is_a_clean_error_without_cuda() {
    if probe().is_ok() {
        eprintln!("skipped: this machine has CUDA (tests/gpu.rs covers sessions on it)");
        return;
    }
    let model = load_model_file(&support::mlp_path()).expect("mlp fixture loads");
    // The caller's path: build the providers, then the session. It stops at the provider.
    let created = CudaProvider::new(0, &opts(&[("device_id", "0")])).map(|p| {
        let providers: Vec<Arc<dyn ExecutionProvider>> = vec![Arc::new(p), support::cpu()];
        Session::new(model.clone(), SessionOptions { providers, ..Default::default() })
    });
    let e = match created {
        Err(e) => e,
        Ok(_) => panic!("no CUDA provider without CUDA"),
    };
    assert_eq!(e.code, ErrorCode::EpFail);
    assert!(e.message.contains("CUDAExecutionProvider is not available"), "{}", e.message);
}

#[test]
fn options_are_checked_before_the_device() {
    let bad = |pairs: &[(&str, &str)]| CudaProvider::new(0, &opts(pairs)).expect_err("bad option refused");
    let e = bad(&[("no_such_option", "1")]);
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert!(e.message.contains("unknown CUDA provider option 'no_such_option'"), "{}", e.message);
    assert_eq!(bad(&[("device_id", "1")]).code, ErrorCode::InvalidArgument);
    assert_eq!(bad(&[("device_id", "zero")]).code, ErrorCode::InvalidArgument);
    assert_eq!(bad(&[("use_tf32", "maybe")]).code, ErrorCode::InvalidArgument);
    assert_eq!(bad(&[("gpu_mem_limit", "-5")]).code, ErrorCode::InvalidArgument);
    assert_eq!(bad(&[("cudnn_conv_algo_search", "FASTEST")]).code, ErrorCode::InvalidArgument);
    assert_eq!(bad(&[("enable_cuda_graph", "1")]).code, ErrorCode::NotImplemented);
}

#[test]
fn options_parse_and_report_like_onnx_runtime() {
    let o = CudaOptions::parse(
        0,
        &opts(&[
            ("device_id", "0"),
            ("gpu_mem_limit", "2147483648"),
            ("arena_extend_strategy", "kSameAsRequested"),
            ("cudnn_conv_algo_search", "HEURISTIC"),
            ("do_copy_in_default_stream", "true"),
            ("use_tf32", "0"),
            ("enable_cuda_graph", "0"),
        ]),
    )
    .expect("ORT's documented example options parse");
    assert_eq!(o.gpu_mem_limit, 2 << 30);
    let m = o.to_map();
    assert_eq!(m["device_id"], "0");
    assert_eq!(m["gpu_mem_limit"], "2147483648");
    assert_eq!(m["arena_extend_strategy"], "kSameAsRequested");
    assert_eq!(m["cudnn_conv_algo_search"], "HEURISTIC");
    assert_eq!(m["do_copy_in_default_stream"], "1");
    assert_eq!(m["use_tf32"], "0");
    assert_eq!(m["enable_cuda_graph"], "0");
    let d = CudaOptions::parse(3, &BTreeMap::new()).expect("defaults").to_map();
    assert_eq!(d["device_id"], "3");
    assert_eq!(d["gpu_mem_limit"], usize::MAX.to_string());
}

#[test]
fn registry_holds_the_f32_kernels() {
    let r = cuda_registry();
    let ops: Vec<String> = r.ops().into_iter().map(|(_, op)| op).collect();
    for op in ["Add", "Div", "Gemm", "MatMul", "Mul", "Relu", "Sigmoid", "Sub", "Tanh"] {
        assert!(ops.contains(&op.to_string()), "{op} missing from {ops:?}");
    }
    use onnxrun_core::DataType::{Double, Float};
    assert!(r.find("", "MatMul", 13, &[Some(Float), Some(Float)]).is_some());
    assert!(r.find("", "MatMul", 13, &[Some(Double), Some(Double)]).is_none(), "only f32 is claimed");
    assert!(r.find("", "Add", 13, &[Some(Float), None]).is_none(), "unknown types stay on the CPU");
    assert!(r.find("", "Add", 6, &[Some(Float), Some(Float)]).is_none(), "legacy broadcast attributes stay on the CPU");
    assert!(r.find("", "Gemm", 13, &[Some(Float), Some(Float), Some(Float)]).is_some());
}
