//! Pooling kernels: values from onnxruntime 1.32 for the tricky geometries (dilations with
//! ceil_mode and count_include_pad, SAME padding with negative pads, Indices in both
//! storage orders, 8-bit and half types), a sweep against a naive per-window reference over
//! 1-3 spatial axes on one and several threads, and bad attributes/inputs (errors).

mod math_support;
use math_support::*;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{Attribute, ErrorCode, Value};

fn ints(v: &[i64]) -> Attribute {
    Attribute::Ints(v.to_vec())
}

/// The 20 values ((i * 37) % 101) / 10 - 5, shape (1, 1, 4, 5), used by the onnxruntime cases.
fn x20() -> Vec<f32> {
    (0..20).map(|i| (((i * 37) % 101) as f64 / 10.0 - 5.0) as f32).collect()
}

fn run1(op: &str, opset: i64, attrs: Vec<(&str, Attribute)>, x: Option<Value>) -> (Vec<usize>, Vec<f32>) {
    let out = run_node(op, opset, attrs, vec![x], 1, 1).unwrap();
    f32_out(&out[0])
}

fn assert_vals(got: &[f32], want: &[f64], tol: f32) {
    let want: Vec<f32> = want.iter().map(|&v| v as f32).collect();
    assert_all_close(got, &want, tol, tol);
}

fn err_code(op: &str, opset: i64, attrs: Vec<(&str, Attribute)>, inputs: Vec<Option<Value>>, n_out: usize) -> (ErrorCode, String) {
    let e = run_node(op, opset, attrs, inputs, n_out, 1).unwrap_err();
    (e.code, e.message)
}

// ---- values from onnxruntime ----

#[test]
fn maxpool_indices_column_major_with_ceil_and_pads() {
    let out = run_node(
        "MaxPool",
        12,
        vec![
            ("kernel_shape", ints(&[2, 3])),
            ("strides", ints(&[2, 2])),
            ("pads", ints(&[1, 1, 0, 1])),
            ("ceil_mode", Attribute::Int(1)),
            ("storage_order", Attribute::Int(1)),
        ],
        vec![t(&[1, 1, 4, 5], x20())],
        2,
        1,
    )
    .unwrap();
    let (shape, y) = f32_out(&out[0]);
    assert_eq!(shape, [1, 1, 3, 3]);
    assert_vals(&y, &[-1.3, 2.4, -0.3, 3.4, 4.4, 4.4, 3.7, 3.7, 4.7], 1e-6);
    assert_eq!(out[1].as_tensor().unwrap().data::<i64>().unwrap(), [4, 8, 16, 1, 13, 13, 7, 7, 19]);
}

#[test]
fn maxpool_indices_dilated_row_major_on_threads() {
    let attrs = || vec![("kernel_shape", ints(&[2, 2])), ("dilations", ints(&[2, 2])), ("pads", ints(&[1, 1, 1, 1]))];
    for threads in [1, 3] {
        let out = run_node("MaxPool", 12, attrs(), vec![t(&[1, 1, 4, 5], x20())], 2, threads).unwrap();
        let (shape, y) = f32_out(&out[0]);
        assert_eq!(shape, [1, 1, 4, 5]);
        assert_vals(
            &y,
            &[-3.0, 3.4, 4.4, 0.7, 4.4, -1.3, 2.4, 2.7, 2.4, 2.7, 3.7, 3.4, 4.4, 4.7, 4.4, -4.7, 1.7, 2.7, -1.0, 2.7],
            1e-6,
        );
        let i = out[1].as_tensor().unwrap().data::<i64>().unwrap().to_vec();
        assert_eq!(i, [6, 5, 8, 7, 8, 1, 2, 13, 2, 13, 16, 5, 8, 19, 8, 11, 10, 13, 12, 13]);
    }
}

