//! f32 slice kernels for the row-wise math ops (softmax, normalizations): a fast exp and
//! lane-parallel sums/maxima. Each kernel body is written once, `#[inline(always)]`, and
//! compiled twice: for the baseline target and with AVX2+FMA, picked at run time by
//! onnxrun_linalg's tier (so `ONNXRUN_LINALG_TIER=scalar` forces the baseline here too).
//! Sums use eight partial accumulators so they vectorize (and round a little better).

use onnxrun_linalg::gemm::{active_tier, Tier};

/// e^x for x <= 88 (beyond, +inf; below -87.3, 0), within ~2 ulp: Cephes' polynomial on
/// the reduced argument, the power of two built in the exponent bits. Branch-free, so
/// loops over it vectorize. NaN stays NaN.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    exp_f32_with::<false>(x)
}

/// `a * b + c`, fused when compiled for FMA (`F`), else two roundings.
#[inline(always)]
fn madd<const F: bool>(a: f32, b: f32, c: f32) -> f32 {
    if F {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

#[inline(always)]
fn exp_f32_with<const F: bool>(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const LO: f32 = -87.336_54;
    const HI: f32 = 88.029_69;
    let xc = x.clamp(LO, HI);
    // Round x / ln2 to nearest with the 1.5 * 2^23 trick (plain adds vectorize).
    let n = (xc * LOG2E + 12_582_912.0) - 12_582_912.0;
    let r = madd::<F>(n, -LN2_LO, madd::<F>(n, -LN2_HI, xc));
    let mut p = 1.987_569_1e-4f32;
    p = madd::<F>(p, r, 1.398_199_9e-3);
    p = madd::<F>(p, r, 8.333_452e-3);
    p = madd::<F>(p, r, 4.166_579_6e-2);
    p = madd::<F>(p, r, 1.666_666_5e-1);
    // Cephes has 5.0000001201e-1 here, which rounds to 0.5 in f32.
    p = madd::<F>(p, r, 0.5);
    let y = madd::<F>(p, r * r, r + 1.0);
    // 2^n from the exponent bits: n + 127 sits in the low mantissa bits of
    // n + 127 + 2^23, and shifting them up drops the rest (no float-to-int conversion,
    // which would not vectorize with its saturating semantics).
    let scale = f32::from_bits((n + (127.0 + 8_388_608.0)).to_bits() << 23);
    let v = y * scale;
    let v = if x < LO { 0.0 } else { v };
    if x > HI {
        f32::INFINITY
    } else {
        v
    }
}

#[inline(always)]
fn fold8(p: [f32; 8], f: impl Fn(f32, f32) -> f32) -> f32 {
    f(f(f(p[0], p[1]), f(p[2], p[3])), f(f(p[4], p[5]), f(p[6], p[7])))
}

#[inline(always)]
fn max_body<const F: bool>(x: &[f32]) -> f32 {
    let mut p = [f32::NEG_INFINITY; 8];
    let mut c = x.chunks_exact(8);
    for v in &mut c {
        for i in 0..8 {
            p[i] = if v[i] > p[i] { v[i] } else { p[i] };
        }
    }
    let mut m = fold8(p, |a, b| if b > a { b } else { a });
    for &v in c.remainder() {
        m = if v > m { v } else { m };
    }
    m
}

#[inline(always)]
fn sum_map_body<const F: bool>(x: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut p = [0f32; 8];
    let mut c = x.chunks_exact(8);
    for v in &mut c {
        for i in 0..8 {
            p[i] += f(v[i]);
        }
    }
    let mut s = fold8(p, |a, b| a + b);
    for &v in c.remainder() {
        s += f(v);
    }
    s
}

#[inline(always)]
fn sum_exp_body<const F: bool>(x: &[f32], shift: f32) -> f32 {
    sum_map_body::<F>(x, |v| exp_f32_with::<F>(v - shift))
}

#[inline(always)]
fn exp_store_body<const F: bool>(x: &[f32], shift: f32, out: &mut [f32]) -> f32 {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = exp_f32_with::<F>(v - shift);
    }
    sum_map_body::<F>(out, |v| v)
}

#[inline(always)]
fn scale_body<const F: bool>(y: &mut [f32], s: f32) {
    for v in y.iter_mut() {
        *v *= s;
    }
}

#[inline(always)]
fn shift_body<const F: bool>(y: &mut [f32], x: &[f32], s: f32) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = v - s;
    }
}

