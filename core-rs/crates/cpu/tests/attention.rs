//! Attention (opsets 23-25) and RotaryEmbedding (opset 23). Expected values come from
//! onnxruntime 1.32 (CPU) or, where it has no support (opset 25 windows, the half-type
//! rounding, external-cache causal alignment), the ONNX reference implementation; inputs
//! are `gen(shape, seed)`, the same formula as the generating script. A naive f64
//! attention checks larger shapes (blocking, grouped heads, 3-D layout, threads).

mod math_support;

use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, ErrorCode, Tensor, Value};

/// Runs one node; `None` inputs are omitted, outputs are all `n_outputs` (named).
fn run(
    op: &str,
    opset: i64,
    attrs: &[(&str, Attribute)],
    inputs: Vec<Option<Tensor>>,
    n_outputs: usize,
    threads: usize,
) -> onnxrun_core::Result<Vec<Value>> {
    let inputs = inputs.into_iter().map(|t| t.map(Value::from)).collect();
    math_support::run_node(op, opset, attrs.to_vec(), inputs, n_outputs, threads)
}

/// The generating script's inputs: ((i*7 + seed*13) mod 17) / 8 - 1.
fn gen_vals(n: usize, seed: usize) -> Vec<f64> {
    (0..n).map(|i| ((i * 7 + seed * 13) % 17) as f64 / 8.0 - 1.0).collect()
}
fn gen(shape: &[usize], seed: usize) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_vec(shape.to_vec(), gen_vals(n, seed).into_iter().map(|v| v as f32).collect::<Vec<f32>>()).unwrap()
}
fn f32s(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape.to_vec(), v.to_vec()).unwrap()
}
fn out_f32(v: &Value) -> (Vec<usize>, Vec<f32>) {
    let t = v.as_tensor().unwrap();
    let vals = match t.dtype() {
        onnxrun_core::DataType::Float => t.data::<f32>().unwrap().to_vec(),
        _ => t.to_f64_vec().unwrap().into_iter().map(|v| v as f32).collect(),
    };
    (t.shape().to_vec(), vals)
}
fn assert_close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "length");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol * (1.0 + b.abs()), "element {i}: got {a}, want {b}");
    }
}
fn int(v: i64) -> Attribute {
    Attribute::Int(v)
}
fn float(v: f32) -> Attribute {
    Attribute::Float(v)
}
fn code(r: onnxrun_core::Result<Vec<Value>>) -> ErrorCode {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => {
            assert!(e.message.contains("Attention") || e.message.contains("RotaryEmbedding"), "message names the node: {}", e.message);
            e.code
        }
    }
}

