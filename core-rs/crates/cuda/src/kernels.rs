//! The loaded kernel module of a device and typed launchers for each kernel signature,
//! so op code never assembles raw argument lists.

use crate::broadcast::Bcast;
use crate::compile;
use crate::device::DeviceState;
use crate::error::{driver_text, run_err};
use cudarc::driver::{CudaFunction, CudaModule, LaunchConfig, PushKernelArg};
use cudarc::nvrtc::Ptx;
use onnxrun_core::{err, Result};
use std::collections::HashMap;
use std::sync::Arc;

/// Every entry point in kernels/*.cu; all are looked up when the module loads, so a
/// missing one is an error at provider creation, not in the middle of a run.
pub const KERNEL_NAMES: &[&str] = &[
    "relu_f32",
    "sigmoid_f32",
    "tanh_f32",
    "add_same_f32",
    "add_bcast_f32",
    "sub_same_f32",
    "sub_bcast_f32",
    "mul_same_f32",
    "mul_bcast_f32",
    "div_same_f32",
    "div_bcast_f32",
    "gemm_bias_f32",
];

pub(crate) struct Kernels {
    _module: Arc<CudaModule>,
    funcs: HashMap<&'static str, CudaFunction>,
    /// Where the code came from: "disk cache <path>" or "NVRTC <arch>".
    pub origin: String,
}

impl Kernels {
    /// From the disk cache when a valid image is there; else NVRTC, then cached.
    pub fn load(state: &DeviceState) -> std::result::Result<Kernels, String> {
        let (major, minor) = state.compute;
        let path = compile::cache_path(major, minor);
        if let Some(p) = &path {
            if let Ok(bytes) = std::fs::read(p) {
                match Kernels::from_image(state, bytes) {
                    Ok(mut k) => {
                        k.origin = format!("disk cache {}", p.display());
                        return Ok(k);
                    }
                    // Stale or damaged: drop it and compile afresh.
                    Err(_) => {
                        let _ = std::fs::remove_file(p);
                    }
                }
            }
        }
        let image = compile::compile(major, minor)?;
        let mut k = Kernels::from_image(state, image.bytes.clone())?;
        k.origin = format!("NVRTC {}", image.arch);
        if let Some(p) = &path {
            compile::store(p, &image);
        }
        Ok(k)
    }

    fn from_image(state: &DeviceState, bytes: Vec<u8>) -> std::result::Result<Kernels, String> {
        let module = state.ctx.load_module(Ptx::from_binary(bytes)).map_err(|e| format!("loading the kernel module failed: {}", driver_text(e)))?;
        let mut funcs = HashMap::new();
        for &name in KERNEL_NAMES {
            let f = module.load_function(name).map_err(|e| format!("kernel '{name}' is missing from the module: {}", driver_text(e)))?;
            funcs.insert(name, f);
        }
        Ok(Kernels { _module: module, funcs, origin: String::new() })
    }

    fn get(&self, name: &str) -> Result<&CudaFunction> {
        self.funcs.get(name).ok_or_else(|| err!(Fail, "CUDA kernel '{name}' is not registered"))
    }
}

const BLOCK: u32 = 256;
/// Grid-stride loops cover the rest; more blocks than this gains nothing.
const MAX_BLOCKS: u64 = 1 << 20;

fn grid(n: u64) -> LaunchConfig {
    let blocks = n.div_ceil(BLOCK as u64).clamp(1, MAX_BLOCKS) as u32;
    LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (BLOCK, 1, 1), shared_mem_bytes: 0 }
}

/// Typed launches on a device's stream. Pointers are device addresses of f32 buffers
/// the caller sized for `n` (or m*n) elements.
pub(crate) struct Launcher<'a> {
    pub state: &'a DeviceState,
    pub kernels: &'a Kernels,
}

impl Launcher<'_> {
    /// y[i] = f(x[i]), i < n.
    pub fn unary(&self, name: &str, n: u64, x: u64, y: u64) -> Result<()> {
        let f = self.kernels.get(name)?;
        let mut b = self.state.stream.launch_builder(f);
        b.arg(&n).arg(&x).arg(&y);
        // SAFETY: signature (u64 n, const float* x, float* y) as in unary.cu; x and y
        // hold n floats (checked by the caller) and outlive the queued launch.
        unsafe { b.launch(grid(n)) }.map(|_| ()).map_err(|e| run_err(name, e))
    }

    /// y[i] = a[i] op b[i], i < n.
    pub fn binary_same(&self, name: &str, n: u64, a: u64, bp: u64, y: u64) -> Result<()> {
        let f = self.kernels.get(name)?;
        let mut b = self.state.stream.launch_builder(f);
        b.arg(&n).arg(&a).arg(&bp).arg(&y);
        // SAFETY: signature (u64, const float*, const float*, float*) as in binary.cu;
        // all three buffers hold n floats.
        unsafe { b.launch(grid(n)) }.map(|_| ()).map_err(|e| run_err(name, e))
    }

    /// y[i] = a[off_a(i)] op b[off_b(i)] with offsets from the descriptor.
    pub fn binary_bcast(&self, name: &str, n: u64, d: &Bcast, a: u64, bp: u64, y: u64) -> Result<()> {
        let f = self.kernels.get(name)?;
        let mut b = self.state.stream.launch_builder(f);
        b.arg(&n).arg(d).arg(&a).arg(&bp).arg(&y);
        // SAFETY: signature (u64, Bcast, const float*, const float*, float*); Bcast has
        // the kernel's layout; the plan's strides stay inside each operand.
        unsafe { b.launch(grid(n)) }.map(|_| ()).map_err(|e| run_err(name, e))
    }

    /// y[r,c] = beta * c[r*c_rs + c*c_cs] over m x n.
    #[allow(clippy::too_many_arguments)]
    pub fn gemm_bias(&self, m: u64, n: u64, c: u64, c_rs: u64, c_cs: u64, beta: f32, y: u64) -> Result<()> {
        let f = self.kernels.get("gemm_bias_f32")?;
        let mut b = self.state.stream.launch_builder(f);
        b.arg(&m).arg(&n).arg(&c).arg(&c_rs).arg(&c_cs).arg(&beta).arg(&y);
        // SAFETY: signature (u64, u64, const float*, u64, u64, float, float*) as in
        // gemm.cu; y holds m*n floats and the strides keep reads inside c.
        unsafe { b.launch(grid(m * n)) }.map(|_| ()).map_err(|e| run_err("gemm_bias_f32", e))
    }
}
