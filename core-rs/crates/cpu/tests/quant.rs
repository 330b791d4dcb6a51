//! QuantizeLinear, DequantizeLinear, QLinearMatMul and DynamicQuantizeLinear. Expected
//! values come from onnxruntime 1.32 (CPU provider) unless a comment says otherwise; the
//! inputs are small closed-form sequences so they can be regenerated. Large cases run on
//! one and two threads against a plain f64 reference of the spec formula.

use onnxrun_core::value::Dim;
use onnxrun_core::{
    Attribute, DataType, ErrorCode, Graph, Model, Node, RunState, Session, SessionOptions, Tensor,
    TypeInfo, Value, ValueInfo,
};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

/// Runs one node on `threads` threads. With `typed`, the graph declares every input's type
/// and shape (so checks at session creation can see them).
fn run_full(
    op: &str,
    opset: i64,
    attrs: &[(&str, i64)],
    inputs: Vec<Option<Tensor>>,
    n_out: usize,
    threads: usize,
    typed: bool,
) -> onnxrun_core::Result<Vec<Tensor>> {
    let names: Vec<String> = inputs
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if v.is_some() {
                format!("in{i}")
            } else {
                String::new()
            }
        })
        .collect();
    let node = Node {
        op_type: op.into(),
        name: format!("q_{op}"),
        inputs: names.clone(),
        outputs: (0..n_out).map(|i| format!("out{i}")).collect(),
        attrs: attrs
            .iter()
            .map(|(n, v)| (n.to_string(), Attribute::Int(*v)))
            .collect(),
        ..Default::default()
    };
    let ty = |t: &Tensor| TypeInfo::Tensor {
        dtype: t.dtype(),
        shape: Some(t.shape().iter().map(|&d| Dim::Known(d as i64)).collect()),
    };
    let graph = Graph {
        name: "test".into(),
        nodes: vec![node],
        inputs: names
            .iter()
            .zip(&inputs)
            .filter(|(n, _)| !n.is_empty())
            .map(|(n, t)| ValueInfo {
                name: n.clone(),
                ty: if typed { t.as_ref().map(ty) } else { None },
                doc: String::new(),
            })
            .collect(),
        outputs: (0..n_out)
            .map(|i| ValueInfo {
                name: format!("out{i}"),
                ty: None,
                doc: String::new(),
            })
            .collect(),
        ..Default::default()
    };
    let mut model = Model {
        ir_version: 10,
        graph,
        ..Default::default()
    };
    model.opsets.insert(String::new(), opset);
    let sess = Session::new(
        model,
        SessionOptions {
            providers: vec![Arc::new(CpuProvider::new(threads))],
            ..Default::default()
        },
    )?;
    let feeds: Vec<(usize, Value)> = inputs
        .into_iter()
        .flatten()
        .map(Value::Tensor)
        .enumerate()
        .collect();
    let fetch: Vec<usize> = (0..n_out).collect();
    sess.run(feeds, &fetch, &RunState::default())?
        .into_iter()
        .map(|v| v.into_tensor())
        .collect()
}

fn run(
    op: &str,
    opset: i64,
    attrs: &[(&str, i64)],
    inputs: Vec<Option<Tensor>>,
) -> onnxrun_core::Result<Tensor> {
    Ok(run_full(op, opset, attrs, inputs, 1, 1, false)?.remove(0))
}

fn t<T: onnxrun_core::Element>(shape: &[usize], v: Vec<T>) -> Option<Tensor> {
    Some(Tensor::from_vec(shape.to_vec(), v).unwrap())
}
fn ta<T: Copy>(dt: DataType, shape: &[usize], v: Vec<T>) -> Option<Tensor> {
    Some(Tensor::from_vec_as(dt, shape.to_vec(), v).unwrap())
}
fn s<T: onnxrun_core::Element>(v: T) -> Option<Tensor> {
    Some(Tensor::scalar(v))
}

/// `((i * a) % m - c) * k` for i in 0..n: the data the onnxruntime references were made from.
fn seq(n: usize, a: usize, m: usize, c: f32, k: f32) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * a) % m) as f32 - c)
        .map(|v| v * k)
        .collect()
}

fn data<T: onnxrun_core::Element>(t: &Tensor) -> Vec<T> {
    t.data::<T>().unwrap().to_vec()
}

fn assert_f32(got: &Tensor, want: &[f32]) {
    let g = got.data::<f32>().unwrap();
    assert_eq!(g.len(), want.len());
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= 1e-6 * b.abs().max(1.0),
            "element {i}: got {a}, want {b}"
        );
    }
}

const ATTR_OUT: &str = "output_dtype";

// ---------------------------------------------------------------- QuantizeLinear

#[test]
fn quantize_per_tensor_rounds_half_even_and_saturates() {
    let x = vec![
        0.0,
        0.5,
        1.5,
        2.5,
        -0.5,
        -1.5,
        -2.5,
        300.0,
        -300.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
    ];
    let y = run(
        "QuantizeLinear",
        21,
        &[],
        vec![t(&[12], x.clone()), s(1f32), s(128u8)],
    )
    .unwrap();
    assert_eq!(
        data::<u8>(&y),
        vec![128, 128, 130, 130, 128, 126, 126, 255, 0, 255, 0, 0]
    );
    let y = run(
        "QuantizeLinear",
        21,
        &[],
        vec![t(&[12], x.clone()), s(1f32), s(-1i8)],
    )
    .unwrap();
    assert_eq!(
        data::<i8>(&y),
        vec![-1, -1, 1, 1, -1, -3, -3, 127, -128, 127, -128, -128]
    );
    // No zero point: uint8 (opset 10 too).
    for opset in [10, 13, 19, 21, 25] {
        let y = run(
            "QuantizeLinear",
            opset,
            &[],
            vec![t(&[12], x.clone()), s(1f32)],
        )
        .unwrap();
        assert_eq!(y.dtype(), DataType::Uint8);
        assert_eq!(data::<u8>(&y), vec![0, 0, 2, 2, 0, 0, 0, 255, 0, 255, 0, 0]);
    }
}

