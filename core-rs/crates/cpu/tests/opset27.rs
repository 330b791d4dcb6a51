//! The opset-27 sequence-model ops: CausalConvWithState, LinearAttention and
//! FlexAttention (ai.onnx.preview). Expected values come from the ONNX reference
//! implementation (onnx 1.23.1, `onnx.reference.ReferenceEvaluator`) fed the same inputs,
//! which are built here from `pat` (exact in f32, so both sides see identical data).

use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, ErrorCode, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

/// ((i*a + c) mod m) / m - 0.5 for i in 0..n: the reference script's input pattern.
fn pat(n: usize, a: usize, c: usize, m: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * a + c) % m) as f32 / m as f32 - 0.5).collect()
}
fn affine(v: Vec<f32>, mul: f32, add: f32) -> Vec<f32> {
    v.into_iter().map(|x| x * mul + add).collect()
}
fn t32(shape: &[usize], v: Vec<f32>) -> Value {
    Tensor::from_vec(shape.to_vec(), v).unwrap().into()
}
fn t16(shape: &[usize], v: Vec<f32>) -> Value {
    Tensor::from_vec(shape.to_vec(), v.into_iter().map(f16::from_f32).collect::<Vec<_>>()).unwrap().into()
}

fn vi(name: &str) -> ValueInfo {
    ValueInfo { name: name.into(), ty: None, doc: String::new() }
}

/// One node of `op` (in `domain`), inputs given in order (None = omitted), on a pool of
/// `threads`.
struct Case {
    op: &'static str,
    domain: &'static str,
    attrs: Vec<(String, Attribute)>,
    inputs: Vec<Option<Value>>,
    outputs: usize,
    threads: usize,
}

impl Case {
    fn new(op: &'static str, outputs: usize) -> Case {
        Case { op, domain: "", attrs: vec![], inputs: vec![], outputs, threads: 1 }
    }
    fn preview(mut self) -> Case {
        self.domain = "ai.onnx.preview";
        self
    }
    fn attr(mut self, name: &str, a: Attribute) -> Case {
        self.attrs.push((name.into(), a));
        self
    }
    fn int(self, name: &str, v: i64) -> Case {
        self.attr(name, Attribute::Int(v))
    }
    fn string(self, name: &str, v: &str) -> Case {
        self.attr(name, Attribute::String(v.as_bytes().to_vec()))
    }
    fn input(mut self, v: Value) -> Case {
        self.inputs.push(Some(v));
        self
    }
    fn none(mut self) -> Case {
        self.inputs.push(None);
        self
    }
    fn threads(mut self, n: usize) -> Case {
        self.threads = n;
        self
    }
    fn run(&self) -> onnxrun_core::Result<Vec<Value>> {
        let names: Vec<String> =
            self.inputs.iter().enumerate().map(|(i, v)| if v.is_some() { format!("in{i}") } else { String::new() }).collect();
        let outs: Vec<String> = (0..self.outputs).map(|i| format!("out{i}")).collect();
        let node = Node {
            op_type: self.op.into(),
            name: format!("my_{}", self.op),
            domain: self.domain.into(),
            inputs: names.clone(),
            outputs: outs.clone(),
            attrs: self.attrs.clone(),
            ..Default::default()
        };
        let graph = Graph {
            name: "test".into(),
            nodes: vec![node],
            inputs: names.iter().filter(|n| !n.is_empty()).map(|n| vi(n)).collect(),
            outputs: outs.iter().map(|n| vi(n)).collect(),
            ..Default::default()
        };
        let mut model = Model { ir_version: 10, graph, ..Default::default() };
        model.opsets.insert(String::new(), if self.domain.is_empty() { 27 } else { 26 });
        model.opsets.insert("ai.onnx.preview".into(), 1);
        let opts = SessionOptions { providers: vec![Arc::new(CpuProvider::new(self.threads))], ..Default::default() };
        let sess = Session::new(model, opts)?;
        let feeds = self.inputs.iter().flatten().cloned().enumerate().collect();
        let fetch: Vec<usize> = (0..self.outputs).collect();
        sess.run(feeds, &fetch, &RunState::default())
    }
}

