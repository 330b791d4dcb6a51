//! Micro-kernel descriptors, the per-type kernel tables and the run-time tier choice.

use super::scalar::generic_gemm;
use std::fmt;
use std::sync::OnceLock;

/// Environment variable that forces a tier (`scalar` or `fma`), read once per process.
/// A tier the CPU lacks falls back to the best one it has.
pub const TIER_ENV: &str = "ONNXRUN_LINALG_TIER";

/// A micro-kernel computes one MR×NR tile of C from packed panels:
/// `C[i][j] = alpha * Σ_p a[p*MR + i] * b[p*NR + j] + beta * C[i][j]` for `i < MR`,
/// `j < NR`, where `C[i][j]` is `c[i*ldc + j]`; with `beta == 0` C is only written.
///
/// Arguments: `(k, alpha, a, b, beta, c, ldc)`.
pub(crate) type KernelFn<T> = unsafe fn(usize, T, *const T, *const T, T, *mut T, usize);

/// Instruction-set tiers, in increasing order of preference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// Portable Rust, any CPU.
    Scalar,
    /// x86-64 AVX2 + FMA.
    Fma,
}

impl Tier {
    pub fn name(self) -> &'static str {
        match self {
            Tier::Scalar => "scalar",
            Tier::Fma => "fma",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        match s.trim().to_ascii_lowercase().as_str() {
            "scalar" | "generic" => Some(Tier::Scalar),
            "fma" | "avx2" => Some(Tier::Fma),
            _ => None,
        }
    }

    /// Whether this CPU can run the tier's kernels.
    pub fn is_supported(self) -> bool {
        match self {
            Tier::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Tier::Fma => {
                std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Tier::Fma => false,
        }
    }
}

/// The best tier this CPU supports.
pub fn detected_tier() -> Tier {
    [Tier::Fma, Tier::Scalar]
        .into_iter()
        .find(|t| t.is_supported())
        .unwrap_or(Tier::Scalar)
}

/// The tier `sgemm`/`dgemm` use: the detected one, or the one forced by [`TIER_ENV`]
/// (capped at what the CPU supports). Chosen once and cached.
pub fn active_tier() -> Tier {
    static ACTIVE: OnceLock<Tier> = OnceLock::new();
    *ACTIVE.get_or_init(|| {
        let detected = detected_tier();
        match std::env::var(TIER_ENV)
            .ok()
            .as_deref()
            .and_then(Tier::parse)
        {
            Some(forced) if forced.is_supported() => forced,
            Some(_) | None => detected,
        }
    })
}

/// A micro-kernel plus the cache blocking that suits it.
pub struct GemmKernel<T> {
    name: &'static str,
    tier: Tier,
    pub(crate) mr: usize,
    pub(crate) nr: usize,
    /// Depth of one packed block: an NR-wide B panel of `kc` rows stays in L1.
    pub(crate) kc: usize,
    /// Rows of one packed A block: `mc × kc` stays in L2.
    pub(crate) mc: usize,
    /// Columns of one B block: `kc × nc` stays in the shared L3.
    pub(crate) nc: usize,
    pub(crate) func: KernelFn<T>,
}

impl<T> fmt::Debug for GemmKernel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (kc={}, mc={}, nc={})",
            self.name, self.kc, self.mc, self.nc
        )
    }
}

/// Half of a 512 KiB L2 for the A block, 2 MiB of L3 for the B block.
const L2_BUDGET: usize = 256 << 10;
const L3_BUDGET: usize = 2 << 20;
const KC: usize = 256;

impl<T> GemmKernel<T> {
    const fn new(name: &'static str, tier: Tier, mr: usize, nr: usize, func: KernelFn<T>) -> Self {
        let size = std::mem::size_of::<T>();
        let mc = max(mr, L2_BUDGET / (KC * size) / mr * mr);
        let nc = max(nr, L3_BUDGET / (KC * size) / nr * nr);
        GemmKernel {
            name,
            tier,
            mr,
            nr,
            kc: KC,
            mc,
            nc,
            func,
        }
    }

    /// Tiny blocks, so the tests walk every blocking loop with small matrices.
    const fn with_blocking(mut self, kc: usize, mc: usize, nc: usize) -> Self {
        self.kc = kc;
        self.mc = mc;
        self.nc = nc;
        self
    }

