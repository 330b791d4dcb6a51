//! The CPU execution provider: the reference provider, holding every kernel and an
//! intra-op thread pool.

use crate::ops;
use onnxrun_core::{DataType, Device, ExecutionProvider, KernelRegistry, Result, Tensor};
use onnxrun_linalg::ThreadPool;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

pub const CPU_PROVIDER: &str = "CPUExecutionProvider";

pub struct CpuProvider {
    pool: Option<Arc<ThreadPool>>,
    threads: usize,
}

/// All CPU kernels, registered once per process.
pub fn cpu_registry() -> &'static KernelRegistry {
    static REGISTRY: OnceLock<KernelRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = KernelRegistry::new();
        ops::register_all(&mut r);
        r
    })
}

impl CpuProvider {
    /// `threads` = 0 picks the number of cores.
    pub fn new(threads: usize) -> CpuProvider {
        let threads = if threads == 0 { std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) } else { threads };
        let pool = (threads > 1).then(|| Arc::new(ThreadPool::new(threads)));
        CpuProvider { pool, threads }
    }

    /// The intra-op pool; `None` when running single-threaded.
    pub fn pool(&self) -> Option<&ThreadPool> {
        self.pool.as_deref()
    }
}

impl ExecutionProvider for CpuProvider {
    fn name(&self) -> &str {
        CPU_PROVIDER
    }
    fn device(&self) -> Device {
        Device::CPU
    }
    fn registry(&self) -> &KernelRegistry {
        cpu_registry()
    }
    fn options(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }
    fn allocate(&self, dtype: DataType, shape: Vec<usize>) -> Result<Tensor> {
        Tensor::zeros(dtype, shape)
    }
    fn copy_to_device(&self, t: &Tensor) -> Result<Tensor> {
        Ok(t.clone())
    }
    fn copy_to_host(&self, t: &Tensor) -> Result<Tensor> {
        Ok(t.clone())
    }
    fn intra_op_threads(&self) -> usize {
        self.threads
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
