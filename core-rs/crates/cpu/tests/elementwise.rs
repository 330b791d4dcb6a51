//! Elementwise and activation kernels: values from the ONNX spec / numpy, broadcasting,
//! the pooled paths, integer and half-precision types, and bad input giving errors.

mod math_support;
use math_support::*;
use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, ErrorCode, Tensor, Value};

fn run1(op: &str, opset: i64, attrs: Vec<(&str, Attribute)>, inputs: Vec<Option<Value>>) -> onnxrun_core::Result<Tensor> {
    Ok(run_node(op, opset, attrs, inputs, 1, 1)?.remove(0).into_tensor().unwrap())
}

fn data<T: onnxrun_core::Element>(t: &Tensor) -> Vec<T> {
    t.data::<T>().unwrap().to_vec()
}

#[test]
fn add_broadcasts_rows_columns_and_scalars() {
    let a = t(&[2, 3], vec![1f32, 2., 3., 4., 5., 6.]);
    let y = run1("Add", 14, vec![], vec![a.clone(), t(&[3], vec![10f32, 20., 30.])]).unwrap();
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(data::<f32>(&y), vec![11., 22., 33., 14., 25., 36.]);
    let y = run1("Sub", 14, vec![], vec![a.clone(), t(&[2, 1], vec![1f32, 2.])]).unwrap();
    assert_eq!(data::<f32>(&y), vec![0., 1., 2., 2., 3., 4.]);
    let y = run1("Mul", 14, vec![], vec![t(&[], vec![2f32]), a.clone()]).unwrap();
    assert_eq!(data::<f32>(&y), vec![2., 4., 6., 8., 10., 12.]);
    // [2,1,3] / [4,1] -> [2,4,3]
    let y = run1("Div", 14, vec![], vec![t(&[2, 1, 3], vec![1f32, 2., 3., 4., 5., 6.]), t(&[4, 1], vec![1f32, 2., 4., 8.])]).unwrap();
    assert_eq!(y.shape(), &[2, 4, 3]);
    assert_eq!(data::<f32>(&y)[3..6], [0.5, 1., 1.5]);
    assert_eq!(data::<f32>(&y)[21..24], [0.5, 0.625, 0.75]);
}

#[test]
fn big_broadcast_on_the_pool_matches_one_thread() {
    let (n, c) = (3000, 37);
    let a = rand_vec(n * c, 7);
    let b = rand_vec(c, 8);
    let want: Vec<f32> = a.iter().enumerate().map(|(i, x)| x * b[i % c]).collect();
    for threads in [1, 4] {
        let out = run_node("Mul", 14, vec![], vec![t(&[n, c], a.clone()), t(&[c], b.clone())], 1, threads).unwrap();
        assert_eq!(f32_out(&out[0]).1, want);
    }
    // Same shapes (one long run) split across threads.
    let b2 = rand_vec(n * c, 9);
    let out = run_node("Add", 14, vec![], vec![t(&[n, c], a.clone()), t(&[n, c], b2.clone())], 1, 4).unwrap();
    let want: Vec<f32> = a.iter().zip(&b2).map(|(x, y)| x + y).collect();
    assert_eq!(f32_out(&out[0]).1, want);
}

#[test]
fn integer_arithmetic_wraps_and_truncates() {
    let y = run1("Add", 14, vec![], vec![t(&[2], vec![i8::MAX, -3]), t(&[2], vec![1i8, 1])]).unwrap();
    assert_eq!(data::<i8>(&y), vec![i8::MIN, -2]);
    let y = run1("Sub", 14, vec![], vec![t(&[1], vec![0u8]), t(&[1], vec![1u8])]).unwrap();
    assert_eq!(data::<u8>(&y), vec![255]);
    let y = run1("Div", 14, vec![], vec![t(&[4], vec![7i32, -7, 7, -7]), t(&[4], vec![2i32, 2, -2, -2])]).unwrap();
    assert_eq!(data::<i32>(&y), vec![3, -3, -3, 3]);
}

