//! The wgpu execution provider: WGSL kernels, device memory from a buffer pool, and
//! transfers through queue writes and mapped staging buffers.

use crate::context::{err, Gpu, PowerPreference};
use crate::pool::GpuBuffer;
use onnxrun_core::{DataType, Device, ExecutionProvider, KernelRegistry, Result, Tensor};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const WEBGPU_PROVIDER: &str = "WebGpuExecutionProvider";

pub struct WgpuProvider {
    gpu: Arc<Gpu>,
    pref: PowerPreference,
}

fn invalid(msg: String) -> onnxrun_core::Error {
    onnxrun_core::Error::new(onnxrun_core::ErrorCode::InvalidArgument, msg)
}

impl WgpuProvider {
    /// Opens adapter `device_id` (adapters ordered by kind: discrete GPUs first unless
    /// `powerPreference` is "low-power", software ones last). Options:
    /// `powerPreference` = "high-performance" (default) | "low-power"; `deviceId`, if
    /// given, must equal `device_id`. Fails with EpFail when no adapter exists.
    pub fn new(device_id: i32, options: &BTreeMap<String, String>) -> Result<WgpuProvider> {
        let mut pref = PowerPreference::HighPerformance;
        for (k, v) in options {
            match k.as_str() {
                "powerPreference" | "power_preference" => {
                    pref = PowerPreference::parse(v).ok_or_else(|| {
                        invalid(format!("WebGPU option {k}='{v}' is not one of \"high-performance\", \"low-power\""))
                    })?
                }
                "deviceId" | "device_id" => {
                    if v.trim().parse::<i32>().ok() != Some(device_id) {
                        return Err(invalid(format!("WebGPU option {k}='{v}' does not match device id {device_id}")));
                    }
                }
                _ => return Err(invalid(format!("unknown WebGPU provider option '{k}' (known: deviceId, powerPreference)"))),
            }
        }
        Ok(WgpuProvider { gpu: Gpu::get(device_id, pref)?, pref })
    }

    /// Name, backend, kind and driver of the adapter in use.
    pub fn adapter(&self) -> String {
        self.gpu.description()
    }

    pub(crate) fn gpu(&self) -> &Arc<Gpu> {
        &self.gpu
    }

    /// A device tensor of `shape` whose contents the caller will overwrite.
    pub(crate) fn uninit(&self, dtype: DataType, shape: Vec<usize>) -> Result<Tensor> {
        let len = onnxrun_core::byte_len(dtype, &shape)?;
        Ok(Tensor::from_device(dtype, shape, Box::new(GpuBuffer::new(&self.gpu, len)?)))
    }

    /// `t` on this device: itself, or an upload of a host tensor.
    pub(crate) fn on_device(&self, t: &Tensor) -> Result<Tensor> {
        self.copy_to_device(t)
    }

    /// The storage buffer of a tensor that lives on this device.
    pub(crate) fn buffer<'t>(&self, t: &'t Tensor) -> Result<&'t wgpu::Buffer> {
        t.device_buffer()
            .filter(|d| d.device() == self.device())
            .and_then(|d| d.as_any().downcast_ref::<GpuBuffer>())
            .map(GpuBuffer::buffer)
            .ok_or_else(|| err(&format!("tensor on {} is not in this WebGPU device's memory", t.device().name())))
    }
}

impl ExecutionProvider for WgpuProvider {
    fn name(&self) -> &str {
        WEBGPU_PROVIDER
    }
    fn device(&self) -> Device {
        self.gpu.core_device()
    }
    fn registry(&self) -> &KernelRegistry {
        crate::ops::wgpu_registry()
    }
    fn options(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("deviceId".to_string(), self.gpu.id.to_string()),
            ("powerPreference".to_string(), self.pref.as_str().to_string()),
        ])
    }
    fn allocate(&self, dtype: DataType, shape: Vec<usize>) -> Result<Tensor> {
        if dtype == DataType::String {
            return Err(invalid("string tensors cannot live in WebGPU memory".into()));
        }
        let t = self.uninit(dtype, shape)?;
        let buf = self.buffer(&t)?;
        self.gpu.record(|e| e.clear_buffer(buf, 0, None))?;
        Ok(t)
    }
    fn copy_to_device(&self, t: &Tensor) -> Result<Tensor> {
        if !t.is_host() {
            self.buffer(t)?;
            return Ok(t.clone());
        }
        if t.dtype() == DataType::String {
            return Err(invalid("string tensors cannot live in WebGPU memory".into()));
        }
        let bytes = t.bytes()?;
        let out = self.uninit(t.dtype(), t.shape().to_vec())?;
        if !bytes.is_empty() {
            let buf = self.buffer(&out)?;
            // The buffer may come from the pool with readers still recorded: submit them
            // before the queue write, which runs ahead of the next submission.
            self.gpu.flush()?;
            if bytes.len() % 4 == 0 {
                self.gpu.queue.write_buffer(buf, 0, bytes);
            } else {
                let mut padded = bytes.to_vec();
                padded.resize(crate::pool::align4(bytes.len() as u64) as usize, 0);
                self.gpu.queue.write_buffer(buf, 0, &padded);
            }
            self.gpu.check()?;
        }
        Ok(out)
    }
    fn copy_to_host(&self, t: &Tensor) -> Result<Tensor> {
        if t.is_host() {
            return Ok(t.clone());
        }
        let buf = self.buffer(t)?;
        let mut host = Tensor::zeros(t.dtype(), t.shape().to_vec())?;
        self.gpu.read(buf, host.bytes_mut()?)?;
        Ok(host)
    }
    fn synchronize(&self) -> Result<()> {
        self.gpu.wait()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
