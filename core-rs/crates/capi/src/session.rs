//! Sessions across the boundary: create (path or bytes), describe, run (sync or as a job),
//! profile, free.

use crate::ffi::{c_str, opt_c_str, out, slice, wrap, wrap_str};
use crate::handles::{self, Entry};
use crate::jobs::{self, Prepared};
use crate::options::{parse_session_options, ParsedOptions};
use crate::pool::{threads_for, Pool};
use crate::providers::session_providers;
use crate::values::ValueEntry;
use onnxrun_core::load::{load_model_bytes, load_model_file, LoadContext};
use onnxrun_core::tensor::with_tensor_limit;
use onnxrun_core::{bail, ensure, Dim, Model, Result, RunState, Session, SessionOptions, TypeInfo, Value, ValueInfo};
use serde_json::{json, Value as Json};
use std::ffi::c_char;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct SessionEntry {
    pub session: Session,
    pub info: String,
    /// Runs this session's async jobs.
    pub pool: Pool,
}

fn node_arg(v: &ValueInfo) -> Json {
    let (ty, shape, elem) = match &v.ty {
        Some(t) => {
            let shape = match t.shape() {
                Some(dims) => Json::Array(
                    dims.iter()
                        .map(|d| match d {
                            Dim::Known(k) => json!(k),
                            Dim::Symbolic(s) => json!(s),
                            Dim::Unknown => Json::Null,
                        })
                        .collect(),
                ),
                None if matches!(t, TypeInfo::Tensor { .. }) => Json::Null,
                None => json!([]),
            };
            (json!(t.type_string()), shape, json!(t.elem_dtype().map(|d| d as i32).unwrap_or(0)))
        }
        None => (Json::Null, Json::Null, json!(0)),
    };
    json!({"name": v.name, "type": ty, "shape": shape, "elemType": elem})
}

fn info_json(s: &Session, o: &ParsedOptions) -> String {
    let m = &s.meta;
    let custom: serde_json::Map<String, Json> = m.custom.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let provider_options: serde_json::Map<String, Json> = s.providers.iter().map(|p| (p.name().to_string(), json!(p.options()))).collect();
    let opsets: serde_json::Map<String, Json> = s.opsets.iter().map(|(d, v)| (if d.is_empty() { "ai.onnx".into() } else { d.clone() }, json!(v))).collect();
    json!({
        "inputs": s.inputs.iter().map(node_arg).collect::<Vec<_>>(),
        "outputs": s.outputs.iter().map(node_arg).collect::<Vec<_>>(),
        "overridableInitializers": s.overridable.iter().map(node_arg).collect::<Vec<_>>(),
        "modelMeta": {
            "producerName": m.producer_name, "graphName": m.graph_name, "domain": m.domain,
            "description": m.description, "graphDescription": m.graph_description, "version": m.version,
            "customMetadataMap": custom,
        },
        "providers": s.providers.iter().map(|p| p.name().to_string()).collect::<Vec<_>>(),
        "providersInUse": s.providers_in_use(),
        "providerOptions": provider_options,
        "irVersion": s.ir_version,
        "opsets": opsets,
        "sessionOptions": o.raw,
    })
    .to_string()
}