#[rustfmt::skip]
const GQA_Y: [f32; 48] = [
    0.36175656, -0.15489471, -0.013243452, -0.5298947, 0.28664032, 0.17864868, -0.08835971, -0.19635135,
    0.49975675, -0.08148785, 0.12475679, -0.45648783, 0.102463454, 0.07558802, -0.27253652, -0.29941195,
    0.33373922, 0.14623922, -0.04126077, -0.22876076, 0.5284997, -0.105555646, 0.15349972, -0.48055562,
    -0.20326185, -0.49008042, 0.38491958, 0.29673815, -0.27034605, -0.091338195, 0.09147885, -0.17095076,
    0.074331395, -0.5607579, -0.007614689, 0.14459619, -0.19939263, -0.4944333, 0.38056672, 0.30060738,
    -0.25508082, -0.10830356, 0.11190039, -0.1811648, 0.0871373, -0.5734624, 0.002233155, 0.13782808,
];
#[rustfmt::skip]
const GQA_PRESENT_K: [f32; 32] = [
    -0.875, 0.0, 0.875, -0.375, 0.5, -0.75, 0.125, 1.0,
    0.125, 1.0, -0.25, 0.625, -0.625, 0.25, -1.0, -0.125,
    -0.25, 0.625, -0.625, 0.25, -1.0, -0.125, 0.75, -0.5,
    0.75, -0.5, 0.375, -0.875, 0.0, 0.875, -0.375, 0.5,
];
#[rustfmt::skip]
const GQA_PRESENT_V: [f32; 32] = [
    0.75, -0.5, 0.375, -0.875, 0.0, 0.875, -0.375, 0.5,
    -0.375, 0.5, -0.75, 0.125, 1.0, -0.25, 0.625, -0.625,
    -0.75, 0.125, 1.0, -0.25, 0.625, -0.625, 0.25, -1.0,
    0.25, -1.0, -0.125, 0.75, -0.5, 0.375, -0.875, 0.0,
];
#[rustfmt::skip]
const SOFTCAP_Y: [f32; 36] = [
    -0.6816429, 0.008721404, 0.8352777, -0.19407454, 0.48264864, -0.5690746, 0.047321208, -0.3920856,
    0.023213644, 0.6040015, -0.39974454, 0.22900152, 0.04226473, -0.07084799, -0.00018271059, 0.5466151,
    -0.39768535, 0.17161512, -0.52406174, -0.09772976, 0.6562168, -0.45296574, 0.22670576, -0.82796574,
    -0.03776776, 0.7592191, -0.2962584, 0.33632365, -0.6270827, -0.03867633, -0.039518587, 0.67006576,
    -0.2296975, 0.3220309, -0.6292118, -0.052969098,
];
#[rustfmt::skip]
const SOFTCAP_QK: [f32; 48] = [
    1.623737, -0.2789686, 0.9859379, -1.6169497, -0.032523632, 2.0, 0.0045633316, 0.94943494,
    -0.98106354, 0.33195832, -2.3629682, 0.12617704, 1.689096, -0.44493842, 0.8830503, -1.800565,
    0.026672438, 2.2141519, -0.64021444, 0.9946965, -1.2406251, 0.2265293, -2.0046875, 0.23786551,
    2.126177, -1.050565, 0.8830503, -1.1949384, -0.112968296, 2.5045633, -0.5140621, 0.9404477,
    -1.4180417, 0.5, -1.5289686, -0.39021447, 1.6097856, -0.8669497, 0.9859379, -1.0289686,
    0.46415192, 2.3050616, -0.8095523, 1.1097856, -1.4733275, 0.439096, -2.0562236, -0.459558,
];
#[rustfmt::skip]
const RAW_QK: [f32; 6] = [
    -0.1875, -0.328125, 0.859375, 0.421875, -0.1875, -0.265625,
];
#[rustfmt::skip]
const RAW_Y: [f32; 8] = [
    0.007593874, 0.44836724, -0.36740613, 0.07336725, -0.099578775, 0.20439719, -0.4745788, -0.17060281,
];
#[rustfmt::skip]
const PROBS_QK: [f32; 6] = [
    0.23306012, 0.20434193, 0.56259793, 0.4817867, 0.2687172, 0.24949613,
];
#[rustfmt::skip]
const F16_Y: [f32; 48] = [
    0.0, 0.875, -0.375, 0.5, -0.75, 0.125, 1.0, -0.25,
    0.38793945, -0.05569458, 0.012786865, -0.43066406, -0.3623047, 0.5126953, 0.06933594, 0.13781738,
    -0.12023926, 0.27661133, 0.13830566, -0.09838867, -0.23669434, 0.004760742, 0.40161133, 0.2631836,
    1.0, -0.25, 0.625, -0.625, 0.25, -1.0, -0.125, 0.75,
    0.4711914, -0.029754639, 0.09643555, -0.40478516, 0.47021484, -0.77978516, 0.095214844, 0.22143555,
    0.018692017, 0.27563477, -0.35620117, -0.099243164, 0.4951172, -0.4741211, 0.12023926, -0.23132324,
];
#[rustfmt::skip]
const F64_Y: [f32; 48] = [
    0.0, 0.875, -0.375, 0.5, -0.75, 0.125, 1.0, -0.25,
    0.38781092, -0.055746164, 0.012810903, -0.43074617, -0.36218908, 0.5128109, 0.06925383, 0.1378109,
    -0.12029917, 0.2766557, 0.13831677, -0.098344296, -0.23668323, 0.0047008325, 0.4016557, 0.26331675,
    1.0, -0.25, 0.625, -0.625, 0.25, -1.0, -0.125, 0.75,
    0.47111362, -0.029630676, 0.09611362, -0.40463066, 0.47036934, -0.77963066, 0.095369324, 0.22111362,
    0.018860787, 0.27570575, -0.3561392, -0.09929423, 0.49515113, -0.47429425, 0.12015114, -0.23113921,
];
#[rustfmt::skip]
const NONPAD_Y: [f32; 32] = [
    0.27923742, 0.008898072, -0.095762596, -0.36610192, -0.022860736, 0.05788753, 0.10699641, -0.31711245,
    -0.542328, -0.37463924, 0.5003607, -0.042328026, -0.5766712, -0.04401256, 0.14482048, -0.07667118,
    0.10406544, 0.52392167, -0.27093458, 0.14892165, -0.10111089, 0.17046736, -0.4761109, -0.20453265,
    0.15420075, -0.020548787, 0.15939477, -0.39554876, -0.11494088, 0.21843621, 0.15203732, -0.1565638,
];
#[rustfmt::skip]
const WINDOW_Y: [f32; 10] = [
    -0.12955162, -0.15973894, 0.08048592, -0.3086045, 0.602747, -0.11624351, 0.051507518, 0.41612613,
    -0.056287467, 0.81871253,
];
#[rustfmt::skip]
const ROT3_Y: [f32; 72] = [
    0.8503863, -0.29890323, -0.53367376, -0.78831613, 0.0, 0.875, -0.48704416, 0.39167973,
    -0.30004284, 0.69864106, 1.0, -0.25, 0.84813005, -0.24884813, -0.49871656, -0.90209854,
    -0.125, 0.75, -0.6185759, 0.08938068, -0.64022774, 0.59643394, 0.875, -0.375,
    0.07922211, -0.8978997, -0.24995908, 0.97629166, -0.25, 0.625, -0.4286327, 0.5190366,
    -0.88472354, -0.482586, 0.75, -0.5, 0.26298374, -0.91492605, -0.59643394, 0.64022774,
    -0.375, 0.5, -0.7285639, 0.21753076, 0.90209854, 0.49871656, 0.625, -0.625,
    0.12337469, -1.0233663, -0.6026902, 0.46356177, -0.5, 0.375, -0.868173, 0.10909039,
    0.8958423, 0.32205063, 0.5, -0.75, -0.6874189, 0.7369398, -0.0037065595, 0.67313534,
    -0.625, 0.25, -0.54505396, -0.8476681, 0.5147444, -0.73995817, 0.375, -0.875,
];
#[rustfmt::skip]
const ROT4_Y: [f32; 16] = [
    -0.60894644, 0.58895487, -0.28689587, 0.32597113, -1.1714056, -0.24481604, -0.4362443, -0.45353073,
    0.2743833, -0.9772634, -0.25561455, 0.7590826, 0.42848992, 0.5153817, -0.72077835, -0.0025879294,
];
#[rustfmt::skip]
const ROT3_COS: [f32; 12] = [
    0.9689124, 0.5403023, 0.9921977, 0.73168886, 0.87758255, 0.9305076, 0.6409969, 1.0,
    0.6409969, 0.9305076, 0.87758255, 0.73168886,
];
#[rustfmt::skip]
const ROT3_SIN: [f32; 12] = [
    0.24740396, -0.841471, -0.12467473, 0.6816388, -0.47942555, 0.36627254, -0.7675435, 0.0,
    0.7675435, -0.36627254, 0.47942555, -0.6816388,
];
#[rustfmt::skip]
const ROT4_COS: [f32; 4] = [
    0.73168886, 0.9921977, 0.5403023, 0.9689124,
];
#[rustfmt::skip]
const ROT4_SIN: [f32; 4] = [
    -0.6816388, 0.12467473, 0.841471, -0.24740396,
];