#[test]
fn averagepool_dilations_ceil_count_include_pad() {
    let x: Vec<f32> = (1..=25).map(|v| v as f32).collect();
    let attrs = |cip: i64| {
        vec![
            ("kernel_shape", ints(&[2, 2])),
            ("dilations", ints(&[2, 2])),
            ("strides", ints(&[2, 2])),
            ("pads", ints(&[1, 1, 1, 1])),
            ("ceil_mode", Attribute::Int(1)),
            ("count_include_pad", Attribute::Int(cip)),
        ]
    };
    let (shape, y) = run1("AveragePool", 19, attrs(1), t(&[1, 1, 5, 5], x.clone()));
    assert_eq!(shape, [1, 1, 3, 3]);
    assert_vals(&y, &[1.75, 4.0, 2.25, 6.0, 13.0, 7.0, 4.25, 9.0, 4.75], 1e-6);
    let (_, y) = run1("AveragePool", 19, attrs(0), t(&[1, 1, 5, 5], x));
    assert_vals(&y, &[7.0, 8.0, 9.0, 12.0, 13.0, 14.0, 17.0, 18.0, 19.0], 1e-6);
}

#[test]
fn averagepool_ceil_window_past_the_end_pad() {
    let attrs = vec![
        ("kernel_shape", ints(&[3, 3])),
        ("pads", ints(&[2, 2, 2, 2])),
        ("strides", ints(&[2, 2])),
        ("ceil_mode", Attribute::Int(1)),
        ("count_include_pad", Attribute::Int(1)),
    ];
    let (shape, y) = run1("AveragePool", 11, attrs, t(&[1, 1, 4, 5], x20()));
    assert_eq!(shape, [1, 1, 3, 4]);
    assert_vals(
        &y,
        &[
            -0.5555555820465088, -0.4333333373069763, -0.21111109852790833, -0.03333333507180214, 0.011111127212643623,
            -0.7555555105209351, -0.08888885378837585, -0.6666666865348816, 0.18888889253139496, -0.3333333134651184,
            0.1111111119389534, 0.11111108213663101,
        ],
        1e-5,
    );
}

#[test]
fn same_padding_shorter_kernel_than_stride_shifts_windows() {
    let x: Vec<f32> = (1..=25).map(|v| v as f32).collect();
    let attrs = vec![("kernel_shape", ints(&[1, 1])), ("auto_pad", Attribute::String(b"SAME_UPPER".to_vec())), ("strides", ints(&[3, 3]))];
    let (shape, y) = run1("AveragePool", 22, attrs, t(&[1, 1, 5, 5], x.clone()));
    assert_eq!(shape, [1, 1, 2, 2]);
    assert_vals(&y, &[1.0, 4.0, 16.0, 19.0], 0.0);
    let attrs = vec![
        ("kernel_shape", ints(&[2, 1])),
        ("auto_pad", Attribute::String(b"SAME_LOWER".to_vec())),
        ("strides", ints(&[3, 2])),
        ("count_include_pad", Attribute::Int(1)),
    ];
    let (shape, y) = run1("AveragePool", 22, attrs, t(&[1, 1, 5, 5], x));
    assert_eq!(shape, [1, 1, 2, 3]);
    assert_vals(&y, &[3.5, 5.5, 7.5, 18.5, 20.5, 22.5], 0.0);
}

#[test]
fn lppool_p3_pads_and_p1_dilated_ceil() {
    let attrs = vec![("kernel_shape", ints(&[2, 2])), ("p", Attribute::Int(3)), ("pads", ints(&[1, 0, 0, 1])), ("strides", ints(&[1, 2]))];
    let (shape, y) = run1("LpPool", 11, attrs, t(&[1, 1, 4, 5], x20()));
    assert_eq!(shape, [1, 1, 4, 3]);
    assert_vals(
        &y,
        &[
            5.029123783111572, 4.269443035125732, 0.30000001192092896, 5.783993244171143, 5.4664740562438965, 2.0022475719451904,
            5.593871116638184, 4.73574686050415, 3.8853495121002197, 5.4219160079956055, 3.4584474563598633, 5.365625381469727,
        ],
        1e-5,
    );
    let attrs = vec![
        ("kernel_shape", ints(&[2])),
        ("p", Attribute::Int(1)),
        ("dilations", ints(&[2])),
        ("ceil_mode", Attribute::Int(1)),
        ("strides", ints(&[2])),
    ];
    let (shape, y) = run1("LpPool", 18, attrs, t(&[1, 2, 10], x20()));
    assert_eq!(shape, [1, 2, 5]);
    assert_vals(&y, &[7.4, 2.7, 3.3, 7.4, 4.4, 2.7, 4.7, 7.4, 4.7, 1.0], 1e-6);
}

