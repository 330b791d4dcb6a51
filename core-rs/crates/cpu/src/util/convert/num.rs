//! `Num` and `cast`: scalar conversion between the plain element types with Cast's rules.

use onnxrun_core::half::{bf16, f16};
use onnxrun_core::Element;


/// How a type converts: drives the branch `cast` takes (folded at compile time).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    F32,
    Float,
    Signed,
    Unsigned,
    Bool,
}

/// A plain element type that converts to and from every other.
pub trait Num: Element {
    const KIND: Kind;
    fn to_f32(self) -> f32;
    fn to_f64(self) -> f64;
    /// Integers and bool: the value. Floats: truncated (x86 rules).
    fn to_i64(self) -> i64;
    fn to_u64(self) -> u64;
    fn from_f32(v: f32) -> Self;
    fn from_f64(v: f64) -> Self;
    fn from_i64(v: i64) -> Self;
    fn from_u64(v: u64) -> Self;
}

/// float → i32 as x86 `cvttsd2si` does: truncate, and INT_MIN when NaN or out of range.
#[inline(always)]
pub fn f64_to_i32_x86(v: f64) -> i32 {
    if v > -2147483649.0 && v < 2147483648.0 {
        // SAFETY: v is finite and truncates into i32's range (NaN fails the comparisons).
        unsafe { v.to_int_unchecked::<i32>() }
    } else {
        i32::MIN
    }
}

/// f32 → i32 like `f64_to_i32_x86`, in one vectorizable conversion.
#[inline(always)]
pub fn f32_to_i32_x86(v: f32) -> i32 {
    if v >= -2147483648.0 && v < 2147483648.0 {
        // SAFETY: v is finite and within i32's range (NaN fails the comparisons).
        unsafe { v.to_int_unchecked::<i32>() }
    } else {
        i32::MIN
    }
}

/// float → i64 as x86 does: truncate, and INT64_MIN when NaN or out of range.
#[inline(always)]
pub fn f64_to_i64_x86(v: f64) -> i64 {
    if v >= -9.223372036854775808e18 && v < 9.223372036854775808e18 {
        // SAFETY: v is finite and within i64's range (NaN fails the comparisons).
        unsafe { v.to_int_unchecked::<i64>() }
    } else {
        i64::MIN
    }
}

macro_rules! num_small_int {
    ($($t:ty => $k:ident),*) => {$(
        impl Num for $t {
            const KIND: Kind = Kind::$k;
            #[inline(always)] fn to_f32(self) -> f32 { self as f32 }
            #[inline(always)] fn to_f64(self) -> f64 { self as f64 }
            #[inline(always)] fn to_i64(self) -> i64 { self as i64 }
            #[inline(always)] fn to_u64(self) -> u64 { self as u64 }
            #[inline(always)] fn from_f32(v: f32) -> Self { f32_to_i32_x86(v) as $t }
            #[inline(always)] fn from_f64(v: f64) -> Self { f64_to_i32_x86(v) as $t }
            #[inline(always)] fn from_i64(v: i64) -> Self { v as $t }
            #[inline(always)] fn from_u64(v: u64) -> Self { v as $t }
        }
    )*};
}
num_small_int!(i8 => Signed, i16 => Signed, i32 => Signed, u8 => Unsigned, u16 => Unsigned);

impl Num for u32 {
    const KIND: Kind = Kind::Unsigned;
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        self as u64
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        f64_to_i64_x86(v as f64) as u32
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        f64_to_i64_x86(v) as u32
    }
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v as u32
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        v as u32
    }
}

impl Num for i64 {
    const KIND: Kind = Kind::Signed;
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        self as u64
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        f64_to_i64_x86(v as f64)
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        f64_to_i64_x86(v)
    }
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        v as i64
    }
}

impl Num for u64 {
    const KIND: Kind = Kind::Unsigned;
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        self
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        Self::from_f64(v as f64)
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        if (0.0..18446744073709551616.0).contains(&v) {
            v as u64
        } else {
            f64_to_i64_x86(v) as u64
        }
    }
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v as u64
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        v
    }
}

impl Num for bool {
    const KIND: Kind = Kind::Bool;
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self as u8 as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        self as u64
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        v != 0.0
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        v != 0
    }
}

impl Num for f32 {
    const KIND: Kind = Kind::F32;
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        f64_to_i64_x86(self as f64)
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        u64::from_f32(self)
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        v
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        v as f32
    }
}

impl Num for f64 {
    const KIND: Kind = Kind::Float;
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        f64_to_i64_x86(self)
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        u64::from_f64(self)
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        v as f64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v as f64
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        v as f64
    }
}

macro_rules! num_half {
    ($($t:ty),*) => {$(
        impl Num for $t {
            const KIND: Kind = Kind::Float;
            #[inline(always)] fn to_f32(self) -> f32 { <$t>::to_f32(self) }
            #[inline(always)] fn to_f64(self) -> f64 { <$t>::to_f64(self) }
            #[inline(always)] fn to_i64(self) -> i64 { f64_to_i64_x86(<$t>::to_f64(self)) }
            #[inline(always)] fn to_u64(self) -> u64 { u64::from_f64(<$t>::to_f64(self)) }
            #[inline(always)] fn from_f32(v: f32) -> Self { <$t>::from_f32(v) }
            #[inline(always)] fn from_f64(v: f64) -> Self { <$t>::from_f64(v) }
            #[inline(always)] fn from_i64(v: i64) -> Self { <$t>::from_f64(v as f64) }
            #[inline(always)] fn from_u64(v: u64) -> Self { <$t>::from_f64(v as f64) }
        }
    )*};
}
num_half!(f16, bf16);

/// Converts one element with Cast semantics.
#[inline(always)]
pub fn cast<S: Num, D: Num>(s: S) -> D {
    match S::KIND {
        Kind::F32 => D::from_f32(s.to_f32()),
        Kind::Float => D::from_f64(s.to_f64()),
        Kind::Signed | Kind::Bool => D::from_i64(s.to_i64()),
        Kind::Unsigned => D::from_u64(s.to_u64()),
    }
}