#[test]
fn gqa_causal_bool_mask_with_past() {
    let mut mask = vec![true; 12];
    mask[1] = false;
    let inputs = vec![
        Some(gen(&[1, 4, 3, 4], 1)),
        Some(gen(&[1, 2, 2, 4], 2)),
        Some(gen(&[1, 2, 2, 4], 3)),
        Some(Tensor::from_vec(vec![3, 4], mask).unwrap()),
        Some(gen(&[1, 2, 2, 4], 4)),
        Some(gen(&[1, 2, 2, 4], 5)),
    ];
    let out = run("Attention", 23, &[("is_causal", int(1))], inputs, 3, 1).unwrap();
    let (s, y) = out_f32(&out[0]);
    assert_eq!(s, [1, 4, 3, 4]);
    assert_close(&y, &GQA_Y, 1e-5);
    let (s, pk) = out_f32(&out[1]);
    assert_eq!(s, [1, 2, 4, 4]);
    assert_close(&pk, &GQA_PRESENT_K, 0.0);
    assert_close(&out_f32(&out[2]).1, &GQA_PRESENT_V, 0.0);
}

#[test]
fn three_d_softcap_float_mask_and_biased_scores() {
    let mask: Vec<f32> = gen_vals(12, 9).into_iter().map(|v| (v * 2.0) as f32).collect();
    let attrs = [
        ("q_num_heads", int(2)),
        ("kv_num_heads", int(2)),
        ("softcap", float(1.5)),
        ("qk_matmul_output_mode", int(2)),
        ("scale", float(0.3)),
    ];
    let k = gen(&[2, 4, 8], 7);
    let inputs = vec![Some(gen(&[2, 3, 8], 6)), Some(k.clone()), Some(gen(&[2, 4, 6], 8)), Some(f32s(&[3, 4], &mask))];
    let out = run("Attention", 23, &attrs, inputs, 4, 1).unwrap();
    let (s, y) = out_f32(&out[0]);
    assert_eq!(s, [2, 3, 6]);
    assert_close(&y, &SOFTCAP_Y, 1e-5);
    let (s, qk) = out_f32(&out[3]);
    assert_eq!(s, [2, 2, 3, 4]);
    assert_close(&qk, &SOFTCAP_QK, 1e-5);
    // Without a past, present_key is K as [batch, heads, seq, head].
    let (s, pk) = out_f32(&out[1]);
    assert_eq!(s, [2, 2, 4, 4]);
    let kd = k.data::<f32>().unwrap();
    for b in 0..2 {
        for h in 0..2 {
            for si in 0..4 {
                for d in 0..4 {
                    assert_eq!(pk[((b * 2 + h) * 4 + si) * 4 + d], kd[(b * 4 + si) * 8 + h * 4 + d]);
                }
            }
        }
    }
    assert_eq!(out_f32(&out[2]).0, [2, 2, 4, 3]);
}

