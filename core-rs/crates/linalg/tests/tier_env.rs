//! ONNXRUN_LINALG_TIER forces the kernel tier (own process: the choice is cached).

use onnxrun_linalg::gemm::{active_tier, Element, TIER_ENV};
use onnxrun_linalg::{sgemm, Tier};

#[test]
fn env_var_forces_scalar_tier() {
    std::env::set_var(TIER_ENV, "scalar");
    assert_eq!(active_tier(), Tier::Scalar);
    assert_eq!(f32::best_kernel().name(), "generic_scalar_gemm_f32_4x8");
    assert_eq!(f64::best_kernel().tier(), Tier::Scalar);
    let mut c = [0.0f32; 4];
    sgemm(
        None,
        false,
        false,
        2,
        2,
        3,
        1.0,
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        3,
        &[7.0, 8.0, 9.0, 10.0, 11.0, 12.0],
        2,
        0.0,
        &mut c,
        2,
    );
    assert_eq!(c, [58.0, 64.0, 139.0, 154.0]);
    assert_eq!(Tier::parse("FMA"), Some(Tier::Fma));
    assert_eq!(Tier::parse("avx9"), None);
}
