//! WGSL sources, compiled pipelines (cached per shader and entry point), and the one
//! dispatch helper every kernel uses.

use crate::context::{err, Gpu};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

const PRELUDE: &str = include_str!("shaders/prelude.wgsl");

/// Most workgroups a dispatch may have along one dimension (WebGPU's default limit).
const MAX_GROUPS_PER_DIM: u32 = 65535;

/// A shader file with its specialization; its entry points are the kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shader {
    Elementwise,
    /// Each thread computes a `tm` x `tm` block of a (16 tm)-square output tile.
    Matmul { tm: u32 },
}

impl Shader {
    fn body(self) -> &'static str {
        match self {
            Shader::Elementwise => include_str!("shaders/elementwise.wgsl"),
            Shader::Matmul { .. } => include_str!("shaders/matmul.wgsl"),
        }
    }
    /// Constants put in front of the prelude: the specialization.
    fn header(self) -> String {
        match self {
            Shader::Elementwise => String::new(),
            Shader::Matmul { tm } => format!("const TM: u32 = {tm}u;\n"),
        }
    }
    fn name(self) -> String {
        match self {
            Shader::Elementwise => "elementwise.wgsl".into(),
            Shader::Matmul { tm } => format!("matmul.wgsl (TM={tm})"),
        }
    }
}

#[derive(Default)]
pub(crate) struct PipelineCache {
    modules: Mutex<HashMap<Shader, Arc<wgpu::ShaderModule>>>,
    pipelines: Mutex<HashMap<(Shader, &'static str), Arc<wgpu::ComputePipeline>>>,
}

/// Catches validation errors of `f` instead of sending them to the device's error sink.
fn scoped<T>(gpu: &Gpu, what: &str, f: impl FnOnce() -> T) -> onnxrun_core::Result<T> {
    let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let v = f();
    match pollster::block_on(scope.pop()) {
        Some(e) => Err(err(&format!("{what}: {e}"))),
        None => Ok(v),
    }
}

impl Gpu {
    pub(crate) fn pipeline(&self, shader: Shader, entry: &'static str) -> onnxrun_core::Result<Arc<wgpu::ComputePipeline>> {
        let poisoned = || err("pipeline cache poisoned");
        if let Some(p) = self.pipelines.pipelines.lock().map_err(|_| poisoned())?.get(&(shader, entry)) {
            return Ok(p.clone());
        }
        let module = {
            let mut modules = self.pipelines.modules.lock().map_err(|_| poisoned())?;
            match modules.get(&shader) {
                Some(m) => m.clone(),
                None => {
                    let source = format!("{}{PRELUDE}\n{}", shader.header(), shader.body());
                    let m = scoped(self, &format!("compiling {}", shader.name()), || {
                        self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                            label: Some(&shader.name()),
                            source: wgpu::ShaderSource::Wgsl(source.into()),
                        })
                    })?;
                    let m = Arc::new(m);
                    modules.insert(shader, m.clone());
                    m
                }
            }
        };
        let p = scoped(self, &format!("building kernel {entry} of {}", shader.name()), || {
            self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        })?;
        let p = Arc::new(p);
        self.pipelines.pipelines.lock().map_err(|_| poisoned())?.insert((shader, entry), p.clone());
        Ok(p)
    }

    /// Records one dispatch of `entry` over `groups` workgroups (spread over x and y to
    /// respect the per-dimension limit). Binding 0 is the uniform `params`; `buffers`
    /// gives (binding, buffer) for the storage bindings the entry point uses.
    pub(crate) fn dispatch(
        &self,
        shader: Shader,
        entry: &'static str,
        params: &[u8],
        buffers: &[(u32, &wgpu::Buffer)],
        groups: u64,
    ) -> onnxrun_core::Result<()> {
        if groups == 0 {
            return Ok(());
        }
        let max_binding = self.limits.max_storage_buffer_binding_size;
        for (_, b) in buffers {
            if b.size() > max_binding {
                return Err(err(&format!(
                    "{entry}: a buffer of {} bytes exceeds this device's storage binding limit of {max_binding} bytes",
                    b.size()
                )));
            }
        }
        let x = groups.min(MAX_GROUPS_PER_DIM as u64);
        let y = groups.div_ceil(x);
        if y > MAX_GROUPS_PER_DIM as u64 {
            return Err(err(&format!("{entry}: {groups} workgroups are more than one dispatch can hold")));
        }
        let pipeline = self.pipeline(shader, entry)?;
        // Created mapped, so its contents travel with the next submission and it needs no
        // queue write (which would have to flush the stream first).
        let uniform = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("onnxrun params"),
            contents: params,
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let mut entries = Vec::with_capacity(buffers.len() + 1);
        entries.push(wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() });
        for (binding, b) in buffers {
            entries.push(wgpu::BindGroupEntry { binding: *binding, resource: b.as_entire_binding() });
        }
        let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(entry),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        self.record(|enc| {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(entry), timestamp_writes: None });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(x as u32, y as u32, 1);
        })
    }
}
