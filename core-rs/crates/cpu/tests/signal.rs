//! Signal kernels: DFT, STFT, windows, MelWeightMatrix. Transform references come from
//! numpy.fft in float64 (the spec's reference implementation is numpy.fft); windows are
//! the spec's formulas evaluated in f64 (onnxruntime computes them in f32, ~2e-8 off);
//! mel matrices come from onnxruntime 1.32. Long transforms are checked against the spec's
//! defining sum, evaluated here in f64.

mod common;

use common::{assert_close, f32s, OpTest};
use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, DataType, ErrorCode, Tensor, Value};

fn f64s(shape: &[usize], v: &[f64]) -> Tensor {
    Tensor::from_vec(shape.to_vec(), v.to_vec()).unwrap()
}
fn shape(v: &Value) -> Vec<usize> {
    v.as_tensor().unwrap().shape().to_vec()
}
fn assert_f64(got: &Value, want: &[f64], tol: f64) {
    let g = got.as_tensor().unwrap().data::<f64>().unwrap();
    assert_eq!(g.len(), want.len(), "length");
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol * (1.0 + b.abs()), "element {i}: got {a}, want {b}");
    }
}
fn code(r: onnxrun_core::Result<Vec<Value>>) -> ErrorCode {
    r.expect_err("expected an error").code
}
fn dft20() -> OpTest {
    OpTest::new("DFT", 20)
}

#[test]
fn dft_real_input_default_axis() {
    let x = f32s(&[1, 5, 1], &[1., 2., 3., 4., 5.]);
    let out = dft20().input(x).run().unwrap();
    assert_eq!(shape(&out[0]), [1, 5, 2]);
    let want = [15., 0., -2.5, 3.4409548, -2.5, 0.812299241, -2.5, -0.812299241, -2.5, -3.4409548];
    assert_close(&out[0], &want, 1e-6);
}

#[test]
fn dft_length_pads_and_truncates() {
    let x = f32s(&[1, 5, 1], &[1., 2., 3., 4., 5.]);
    // Zero-padded to 8, one-sided: 5 bins.
    let out = dft20().attr("onesided", Attribute::Int(1)).input(x.clone()).input(Tensor::scalar(8i64)).run().unwrap();
    assert_eq!(shape(&out[0]), [1, 5, 2]);
    let want = [15., 0., -5.41421356, -7.24264069, 3., 2., -2.58578644, -1.24264069, 3., 0.];
    assert_close(&out[0], &want, 1e-6);
    // Truncated to the first 3 samples (int32 dft_length).
    let out = dft20().input(x).input(Tensor::scalar(3i32)).run().unwrap();
    assert_close(&out[0], &[6., 0., -1.5, 0.866025404, -1.5, -0.866025404], 1e-6);
}

#[test]
fn irfft_matches_numpy_for_odd_and_even_lengths() {
    // Bins 3, 1-2i, 0.5+0.25i, -1+1i.
    let z = f32s(&[1, 4, 2], &[3., 0., 1., -2., 0.5, 0.25, -1., 1.]);
    let run = |n: i64| {
        dft20().attr("inverse", Attribute::Int(1)).attr("onesided", Attribute::Int(1)).input(z.clone()).input(Tensor::scalar(n)).run().unwrap()
    };
    let out = run(7);
    assert_eq!(shape(&out[0]), [1, 7, 1]);
    assert_close(&out[0], &[0.571428571, 1.0854987, 0.869618021, 0.349026972, 0.298571294, -0.753329546, 0.579185987], 1e-6);
    let out = run(8);
    assert_close(&out[0], &[0.5, 0.842830086, 1., 0.260723305, 0.5, -0.217830086, -0.5, 0.614276695], 1e-6);
    // Default length 2 * (4 - 1) = 6.
    let out = dft20().attr("inverse", Attribute::Int(1)).attr("onesided", Attribute::Int(1)).input(z).run().unwrap();
    assert_eq!(shape(&out[0]), [1, 6, 1]);
}

#[test]
fn dft_opset17_axis_attribute_over_an_outer_axis_f64() {
    // [3, 2, 2] complex, transformed along axis 0 (two interleaved lines).
    let y = f64s(&[3, 2, 2], &[1., 0., 0., 1., 2., -1., 3., 0., 0.5, 0.5, -1., 2.]);
    let out = OpTest::new("DFT", 17).attr("axis", Attribute::Int(0)).input(y.clone()).run().unwrap();
    let want = [3.5, -0.5, 2., 3., -1.54903811, -1.04903811, -2.73205081, -3.46410162, 1.04903811, 1.54903811, 0.732050808, 3.46410162];
    assert_f64(&out[0], &want, 1e-8);
    let out = OpTest::new("DFT", 17).attr("axis", Attribute::Int(0)).attr("inverse", Attribute::Int(1)).input(y).run().unwrap();
    let want = [
        1.16666667, -0.166666667, 0.666666667, 1., 0.349679369, 0.516346035, 0.244016936, 1.15470054, -0.516346035, -0.349679369,
        -0.910683603, -1.15470054,
    ];
    assert_f64(&out[0], &want, 1e-8);
}