#[test]
fn quantize_per_axis() {
    // [2, 3, 4] along the default axis 1 (rows of 4: merged into whole blocks).
    let y = run(
        "QuantizeLinear",
        21,
        &[],
        vec![
            t(&[2, 3, 4], seq(24, 37, 101, 50.0, 0.173)),
            t(&[3], vec![0.5f32, 0.25, 2.0]),
            t(&[3], vec![-3i8, 0, 7]),
        ],
    )
    .unwrap();
    assert_eq!(y.shape(), &[2, 3, 4]);
    assert_eq!(
        data::<i8>(&y),
        vec![
            -20, -7, 5, -17, -2, 24, -21, 5, 11, 5, 8, 3, -6, 6, -16, -3, 26, -19, 7, 33, 6, 9, 3,
            6
        ]
    );
    // [2, 3, 16]: rows of 16 share one scale.
    let y = run(
        "QuantizeLinear",
        13,
        &[("axis", 1)],
        vec![
            t(&[2, 3, 16], seq(96, 37, 101, 50.0, 0.173)),
            t(&[3], vec![0.1f32, 0.3, 0.7]),
            t(&[3], vec![128u8, 10, 250]),
        ],
    )
    .unwrap();
    #[rustfmt::skip]
    let want: Vec<u8> = vec![42, 106, 170, 59, 123, 187, 76, 140, 204, 93, 157, 47, 111, 175, 64, 128, 31, 0, 16, 37, 0, 22, 0, 6, 27, 0, 12, 33, 0, 17, 39, 2, 255, 240, 249, 255, 242, 251, 255, 245, 254, 238, 247, 255, 241, 250, 255, 243, 144, 208, 97, 161, 50, 114, 178, 67, 131, 195, 85, 149, 213, 102, 166, 55, 7, 28, 0, 13, 34, 0, 19, 0, 3, 24, 0, 9, 30, 0, 15, 36, 245, 254, 239, 248, 255, 241, 250, 255, 244, 253, 255, 246, 255, 239, 249, 255];
    assert_eq!(data::<u8>(&y), want);
}

#[test]
fn quantize_blocked_int4_with_remainder_block() {
    // [3, 8] blocked along axis 1 by 3: blocks of 3, 3, 2.
    let scale = vec![1.0f32, 2.0, 0.5, 3.0, 0.25, 1.5, 0.75, 1.0, 2.0];
    let zp: Vec<i8> = vec![0, 0, 0, 0, 2, 0, -1, 0, 0];
    let y = run(
        "QuantizeLinear",
        21,
        &[("axis", 1), ("block_size", 3)],
        vec![
            t(&[3, 8], seq(24, 37, 101, 50.0, 0.71)),
            t(&[3, 3], scale),
            ta(DataType::Int4, &[3, 3], zp),
        ],
    )
    .unwrap();
    assert_eq!(y.dtype(), DataType::Int4);
    assert_eq!(
        data::<i8>(&y),
        vec![-8, -8, 7, -8, -1, 7, -8, 7, 7, -5, 4, -8, -8, 7, -8, 0, 7, -8, 7, 7, -8, 7, -8, -2]
    );
}

#[test]
fn quantize_blocked_along_outer_axis() {
    // [5, 3] blocked along axis 0 by 2: scale [3, 3], each row reads a row of scales.
    let y = run(
        "QuantizeLinear",
        21,
        &[("axis", 0), ("block_size", 2)],
        vec![
            t(&[5, 3], seq(15, 37, 101, 50.0, 1.3)),
            t(
                &[3, 3],
                vec![1.0f32, 2.0, 0.5, 3.0, 0.25, 1.5, 0.75, 1.0, 2.0],
            ),
            t(&[3, 3], vec![1u8, 2, 3, 100, 50, 0, 9, 8, 7]),
        ],
    )
    .unwrap();
    assert_eq!(
        data::<u8>(&y),
        vec![0, 0, 65, 0, 0, 91, 87, 86, 38, 91, 138, 0, 0, 43, 0]
    );
}

