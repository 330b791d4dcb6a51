//! scikit-learn models and single ai.onnx.ml nodes against onnxruntime's outputs, from
//! `.cache/sklearn` (made by `.venv/bin/python scripts/make_sklearn_models.py`; see that
//! script for the file format). Labels and other integers/strings must match exactly,
//! floats to 1e-5 (absolute, plus 1e-5 relative for large values).
//!
//! A missing folder fails the test (set ONNXRUN_SKIP_SKLEARN=1 to skip it on purpose).

use onnxrun_core::load::load_model_file;
use onnxrun_core::{MapValue, RunState, Session, SessionOptions, Tensor, Value};
use onnxrun_cpu::CpuProvider;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const TOL: f64 = 1e-5;

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../.cache/sklearn")
}

fn num(v: &Json) -> f64 {
    match v {
        Json::String(s) if s == "nan" => f64::NAN,
        Json::String(s) if s == "inf" => f64::INFINITY,
        Json::String(s) if s == "-inf" => f64::NEG_INFINITY,
        Json::Bool(b) => f64::from(u8::from(*b)),
        v => v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")),
    }
}

fn tensor(dtype: &str, shape: Vec<usize>, data: &[Json]) -> Tensor {
    match dtype {
        "float32" => Tensor::from_vec(shape, data.iter().map(|v| num(v) as f32).collect()).unwrap(),
        "float64" => Tensor::from_vec(shape, data.iter().map(num).collect()).unwrap(),
        "int64" => Tensor::from_vec(shape, data.iter().map(|v| v.as_i64().unwrap()).collect()).unwrap(),
        "int32" => Tensor::from_vec(shape, data.iter().map(|v| v.as_i64().unwrap() as i32).collect()).unwrap(),
        "bool" => Tensor::from_vec(shape, data.iter().map(|v| v.as_bool().unwrap()).collect()).unwrap(),
        "string" => Tensor::from_strings(shape, data.iter().map(|v| v.as_str().unwrap().to_string()).collect()).unwrap(),
        d => panic!("unknown dtype {d}"),
    }
}