#[test]
fn qk_output_raw_is_before_softcap_and_probs_after_softmax() {
    let inputs = || vec![Some(gen(&[1, 1, 2, 4], 10)), Some(gen(&[1, 1, 3, 4], 11)), Some(gen(&[1, 1, 3, 4], 12))];
    let out = run("Attention", 23, &[("softcap", float(1.0)), ("qk_matmul_output_mode", int(0))], inputs(), 4, 1).unwrap();
    assert_close(&out_f32(&out[3]).1, &RAW_QK, 1e-6);
    assert_close(&out_f32(&out[0]).1, &RAW_Y, 1e-5);
    let out = run("Attention", 23, &[("softcap", float(1.0)), ("qk_matmul_output_mode", int(3))], inputs(), 4, 1).unwrap();
    let (_, p) = out_f32(&out[3]);
    assert_close(&p, &PROBS_QK, 1e-5);
    assert!((p[0] + p[1] + p[2] - 1.0).abs() < 1e-6);
}

#[test]
fn float16_rounds_like_the_definition_and_double_matches() {
    let half = |shape: &[usize], seed| {
        let n = shape.iter().product();
        Tensor::from_vec(shape.to_vec(), gen_vals(n, seed).into_iter().map(f16::from_f64).collect::<Vec<f16>>()).unwrap()
    };
    let out = run(
        "Attention",
        23,
        &[("is_causal", int(1))],
        vec![Some(half(&[1, 2, 3, 8], 13)), Some(half(&[1, 2, 5, 8], 14)), Some(half(&[1, 2, 5, 8], 15))],
        1,
        1,
    )
    .unwrap();
    let t = out[0].as_tensor().unwrap();
    assert_eq!(t.dtype(), onnxrun_core::DataType::Float16);
    // Bit for bit: the reference rounds to float16 after each step, and so do we.
    assert_close(&out_f32(&out[0]).1, &F16_Y, 0.0);

    let double = |shape: &[usize], seed| {
        let n = shape.iter().product();
        Tensor::from_vec(shape.to_vec(), gen_vals(n, seed)).unwrap()
    };
    let out = run(
        "Attention",
        23,
        &[("is_causal", int(1))],
        vec![Some(double(&[1, 2, 3, 8], 13)), Some(double(&[1, 2, 5, 8], 14)), Some(double(&[1, 2, 5, 8], 15))],
        1,
        1,
    )
    .unwrap();
    assert_eq!(out[0].as_tensor().unwrap().dtype(), onnxrun_core::DataType::Double);
    assert_close(&out_f32(&out[0]).1, &F64_Y, 1e-6);
}

#[test]
fn external_cache_causal_is_bottom_right_aligned() {
    let inputs = vec![
        Some(gen(&[2, 2, 2, 4], 16)),
        Some(gen(&[2, 2, 5, 4], 17)),
        Some(gen(&[2, 2, 5, 4], 18)),
        None,
        None,
        None,
        Some(Tensor::from_vec(vec![2], vec![3i64, 5]).unwrap()),
    ];
    let out = run("Attention", 24, &[("is_causal", int(1))], inputs, 1, 1).unwrap();
    assert_close(&out_f32(&out[0]).1, &NONPAD_Y, 1e-5);
}

#[test]
fn sliding_window_opset_25() {
    let inputs = vec![Some(gen(&[1, 1, 5, 2], 19)), Some(gen(&[1, 1, 5, 2], 20)), Some(gen(&[1, 1, 5, 2], 21))];
    let out = run("Attention", 25, &[("left_window_size", int(1)), ("right_window_size", int(1))], inputs, 1, 1).unwrap();
    assert_close(&out_f32(&out[0]).1, &WINDOW_Y, 1e-5);
}

