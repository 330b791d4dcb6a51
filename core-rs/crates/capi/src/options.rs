//! Session and run options from the JSON the bindings send (SessionOptions' camelCase
//! properties; see include/onnxrun.h).

use crate::handles;
use onnxrun_core::{bail, err, Result, Tensor};
use serde_json::Value as Json;
use std::collections::BTreeMap;

#[derive(Default, Debug)]
pub struct ParsedOptions {
    pub optimization_level: u32,
    pub intra_threads: usize,
    /// `interOpNumThreads`: the session's async-run workers (0: one per core).
    pub inter_threads: usize,
    pub enable_profiling: bool,
    pub profile_prefix: String,
    pub optimized_model_filepath: Option<String>,
    pub free_dims: Vec<(String, i64)>,
    pub providers: Vec<(String, BTreeMap<String, String>)>,
    pub disable_fallback: bool,
    pub initializers: Vec<(String, Tensor)>,
    pub config: BTreeMap<String, String>,
    /// `session.max_tensor_bytes`: this session's largest tensor, in bytes.
    pub max_tensor_bytes: Option<usize>,
    /// The process seed (`setSeed`) when one was set.
    pub seed: Option<u64>,
    /// The JSON as given, echoed back by getSessionOptions-style queries.
    pub raw: Json,
}

fn level(v: &Json) -> Result<u32> {
    Ok(match v {
        Json::Number(n) => match n.as_u64() {
            Some(l @ (0 | 1 | 2 | 99)) => l as u32,
            _ => bail!(InvalidArgument, "graphOptimizationLevel must be 0, 1, 2 or 99, got {n}"),
        },
        Json::String(s) => match s.as_str() {
            "ORT_DISABLE_ALL" | "disabled" => 0,
            "ORT_ENABLE_BASIC" | "basic" => 1,
            "ORT_ENABLE_EXTENDED" | "extended" => 2,
            "ORT_ENABLE_ALL" | "all" => 99,
            other => bail!(InvalidArgument, "unknown graphOptimizationLevel '{other}'"),
        },
        _ => bail!(InvalidArgument, "graphOptimizationLevel must be a number or a name"),
    })
}

fn string_map(v: &Json, what: &str) -> Result<BTreeMap<String, String>> {
    let mut m = BTreeMap::new();
    if let Json::Object(o) = v {
        for (k, v) in o {
            let s = match v {
                Json::String(s) => s.clone(),
                Json::Null => continue,
                other => other.to_string(),
            };
            m.insert(k.clone(), s);
        }
        Ok(m)
    } else if v.is_null() {
        Ok(m)
    } else {
        bail!(InvalidArgument, "{what} must be an object")
    }
}

fn thread_count(obj: &serde_json::Map<String, Json>, key: &str) -> Result<usize> {
    let Some(v) = obj.get(key) else { return Ok(0) };
    let n = v.as_i64().ok_or_else(|| err!(InvalidArgument, "{key} must be an integer"))?;
    if n < 0 {
        bail!(InvalidArgument, "{key} must be >= 0, got {n}");
    }
    Ok(n as usize)
}

pub fn parse_session_options(json: Option<&str>) -> Result<ParsedOptions> {
    let raw: Json = match json {
        None | Some("") => Json::Object(Default::default()),
        Some(s) => serde_json::from_str(s).map_err(|e| err!(InvalidArgument, "session options are not valid JSON: {e}"))?,
    };
    let mut o = ParsedOptions { optimization_level: 99, ..Default::default() };
    let obj = raw.as_object().ok_or_else(|| err!(InvalidArgument, "session options must be a JSON object"))?;
    if let Some(v) = obj.get("graphOptimizationLevel") {
        o.optimization_level = level(v)?;
    }
    o.intra_threads = thread_count(obj, "intraOpNumThreads")?;
    o.inter_threads = thread_count(obj, "interOpNumThreads")?;
    o.enable_profiling = obj.get("enableProfiling").and_then(|v| v.as_bool()).unwrap_or(false);
    o.profile_prefix = obj.get("profileFilePrefix").and_then(|v| v.as_str()).unwrap_or("onnxruntime_profile_").to_string();
    o.optimized_model_filepath = obj.get("optimizedModelFilepath").and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(String::from);
    o.config = string_map(obj.get("configEntries").unwrap_or(&Json::Null), "configEntries")?;
    if let Some(v) = obj.get("seed").filter(|v| !v.is_null()) {
        let s = v.as_i64().or_else(|| v.as_u64().map(|u| u as i64)).ok_or_else(|| err!(InvalidArgument, "seed must be an integer, got {v}"))?;
        o.seed = Some(s as u64);
    }
    if let Some(v) = o.config.get("session.max_tensor_bytes") {
        let n: usize = v.trim().parse().map_err(|_| err!(InvalidArgument, "config entry session.max_tensor_bytes must be a byte count, got '{v}'"))?;
        o.max_tensor_bytes = Some(n);
    }
    o.disable_fallback = obj.get("disableFallback").and_then(|v| v.as_bool()).unwrap_or(false)
        || o.config.get("session.disable_cpu_ep_fallback").map(|s| s == "1").unwrap_or(false);
    if let Some(Json::Object(fd)) = obj.get("freeDimensionOverrides") {
        for (k, v) in string_map(fd.get("byName").unwrap_or(&Json::Null), "freeDimensionOverrides.byName")? {
            o.free_dims.push((k, v.parse().map_err(|_| err!(InvalidArgument, "free dimension override must be an integer"))?));
        }
    }
    if let Some(ps) = obj.get("providers") {
        let arr = ps.as_array().ok_or_else(|| err!(InvalidArgument, "providers must be an array"))?;
        for p in arr {
            match p {
                Json::String(name) => o.providers.push((name.clone(), BTreeMap::new())),
                Json::Object(po) => {
                    let name = po.get("name").and_then(|n| n.as_str()).ok_or_else(|| err!(InvalidArgument, "provider entry needs a name"))?;
                    o.providers.push((name.to_string(), string_map(po.get("options").unwrap_or(&Json::Null), "provider options")?));
                }
                _ => bail!(InvalidArgument, "provider entries must be names or {{name, options}}"),
            }
        }
    }
    if let Some(inits) = obj.get("initializers") {
        for (name, h) in string_map(inits, "initializers")? {
            let id: u64 = h.parse().map_err(|_| err!(InvalidArgument, "initializer '{name}' must name a value handle"))?;
            let t = handles::value(id)?.value.as_tensor()?.to_owned_host()?;
            o.initializers.push((name, t));
        }
    }
    o.raw = raw;
    Ok(o)
}

pub struct ParsedRunOptions {
    pub terminate: Option<bool>,
    pub config: BTreeMap<String, String>,
}

pub fn parse_run_options(json: Option<&str>) -> Result<ParsedRunOptions> {
    let raw: Json = match json {
        None | Some("") => Json::Object(Default::default()),
        Some(s) => serde_json::from_str(s).map_err(|e| err!(InvalidArgument, "run options are not valid JSON: {e}"))?,
    };
    let obj = raw.as_object().ok_or_else(|| err!(InvalidArgument, "run options must be a JSON object"))?;
    let mut config = string_map(obj.get("configEntries").unwrap_or(&Json::Null), "configEntries")?;
    for key in ["logSeverityLevel", "logVerbosityLevel", "logid", "onlyExecutePathToFetches"] {
        if let Some(v) = obj.get(key) {
            config.insert(format!("run.{key}"), v.to_string());
        }
    }
    Ok(ParsedRunOptions { terminate: obj.get("terminate").and_then(|v| v.as_bool()), config })
}
