//! Device memory: `GpuBuffer` (a tensor's storage buffer, returned to the pool on drop)
//! and a pool of free buffers keyed by size class.
//!
//! Reuse is safe without fences because everything goes through one queue in order: a
//! buffer freed by a kernel that is still recorded or running is only ever handed to
//! later commands on the same queue (and `Gpu::flush` runs before any `write_buffer`).

use crate::context::Gpu;
use onnxrun_core::{Device, DeviceBuffer};
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Free bytes the pool keeps; beyond this, freed buffers are released to the driver.
const MAX_POOLED_BYTES: u64 = 1 << 30;

pub(crate) const USAGE: wgpu::BufferUsages =
    wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_SRC).union(wgpu::BufferUsages::COPY_DST);

pub(crate) fn align4(n: u64) -> u64 {
    (n + 3) & !3
}

/// Size class of a request: multiples of 256 bytes up to 64 KiB, then steps of an eighth
/// of the power of two below (at most 12.5% unused).
pub(crate) fn size_class(len: u64) -> u64 {
    let len = len.max(4);
    if len <= 64 << 10 {
        return (len + 255) & !255;
    }
    let step = (1u64 << (63 - len.leading_zeros())) / 8;
    len.div_ceil(step) * step
}

#[derive(Default)]
pub(crate) struct BufferPool {
    free: Mutex<(HashMap<u64, Vec<wgpu::Buffer>>, u64)>,
}

impl BufferPool {
    fn take(&self, size: u64) -> Option<wgpu::Buffer> {
        let mut g = self.free.lock().ok()?;
        let buf = g.0.get_mut(&size)?.pop()?;
        g.1 -= size;
        Some(buf)
    }

    fn give(&self, buf: wgpu::Buffer) {
        let size = buf.size();
        if let Ok(mut g) = self.free.lock() {
            if g.1 + size <= MAX_POOLED_BYTES {
                g.1 += size;
                g.0.entry(size).or_default().push(buf);
            }
        }
    }
}

/// A tensor's storage on a wgpu device.
pub struct GpuBuffer {
    buf: Option<wgpu::Buffer>,
    len: usize,
    gpu: Arc<Gpu>,
}

impl GpuBuffer {
    /// A buffer of at least `len` bytes with unspecified contents (the pool's, or zeros).
    pub(crate) fn new(gpu: &Arc<Gpu>, len: usize) -> onnxrun_core::Result<GpuBuffer> {
        // Rounding up must not push a bindable tensor past the storage binding limit.
        let size = match size_class(len as u64) {
            s if s > gpu.limits.max_storage_buffer_binding_size => align4(len as u64).max(4),
            s => s,
        };
        let max = gpu.limits.max_buffer_size;
        if size > max {
            return Err(crate::context::err(&format!(
                "a tensor of {len} bytes exceeds this WebGPU device's largest buffer ({max} bytes)"
            )));
        }
        let buf = match gpu.pool.take(size) {
            Some(b) => b,
            None => gpu.device.create_buffer(&wgpu::BufferDescriptor { label: Some("onnxrun tensor"), size, usage: USAGE, mapped_at_creation: false }),
        };
        Ok(GpuBuffer { buf: Some(buf), len, gpu: gpu.clone() })
    }

    pub fn buffer(&self) -> &wgpu::Buffer {
        self.buf.as_ref().expect("a live GpuBuffer holds its buffer")
    }
}

impl Drop for GpuBuffer {
    fn drop(&mut self) {
        if let Some(b) = self.buf.take() {
            self.gpu.pool.give(b);
        }
    }
}

impl DeviceBuffer for GpuBuffer {
    fn device(&self) -> Device {
        self.gpu.core_device()
    }
    fn byte_len(&self) -> usize {
        self.len
    }
    /// WebGPU has no device addresses; like ONNX Runtime's WebGPU provider we hand out an
    /// opaque handle instead: this buffer object's own (boxed, so stable) address.
    fn device_ptr(&self) -> u64 {
        self as *const GpuBuffer as u64
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_cover_the_request_with_bounded_waste() {
        for len in [0u64, 1, 4, 255, 256, 257, 65536, 65537, 100_000, 1 << 20, (1 << 20) + 1, 3_000_000_007] {
            let c = size_class(len);
            assert!(c >= len.max(4) && c.is_multiple_of(4), "{len} -> {c}");
            assert!(len < 65536 || (c - len) * 8 <= len, "{len} -> {c} wastes too much");
        }
        assert_eq!(size_class(65537), 65536 + 8192);
    }
}