#[test]
fn fully_masked_rows_are_zero_not_nan() {
    // Row 0 may attend nothing; row 1 attends keys 0 and 1.
    let mask = Tensor::from_vec(vec![2, 3], vec![false, false, false, true, true, false]).unwrap();
    let v = gen(&[1, 1, 3, 4], 3);
    let inputs = vec![Some(gen(&[1, 1, 2, 4], 1)), Some(gen(&[1, 1, 3, 4], 2)), Some(v.clone()), Some(mask)];
    let out = run("Attention", 23, &[("qk_matmul_output_mode", int(3))], inputs, 4, 1).unwrap();
    let (_, y) = out_f32(&out[0]);
    let (_, p) = out_f32(&out[3]);
    assert_eq!(&y[..4], &[0.0; 4]);
    assert_eq!(&p[..3], &[0.0; 3]);
    assert_eq!(p[5], 0.0);
    assert!((p[3] + p[4] - 1.0).abs() < 1e-6);
    let vd = v.data::<f32>().unwrap();
    for d in 0..4 {
        assert!((y[4 + d] - (p[3] * vd[d] + p[4] * vd[4 + d])).abs() < 1e-6);
    }

    // External cache with fewer valid keys than queries: the leading rows see no key.
    let inputs = vec![
        Some(gen(&[1, 1, 3, 4], 1)),
        Some(gen(&[1, 1, 3, 4], 2)),
        Some(v.clone()),
        None,
        None,
        None,
        Some(Tensor::from_vec(vec![1], vec![1i64]).unwrap()),
    ];
    let out = run("Attention", 24, &[("is_causal", int(1))], inputs, 1, 1).unwrap();
    let (_, y) = out_f32(&out[0]);
    assert_eq!(&y[..8], &[0.0; 8]);
    assert_eq!(&y[8..], &vd[..4]);
}

