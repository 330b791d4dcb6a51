//! One state per CUDA device, shared by every provider on it: the primary context, one
//! stream that all work of the process on that device is queued on, the stream-ordered
//! memory pool, and the compiled kernels.
//!
//! A single stream per device is what makes the providers' memory handling simple and
//! safe: kernels, copies, cuBLAS calls and `cuMemFreeAsync` of dead tensors are all
//! ordered on it, so a buffer is never freed while queued work may still read it, and a
//! tensor made by one provider can be used by another on the same device.

use crate::error::driver_text;
use crate::kernels::Kernels;
use crate::loader::guarded;
use cudarc::driver::{result, sys, CudaContext, CudaStream};
use onnxrun_core::{err, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

pub(crate) struct DeviceState {
    pub ordinal: i32,
    pub ctx: Arc<CudaContext>,
    pub stream: Arc<CudaStream>,
    pub name: String,
    /// Compute capability (major, minor).
    pub compute: (i32, i32),
    /// cuMemAllocAsync/cuMemFreeAsync are available (every GPU since Pascal on Linux).
    pub async_alloc: bool,
    kernels: OnceLock<std::result::Result<Arc<Kernels>, String>>,
}

impl std::fmt::Debug for DeviceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceState(cuda:{} {})", self.ordinal, self.name)
    }
}

fn states() -> &'static Mutex<HashMap<i32, Arc<DeviceState>>> {
    static STATES: OnceLock<Mutex<HashMap<i32, Arc<DeviceState>>>> = OnceLock::new();
    STATES.get_or_init(|| Mutex::new(HashMap::new()))
}

impl DeviceState {
    /// The state of device `ordinal`, created on first use. Kept for the process lifetime
    /// (tensors and providers hold it), so the context is never torn down under them.
    pub fn get(ordinal: i32) -> std::result::Result<Arc<DeviceState>, String> {
        let mut map = states().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = map.get(&ordinal) {
            return Ok(s.clone());
        }
        let s = Arc::new(guarded("creating the CUDA context", || DeviceState::create(ordinal))?);
        map.insert(ordinal, s.clone());
        Ok(s)
    }

    fn create(ordinal: i32) -> std::result::Result<DeviceState, String> {
        fn at(ordinal: i32, what: &'static str) -> impl Fn(cudarc::driver::DriverError) -> String {
            move |e| format!("device {ordinal}: {what} failed: {}", driver_text(e))
        }
        let at = |what: &'static str| at(ordinal, what);
        let ctx = CudaContext::new(ordinal as usize).map_err(at("creating the context"))?;
        // SAFETY: every allocation, copy and launch of this crate goes to the one stream
        // below, so cudarc's per-allocation events (for cross-stream ordering) are not
        // needed; stream order already serialises all uses of a buffer.
        unsafe { ctx.disable_event_tracking() };
        let stream = ctx.new_stream().map_err(at("creating a stream"))?;
        let name = ctx.name().map_err(at("reading the device name"))?;
        let compute = ctx.compute_capability().map_err(at("reading the compute capability"))?;
        let async_alloc = ctx.has_async_alloc();
        if async_alloc {
            // Freed blocks go back to the pool, not to the driver, at each synchronize:
            // without this every run would pay cuMemAlloc again for each tensor.
            // SAFETY: the device handle comes from the context just created; the value
            // pointer is to a live u64, the type this attribute takes.
            unsafe {
                let pool = result::device::get_default_mem_pool(ctx.cu_device()).map_err(at("getting the memory pool"))?;
                let mut keep: u64 = u64::MAX;
                sys::cuMemPoolSetAttribute(pool, sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &mut keep as *mut u64 as *mut std::ffi::c_void)
                    .result()
                    .map_err(at("setting the memory pool's release threshold"))?;
            }
        }
        Ok(DeviceState { ordinal, ctx, stream, name, compute, async_alloc, kernels: OnceLock::new() })
    }

    /// Makes this device's context current on the calling thread (executor threads vary).
    pub fn bind(&self) -> Result<()> {
        self.ctx.bind_to_thread().map_err(|e| crate::error::run_err("making the context current", e))
    }

    pub fn cu_stream(&self) -> sys::CUstream {
        self.stream.cu_stream()
    }

    /// The kernel module, compiled (or read from the disk cache) on first use.
    pub fn kernels(&self) -> std::result::Result<Arc<Kernels>, String> {
        self.kernels.get_or_init(|| guarded("loading the CUDA kernels", || Kernels::load(self).map(Arc::new))).clone()
    }

    /// `bytes` of uninitialised device memory, ordered on the stream.
    pub fn alloc(&self, bytes: usize) -> Result<u64> {
        if bytes == 0 {
            return Ok(0);
        }
        self.bind()?;
        // SAFETY: the stream belongs to this context; the memory is only used on it.
        let r = unsafe {
            if self.async_alloc {
                result::malloc_async(self.cu_stream(), bytes)
            } else {
                result::malloc_sync(bytes)
            }
        };
        r.map_err(|e| {
            if e.0 == sys::CUresult::CUDA_ERROR_OUT_OF_MEMORY {
                err!(RuntimeException, "CUDA: out of device memory allocating {bytes} bytes on device {}", self.ordinal)
            } else {
                crate::error::run_err(&format!("allocating {bytes} bytes"), e)
            }
        })
    }

    /// Frees memory from `alloc` after all work queued so far (stream order). Errors
    /// are kept by the context and reported at the next `synchronize`.
    pub fn free(&self, ptr: u64) {
        if ptr == 0 {
            return;
        }
        self.ctx.record_err(self.ctx.bind_to_thread());
        if self.async_alloc {
            // SAFETY: ptr came from malloc_async on this stream and is freed once (the
            // owning buffer is being dropped); later reuse is ordered after queued work.
            self.ctx.record_err(unsafe { result::free_async(ptr, self.cu_stream()) });
        } else {
            self.ctx.record_err(self.stream.synchronize());
            // SAFETY: ptr came from malloc_sync and the stream has drained.
            self.ctx.record_err(unsafe { result::free_sync(ptr) });
        }
    }

    /// Waits for everything queued on the stream; surfaces errors recorded by frees.
    pub fn synchronize(&self) -> Result<()> {
        self.bind()?;
        self.stream.synchronize().map_err(|e| crate::error::run_err("synchronizing the stream", e))?;
        self.ctx.check_err().map_err(|e| crate::error::run_err("an earlier asynchronous operation", e))
    }
}
