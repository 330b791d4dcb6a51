//! The CUDA execution provider: device memory, host<->device copies on the device's
//! stream, a cuBLAS handle, and the kernel registry of `ops`.

use crate::blas::Blas;
use crate::buffer::{Budget, CudaBuffer};
use crate::device::DeviceState;
use crate::error::run_err;
use crate::kernels::{Kernels, Launcher};
use crate::loader::{self, guarded};
use crate::ops;
use cudarc::driver::result;
use onnxrun_core::{bail, ensure, err, DataType, Device, DeviceKind, ExecutionProvider, KernelRegistry, Result, Tensor};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

pub const CUDA_PROVIDER: &str = "CUDAExecutionProvider";

/// Provider options, named and spelled as ONNX Runtime's CUDA provider options.
#[derive(Clone, Debug, PartialEq)]
pub struct CudaOptions {
    pub device_id: i32,
    /// Bytes this provider may hold on the device at once (ORT default: SIZE_MAX).
    pub gpu_mem_limit: usize,
    /// TF32 tensor cores for f32 GEMMs. Off by default here (ORT defaults it on): TF32
    /// keeps 10 mantissa bits, too few to match the CPU provider to 1e-4.
    pub use_tf32: bool,
    // Accepted and reported for compatibility with ORT code; this provider has no
    // arena, no cuDNN kernels and one stream, so they change nothing.
    pub arena_extend_strategy: String,
    pub cudnn_conv_algo_search: String,
    pub do_copy_in_default_stream: bool,
    pub cudnn_conv_use_max_workspace: bool,
    pub prefer_nhwc: bool,
}

impl Default for CudaOptions {
    fn default() -> Self {
        CudaOptions {
            device_id: 0,
            gpu_mem_limit: usize::MAX,
            use_tf32: false,
            arena_extend_strategy: "kNextPowerOfTwo".into(),
            cudnn_conv_algo_search: "EXHAUSTIVE".into(),
            do_copy_in_default_stream: true,
            cudnn_conv_use_max_workspace: true,
            prefer_nhwc: false,
        }
    }
}

fn parse_bool(key: &str, v: &str) -> Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => bail!(InvalidArgument, "CUDA provider option {key} must be 0/1 or true/false, got '{v}'"),
    }
}

const KNOWN_OPTIONS: &[&str] = &[
    "device_id",
    "gpu_mem_limit",
    "use_tf32",
    "enable_cuda_graph",
    "arena_extend_strategy",
    "cudnn_conv_algo_search",
    "do_copy_in_default_stream",
    "cudnn_conv_use_max_workspace",
    "prefer_nhwc",
    "has_user_compute_stream",
];