fn input_value(j: &Json) -> Value {
    match j["kind"].as_str().unwrap() {
        "tensor" => {
            let shape = j["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
            Value::Tensor(tensor(j["dtype"].as_str().unwrap(), shape, j["data"].as_array().unwrap()))
        }
        "map" => {
            let keys = j["keys"].as_array().unwrap();
            let vals = j["values"].as_array().unwrap();
            Value::Map(MapValue {
                keys: tensor(j["key_dtype"].as_str().unwrap(), vec![keys.len()], keys),
                values: Box::new(Value::Tensor(tensor(j["value_dtype"].as_str().unwrap(), vec![vals.len()], vals))),
            })
        }
        k => panic!("unknown input kind {k}"),
    }
}

fn close(got: f64, want: f64) -> bool {
    (got.is_nan() && want.is_nan()) || got == want || (got - want).abs() <= TOL * (1.0 + want.abs())
}

fn compare_tensor(got: &Tensor, want: &Json) -> Result<(), String> {
    let shape: Vec<usize> = want["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    if got.shape() != shape.as_slice() {
        return Err(format!("shape {:?}, want {shape:?}", got.shape()));
    }
    let data = want["data"].as_array().unwrap();
    match want["dtype"].as_str().unwrap() {
        "string" => {
            let g = got.strings().map_err(|e| e.to_string())?;
            for (i, (a, b)) in g.iter().zip(data).enumerate() {
                if a != b.as_str().unwrap() {
                    return Err(format!("element {i}: {a:?}, want {b}"));
                }
            }
        }
        "float32" | "float64" => {
            let g = got.to_f64_vec().map_err(|e| e.to_string())?;
            for (i, (a, b)) in g.iter().zip(data).enumerate() {
                if !close(*a, num(b)) {
                    return Err(format!("element {i}: {a}, want {}", num(b)));
                }
            }
        }
        _ => {
            let g = got.to_i64_vec().map_err(|e| e.to_string())?;
            for (i, (a, b)) in g.iter().zip(data).enumerate() {
                if *a != b.as_i64().unwrap() {
                    return Err(format!("element {i}: {a}, want {b}"));
                }
            }
        }
    }
    Ok(())
}

fn compare(got: &Value, want: &Json) -> Result<(), String> {
    match (want["kind"].as_str().unwrap(), got) {
        ("tensor", Value::Tensor(t)) => compare_tensor(t, want),
        ("seq_map", Value::Sequence { items, .. }) => {
            let maps = want["maps"].as_array().unwrap();
            if items.len() != maps.len() {
                return Err(format!("{} maps, want {}", items.len(), maps.len()));
            }
            for (r, (item, w)) in items.iter().zip(maps).enumerate() {
                let Value::Map(m) = item else { return Err(format!("item {r} is not a map")) };
                let keys = w["keys"].as_array().unwrap();
                let key_t = tensor(want["key_dtype"].as_str().unwrap(), vec![keys.len()], keys);
                let keys_match = match want["key_dtype"].as_str().unwrap() {
                    "string" => m.keys.strings().ok() == key_t.strings().ok(),
                    _ => m.keys.to_i64_vec().ok() == key_t.to_i64_vec().ok(),
                };
                if !keys_match {
                    return Err(format!("map {r}: keys differ"));
                }
                let vals = m.values.as_tensor().map_err(|e| e.to_string())?.to_f64_vec().map_err(|e| e.to_string())?;
                for (k, (a, b)) in vals.iter().zip(w["values"].as_array().unwrap()).enumerate() {
                    if !close(*a, num(b)) {
                        return Err(format!("map {r} entry {k}: {a}, want {}", num(b)));
                    }
                }
            }
            Ok(())
        }
        (k, g) => Err(format!("got {}, want a {k}", g.type_info().type_string())),
    }
}

fn run_case(dir: &Path, case: &Json) -> Result<(), String> {
    let model = load_model_file(&dir.join(case["model"].as_str().unwrap())).map_err(|e| e.to_string())?;
    let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(2))], ..Default::default() }).map_err(|e| e.to_string())?;
    let mut feeds = Vec::new();
    for inp in case["inputs"].as_array().unwrap() {
        let name = inp["name"].as_str().unwrap();
        let idx = sess.inputs.iter().position(|vi| vi.name == name).ok_or(format!("no input '{name}'"))?;
        feeds.push((idx, input_value(inp)));
    }
    let fetch: Vec<usize> = (0..sess.outputs.len()).collect();
    let outs = sess.run(feeds, &fetch, &RunState::default()).map_err(|e| e.to_string())?;
    for (i, want) in case["outputs"].as_array().unwrap().iter().enumerate() {
        compare(&outs[i], want).map_err(|m| format!("output {i} ({}): {m}", want["name"]))?;
    }
    Ok(())
}

#[test]
fn sklearn_models_match_onnxruntime() {
    let dir = folder();
    if !dir.is_dir() {
        if std::env::var("ONNXRUN_SKIP_SKLEARN").as_deref() == Ok("1") {
            eprintln!("skipping: {} is missing and ONNXRUN_SKIP_SKLEARN=1", dir.display());
            return;
        }
        panic!(
            "{} is missing: run `.venv/bin/python scripts/make_sklearn_models.py` from the repo root \
             (after `bash scripts/setup-python.sh`), or set ONNXRUN_SKIP_SKLEARN=1 to skip this test",
            dir.display()
        );
    }
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    names.sort();
    assert!(!names.is_empty(), "{} holds no cases; rerun scripts/make_sklearn_models.py", dir.display());
    let mut failures = Vec::new();
    for path in &names {
        let case: Json = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if let Err(e) = run_case(&dir, &case) {
            failures.push(format!("{name}: {}", e.chars().take(400).collect::<String>()));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ from onnxruntime:\n{}", failures.len(), names.len(), failures.join("\n"));
    eprintln!("{} sklearn/ai.onnx.ml cases match onnxruntime", names.len());
}
