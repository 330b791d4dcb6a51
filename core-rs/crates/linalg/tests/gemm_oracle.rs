//! Every available GEMM implementation (each kernel, unthreaded, threaded, and with a
//! prepacked B) against the naive triple-loop oracle.

mod common;

use common::{Case, Num, Oracle, Rng};
use onnxrun_linalg::gemm::{gemm, gemm_with_packed_b, Element, PackedB};
use onnxrun_linalg::{dgemm, sgemm, ThreadPool};

const DIMS: [usize; 15] = [1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 64, 65, 100, 257];

/// (alpha, beta) pairs; beta == 0 runs with NaN in C.
const SCALARS: [(f64, f64); 6] = [
    (1.0, 0.0),
    (1.0, 1.0),
    (-0.75, 0.5),
    (2.5, 0.0),
    (0.5, -1.0),
    (1.0, 2.0),
];

struct Pools {
    two: ThreadPool,
    three: ThreadPool,
}

impl Pools {
    fn new() -> Self {
        Pools {
            two: ThreadPool::new(2),
            three: ThreadPool::new(3),
        }
    }
}

/// Runs one case through every implementation for `T`; returns how many runs passed.
fn run_all<T: Num>(case: &Case<T>, oracle: &Oracle, pools: &Pools) -> usize {
    let mut runs = 0;
    let report = |what: &str, name: &str, res: Result<(), String>| {
        if let Err(e) = res {
            panic!(
                "{what} with {name}: m={} n={} k={} trans_a={} trans_b={} alpha={:?} beta={:?} lda={} ldb={} ldc={}: {e}",
                case.m, case.n, case.k, case.trans_a, case.trans_b, case.alpha, case.beta, case.lda, case.ldb, case.ldc
            )
        }
    };
    for kernel in T::available_kernels() {
        for (what, pool) in [("unthreaded", None), ("2 threads", Some(&pools.two))] {
            let mut c = case.c.clone();
            gemm(
                kernel,
                pool,
                case.trans_a,
                case.trans_b,
                case.m,
                case.n,
                case.k,
                case.alpha,
                &case.a,
                case.lda,
                &case.b,
                case.ldb,
                case.beta,
                &mut c,
                case.ldc,
            );
            report(what, kernel.name(), oracle.check(&c, case.ldc));
            runs += 1;
        }
        let packed = PackedB::with_kernel(
            kernel,
            Some(&pools.two),
            case.trans_b,
            case.k,
            case.n,
            &case.b,
            case.ldb,
        );
        let mut c = case.c.clone();
        gemm_with_packed_b(
            Some(&pools.three),
            case.trans_a,
            case.m,
            case.n,
            case.k,
            case.alpha,
            &case.a,
            case.lda,
            &packed,
            case.beta,
            &mut c,
            case.ldc,
        );
        report(
            "prepacked B, 3 threads",
            kernel.name(),
            oracle.check(&c, case.ldc),
        );
        runs += 1;
    }
    runs
}

/// Every (m, n, k) in DIMS³; transposes, scalars and padding cycle with the case index.
fn shape_cube<T: Num>(seed: u64) -> usize {
    let pools = Pools::new();
    let mut rng = Rng::new(seed);
    let (mut idx, mut runs) = (0usize, 0usize);
    for &m in &DIMS {
        for &n in &DIMS {
            for &k in &DIMS {
                let (alpha, beta) = SCALARS[idx % SCALARS.len()];
                let pad = [0, 3, 0, 1, 7][idx % 5];
                let case = Case::<T>::new(
                    &mut rng,
                    idx % 4 >= 2,
                    idx % 2 == 1,
                    m,
                    n,
                    k,
                    alpha,
                    beta,
                    pad,
                );
                runs += run_all(&case, &case.oracle(), &pools);
                idx += 1;
            }
        }
    }
    runs
}

#[test]
fn f32_every_kernel_over_shape_cube() {
    let runs = shape_cube::<f32>(1);
    eprintln!("f32 shape cube: {runs} runs");
}

#[test]
fn f64_every_kernel_over_shape_cube() {
    let runs = shape_cube::<f64>(2);
    eprintln!("f64 shape cube: {runs} runs");
}