/// The spec's definition, y[k] = Σ x[j]·exp(∓2πi·jk/n), in f64.
fn definition(x: &[(f64, f64)], inverse: bool) -> Vec<(f64, f64)> {
    let n = x.len();
    let sign = if inverse { 1.0 } else { -1.0 };
    (0..n)
        .map(|k| {
            let (mut re, mut im) = (0.0, 0.0);
            for (j, &(a, b)) in x.iter().enumerate() {
                let t = sign * 2.0 * std::f64::consts::PI * ((j * k) % n) as f64 / n as f64;
                re += a * t.cos() - b * t.sin();
                im += a * t.sin() + b * t.cos();
            }
            if inverse {
                (re / n as f64, im / n as f64)
            } else {
                (re, im)
            }
        })
        .collect()
}

#[test]
fn dft_of_any_length_matches_the_definition() {
    // Powers of two (radix-2), short odd lengths (direct) and long non-powers (Bluestein).
    for n in [64usize, 12, 97, 100, 1000, 1023] {
        let x: Vec<(f64, f64)> = (0..n).map(|i| ((i as f64 * 0.37).sin() + 0.1, (i as f64 * 1.3).cos() * 0.5)).collect();
        let flat: Vec<f64> = x.iter().flat_map(|&(a, b)| [a, b]).collect();
        for inverse in [false, true] {
            let out = dft20().attr("inverse", Attribute::Int(inverse as i64)).input(f64s(&[1, n, 2], &flat)).run().unwrap();
            let want: Vec<f64> = definition(&x, inverse).into_iter().flat_map(|(a, b)| [a, b]).collect();
            assert_f64(&out[0], &want, 1e-9);
        }
        // f32 input computes in f64: still close to the exact sum.
        let flat32: Vec<f32> = flat.iter().map(|&v| v as f32).collect();
        let x32: Vec<(f64, f64)> = flat32.chunks(2).map(|p| (p[0] as f64, p[1] as f64)).collect();
        let want: Vec<f32> = definition(&x32, false).into_iter().flat_map(|(a, b)| [a as f32, b as f32]).collect();
        let out = dft20().input(f32s(&[1, n, 2], &flat32)).run().unwrap();
        assert_close(&out[0], &want, 1e-5);
    }
}

#[test]
fn dft_f16_input() {
    let x: Vec<f16> = [1., 2., 3., 4.].iter().map(|&v| f16::from_f32(v)).collect();
    let out = dft20().input(Tensor::from_vec(vec![4, 1], x).unwrap()).no_input().input(Tensor::scalar(0i64)).run();
    // Axis 0 of [4, 1]: the 4-point DFT of 1..4 = 10, -2+2i, -2, -2-2i.
    let out = out.unwrap();
    let t = out[0].as_tensor().unwrap();
    assert_eq!(t.dtype(), DataType::Float16);
    let got: Vec<f32> = t.data::<f16>().unwrap().iter().map(|v| v.to_f32()).collect();
    assert_eq!(got, [10., 0., -2., 2., -2., 0., -2., -2.]);
}