#[test]
fn integer_division_by_zero_is_an_error() {
    for op in ["Div", "Mod"] {
        let e = run1(op, 14, vec![], vec![t(&[2], vec![1i64, 2]), t(&[2], vec![1i64, 0])]).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{op}: {e}");
        assert!(e.message.contains("division by zero"), "{e}");
    }
    // Floats follow IEEE.
    let y = run1("Div", 14, vec![], vec![t(&[1], vec![1f32]), t(&[1], vec![0f32])]).unwrap();
    assert_eq!(data::<f32>(&y), vec![f32::INFINITY]);
}

#[test]
fn incompatible_shapes_and_types_are_errors() {
    let e = run1("Add", 14, vec![], vec![t(&[2, 3], vec![0f32; 6]), t(&[4], vec![0f32; 4])]).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert!(e.message.contains("Add"), "names the node: {e}");
    let e = run1("Add", 14, vec![], vec![t(&[2], vec![0f32; 2]), t(&[2], vec![0i32; 2])]).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    let e = run1("Sqrt", 13, vec![], vec![t(&[2], vec![1i32, 2])]).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    let e = run1("Where", 16, vec![], vec![t(&[2], vec![true, false]), t(&[3], vec![1f32; 3]), t(&[2], vec![0f32; 2])]).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
}

#[test]
fn legacy_broadcast_attribute_aligns_at_axis() {
    // Opset 6: B [3] onto A [2,3,2] at axis 1.
    let a = t(&[2, 3, 2], (0..12).map(|v| v as f32).collect());
    let y = run1("Add", 6, vec![("broadcast", Attribute::Int(1)), ("axis", Attribute::Int(1))], vec![a, t(&[3], vec![100f32, 200., 300.])]).unwrap();
    assert_eq!(data::<f32>(&y)[..6], [100., 101., 202., 203., 304., 305.]);
}

#[test]
fn half_types_compute_in_f32() {
    let h = |v: &[f32]| t(&[v.len()], v.iter().map(|&x| f16::from_f32(x)).collect::<Vec<_>>());
    let y = run1("Mul", 14, vec![], vec![h(&[1.5, -2.0, 1000.0]), h(&[2.0, 0.25, 100.0])]).unwrap();
    let got: Vec<f32> = data::<f16>(&y).iter().map(|v| v.to_f32()).collect();
    assert_eq!(got, vec![3.0, -0.5, f32::INFINITY]);
    let y = run1("Mean", 13, vec![], vec![h(&[1.0, 2.0]), h(&[3.0, 4.0]), h(&[5.0, 9.0])]).unwrap();
    let got: Vec<f32> = data::<f16>(&y).iter().map(|v| v.to_f32()).collect();
    assert_eq!(got, vec![3.0, 5.0]);
}

#[test]
fn mod_follows_divisor_or_dividend_sign() {
    let a = t(&[4], vec![5i32, -5, 5, -5]);
    let b = t(&[4], vec![3i32, 3, -3, -3]);
    let y = run1("Mod", 13, vec![], vec![a.clone(), b.clone()]).unwrap();
    assert_eq!(data::<i32>(&y), vec![2, 1, -1, -2]);
    let y = run1("Mod", 13, vec![("fmod", Attribute::Int(1))], vec![a, b]).unwrap();
    assert_eq!(data::<i32>(&y), vec![2, -2, 2, -2]);
    let y = run1("Mod", 28, vec![], vec![t(&[3], vec![-5.5f32, 0.0, 4.0]), t(&[3], vec![2f32, -3., f32::NEG_INFINITY])]).unwrap();
    let v = data::<f32>(&y);
    assert_eq!(v[0], 0.5);
    assert!(v[1] == 0.0 && v[1].is_sign_negative());
    assert_eq!(v[2], f32::NEG_INFINITY);
}

