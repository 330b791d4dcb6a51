//! Throughput check (not a test): GFLOP/s of sgemm/dgemm per kernel and thread count.
//!
//! cargo run -p onnxrun-linalg --release --example gemm_speed [sizes...]

use onnxrun_linalg::gemm::{gemm, gemm_with_packed_b, Element, PackedB};
use onnxrun_linalg::ThreadPool;
use std::time::{Duration, Instant};

/// Best-of time for `f`, repeated for at least ~0.3 s.
fn best_time(mut f: impl FnMut()) -> Duration {
    f();
    let start = Instant::now();
    let mut best = Duration::MAX;
    let mut reps = 0;
    while reps < 3 || (start.elapsed() < Duration::from_millis(300) && reps < 1000) {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
        reps += 1;
    }
    best
}

fn bench<T: Element + From<f32>>(
    label: &str,
    shapes: &[(usize, usize, usize)],
    pools: &[ThreadPool],
) {
    for kernel in T::available_kernels() {
        // The odd test tiles are there for the property tests, not for speed.
        if kernel.name().contains("1x1")
            || kernel.name().contains("3x5")
            || kernel.name().contains("8x4")
        {
            continue;
        }
        for &(m, n, k) in shapes {
            let a: Vec<T> = (0..m * k)
                .map(|i| T::from((i % 7) as f32 * 0.25 - 0.5))
                .collect();
            let b: Vec<T> = (0..k * n)
                .map(|i| T::from((i % 5) as f32 * 0.5 - 1.0))
                .collect();
            let mut c = vec![T::ZERO; m * n];
            let flops = 2.0 * (m * n * k) as f64;
            let mut line = format!("{label} {:<28} {m:>5}x{n:<5}x{k:<5}", kernel.name());
            for pool in pools {
                let t = best_time(|| {
                    gemm(
                        kernel,
                        Some(pool),
                        false,
                        false,
                        m,
                        n,
                        k,
                        T::ONE,
                        &a,
                        k,
                        &b,
                        n,
                        T::ZERO,
                        &mut c,
                        n,
                    )
                });
                let packed = PackedB::with_kernel(kernel, Some(pool), false, k, n, &b, n);
                let tp = best_time(|| {
                    gemm_with_packed_b(
                        Some(pool),
                        false,
                        m,
                        n,
                        k,
                        T::ONE,
                        &a,
                        k,
                        &packed,
                        T::ZERO,
                        &mut c,
                        n,
                    )
                });
                line += &format!(
                    "  {}T {:7.1} GFLOP/s (prepacked B {:7.1})",
                    pool.num_threads(),
                    flops / t.as_secs_f64() / 1e9,
                    flops / tp.as_secs_f64() / 1e9
                );
            }
            println!("{line}");
        }
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|s| s.parse().ok())
        .collect();
    let sizes = if args.is_empty() {
        vec![64, 128, 256, 512, 1024]
    } else {
        args
    };
    let mut shapes: Vec<_> = sizes.iter().map(|&s| (s, s, s)).collect();
    // Inference-like shapes: a single token through an FC layer, and a batch of them.
    shapes.extend([(1, 3072, 768), (128, 3072, 768), (3072, 1, 768)]);
    let pools = [ThreadPool::new(1), ThreadPool::new(2)];
    println!("active tier: {:?}", onnxrun_linalg::gemm::active_tier());
    bench::<f32>("f32", &shapes, &pools);
    bench::<f64>("f64", &shapes, &pools);
}