#[test]
fn quantize_float8_saturate_or_not() {
    let x = vec![
        0.0f32,
        1.0,
        -3.3,
        500.0,
        -1000.0,
        1e-3,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        0.3,
    ];
    let q = |dt: DataType, sat: i64| {
        let y = run(
            "QuantizeLinear",
            21,
            &[("saturate", sat)],
            vec![t(&[10], x.clone()), s(0.5f32), ta(dt, &[1], vec![0u8])],
        )
        .unwrap();
        assert_eq!(y.dtype(), dt);
        data::<u8>(&y)
    };
    // NaN codes: 0x7f/0xff (E4M3FN), 0x7e..0x7f/0xfe..0xff (E5M2).
    assert_eq!(
        q(DataType::Float8E4M3FN, 1),
        vec![0, 64, 205, 126, 254, 1, 126, 254, 0x7f, 50]
    );
    assert_eq!(
        q(DataType::Float8E5M2, 1),
        vec![0, 64, 199, 100, 232, 24, 123, 251, 0x7e, 57]
    );
    // Without saturation overflow is NaN (E4M3FN) or infinity (E5M2).
    assert_eq!(
        q(DataType::Float8E4M3FN, 0),
        vec![0, 64, 205, 0x7f, 0xff, 1, 0x7f, 0xff, 0x7f, 50]
    );
    assert_eq!(
        q(DataType::Float8E5M2, 0),
        vec![0, 64, 199, 100, 232, 24, 124, 252, 0x7e, 57]
    );
    // The FNUZ types (spec tables: saturate to ±max, NaN is 0x80).
    assert_eq!(q(DataType::Float8E4M3FNUZ, 1)[3..5], [0x7f, 0xff]);
    assert_eq!(q(DataType::Float8E4M3FNUZ, 0)[3..5], [0x80, 0x80]);
    assert_eq!(q(DataType::Float8E5M2FNUZ, 0)[8], 0x80);
}

#[test]
fn quantize_half_inputs() {
    use onnxrun_core::half::f16;
    let x: Vec<f16> = seq(10, 37, 101, 50.0, 0.37)
        .into_iter()
        .map(f16::from_f32)
        .collect();
    let y = run(
        "QuantizeLinear",
        21,
        &[],
        vec![t(&[10], x), s(f16::from_f32(0.1)), s(100u8)],
    )
    .unwrap();
    assert_eq!(
        data::<u8>(&y),
        vec![0, 52, 189, 0, 89, 226, 0, 126, 255, 26]
    );
}

#[test]
fn quantize_16_bit() {
    let x = seq(10, 37, 101, 50.0, 1234.5);
    let y = run(
        "QuantizeLinear",
        21,
        &[],
        vec![t(&[10], x.clone()), s(0.5f32), s(-100i16)],
    )
    .unwrap();
    assert_eq!(
        data::<i16>(&y),
        vec![-32768, -32197, 32767, -32768, -7507, 32767, -32768, 17183, 32767, -32768]
    );
    let y = run(
        "QuantizeLinear",
        21,
        &[],
        vec![t(&[10], x), s(2f32), s(30000u16)],
    )
    .unwrap();
    assert_eq!(
        data::<u16>(&y),
        vec![0, 21976, 44814, 5310, 28148, 50986, 11482, 34321, 57159, 17655]
    );
}

#[test]
fn quantize_output_dtype_and_small_types() {
    // No zero point: output_dtype decides. Values from the spec formula.
    let x = vec![-9.0f32, -2.6, -1.5, -0.5, 0.5, 1.5, 2.5, 3.4, 20.0];
    let q = |dt: DataType| {
        run(
            "QuantizeLinear",
            25,
            &[(ATTR_OUT, dt as i64)],
            vec![t(&[9], x.clone()), s(1f32)],
        )
        .unwrap()
    };
    let y = q(DataType::Int4);
    assert_eq!(
        (y.dtype(), data::<i8>(&y)),
        (DataType::Int4, vec![-8, -3, -2, 0, 0, 2, 2, 3, 7])
    );
    let y = q(DataType::Uint4);
    assert_eq!(data::<u8>(&y), vec![0, 0, 0, 0, 0, 2, 2, 3, 15]);
    let y = q(DataType::Int2);
    assert_eq!(
        (y.dtype(), data::<i8>(&y)),
        (DataType::Int2, vec![-2, -2, -2, 0, 0, 1, 1, 1, 1])
    );
    let y = q(DataType::Uint2);
    assert_eq!(data::<u8>(&y), vec![0, 0, 0, 0, 0, 2, 2, 3, 3]);
    // float4 e2m1: codes of the nearest value, saturating at ±6 (sign bit 0x8).
    let y = q(DataType::Float4E2M1);
    assert_eq!(
        data::<u8>(&y),
        vec![0xf, 0xd, 0xb, 0x9, 0x1, 0x3, 0x4, 0x5, 0x7]
    );
}

#[test]
fn quantize_precision_attribute() {
    // precision = float16: x and the scale are rounded to f16 and divided in f16 (what the
    // ONNX reference computes): 2.5009766 -> 2.5 -> 2, 1000.7 -> 1000.5 -> 1000.
    let x = vec![2.5009766f32, 1000.7, -3.4999, 7.3];
    let y = run(
        "QuantizeLinear",
        25,
        &[("precision", 10), (ATTR_OUT, DataType::Int16 as i64)],
        vec![t(&[4], x.clone()), s(1f32)],
    )
    .unwrap();
    assert_eq!(data::<i16>(&y), vec![2, 1000, -4, 7]);
    let y = run(
        "QuantizeLinear",
        25,
        &[(ATTR_OUT, DataType::Int16 as i64)],
        vec![t(&[4], x), s(1f32)],
    )
    .unwrap();
    assert_eq!(data::<i16>(&y), vec![3, 1001, -3, 7]);
}

/// The spec formula in f64 (exact for f32 data / f32 scales up to the f32 division).
fn ref_quant(
    x: &[f32],
    scale: impl Fn(usize) -> f32,
    zp: impl Fn(usize) -> f32,
    lo: f32,
    hi: f32,
) -> Vec<i32> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| ((v / scale(i)).round_ties_even() + zp(i)).clamp(lo, hi) as i32)
        .collect()
}