#[test]
fn pow_mixed_types() {
    let y = run1("Pow", 15, vec![], vec![t(&[3], vec![2i32, 3, -2]), t(&[3], vec![3i64, 2, 3])]).unwrap();
    assert_eq!(data::<i32>(&y), vec![8, 9, -8]);
    // int base, float exponent: computed in float, truncated back.
    let y = run1("Pow", 15, vec![], vec![t(&[2], vec![2i64, 9]), t(&[2], vec![0.5f32, 0.5])]).unwrap();
    assert_eq!(data::<i64>(&y), vec![1, 3]);
    let y = run1("Pow", 15, vec![], vec![t(&[2], vec![4f32, 2.]), t(&[], vec![-0.5f64])]).unwrap();
    assert_close_v(&data::<f32>(&y), &[0.5, std::f32::consts::FRAC_1_SQRT_2]);
}

fn assert_close_v(got: &[f32], want: &[f32]) {
    assert_all_close(got, want, 1e-6, 1e-7);
}

#[test]
fn variadic_max_min_sum_broadcast() {
    let a = t(&[2, 1], vec![1f32, 5.]);
    let b = t(&[3], vec![2f32, 4., 6.]);
    let c = t(&[], vec![3f32]);
    let y = run1("Max", 13, vec![], vec![a.clone(), b.clone(), c.clone()]).unwrap();
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(data::<f32>(&y), vec![3., 4., 6., 5., 5., 6.]);
    let y = run1("Sum", 13, vec![], vec![a.clone(), b.clone(), c.clone()]).unwrap();
    assert_eq!(data::<f32>(&y), vec![6., 8., 10., 10., 12., 14.]);
    let y = run1("Min", 13, vec![], vec![t(&[2], vec![f32::NAN, 1.0]), t(&[2], vec![0f32, 2.0])]).unwrap();
    let v = data::<f32>(&y);
    assert!(v[0].is_nan() && v[1] == 1.0, "NaN propagates: {v:?}");
    let y = run1("Max", 13, vec![], vec![t(&[2], vec![3u64, 9])]).unwrap();
    assert_eq!(data::<u64>(&y), vec![3, 9]);
}

#[test]
fn unary_math() {
    let x = t(&[6], vec![0.5f32, 1.5, 2.5, -0.5, -1.5, 2.4]);
    let y = run1("Round", 11, vec![], vec![x]).unwrap();
    assert_eq!(data::<f32>(&y), vec![0., 2., 2., -0., -2., 2.]);
    let y = run1("Sign", 13, vec![], vec![t(&[4], vec![-2f32, 0., 3., f32::NAN])]).unwrap();
    let v = data::<f32>(&y);
    assert_eq!(&v[..3], &[-1., 0., 1.]);
    assert!(v[3].is_nan());
    let y = run1("Sign", 13, vec![], vec![t(&[3], vec![-7i64, 0, 9])]).unwrap();
    assert_eq!(data::<i64>(&y), vec![-1, 0, 1]);
    let y = run1("Abs", 13, vec![], vec![t(&[2], vec![i8::MIN, -3])]).unwrap();
    assert_eq!(data::<i8>(&y), vec![i8::MIN, 3]);
    let y = run1("Neg", 13, vec![], vec![t(&[2], vec![5i32, -6])]).unwrap();
    assert_eq!(data::<i32>(&y), vec![-5, 6]);
    // erf against known values (Abramowitz & Stegun table 7.1).
    let y = run1("Erf", 13, vec![], vec![t(&[5], vec![0.0f64, 0.5, 1.0, 2.0, -3.0])]).unwrap();
    let want = [0.0, 0.520_499_877_813_046_5, 0.842_700_792_949_714_9, 0.995_322_265_018_952_7, -0.999_977_909_503_001_4];
    for (g, w) in data::<f64>(&y).iter().zip(want) {
        assert!((g - w).abs() < 1e-15, "erf: {g} vs {w}");
    }
}