impl CudaOptions {
    /// Parses ORT-style string options; `device_id` given twice must agree.
    pub fn parse(device_id: i32, options: &BTreeMap<String, String>) -> Result<CudaOptions> {
        let mut o = CudaOptions { device_id, ..CudaOptions::default() };
        for (k, v) in options {
            let v = v.trim();
            match k.as_str() {
                "device_id" => {
                    let id: i32 = v.parse().map_err(|_| err!(InvalidArgument, "CUDA provider option device_id must be an integer, got '{v}'"))?;
                    ensure!(id == device_id, InvalidArgument, "CUDA provider: device_id option {id} differs from the requested device {device_id}");
                }
                "gpu_mem_limit" => {
                    o.gpu_mem_limit = v.parse().map_err(|_| err!(InvalidArgument, "CUDA provider option gpu_mem_limit must be a byte count, got '{v}'"))?;
                }
                "use_tf32" => o.use_tf32 = parse_bool(k, v)?,
                "enable_cuda_graph" => {
                    if parse_bool(k, v)? {
                        bail!(NotImplemented, "CUDA provider option enable_cuda_graph=1: CUDA graphs are not implemented by this provider yet");
                    }
                }
                "has_user_compute_stream" => {
                    if parse_bool(k, v)? {
                        bail!(NotImplemented, "CUDA provider option has_user_compute_stream=1: a user compute stream cannot be passed to this provider");
                    }
                }
                "arena_extend_strategy" => {
                    ensure!(
                        matches!(v, "kNextPowerOfTwo" | "kSameAsRequested" | "0" | "1"),
                        InvalidArgument,
                        "CUDA provider option arena_extend_strategy must be kNextPowerOfTwo or kSameAsRequested, got '{v}'"
                    );
                    o.arena_extend_strategy = if matches!(v, "kSameAsRequested" | "1") { "kSameAsRequested" } else { "kNextPowerOfTwo" }.into();
                }
                "cudnn_conv_algo_search" => {
                    ensure!(
                        matches!(v, "EXHAUSTIVE" | "HEURISTIC" | "DEFAULT"),
                        InvalidArgument,
                        "CUDA provider option cudnn_conv_algo_search must be EXHAUSTIVE, HEURISTIC or DEFAULT, got '{v}'"
                    );
                    o.cudnn_conv_algo_search = v.into();
                }
                "do_copy_in_default_stream" => o.do_copy_in_default_stream = parse_bool(k, v)?,
                "cudnn_conv_use_max_workspace" => o.cudnn_conv_use_max_workspace = parse_bool(k, v)?,
                "prefer_nhwc" => o.prefer_nhwc = parse_bool(k, v)?,
                other => bail!(InvalidArgument, "unknown CUDA provider option '{other}' (known: {})", KNOWN_OPTIONS.join(", ")),
            }
        }
        Ok(o)
    }

    /// As ONNX Runtime's `get_provider_options()` reports them.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        let b = |v: bool| if v { "1" } else { "0" }.to_string();
        BTreeMap::from([
            ("device_id".to_string(), self.device_id.to_string()),
            ("gpu_mem_limit".to_string(), self.gpu_mem_limit.to_string()),
            ("use_tf32".to_string(), b(self.use_tf32)),
            ("enable_cuda_graph".to_string(), "0".to_string()),
            ("has_user_compute_stream".to_string(), "0".to_string()),
            ("arena_extend_strategy".to_string(), self.arena_extend_strategy.clone()),
            ("cudnn_conv_algo_search".to_string(), self.cudnn_conv_algo_search.clone()),
            ("do_copy_in_default_stream".to_string(), b(self.do_copy_in_default_stream)),
            ("cudnn_conv_use_max_workspace".to_string(), b(self.cudnn_conv_use_max_workspace)),
            ("prefer_nhwc".to_string(), b(self.prefer_nhwc)),
        ])
    }
}

/// Ok(description) when a CUDA device is usable here (the driver loads, cuInit
/// succeeds, at least one device); Err(reason) otherwise. Checked once per process;
/// never panics.
pub fn probe() -> std::result::Result<String, String> {
    static PROBE: OnceLock<std::result::Result<String, String>> = OnceLock::new();
    PROBE.get_or_init(|| guarded("probing CUDA", probe_now)).clone()
}

fn probe_now() -> std::result::Result<String, String> {
    loader::load_driver()?;
    let txt = crate::error::driver_text;
    result::init().map_err(|e| format!("cuInit failed: {}", txt(e)))?;
    let count = result::device::get_count().map_err(|e| format!("cuDeviceGetCount failed: {}", txt(e)))?;
    if count <= 0 {
        return Err("the CUDA driver reports no devices".into());
    }
    let dev = result::device::get(0).map_err(|e| format!("cuDeviceGet(0) failed: {}", txt(e)))?;
    let name = result::device::get_name(dev).map_err(|e| format!("cuDeviceGetName failed: {}", txt(e)))?;
    let mut version = 0;
    // SAFETY: valid out-pointer; the driver is initialised.
    let _ = unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut version) };
    Ok(format!("{count} CUDA device(s), device 0: {name}; driver supports CUDA {}.{}", version / 1000, (version % 1000) / 10))
}

/// Number of CUDA devices, 0 when CUDA is unusable.
pub fn device_count() -> usize {
    if probe().is_err() {
        return 0;
    }
    guarded("counting CUDA devices", || result::device::get_count().map_err(crate::error::driver_text)).map(|n| n.max(0) as usize).unwrap_or(0)
}

