//! Branch-free f32 exp, tanh, sigmoid and erf that vectorize (libm calls do not), within a
//! few ulp; f64 keeps the standard library. The polynomial coefficients were fitted here
//! (weighted least squares on Chebyshev nodes against f64 references), with the worst
//! errors noted at each.

use crate::util::vecmath::exp_f32;

/// Math the activation/unary kernels use, fast for f32, exact-as-libm for f64.
pub(crate) trait FastMath: Copy {
    fn fexp(self) -> Self;
    fn ftanh(self) -> Self;
    fn fsigmoid(self) -> Self;
    fn ferf(self) -> Self;
    /// 0.5·x·(1 + erf(x/√2)).
    fn fgelu(self) -> Self;
}

impl FastMath for f32 {
    #[inline(always)]
    fn fexp(self) -> f32 {
        exp_f32(self)
    }
    #[inline(always)]
    fn ftanh(self) -> f32 {
        tanh_f32(self)
    }
    #[inline(always)]
    fn fsigmoid(self) -> f32 {
        1.0 / (1.0 + exp_f32(-self))
    }
    #[inline(always)]
    fn ferf(self) -> f32 {
        erf_f32(self)
    }
    #[inline(always)]
    fn fgelu(self) -> f32 {
        gelu_f32(self)
    }
}

impl FastMath for f64 {
    #[inline(always)]
    fn fexp(self) -> f64 {
        self.exp()
    }
    #[inline(always)]
    fn ftanh(self) -> f64 {
        self.tanh()
    }
    #[inline(always)]
    fn fsigmoid(self) -> f64 {
        if self >= 0.0 {
            1.0 / (1.0 + (-self).exp())
        } else {
            let e = self.exp();
            e / (1.0 + e)
        }
    }
    #[inline(always)]
    fn ferf(self) -> f64 {
        super::unary::erf64(self)
    }
    #[inline(always)]
    fn fgelu(self) -> f64 {
        0.5 * self * (1.0 + super::unary::erf64(self * std::f64::consts::FRAC_1_SQRT_2))
    }
}

/// c[0] + c[1]·t + c[2]·t² + ... by Estrin's scheme: pairs, then pairs of pairs in t², t⁴,
/// ..., so the dependency chain is log-deep instead of Horner's len-deep.
#[inline(always)]
fn poly<const N: usize>(t: f32, c: &[f32; N]) -> f32 {
    let mut v = [0f32; N];
    let mut n = N.div_ceil(2);
    for i in 0..n {
        v[i] = if 2 * i + 1 < N { c[2 * i] + c[2 * i + 1] * t } else { c[2 * i] };
    }
    let mut p = t * t;
    while n > 1 {
        let m = n.div_ceil(2);
        for i in 0..m {
            v[i] = if 2 * i + 1 < n { v[2 * i] + v[2 * i + 1] * p } else { v[2 * i] };
        }
        n = m;
        p = p * p;
    }
    v[0]
}

/// tanh: x·P(x²)/Q(x²) on x clamped to ±9 (where tanh rounds to ±1), relative error
/// < 4e-7; one division and no exp.
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    const P: [f32; 5] = [0.999_999_992_587, 0.133_850_197_913, 0.003_500_200_247, 2.067_963_168e-5, 1.344_235_337e-8];
    const Q: [f32; 5] = [1.0, 0.467_183_409_696, 0.025_894_870_572, 3.292_947_163e-4, 7.814_576_037e-7];
    let xc = x.clamp(-9.0, 9.0);
    let t = xc * xc;
    let r = (xc * poly(t, &P) / poly(t, &Q)).clamp(-1.0, 1.0);
    if x.abs() >= 9.0 {
        1f32.copysign(x)
    } else {
        r
    }
}