#[test]
fn quantize_large_tensors_on_the_pool() {
    let n = 3 * 70_001;
    let x = seq(n, 7919, 100_003, 50_000.0, 0.0031);
    for threads in [1, 2] {
        // Per tensor.
        let y = run_full(
            "QuantizeLinear",
            21,
            &[],
            vec![t(&[3, 70_001], x.clone()), s(0.37f32), s(3i8)],
            1,
            threads,
            false,
        )
        .unwrap()
        .remove(0);
        let want = ref_quant(&x, |_| 0.37, |_| 3.0, -128.0, 127.0);
        assert_eq!(
            data::<i8>(&y).iter().map(|&v| v as i32).collect::<Vec<_>>(),
            want
        );
        // Per axis along the last dimension (merged short rows).
        let sc: Vec<f32> = (0..70_001).map(|j| 0.2 + (j % 13) as f32 * 0.05).collect();
        let zp: Vec<u8> = (0..70_001).map(|j| (j % 200) as u8).collect();
        let y = run_full(
            "QuantizeLinear",
            21,
            &[("axis", -1)],
            vec![
                t(&[3, 70_001], x.clone()),
                t(&[70_001], sc.clone()),
                t(&[70_001], zp.clone()),
            ],
            1,
            threads,
            false,
        )
        .unwrap()
        .remove(0);
        let want = ref_quant(
            &x,
            |i| sc[i % 70_001],
            |i| zp[i % 70_001] as f32,
            0.0,
            255.0,
        );
        assert_eq!(
            data::<u8>(&y).iter().map(|&v| v as i32).collect::<Vec<_>>(),
            want
        );
    }
}

// ---------------------------------------------------------------- DequantizeLinear

#[test]
fn dequantize_per_tensor_and_per_axis() {
    let y = run(
        "DequantizeLinear",
        21,
        &[],
        vec![t(&[5], vec![0u8, 3, 128, 255, 17]), s(0.0235f32), s(128u8)],
    )
    .unwrap();
    assert_f32(
        &y,
        &[
            -3.007999897003174,
            -2.9375,
            0.0,
            2.984499931335449,
            -2.6085000038146973,
        ],
    );
    let y = run(
        "DequantizeLinear",
        21,
        &[("axis", 0)],
        vec![
            t(&[2, 4], vec![0i8, 1, 2, 127, -128, -1, 5, 9]),
            t(&[2], vec![0.5f32, 2.0]),
            t(&[2], vec![1i8, -2]),
        ],
    )
    .unwrap();
    assert_f32(&y, &[-0.5, 0.0, 0.5, 63.0, -252.0, 2.0, 14.0, 22.0]);
    // int32 without a zero point, opset 10.
    let y = run(
        "DequantizeLinear",
        10,
        &[],
        vec![t(&[4], vec![i32::MIN, 5, 123456789, i32::MAX]), s(0.001f32)],
    )
    .unwrap();
    assert_f32(
        &y,
        &[-2147483.75, 0.005000000353902578, 123456.796875, 2147483.75],
    );
}

#[test]
fn dequantize_blocked_int4() {
    let x: Vec<i8> = vec![-8, -1, 0, 3, 7, 2, 1, 1, -5, 6, -3, 0];
    let y = run(
        "DequantizeLinear",
        21,
        &[("axis", 1), ("block_size", 3)],
        vec![
            ta(DataType::Int4, &[2, 6], x),
            t(&[2, 2], vec![0.5f32, 2.0, 1.5, 0.25]),
            ta(DataType::Int4, &[2, 2], vec![1i8, -1, 0, 3]),
        ],
    )
    .unwrap();
    assert_f32(
        &y,
        &[
            -4.5, -1.0, -0.5, 8.0, 16.0, 6.0, 1.5, 1.5, -7.5, 0.75, -1.5, -0.75,
        ],
    );
}

#[test]
fn dequantize_float8_to_half_and_output_dtype() {
    use onnxrun_core::half::{bf16, f16};
    let x = ta(
        DataType::Float8E5M2,
        &[6],
        vec![0x00u8, 0x3c, 0xbc, 0x7b, 0xfb, 0x01],
    );
    let y = run(
        "DequantizeLinear",
        21,
        &[],
        vec![x.clone(), s(f16::from_f32(0.5))],
    )
    .unwrap();
    assert_eq!(y.dtype(), DataType::Float16);
    let got: Vec<f32> = data::<f16>(&y).iter().map(|v| v.to_f32()).collect();
    assert_eq!(
        got,
        vec![0.0, 0.5, -0.5, 28672.0, -28672.0, 7.62939453125e-06]
    );
    // output_dtype (opset 23+) picks the type: bf16 from an f32 scale.
    let y = run(
        "DequantizeLinear",
        23,
        &[(ATTR_OUT, DataType::Bfloat16 as i64)],
        vec![x, s(0.5f32)],
    )
    .unwrap();
    let got: Vec<f32> = data::<bf16>(&y).iter().map(|v| v.to_f32()).collect();
    assert_eq!(
        got,
        vec![0.0, 0.5, -0.5, 28672.0, -28672.0, 7.62939453125e-06]
    );
    // float8e8m0 scales (opset 24+): 2^(code - 127); code 129 = 4.
    let y = run(
        "DequantizeLinear",
        25,
        &[(ATTR_OUT, DataType::Float as i64)],
        vec![
            t(&[3], vec![1u8, 2, 250]),
            ta(DataType::Float8E8M0, &[], vec![129u8]),
            s(2u8),
        ],
    )
    .unwrap();
    assert_f32(&y, &[-4.0, 0.0, 992.0]);
}