/// All four transposes with every scalar pair on a smaller cube.
fn transposes_and_scalars<T: Num>(seed: u64) -> usize {
    let pools = Pools::new();
    let mut rng = Rng::new(seed);
    let mut runs = 0;
    let dims = [1, 2, 7, 16, 17, 33];
    for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
        for &(alpha, beta) in &SCALARS {
            for (i, &m) in dims.iter().enumerate() {
                for &n in &dims {
                    for &k in &[1, 5, 64, 65] {
                        let case = Case::<T>::new(&mut rng, ta, tb, m, n, k, alpha, beta, i % 3);
                        runs += run_all(&case, &case.oracle(), &pools);
                    }
                }
            }
        }
    }
    runs
}

#[test]
fn f32_every_kernel_all_transposes_and_scalars() {
    let runs = transposes_and_scalars::<f32>(3);
    eprintln!("f32 transposes/scalars: {runs} runs");
}

#[test]
fn f64_every_kernel_all_transposes_and_scalars() {
    let runs = transposes_and_scalars::<f64>(4);
    eprintln!("f64 transposes/scalars: {runs} runs");
}

/// Matrix-vector shapes big enough for the threaded gemv and the multi-block frame.
#[test]
fn large_vector_and_panel_shapes() {
    let pools = Pools::new();
    let mut rng = Rng::new(5);
    for (m, n, k) in [
        (1, 3001, 301),
        (3001, 1, 301),
        (1, 1, 5000),
        (2, 2500, 300),
        (2500, 3, 300),
        (300, 2100, 70),
    ] {
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            let case = Case::<f32>::new(&mut rng, ta, tb, m, n, k, 1.5, 0.0, 1);
            run_all(&case, &case.oracle(), &pools);
            let case = Case::<f64>::new(&mut rng, ta, tb, m, n, k, -1.0, 0.5, 0);
            run_all(&case, &case.oracle(), &pools);
        }
    }
}

/// The public entry points (run-time selected kernel) agree with the oracle.
#[test]
fn sgemm_and_dgemm_public_entry_points() {
    let pool = ThreadPool::new(2);
    let mut rng = Rng::new(6);
    for &(m, n, k) in &[
        (1, 1, 1),
        (17, 33, 65),
        (100, 64, 257),
        (257, 100, 31),
        (64, 1, 100),
        (1, 65, 100),
    ] {
        for pool in [None, Some(&pool)] {
            let case = Case::<f32>::new(&mut rng, false, true, m, n, k, 1.0, 0.0, 2);
            let mut c = case.c.clone();
            sgemm(
                pool, false, true, m, n, k, 1.0, &case.a, case.lda, &case.b, case.ldb, 0.0, &mut c,
                case.ldc,
            );
            case.oracle().check(&c, case.ldc).unwrap();

            let case = Case::<f64>::new(&mut rng, true, false, m, n, k, 0.5, 1.0, 1);
            let mut c = case.c.clone();
            dgemm(
                pool, true, false, m, n, k, 0.5, &case.a, case.lda, &case.b, case.ldb, 1.0, &mut c,
                case.ldc,
            );
            case.oracle().check(&c, case.ldc).unwrap();
        }
    }
}

#[test]
fn beta_zero_overwrites_nan_and_inf() {
    for kernel in f32::available_kernels() {
        for (m, n, k) in [(1, 5, 3), (5, 1, 3), (7, 19, 3), (13, 40, 300)] {
            let a = vec![1.0f32; m * k];
            let b = vec![2.0f32; k * n];
            let mut c: Vec<f32> = (0..m * n)
                .map(|i| if i % 2 == 0 { f32::NAN } else { f32::INFINITY })
                .collect();
            gemm(
                kernel, None, false, false, m, n, k, 1.0, &a, k, &b, n, 0.0, &mut c, n,
            );
            assert!(
                c.iter().all(|&x| x == 2.0 * k as f32),
                "{}: {:?}",
                kernel.name(),
                &c[..4]
            );
        }
    }
}

#[test]
fn k_zero_or_alpha_zero_only_scales_c() {
    let a = [f32::NAN; 6];
    let b = [f32::NAN; 6];
    let mut c = [1.0f32, 2.0, 3.0, 4.0];
    sgemm(
        None,
        false,
        false,
        2,
        2,
        0,
        1.0,
        &[],
        0,
        &[],
        2,
        3.0,
        &mut c,
        2,
    );
    assert_eq!(c, [3.0, 6.0, 9.0, 12.0]);
    // alpha == 0: A and B are not referenced (BLAS convention), NaN does not leak in.
    sgemm(
        None, false, false, 2, 2, 3, 0.0, &a, 3, &b, 2, 0.5, &mut c, 2,
    );
    assert_eq!(c, [1.5, 3.0, 4.5, 6.0]);
    let mut c = [f32::NAN; 4];
    sgemm(
        None,
        false,
        false,
        2,
        2,
        0,
        1.0,
        &[],
        0,
        &[],
        2,
        0.0,
        &mut c,
        2,
    );
    assert_eq!(c, [0.0; 4]);
}