#[inline(always)]
fn norm_body<const F: bool>(y: &mut [f32], x: &[f32], mean: f32, inv: f32, w: &[f32], b: Option<&[f32]>) {
    match b {
        Some(b) => {
            for (((o, &v), &w), &b) in y.iter_mut().zip(x).zip(w).zip(b) {
                *o = madd::<F>((v - mean) * inv, w, b);
            }
        }
        None => {
            for ((o, &v), &w) in y.iter_mut().zip(x).zip(w) {
                *o = (v - mean) * inv * w;
            }
        }
    }
}

/// Defines `pub fn $name` running `$body::<true>` compiled for AVX2+FMA when the tier
/// allows, else `$body::<false>` for the baseline target.
macro_rules! multiversion {
    ($(#[$doc:meta])* fn $name:ident / $avx:ident ($($arg:ident : $ty:ty),*) -> $ret:ty = $body:ident($($barg:expr),*);) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx($($arg: $ty),*) -> $ret {
            $body::<true>($($barg),*)
        }

        $(#[$doc])*
        pub fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            if active_tier() == Tier::Fma {
                // SAFETY: the Fma tier is only active when the CPU has AVX2 and FMA.
                return unsafe { $avx($($arg),*) };
            }
            $body::<false>($($barg),*)
        }
    };
}

multiversion! {
    /// Largest element (-inf for an empty slice; NaNs are skipped).
    fn max / max_avx2(x: &[f32]) -> f32 = max_body(x);
}
multiversion! {
    /// Sum of the elements.
    fn sum / sum_avx2(x: &[f32]) -> f32 = sum_map_body(x, |v| v);
}
multiversion! {
    /// Sum of squares.
    fn sum_sq / sum_sq_avx2(x: &[f32]) -> f32 = sum_map_body(x, |v| v * v);
}
multiversion! {
    /// Sum of squared deviations from `mean`.
    fn sum_sq_dev / sum_sq_dev_avx2(x: &[f32], mean: f32) -> f32 = sum_map_body(x, |v| (v - mean) * (v - mean));
}
multiversion! {
    /// Sum of `exp(x - shift)`.
    fn sum_exp / sum_exp_avx2(x: &[f32], shift: f32) -> f32 = sum_exp_body(x, shift);
}
multiversion! {
    /// `out = exp(x - shift)`, returning its sum.
    fn exp_store / exp_store_avx2(x: &[f32], shift: f32, out: &mut [f32]) -> f32 = exp_store_body(x, shift, out);
}
multiversion! {
    /// `y *= s`.
    fn scale / scale_avx2(y: &mut [f32], s: f32) -> () = scale_body(y, s);
}
multiversion! {
    /// `y = x - s`.
    fn shift / shift_avx2(y: &mut [f32], x: &[f32], s: f32) -> () = shift_body(y, x, s);
}
multiversion! {
    /// `y = (x - mean) * inv * w (+ b)`.
    fn normalize / normalize_avx2(y: &mut [f32], x: &[f32], mean: f32, inv: f32, w: &[f32], b: Option<&[f32]>) -> () =
        norm_body(y, x, mean, inv, w, b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_accurate() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let (got, want) = (exp_f32(x) as f64, (x as f64).exp());
            worst = worst.max(((got - want) / want).abs());
            x += 0.0137;
        }
        assert!(worst < 3e-7, "worst relative error {worst}");
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(-1000.0), 0.0);
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(1000.0), f32::INFINITY);
        assert!(exp_f32(f32::NAN).is_nan());
    }

    #[test]
    fn sums_and_max() {
        let x: Vec<f32> = (0..37).map(|i| (i as f32 - 18.0) * 0.5).collect();
        assert_eq!(max(&x), 9.0);
        assert_eq!(max(&[]), f32::NEG_INFINITY);
        assert!((sum(&x) - x.iter().sum::<f32>()).abs() < 1e-5);
        let mut out = vec![0f32; 37];
        let s = exp_store(&x, 9.0, &mut out);
        let want: f64 = x.iter().map(|&v| ((v - 9.0) as f64).exp()).sum();
        assert!((s as f64 - want).abs() < 1e-5 * want);
        assert!((sum_exp(&x, 9.0) - s).abs() < 1e-6 * s);
    }
}