#[test]
fn half_types() {
    let h: Vec<f16> = x20().iter().map(|&v| f16::from_f32(v * 3.0)).collect();
    let hv = || t(&[1, 1, 4, 5], h.clone());
    let half_out = |v: &Value| v.as_tensor().unwrap().data::<f16>().unwrap().iter().map(|v| v.to_f32()).collect::<Vec<f32>>();
    let out = run_node("MaxPool", 22, vec![("kernel_shape", ints(&[2, 2])), ("strides", ints(&[1, 2]))], vec![hv()], 1, 1).unwrap();
    assert_vals(&half_out(&out[0]), &[10.203125, 13.203125, 10.203125, 13.203125, 11.1015625, 8.1015625], 0.0);
    let attrs = vec![("kernel_shape", ints(&[2, 2])), ("strides", ints(&[1, 2])), ("pads", ints(&[1, 1, 1, 1]))];
    let out = run_node("AveragePool", 22, attrs, vec![hv()], 1, 1).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().shape(), [1, 1, 5, 3]);
    assert_vals(
        &half_out(&out[0]),
        &[
            -15.0, 1.6494140625, -6.44921875, -2.3984375, -0.900390625, -1.423828125, 7.65234375, -6.0, 1.05078125, 2.55078125,
            -3.525390625, 3.525390625, 0.0, 1.5, 8.546875,
        ],
        2e-3,
    );
    let out = run_node("GlobalAveragePool", 22, vec![], vec![t(&[1, 2, 10], h.clone())], 1, 1).unwrap();
    assert_vals(&half_out(&out[0]), &[-1.4091796875, 0.51025390625], 1e-3);
    // bf16 is computed in f32 too: max is exact.
    let b: Vec<bf16> = x20().iter().map(|&v| bf16::from_f32(v)).collect();
    let out = run_node("GlobalMaxPool", 22, vec![], vec![t(&[1, 2, 10], b)], 1, 1).unwrap();
    let got: Vec<f32> = out[0].as_tensor().unwrap().data::<bf16>().unwrap().iter().map(|v| v.to_f32()).collect();
    assert_eq!(got, [bf16::from_f32(4.4).to_f32(), bf16::from_f32(4.7).to_f32()]);
}

#[test]
fn eight_bit_maxpool() {
    let i8s: Vec<i8> = vec![-100, -26, 48, -80, -6, 68, -60, 14, 88, -40, 34, -94, -20, 54, -74, 0, 74, -54, 20, 94];
    let attrs = vec![("kernel_shape", ints(&[3, 3])), ("pads", ints(&[1, 1, 1, 1])), ("strides", ints(&[2, 2]))];
    let out = run_node("MaxPool", 12, attrs, vec![t(&[1, 1, 4, 5], i8s)], 1, 1).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().shape(), [1, 1, 2, 3]);
    assert_eq!(out[0].as_tensor().unwrap().data::<i8>().unwrap(), [68, 88, 88, 74, 88, 94]);
    let u8s: Vec<u8> = vec![0, 74, 148, 20, 94, 168, 40, 114, 188, 60, 134, 6, 80, 154, 26, 100, 174, 46, 120, 194];
    let attrs = vec![("kernel_shape", ints(&[2, 2])), ("auto_pad", Attribute::String(b"SAME_UPPER".to_vec()))];
    let out = run_node("MaxPool", 22, attrs, vec![t(&[1, 1, 4, 5], u8s)], 1, 1).unwrap();
    assert_eq!(
        out[0].as_tensor().unwrap().data::<u8>().unwrap(),
        [168, 148, 188, 188, 94, 168, 114, 188, 188, 60, 174, 174, 154, 194, 194, 174, 174, 120, 194, 194]
    );
}

#[test]
fn global_lppool_and_rank_kept() {
    let out = run_node("GlobalLpPool", 2, vec![("p", Attribute::Int(3))], vec![t(&[2, 2, 5], x20())], 1, 1).unwrap();
    let (shape, y) = f32_out(&out[0]);
    assert_eq!(shape, [2, 2, 1]);
    assert_vals(&y, &[5.896829128265381, 5.426923751831055, 5.646969318389893, 5.5951385498046875], 1e-5);
    // Opset 1 takes p as a float.
    let out = run_node("GlobalLpPool", 1, vec![("p", Attribute::Float(2.0))], vec![t(&[1, 1, 2, 2], vec![3f32, 0.0, 0.0, -4.0])], 1, 1).unwrap();
    assert_eq!(f32_out(&out[0]), (vec![1, 1, 1, 1], vec![5.0]));
}

