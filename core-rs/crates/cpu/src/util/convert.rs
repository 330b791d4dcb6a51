//! Element conversions with ONNX Cast semantics, shared by Cast/CastLike, the quantize
//! family and any kernel that computes in another type.
//!
//! - `Num` + `cast::<S, D>(x)`: scalar conversion between the 13 "plain" element types
//!   (floats, ints, bool). Float → int truncates toward zero; out-of-range and NaN follow
//!   the x86 conversion numpy/onnxruntime produce (via i32 for ≤32-bit types, i64 for
//!   64-bit ones, wrapping to the width). Int → int wraps (two's complement).
//! - Minifloats held as raw bytes: `F8::*.encode/decode` for float8 E4M3FN/E4M3FNUZ/E5M2/
//!   E5M2FNUZ (round-to-nearest-even, `saturate` as the Cast spec tables say),
//!   `e8m0_encode/decode`, `f4_encode/decode` (float4 E2M1, always saturating).
//! - `wrap_signed/wrap_unsigned`: int4/int2/uint4/uint2, held unpacked one per byte.
//! - `parse_number` / `format_float`: string ↔ number the way the ONNX reference does.
//! - `cast_tensor`: a whole tensor to any dtype (all pairs, strings included).

use crate::return_or_value;
use crate::util::parallel::for_chunks_mut;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, DataType, Element, Result, Tensor};
use onnxrun_linalg::ThreadPool;
use std::sync::OnceLock;

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
        v as i32
    } else {
        i32::MIN
    }
}