#[test]
fn dft_bad_inputs_are_errors() {
    let x = f32s(&[1, 6, 1], &[0., 1., 2., 3., 4., 5.]);
    for len in [0i64, -3] {
        assert_eq!(code(dft20().input(x.clone()).input(Tensor::scalar(len)).run()), ErrorCode::InvalidArgument);
    }
    // The last dimension (real/imaginary) is not a signal axis; axis out of range.
    for axis in [2i64, -1, 3, -4] {
        assert_eq!(code(dft20().input(x.clone()).no_input().input(Tensor::scalar(axis)).run()), ErrorCode::InvalidArgument);
    }
    // Last dimension must be 1 or 2.
    assert_eq!(code(dft20().input(f32s(&[2, 3], &[0.; 6])).run()), ErrorCode::InvalidArgument);
    // One-sided forward needs real input; one-sided inverse needs complex input.
    let c = f32s(&[1, 3, 2], &[0.; 6]);
    assert_eq!(code(dft20().attr("onesided", Attribute::Int(1)).input(c).run()), ErrorCode::InvalidArgument);
    let irfft = dft20().attr("onesided", Attribute::Int(1)).attr("inverse", Attribute::Int(1));
    assert_eq!(code(irfft.input(x.clone()).run()), ErrorCode::InvalidArgument);
    // Non-scalar dft_length, integer signal, bad attribute.
    assert_eq!(code(dft20().input(x.clone()).input(f32s(&[2], &[1., 2.])).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(dft20().input(Tensor::from_vec(vec![1, 2, 1], vec![1i32, 2]).unwrap()).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(dft20().attr("inverse", Attribute::Int(2)).input(x).run()), ErrorCode::InvalidGraph);
}

#[test]
fn stft_real_signal_with_window() {
    let s: Vec<f32> = (0..20).map(|i| (i as f32 * 0.7).sin()).collect();
    // numpy.hanning(9)[:8], a periodic Hann window of 8.
    let w: Vec<f32> = (0..8).map(|k| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * k as f64 / 8.0).cos()) as f32).collect();
    let out = OpTest::new("STFT", 17).input(f32s(&[1, 20, 1], &s)).input(Tensor::scalar(4i64)).input(f32s(&[8], &w)).run().unwrap();
    assert_eq!(shape(&out[0]), [1, 4, 5, 2]);
    let want = [
        0.779774839, 0., -0.679290057, -1.82966932, 0.278051171, 0.797987145, 0.00931375678, 0.0273561798, 0.00407541861, 0.,
        -1.46944255, 0., 1.28008454, 1.50604484, -0.523972051, -0.656842419, -0.0175512594, -0.0225175298, -0.00767990093, 0.,
        1.98930836, 0., -1.73295844, -1.00838887, 0.709345173, 0.439796057, 0.0237606207, 0.0150768594, 0.0103969298, 0.,
        -2.279299, 0., 1.98557977, 0.394208199, -0.812749688, -0.171928922, -0.0272243159, -0.0058939778, -0.0119125382, 0.,
    ];
    for (i, (g, w)) in out[0].as_tensor().unwrap().data::<f32>().unwrap().iter().zip(want).enumerate() {
        assert!((*g as f64 - w).abs() < 2e-6, "element {i}: got {g}, want {w}");
    }
}

#[test]
fn stft_complex_signal_two_sided() {
    let s: Vec<f32> = (0..12).flat_map(|i| [(i as f64 * 0.5).sin() as f32, (i as f64 * 0.3).cos() as f32]).collect();
    let out = OpTest::new("STFT", 17)
        .attr("onesided", Attribute::Int(0))
        .input(f32s(&[1, 12, 2], &s))
        .input(Tensor::scalar(5i64))
        .no_input()
        .input(Tensor::scalar(6i64))
        .run()
        .unwrap();
    assert_eq!(shape(&out[0]), [1, 2, 6, 2]);
    let want = [
        3.82616108, 3.83537703, -0.166894307, 0.459416999, -0.051703194, 0.559084401, -0.324624258, 0.54000971, -0.781972927, 0.470368475,
        -2.50096639, 0.135743386, -2.30444796, -3.29276935, 2.61686493, -0.591452278, 1.22958443, 0.236512339, 0.844765561, 0.616407262,
        0.599872479, 1.05628747, 0.604193423, 2.39943777,
    ];
    assert_close(&out[0], &want, 1e-5);
}