#[test]
fn dequantize_small_types() {
    // uint2 / int2 / float4 (spec formula).
    let y = run(
        "DequantizeLinear",
        25,
        &[],
        vec![
            ta(DataType::Uint2, &[4], vec![0u8, 1, 2, 3]),
            s(1.5f32),
            ta(DataType::Uint2, &[], vec![1u8]),
        ],
    )
    .unwrap();
    assert_f32(&y, &[-1.5, 0.0, 1.5, 3.0]);
    let y = run(
        "DequantizeLinear",
        25,
        &[],
        vec![ta(DataType::Int2, &[4], vec![-2i8, -1, 0, 1]), s(2f32)],
    )
    .unwrap();
    assert_f32(&y, &[-4.0, -2.0, 0.0, 2.0]);
    let y = run(
        "DequantizeLinear",
        23,
        &[],
        vec![
            ta(DataType::Float4E2M1, &[4], vec![0x1u8, 0x7, 0xf, 0x3]),
            s(2f32),
        ],
    )
    .unwrap();
    assert_f32(&y, &[1.0, 12.0, -12.0, 3.0]);
}

#[test]
fn dequantize_large_tensors_on_the_pool() {
    let n = 2 * 100_003;
    let x: Vec<u8> = (0..n).map(|i| (i * 31 % 256) as u8).collect();
    let sc: Vec<f32> = (0..2).map(|j| 0.01 + j as f32 * 0.5).collect();
    for threads in [1, 2] {
        let y = run_full(
            "DequantizeLinear",
            21,
            &[("axis", 0)],
            vec![
                t(&[2, 100_003], x.clone()),
                t(&[2], sc.clone()),
                t(&[2], vec![7u8, 200]),
            ],
            1,
            threads,
            false,
        )
        .unwrap()
        .remove(0);
        let want: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| (v as f32 - [7.0, 200.0][i / 100_003]) * sc[i / 100_003])
            .collect();
        assert_eq!(data::<f32>(&y), want);
    }
}

#[test]
fn quantize_dequantize_round_trip_blocked_f16() {
    use onnxrun_core::half::f16;
    // Blocked along the last axis with f16 data and scales: dequantizing the quantized
    // values is within half a step of the input.
    let x: Vec<f16> = seq(4 * 64, 13, 97, 48.0, 0.02)
        .into_iter()
        .map(f16::from_f32)
        .collect();
    let scales: Vec<f16> = (0..8)
        .map(|i| f16::from_f32(0.01 + 0.005 * i as f32))
        .collect();
    let q = run(
        "QuantizeLinear",
        21,
        &[
            ("axis", 1),
            ("block_size", 32),
            (ATTR_OUT, DataType::Int8 as i64),
        ],
        vec![t(&[4, 64], x.clone()), t(&[4, 2], scales.clone())],
    )
    .unwrap();
    let d = run(
        "DequantizeLinear",
        21,
        &[("axis", 1), ("block_size", 32)],
        vec![Some(q), t(&[4, 2], scales.clone())],
    )
    .unwrap();
    for (i, (a, b)) in data::<f16>(&d).iter().zip(&x).enumerate() {
        let step = scales[(i / 64) * 2 + (i % 64) / 32].to_f32();
        assert!(
            (a.to_f32() - b.to_f32()).abs() <= step * 0.5 + 1e-3,
            "element {i}: {a} vs {b}"
        );
    }
}

// ---------------------------------------------------------------- QLinearMatMul

#[test]
fn qlinear_matmul_wide_accumulation() {
    // K = 300 with zero points at the ends of the range: partial sums pass 2^24.
    let (m, k, n) = (3, 300, 4);
    let a: Vec<u8> = (0..m * k).map(|i| (i * 53 % 256) as u8).collect();
    let b: Vec<u8> = (0..k * n).map(|i| ((i * 91 + 7) % 256) as u8).collect();
    let go = |za: u8, zb: u8, sy: f32| {
        let y = run(
            "QLinearMatMul",
            10,
            &[],
            vec![
                t(&[m, k], a.clone()),
                s(0.02f32),
                s(za),
                t(&[k, n], b.clone()),
                s(0.015f32),
                s(zb),
                s(sy),
                s(120u8),
            ],
        )
        .unwrap();
        data::<u8>(&y)
    };
    assert_eq!(
        go(3, 250, 30.0),
        vec![76, 75, 74, 74, 76, 74, 74, 74, 75, 75, 73, 74]
    );
    assert_eq!(
        go(128, 128, 8.0),
        vec![122, 119, 120, 121, 122, 118, 118, 122, 121, 122, 117, 122]
    );
}

#[test]
fn qlinear_matmul_per_column_int8() {
    let a: Vec<i8> = (0..10)
        .map(|i| ((i * 29) % 256) as i32 - 128)
        .map(|v| v as i8)
        .collect();
    let b: Vec<i8> = (0..15)
        .map(|i| ((i * 61) % 256) as i32 - 128)
        .map(|v| v as i8)
        .collect();
    let y = run(
        "QLinearMatMul",
        21,
        &[],
        vec![
            t(&[2, 5], a),
            s(0.05f32),
            s(-3i8),
            t(&[5, 3], b),
            t(&[3], vec![0.01f32, 0.02, 0.04]),
            t(&[3], vec![1i8, 0, -2]),
            s(0.5f32),
            s(5i8),
        ],
    )
    .unwrap();
    assert_eq!(data::<i8>(&y), vec![20, -2, 5, -17, 39, 56]);
}