pub struct CudaProvider {
    state: Arc<DeviceState>,
    kernels: Arc<Kernels>,
    blas: Blas,
    options: CudaOptions,
    budget: Arc<Budget>,
}

impl std::fmt::Debug for CudaProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CudaProvider(cuda:{} {})", self.state.ordinal, self.state.name)
    }
}

/// The CUDA kernels, registered once per process.
pub fn cuda_registry() -> &'static KernelRegistry {
    static REGISTRY: OnceLock<KernelRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = KernelRegistry::new();
        ops::register_all(&mut r);
        r
    })
}

impl CudaProvider {
    /// A provider on device `device_id`. EpFail when CUDA, the device, cuBLAS or the
    /// kernels are unavailable; InvalidArgument for bad options.
    pub fn new(device_id: i32, options: &BTreeMap<String, String>) -> Result<CudaProvider> {
        let options = CudaOptions::parse(device_id, options)?;
        if let Err(reason) = probe() {
            bail!(EpFail, "{CUDA_PROVIDER} is not available: {reason}");
        }
        let count = device_count();
        ensure!(device_id >= 0 && (device_id as usize) < count, EpFail, "{CUDA_PROVIDER}: device_id {device_id} does not exist ({count} CUDA device(s) here)");
        let state = DeviceState::get(device_id).map_err(|e| err!(EpFail, "{CUDA_PROVIDER}: {e}"))?;
        let kernels = state.kernels().map_err(|e| err!(EpFail, "{CUDA_PROVIDER}: {e}"))?;
        let blas = guarded("creating the cuBLAS handle", || {
            loader::load_cublas()?;
            state.ctx.bind_to_thread().map_err(crate::error::driver_text)?;
            Blas::new(state.cu_stream(), options.use_tf32)
        })
        .map_err(|e| err!(EpFail, "{CUDA_PROVIDER}: {e}"))?;
        let budget = Arc::new(Budget::new(options.gpu_mem_limit));
        Ok(CudaProvider { state, kernels, blas, options, budget })
    }

    pub fn device_id(&self) -> i32 {
        self.state.ordinal
    }

    /// The device's name, e.g. "NVIDIA H100 80GB HBM3".
    pub fn device_name(&self) -> &str {
        &self.state.name
    }

    /// Where the kernels came from this process: "disk cache <path>" or "NVRTC sm_90".
    pub fn kernel_origin(&self) -> &str {
        &self.kernels.origin
    }

    pub fn cuda_options(&self) -> &CudaOptions {
        &self.options
    }

    /// Bytes this provider's live tensors hold on the device.
    pub fn bytes_in_use(&self) -> usize {
        self.budget.used()
    }

    pub(crate) fn launcher(&self) -> Launcher<'_> {
        Launcher { state: &self.state, kernels: &self.kernels }
    }

    pub(crate) fn blas(&self) -> &Blas {
        &self.blas
    }

    pub(crate) fn bind(&self) -> Result<()> {
        self.state.bind()
    }

    /// An uninitialised device tensor (kernels write every element) and its address.
    pub(crate) fn empty(&self, dtype: DataType, shape: Vec<usize>) -> Result<(Tensor, u64)> {
        ensure!(dtype != DataType::String, NotImplemented, "string tensors cannot live on a CUDA device");
        let bytes = onnxrun_core::byte_len(dtype, &shape)?;
        ensure!(
            bytes <= onnxrun_core::tensor::max_tensor_bytes(),
            InvalidArgument,
            "tensor of {bytes} bytes exceeds the limit of {} bytes",
            onnxrun_core::tensor::max_tensor_bytes()
        );
        let buf = CudaBuffer::alloc(&self.state, &self.budget, bytes)?;
        let ptr = buf.ptr();
        Ok((Tensor::from_device(dtype, shape, Box::new(buf)), ptr))
    }

    /// The device address of a tensor on this provider's device.
    pub(crate) fn ptr_of(&self, t: &Tensor, what: &str) -> Result<u64> {
        match CudaBuffer::of(t) {
            Some(b) if b.state().ordinal == self.state.ordinal => Ok(b.ptr()),
            Some(b) => bail!(InvalidArgument, "{what} is on cuda:{}, but this node runs on cuda:{}", b.state().ordinal, self.state.ordinal),
            None => bail!(InvalidArgument, "{what} is on {}, not on this CUDA device (the planner should have copied it)", t.device().name()),
        }
    }

    /// Queues zeroing of `bytes` at `ptr`.
    pub(crate) fn zero(&self, ptr: u64, bytes: usize) -> Result<()> {
        if bytes == 0 {
            return Ok(());
        }
        self.bind()?;
        // SAFETY: ptr addresses `bytes` bytes of this device's memory, used on this stream.
        unsafe { result::memset_d8_async(ptr, 0, bytes, self.state.cu_stream()) }.map_err(|e| run_err("zeroing memory", e))
    }
}