#[test]
fn maxpool_nan_propagates() {
    let n = f32::NAN;
    let x = vec![n, 1.0, 2.0, 3.0, f32::NEG_INFINITY, f32::NEG_INFINITY, 5.0, n];
    let (_, y) = run1("MaxPool", 12, vec![("kernel_shape", ints(&[2])), ("strides", ints(&[2]))], t(&[1, 1, 8], x.clone()));
    assert!(y[0].is_nan() && y[3].is_nan());
    assert_eq!(&y[1..3], [3.0, f32::NEG_INFINITY]);
    let out = run_node("MaxPool", 12, vec![("kernel_shape", ints(&[2])), ("strides", ints(&[2]))], vec![t(&[1, 1, 8], x.clone())], 2, 1).unwrap();
    assert_eq!(out[1].as_tensor().unwrap().data::<i64>().unwrap(), [0, 3, 4, 7]);
    let out = run_node("GlobalMaxPool", 1, vec![], vec![t(&[1, 2, 4], x)], 1, 1).unwrap();
    let (_, y) = f32_out(&out[0]);
    assert!(y[0].is_nan() && y[1].is_nan());
}

// ---- sweep against a naive reference ----

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Max,
    Avg { include_pad: bool },
    Lp(i64),
}

struct Geo {
    kernel: Vec<usize>,
    strides: Vec<usize>,
    dil: Vec<usize>,
    pads: Vec<usize>,
    ceil: bool,
}

/// Direct per-window evaluation in f64, with the spec's output size (ceil mode drops a last
/// window that would start in the end padding).
fn naive(kind: Kind, x: &[f64], shape: &[usize], g: &Geo) -> (Vec<usize>, Vec<f64>) {
    let r = g.kernel.len();
    let sp = &shape[2..];
    let outs: Vec<usize> = (0..r)
        .map(|i| {
            let span = (g.kernel[i] - 1) * g.dil[i] + 1;
            let room = sp[i] + g.pads[i] + g.pads[i + r] - span;
            if g.ceil {
                let o = room.div_ceil(g.strides[i]) + 1;
                if (o - 1) * g.strides[i] >= sp[i] + g.pads[i] {
                    o - 1
                } else {
                    o
                }
            } else {
                room / g.strides[i] + 1
            }
        })
        .collect();
    let planes = shape[0] * shape[1];
    let in_plane: usize = sp.iter().product();
    let out_plane: usize = outs.iter().product();
    let taps: usize = g.kernel.iter().product();
    let mut y = Vec::new();
    for p in 0..planes {
        for o in 0..out_plane {
            let oc = unflat(o, &outs);
            let (mut acc, mut n_in, mut n_pad) = (if kind == Kind::Max { f64::NEG_INFINITY } else { 0.0 }, 0, 0);
            for t in 0..taps {
                let tc = unflat(t, &g.kernel);
                let pos: Vec<i64> = (0..r).map(|i| (oc[i] * g.strides[i] + tc[i] * g.dil[i]) as i64 - g.pads[i] as i64).collect();
                if (0..r).all(|i| pos[i] < (sp[i] + g.pads[i + r]) as i64) {
                    n_pad += 1;
                }
                if (0..r).any(|i| pos[i] < 0 || pos[i] >= sp[i] as i64) {
                    continue;
                }
                n_in += 1;
                let flat = pos.iter().zip(sp).fold(0usize, |a, (&q, &d)| a * d + q as usize);
                let v = x[p * in_plane + flat];
                acc = match kind {
                    Kind::Max => acc.max(v),
                    Kind::Avg { .. } => acc + v,
                    Kind::Lp(pp) => acc + v.abs().powi(pp as i32),
                };
            }
            y.push(match kind {
                Kind::Max => acc,
                Kind::Avg { include_pad } => acc / (if include_pad { n_pad } else { n_in }).max(1) as f64,
                Kind::Lp(pp) => acc.powf(1.0 / pp as f64),
            });
        }
    }
    let mut oshape = shape[..2].to_vec();
    oshape.extend(&outs);
    (oshape, y)
}

fn unflat(mut i: usize, dims: &[usize]) -> Vec<usize> {
    let mut c = vec![0; dims.len()];
    for d in (0..dims.len()).rev() {
        c[d] = i % dims[d];
        i /= dims[d];
    }
    c
}