#[test]
fn empty_m_or_n_is_a_no_op() {
    let mut c = [7.0f32; 3];
    sgemm(
        None,
        false,
        false,
        0,
        3,
        4,
        1.0,
        &[],
        4,
        &[0.0; 12],
        3,
        0.0,
        &mut c,
        3,
    );
    sgemm(
        None,
        false,
        false,
        1,
        0,
        4,
        1.0,
        &[0.0; 4],
        4,
        &[],
        0,
        0.0,
        &mut c,
        0,
    );
    assert_eq!(c, [7.0; 3]);
}

#[test]
fn exact_small_product() {
    // [[1,2,3],[4,5,6]] x [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
    let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
    let b = [7.0f32, 8.0, 9.0, 10.0, 11.0, 12.0];
    for kernel in f32::available_kernels() {
        let mut c = [0.0f32; 4];
        gemm(
            kernel, None, false, false, 2, 2, 3, 1.0, &a, 3, &b, 2, 0.0, &mut c, 2,
        );
        assert_eq!(c, [58.0, 64.0, 139.0, 154.0], "{}", kernel.name());
        // Same with both operands given transposed.
        let at = [1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0];
        let bt = [7.0f32, 9.0, 11.0, 8.0, 10.0, 12.0];
        let mut c = [0.0f32; 4];
        gemm(
            kernel, None, true, true, 2, 2, 3, 1.0, &at, 2, &bt, 3, 0.0, &mut c, 2,
        );
        assert_eq!(c, [58.0, 64.0, 139.0, 154.0], "{}", kernel.name());
    }
}

#[test]
fn packed_b_is_reusable_across_calls_and_threads() {
    let pool = ThreadPool::new(2);
    let mut rng = Rng::new(7);
    let case = Case::<f32>::new(&mut rng, false, false, 50, 70, 300, 1.0, 0.0, 0);
    let packed = PackedB::new(false, 300, 70, &case.b, case.ldb);
    assert_eq!((packed.k(), packed.n()), (300, 70));
    let oracle = case.oracle();
    std::thread::scope(|s| {
        for t in 0..3 {
            let (case, packed, oracle, pool) = (&case, &packed, &oracle, &pool);
            s.spawn(move || {
                for _ in 0..5 {
                    let mut c = case.c.clone();
                    let pool = if t == 0 { None } else { Some(pool) };
                    onnxrun_linalg::sgemm_with_packed_b(
                        pool, false, 50, 70, 300, 1.0, &case.a, case.lda, packed, 0.0, &mut c,
                        case.ldc,
                    );
                    oracle.check(&c, case.ldc).unwrap();
                }
            });
        }
    });
}

#[test]
#[should_panic(
    expected = "sgemm: A is stored 3x4 with leading dimension 4, which needs 12 elements, but the slice has 11"
)]
fn short_a_panics_with_a_clear_message() {
    let mut c = [0.0f32; 6];
    sgemm(
        None, false, false, 3, 2, 4, 1.0, &[0.0; 11], 4, &[0.0; 8], 2, 0.0, &mut c, 2,
    );
}

#[test]
#[should_panic(expected = "leading dimension of C is 1, less than its stored row length 2")]
fn small_ldc_panics() {
    let mut c = [0.0f32; 6];
    sgemm(
        None, false, false, 3, 2, 4, 1.0, &[0.0; 12], 4, &[0.0; 8], 2, 0.0, &mut c, 1,
    );
}

#[test]
#[should_panic(expected = "packed B is 4x2, but the call has k=4, n=3")]
fn packed_b_shape_mismatch_panics() {
    let packed = PackedB::new(false, 4, 2, &[0.0f32; 8], 2);
    let mut c = [0.0f32; 9];
    onnxrun_linalg::sgemm_with_packed_b(
        None, false, 3, 3, 4, 1.0, &[0.0; 12], 4, &packed, 0.0, &mut c, 3,
    );
}
