//! The GPU behind a provider: adapter choice, device and queue, the command stream that
//! batches kernels, and device errors. One context per (device id, options) is shared by
//! every provider in the process, so sessions share pipelines and pooled buffers.

use crate::pool::BufferPool;
use onnxrun_core::{Device, DeviceKind, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// Kernels recorded before the command stream is submitted on its own.
const FLUSH_EVERY: usize = 32;

/// Adapter ordering preference (the `powerPreference` option).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PowerPreference {
    HighPerformance,
    LowPower,
}

impl PowerPreference {
    pub fn parse(s: &str) -> Option<PowerPreference> {
        match s {
            "high-performance" | "default" | "" => Some(PowerPreference::HighPerformance),
            "low-power" => Some(PowerPreference::LowPower),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            PowerPreference::HighPerformance => "high-performance",
            PowerPreference::LowPower => "low-power",
        }
    }
}

fn rank(t: wgpu::DeviceType, pref: PowerPreference) -> u8 {
    use wgpu::DeviceType::*;
    match (pref, t) {
        (PowerPreference::HighPerformance, DiscreteGpu) | (PowerPreference::LowPower, IntegratedGpu) => 0,
        (PowerPreference::HighPerformance, IntegratedGpu) | (PowerPreference::LowPower, DiscreteGpu) => 1,
        (_, VirtualGpu) => 2,
        (_, Cpu) => 3,
        (_, Other) => 4,
    }
}

fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = wgpu::Backends::PRIMARY;
    // Validation layers only when asked for through WGPU_* variables.
    desc.flags = wgpu::InstanceFlags::empty().with_env();
    wgpu::Instance::new(desc)
}

/// Adapters in device-id order: best kind first (per the preference), then as listed.
fn adapters(inst: &wgpu::Instance, pref: PowerPreference) -> Vec<wgpu::Adapter> {
    let mut list = pollster::block_on(inst.enumerate_adapters(wgpu::Backends::PRIMARY));
    list.sort_by_key(|a| rank(a.get_info().device_type, pref));
    list
}

pub fn describe(info: &wgpu::AdapterInfo) -> String {
    let kind = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => "discrete GPU",
        wgpu::DeviceType::IntegratedGpu => "integrated GPU",
        wgpu::DeviceType::VirtualGpu => "virtual GPU",
        wgpu::DeviceType::Cpu => "software",
        wgpu::DeviceType::Other => "other",
    };
    let driver = [info.driver.as_str(), info.driver_info.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ");
    if driver.is_empty() {
        format!("{} ({:?}, {kind})", info.name, info.backend)
    } else {
        format!("{} ({:?}, {kind}, {driver})", info.name, info.backend)
    }
}

const NO_ADAPTER: &str = "no WebGPU adapter found (wgpu saw no Vulkan, Metal or DX12 device; on Linux install a Vulkan driver and loader, e.g. Debian's mesa-vulkan-drivers and libvulkan1)";

/// The default adapter's description, or why there is none. Computed once per process.
pub fn probe() -> std::result::Result<String, String> {
    static PROBE: OnceLock<std::result::Result<String, String>> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            // wgpu or a driver may panic on a broken installation; that means "unavailable".
            std::panic::catch_unwind(|| {
                let inst = instance();
                match adapters(&inst, PowerPreference::HighPerformance).first() {
                    Some(a) => Ok(describe(&a.get_info())),
                    None => Err(NO_ADAPTER.to_string()),
                }
            })
            .unwrap_or_else(|_| Err("wgpu panicked while looking for adapters".to_string()))
        })
        .clone()
}

/// Commands recorded but not yet submitted.
#[derive(Default)]
struct Stream {
    encoder: Option<wgpu::CommandEncoder>,
    recorded: usize,
}

pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pub id: i32,
    pub(crate) pool: BufferPool,
    pub(crate) pipelines: crate::pipelines::PipelineCache,
    stream: Mutex<Stream>,
    /// First device error (validation, out of memory, device lost) not yet reported.
    error: Arc<Mutex<Option<String>>>,
}

impl Gpu {
    /// The shared context for this device id and preference, created on first use.
    pub fn get(device_id: i32, pref: PowerPreference) -> Result<Arc<Gpu>> {
        type Live = Mutex<HashMap<(i32, PowerPreference), Weak<Gpu>>>;
        static LIVE: OnceLock<Live> = OnceLock::new();
        let mut live = LIVE.get_or_init(Default::default).lock().map_err(|_| err("context table poisoned"))?;
        if let Some(g) = live.get(&(device_id, pref)).and_then(Weak::upgrade) {
            return Ok(g);
        }
        let g = Arc::new(Gpu::open(device_id, pref)?);
        live.insert((device_id, pref), Arc::downgrade(&g));
        Ok(g)
    }

