//! Float element types computed through a wider accumulator: f16/bf16 and f32 in f32,
//! f64 in f64. Kernels for math ops (softmax, norms, reductions) are written once over
//! `Real` and `Acc`.

use onnxrun_core::half::{bf16, f16};
use onnxrun_core::Element;

/// The accumulator float: f32 or f64.
pub trait Acc:
    Copy
    + Send
    + Sync
    + PartialOrd
    + std::fmt::Debug
    + Default
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
    + std::ops::AddAssign
    + std::ops::MulAssign
    + 'static
{
    const ZERO: Self;
    const ONE: Self;
    const INFINITY: Self;
    const NEG_INFINITY: Self;
    const NAN: Self;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn powf(self, e: Self) -> Self;
    fn is_nan(self) -> bool;
    fn max(self, o: Self) -> Self;
    fn min(self, o: Self) -> Self;
    /// The slice as f32 when this type is f32 (for the `vecmath` fast paths).
    fn f32s(x: &[Self]) -> Option<&[f32]>;
}

macro_rules! acc_impl {
    ($t:ty, |$x:ident| $f32s:expr) => {
        impl Acc for $t {
            fn f32s($x: &[Self]) -> Option<&[f32]> {
                $f32s
            }
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const INFINITY: Self = <$t>::INFINITY;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;
            const NAN: Self = <$t>::NAN;
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn powf(self, e: Self) -> Self {
                <$t>::powf(self, e)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                <$t>::max(self, o)
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                <$t>::min(self, o)
            }
        }
    };
}
acc_impl!(f32, |x| Some(x));
acc_impl!(f64, |_x| None);

/// A float tensor element and the accumulator it is computed in.
pub trait Real: Element {
    type A: Acc;
    fn to_acc(self) -> Self::A;
    fn from_acc(a: Self::A) -> Self;
    /// The slice as f32 when this type is f32 (for the `vecmath` fast paths).
    fn f32s(_x: &[Self]) -> Option<&[f32]> {
        None
    }
    fn f32s_mut(_x: &mut [Self]) -> Option<&mut [f32]> {
        None
    }
}

impl Real for f32 {
    type A = f32;
    #[inline(always)]
    fn to_acc(self) -> f32 {
        self
    }
    #[inline(always)]
    fn from_acc(a: f32) -> f32 {
        a
    }
    fn f32s(x: &[f32]) -> Option<&[f32]> {
        Some(x)
    }
    fn f32s_mut(x: &mut [f32]) -> Option<&mut [f32]> {
        Some(x)
    }
}

impl Real for f64 {
    type A = f64;
    #[inline(always)]
    fn to_acc(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_acc(a: f64) -> f64 {
        a
    }
}

impl Real for f16 {
    type A = f32;
    #[inline(always)]
    fn to_acc(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn from_acc(a: f32) -> f16 {
        f16::from_f32(a)
    }
}

impl Real for bf16 {
    type A = f32;
    #[inline(always)]
    fn to_acc(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn from_acc(a: f32) -> bf16 {
        bf16::from_f32(a)
    }
}

/// f16/bf16/f32 slice → f32 vector (widening copy).
pub fn to_f32_vec<T: Real<A = f32>>(x: &[T]) -> Vec<f32> {
    x.iter().map(|v| v.to_acc()).collect()
}