/// Output values widened to f32 (f32, f16 or f64 tensors).
fn vals(v: &Value) -> Vec<f32> {
    let t = v.as_tensor().unwrap();
    match t.dtype() {
        onnxrun_core::DataType::Float16 => t.data::<f16>().unwrap().iter().map(|x| x.to_f32()).collect(),
        onnxrun_core::DataType::Double => t.data::<f64>().unwrap().iter().map(|&x| x as f32).collect(),
        _ => t.data::<f32>().unwrap().to_vec(),
    }
}
fn shape(v: &Value) -> Vec<usize> {
    v.as_tensor().unwrap().shape().to_vec()
}
fn assert_close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "length");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol * (1.0 + b.abs()), "element {i}: got {a}, want {b}");
    }
}
/// Compares the first 6, last 6, sum and absolute sum against the reference's.
fn assert_sampled(got: &[f32], want: (&[f32], f64, f64), tol: f32) {
    let n = got.len();
    let ends: Vec<f32> = got[..6].iter().chain(&got[n - 6..]).copied().collect();
    assert_close(&ends, want.0, tol);
    let sum: f64 = got.iter().map(|&x| x as f64).sum();
    let abs: f64 = got.iter().map(|&x| (x as f64).abs()).sum();
    assert!((sum - want.1).abs() <= 1e-4 * (1.0 + want.2), "sum {sum}, want {}", want.1);
    assert!((abs - want.2).abs() <= 1e-4 * (1.0 + want.2), "abs sum {abs}, want {}", want.2);
}
fn expect_err(r: onnxrun_core::Result<Vec<Value>>, code: ErrorCode, needle: &str) {
    match r {
        Ok(_) => panic!("expected a {code:?} error mentioning {needle:?}"),
        Err(e) => {
            assert_eq!(e.code, code, "{e}");
            assert!(e.message.contains(needle), "message {:?} lacks {needle:?}", e.message);
        }
    }
}

// ---- CausalConvWithState ------------------------------------------------------------------

fn conv_inputs() -> (Value, Value, Value, Value) {
    (
        t32(&[2, 3, 4], pat(24, 7, 1, 11)),
        t32(&[3, 1, 3], pat(9, 5, 2, 7)),
        t32(&[3], pat(3, 3, 1, 5)),
        t32(&[2, 3, 2], pat(12, 4, 3, 9)),
    )
}

#[test]
fn causal_conv_bias_past_state_and_silu() {
    let (x, w, b, p) = conv_inputs();
    let r = Case::new("CausalConvWithState", 2).string("activation", "silu").input(x).input(w).input(b).input(p).run().unwrap();
    assert_eq!(shape(&r[0]), [2, 3, 4]);
    assert_eq!(shape(&r[1]), [2, 3, 2]);
    #[rustfmt::skip]
    let want = [-0.186369, -0.05031748, -0.1463841, -0.1567242, 0.1781943, 0.08535833, 0.3242706, 0.1018396, 0.009798348, -0.08475906, -0.07703625, 0.07319231, -0.05480689, -0.1697517, -0.1567242, 0.004238584, 0.1409042, 0.3405559, 0.1018396, 0.07541019, -0.08180923, -0.07583273, 0.07319231, -0.06044169];
    assert_close(&vals(&r[0]), &want, 1e-5);
    // The last two input positions of each row.
    let x = pat(24, 7, 1, 11);
    let state: Vec<f32> = x.chunks(4).flat_map(|row| row[2..].to_vec()).collect();
    assert_eq!(vals(&r[1]), state);
}

#[test]
fn causal_conv_zero_padding_without_state() {
    let (x, w, _, _) = conv_inputs();
    let r = Case::new("CausalConvWithState", 2).input(x).input(w).run().unwrap();
    #[rustfmt::skip]
    let want = [-0.08766235, 0.2532468, -0.05519482, -0.08766235, 0.0487013, -0.1298701, 0.2175325, -0.1136364, 0.1590909, -0.09090909, -0.06818183, 0.237013, 0.04870131, -0.1428571, -0.08766235, 0.3084415, -0.08116883, 0.2272727, -0.1136364, -0.1590909, -0.1590909, -0.04545455, 0.237013, -0.0292208];
    assert_close(&vals(&r[0]), &want, 1e-5);
}