#[test]
fn qlinear_matmul_batched() {
    let a: Vec<u8> = (0..12).map(|i| (i * 17 % 256) as u8).collect();
    let b: Vec<u8> = (0..6).map(|i| (i * 71 % 256) as u8).collect();
    let y = run(
        "QLinearMatMul",
        21,
        &[],
        vec![
            t(&[2, 2, 3], a),
            s(0.1f32),
            s(100u8),
            t(&[3, 2], b),
            s(0.2f32),
            s(50u8),
            s(5f32),
            s(128u8),
        ],
    )
    .unwrap();
    assert_eq!(y.shape(), &[2, 2, 2]);
    assert_eq!(data::<u8>(&y), vec![123, 53, 127, 100, 131, 148, 136, 195]);
}

#[test]
fn qlinear_matmul_per_row_a_matches_reference() {
    // Per-row A scales / zero points ([M, 1]) against the f64 formula.
    let (m, k, n) = (4, 7, 5);
    let a: Vec<u8> = (0..m * k).map(|i| (i * 37 % 251) as u8).collect();
    let b: Vec<i8> = (0..k * n)
        .map(|i| ((i * 23 % 255) as i32 - 127) as i8)
        .collect();
    let sa = [0.01f32, 0.02, 0.03, 0.015];
    let za = [10u8, 128, 0, 255];
    let y = run(
        "QLinearMatMul",
        21,
        &[],
        vec![
            t(&[m, k], a.clone()),
            t(&[m, 1], sa.to_vec()),
            t(&[m, 1], za.to_vec()),
            t(&[k, n], b.clone()),
            s(0.04f32),
            s(-1i8),
            s(0.25f32),
            s(-20i8),
        ],
    )
    .unwrap();
    let mut want = vec![];
    for i in 0..m {
        for j in 0..n {
            let acc: i64 = (0..k)
                .map(|p| (a[i * k + p] as i64 - za[i] as i64) * (b[p * n + j] as i64 + 1))
                .sum();
            let mult = (sa[i] * 0.04f32) / 0.25f32;
            want.push(
                ((acc as f64 * mult as f64).round_ties_even() - 20.0).clamp(-128.0, 127.0) as i8,
            );
        }
    }
    assert_eq!(data::<i8>(&y), want);
}

#[test]
fn qlinear_matmul_long_k_batched_on_the_pool() {
    // K = 700 with zero points 0: partial sums pass 2^24, so K is cut into exact stretches.
    let (m, k, n) = (3, 700, 5);
    let a: Vec<u8> = (0..2 * m * k).map(|i| (255 - i * 7 % 40) as u8).collect();
    let b: Vec<u8> = (0..k * n).map(|i| (250 + i % 6) as u8).collect();
    let mult = (0.01f32 * 0.02f32) / 100f32;
    let mut want = vec![];
    for bi in 0..2 {
        for i in 0..m {
            for j in 0..n {
                let acc: i64 = (0..k)
                    .map(|p| a[(bi * m + i) * k + p] as i64 * b[p * n + j] as i64)
                    .sum();
                want.push(
                    ((acc as f64 * mult as f64).round_ties_even() - 100.0).clamp(-128.0, 127.0)
                        as i8,
                );
            }
        }
    }
    assert!(
        want.iter().any(|&v| v > -128 && v < 127),
        "the reference saturates everywhere"
    );
    for threads in [1, 2] {
        let y = run_full(
            "QLinearMatMul",
            21,
            &[],
            vec![
                t(&[2, m, k], a.clone()),
                s(0.01f32),
                s(0u8),
                t(&[k, n], b.clone()),
                s(0.02f32),
                s(0u8),
                s(100f32),
                s(-100i8),
            ],
            1,
            threads,
            false,
        )
        .unwrap()
        .remove(0);
        assert_eq!(y.shape(), &[2, m, n]);
        assert_eq!(data::<i8>(&y), want);
    }
}

#[test]
fn qlinear_matmul_float8() {
    // Opset 21 float8 operands: y = encode(a @ b * sa * sb / sy), here with b = identity.
    let e4 = DataType::Float8E4M3FN;
    let a = ta(e4, &[2, 2], vec![0x38u8, 0x40, 0x30, 0xb8]); // [[1, 2], [0.5, -1]]
    let b = ta(e4, &[2, 2], vec![0x38u8, 0x00, 0x00, 0x38]);
    let z = || ta(e4, &[], vec![0u8]);
    let y = run(
        "QLinearMatMul",
        21,
        &[],
        vec![a, s(1f32), z(), b, s(1f32), z(), s(0.5f32), z()],
    )
    .unwrap();
    assert_eq!(y.dtype(), e4);
    assert_eq!(data::<u8>(&y), vec![0x40, 0x48, 0x38, 0xc0]); // [[2, 4], [1, -2]]
}

// ---------------------------------------------------------------- DynamicQuantizeLinear

#[test]
fn dynamic_quantize_linear() {
    let x: Vec<f32> = seq(20, 37, 101, 50.0, 0.61)
        .into_iter()
        .map(|v| v - 3.0)
        .collect();
    let out = run_full(
        "DynamicQuantizeLinear",
        11,
        &[],
        vec![t(&[20], x)],
        3,
        1,
        false,
    )
    .unwrap();
    assert_eq!(
        data::<u8>(&out[0]),
        vec![
            0, 97, 194, 26, 123, 220, 52, 149, 247, 78, 176, 8, 105, 202, 34, 131, 228, 60, 157,
            255
        ]
    );
    assert_eq!(data::<f32>(&out[1]), vec![0.232039213180542]);
    assert_eq!(data::<u8>(&out[2]), vec![144]);
    // All positive: the range starts at 0, zero point 0.
    let x: Vec<f32> = seq(7, 37, 101, 50.0, 0.2)
        .into_iter()
        .map(|v| v.abs() + 1.0)
        .collect();
    let out = run_full(
        "DynamicQuantizeLinear",
        11,
        &[],
        vec![t(&[7], x)],
        3,
        1,
        false,
    )
    .unwrap();
    assert_eq!(data::<u8>(&out[0]), vec![255, 83, 134, 209, 37, 181, 162]);
    assert_eq!(data::<f32>(&out[1]), vec![0.04313725605607033]);
    assert_eq!(data::<u8>(&out[2]), vec![0]);
}

