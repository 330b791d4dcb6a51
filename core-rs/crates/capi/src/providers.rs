//! Provider construction by name, availability, and the shared device providers (one per
//! device and options, reused by sessions and by `onnxrun_value_to_device`).

use onnxrun_core::{bail, err, Device, DeviceKind, ExecutionProvider, Result, Tensor};
use onnxrun_cpu::{CpuProvider, CPU_PROVIDER};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

pub const CUDA_PROVIDER: &str = "CUDAExecutionProvider";
pub const WEBGPU_PROVIDER: &str = "WebGpuExecutionProvider";
pub const ALL_PROVIDERS: &[&str] = &[CUDA_PROVIDER, WEBGPU_PROVIDER, CPU_PROVIDER];

/// Ok(description) when the provider can run here, Err(reason) when not.
pub fn availability(name: &str) -> std::result::Result<String, String> {
    match name {
        CPU_PROVIDER => Ok("CPU".into()),
        #[cfg(feature = "cuda")]
        CUDA_PROVIDER => onnxrun_cuda::probe(),
        #[cfg(feature = "wgpu")]
        WEBGPU_PROVIDER => onnxrun_wgpu::probe(),
        #[cfg(not(all(feature = "cuda", feature = "wgpu")))]
        CUDA_PROVIDER | WEBGPU_PROVIDER => Err("this build of libonnxrun was made without it".into()),
        other => Err(format!("unknown provider '{other}'")),
    }
}

type ProviderKey = (String, i32, String);

fn device_providers() -> &'static Mutex<HashMap<ProviderKey, Arc<dyn ExecutionProvider>>> {
    static P: OnceLock<Mutex<HashMap<ProviderKey, Arc<dyn ExecutionProvider>>>> = OnceLock::new();
    P.get_or_init(|| Mutex::new(HashMap::new()))
}

fn device_id_of(options: &BTreeMap<String, String>) -> Result<i32> {
    match options.get("device_id") {
        None => Ok(0),
        Some(s) => s.trim().parse().map_err(|_| err!(InvalidArgument, "provider option device_id must be an integer, got '{s}'")),
    }
}

/// A device provider, created once per (name, device, options).
pub fn device_provider(name: &str, options: &BTreeMap<String, String>) -> Result<Arc<dyn ExecutionProvider>> {
    let id = device_id_of(options)?;
    let key = (name.to_string(), id, format!("{options:?}"));
    let mut cache = device_providers().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = cache.get(&key) {
        return Ok(p.clone());
    }
    let p: Arc<dyn ExecutionProvider> = match name {
        #[cfg(feature = "cuda")]
        CUDA_PROVIDER => Arc::new(onnxrun_cuda::CudaProvider::new(id, options)?),
        #[cfg(feature = "wgpu")]
        WEBGPU_PROVIDER => Arc::new(onnxrun_wgpu::WgpuProvider::new(id, options)?),
        #[cfg(not(all(feature = "cuda", feature = "wgpu")))]
        CUDA_PROVIDER | WEBGPU_PROVIDER => bail!(EpFail, "{name} is not available: this build of libonnxrun was made without it"),
        other => bail!(InvalidArgument, "unknown execution provider '{other}' (known: {ALL_PROVIDERS:?})"),
    };
    cache.insert(key, p.clone());
    Ok(p)
}

/// The providers of a session, in priority order. Unavailable ones are an error when
/// fallback is disabled, else skipped; the CPU provider is appended unless fallback is off.
pub fn session_providers(
    requested: &[(String, BTreeMap<String, String>)],
    intra_threads: usize,
    disable_fallback: bool,
) -> Result<Vec<Arc<dyn ExecutionProvider>>> {
    let mut out: Vec<Arc<dyn ExecutionProvider>> = Vec::new();
    let requested: Vec<(String, BTreeMap<String, String>)> =
        if requested.is_empty() { vec![(CPU_PROVIDER.to_string(), BTreeMap::new())] } else { requested.to_vec() };
    for (name, opts) in &requested {
        if !ALL_PROVIDERS.contains(&name.as_str()) {
            bail!(InvalidArgument, "unknown execution provider '{name}' (known: {ALL_PROVIDERS:?})");
        }
        if out.iter().any(|p| p.name() == name) {
            continue;
        }
        if name == CPU_PROVIDER {
            out.push(Arc::new(CpuProvider::new(intra_threads)));
            continue;
        }
        if let Err(reason) = availability(name) {
            if disable_fallback {
                bail!(EpFail, "{name} was requested with fallback disabled but is not available: {reason}");
            }
            continue;
        }
        match device_provider(name, opts) {
            Ok(p) => out.push(p),
            Err(e) if disable_fallback => return Err(e),
            Err(_) => continue,
        }
    }
    if !disable_fallback && !out.iter().any(|p| p.name() == CPU_PROVIDER) {
        out.push(Arc::new(CpuProvider::new(intra_threads)));
    }
    if out.is_empty() {
        bail!(EpFail, "no usable execution provider among {:?}", requested.iter().map(|(n, _)| n).collect::<Vec<_>>());
    }
    Ok(out)
}

/// Copies a tensor to "cpu", "cuda" or "webgpu".
pub fn move_tensor(t: &Tensor, device: &str, device_id: i32) -> Result<Tensor> {
    let host = if t.is_host() { t.clone() } else { provider_for(t.device())?.copy_to_host(t)? };
    let name = match device.to_ascii_lowercase().as_str() {
        "cpu" => return host.to_owned_host(),
        "cuda" | "gpu" => CUDA_PROVIDER,
        "webgpu" | "wgpu" => WEBGPU_PROVIDER,
        other => bail!(InvalidArgument, "unknown device '{other}' (cpu, cuda, webgpu)"),
    };
    if let Err(reason) = availability(name) {
        bail!(EpFail, "device '{device}' is not available: {reason}");
    }
    let opts = BTreeMap::from([("device_id".to_string(), device_id.to_string())]);
    device_provider(name, &opts)?.copy_to_device(&host)
}

fn provider_for(d: Device) -> Result<Arc<dyn ExecutionProvider>> {
    let name = match d.kind {
        DeviceKind::Cuda => CUDA_PROVIDER,
        DeviceKind::WebGpu => WEBGPU_PROVIDER,
        DeviceKind::Cpu => bail!(InvalidArgument, "host tensor needs no device provider"),
    };
    let opts = BTreeMap::from([("device_id".to_string(), d.id.to_string())]);
    device_provider(name, &opts)
}