fn geo_attrs(kind: Kind, g: &Geo) -> (&'static str, i64, Vec<(&'static str, Attribute)>) {
    let u = |v: &[usize]| ints(&v.iter().map(|&x| x as i64).collect::<Vec<_>>());
    let mut a = vec![
        ("kernel_shape", u(&g.kernel)),
        ("strides", u(&g.strides)),
        ("dilations", u(&g.dil)),
        ("pads", u(&g.pads)),
        ("ceil_mode", Attribute::Int(g.ceil as i64)),
    ];
    match kind {
        Kind::Max => ("MaxPool", 12, a),
        Kind::Avg { include_pad } => {
            a.push(("count_include_pad", Attribute::Int(include_pad as i64)));
            ("AveragePool", 19, a)
        }
        Kind::Lp(p) => {
            a.push(("p", Attribute::Int(p)));
            ("LpPool", 18, a)
        }
    }
}

#[test]
fn sweep_against_naive_reference() {
    let mut seed = 7u64;
    let mut next = |m: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % m
    };
    for case in 0..240 {
        let r = 1 + case % 3;
        let kernel: Vec<usize> = (0..r).map(|_| 1 + next(3)).collect();
        let dil: Vec<usize> = (0..r).map(|_| 1 + next(2)).collect();
        let strides: Vec<usize> = (0..r).map(|_| 1 + next(3)).collect();
        let pads: Vec<usize> = (0..2 * r).map(|i| next(kernel[i % r])).collect();
        let g = Geo { kernel, strides, dil, pads, ceil: next(2) == 1 };
        let mut shape = vec![1 + next(2), 1 + next(3)];
        shape.extend((0..r).map(|i| (g.kernel[i] - 1) * g.dil[i] + 1 + next(6)));
        let n: usize = shape.iter().product();
        let x = rand_vec(n, case as u64);
        let kind = [Kind::Max, Kind::Avg { include_pad: false }, Kind::Avg { include_pad: true }, Kind::Lp(1 + next(3) as i64)][case % 4];
        let (op, opset, attrs) = geo_attrs(kind, &g);
        let (wshape, want) = naive(kind, &x.iter().map(|&v| v as f64).collect::<Vec<_>>(), &shape, &g);
        let want: Vec<f32> = want.iter().map(|&v| v as f32).collect();
        for threads in [1, 3] {
            let out = run_node(op, opset, attrs.clone(), vec![t(&shape, x.clone())], 1, threads).unwrap();
            let (gshape, got) = f32_out(&out[0]);
            assert_eq!(gshape, wshape, "case {case} {op}");
            assert_all_close(&got, &want, 1e-5, 1e-6);
        }
        // f64 runs the same geometry in double precision.
        let xd: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let out = run_node(op, opset, attrs, vec![t(&shape, xd)], 1, 1).unwrap();
        let got: Vec<f32> = out[0].as_tensor().unwrap().data::<f64>().unwrap().iter().map(|&v| v as f32).collect();
        assert_all_close(&got, &want, 1e-5, 1e-6);
    }
}

#[test]
fn large_planes_split_over_threads() {
    // Enough work for the pool, and planes longer than one block of rows: 2x8 planes of
    // 61x47 through stride-1 "same" windows (folded and slid as long rows), non-overlapping
    // ones, and strided padded ones with ceil mode.
    let shape = [2usize, 8, 61, 47];
    let x = rand_vec(shape.iter().product(), 99);
    let xd: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let geos = [
        Geo { kernel: vec![3, 3], strides: vec![1, 1], dil: vec![1, 1], pads: vec![1, 1, 1, 1], ceil: false },
        Geo { kernel: vec![5, 5], strides: vec![1, 1], dil: vec![1, 1], pads: vec![2, 2, 2, 2], ceil: false },
        Geo { kernel: vec![2, 3], strides: vec![1, 1], dil: vec![2, 1], pads: vec![1, 1, 1, 1], ceil: false },
        Geo { kernel: vec![2, 2], strides: vec![2, 2], dil: vec![1, 1], pads: vec![0, 0, 0, 0], ceil: true },
        Geo { kernel: vec![3, 3], strides: vec![2, 2], dil: vec![1, 1], pads: vec![1, 1, 1, 1], ceil: true },
    ];
    for g in &geos {
        for kind in [Kind::Max, Kind::Avg { include_pad: false }, Kind::Avg { include_pad: true }, Kind::Lp(2)] {
            let (op, opset, attrs) = geo_attrs(kind, g);
            let (wshape, want) = naive(kind, &xd, &shape, g);
            let want: Vec<f32> = want.iter().map(|&v| v as f32).collect();
            for threads in [1, 4] {
                let out = run_node(op, opset, attrs.clone(), vec![t(&shape, x.clone())], 1, threads).unwrap();
                let (gshape, got) = f32_out(&out[0]);
                assert_eq!(gshape, wshape, "{op} {:?}", g.kernel);
                assert_all_close(&got, &want, 1e-5, 1e-6);
            }
        }
    }
    let out = run_node("GlobalAveragePool", 22, vec![], vec![t(&shape, x.clone())], 1, 4).unwrap();
    let plane = 61 * 47;
    let want: Vec<f32> = x.chunks(plane).map(|c| (c.iter().map(|&v| v as f64).sum::<f64>() / plane as f64) as f32).collect();
    assert_all_close(&f32_out(&out[0]).1, &want, 1e-5, 1e-6);
}

