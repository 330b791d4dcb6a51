//! Strings ↔ numbers the way the ONNX reference (numpy) does it.

use super::f64_to_i64_x86;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, Result};


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
pub(crate) fn parse_int(s: &str) -> Result<i64> {
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

pub(crate) fn f32_str(v: f32) -> String {
    format_float(v as f64, |p| p as f32 == v || (v.is_nan() && p.is_nan()), 9)
}
pub(crate) fn f64_str(v: f64) -> String {
    format_float(v, |p| p == v, 17)
}
pub(crate) fn f16_str(v: f16) -> String {
    format_float(v.to_f64(), |p| f16::from_f64(p) == v, 5)
}
pub(crate) fn bf16_str(v: bf16) -> String {
    format_float(v.to_f64(), |p| bf16::from_f64(p) == v, 4)
}