#[test]
fn comparisons_logic_and_bits() {
    let y = run1("Less", 13, vec![], vec![t(&[3], vec![1f32, f32::NAN, 3.]), t(&[], vec![2f32])]).unwrap();
    assert_eq!(data::<bool>(&y), vec![true, false, false]);
    let s = |v: &[&str]| Some(Value::from(Tensor::from_strings(vec![v.len()], v.iter().map(|x| x.to_string()).collect()).unwrap()));
    let y = run1("Equal", 19, vec![], vec![s(&["a", "b", "c"]), s(&["b"])]).unwrap();
    assert_eq!(data::<bool>(&y), vec![false, true, false]);
    let y = run1("Xor", 7, vec![], vec![t(&[2, 2], vec![true, true, false, false]), t(&[2], vec![true, false])]).unwrap();
    assert_eq!(data::<bool>(&y), vec![false, true, true, false]);
    let y = run1("BitShift", 28, vec![("direction", Attribute::String(b"RIGHT".to_vec()))], vec![t(&[3], vec![-16i8, -16, 16]), t(&[3], vec![2i8, 9, 9])]).unwrap();
    assert_eq!(data::<i8>(&y), vec![-4, -1, 0]);
    let y = run1("BitwiseXor", 18, vec![], vec![t(&[2], vec![0b1100u16, 0xffff]), t(&[1], vec![0b1010u16])]).unwrap();
    assert_eq!(data::<u16>(&y), vec![0b0110, 0xfff5]);
    let e = run1("BitShift", 11, vec![("direction", Attribute::String(b"UP".to_vec()))], vec![t(&[1], vec![1u8]), t(&[1], vec![1u8])]).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidGraph);
    let y = run1("IsInf", 20, vec![("detect_positive", Attribute::Int(0))], vec![t(&[3], vec![f32::INFINITY, f32::NEG_INFINITY, 1.0])]).unwrap();
    assert_eq!(data::<bool>(&y), vec![false, true, false]);
}

#[test]
fn where_and_clip() {
    let s = |v: &[&str]| Some(Value::from(Tensor::from_strings(vec![v.len()], v.iter().map(|x| x.to_string()).collect()).unwrap()));
    let y = run1("Where", 16, vec![], vec![t(&[2, 1], vec![true, false]), s(&["x0", "x1"]), s(&["y"])]).unwrap();
    assert_eq!(y.shape(), &[2, 2]);
    assert_eq!(y.strings().unwrap(), &["x0", "x1", "y", "y"]);
    let y = run1("Where", 16, vec![], vec![t(&[3], vec![true, false, true]), t(&[3], vec![1i64, 2, 3]), t(&[], vec![0i64])]).unwrap();
    assert_eq!(data::<i64>(&y), vec![1, 0, 3]);
    let x = t(&[4], vec![-2f32, 0.5, 3., f32::NAN]);
    let y = run1("Clip", 13, vec![], vec![x.clone(), t(&[], vec![0f32]), t(&[], vec![1f32])]).unwrap();
    let v = data::<f32>(&y);
    assert_eq!(&v[..3], &[0., 0.5, 1.]);
    assert!(v[3].is_nan());
    // min > max: everything becomes max.
    let y = run1("Clip", 13, vec![], vec![t(&[2], vec![-5i32, 5]), t(&[], vec![3i32]), t(&[], vec![1i32])]).unwrap();
    assert_eq!(data::<i32>(&y), vec![1, 1]);
    // Only max given (min omitted).
    let y = run_node("Clip", 13, vec![], vec![x.clone(), None, t(&[], vec![0f32])], 1, 1).unwrap();
    assert_eq!(&f32_out(&y[0]).1[..3], &[-2., 0., 0.]);
    let y = run1("Clip", 6, vec![("min", Attribute::Float(-1.0))], vec![x]).unwrap();
    assert_eq!(&data::<f32>(&y)[..3], &[-1., 0.5, 3.]);
    let e = run1("Clip", 13, vec![], vec![t(&[1], vec![1f32]), t(&[2], vec![0f32, 1.])]).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
}