    fn open(device_id: i32, pref: PowerPreference) -> Result<Gpu> {
        if device_id < 0 {
            return Err(onnxrun_core::Error::new(onnxrun_core::ErrorCode::InvalidArgument, format!("WebGPU device id {device_id} is negative")));
        }
        let inst = instance();
        let list = adapters(&inst, pref);
        if list.is_empty() {
            return Err(err(NO_ADAPTER));
        }
        let names: Vec<String> = list.iter().map(|a| describe(&a.get_info())).collect();
        let adapter = list.into_iter().nth(device_id as usize).ok_or_else(|| {
            err(&format!("WebGPU device id {device_id} does not exist; adapters: {}", names.join("; ")))
        })?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let desc = wgpu::DeviceDescriptor {
            label: Some("onnxrun"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            ..Default::default()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc))
            .map_err(|e| err(&format!("could not open {}: {e}", describe(&info))))?;
        let error: Arc<Mutex<Option<String>>> = Arc::default();
        let sink = error.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut slot) = sink.lock() {
                slot.get_or_insert_with(|| e.to_string());
            }
        }));
        let sink = error.clone();
        device.set_device_lost_callback(move |reason, msg| {
            if let Ok(mut slot) = sink.lock() {
                slot.get_or_insert_with(|| format!("device lost ({reason:?}): {msg}"));
            }
        });
        Ok(Gpu {
            device,
            queue,
            info,
            limits,
            id: device_id,
            pool: BufferPool::default(),
            pipelines: Default::default(),
            stream: Mutex::new(Stream::default()),
            error,
        })
    }

    pub fn core_device(&self) -> Device {
        Device { kind: DeviceKind::WebGpu, id: self.id }
    }

    pub fn description(&self) -> String {
        describe(&self.info)
    }

    /// Reports (once) a device error raised since the last check.
    pub fn check(&self) -> Result<()> {
        let e = self.error.lock().map_err(|_| err("error slot poisoned"))?.take();
        match e {
            Some(msg) => Err(err(&format!("WebGPU device error on {}: {msg}", self.description()))),
            None => Ok(()),
        }
    }

    /// Records commands into the current stream; submits when enough have piled up.
    pub fn record(&self, f: impl FnOnce(&mut wgpu::CommandEncoder)) -> Result<()> {
        let mut s = self.stream.lock().map_err(|_| err("command stream poisoned"))?;
        let enc = s.encoder.get_or_insert_with(|| self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("onnxrun") }));
        f(enc);
        s.recorded += 1;
        if s.recorded >= FLUSH_EVERY {
            self.submit(&mut s);
        }
        drop(s);
        self.check()
    }

    fn submit(&self, s: &mut Stream) {
        if let Some(enc) = s.encoder.take() {
            self.queue.submit([enc.finish()]);
        }
        s.recorded = 0;
    }

    /// Submits recorded commands. Must precede `queue.write_buffer` into a recycled buffer:
    /// queue writes run before the *next* submission, so recorded readers of the buffer's
    /// old contents have to be submitted first.
    pub fn flush(&self) -> Result<()> {
        let mut s = self.stream.lock().map_err(|_| err("command stream poisoned"))?;
        self.submit(&mut s);
        Ok(())
    }

    /// Submits and waits for all queued work.
    pub fn wait(&self) -> Result<()> {
        self.flush()?;
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| err(&format!("waiting for the GPU failed: {e}")))?;
        self.check()
    }

    /// Copies the first `len` bytes of `src` to host memory, waiting for queued work.
    pub fn read(&self, src: &wgpu::Buffer, dst: &mut [u8]) -> Result<()> {
        let len = dst.len();
        if len == 0 {
            return Ok(());
        }
        let padded = crate::pool::align4(len as u64);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("onnxrun readback"),
            size: padded,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.record(|e| e.copy_buffer_to_buffer(src, 0, &staging, 0, padded))?;
        self.flush()?;
        let (tx, rx) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| err(&format!("waiting for the GPU failed: {e}")))?;
        self.check()?;
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(err(&format!("mapping a readback buffer failed: {e}"))),
            Err(_) => return Err(err("readback buffer was never mapped")),
        }
        {
            let view = staging.get_mapped_range(..).map_err(|e| err(&format!("reading a mapped buffer failed: {e}")))?;
            dst.copy_from_slice(&view[..len]);
        }
        staging.unmap();
        Ok(())
    }
}

pub(crate) fn err(msg: &str) -> onnxrun_core::Error {
    onnxrun_core::Error::new(onnxrun_core::ErrorCode::EpFail, msg.to_string())
}