#[test]
fn causal_conv_decode_step_shifts_the_state() {
    // L = 1 < k - 1 = 3: the new state is the old state's last 2 positions, then x.
    let r = Case::new("CausalConvWithState", 2)
        .input(t32(&[2, 3, 1], pat(6, 7, 1, 11)))
        .input(t32(&[3, 1, 4], pat(12, 5, 2, 7)))
        .none()
        .input(t32(&[2, 3, 3], pat(18, 4, 3, 9)))
        .run()
        .unwrap();
    assert_close(&vals(&r[0]), &[-0.1334777, -0.2431458, 0.2590187, -0.1269841, -0.2236652, 0.2914863], 1e-5);
    #[rustfmt::skip]
    let want = [0.2777778, -0.2777778, -0.4090909, -0.3888889, 0.05555558, 0.2272727, -0.05555555, 0.3888889, -0.1363636, 0.2777778, -0.2777778, -0.5, -0.3888889, 0.05555558, 0.1363636, -0.05555555, 0.3888889, -0.2272727];
    assert_close(&vals(&r[1]), &want, 1e-6);
}

#[test]
fn causal_conv_f16_swish() {
    let r = Case::new("CausalConvWithState", 2)
        .string("activation", "swish")
        .input(t16(&[1, 2, 4], pat(8, 7, 1, 11)))
        .input(t16(&[2, 1, 3], pat(6, 5, 2, 7)))
        .run()
        .unwrap();
    assert_eq!(r[0].as_tensor().unwrap().dtype(), onnxrun_core::DataType::Float16);
    let want = [-0.04190063, 0.1425781, -0.02684021, -0.04190063, 0.02494812, -0.06072998, 0.1206055, -0.05361938];
    assert_close(&vals(&r[0]), &want, 1e-3);
    assert_close(&vals(&r[1]), &[-0.1363525, -0.5, 0.4091797, 0.04544067], 1e-6);
}

#[test]
fn causal_conv_large_on_four_threads() {
    let r = Case::new("CausalConvWithState", 2)
        .string("activation", "silu")
        .input(t32(&[2, 64, 300], pat(2 * 64 * 300, 7, 1, 11)))
        .input(t32(&[64, 1, 4], pat(256, 5, 2, 7)))
        .input(t32(&[64], pat(64, 3, 1, 5)))
        .input(t32(&[2, 64, 3], pat(384, 4, 3, 9)))
        .threads(4)
        .run()
        .unwrap();
    let y = [-0.1704851, -0.1361641, 0.01138209, -0.1344382, -0.1597306, 0.01248986, -0.212041, -0.07999728, -0.198569, -0.1384141, -0.2175671, -0.2324976];
    assert_sampled(&vals(&r[0]), (&y, -553.2554, 5138.462), 1e-5);
    let s = [-0.4090909, 0.2272727, -0.1363636, -0.5, 0.1363636, -0.2272727, 0.1363636, -0.2272727, 0.4090909, 0.04545456, -0.3181818, 0.3181818];
    assert_sampled(&vals(&r[1]), (&s, -17.45454, 97.0), 1e-6);
}