/// Deterministic values in [-1, 1).
fn rand_vec(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

struct Case {
    b: usize,
    hq: usize,
    hkv: usize,
    sq: usize,
    past: usize,
    new: usize,
    d: usize,
    dv: usize,
}

/// Attention in f64 over 4-D Q [b,hq,sq,d], K [b,hkv,t,d], V [b,hkv,t,dv], causal with the
/// past as offset, and a bool mask [b, sq, mask_len] (keys past mask_len masked).
fn naive(c: &Case, q: &[f32], k: &[f32], v: &[f32], mask: &[bool], mask_len: usize, scale: f64) -> Vec<f32> {
    let t = c.past + c.new;
    let mut y = vec![0f32; c.b * c.hq * c.sq * c.dv];
    for b in 0..c.b {
        for h in 0..c.hq {
            let kh = h / (c.hq / c.hkv);
            for i in 0..c.sq {
                let allowed = |j: usize| j <= i + c.past && j < mask_len && mask[(b * c.sq + i) * mask_len + j];
                let s: Vec<f64> = (0..t)
                    .map(|j| {
                        let dot: f64 = (0..c.d)
                            .map(|x| q[((b * c.hq + h) * c.sq + i) * c.d + x] as f64 * k[((b * c.hkv + kh) * t + j) * c.d + x] as f64)
                            .sum();
                        if allowed(j) {
                            dot * scale
                        } else {
                            f64::NEG_INFINITY
                        }
                    })
                    .collect();
                let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                if m == f64::NEG_INFINITY {
                    continue;
                }
                let e: Vec<f64> = s.iter().map(|v| (v - m).exp()).collect();
                let sum: f64 = e.iter().sum();
                for x in 0..c.dv {
                    let acc: f64 = (0..t).map(|j| e[j] / sum * v[((b * c.hkv + kh) * t + j) * c.dv + x] as f64).sum();
                    y[((b * c.hq + h) * c.sq + i) * c.dv + x] = acc as f32;
                }
            }
        }
    }
    y
}

/// [b, h, s, w] → [b, s, h*w].
fn to_3d(x: &[f32], b: usize, h: usize, s: usize, w: usize) -> Vec<f32> {
    let mut o = vec![0f32; x.len()];
    for bi in 0..b {
        for hi in 0..h {
            for si in 0..s {
                for wi in 0..w {
                    o[(bi * s + si) * h * w + hi * w + wi] = x[((bi * h + hi) * s + si) * w + wi];
                }
            }
        }
    }
    o
}

#[test]
fn larger_shapes_match_a_naive_reference_on_any_thread_count() {
    let c = Case { b: 2, hq: 8, hkv: 2, sq: 70, past: 61, new: 70, d: 16, dv: 24 };
    let t = c.past + c.new;
    let q = rand_vec(c.b * c.hq * c.sq * c.d, 1);
    let k_new = rand_vec(c.b * c.hkv * c.new * c.d, 2);
    let v_new = rand_vec(c.b * c.hkv * c.new * c.dv, 3);
    let pk = rand_vec(c.b * c.hkv * c.past * c.d, 4);
    let pv = rand_vec(c.b * c.hkv * c.past * c.dv, 5);
    // Mask [b, 1, sq, t - 9]: the last 9 keys padded out, plus a pseudo-random pattern.
    let mask_len = t - 9;
    let mask: Vec<bool> = rand_vec(c.b * c.sq * mask_len, 6).into_iter().map(|v| v > -0.6).collect();
    let cat = |past: &[f32], new: &[f32], w: usize| -> Vec<f32> {
        let mut o = Vec::new();
        for bh in 0..c.b * c.hkv {
            o.extend_from_slice(&past[bh * c.past * w..(bh + 1) * c.past * w]);
            o.extend_from_slice(&new[bh * c.new * w..(bh + 1) * c.new * w]);
        }
        o
    };
    let (k_all, v_all) = (cat(&pk, &k_new, c.d), cat(&pv, &v_new, c.dv));
    let scale = 0.2;
    let want = naive(&c, &q, &k_all, &v_all, &mask, mask_len, scale);
    let mask_t = || Some(Tensor::from_vec(vec![c.b, 1, c.sq, mask_len], mask.clone()).unwrap());
    let past = || (Some(f32s(&[c.b, c.hkv, c.past, c.d], &pk)), Some(f32s(&[c.b, c.hkv, c.past, c.dv], &pv)));
    for threads in [1, 3] {
        // 4-D.
        let (a, b) = past();
        let inputs = vec![
            Some(f32s(&[c.b, c.hq, c.sq, c.d], &q)),
            Some(f32s(&[c.b, c.hkv, c.new, c.d], &k_new)),
            Some(f32s(&[c.b, c.hkv, c.new, c.dv], &v_new)),
            mask_t(),
            a,
            b,
        ];
        let out = run("Attention", 23, &[("is_causal", int(1)), ("scale", float(scale as f32))], inputs, 3, threads).unwrap();
        assert_close(&out_f32(&out[0]).1, &want, 2e-5);
        assert_eq!(out_f32(&out[1]).1, k_all);
        assert_eq!(out_f32(&out[2]).1, v_all);
        // 3-D.
        let (a, b) = past();
        let inputs = vec![
            Some(f32s(&[c.b, c.sq, c.hq * c.d], &to_3d(&q, c.b, c.hq, c.sq, c.d))),
            Some(f32s(&[c.b, c.new, c.hkv * c.d], &to_3d(&k_new, c.b, c.hkv, c.new, c.d))),
            Some(f32s(&[c.b, c.new, c.hkv * c.dv], &to_3d(&v_new, c.b, c.hkv, c.new, c.dv))),
            mask_t(),
            a,
            b,
        ];
        let attrs = [("is_causal", int(1)), ("scale", float(scale as f32)), ("q_num_heads", int(8)), ("kv_num_heads", int(2))];
        let out = run("Attention", 23, &attrs, inputs, 1, threads).unwrap();
        let (s, y) = out_f32(&out[0]);
        assert_eq!(s, [c.b, c.sq, c.hq * c.dv]);
        assert_close(&y, &to_3d(&want, c.b, c.hq, c.sq, c.dv), 2e-5);
    }
}

#[test]
fn bad_attributes_fail_at_creation() {
    let qkv = || vec![Some(gen(&[1, 2, 2, 4], 1)), Some(gen(&[1, 2, 2, 4], 2)), Some(gen(&[1, 2, 2, 4], 3))];
    for attrs in [
        vec![("qk_matmul_output_mode", int(4))],
        vec![("softmax_precision", int(7))],
        vec![("is_causal", int(2))],
        vec![("scale", float(-1.0))],
        vec![("q_num_heads", int(3)), ("kv_num_heads", int(2))],
        vec![("kv_num_heads", int(0))],
    ] {
        assert_eq!(code(run("Attention", 23, &attrs, qkv(), 1, 1)), ErrorCode::InvalidGraph, "{attrs:?}");
    }
    // past_key without past_value.
    let mut inputs = qkv();
    inputs.extend([None, Some(gen(&[1, 2, 1, 4], 4))]);
    assert_eq!(code(run("Attention", 23, &[], inputs, 1, 1)), ErrorCode::InvalidGraph);
    // nonpad_kv_seqlen before opset 24.
    let mut inputs = qkv();
    inputs.extend([None, None, None, Some(Tensor::from_vec(vec![1], vec![2i64]).unwrap())]);
    assert_eq!(code(run("Attention", 23, &[], inputs, 1, 1)), ErrorCode::InvalidGraph);
}

#[test]
fn bad_inputs_fail_at_run() {
    let go = |inputs: Vec<Option<Tensor>>, attrs: &[(&str, Attribute)]| code(run("Attention", 24, attrs, inputs, 1, 1));
    // Query heads not a multiple of key/value heads.
    assert_eq!(
        go(vec![Some(gen(&[1, 3, 2, 4], 1)), Some(gen(&[1, 2, 2, 4], 2)), Some(gen(&[1, 2, 2, 4], 3))], &[]),
        ErrorCode::InvalidArgument
    );
    // K head size differs from Q's.
    assert_eq!(
        go(vec![Some(gen(&[1, 2, 2, 4], 1)), Some(gen(&[1, 2, 2, 5], 2)), Some(gen(&[1, 2, 2, 4], 3))], &[]),
        ErrorCode::InvalidArgument
    );
    // K and V lengths differ.
    assert_eq!(
        go(vec![Some(gen(&[1, 2, 2, 4], 1)), Some(gen(&[1, 2, 3, 4], 2)), Some(gen(&[1, 2, 2, 4], 3))], &[]),
        ErrorCode::InvalidArgument
    );
    // 3-D without head counts; 3-D hidden size not divisible.
    let three = || vec![Some(gen(&[1, 2, 8], 1)), Some(gen(&[1, 2, 8], 2)), Some(gen(&[1, 2, 8], 3))];
    assert_eq!(go(three(), &[]), ErrorCode::InvalidArgument);
    assert_eq!(go(three(), &[("q_num_heads", int(3)), ("kv_num_heads", int(3))]), ErrorCode::InvalidArgument);
    // Mixed ranks.
    assert_eq!(
        go(vec![Some(gen(&[1, 2, 8], 1)), Some(gen(&[1, 2, 2, 4], 2)), Some(gen(&[1, 2, 2, 4], 3))], &[]),
        ErrorCode::InvalidArgument
    );
    let qkv = || vec![Some(gen(&[1, 2, 3, 4], 1)), Some(gen(&[1, 2, 4, 4], 2)), Some(gen(&[1, 2, 4, 4], 3))];
    // Masks that do not broadcast to [1, 2, 3, 4]: wrong q_len, too many keys, rank 5.
    for shape in [vec![2, 4], vec![3, 5], vec![1, 1, 1, 3, 4], vec![3, 2, 3, 4]] {
        let mut inputs = qkv();
        let n = shape.iter().product();
        inputs.push(Some(Tensor::from_vec(shape.clone(), vec![0f32; n]).unwrap()));
        assert_eq!(go(inputs, &[]), ErrorCode::InvalidArgument, "mask {shape:?}");
    }
    // past_key with the wrong head size / past_value with another length.
    for (pk, pv) in [([1, 2, 2, 3], [1, 2, 2, 4]), ([1, 2, 2, 4], [1, 2, 3, 4])] {
        let mut inputs = qkv();
        inputs.extend([None, Some(gen(&pk, 4)), Some(gen(&pv, 5))]);
        assert_eq!(code(run("Attention", 23, &[], inputs, 1, 1)), ErrorCode::InvalidArgument, "past {pk:?} {pv:?}");
    }
    // nonpad_kv_seqlen of the wrong shape or type.
    for np in [Tensor::from_vec(vec![2], vec![1i64, 2]).unwrap(), Tensor::from_vec(vec![1], vec![1i32]).unwrap()] {
        let mut inputs = qkv();
        inputs.extend([None, None, None, Some(np)]);
        assert_eq!(go(inputs, &[]), ErrorCode::InvalidArgument);
    }
    // Integer Q; K of another float type.
    let iq = Tensor::from_vec(vec![1, 2, 3, 4], vec![1i32; 24]).unwrap();
    assert_eq!(go(vec![Some(iq), Some(gen(&[1, 2, 4, 4], 2)), Some(gen(&[1, 2, 4, 4], 3))], &[]), ErrorCode::InvalidArgument);
    let dk = Tensor::from_vec(vec![1, 2, 4, 4], vec![0.5f64; 32]).unwrap();
    assert_eq!(go(vec![Some(gen(&[1, 2, 3, 4], 1)), Some(dk), Some(gen(&[1, 2, 4, 4], 3))], &[]), ErrorCode::NotImplemented);
}

#[test]
fn rotary_partial_interleaved_3d_with_position_ids() {
    let pid = Tensor::from_vec(vec![2, 3], vec![0i64, 5, 2, 1, 1, 4]).unwrap();
    let inputs = vec![Some(gen(&[2, 3, 12], 22)), Some(f32s(&[6, 2], &ROT3_COS)), Some(f32s(&[6, 2], &ROT3_SIN)), Some(pid)];
    let attrs = [("num_heads", int(2)), ("rotary_embedding_dim", int(4)), ("interleaved", int(1))];
    let out = run("RotaryEmbedding", 23, &attrs, inputs, 1, 1).unwrap();
    let (s, y) = out_f32(&out[0]);
    assert_eq!(s, [2, 3, 12]);
    assert_close(&y, &ROT3_Y, 1e-6);
}

#[test]
fn rotary_halves_4d_without_position_ids_and_float16() {
    let inputs = vec![Some(gen(&[1, 2, 2, 4], 24)), Some(f32s(&[1, 2, 2], &ROT4_COS)), Some(f32s(&[1, 2, 2], &ROT4_SIN))];
    let out = run("RotaryEmbedding", 23, &[], inputs, 1, 1).unwrap();
    assert_close(&out_f32(&out[0]).1, &ROT4_Y, 1e-6);
    // float16: computed in f32 and rounded once.
    let h = |t: &Tensor| {
        Tensor::from_vec(t.shape().to_vec(), t.data::<f32>().unwrap().iter().map(|&v| f16::from_f32(v)).collect::<Vec<_>>()).unwrap()
    };
    let x = gen(&[1, 2, 2, 4], 24);
    let inputs = vec![Some(h(&x)), Some(h(&f32s(&[1, 2, 2], &ROT4_COS))), Some(h(&f32s(&[1, 2, 2], &ROT4_SIN)))];
    let out = run("RotaryEmbedding", 23, &[], inputs, 1, 1).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().dtype(), onnxrun_core::DataType::Float16);
    assert_close(&out_f32(&out[0]).1, &ROT4_Y, 2e-3);
}