/// erf: x·P(x²) below 1 (relative error < 2e-7); 1 - e^{-x²}·Q(1/x) on [1, 3.93) (absolute
/// error < 3e-8); ±1 beyond, where erfc is below half an f32 ulp of 1.
#[inline(always)]
pub(crate) fn erf_f32(x: f32) -> f32 {
    const P: [f32; 7] = [
        1.128_379_166_510,
        -0.376_126_288_433,
        0.112_836_124_282,
        -0.026_854_808_535,
        0.005_190_053_574,
        -0.000_802_435_410,
        0.000_078_982_101,
    ];
    const Q: [f32; 9] = [
        0.000_257_560_848,
        0.559_250_547_010,
        0.040_562_538_533,
        -0.466_041_676_243,
        0.483_780_730_166,
        -0.222_720_754_841,
        0.006_882_498_765,
        0.036_754_590_433,
        -0.011_142_486_472,
    ];
    let a = x.abs();
    let small = x * poly(x * x, &P);
    let big = 1.0 - exp_f32(-a * a) * poly(1.0 / a.max(1.0), &Q);
    let big = if a < 3.93 { big } else { 1.0 };
    let big = big.copysign(x);
    if a < 1.0 {
        small
    } else if a.is_nan() {
        x
    } else {
        big
    }
}

/// erfc(a) for a >= 0 as e^{R(a)}, R a polynomial fitted to ln erfc on [0, 4]: relative
/// error < 4e-6, absolute < 5e-8; 0 from 4 on (erfc(4) < 1.6e-8). One branch, no division:
/// for Gelu, where only 1 ± erf matters.
#[inline(always)]
fn erfc_pos_f32(a: f32) -> f32 {
    const R: [f32; 13] = [
        -1.211_518_998e-9,
        -1.128_379_027_790,
        -6.366_223_995_665e-1,
        -1.027_531_544_864e-1,
        1.905_314_303_845e-2,
        3.850_720_339_543e-4,
        -1.965_152_994_425e-3,
        8.726_742_707_698e-4,
        -2.343_999_593_774e-4,
        4.248_017_186_253e-5,
        -5.096_972_698_293e-6,
        3.669_833_699_647e-7,
        -1.201_700_545_060e-8,
    ];
    let e = exp_f32(poly(a.min(4.0), &R));
    if a < 4.0 {
        e
    } else {
        0.0
    }
}

/// Gelu's exact form 0.5·x·(1 + erf(x/√2)), as 0.5·x·erfc(|x|/√2) for x < 0 (keeping
/// relative accuracy in the tail) and 0.5·x·(2 - erfc) otherwise.
#[inline(always)]
pub(crate) fn gelu_f32(x: f32) -> f32 {
    let e = erfc_pos_f32(x.abs() * std::f32::consts::FRAC_1_SQRT_2);
    0.5 * x * if x < 0.0 { e } else { 2.0 - e }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(f: fn(f32) -> f32, want: fn(f64) -> f64, lo: f32, hi: f32, rel: f64, abs: f64) {
        let mut x = lo;
        while x < hi {
            let (g, w) = (f(x) as f64, want(x as f64));
            assert!((g - w).abs() <= abs + rel * w.abs(), "x={x}: got {g}, want {w}");
            x += 0.000_731;
        }
    }

    #[test]
    fn accuracy() {
        check(tanh_f32, f64::tanh, -12.0, 12.0, 5e-7, 1e-30);
        check(erf_f32, super::super::unary::erf64, -5.0, 5.0, 3e-7, 6e-8);
        check(|x| x.fsigmoid(), |x| 1.0 / (1.0 + (-x).exp()), -90.0, 90.0, 1e-6, 1e-30);
        let gelu = |x: f64| 0.5 * x * (1.0 + super::super::unary::erf64(x * std::f64::consts::FRAC_1_SQRT_2));
        check(gelu_f32, gelu, -10.0, 10.0, 5e-6, 1e-7);
        assert!(gelu_f32(f32::NAN).is_nan());
        assert!(tanh_f32(f32::NAN).is_nan() && erf_f32(f32::NAN).is_nan() && f32::NAN.fsigmoid().is_nan());
        assert_eq!(tanh_f32(f32::INFINITY), 1.0);
        assert_eq!(erf_f32(f32::NEG_INFINITY), -1.0);
        assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert!((tanh_f32(1e-30) - 1e-30).abs() < 1e-37);
    }
}