/// float → i64 as x86 does: truncate, and INT64_MIN when NaN or out of range.
#[inline(always)]
pub fn f64_to_i64_x86(v: f64) -> i64 {
    if v >= -9.223372036854775808e18 && v < 9.223372036854775808e18 {
        v as i64
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
            #[inline(always)] fn from_f32(v: f32) -> Self { f64_to_i32_x86(v as f64) as $t }
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

// ---------------------------------------------------------------------------------------
// Minifloats

/// The four float8 formats with a sign, exponent and mantissa (E8M0 is separate).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum F8 {
    E4M3FN,
    E4M3FNUZ,
    E5M2,
    E5M2FNUZ,
}

/// Layout of a small float: mantissa bits, exponent bias, largest finite value.
struct Mini {
    mbits: u32,
    ebits: u32,
    bias: i32,
    max: f64,
}

const E4M3FN: Mini = Mini { mbits: 3, ebits: 4, bias: 7, max: 448.0 };
const E4M3FNUZ: Mini = Mini { mbits: 3, ebits: 4, bias: 8, max: 240.0 };
const E5M2: Mini = Mini { mbits: 2, ebits: 5, bias: 15, max: 57344.0 };
const E5M2FNUZ: Mini = Mini { mbits: 2, ebits: 5, bias: 16, max: 57344.0 };
const E2M1: Mini = Mini { mbits: 1, ebits: 2, bias: 1, max: 6.0 };

/// |x| (finite, > 0) rounded to nearest-even in format `m`: the magnitude code, or None when
/// the rounded value exceeds the largest finite one.
#[inline]
fn mini_round(a: f64, m: &Mini) -> Option<u8> {
    let emin = 1 - m.bias;
    let e = (((a.to_bits() >> 52) & 0x7ff) as i32 - 1023).max(emin);
    let q = (2f64).powi(e - m.mbits as i32);
    let mut k = (a / q).round_ties_even() as u32; // in [0, 2^(mbits+1)]
    let mut e = e;
    let one = 1u32 << m.mbits;
    if k == 2 * one {
        k = one;
        e += 1;
    }
    if k as f64 * (2f64).powi(e - m.mbits as i32) > m.max {
        return None;
    }
    if k < one {
        // Subnormal (or zero): exponent field 0.
        return Some(k as u8);
    }
    let field = (e + m.bias) as u32;
    if field >= (1 << m.ebits) {
        return None;
    }
    Some(((field << m.mbits) | (k - one)) as u8)
}

impl F8 {
    fn mini(self) -> &'static Mini {
        match self {
            F8::E4M3FN => &E4M3FN,
            F8::E4M3FNUZ => &E4M3FNUZ,
            F8::E5M2 => &E5M2,
            F8::E5M2FNUZ => &E5M2FNUZ,
        }
    }

    pub fn of(dt: DataType) -> Option<F8> {
        match dt {
            DataType::Float8E4M3FN => Some(F8::E4M3FN),
            DataType::Float8E4M3FNUZ => Some(F8::E4M3FNUZ),
            DataType::Float8E5M2 => Some(F8::E5M2),
            DataType::Float8E5M2FNUZ => Some(F8::E5M2FNUZ),
            _ => None,
        }
    }

    fn uz(self) -> bool {
        matches!(self, F8::E4M3FNUZ | F8::E5M2FNUZ)
    }

    /// x → float8 byte, round-to-nearest-even; `saturate` clamps overflow and ±inf to
    /// ±max, otherwise they become NaN (inf for E5M2), as the Cast spec's tables say.
    #[inline]
    pub fn encode(self, x: f64, saturate: bool) -> u8 {
        let neg = x.is_sign_negative();
        let sign: u8 = if neg { 0x80 } else { 0 };
        let nan = |s: u8| match self {
            F8::E4M3FN => 0x7f | s,
            F8::E5M2 => 0x7e | s,
            _ => 0x80,
        };
        if x.is_nan() {
            return nan(sign);
        }
        let overflow = |s: u8| {
            if saturate {
                match self {
                    F8::E4M3FN => 0x7e | s,
                    F8::E5M2 => 0x7b | s,
                    _ => 0x7f | s,
                }
            } else {
                match self {
                    F8::E5M2 => 0x7c | s,
                    _ => nan(s),
                }
            }
        };
        if x.is_infinite() {
            return overflow(sign);
        }
        match mini_round(x.abs(), self.mini()) {
            None => overflow(sign),
            Some(0) if self.uz() => 0,
            Some(c) => c | sign,
        }
    }

    /// float8 byte → f32 (exact).
    #[inline]
    pub fn decode(self, b: u8) -> f32 {
        let tables = F8_TABLES.get_or_init(|| {
            let mut t = [[0f32; 256]; 4];
            for (i, f) in [F8::E4M3FN, F8::E4M3FNUZ, F8::E5M2, F8::E5M2FNUZ].into_iter().enumerate() {
                for c in 0..256 {
                    t[i][c] = f.decode_slow(c as u8);
                }
            }
            t
        });
        tables[self as usize][b as usize]
    }

    fn decode_slow(self, b: u8) -> f32 {
        let m = self.mini();
        match self {
            F8::E4M3FN if b & 0x7f == 0x7f => return if b & 0x80 != 0 { -f32::NAN } else { f32::NAN },
            F8::E5M2 if b & 0x7f > 0x7c => return if b & 0x80 != 0 { -f32::NAN } else { f32::NAN },
            F8::E5M2 if b & 0x7f == 0x7c => return if b & 0x80 != 0 { f32::NEG_INFINITY } else { f32::INFINITY },
            F8::E4M3FNUZ | F8::E5M2FNUZ if b == 0x80 => return f32::NAN,
            _ => {}
        }
        let v = mini_value(b & 0x7f, m);
        if b & 0x80 != 0 {
            -v
        } else {
            v
        }
    }
}

/// Unsigned magnitude code → value, for finite codes.
fn mini_value(code: u8, m: &Mini) -> f32 {
    let field = (code >> m.mbits) as i32;
    let mant = (code & ((1 << m.mbits) - 1)) as f32;
    let scale = (1u32 << m.mbits) as f32;
    if field == 0 {
        mant / scale * (2f32).powi(1 - m.bias)
    } else {
        (1.0 + mant / scale) * (2f32).powi(field - m.bias)
    }
}

static F8_TABLES: OnceLock<[[f32; 256]; 4]> = OnceLock::new();