#[test]
fn dynamic_quantize_large_on_the_pool() {
    let x = seq(300_007, 7919, 100_003, 40_000.0, 0.001);
    let one = run_full(
        "DynamicQuantizeLinear",
        11,
        &[],
        vec![t(&[300_007], x.clone())],
        3,
        1,
        false,
    )
    .unwrap();
    let two = run_full(
        "DynamicQuantizeLinear",
        11,
        &[],
        vec![t(&[300_007], x.clone())],
        3,
        2,
        false,
    )
    .unwrap();
    let (lo, hi) = x
        .iter()
        .fold((0f32, 0f32), |(l, h), &v| (l.min(v), h.max(v)));
    let scale = (hi - lo) / 255.0;
    let zp = (-lo / scale).clamp(0.0, 255.0).round_ties_even();
    assert_eq!(data::<f32>(&one[1]), vec![scale]);
    assert_eq!(data::<u8>(&one[2]), vec![zp as u8]);
    let want: Vec<u8> = ref_quant(&x, |_| scale, |_| zp, 0.0, 255.0)
        .into_iter()
        .map(|v| v as u8)
        .collect();
    assert_eq!(data::<u8>(&one[0]), want);
    assert_eq!(data::<u8>(&two[0]), want);
}

// ---------------------------------------------------------------- bad input

fn code(r: onnxrun_core::Result<impl std::fmt::Debug>) -> (ErrorCode, String) {
    let e = r.expect_err("expected an error");
    (e.code, e.message)
}

#[test]
fn invalid_graphs_are_rejected_at_creation() {
    let x = t(&[2, 3], vec![0f32; 6]);
    let typed = |attrs: &[(&str, i64)], inputs: Vec<Option<Tensor>>| {
        code(run_full("QuantizeLinear", 21, attrs, inputs, 1, 1, true))
    };
    // Axis out of range for a per-axis scale.
    let (c, m) = typed(&[("axis", 2)], vec![x.clone(), t(&[3], vec![1f32; 3])]);
    assert_eq!(c, ErrorCode::InvalidGraph, "{m}");
    assert!(
        m.contains("q_QuantizeLinear") && m.contains("axis 2"),
        "{m}"
    );
    // block_size with a 1-D scale.
    let (c, m) = typed(
        &[("axis", 1), ("block_size", 2)],
        vec![x.clone(), t(&[2], vec![1f32; 2])],
    );
    assert_eq!(c, ErrorCode::InvalidGraph, "{m}");
    // A 2-D scale without block_size.
    let (c, _) = typed(&[], vec![x.clone(), t(&[2, 3], vec![1f32; 6])]);
    assert_eq!(c, ErrorCode::InvalidGraph);
    // Zero point type differs from output_dtype.
    let (c, m) = typed(
        &[(ATTR_OUT, DataType::Int8 as i64)],
        vec![x.clone(), s(1f32), s(0u8)],
    );
    assert_eq!(c, ErrorCode::InvalidGraph, "{m}");
    assert!(m.contains("output_dtype"), "{m}");
    // Negative block size, unknown output type, bad precision (no declared types needed).
    let (c, _) = code(run(
        "QuantizeLinear",
        21,
        &[("block_size", -1)],
        vec![x.clone(), s(1f32)],
    ));
    assert_eq!(c, ErrorCode::InvalidGraph);
    let (c, _) = code(run(
        "QuantizeLinear",
        21,
        &[(ATTR_OUT, DataType::Float as i64)],
        vec![x.clone(), s(1f32)],
    ));
    assert_eq!(c, ErrorCode::InvalidGraph);
    let (c, _) = code(run(
        "QuantizeLinear",
        25,
        &[("precision", DataType::Int8 as i64)],
        vec![x.clone(), s(1f32)],
    ));
    assert_eq!(c, ErrorCode::InvalidGraph);
    // DequantizeLinear: zero point type differs from x; output_dtype not a float type.
    let (c, _) = code(run_full(
        "DequantizeLinear",
        21,
        &[],
        vec![t(&[2], vec![1u8, 2]), s(1f32), s(0i8)],
        1,
        1,
        true,
    ));
    assert_eq!(c, ErrorCode::InvalidGraph);
    let (c, _) = code(run(
        "DequantizeLinear",
        23,
        &[(ATTR_OUT, DataType::Int32 as i64)],
        vec![t(&[2], vec![1u8, 2]), s(1f32)],
    ));
    assert_eq!(c, ErrorCode::InvalidGraph);
    // An axis that only matters for per-axis scales is not checked for a scalar scale.
    let y = run_full(
        "QuantizeLinear",
        21,
        &[("axis", 1)],
        vec![t(&[3], vec![1f32, 2.0, 3.0]), s(1f32)],
        1,
        1,
        true,
    )
    .unwrap();
    assert_eq!(data::<u8>(&y[0]), vec![1, 2, 3]);
}

