//! Image ops: Resize and Upsample, GridSample, AffineGrid, Col2Im and ImageDecoder.
//!
//! Interpolating kernels compute in an accumulator float (`Px::A`: f32 for 1- and 2-byte
//! types and f32 itself, f64 for f64 and the 4/8-byte integers so they keep every digit)
//! and store back with rounding half to even and saturation for integer types, as the ONNX
//! reference does (`saturate_cast` after `np.round`).

mod facts;
mod affine_grid;
mod col2im;
mod decoder;
mod grid_sample;
mod resize;
mod upsample;

use crate::util::real::Acc;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{Element, KernelRegistry};

pub fn register(r: &mut KernelRegistry) {
    resize::register(r);
    upsample::register(r);
    grid_sample::register(r);
    affine_grid::register(r);
    col2im::register(r);
    decoder::register(r);
    facts::register(r);
}

/// A numeric element read into and written from its accumulator float.
pub(crate) trait Px: Element {
    type A: Acc;
    fn load(self) -> Self::A;
    fn store(a: Self::A) -> Self;
}

macro_rules! px_float {
    ($($t:ty => $a:ty, |$v:ident| $ld:expr, |$w:ident| $st:expr);*) => {$(
        impl Px for $t {
            type A = $a;
            #[inline(always)]
            fn load(self) -> $a {
                let $v = self;
                $ld
            }
            #[inline(always)]
            fn store(a: $a) -> $t {
                let $w = a;
                $st
            }
        }
    )*};
}
px_float!(
    f32 => f32, |v| v, |a| a;
    f64 => f64, |v| v, |a| a;
    f16 => f32, |v| v.to_f32(), |a| f16::from_f32(a);
    bf16 => f32, |v| v.to_f32(), |a| bf16::from_f32(a)
);

// `as` from float to int saturates (and maps NaN to 0), which is the clamp we want.
macro_rules! px_int {
    ($($t:ty => $a:ty),*) => {$(
        impl Px for $t {
            type A = $a;
            #[inline(always)]
            fn load(self) -> $a {
                self as $a
            }
            #[inline(always)]
            fn store(a: $a) -> $t {
                a.round_ties_even() as $t
            }
        }
    )*};
}
px_int!(i8 => f32, u8 => f32, i16 => f32, u16 => f32, i32 => f64, u32 => f64, i64 => f64, u64 => f64);