#[test]
fn rotary_bad_inputs() {
    let go = |x: Tensor, cs: &[usize], pid: Option<Tensor>, attrs: &[(&str, Attribute)]| {
        let n = cs.iter().product();
        let c = f32s(cs, &vec![0.5; n]);
        code(run("RotaryEmbedding", 23, attrs, vec![Some(x), Some(c.clone()), Some(c), pid], 1, 1))
    };
    let pid = || Some(Tensor::from_vec(vec![1, 2], vec![0i64, 7]).unwrap());
    // Position id past the cache.
    assert_eq!(go(gen(&[1, 1, 2, 4], 1), &[4, 2], pid(), &[]), ErrorCode::InvalidArgument);
    // Cache width not rotary_dim / 2.
    assert_eq!(go(gen(&[1, 1, 2, 4], 1), &[8, 3], pid(), &[]), ErrorCode::InvalidArgument);
    // 3-D without num_heads, and hidden size not a multiple of it.
    assert_eq!(go(gen(&[1, 2, 8], 1), &[8, 2], pid(), &[]), ErrorCode::InvalidArgument);
    assert_eq!(go(gen(&[1, 2, 8], 1), &[8, 2], pid(), &[("num_heads", int(3))]), ErrorCode::InvalidArgument);
    // Rotary dim larger than the head; odd rotary dim.
    assert_eq!(go(gen(&[1, 1, 2, 4], 1), &[8, 3], pid(), &[("rotary_embedding_dim", int(6))]), ErrorCode::InvalidArgument);
    assert_eq!(go(gen(&[1, 1, 2, 4], 1), &[8, 2], pid(), &[("rotary_embedding_dim", int(3))]), ErrorCode::InvalidGraph);
    // Caches without position ids must be [batch, seq, rot/2].
    assert_eq!(go(gen(&[1, 1, 2, 4], 1), &[8, 2], None, &[]), ErrorCode::InvalidArgument);
}

#[test]
fn no_keys_gives_zero_rows() {
    let empty = || Tensor::from_vec(vec![1, 1, 0, 4], Vec::<f32>::new()).unwrap();
    let out =
        run("Attention", 23, &[("qk_matmul_output_mode", int(3))], vec![Some(gen(&[1, 1, 2, 4], 1)), Some(empty()), Some(empty())], 4, 1)
            .unwrap();
    assert_eq!(out_f32(&out[0]), (vec![1, 1, 2, 4], vec![0.0; 8]));
    assert_eq!(out_f32(&out[3]).0, [1, 1, 2, 0]);
    // An empty value head size gives an empty output.
    let v = Tensor::from_vec(vec![1, 1, 3, 0], Vec::<f32>::new()).unwrap();
    let out = run("Attention", 23, &[], vec![Some(gen(&[1, 1, 2, 4], 1)), Some(gen(&[1, 1, 3, 4], 2)), Some(v)], 1, 1).unwrap();
    assert_eq!(out_f32(&out[0]).0, [1, 1, 2, 0]);
}