#[test]
fn activations() {
    let x = vec![-100f32, -1., 0., 1., 100.];
    let y = run1("Sigmoid", 13, vec![], vec![t(&[5], x.clone())]).unwrap();
    let want: Vec<f32> = x.iter().map(|&v| (1.0 / (1.0 + (-(v as f64)).exp())) as f32).collect();
    // Below about -87 the result (< 1e-38) flushes to 0.
    assert_all_close(&data::<f32>(&y), &want, 1e-6, 1e-37);
    let y = run1("Gelu", 20, vec![], vec![t(&[3], vec![-1f32, 0., 1.])]).unwrap();
    assert_all_close(&data::<f32>(&y), &[-0.158_655_25, 0., 0.841_344_75], 1e-6, 1e-7);
    let y = run1("Gelu", 20, vec![("approximate", Attribute::String(b"tanh".to_vec()))], vec![t(&[1], vec![1f32])]).unwrap();
    assert_all_close(&data::<f32>(&y), &[0.841_192], 1e-5, 0.0);
    let y = run1("Softplus", 22, vec![], vec![t(&[3], vec![-1000f32, 0., 1000.])]).unwrap();
    assert_all_close(&data::<f32>(&y), &[0., std::f32::consts::LN_2, 1000.], 1e-6, 1e-30);
    let y = run1("Relu", 14, vec![], vec![t(&[3], vec![-3i32, 0, 4])]).unwrap();
    assert_eq!(data::<i32>(&y), vec![0, 0, 4]);
    let y = run1("Shrink", 9, vec![("lambd", Attribute::Float(1.5)), ("bias", Attribute::Float(1.5))], vec![t(&[3], vec![-2i32, 1, 3])]).unwrap();
    assert_eq!(data::<i32>(&y), vec![0, 0, 1]);
    // PRelu with a per-channel slope [C,1,1] on NCHW.
    let y = run1("PRelu", 16, vec![], vec![t(&[1, 2, 1, 2], vec![-1f32, 1., -1., 1.]), t(&[2, 1, 1], vec![0.1f32, 0.2])]).unwrap();
    assert_eq!(data::<f32>(&y), vec![-0.1, 1., -0.2, 1.]);
    let y = run1("SwiGLU", 28, vec![], vec![t(&[2], vec![0f32, 2.]), t(&[2], vec![5f32, 3.])]).unwrap();
    assert_all_close(&data::<f32>(&y), &[0., 2. / (1. + (-2f32).exp()) * 3.], 1e-6, 0.0);
    let e = run1("SwiGLU", 28, vec![], vec![t(&[2], vec![0f32, 2.]), t(&[1], vec![5f32])]).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    let e = run1("Gelu", 20, vec![("approximate", Attribute::String(b"fast".to_vec()))], vec![t(&[1], vec![1f32])]).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidGraph);
}

#[test]
fn empty_and_scalar_tensors() {
    let y = run1("Add", 14, vec![], vec![t(&[0, 3], Vec::<f32>::new()), t(&[3], vec![1f32, 2., 3.])]).unwrap();
    assert_eq!(y.shape(), &[0, 3]);
    let y = run1("Exp", 13, vec![], vec![t(&[2, 0], Vec::<f32>::new())]).unwrap();
    assert_eq!(y.shape(), &[2, 0]);
    let y = run1("Where", 16, vec![], vec![t(&[0], Vec::<bool>::new()), t(&[1], vec![1i8]), t(&[], vec![2i8])]).unwrap();
    assert_eq!(y.shape(), &[0]);
    let y = run1("Mul", 14, vec![], vec![t(&[], vec![3i64]), t(&[], vec![-4i64])]).unwrap();
    assert_eq!((y.shape().to_vec(), data::<i64>(&y)), (vec![], vec![-12]));
    let e = run1("Add", 14, vec![], vec![t(&[0], Vec::<f32>::new()), t(&[2], vec![1f32, 2.])]).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
}