impl ExecutionProvider for CudaProvider {
    fn name(&self) -> &str {
        CUDA_PROVIDER
    }

    fn device(&self) -> Device {
        Device { kind: DeviceKind::Cuda, id: self.state.ordinal }
    }

    fn registry(&self) -> &KernelRegistry {
        cuda_registry()
    }

    fn options(&self) -> BTreeMap<String, String> {
        self.options.to_map()
    }

    fn allocate(&self, dtype: DataType, shape: Vec<usize>) -> Result<Tensor> {
        let (t, ptr) = self.empty(dtype, shape)?;
        let bytes = t.len() * dtype.size();
        self.zero(ptr, bytes)?;
        Ok(t)
    }

    fn copy_to_device(&self, t: &Tensor) -> Result<Tensor> {
        if let Some(b) = CudaBuffer::of(t) {
            if b.state().ordinal == self.state.ordinal {
                return Ok(t.clone());
            }
            // Another CUDA device: through the host (rare; keeps one code path).
            let host = self.copy_to_host(t)?;
            return self.copy_to_device(&host);
        }
        ensure!(t.is_host(), InvalidArgument, "a tensor on {} must be copied to the host before it can go to CUDA", t.device().name());
        ensure!(t.dtype() != DataType::String, NotImplemented, "string tensors cannot be copied to a CUDA device");
        let bytes = t.bytes()?;
        let (out, ptr) = self.empty(t.dtype(), t.shape().to_vec())?;
        if !bytes.is_empty() {
            self.bind()?;
            // SAFETY: ptr holds bytes.len() bytes. The source is pageable host memory, for
            // which cuMemcpyHtoDAsync returns only once the bytes are staged, so `t` may
            // be dropped or changed as soon as this returns.
            unsafe { result::memcpy_htod_async(ptr, bytes, self.state.cu_stream()) }.map_err(|e| run_err("copying to the device", e))?;
        }
        Ok(out)
    }

    fn copy_to_host(&self, t: &Tensor) -> Result<Tensor> {
        if t.is_host() {
            return Ok(t.clone());
        }
        let Some(b) = CudaBuffer::of(t) else {
            bail!(InvalidArgument, "CUDA provider cannot copy a tensor that lives on {}", t.device().name());
        };
        let state = b.state().clone();
        let mut out = Tensor::zeros(t.dtype(), t.shape().to_vec())?;
        let dst = out.bytes_mut()?;
        if !dst.is_empty() {
            state.bind()?;
            // SAFETY: the device buffer holds dst.len() bytes (same dtype and shape); the
            // copy is queued after every kernel that writes it, and we wait for it below
            // before `out` is read.
            unsafe { result::memcpy_dtoh_async(dst, b.ptr(), state.cu_stream()) }.map_err(|e| run_err("copying to the host", e))?;
            state.stream.synchronize().map_err(|e| run_err("waiting for the copy to the host", e))?;
        }
        Ok(out)
    }

    fn synchronize(&self) -> Result<()> {
        self.state.synchronize()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