#[test]
fn causal_conv_kernel_one_has_empty_state() {
    let r = Case::new("CausalConvWithState", 2)
        .input(t32(&[1, 2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
        .input(t32(&[2, 1, 1], vec![2.0, -1.0]))
        .input(t32(&[2], vec![0.5, 0.0]))
        .run()
        .unwrap();
    assert_eq!(vals(&r[0]), [2.5, 4.5, 6.5, -4.0, -5.0, -6.0]);
    assert_eq!(shape(&r[1]), [1, 2, 0]);
}

#[test]
fn causal_conv_rejects_bad_input() {
    let (x, w, b, p) = conv_inputs();
    expect_err(Case::new("CausalConvWithState", 2).string("activation", "gelu").input(x.clone()).input(w.clone()).run(), ErrorCode::InvalidGraph, "my_CausalConvWithState");
    // Weight for 2 channels, input has 3.
    expect_err(
        Case::new("CausalConvWithState", 2).input(x.clone()).input(t32(&[2, 1, 3], pat(6, 1, 0, 3))).run(),
        ErrorCode::InvalidArgument,
        "weight",
    );
    // past_state of length 1 for a kernel of 3.
    expect_err(
        Case::new("CausalConvWithState", 2).input(x.clone()).input(w.clone()).none().input(t32(&[2, 3, 1], pat(6, 1, 0, 3))).run(),
        ErrorCode::InvalidArgument,
        "past_state",
    );
    expect_err(
        Case::new("CausalConvWithState", 2).input(x.clone()).input(w.clone()).input(t32(&[4], pat(4, 1, 0, 3))).run(),
        ErrorCode::InvalidArgument,
        "bias",
    );
    expect_err(Case::new("CausalConvWithState", 2).input(t32(&[3, 4], pat(12, 1, 0, 3))).input(w).run(), ErrorCode::InvalidArgument, "rank 3");
    expect_err(Case::new("CausalConvWithState", 2).input(x).input(t16(&[3, 1, 3], pat(9, 1, 0, 3))).input(b).input(p).run(), ErrorCode::InvalidArgument, "type");
}

// ---- LinearAttention ----------------------------------------------------------------------

/// B=2, T=2, two heads of d_k = d_v = 2.
fn la_qkv() -> (Value, Value, Value) {
    (t32(&[2, 2, 4], pat(16, 5, 1, 13)), t32(&[2, 2, 4], pat(16, 3, 2, 7)), t32(&[2, 2, 4], pat(16, 4, 1, 9)))
}
fn la(rule: &str, hq: i64, hkv: i64) -> Case {
    Case::new("LinearAttention", 2).int("q_num_heads", hq).int("kv_num_heads", hkv).string("update_rule", rule)
}

#[test]
fn linear_attention_gated_delta_gqa_with_past_state() {
    // B=1, T=3, 2 query heads sharing 1 KV head, d_k=2, d_v=3, per-key decay, beta (B,T,1).
    let r = Case::new("LinearAttention", 2)
        .int("q_num_heads", 2)
        .int("kv_num_heads", 1)
        .input(t32(&[1, 3, 4], pat(12, 5, 1, 13)))
        .input(t32(&[1, 3, 2], pat(6, 3, 2, 7)))
        .input(t32(&[1, 3, 3], pat(9, 4, 1, 9)))
        .input(t32(&[1, 1, 2, 3], pat(6, 5, 3, 11)))
        .input(t32(&[1, 3, 2], affine(pat(6, 2, 1, 5), 0.5, 0.0)))
        .input(t32(&[1, 3, 1], affine(pat(3, 1, 0, 3), 1.0, 0.7)))
        .run()
        .unwrap();
    assert_eq!(shape(&r[0]), [1, 3, 6]);
    assert_eq!(shape(&r[1]), [1, 1, 2, 3]);
    #[rustfmt::skip]
    let o = [0.04924232, -0.04461394, 0.07399785, -0.0665646, 0.1262176, -0.06551971, -0.04945864, 0.1401897, -0.01682884, 0.0309788, -0.07761617, 0.01467358, 0.05820251, -0.05308444, 0.0511349, -0.07976665, 0.09708352, -0.06315163];
    assert_close(&vals(&r[0]), &o, 1e-5);
    assert_close(&vals(&r[1]), &[-0.2284534, 0.1820511, -0.2082053, 0.08399926, -0.3134312, 0.006359778], 1e-5);
}

#[test]
fn linear_attention_linear_rule_with_scale() {
    let (q, k, v) = la_qkv();
    let r = la("linear", 2, 2).attr("scale", Attribute::Float(0.5)).input(q).input(k).input(v).run().unwrap();
    #[rustfmt::skip]
    let o = [-0.01602564, 0.002289378, 0.03571429, 0.003968254, 0.02136752, -0.001831503, -0.02884616, 0.01205739, -0.007326009, 0.01709402, 0.00351038, -0.03159341, 0.0206044, -0.06944445, -0.01175214, 0.05540293];
    assert_close(&vals(&r[0]), &o, 1e-5);
    #[rustfmt::skip]
    let s = [-0.1111111, 0.07142856, -0.1111111, 0.02380953, 0.2777778, -0.07936509, -0.0952381, 0.05555556, 0.03968254, -0.1111111, -0.07936509, 0.2777778, 0.03968254, -0.0952381, -0.06349207, 0.3095238];
    assert_close(&vals(&r[1]), &s, 1e-5);
}

#[test]
fn linear_attention_delta_rule_per_head_beta() {
    let (q, k, v) = la_qkv();
    let beta = t32(&[2, 2, 2], affine(pat(8, 1, 0, 4), 1.0, 0.6));
    let r = la("delta", 2, 2).input(q).input(k).input(v).none().none().input(beta).run().unwrap();
    #[rustfmt::skip]
    let o = [-0.002266368, 0.000323767, 0.01767767, 0.001964186, -3.330325e-05, 0.001040812, -0.02250504, 0.01584623, -0.001036054, 0.00241746, 0.00173755, -0.01563794, 0.005985063, -0.03209609, -0.01055557, 0.03445573];
    assert_close(&vals(&r[0]), &o, 1e-5);
    #[rustfmt::skip]
    let s = [-0.1094048, 0.04896258, -0.02515306, 0.008355199, 0.1392361, -0.07822422, -0.05854167, 0.0497123, 0.005850342, -0.02476191, -0.01734694, 0.09603176, 0.03131235, -0.05919218, -0.0396457, 0.1341922];
    assert_close(&vals(&r[1]), &s, 1e-5);
}

#[test]
fn linear_attention_gated_rule_per_head_decay() {
    let (q, k, v) = la_qkv();
    let decay = t32(&[2, 2, 2], affine(pat(8, 3, 1, 5), 0.4, 0.0));
    let r = la("gated", 2, 2).input(q).input(k).input(v).none().input(decay).run().unwrap();
    #[rustfmt::skip]
    let o = [-0.02266368, 0.00323767, 0.05050763, 0.005611958, 0.02879639, -0.002387015, -0.03692115, 0.01748211, -0.01036054, 0.0241746, 0.004964427, -0.04467983, 0.03202856, -0.1049516, -0.01634921, 0.07591412];
    assert_close(&vals(&r[0]), &o, 1e-5);
    #[rustfmt::skip]
    let s = [-0.1143787, 0.07189535, -0.1078436, 0.02334274, 0.2454083, -0.0829617, -0.08876421, 0.05627488, 0.044236, -0.1217359, -0.08695418, 0.2954857, 0.03952694, -0.09383774, -0.0624029, 0.2997212];
    assert_close(&vals(&r[1]), &s, 1e-5);
}

#[test]
fn linear_attention_f16_activations_keep_an_f32_state() {
    let r = Case::new("LinearAttention", 2)
        .int("q_num_heads", 1)
        .int("kv_num_heads", 1)
        .input(t16(&[1, 2, 2], pat(4, 5, 1, 13)))
        .input(t16(&[1, 2, 2], pat(4, 3, 2, 7)))
        .input(t16(&[1, 2, 2], pat(4, 4, 1, 9)))
        .input(t32(&[1, 1, 2, 2], pat(4, 5, 3, 11)))
        .input(t16(&[1, 2, 1], affine(pat(2, 2, 1, 5), 0.5, 0.0)))
        .input(t16(&[1, 2, 1], affine(pat(2, 1, 0, 3), 1.0, 0.7)))
        .run()
        .unwrap();
    assert_eq!(r[0].as_tensor().unwrap().dtype(), onnxrun_core::DataType::Float16);
    assert_eq!(r[1].as_tensor().unwrap().dtype(), onnxrun_core::DataType::Float);
    assert_close(&vals(&r[0]), &[0.06164551, -0.06088257, 0.04116821, 0.02500916], 1e-3);
    assert_close(&vals(&r[1]), &[-0.08494943, 0.2009147, -0.3254298, 0.1269316], 1e-5);
}

#[test]
fn linear_attention_larger_on_four_threads() {
    let (b, t, hq, hkv, dk, dv) = (2, 40, 4, 2, 16, 8);
    let case = |threads| {
        Case::new("LinearAttention", 2)
            .int("q_num_heads", hq as i64)
            .int("kv_num_heads", hkv as i64)
            .input(t32(&[b, t, hq * dk], pat(b * t * hq * dk, 5, 1, 13)))
            .input(t32(&[b, t, hkv * dk], affine(pat(b * t * hkv * dk, 3, 2, 7), 0.5, 0.0)))
            .input(t32(&[b, t, hkv * dv], pat(b * t * hkv * dv, 4, 1, 9)))
            .none()
            .input(t32(&[b, t, hkv * dk], affine(pat(b * t * hkv * dk, 2, 1, 5), 0.2, -0.1)))
            .input(t32(&[b, t, hkv], affine(pat(b * t * hkv, 1, 0, 3), 1.0, 0.5)))
            .threads(threads)
            .run()
            .unwrap()
    };
    let r = case(4);
    let o = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.004808051, 0.005736613, 0.001654603, -0.003717555, -0.01480235, -0.006871001];
    assert_sampled(&vals(&r[0]), (&o, -2.016458, 16.09366), 1e-4);
    let s = [-0.01093142, 0.02241676, -0.01503014, 0.001119504, -0.009114563, -0.01582279, -0.01561463, 0.02657801, 0.0008185551, 0.005537776, 0.01007899, 0.02197096];
    assert_sampled(&vals(&r[1]), (&s, 3.381852, 13.48455), 1e-4);
    // Tasks are independent (batch, KV head) pairs: one thread gives the same bits.
    let r1 = case(1);
    assert_eq!(vals(&r[0]), vals(&r1[0]));
    assert_eq!(vals(&r[1]), vals(&r1[1]));
}

#[test]
fn linear_attention_rejects_bad_attributes() {
    let (q, k, v) = la_qkv();
    let run = |c: Case| c.input(q.clone()).input(k.clone()).input(v.clone()).run();
    expect_err(run(la("linear", 3, 2)), ErrorCode::InvalidGraph, "multiple");
    expect_err(run(la("linear", 0, 2)), ErrorCode::InvalidGraph, "positive");
    expect_err(run(la("softmax", 2, 2)), ErrorCode::InvalidGraph, "update_rule");
    // gated_delta (the default) needs decay and beta.
    expect_err(run(Case::new("LinearAttention", 2).int("q_num_heads", 2).int("kv_num_heads", 2)), ErrorCode::InvalidGraph, "decay");
    expect_err(run(Case::new("LinearAttention", 2).int("kv_num_heads", 2)), ErrorCode::InvalidGraph, "q_num_heads");
    // linear takes no beta.
    let with_beta = la("linear", 2, 2).input(q.clone()).input(k.clone()).input(v.clone()).none().none().input(t32(&[2, 2, 2], pat(8, 1, 0, 3)));
    expect_err(with_beta.run(), ErrorCode::InvalidGraph, "my_LinearAttention");
}

#[test]
fn linear_attention_rejects_bad_shapes() {
    let (q, k, v) = la_qkv();
    // Key for 1 head of d_k = 2 while kv_num_heads = 2.
    expect_err(la("linear", 2, 2).input(q.clone()).input(t32(&[2, 2, 2], pat(8, 1, 0, 3))).input(v.clone()).run(), ErrorCode::InvalidArgument, "key");
    // Query width 5 does not split into 2 heads.
    expect_err(la("linear", 2, 2).input(t32(&[2, 2, 5], pat(20, 1, 0, 3))).input(k.clone()).input(v.clone()).run(), ErrorCode::InvalidArgument, "query");
    let past = t32(&[2, 2, 2, 3], pat(24, 1, 0, 3));
    expect_err(la("linear", 2, 2).input(q.clone()).input(k.clone()).input(v.clone()).input(past).run(), ErrorCode::InvalidArgument, "past_state");
    let decay = t32(&[2, 2, 3], pat(12, 1, 0, 3));
    expect_err(la("gated", 2, 2).input(q.clone()).input(k.clone()).input(v.clone()).none().input(decay).run(), ErrorCode::InvalidArgument, "decay");
    let beta = t32(&[2, 2, 3], pat(12, 1, 0, 3));
    expect_err(la("delta", 2, 2).input(q.clone()).input(k.clone()).input(v.clone()).none().none().input(beta).run(), ErrorCode::InvalidArgument, "beta");
    expect_err(la("linear", 2, 2).input(q).input(k).input(t32(&[2, 2], pat(4, 1, 0, 3))).run(), ErrorCode::InvalidArgument, "rank 3");
}

// ---- FlexAttention ------------------------------------------------------------------------

/// B=1, 4 query heads over 2 KV heads, L=3, S=5, E=4, Ev=2.
fn flex_qkv() -> (Value, Value, Value) {
    (t32(&[1, 4, 3, 4], pat(48, 5, 1, 13)), t32(&[1, 2, 5, 4], pat(40, 3, 2, 7)), t32(&[1, 2, 5, 2], pat(20, 4, 1, 9)))
}
fn flex() -> Case {
    Case::new("FlexAttention", 1).preview()
}
fn one_node_graph(nodes: Vec<Node>, input: &str, output: &str, inits: Vec<(&str, Tensor)>) -> Attribute {
    Attribute::Graph(Arc::new(Graph {
        name: "mod".into(),
        nodes,
        inputs: vec![vi(input)],
        outputs: vec![vi(output)],
        initializers: inits.into_iter().map(|(n, t)| (n.to_string(), t)).collect(),
        ..Default::default()
    }))
}
fn op(op: &str, inputs: &[&str], out: &str) -> Node {
    Node {
        op_type: op.into(),
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        outputs: vec![out.into()],
        ..Default::default()
    }
}

#[test]
fn flex_attention_grouped_query_heads() {
    let (q, k, v) = flex_qkv();
    let r = flex().input(q).input(k).input(v).run().unwrap();
    assert_eq!(shape(&r[0]), [1, 4, 3, 2]);
    #[rustfmt::skip]
    let want = [-0.02958282, -0.1619248, -0.003689633, -0.1675767, -0.02947254, -0.161569, -0.003598555, -0.1672042, -0.01159287, -0.1711447, -0.00345619, -0.1668605, -0.1684111, 0.0901162, -0.1680154, 0.04926333, -0.1672482, 0.08921404, -0.1666667, 0.04809431, -0.1660852, 0.08829992, -0.1751567, 0.075821];
    assert_close(&vals(&r[0]), &want, 1e-5);
}

#[test]
fn flex_attention_soft_cap_and_prob_mod_graphs() {
    let (q, k, v) = flex_qkv();
    let cap = || Tensor::scalar(2.0f32);
    // score_mod: tanh(s / 2) * 2; prob_mod: p * 0.5.
    let score = one_node_graph(vec![op("Div", &["s", "cap"], "t"), op("Tanh", &["t"], "u"), op("Mul", &["u", "cap"], "o")], "s", "o", vec![("cap", cap())]);
    let prob = one_node_graph(vec![op("Mul", &["p", "half"], "o")], "p", "o", vec![("half", Tensor::scalar(0.5f32))]);
    let r = flex().attr("score_mod", score).attr("prob_mod", prob).attr("scale", Attribute::Float(0.3)).input(q).input(k).input(v).run().unwrap();
    #[rustfmt::skip]
    let want = [-0.01093578, -0.08194661, -0.003340677, -0.08360703, -0.01090001, -0.08183812, -0.003306928, -0.08349597, -0.00572814, -0.08465803, -0.003263886, -0.08339021, -0.08386706, 0.04257723, -0.08372137, 0.03036388, -0.08351121, 0.04229774, -0.08333334, 0.03003662, -0.08315548, 0.04201608, -0.08585684, 0.03822357];
    assert_close(&vals(&r[0]), &want, 1e-5);
}

#[test]
fn flex_attention_half_and_double() {
    let (q, k, v) = (pat(24, 5, 1, 13), pat(24, 3, 2, 7), pat(24, 4, 1, 9));
    let s = [1, 2, 3, 4];
    let r = flex().input(t16(&s, q.clone())).input(t16(&s, k.clone())).input(t16(&s, v.clone())).run().unwrap();
    assert_eq!(r[0].as_tensor().unwrap().dtype(), onnxrun_core::DataType::Float16);
    #[rustfmt::skip]
    let want16 = [0.08361816, -0.1716309, -0.0274353, -0.2827148, 0.05535889, -0.1716309, -0.0557251, -0.2827148, 0.08270264, -0.1708984, -0.02836609, -0.2819824, -0.2819824, 0.1625977, -0.04611206, 0.05145264, -0.2663574, 0.1781006, -0.09136963, 0.06695557, -0.28125, 0.1633301, -0.04290771, 0.05224609];
    assert_close(&vals(&r[0]), &want16, 2e-3);
    let t64 = |v: Vec<f32>| -> Value { Tensor::from_vec(s.to_vec(), v.into_iter().map(|x| x as f64).collect::<Vec<_>>()).unwrap().into() };
    let r = flex().input(t64(q)).input(t64(k)).input(t64(v)).run().unwrap();
    #[rustfmt::skip]
    let want64 = [0.08366170885360323, -0.17160746522860118, -0.02744939563476958, -0.2827185899074509, 0.05536902097875231, -0.171642729585905, -0.05574208350962049, -0.28275385341788856, 0.08273309489594155, -0.17084755886731154, -0.028378009592431263, -0.28195868359775084, -0.28189909402059665, 0.16254536341379097, -0.04611677115238585, 0.05143425892541816, -0.26638500589587677, 0.17805945308190166, -0.09140318351339015, 0.06694834859352884, -0.2811158923953987, 0.16332856479021746, -0.042922080224681906, 0.05221746030184465];
    // The reference rounds sqrt(scale) to f32 (a 3e-8 relative change); we do not.
    let got = r[0].as_tensor().unwrap().data::<f64>().unwrap().to_vec();
    for (i, (a, b)) in got.iter().zip(want64).enumerate() {
        assert!((a - b).abs() < 1e-7 * b.abs(), "element {i}: got {a}, want {b}");
    }
}

#[test]
fn flex_attention_larger_on_four_threads() {
    // 8 heads: spread over the pool.
    let r = flex()
        .input(t32(&[2, 4, 33, 16], pat(2 * 4 * 33 * 16, 5, 1, 13)))
        .input(t32(&[2, 4, 47, 16], pat(2 * 4 * 47 * 16, 3, 2, 7)))
        .input(t32(&[2, 4, 47, 8], pat(2 * 4 * 47 * 8, 4, 1, 9)))
        .threads(4)
        .run()
        .unwrap();
    let want = [-0.0570979, -0.06005582, -0.06290768, -0.06496949, -0.04683733, -0.04917282, -0.05156569, -0.05371711, -0.05777808, -0.06036036, -0.0591092, -0.06337328];
    assert_sampled(&vals(&r[0]), (&want, -117.4929, 117.4929), 1e-5);
    // One head: the pool goes to the GEMMs instead.
    let r = flex()
        .input(t32(&[1, 1, 64, 32], pat(64 * 32, 5, 1, 13)))
        .input(t32(&[1, 1, 64, 32], pat(64 * 32, 3, 2, 7)))
        .input(t32(&[1, 1, 64, 32], pat(64 * 32, 4, 1, 9)))
        .threads(4)
        .run()
        .unwrap();
    let want = [-0.06052026, -0.05390065, -0.06217515, -0.05555556, -0.04893595, -0.05721045, -0.05161868, -0.06146084, -0.05358711, -0.06342927, -0.05555554, -0.04768182];
    assert_sampled(&vals(&r[0]), (&want, -114.0, 114.0), 1e-5);
}

#[test]
fn flex_attention_rejects_bad_input() {
    let (q, k, v) = flex_qkv();
    // K head size 3 vs Q's 4.
    let k3 = t32(&[1, 2, 5, 3], pat(30, 1, 0, 3));
    expect_err(flex().input(q.clone()).input(k3).input(v.clone()).run(), ErrorCode::InvalidArgument, "head sizes");
    // 4 query heads over 3 KV heads.
    let k3h = t32(&[1, 3, 5, 4], pat(60, 1, 0, 3));
    let v3h = t32(&[1, 3, 5, 2], pat(30, 1, 0, 3));
    expect_err(flex().input(q.clone()).input(k3h).input(v3h).run(), ErrorCode::InvalidArgument, "multiple");
    expect_err(flex().input(t32(&[4, 3, 4], pat(48, 1, 0, 3))).input(k.clone()).input(v.clone()).run(), ErrorCode::InvalidArgument, "rank 4");
    expect_err(flex().int("softmax_precision", 7).input(q.clone()).input(k.clone()).input(v.clone()).run(), ErrorCode::InvalidGraph, "softmax_precision");
    // A score_mod with two outputs is refused when the session is made.
    let two_out = Attribute::Graph(Arc::new(Graph {
        name: "two".into(),
        nodes: vec![op("Neg", &["s"], "a"), op("Abs", &["s"], "b")],
        inputs: vec![vi("s")],
        outputs: vec![vi("a"), vi("b")],
        ..Default::default()
    }));
    expect_err(flex().attr("score_mod", two_out).input(q.clone()).input(k.clone()).input(v.clone()).run(), ErrorCode::InvalidGraph, "score_mod");
    // A score_mod that changes the shape fails at run time.
    let axes = Tensor::from_vec(vec![1], vec![1i64]).unwrap();
    let reduce = one_node_graph(vec![op("ReduceSum", &["s", "axes"], "o")], "s", "o", vec![("axes", axes)]);
    expect_err(flex().attr("score_mod", reduce).input(q).input(k).input(v).run(), ErrorCode::InvalidArgument, "shape");
}