// ---- MaxUnpool ----

#[test]
fn maxunpool_inverts_maxpool_indices() {
    let x: Vec<f32> = x20()[..16].to_vec();
    let attrs = || vec![("kernel_shape", ints(&[2, 2])), ("strides", ints(&[2, 2]))];
    let out = run_node("MaxPool", 12, attrs(), vec![t(&[1, 1, 4, 4], x)], 2, 1).unwrap();
    let (y, i) = (out[0].clone(), out[1].clone());
    let pooled = f32_out(&y).1;
    let idx = i.as_tensor().unwrap().data::<i64>().unwrap().to_vec();
    let mut w4 = vec![0f32; 16];
    for (&v, &k) in pooled.iter().zip(&idx) {
        w4[k as usize] = v;
    }
    assert_eq!(w4.iter().filter(|&&v| v != 0.0).count(), 4);
    // Inferred shape: (2 - 1) * 2 + 2 = 4 along both axes.
    let un = run_node("MaxUnpool", 11, attrs(), vec![Some(y.clone()), Some(i.clone())], 1, 1).unwrap();
    assert_eq!(f32_out(&un[0]), (vec![1, 1, 4, 4], w4.clone()));
    // A larger output_shape: the indices still address the inferred 4x4 result, which sits
    // at the start of each axis (the ONNX reference and conformance reading).
    let un = run_node("MaxUnpool", 11, attrs(), vec![Some(y), Some(i), t(&[4], vec![1i64, 1, 5, 6])], 1, 1).unwrap();
    let mut w56 = vec![0f32; 30];
    for r in 0..4 {
        w56[r * 6..r * 6 + 4].copy_from_slice(&w4[r * 4..r * 4 + 4]);
    }
    assert_eq!(f32_out(&un[0]), (vec![1, 1, 5, 6], w56));
}

#[test]
fn maxunpool_pads_and_3d() {
    // pads shrink the inferred shape: (2-1)*2+3-1 = 4 along the one spatial axis.
    let attrs = vec![("kernel_shape", ints(&[3])), ("strides", ints(&[2])), ("pads", ints(&[1, 0]))];
    let un = run_node("MaxUnpool", 22, attrs, vec![t(&[1, 2, 2], vec![1f32, 2.0, 3.0, 4.0]), t(&[1, 2, 2], vec![3i64, 0, 4, 6])], 1, 1).unwrap();
    assert_eq!(f32_out(&un[0]), (vec![1, 2, 4], vec![2.0, 0.0, 0.0, 1.0, 3.0, 0.0, 4.0, 0.0]));
    let attrs = vec![("kernel_shape", ints(&[2, 2, 2])), ("strides", ints(&[2, 2, 2]))];
    let un = run_node("MaxUnpool", 9, attrs, vec![t(&[1, 1, 1, 1, 1], vec![7.5f64]), t(&[1, 1, 1, 1, 1], vec![6i64])], 1, 1).unwrap();
    let u = un[0].as_tensor().unwrap();
    assert_eq!(u.shape(), [1, 1, 2, 2, 2]);
    assert_eq!(u.data::<f64>().unwrap(), [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.5, 0.0]);
}

// ---- errors ----

