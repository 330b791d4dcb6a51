//! Cast, CastLike and BitCast: the numpy/ONNX-reference conversion rules, strings, the
//! float8 / float4 / int4 types, and errors for what cannot be cast.

mod math_support;
use math_support::*;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{Attribute, DataType, ErrorCode, Tensor, Value};

fn cast(x: Option<Value>, to: DataType, extra: Vec<(&str, Attribute)>) -> onnxrun_core::Result<Tensor> {
    let mut attrs = vec![("to", Attribute::Int(to as i64))];
    attrs.extend(extra);
    Ok(run_node("Cast", 25, attrs, vec![x], 1, 1)?.remove(0).into_tensor().unwrap())
}

fn strings(v: &[&str]) -> Option<Value> {
    Some(Tensor::from_strings(vec![v.len()], v.iter().map(|s| s.to_string()).collect()).unwrap().into())
}

#[test]
fn float_to_int_truncates_and_wraps_like_numpy() {
    let x = t(&[5], vec![2.7f32, -2.7, 300.7, -300.7, 70000.5]);
    let y = cast(x.clone(), DataType::Int8, vec![]).unwrap();
    assert_eq!(y.data::<i8>().unwrap(), &[2, -2, 44, -44, 112]);
    let y = cast(x.clone(), DataType::Uint8, vec![]).unwrap();
    assert_eq!(y.data::<u8>().unwrap(), &[2, 254, 44, 212, 112]);
    let y = cast(x, DataType::Int64, vec![]).unwrap();
    assert_eq!(y.data::<i64>().unwrap(), &[2, -2, 300, -300, 70000]);
    let y = cast(t(&[2], vec![200i16, -1]), DataType::Uint8, vec![]).unwrap();
    assert_eq!(y.data::<u8>().unwrap(), &[200, 255]);
    let y = cast(t(&[3], vec![0.0f32, -0.0, f32::NAN]), DataType::Bool, vec![]).unwrap();
    assert_eq!(y.data::<bool>().unwrap(), &[false, false, true]);
}

#[test]
fn float_widths_round_to_nearest_even() {
    let y = cast(t(&[2], vec![1.0f32 + 1.0 / 2048.0, 70000.0]), DataType::Float16, vec![]).unwrap();
    let v: Vec<f32> = y.data::<f16>().unwrap().iter().map(|h| h.to_f32()).collect();
    assert_eq!(v, vec![1.0, f32::INFINITY]);
    let y = cast(t(&[1], vec![1.00390625f64]), DataType::Bfloat16, vec![]).unwrap();
    assert_eq!(y.data::<bf16>().unwrap()[0].to_f32(), 1.0);
    let y = cast(t(&[1], vec![u64::MAX]), DataType::Float, vec![]).unwrap();
    assert_eq!(y.data::<f32>().unwrap()[0], 1.8446744e19);
}

#[test]
fn strings_to_and_from_numbers() {
    let y = cast(strings(&["3.14", "1e-5", "-INF", "nan", "+inf", " 7 "]), DataType::Float, vec![]).unwrap();
    let v = y.data::<f32>().unwrap();
    assert_eq!(&v[..3], &[3.14, 1e-5, f32::NEG_INFINITY]);
    assert!(v[3].is_nan());
    assert_eq!(v[4..], [f32::INFINITY, 7.0]);
    let y = cast(strings(&["100.5", "-3", "18446744073709551615"]), DataType::Int64, vec![]).unwrap();
    assert_eq!(y.data::<i64>().unwrap(), &[100, -3, -1]);
    let y = cast(t(&[5], vec![0.1f32, 1.0, 1e-5, -1.5e20, f32::NEG_INFINITY]), DataType::String, vec![]).unwrap();
    assert_eq!(y.strings().unwrap(), &["0.1", "1.0", "1e-05", "-1.5e+20", "-inf"]);
    let y = cast(t(&[2], vec![-42i32, 7]), DataType::String, vec![]).unwrap();
    assert_eq!(y.strings().unwrap(), &["-42", "7"]);
    let e = cast(strings(&["hello"]), DataType::Float, vec![]).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert!(e.message.contains("hello"), "{e}");
}

#[test]
fn float8_saturates_unless_told_not_to() {
    let x = t(&[4], vec![1e6f32, -1e6, 0.1, f32::NAN]);
    let y = cast(x.clone(), DataType::Float8E4M3FN, vec![]).unwrap();
    assert_eq!(y.data::<u8>().unwrap(), &[0x7e, 0xfe, 0x1d, 0x7f]);
    let y = cast(x.clone(), DataType::Float8E4M3FN, vec![("saturate", Attribute::Int(0))]).unwrap();
    assert_eq!(y.data::<u8>().unwrap(), &[0x7f, 0xff, 0x1d, 0x7f]);
    let y = cast(x, DataType::Float8E5M2, vec![("saturate", Attribute::Int(0))]).unwrap();
    assert_eq!(y.data::<u8>().unwrap()[..2], [0x7c, 0xfc]);
    // And back: 0x7e is 448 in E4M3FN, 240 is E4M3FNUZ's max.
    let f8 = Some(Value::from(Tensor::from_vec_as(DataType::Float8E4M3FNUZ, vec![2], vec![0x7fu8, 0x80]).unwrap()));
    let y = cast(f8, DataType::Float, vec![]).unwrap();
    let v = y.data::<f32>().unwrap();
    assert_eq!(v[0], 240.0);
    assert!(v[1].is_nan());
}

