//! Element types the pools run on, each with the type it is computed in: f16/bf16 in f32,
//! the others as themselves (so their rows can be read in place, without conversion).

use onnxrun_core::half::{bf16, f16};
use onnxrun_core::Element;

pub trait PoolElem: Element {
    type A: Copy + Send + Sync + PartialOrd + std::fmt::Debug + 'static;
    fn up(self) -> Self::A;
    fn down(a: Self::A) -> Self;
    /// The slice viewed as the compute type, when that is the element type itself.
    fn same(x: &[Self]) -> Option<&[Self::A]>;
    fn same_mut(x: &mut [Self]) -> Option<&mut [Self::A]>;
}

macro_rules! itself {
    ($($t:ty),*) => {$(
        impl PoolElem for $t {
            type A = $t;
            #[inline(always)]
            fn up(self) -> $t {
                self
            }
            #[inline(always)]
            fn down(a: $t) -> $t {
                a
            }
            #[inline(always)]
            fn same(x: &[$t]) -> Option<&[$t]> {
                Some(x)
            }
            #[inline(always)]
            fn same_mut(x: &mut [$t]) -> Option<&mut [$t]> {
                Some(x)
            }
        }
    )*};
}
itself!(f32, f64, i8, u8);

macro_rules! widened {
    ($($t:ty),*) => {$(
        impl PoolElem for $t {
            type A = f32;
            #[inline(always)]
            fn up(self) -> f32 {
                self.to_f32()
            }
            #[inline(always)]
            fn down(a: f32) -> $t {
                <$t>::from_f32(a)
            }
            #[inline(always)]
            fn same(_: &[$t]) -> Option<&[f32]> {
                None
            }
            #[inline(always)]
            fn same_mut(_: &mut [$t]) -> Option<&mut [f32]> {
                None
            }
        }
    )*};
}
widened!(f16, bf16);

/// What max pooling needs of a compute type: a floor, NaN detection, and a max that
/// propagates NaN.
pub trait MaxVal: Copy + PartialOrd + Send + Sync + 'static {
    const LOWEST: Self;
    fn nan(self) -> bool;
    /// Larger of the two, NaN if either is. Written without a select on an input (which
    /// LLVM turns into masked stores when the input was loaded from the destination): a
    /// native max, then NaN restored through the sum.
    fn maxv(self, o: Self) -> Self;
}

macro_rules! max_float {
    ($($t:ty),*) => {$(
        impl MaxVal for $t {
            const LOWEST: $t = <$t>::NEG_INFINITY;
            #[inline(always)]
            fn nan(self) -> bool {
                self.is_nan()
            }
            #[inline(always)]
            fn maxv(self, o: $t) -> $t {
                // One max instruction, one unordered compare, one add, one blend.
                let m = if self > o { self } else { o };
                if (self != self) | (o != o) {
                    self + o
                } else {
                    m
                }
            }
        }
    )*};
}
max_float!(f32, f64);

macro_rules! max_int {
    ($($t:ty),*) => {$(
        impl MaxVal for $t {
            const LOWEST: $t = <$t>::MIN;
            #[inline(always)]
            fn nan(self) -> bool {
                false
            }
            #[inline(always)]
            fn maxv(self, o: $t) -> $t {
                Ord::max(self, o)
            }
        }
    )*};
}
max_int!(i8, u8);