/// Loads the model under the session's own tensor cap (a few bytes of sparse initializer
/// can ask for gigabytes once dense), then builds the session.
fn create(opts_json: Option<&str>, load: impl FnOnce() -> Result<Model>) -> Result<u64> {
    let o = parse_session_options(opts_json)?;
    let model = with_tensor_limit(o.max_tensor_bytes, load)?;
    let providers = session_providers(&o.providers, o.intra_threads, o.disable_fallback)?;
    let session = Session::new(
        model,
        SessionOptions {
            providers,
            optimization_level: o.optimization_level,
            enable_profiling: o.enable_profiling,
            profile_file_prefix: o.profile_prefix.clone(),
            free_dimension_overrides: o.free_dims.clone(),
            initializer_overrides: o.initializers.clone(),
            max_tensor_bytes: o.max_tensor_bytes,
            seed: o.seed,
            verify_inferred_shapes: o.config.get("session.verify_inferred_shapes").is_some_and(|v| v == "1"),
        },
    )?;
    let info = info_json(&session, &o);
    let pool = Pool::new(threads_for(o.inter_threads));
    Ok(handles::insert(Entry::Session(Arc::new(SessionEntry { session, info, pool }))))
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_session_create_from_path(path: *const c_char, options_json: *const c_char, out_session: *mut u64) -> i32 {
    wrap(|| {
        // SAFETY: NUL-terminated strings or NULL per the contract.
        let (path, opts) = unsafe { (c_str(path, "path")?, opt_c_str(options_json, "options_json")?) };
        let session = create(opts, || load_model_file(Path::new(path)))?;
        // SAFETY: writable out-pointer.
        unsafe { out(out_session, session, "out_session") }
    })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_session_create_from_bytes(
    bytes: *const u8,
    len: usize,
    model_dir: *const c_char,
    options_json: *const c_char,
    out_session: *mut u64,
) -> i32 {
    wrap(|| {
        // SAFETY: caller passes len bytes and NUL-terminated strings or NULL.
        let (b, dir, opts) = unsafe { (slice(bytes, len, "bytes")?, opt_c_str(model_dir, "model_dir")?, opt_c_str(options_json, "options_json")?) };
        let session = create(opts, || load_model_bytes(b, &LoadContext { model_dir: dir.map(PathBuf::from) }))?;
        // SAFETY: writable out-pointer.
        unsafe { out(out_session, session, "out_session") }
    })
}

#[no_mangle]
pub extern "C" fn onnxrun_session_info(session: u64) -> *const c_char {
    wrap_str(|| Ok(handles::session(session)?.info.clone()))
}

/// Checks handles and gathers what a run needs, before any work starts.
pub(crate) unsafe fn prepare(
    session: u64,
    run_options: u64,
    feed_idx: *const u32,
    feeds: *const u64,
    n_feeds: usize,
    fetch_idx: *const u32,
    fetches: *const u64,
    n_fetches: usize,
) -> Result<Prepared> {
    let s = handles::session(session)?;
    // SAFETY: caller passes arrays of the given lengths.
    let (fi, fv, oi, ov) = unsafe {
        (slice(feed_idx, n_feeds, "feed_idx")?, slice(feeds, n_feeds, "feeds")?, slice(fetch_idx, n_fetches, "fetch_idx")?, slice(fetches, n_fetches, "fetches")?)
    };
    let mut feed_values = Vec::with_capacity(n_feeds);
    for (&i, &h) in fi.iter().zip(fv) {
        feed_values.push((i as usize, handles::value(h)?.value.clone()));
    }
    let bound = ov.iter().map(|&h| if h == 0 { Ok(None) } else { handles::value(h).map(|v| Some((h, v))) }).collect::<Result<Vec<_>>>()?;
    let run = if run_options == 0 {
        RunState::default()
    } else {
        let ro = handles::run_options(run_options)?;
        let config = ro.config.lock().map(|c| c.clone()).unwrap_or_default();
        RunState { terminate: ro.terminate.clone(), profiler: None, config }
    };
    Ok(Prepared { session: s, feeds: feed_values, fetch: oi.iter().map(|&i| i as usize).collect(), bound, run })
}

/// Runs a prepared job and turns its outputs into handles (writing bound outputs in place).
pub(crate) fn execute(p: Prepared) -> Result<Vec<u64>> {
    let outs = p.session.session.run(p.feeds, &p.fetch, &p.run)?;
    let mut handles_out = Vec::with_capacity(outs.len());
    for (v, bound) in outs.into_iter().zip(p.bound) {
        match bound {
            None => handles_out.push(crate::values::new_handle(v)),
            Some((h, entry)) => {
                write_bound(&entry, &v)?;
                handles_out.push(h);
            }
        }
    }
    Ok(handles_out)
}

fn write_bound(dst: &ValueEntry, v: &Value) -> Result<()> {
    let (Value::Tensor(d), Value::Tensor(src)) = (&dst.value, v) else {
        bail!(InvalidArgument, "only tensors can be bound as outputs");
    };
    ensure!(d.dtype() == src.dtype(), InvalidArgument, "bound output has type {}, the model produces {}", d.dtype(), src.dtype());
    ensure!(d.shape() == src.shape(), InvalidArgument, "bound output has shape {:?}, the model produces {:?}", d.shape(), src.shape());
    ensure!(d.is_host() && d.dtype() != onnxrun_core::DataType::String, NotImplemented, "outputs can be bound only to host memory of a fixed-size type");
    let from = src.bytes()?;
    let to = d.bytes()?;
    // SAFETY: the bound value is caller-owned writable memory (borrowed or allocated for
    // binding) of exactly this size; nothing else reads it during the run.
    unsafe { std::ptr::copy_nonoverlapping(from.as_ptr(), to.as_ptr() as *mut u8, from.len()) };
    Ok(())
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_session_run(
    session: u64,
    run_options: u64,
    feed_idx: *const u32,
    feeds: *const u64,
    n_feeds: usize,
    fetch_idx: *const u32,
    fetches: *mut u64,
    n_fetches: usize,
) -> i32 {
    wrap(|| {
        // SAFETY: forwarded caller arrays.
        let p = unsafe { prepare(session, run_options, feed_idx, feeds, n_feeds, fetch_idx, fetches, n_fetches) }?;
        let hs = execute(p)?;
        // SAFETY: fetches has n_fetches writable slots (checked non-null by prepare when n > 0).
        let dst = unsafe { std::slice::from_raw_parts_mut(fetches, n_fetches) };
        dst.copy_from_slice(&hs);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_session_run_start(
    session: u64,
    run_options: u64,
    feed_idx: *const u32,
    feeds: *const u64,
    n_feeds: usize,
    fetch_idx: *const u32,
    fetches: *const u64,
    n_fetches: usize,
    out_job: *mut u64,
) -> i32 {
    wrap(|| {
        // SAFETY: forwarded caller arrays, copied before returning.
        let p = unsafe { prepare(session, run_options, feed_idx, feeds, n_feeds, fetch_idx, fetches, n_fetches) }?;
        let job = jobs::start(p)?;
        // SAFETY: writable out-pointer.
        unsafe { out(out_job, job, "out_job") }
    })
}

#[no_mangle]
pub extern "C" fn onnxrun_session_end_profiling(session: u64) -> *const c_char {
    wrap_str(|| handles::session(session)?.session.end_profiling())
}

#[no_mangle]
pub extern "C" fn onnxrun_session_free(session: u64) -> i32 {
    wrap(|| handles::take_session(session).map(drop))
}