#[test]
fn bad_inputs_are_errors_at_run() {
    let x = t(&[2, 3], vec![0f32; 6]);
    let arg = |r: onnxrun_core::Result<Tensor>| {
        let (c, m) = code(r);
        assert_eq!(c, ErrorCode::InvalidArgument, "{m}");
        m
    };
    // Per-axis scale of the wrong length; axis out of range with a per-axis scale.
    let m = arg(run(
        "QuantizeLinear",
        21,
        &[],
        vec![x.clone(), t(&[2], vec![1f32; 2])],
    ));
    assert!(m.contains("q_QuantizeLinear") && m.contains("[2]"), "{m}");
    arg(run(
        "QuantizeLinear",
        21,
        &[("axis", 3)],
        vec![x.clone(), t(&[3], vec![1f32; 3])],
    ));
    // Blocked scale of the wrong shape.
    arg(run(
        "QuantizeLinear",
        21,
        &[("axis", 1), ("block_size", 2)],
        vec![x.clone(), t(&[2, 1], vec![1f32; 2])],
    ));
    arg(run(
        "DequantizeLinear",
        21,
        &[("axis", 0), ("block_size", 1)],
        vec![t(&[2, 3], vec![0u8; 6]), t(&[1, 3], vec![1f32; 3])],
    ));
    // Zero point shape differs from the scale's.
    arg(run(
        "QuantizeLinear",
        21,
        &[],
        vec![x.clone(), t(&[3], vec![1f32; 3]), s(0u8)],
    ));
    arg(run(
        "DequantizeLinear",
        21,
        &[],
        vec![
            t(&[2, 3], vec![0u8; 6]),
            t(&[3], vec![1f32; 3]),
            t(&[2], vec![0u8; 2]),
        ],
    ));
    // Zero point of another type than output_dtype / x (types not declared up front).
    arg(run(
        "QuantizeLinear",
        21,
        &[(ATTR_OUT, DataType::Int8 as i64)],
        vec![x.clone(), s(1f32), s(0u8)],
    ));
    arg(run(
        "DequantizeLinear",
        21,
        &[],
        vec![t(&[2], vec![1u8, 2]), s(1f32), s(0i8)],
    ));
    // Unsupported element types.
    arg(run(
        "QuantizeLinear",
        21,
        &[],
        vec![t(&[2], vec![1i64, 2]), s(1f32)],
    ));
    arg(run(
        "QuantizeLinear",
        21,
        &[],
        vec![x.clone(), s(1f32), s(0i32)],
    ));
    arg(run(
        "DequantizeLinear",
        21,
        &[],
        vec![t(&[2], vec![1f32, 2.0]), s(1f32)],
    ));
    // A per-axis scale on scalar data.
    arg(run(
        "QuantizeLinear",
        21,
        &[],
        vec![s(1f32), t(&[2], vec![1f32; 2])],
    ));
    // QLinearMatMul: inner dimensions, per-row scale that does not fit, mixed scale types.
    let q = |a: Option<Tensor>, sa: Option<Tensor>, b: Option<Tensor>, sb: Option<Tensor>| {
        run(
            "QLinearMatMul",
            21,
            &[],
            vec![a, sa, s(0u8), b, sb, s(0u8), s(1f32), s(0u8)],
        )
    };
    arg(q(
        t(&[2, 3], vec![0u8; 6]),
        s(1f32),
        t(&[2, 2], vec![0u8; 4]),
        s(1f32),
    ));
    arg(run(
        "QLinearMatMul",
        21,
        &[],
        vec![
            t(&[2, 3], vec![0u8; 6]),
            t(&[3], vec![1f32; 3]),
            t(&[3], vec![0u8; 3]),
            t(&[3, 2], vec![0u8; 6]),
            s(1f32),
            s(0u8),
            s(1f32),
            s(0u8),
        ],
    ));
    arg(q(
        t(&[2, 3], vec![0u8; 6]),
        s(1f32),
        t(&[3, 2], vec![0u8; 6]),
        s(onnxrun_core::half::f16::ONE),
    ));
    arg(q(
        t(&[2, 3], vec![0f32; 6]),
        s(1f32),
        t(&[3, 2], vec![0u8; 6]),
        s(1f32),
    ));
    // DynamicQuantizeLinear takes f32 only.
    let (c, _) = code(run_full(
        "DynamicQuantizeLinear",
        11,
        &[],
        vec![t(&[2], vec![1u8, 2])],
        3,
        1,
        false,
    ));
    assert_eq!(c, ErrorCode::InvalidArgument);
}

#[test]
fn empty_tensors() {
    let y = run(
        "QuantizeLinear",
        21,
        &[],
        vec![
            t(&[0, 3], Vec::<f32>::new()),
            t(&[3], vec![1f32; 3]),
            t(&[3], vec![0i8; 3]),
        ],
    )
    .unwrap();
    assert_eq!((y.shape(), y.dtype()), (&[0usize, 3][..], DataType::Int8));
    let y = run(
        "DequantizeLinear",
        21,
        &[],
        vec![t(&[0], Vec::<u8>::new()), s(1f32)],
    )
    .unwrap();
    assert_eq!(y.shape(), &[0]);
    let out = run_full(
        "DynamicQuantizeLinear",
        11,
        &[],
        vec![t(&[0], Vec::<f32>::new())],
        3,
        1,
        false,
    )
    .unwrap();
    assert_eq!(out[0].shape(), &[0]);
}
