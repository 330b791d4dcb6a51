//! Minifloats and sub-byte integers held one per byte: float8 (E4M3FN, E4M3FNUZ, E5M2,
//! E5M2FNUZ), float8 E8M0, float4 E2M1, and int4/int2/uint4/uint2 wrapping.

use onnxrun_core::DataType;
use std::sync::OnceLock;


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