#[test]
fn bad_attributes_are_graph_errors() {
    let x = || vec![t(&[1, 1, 4, 5], x20())];
    type Case = (&'static str, i64, Vec<(&'static str, Attribute)>);
    let cases: Vec<Case> = vec![
        ("MaxPool", 12, vec![]),
        ("MaxPool", 12, vec![("kernel_shape", ints(&[]))]),
        ("MaxPool", 12, vec![("kernel_shape", ints(&[2, 0]))]),
        ("MaxPool", 12, vec![("kernel_shape", ints(&[2, 2])), ("strides", ints(&[1]))]),
        ("MaxPool", 12, vec![("kernel_shape", ints(&[2, 2])), ("strides", ints(&[1, 0]))]),
        ("MaxPool", 12, vec![("kernel_shape", ints(&[2, 2])), ("pads", ints(&[0, 0]))]),
        ("MaxPool", 12, vec![("kernel_shape", ints(&[2, 2])), ("pads", ints(&[0, 0, 0, -1]))]),
        ("MaxPool", 12, vec![("kernel_shape", ints(&[2, 2])), ("pads", ints(&[2, 0, 0, 0]))]),
        ("MaxPool", 12, vec![("kernel_shape", ints(&[2, 2])), ("dilations", ints(&[1, 0]))]),
        ("MaxPool", 12, vec![("kernel_shape", ints(&[2, 2])), ("storage_order", Attribute::Int(2))]),
        ("MaxPool", 12, vec![("kernel_shape", ints(&[2, 2])), ("auto_pad", Attribute::String(b"SAME".to_vec()))]),
        ("AveragePool", 11, vec![("kernel_shape", ints(&[2, 2])), ("dilations", ints(&[2, 2]))]),
        ("AveragePool", 19, vec![("kernel_shape", ints(&[2, 2])), ("count_include_pad", Attribute::Int(3))]),
        ("LpPool", 18, vec![("kernel_shape", ints(&[2, 2])), ("p", Attribute::Int(0))]),
        ("MaxUnpool", 11, vec![("kernel_shape", ints(&[2, 2])), ("pads", ints(&[1, 1]))]),
    ];
    for (op, opset, attrs) in cases {
        let inputs = if op == "MaxUnpool" { vec![t(&[1, 1, 2, 2], vec![1f32; 4]), t(&[1, 1, 2, 2], vec![0i64, 1, 2, 3])] } else { x() };
        let dbg = format!("{op} {attrs:?}");
        let (code, msg) = err_code(op, opset, attrs, inputs, 1);
        assert_eq!(code, ErrorCode::InvalidGraph, "{dbg}: {msg}");
        assert!(msg.contains(op), "{dbg}: message should name the node: {msg}");
    }
}

#[test]
fn declared_rank_mismatch_is_a_graph_error() {
    use onnxrun_core::{DataType, Dim, Graph, Model, Node, Session, SessionOptions, TypeInfo, ValueInfo};
    let node = Node {
        op_type: "MaxPool".into(),
        name: "pool1".into(),
        inputs: vec!["x".into()],
        outputs: vec!["y".into()],
        attrs: vec![("kernel_shape".into(), ints(&[2, 2]))],
        ..Default::default()
    };
    let ty = TypeInfo::Tensor { dtype: DataType::Float, shape: Some(vec![Dim::Known(1), Dim::Known(4), Dim::Known(5)]) };
    let graph = Graph {
        name: "g".into(),
        nodes: vec![node],
        inputs: vec![ValueInfo { name: "x".into(), ty: Some(ty), doc: String::new() }],
        outputs: vec![ValueInfo { name: "y".into(), ty: None, doc: String::new() }],
        ..Default::default()
    };
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), 12);
    let providers: Vec<std::sync::Arc<dyn onnxrun_core::ExecutionProvider>> = vec![std::sync::Arc::new(onnxrun_cpu::CpuProvider::new(1))];
    let e = Session::new(model, SessionOptions { providers, ..Default::default() }).err().expect("rank 3 input with a 2-D kernel");
    assert_eq!(e.code, ErrorCode::InvalidGraph, "{e}");
    assert!(e.message.contains("pool1") && e.message.contains("rank"), "{e}");
}

