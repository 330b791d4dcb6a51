//! Device memory behind a `Tensor`: a pointer from the device's stream-ordered pool, freed
//! (stream-ordered too) when the last tensor using it is dropped.

use crate::device::DeviceState;
use onnxrun_core::{bail, Device, DeviceBuffer, DeviceKind, Result, Tensor};
use std::any::Any;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Live bytes a provider has allocated, against its `gpu_mem_limit`.
#[derive(Debug)]
pub(crate) struct Budget {
    pub limit: usize,
    used: AtomicUsize,
}

impl Budget {
    pub fn new(limit: usize) -> Budget {
        Budget { limit, used: AtomicUsize::new(0) }
    }

    fn reserve(&self, bytes: usize) -> Result<()> {
        let before = self.used.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) > self.limit {
            self.used.fetch_sub(bytes, Ordering::Relaxed);
            bail!(RuntimeException, "CUDA: allocating {bytes} bytes would exceed gpu_mem_limit ({} bytes, {before} in use)", self.limit);
        }
        Ok(())
    }

    fn release(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }

    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

pub struct CudaBuffer {
    ptr: u64,
    bytes: usize,
    state: Arc<DeviceState>,
    budget: Arc<Budget>,
}

impl CudaBuffer {
    /// Uninitialised memory of `bytes` (0 bytes holds no allocation, pointer 0).
    pub(crate) fn alloc(state: &Arc<DeviceState>, budget: &Arc<Budget>, bytes: usize) -> Result<CudaBuffer> {
        budget.reserve(bytes)?;
        match state.alloc(bytes) {
            Ok(ptr) => Ok(CudaBuffer { ptr, bytes, state: state.clone(), budget: budget.clone() }),
            Err(e) => {
                budget.release(bytes);
                Err(e)
            }
        }
    }

    pub fn ptr(&self) -> u64 {
        self.ptr
    }

    pub(crate) fn state(&self) -> &Arc<DeviceState> {
        &self.state
    }

    /// The CUDA buffer of a device tensor, if it is one.
    pub fn of(t: &Tensor) -> Option<&CudaBuffer> {
        t.device_buffer()?.as_any().downcast_ref::<CudaBuffer>()
    }
}

impl Drop for CudaBuffer {
    fn drop(&mut self) {
        self.state.free(self.ptr);
        self.budget.release(self.bytes);
    }
}

impl DeviceBuffer for CudaBuffer {
    fn device(&self) -> Device {
        Device { kind: DeviceKind::Cuda, id: self.state.ordinal }
    }
    fn byte_len(&self) -> usize {
        self.bytes
    }
    fn device_ptr(&self) -> u64 {
        self.ptr
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