#[test]
fn stft_bad_inputs_are_errors() {
    let s = f32s(&[1, 10, 1], &[0.; 10]);
    let stft = || OpTest::new("STFT", 17).input(s.clone());
    // frame_length longer than the signal, zero / negative frame_step, zero frame_length.
    assert_eq!(code(stft().input(Tensor::scalar(2i64)).no_input().input(Tensor::scalar(11i64)).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(stft().input(Tensor::scalar(0i64)).no_input().input(Tensor::scalar(4i64)).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(stft().input(Tensor::scalar(-1i64)).no_input().input(Tensor::scalar(4i64)).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(stft().input(Tensor::scalar(2i64)).no_input().input(Tensor::scalar(0i64)).run()), ErrorCode::InvalidArgument);
    // Window length differs from frame_length; 2-D window; rank-4 signal.
    let w6 = f32s(&[6], &[1.; 6]);
    assert_eq!(code(stft().input(Tensor::scalar(2i64)).input(w6).input(Tensor::scalar(4i64)).run()), ErrorCode::InvalidArgument);
    assert_eq!(code(stft().input(Tensor::scalar(2i64)).input(f32s(&[2, 2], &[1.; 4])).run()), ErrorCode::InvalidArgument);
    let s4 = f32s(&[1, 1, 10, 1], &[0.; 10]);
    assert_eq!(code(OpTest::new("STFT", 17).input(s4).input(Tensor::scalar(2i64)).run()), ErrorCode::InvalidArgument);
    // No window, no frame_length: one frame over the whole signal.
    let out = stft().input(Tensor::scalar(3i64)).run().unwrap();
    assert_eq!(shape(&out[0]), [1, 1, 6, 2]);
}

fn window(op: &str, size: i64, periodic: i64, dtype: DataType) -> onnxrun_core::Result<Vec<Value>> {
    OpTest::new(op, 17)
        .attr("periodic", Attribute::Int(periodic))
        .attr("output_datatype", Attribute::Int(dtype as i64))
        .input(Tensor::scalar(size))
        .run()
}

#[test]
fn windows_periodic_and_symmetric() {
    let cases: [(&str, [f64; 5], [f64; 5]); 3] = [
        ("HannWindow", [0.0, 0.3454915028, 0.9045084972, 0.9045084972, 0.3454915028], [0.0, 0.5, 1.0, 0.5, 0.0]),
        (
            "HammingWindow",
            [0.0869565217, 0.4024052852, 0.9128121061, 0.9128121061, 0.4024052852],
            [0.0869565217, 0.5434782609, 1.0, 0.5434782609, 0.0869565217],
        ),
        ("BlackmanWindow", [0.0, 0.2007701433, 0.8492298567, 0.8492298567, 0.2007701433], [0.0, 0.34, 1.0, 0.34, 0.0]),
    ];
    for (op, periodic, symmetric) in cases {
        assert_f64(&window(op, 5, 1, DataType::Double).unwrap()[0], &periodic, 1e-8);
        assert_f64(&window(op, 5, 0, DataType::Double).unwrap()[0], &symmetric, 1e-8);
        let f = window(op, 5, 1, DataType::Float).unwrap();
        assert_close(&f[0], &periodic.map(|v| v as f32), 1e-6);
        // Integer output truncates toward zero.
        let i = window(op, 5, 0, DataType::Int64).unwrap();
        assert_eq!(i[0].as_tensor().unwrap().data::<i64>().unwrap(), [0, 0, 1, 0, 0]);
        assert_eq!(shape(&window(op, 0, 1, DataType::Float).unwrap()[0]), [0]);
        assert_eq!(code(window(op, -1, 1, DataType::Float)), ErrorCode::InvalidArgument);
        assert_eq!(code(window(op, 4, 1, DataType::String)), ErrorCode::InvalidGraph);
        assert_eq!(code(window(op, 4, 2, DataType::Float)), ErrorCode::InvalidGraph);
    }
}

fn mel(bins: i64, dft: i64, rate: i64, lo: f32, hi: f32) -> onnxrun_core::Result<Vec<Value>> {
    OpTest::new("MelWeightMatrix", 17)
        .input(Tensor::scalar(bins))
        .input(Tensor::scalar(dft))
        .input(Tensor::scalar(rate))
        .input(Tensor::scalar(lo))
        .input(Tensor::scalar(hi))
        .run()
}

#[test]
fn mel_weight_matrix_matches_onnxruntime() {
    let out = mel(6, 64, 16000, 100., 7000.).unwrap();
    assert_eq!(shape(&out[0]), [33, 6]);
    let m = out[0].as_tensor().unwrap().data::<f32>().unwrap().to_vec();
    // The non-zero entries onnxruntime gives, as (row, column, value).
    let nz: [(usize, usize, f32); 27] = [
        (1, 0, 1.), (2, 1, 1.), (3, 1, 0.5), (3, 2, 0.5), (4, 2, 1.), (5, 2, 2. / 3.), (5, 3, 1. / 3.), (6, 2, 1. / 3.),
        (6, 3, 2. / 3.), (7, 3, 1.), (8, 3, 2. / 3.), (8, 4, 1. / 3.), (9, 3, 1. / 3.), (9, 4, 2. / 3.), (10, 4, 1.),
        (11, 4, 0.75), (11, 5, 0.25), (12, 4, 0.5), (12, 5, 0.5), (13, 4, 0.25), (13, 5, 0.75), (14, 5, 1.), (15, 5, 5. / 6.),
        (16, 5, 4. / 6.), (17, 5, 0.5), (18, 5, 2. / 6.), (19, 5, 1. / 6.),
    ];
    let mut want = vec![0f32; 33 * 6];
    for (r, c, v) in nz {
        want[r * 6 + c] = v;
    }
    for (i, (g, w)) in m.iter().zip(&want).enumerate() {
        assert!((g - w).abs() < 1e-6, "element {i}: got {g}, want {w}");
    }
}

#[test]
fn mel_weight_matrix_bad_inputs() {
    // Upper edge above Nyquist, zero sample rate, negative bins, zero dft_length.
    assert_eq!(code(mel(4, 16, 100, 0., 500.)), ErrorCode::InvalidArgument);
    assert_eq!(code(mel(4, 16, 0, 0., 50.)), ErrorCode::InvalidArgument);
    assert_eq!(code(mel(-1, 16, 100, 0., 50.)), ErrorCode::InvalidArgument);
    assert_eq!(code(mel(4, 0, 100, 0., 50.)), ErrorCode::InvalidArgument);
    assert_eq!(shape(&mel(0, 16, 100, 0., 50.).unwrap()[0]), [9, 0]);
}