#[test]
fn e8m0_and_float4_and_int4() {
    let y = cast(t(&[4], vec![0.124f32, 1.1, 2.0, 0.0]), DataType::Float8E8M0, vec![]).unwrap();
    assert_eq!(y.data::<u8>().unwrap(), &[124, 128, 128, 0]);
    let y = cast(t(&[3], vec![0.124f32, 1.1, 3.0]), DataType::Float8E8M0, vec![("round_mode", Attribute::String(b"down".to_vec()))]).unwrap();
    assert_eq!(y.data::<u8>().unwrap(), &[123, 127, 128]);
    let y = cast(t(&[5], vec![5.0f32, 5.5, 100.0, -0.2, 0.75]), DataType::Float4E2M1, vec![]).unwrap();
    assert_eq!(y.data::<u8>().unwrap(), &[6, 7, 7, 8, 2]);
    let y = cast(t(&[4], vec![-9f32, 8., 7.9, 15.]), DataType::Int4, vec![]).unwrap();
    assert_eq!(y.data::<i8>().unwrap(), &[7, -8, 7, -1]);
    let i4 = Some(Value::from(Tensor::from_vec_as(DataType::Int4, vec![2], vec![-8i8, 7]).unwrap()));
    let y = cast(i4, DataType::Uint4, vec![]).unwrap();
    assert_eq!(y.data::<u8>().unwrap(), &[8, 7]);
    let e = run_node("Cast", 25, vec![("to", Attribute::String(b"round_mode".to_vec()))], vec![t(&[1], vec![1f32])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidGraph);
    let e = cast(t(&[1], vec![1f32]), DataType::Float8E8M0, vec![("round_mode", Attribute::String(b"sideways".to_vec()))]).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidGraph);
}

/// ONNX leaves out-of-range float -> fixed point undefined. onnxrun wraps modulo 2^bits
/// (two's complement for the signed types), as onnxruntime 1.32 does; these expectations
/// are onnxruntime 1.32's outputs for the same integral inputs (onnx's reference agrees
/// with ml_dtypes 0.5/0.6, the version locked in scripts/python; 0.7 gives 0 instead).
#[test]
fn out_of_range_to_4_and_2_bit_ints_wraps_like_onnxruntime() {
    let x = vec![-100f32, -17., -9., -8., 7., 8., 9., 15., 16., 17., 100., f32::INFINITY, f32::NAN];
    let n = x.len();
    let y = cast(t(&[n], x.clone()), DataType::Int4, vec![]).unwrap();
    assert_eq!(y.data::<i8>().unwrap(), &[-4, -1, 7, -8, 7, -8, -7, -1, 0, 1, 4, 0, 0]);
    let y = cast(t(&[n], x.clone()), DataType::Uint4, vec![]).unwrap();
    assert_eq!(y.data::<u8>().unwrap(), &[12, 15, 7, 8, 7, 8, 9, 15, 0, 1, 4, 0, 0]);
    let y = cast(t(&[n], x.clone()), DataType::Int2, vec![]).unwrap();
    assert_eq!(y.data::<i8>().unwrap(), &[0, -1, -1, 0, -1, 0, 1, -1, 0, 1, 0, 0, 0]);
    let y = cast(t(&[n], x.clone()), DataType::Uint2, vec![]).unwrap();
    assert_eq!(y.data::<u8>().unwrap(), &[0, 3, 3, 0, 3, 0, 1, 3, 0, 1, 0, 0, 0]);
    let h: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
    let y = cast(t(&[n], h), DataType::Int4, vec![]).unwrap();
    assert_eq!(y.data::<i8>().unwrap(), &[-4, -1, 7, -8, 7, -8, -7, -1, 0, 1, 4, 0, 0]);
}

#[test]
fn cast_like_takes_the_second_inputs_type() {
    let y = run_node("CastLike", 21, vec![], vec![t(&[2], vec![1.9f64, -1.9]), t(&[0], Vec::<i16>::new())], 1, 1).unwrap();
    assert_eq!(y[0].as_tensor().unwrap().data::<i16>().unwrap(), &[1, -1]);
}

#[test]
fn cast_big_tensor_on_the_pool() {
    let x = rand_vec(100_000, 3);
    let out = run_node("Cast", 21, vec![("to", Attribute::Int(DataType::Float16 as i64))], vec![t(&[x.len()], x.clone())], 1, 4).unwrap();
    let got = out[0].as_tensor().unwrap().data::<f16>().unwrap().to_vec();
    assert!(got.iter().zip(&x).all(|(h, v)| *h == f16::from_f32(*v)));
}

#[test]
fn bitcast_keeps_bits() {
    let y = run_node("BitCast", 26, vec![("to", Attribute::Int(DataType::Int32 as i64))], vec![t(&[2], vec![1.0f32, -0.0])], 1, 1).unwrap();
    assert_eq!(y[0].as_tensor().unwrap().data::<i32>().unwrap(), &[0x3f80_0000, i32::MIN]);
    let y = run_node("BitCast", 26, vec![("to", Attribute::Int(DataType::Int4 as i64))], vec![Some(Tensor::from_vec_as(DataType::Uint4, vec![2], vec![15u8, 7]).unwrap().into())], 1, 1).unwrap();
    assert_eq!(y[0].as_tensor().unwrap().data::<i8>().unwrap(), &[-1, 7]);
    let e = run_node("BitCast", 26, vec![("to", Attribute::Int(DataType::Int64 as i64))], vec![t(&[1], vec![1.0f32])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert!(e.message.contains("width"), "{e}");
}