/// float4 E2M1 (no inf/NaN): round-to-nearest-even, saturating at ±6. NaN becomes a zero
/// of the opposite sign (what ml_dtypes, hence the ONNX reference, produces).
#[inline]
pub fn f4_encode(x: f64) -> u8 {
    let sign: u8 = if x.is_sign_negative() { 0x8 } else { 0 };
    if x.is_nan() {
        return sign ^ 0x8;
    }
    if x.is_infinite() {
        return 0x7 | sign;
    }
    match mini_round(x.abs(), &E2M1) {
        None => 0x7 | sign,
        Some(c) => c | sign,
    }
}

/// float4 E2M1 code (low 4 bits) → f32.
#[inline]
pub fn f4_decode(b: u8) -> f32 {
    const T: [f32; 8] = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0];
    let v = T[(b & 7) as usize];
    if b & 8 != 0 {
        -v
    } else {
        v
    }
}

/// Rounding for float → float8e8m0 (Cast's `round_mode`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RoundMode {
    Up,
    Down,
    Nearest,
}

impl RoundMode {
    pub fn parse(s: &str) -> Option<RoundMode> {
        match s {
            "up" => Some(RoundMode::Up),
            "down" => Some(RoundMode::Down),
            "nearest" => Some(RoundMode::Nearest),
            _ => None,
        }
    }
}

/// f32 → float8e8m0 (a power of two, 2^(code-127); 0xff is NaN). Follows the reference:
/// the exponent of |x|, rounded per `mode`, NaN/inf → 0xff; `saturate` keeps rounding
/// from stepping past the largest exponent.
#[inline]
pub fn e8m0_encode(x: f32, saturate: bool, mode: RoundMode) -> u8 {
    let bits = x.to_bits();
    let exp = (bits >> 23) & 0xff;
    if exp == 0xff {
        return 0xff;
    }
    let round_up = match mode {
        RoundMode::Down => false,
        RoundMode::Up => bits & 0x7f_ffff != 0,
        RoundMode::Nearest => {
            let g = bits & 0x40_0000 != 0;
            let r = bits & 0x20_0000 != 0;
            let s = bits & 0x1f_ffff != 0;
            g && (r || s || exp > 0)
        }
    };
    if round_up && !(saturate && exp == 0xfe) {
        (exp + 1) as u8
    } else {
        exp as u8
    }
}

#[inline]
pub fn e8m0_decode(b: u8) -> f32 {
    if b == 0xff {
        f32::NAN
    } else if b == 0 {
        f32::from_bits(0x0040_0000) // 2^-127, a subnormal
    } else {
        f32::from_bits((b as u32) << 23)
    }
}

/// An integer wrapped to a `bits`-wide signed type (int4/int2), sign-extended into i8.
#[inline(always)]
pub fn wrap_signed(v: i64, bits: u32) -> i8 {
    let sh = 64 - bits;
    ((v << sh) >> sh) as i8
}

/// An integer wrapped to a `bits`-wide unsigned type (uint4/uint2).
#[inline(always)]
pub fn wrap_unsigned(v: i64, bits: u32) -> u8 {
    (v & ((1i64 << bits) - 1)) as u8
}

// ---------------------------------------------------------------------------------------
// Strings

/// A string as a number: decimal or scientific notation, and "inf"/"+inf"/"-inf"/"nan" in
/// any case. Whitespace around is ignored. Errors name the string.
pub fn parse_number(s: &str) -> Result<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => return Ok(f64::INFINITY),
        "-inf" | "-infinity" => return Ok(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => return Ok(f64::NAN),
        "true" => return Ok(1.0),
        "false" => return Ok(0.0),
        _ => {}
    }
    match t.parse::<f64>() {
        Ok(v) => Ok(v),
        Err(_) => bail!(InvalidArgument, "cannot convert string '{s}' to a number"),
    }
}

/// A string as an integer: exact for the full i64/u64 range, else via float (truncated).
fn parse_int(s: &str) -> Result<i64> {
    let t = s.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Ok(v);
    }
    if let Ok(v) = t.parse::<u64>() {
        return Ok(v as i64);
    }
    Ok(f64_to_i64_x86(parse_number(t)?))
}

