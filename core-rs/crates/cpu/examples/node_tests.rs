//! Developer runner for the ONNX backend node tests on the CPU provider, straight from
//! Rust (no FFI): `cargo run --release -p onnxrun-cpu --example node_tests -- [filter] [-v]`.
//! Reads `.cache/conformance/node/manifest.json` (made by scripts/gen_conformance.py).
//! The suite that gates `npm test` is tests/conformance/run.ts; this is for kernel work.

use onnxrun_core::load::{load_model_file, value_from_proto_bytes};
use onnxrun_core::{DataType, RunState, Session, SessionOptions, Tensor, Value};
use onnxrun_cpu::CpuProvider;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
    let root = find_root().join(".cache/conformance/node");
    let manifest: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(root.join("manifest.json")).expect("run scripts/gen_conformance.py first")).unwrap();
    let mut by_op: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut pass, mut fail) = (0, 0);
    for case in &manifest {
        let name = case["name"].as_str().unwrap();
        if !name.contains(&filter) {
            continue;
        }
        let op = case["op_type"].as_str().unwrap_or("?").to_string();
        let result = std::panic::catch_unwind(|| run_case(&root, case)).unwrap_or_else(|_| Err("PANIC".into()));
        let e = by_op.entry(op).or_default();
        match result {
            Ok(()) => {
                pass += 1;
                e.0 += 1;
                if verbose {
                    println!("PASS {name}");
                }
            }
            Err(msg) => {
                fail += 1;
                e.1 += 1;
                println!("FAIL {name}: {}", msg.chars().take(300).collect::<String>());
            }
        }
    }
    if verbose {
        for (op, (p, f)) in &by_op {
            println!("{op}: {p} passed, {f} failed");
        }
    }
    println!("node tests: {pass} passed, {fail} failed");
}

fn find_root() -> PathBuf {
    let mut d = std::env::current_dir().unwrap();
    while !d.join(".cache/conformance").exists() {
        if !d.pop() {
            panic!("no .cache/conformance above the current folder");
        }
    }
    d
}

fn kind_num(k: &str) -> i32 {
    match k {
        "tensor" => 1,
        "sequence" => 2,
        "map" => 3,
        _ => 4,
    }
}

fn run_case(root: &std::path::Path, case: &serde_json::Value) -> Result<(), String> {
    let model = load_model_file(&root.join(case["model"].as_str().unwrap())).map_err(|e| e.to_string())?;
    let opts = SessionOptions { providers: vec![Arc::new(CpuProvider::new(1))], optimization_level: 0, ..Default::default() };
    let sess = Session::new(model, opts).map_err(|e| e.to_string())?;
    let rtol = case["rtol"].as_f64().unwrap_or(1e-3);
    let atol = case["atol"].as_f64().unwrap_or(1e-7);
    for ds in case["datasets"].as_array().unwrap() {
        let mut feeds = Vec::new();
        for inp in ds["inputs"].as_array().unwrap() {
            let bytes = std::fs::read(root.join(inp["file"].as_str().unwrap())).unwrap();
            let v = value_from_proto_bytes(&bytes, kind_num(inp["kind"].as_str().unwrap())).map_err(|e| e.to_string())?;
            let name = inp["name"].as_str().unwrap();
            let idx = sess.inputs.iter().chain(&sess.overridable).position(|vi| vi.name == name).ok_or(format!("no input {name}"))?;
            feeds.push((idx, v));
        }
        let fetches: Vec<usize> = (0..sess.outputs.len()).collect();
        let outs = sess.run(feeds, &fetches, &RunState::default()).map_err(|e| e.to_string())?;
        for (i, exp) in ds["outputs"].as_array().unwrap().iter().enumerate() {
            let bytes = std::fs::read(root.join(exp["file"].as_str().unwrap())).unwrap();
            let want = value_from_proto_bytes(&bytes, kind_num(exp["kind"].as_str().unwrap())).map_err(|e| e.to_string())?;
            compare(&outs[i], &want, rtol, atol).map_err(|m| format!("output {i} ({}): {m}", exp["name"]))?;
        }
    }
    Ok(())
}

fn compare(got: &Value, want: &Value, rtol: f64, atol: f64) -> Result<(), String> {
    match (got, want) {
        (Value::Tensor(g), Value::Tensor(w)) => compare_tensor(g, w, rtol, atol),
        (Value::Sequence { items: g, .. }, Value::Sequence { items: w, .. }) => {
            if g.len() != w.len() {
                return Err(format!("sequence length {} != {}", g.len(), w.len()));
            }
            g.iter().zip(w).try_for_each(|(a, b)| compare(a, b, rtol, atol))
        }
        (Value::Optional { value: g, .. }, Value::Optional { value: w, .. }) => match (g, w) {
            (None, None) => Ok(()),
            (Some(a), Some(b)) => compare(a, b, rtol, atol),
            _ => Err("optional presence differs".into()),
        },
        (g, Value::Optional { value: Some(w), .. }) => compare(g, w, rtol, atol),
        (g, w) => Err(format!("kind differs: got {} want {}", g.type_info().type_string(), w.type_info().type_string())),
    }
}

fn compare_tensor(g: &Tensor, w: &Tensor, rtol: f64, atol: f64) -> Result<(), String> {
    if g.dtype() != w.dtype() {
        return Err(format!("dtype {} != {}", g.dtype(), w.dtype()));
    }
    if g.shape() != w.shape() {
        return Err(format!("shape {:?} != {:?}", g.shape(), w.shape()));
    }
    match g.dtype() {
        DataType::String => {
            if g.strings().unwrap() != w.strings().unwrap() {
                return Err(format!("strings differ: {:?} vs {:?}", &g.strings().unwrap()[..g.len().min(5)], &w.strings().unwrap()[..w.len().min(5)]));
            }
            Ok(())
        }
        DataType::Float | DataType::Double | DataType::Float16 | DataType::Bfloat16 => {
            let (a, b) = (g.to_f64_vec().unwrap(), w.to_f64_vec().unwrap());
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                let ok = (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= atol + rtol * y.abs();
                if !ok {
                    return Err(format!("element {i}: got {x}, want {y}"));
                }
            }
            Ok(())
        }
        DataType::Complex64 | DataType::Complex128 => {
            let (ga, wa) = (g.bytes().unwrap(), w.bytes().unwrap());
            let conv = |b: &[u8], d: DataType| -> Vec<f64> {
                if d == DataType::Complex64 {
                    b.chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64).collect()
                } else {
                    b.chunks(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
                }
            };
            let (a, b) = (conv(ga, g.dtype()), conv(wa, w.dtype()));
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                if !((x - y).abs() <= atol + rtol * y.abs()) {
                    return Err(format!("component {i}: got {x}, want {y}"));
                }
            }
            Ok(())
        }
        _ => {
            if g.bytes().unwrap() != w.bytes().unwrap() {
                let a = g.bytes().unwrap();
                let b = w.bytes().unwrap();
                let i = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(0);
                return Err(format!("bytes differ at byte {i}: got {:?}, want {:?}", &a[i..(i + 8).min(a.len())], &b[i..(i + 8).min(b.len())]));
            }
            Ok(())
        }
    }
}
