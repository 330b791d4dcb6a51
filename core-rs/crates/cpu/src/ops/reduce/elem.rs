//! The numbers reductions accumulate in: floats in f32 (f16/bf16/f32) or f64, signed
//! integers in i64, unsigned integers and bool in u64 (wrapping, then truncated back,
//! which gives the same bits as wrapping in the narrow type for sums and products).

use onnxrun_core::half::{bf16, f16};
use onnxrun_core::Element;

/// An accumulator scalar.
pub(crate) trait Num: Copy + PartialOrd + Send + Sync + std::fmt::Debug + 'static {
    const ZERO: Self;
    const ONE: Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn abs(self) -> Self;
    fn exp(self) -> Self;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    /// Sum / count (integer division for integers; count 0 gives NaN or 0).
    fn div_count(self, n: usize) -> Self;
    fn is_nan(self) -> bool;
    /// Max that lets a NaN win (numpy's `max`).
    #[inline(always)]
    fn maxp(self, o: Self) -> Self {
        if o > self || o.is_nan() {
            o
        } else {
            self
        }
    }
    #[inline(always)]
    fn minp(self, o: Self) -> Self {
        if o < self || o.is_nan() {
            o
        } else {
            self
        }
    }
}

macro_rules! num_float {
    ($t:ty) => {
        impl Num for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)]
            fn add(self, o: Self) -> Self { self + o }
            #[inline(always)]
            fn sub(self, o: Self) -> Self { self - o }
            #[inline(always)]
            fn mul(self, o: Self) -> Self { self * o }
            #[inline(always)]
            fn abs(self) -> Self { <$t>::abs(self) }
            #[inline(always)]
            fn exp(self) -> Self { <$t>::exp(self) }
            #[inline(always)]
            fn to_f64(self) -> f64 { self as f64 }
            #[inline(always)]
            fn from_f64(v: f64) -> Self { v as $t }
            fn div_count(self, n: usize) -> Self { self / n as $t }
            #[inline(always)]
            fn is_nan(self) -> bool { self != self }
        }
    };
}
num_float!(f32);
num_float!(f64);

macro_rules! num_int {
    ($t:ty) => {
        impl Num for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            #[inline(always)]
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline(always)]
            fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            #[inline(always)]
            fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn abs(self) -> Self { if self < 0 { self.wrapping_neg() } else { self } }
            fn exp(self) -> Self { (self as f64).exp() as $t }
            #[inline(always)]
            fn to_f64(self) -> f64 { self as f64 }
            #[inline(always)]
            fn from_f64(v: f64) -> Self { v as $t }
            fn div_count(self, n: usize) -> Self { if n == 0 { 0 } else { self / n as $t } }
            #[inline(always)]
            fn is_nan(self) -> bool { false }
        }
    };
}
num_int!(i64);
num_int!(u64);

/// A tensor element that reductions read and write through an accumulator `S`.
pub(crate) trait RElem: Element {
    type S: Num;
    /// Identity of Max (the type's lowest value) and of Min (its highest).
    const LOWEST: Self;
    const HIGHEST: Self;
    fn to_s(self) -> Self::S;
    fn from_s(s: Self::S) -> Self;
}

macro_rules! relem {
    ($t:ty, $s:ty, $lo:expr, $hi:expr, |$v:ident| $to:expr, |$a:ident| $from:expr) => {
        impl RElem for $t {
            type S = $s;
            const LOWEST: Self = $lo;
            const HIGHEST: Self = $hi;
            #[inline(always)]
            fn to_s(self) -> $s { let $v = self; $to }
            #[inline(always)]
            fn from_s($a: $s) -> Self { $from }
        }
    };
}
relem!(f32, f32, f32::NEG_INFINITY, f32::INFINITY, |v| v, |a| a);
relem!(f64, f64, f64::NEG_INFINITY, f64::INFINITY, |v| v, |a| a);
relem!(f16, f32, f16::NEG_INFINITY, f16::INFINITY, |v| v.to_f32(), |a| f16::from_f32(a));
relem!(bf16, f32, bf16::NEG_INFINITY, bf16::INFINITY, |v| v.to_f32(), |a| bf16::from_f32(a));
relem!(i8, i64, i8::MIN, i8::MAX, |v| v as i64, |a| a as i8);
relem!(i16, i64, i16::MIN, i16::MAX, |v| v as i64, |a| a as i16);
relem!(i32, i64, i32::MIN, i32::MAX, |v| v as i64, |a| a as i32);
relem!(i64, i64, i64::MIN, i64::MAX, |v| v, |a| a);
relem!(u8, u64, 0, u8::MAX, |v| v as u64, |a| a as u8);
relem!(u16, u64, 0, u16::MAX, |v| v as u64, |a| a as u16);
relem!(u32, u64, 0, u32::MAX, |v| v as u64, |a| a as u32);
relem!(u64, u64, 0, u64::MAX, |v| v, |a| a);
relem!(bool, u64, false, true, |v| v as u64, |a| a != 0);