/// The shortest decimal that reads back as the same value in a float of `digits_max`
/// significant digits at most, formatted like numpy's `str()`: positional for
/// 1e-4 <= |x| < 1e16 ("1.0", "0.001"), scientific otherwise ("1e-05", "1.5e+20").
pub fn format_float(v: f64, roundtrip: impl Fn(f64) -> bool, digits_max: usize) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    // Shortest scientific form that round-trips.
    let mut sci = format!("{:.*e}", digits_max - 1, v);
    for p in 0..digits_max {
        let s = format!("{:.*e}", p, v);
        if s.parse::<f64>().is_ok_and(&roundtrip) {
            sci = s;
            break;
        }
    }
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let s = if exp >= n - 1 {
            format!("{digits}{}.0", "0".repeat((exp - (n - 1)) as usize))
        } else if exp >= 0 {
            let (a, b) = digits.split_at((exp + 1) as usize);
            format!("{a}.{b}")
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        };
        format!("{sign}{s}")
    } else {
        let m = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits };
        format!("{sign}{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

fn f32_str(v: f32) -> String {
    format_float(v as f64, |p| p as f32 == v || (v.is_nan() && p.is_nan()), 9)
}
fn f64_str(v: f64) -> String {
    format_float(v, |p| p == v, 17)
}
fn f16_str(v: f16) -> String {
    format_float(v.to_f64(), |p| f16::from_f64(p) == v, 5)
}
fn bf16_str(v: bf16) -> String {
    format_float(v.to_f64(), |p| bf16::from_f64(p) == v, 4)
}

// ---------------------------------------------------------------------------------------
// Whole tensors

/// Element-by-element conversion of `src` into `dst`, in parallel for big inputs.
pub fn convert_slice<S: Num, D: Num>(src: &[S], dst: &mut [D], pool: Option<&ThreadPool>) {
    const CHUNK: usize = 1 << 14;
    let pool = if src.len() >= 4 * CHUNK { pool } else { None };
    let _ = for_chunks_mut(pool, dst, CHUNK, |i, d| {
        let s = &src[i * CHUNK..i * CHUNK + d.len()];
        for (o, &x) in d.iter_mut().zip(s) {
            *o = cast::<S, D>(x);
        }
    });
}

/// Options of Cast that matter for some targets.
#[derive(Clone, Copy, Debug)]
pub struct CastOpts {
    /// float8 targets: clamp overflow to ±max (true) or give NaN/inf.
    pub saturate: bool,
    /// float8e8m0 target rounding.
    pub round: RoundMode,
}

impl Default for CastOpts {
    fn default() -> Self {
        CastOpts { saturate: true, round: RoundMode::Up }
    }
}

fn is_plain(dt: DataType) -> bool {
    use DataType::*;
    matches!(dt, Float | Double | Float16 | Bfloat16 | Int8 | Int16 | Int32 | Int64 | Uint8 | Uint16 | Uint32 | Uint64 | Bool)
}

macro_rules! with_plain {
    ($dt:expr, $T:ident => $body:expr) => {
        $crate::dispatch!($dt, $T => $body,
            [f32, f64, f16, bf16, i8, i16, i32, i64, u8, u16, u32, u64, bool],
            else bail!(InvalidArgument, "Cast: unsupported element type {}", $dt))
    };
}

fn plain_to_plain<S: Num>(src: &[S], to: DataType, shape: Vec<usize>, pool: Option<&ThreadPool>) -> Result<Tensor> {
    with_plain!(to, D => {
        let mut out = Tensor::zeros(to, shape)?;
        convert_slice::<S, D>(src, out.data_mut::<D>()?, pool);
        Ok(out)
    })
}

/// Source values widened to a plain type that holds them exactly: minifloats → f32, 4/2-bit
/// ints → i8/u8 (already held that way), strings → f64 or i64 as the target needs.
fn widen(x: &Tensor, to: DataType) -> Result<Tensor> {
    use DataType::*;
    let shape = x.shape().to_vec();
    Ok(match x.dtype() {
        d if is_plain(d) => x.clone(),
        Int4 | Int2 => x.with_dtype(Int8)?,
        Uint4 | Uint2 => x.with_dtype(Uint8)?,
        d @ (Float8E4M3FN | Float8E4M3FNUZ | Float8E5M2 | Float8E5M2FNUZ) => {
            let f = F8::of(d).unwrap_or(F8::E4M3FN);
            Tensor::from_vec(shape, x.data::<u8>()?.iter().map(|&b| f.decode(b)).collect::<Vec<f32>>())?
        }
        Float4E2M1 => Tensor::from_vec(shape, x.data::<u8>()?.iter().map(|&b| f4_decode(b)).collect::<Vec<f32>>())?,
        Float8E8M0 => Tensor::from_vec(shape, x.data::<u8>()?.iter().map(|&b| e8m0_decode(b)).collect::<Vec<f32>>())?,
        String => {
            let s = x.strings()?;
            if to.is_float() || to == Bool {
                Tensor::from_vec(shape, s.iter().map(|v| parse_number(v)).collect::<Result<Vec<f64>>>()?)?
            } else {
                Tensor::from_vec(shape, s.iter().map(|v| parse_int(v)).collect::<Result<Vec<i64>>>()?)?
            }
        }
        d => bail!(InvalidArgument, "Cast: unsupported source element type {d}"),
    })
}

/// `x` converted to `to` with Cast semantics (any pair of types, strings included).
pub fn cast_tensor(x: &Tensor, to: DataType, opts: CastOpts, pool: Option<&ThreadPool>) -> Result<Tensor> {
    use DataType::*;
    if x.dtype() == to {
        return Ok(x.clone());
    }
    let shape = x.shape().to_vec();
    let src = widen(x, to)?;
    let sdt = src.dtype();
    if is_plain(to) {
        if sdt == to {
            return Ok(src);
        }
        return with_plain!(sdt, S => plain_to_plain::<S>(src.data::<S>()?, to, shape, pool));
    }
    match to {
        String => {
            let s: Vec<std::string::String> = match sdt {
                Float => src.data::<f32>()?.iter().map(|&v| f32_str(v)).collect(),
                Double => src.data::<f64>()?.iter().map(|&v| f64_str(v)).collect(),
                Float16 => src.data::<f16>()?.iter().map(|&v| f16_str(v)).collect(),
                Bfloat16 => src.data::<bf16>()?.iter().map(|&v| bf16_str(v)).collect(),
                Bool => src.data::<bool>()?.iter().map(|&v| if v { "True" } else { "False" }.to_string()).collect(),
                Uint64 => src.data::<u64>()?.iter().map(|v| v.to_string()).collect(),
                _ => src.to_i64_vec()?.iter().map(|v| v.to_string()).collect(),
            };
            Tensor::from_strings(shape, s)
        }
        Int4 | Int2 | Uint4 | Uint2 => {
            let bits = if matches!(to, Int4 | Uint4) { 4 } else { 2 };
            let wide = with_plain!(sdt, S => plain_to_plain::<S>(src.data::<S>()?, Int32, shape.clone(), pool))?;
            let w = wide.data::<i32>()?;
            if to.is_signed_int() {
                Tensor::from_vec_as(to, shape, w.iter().map(|&v| wrap_signed(v as i64, bits)).collect::<Vec<i8>>())
            } else {
                Tensor::from_vec_as(to, shape, w.iter().map(|&v| wrap_unsigned(v as i64, bits)).collect::<Vec<u8>>())
            }
        }
        Float8E4M3FN | Float8E4M3FNUZ | Float8E5M2 | Float8E5M2FNUZ | Float4E2M1 => {
            // f64 holds every source value exactly (ints up to 2^53), so one rounding.
            let wide = with_plain!(sdt, S => plain_to_plain::<S>(src.data::<S>()?, Double, shape.clone(), pool))?;
            let w = wide.data::<f64>()?;
            let bytes: Vec<u8> = match F8::of(to) {
                Some(f) => w.iter().map(|&v| f.encode(v, opts.saturate)).collect(),
                None => w.iter().map(|&v| f4_encode(v)).collect(),
            };
            Tensor::from_vec_as(to, shape, bytes)
        }
        Float8E8M0 => {
            let wide = with_plain!(sdt, S => plain_to_plain::<S>(src.data::<S>()?, Float, shape.clone(), pool))?;
            let bytes: Vec<u8> = wide.data::<f32>()?.iter().map(|&v| e8m0_encode(v, opts.saturate, opts.round)).collect();
            Tensor::from_vec_as(to, shape, bytes)
        }
        d => bail!(InvalidArgument, "Cast: unsupported target element type {d}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float8_round_trip_every_code() {
        for f in [F8::E4M3FN, F8::E4M3FNUZ, F8::E5M2, F8::E5M2FNUZ] {
            for c in 0..=255u8 {
                let v = f.decode(c);
                if v.is_nan() || v.is_infinite() {
                    continue;
                }
                let back = f.encode(v as f64, false);
                // -0 of the UZ formats does not exist (0x80 is NaN).
                assert_eq!(back, c, "{f:?} code {c:#x} value {v}");
            }
        }
    }

    #[test]
    fn float8_special_values() {
        assert_eq!(F8::E4M3FN.encode(f64::INFINITY, true), 0x7e);
        assert_eq!(F8::E4M3FN.encode(f64::INFINITY, false), 0x7f);
        assert_eq!(F8::E4M3FN.encode(464.0, false), 0x7e);
        assert_eq!(F8::E4M3FN.encode(465.0, false), 0x7f);
        assert_eq!(F8::E5M2.encode(1e6, false), 0x7c);
        assert_eq!(F8::E5M2.encode(-1e6, true), 0xfb);
        assert_eq!(F8::E5M2.encode(f64::NAN, true), 0x7e);
        assert_eq!(F8::E4M3FNUZ.encode(-1e-9, true), 0);
        assert_eq!(F8::E4M3FNUZ.encode(1e9, true), 0x7f);
        assert_eq!(F8::E5M2FNUZ.encode(f64::NEG_INFINITY, false), 0x80);
        assert_eq!(F8::E4M3FN.decode(0x7e), 448.0);
        assert_eq!(F8::E4M3FNUZ.decode(0x7f), 240.0);
        assert_eq!(F8::E5M2FNUZ.decode(0x7f), 57344.0);
    }

    #[test]
    fn float4_and_subbyte() {
        let xs = [0.25, 0.75, 2.5, 3.5, 5.0, 5.5, 7.0, -1e-9, f64::NAN, f64::INFINITY];
        let want = [0, 2, 4, 6, 6, 7, 7, 8, 8, 7];
        for (x, w) in xs.iter().zip(want) {
            assert_eq!(f4_encode(*x), w, "{x}");
        }
        assert_eq!(wrap_signed(-9, 4), 7);
        assert_eq!(wrap_signed(8, 4), -8);
        assert_eq!(wrap_unsigned(-3, 2), 1);
    }

    #[test]
    fn numpy_like_int_conversion() {
        assert_eq!(cast::<f32, i8>(300.7), 44);
        assert_eq!(cast::<f32, i32>(f32::NAN), i32::MIN);
        assert_eq!(cast::<f32, u8>(-2.7), 254);
        assert_eq!(cast::<i32, i8>(200), -56);
        assert_eq!(cast::<u64, f32>(u64::MAX), 1.8446744e19);
        assert!(cast::<f32, bool>(f32::NAN));
    }

    #[test]
    fn strings() {
        assert_eq!(f32_str(0.1), "0.1");
        assert_eq!(f32_str(1.0), "1.0");
        assert_eq!(f32_str(1e-5), "1e-05");
        assert_eq!(f32_str(-1.5e20), "-1.5e+20");
        assert_eq!(f32_str(123456.0), "123456.0");
        assert_eq!(f32_str(0.00012), "0.00012");
        assert_eq!(f16_str(f16::from_f32(0.1)), "0.1");
        assert_eq!(parse_number("-INF").unwrap(), f64::NEG_INFINITY);
        assert_eq!(parse_number("1E8").unwrap(), 1e8);
        assert!(parse_number("hello").is_err());
        assert_eq!(parse_int("100.5").unwrap(), 100);
    }
}