    /// `<arch>_<tier>_gemm_<dtype>_<mr>x<nr>`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn tier(&self) -> Tier {
        self.tier
    }

    /// Register tile (rows, columns).
    pub fn tile(&self) -> (usize, usize) {
        (self.mr, self.nr)
    }

    /// Cache blocks (kc, mc, nc).
    pub fn blocking(&self) -> (usize, usize, usize) {
        (self.kc, self.mc, self.nc)
    }
}

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

// The scalar tier's production tile comes first; the odd tiles and tiny blocks only
// exist so the property tests exercise the frame's edge and blocking paths.
static F32_SCALAR: [GemmKernel<f32>; 4] = [
    GemmKernel::new(
        "generic_scalar_gemm_f32_4x8",
        Tier::Scalar,
        4,
        8,
        generic_gemm::<f32, 4, 8>,
    ),
    GemmKernel::new(
        "generic_scalar_gemm_f32_1x1",
        Tier::Scalar,
        1,
        1,
        generic_gemm::<f32, 1, 1>,
    ),
    GemmKernel::new(
        "generic_scalar_gemm_f32_3x5",
        Tier::Scalar,
        3,
        5,
        generic_gemm::<f32, 3, 5>,
    )
    .with_blocking(16, 9, 20),
    GemmKernel::new(
        "generic_scalar_gemm_f32_8x4",
        Tier::Scalar,
        8,
        4,
        generic_gemm::<f32, 8, 4>,
    )
    .with_blocking(7, 16, 12),
];

static F64_SCALAR: [GemmKernel<f64>; 2] = [
    GemmKernel::new(
        "generic_scalar_gemm_f64_4x4",
        Tier::Scalar,
        4,
        4,
        generic_gemm::<f64, 4, 4>,
    ),
    GemmKernel::new(
        "generic_scalar_gemm_f64_3x5",
        Tier::Scalar,
        3,
        5,
        generic_gemm::<f64, 3, 5>,
    )
    .with_blocking(16, 9, 20),
];

#[cfg(target_arch = "x86_64")]
static F32_FMA: GemmKernel<f32> = GemmKernel::new(
    "x86_64_fma_gemm_f32_6x16",
    Tier::Fma,
    6,
    16,
    super::x86_64_fma::x86_64_fma_gemm_f32_6x16,
);

#[cfg(target_arch = "x86_64")]
static F64_FMA: GemmKernel<f64> = GemmKernel::new(
    "x86_64_fma_gemm_f64_6x8",
    Tier::Fma,
    6,
    8,
    super::x86_64_fma::x86_64_fma_gemm_f64_6x8,
);

// Plug decision: on the 2-core AMD EPYC (Zen 3, ~2.3 GHz, AVX2+FMA, no AVX-512) the
// f32 6x16 kernel alone runs at ~74 GFLOP/s (the 32 flop/cycle peak) and the whole
// sgemm at ~65-75 GFLOP/s on 512³/1024³ with one thread, against ~17 for the scalar
// 4x8 (examples/gemm_speed.rs).
pub(crate) fn f32_kernel(tier: Tier) -> &'static GemmKernel<f32> {
    match tier {
        #[cfg(target_arch = "x86_64")]
        Tier::Fma if Tier::Fma.is_supported() => &F32_FMA,
        _ => &F32_SCALAR[0],
    }
}

pub(crate) fn f64_kernel(tier: Tier) -> &'static GemmKernel<f64> {
    match tier {
        #[cfg(target_arch = "x86_64")]
        Tier::Fma if Tier::Fma.is_supported() => &F64_FMA,
        _ => &F64_SCALAR[0],
    }
}

pub(crate) fn f32_kernels() -> Vec<&'static GemmKernel<f32>> {
    #[allow(unused_mut)]
    let mut all: Vec<&'static GemmKernel<f32>> = F32_SCALAR.iter().collect();
    #[cfg(target_arch = "x86_64")]
    all.push(&F32_FMA);
    all.retain(|k| k.tier.is_supported());
    all
}

pub(crate) fn f64_kernels() -> Vec<&'static GemmKernel<f64>> {
    #[allow(unused_mut)]
    let mut all: Vec<&'static GemmKernel<f64>> = F64_SCALAR.iter().collect();
    #[cfg(target_arch = "x86_64")]
    all.push(&F64_FMA);
    all.retain(|k| k.tier.is_supported());
    all
}
