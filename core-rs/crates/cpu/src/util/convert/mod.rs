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

mod minifloat;
mod num;
mod strings;
mod tensor;

pub use minifloat::{e8m0_decode, e8m0_encode, f4_decode, f4_encode, wrap_signed, wrap_unsigned, RoundMode, F8};
pub use num::{cast, f32_to_i32_x86, f64_to_i32_x86, f64_to_i64_x86, Kind, Num};
pub use strings::{format_float, parse_number};
pub use tensor::{cast_tensor, convert_slice, convert_vec, CastOpts};

#[cfg(test)]
mod tests {
    use super::strings::{f16_str, f32_str, parse_int};
    use super::*;
    use onnxrun_core::half::f16;

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
    fn hardware_halves_match_software() {
        let all: Vec<f16> = (0..=u16::MAX).map(f16::from_bits).collect();
        let mut wide = vec![0f32; all.len()];
        convert_slice::<f16, f32>(&all, &mut wide, None);
        for (h, w) in all.iter().zip(&wide) {
            assert!(h.to_f32().to_bits() == w.to_bits() || (h.is_nan() && w.is_nan()), "{h:?}");
        }
        let xs: Vec<f32> = (0..200_000u32).map(|i| f32::from_bits(i.wrapping_mul(2_654_435_761))).collect();
        let mut narrow = vec![f16::ZERO; xs.len()];
        convert_slice::<f32, f16>(&xs, &mut narrow, None);
        for (x, h) in xs.iter().zip(&narrow) {
            let want = f16::from_f32(*x);
            assert!(want.to_bits() == h.to_bits() || (want.is_nan() && h.is_nan()), "{x}: {h:?} vs {want:?}");
        }
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