#[test]
fn bad_inputs_are_argument_errors() {
    let k2 = || vec![("kernel_shape", ints(&[2, 2]))];
    // Wrong rank for a 2-D kernel.
    for op in ["MaxPool", "AveragePool", "LpPool"] {
        let (code, msg) = err_code(op, 18, k2(), vec![t(&[1, 4, 5], x20())], 1);
        assert_eq!(code, ErrorCode::InvalidArgument, "{msg}");
    }
    // Window larger than the padded input.
    let (code, msg) = err_code("MaxPool", 12, vec![("kernel_shape", ints(&[5, 5]))], vec![t(&[1, 1, 4, 5], x20())], 1);
    assert_eq!(code, ErrorCode::InvalidArgument, "{msg}");
    assert!(msg.contains("kernel"), "{msg}");
    let (code, _) = err_code("GlobalAveragePool", 22, vec![], vec![t(&[5], vec![1f32; 5])], 1);
    assert_eq!(code, ErrorCode::InvalidArgument);
    // Types the ops do not take.
    let (code, _) = err_code("AveragePool", 19, k2(), vec![t(&[1, 1, 2, 2], vec![1i8; 4])], 1);
    assert_eq!(code, ErrorCode::NotImplemented);
    // MaxUnpool: indices out of range, negative, of the wrong shape; output_shape too small.
    let x = || t(&[1, 1, 2, 2], vec![1f32, 2.0, 3.0, 4.0]);
    let ks = || vec![("kernel_shape", ints(&[2, 2])), ("strides", ints(&[2, 2]))];
    for idx in [vec![0i64, 1, 2, 16], vec![0, -1, 2, 3]] {
        let (code, msg) = err_code("MaxUnpool", 11, ks(), vec![x(), t(&[1, 1, 2, 2], idx)], 1);
        assert_eq!(code, ErrorCode::InvalidArgument, "{msg}");
        assert!(msg.contains("out of range"), "{msg}");
    }
    let (code, _) = err_code("MaxUnpool", 11, ks(), vec![x(), t(&[1, 1, 4], vec![0i64, 1, 2, 3])], 1);
    assert_eq!(code, ErrorCode::InvalidArgument);
    let (code, _) = err_code("MaxUnpool", 11, ks(), vec![x(), t(&[1, 1, 2, 2], vec![0i64, 1, 2, 3]), t(&[4], vec![1i64, 1, 3, 4])], 1);
    assert_eq!(code, ErrorCode::InvalidArgument);
    let (code, _) = err_code("MaxUnpool", 11, ks(), vec![x(), t(&[1, 1, 2, 2], vec![0i64, 1, 2, 3]), t(&[3], vec![1i64, 4, 4])], 1);
    assert_eq!(code, ErrorCode::InvalidArgument);
}

#[test]
fn empty_batch_gives_empty_output() {
    let out = run_node("MaxPool", 12, vec![("kernel_shape", ints(&[2, 2]))], vec![t(&[0, 3, 4, 5], Vec::<f32>::new())], 2, 1).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().shape(), [0, 3, 3, 4]);
    assert_eq!(out[1].as_tensor().unwrap().shape(), [0, 3, 3, 4]);
    let out = run_node("GlobalAveragePool", 22, vec![], vec![t(&[0, 3, 4], Vec::<f32>::new())], 1, 1).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().shape(), [0, 3, 1]);
    // An empty spatial axis padded to the kernel's extent: windows over padding only.
    let attrs = vec![("kernel_shape", ints(&[3, 1])), ("pads", ints(&[2, 0, 2, 0]))];
    let out = run_node("MaxPool", 12, attrs, vec![t(&[1, 1, 0, 2], Vec::<f32>::new())], 2, 1).unwrap();
    assert_eq!(f32_out(&out[0]), (vec![1, 1, 2, 2], vec![f32::NEG_INFINITY; 4]));
    assert_eq!(out[1].as_tensor().unwrap().data::<i64>().unwrap(), [-1; 4]);
    let attrs = vec![("kernel_shape", ints(&[1, 3])), ("pads", ints(&[0, 2, 0, 2]))];
    for op in ["MaxPool", "AveragePool", "LpPool"] {
        let out = run_node(op, 18, attrs.clone(), vec![t(&[1, 1, 2, 0], Vec::<f32>::new())], 1, 1).unwrap();
        let want = if op == "MaxPool" { f32::NEG_INFINITY } else { 0.0 };
        assert_eq!(f32_out(&out[0]), (vec![1, 1, 2, 2], vec![want; 4]), "{op}");
    }
}
