//! Convolution family: Conv (1-3 D, groups, depthwise, dilations, pads, auto_pad; f32,
//! f64, f16), ConvTranspose, ConvInteger, QLinearConv and DeformConv against
//! onnxruntime 1.32 outputs (module `refs`; f64 Conv and per-channel ConvInteger, which
//! onnxruntime lacks, against the ONNX reference implementation), larger convs on 1, 2
//! and 4 threads against a naive f64 loop (covering every work split of the engine), and
//! bad attributes / inputs giving errors.
//!
//! Inputs are `pat(shape, a, b, p, s)`: element i = ((i * a + b) % p - p / 2) * s.
//! The references were made by running each case's one-node model in onnxruntime with
//! the same inputs (numpy: `(((np.arange(n) * a + b) % p - p // 2) * s).astype(dtype)`).

use onnxrun_core::half::f16;
use onnxrun_core::{
    Attribute, Dim, ErrorCode, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, TypeInfo, Value, ValueInfo,
};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

/// Runs one node on `threads` threads. `typed` declares the inputs' types and shapes (so
/// kernel creation can check them).
fn run_full(
    op: &str,
    opset: i64,
    attrs: Vec<(&str, Attribute)>,
    inputs: Vec<Option<Tensor>>,
    threads: usize,
    typed: bool,
) -> onnxrun_core::Result<Tensor> {
    let names: Vec<String> =
        inputs.iter().enumerate().map(|(i, v)| if v.is_some() { format!("in{i}") } else { String::new() }).collect();
    let node = Node {
        op_type: op.into(),
        name: format!("test_{op}"),
        inputs: names.clone(),
        outputs: vec!["out".into()],
        attrs: attrs.into_iter().map(|(n, a)| (n.to_string(), a)).collect(),
        ..Default::default()
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
                ty: typed.then(|| {
                    let t = t.as_ref().unwrap();
                    TypeInfo::Tensor {
                        dtype: t.dtype(),
                        shape: Some(t.shape().iter().map(|&d| Dim::Known(d as i64)).collect()),
                    }
                }),
                doc: String::new(),
            })
            .collect(),
        outputs: vec![ValueInfo { name: "out".into(), ty: None, doc: String::new() }],
        ..Default::default()
    };
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), opset);
    let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(threads))], ..Default::default() })?;
    let feeds: Vec<(usize, Value)> = inputs.into_iter().flatten().map(Value::from).enumerate().collect();
    let out = sess.run(feeds, &[0], &RunState::default())?;
    Ok(out[0].as_tensor().unwrap().clone())
}

fn run(op: &str, opset: i64, attrs: Vec<(&str, Attribute)>, inputs: Vec<Option<Tensor>>, threads: usize) -> onnxrun_core::Result<Tensor> {
    run_full(op, opset, attrs, inputs, threads, false)
}

fn ints(v: &[i64]) -> Attribute {
    Attribute::Ints(v.to_vec())
}

fn pat_f64(shape: &[usize], a: usize, b: usize, p: usize, s: f64) -> Vec<f64> {
    let n: usize = shape.iter().product();
    (0..n).map(|i| (((i * a + b) % p) as f64 - (p / 2) as f64) * s).collect()
}

fn pat(shape: &[usize], a: usize, b: usize, p: usize, s: f64) -> Tensor {
    Tensor::from_vec(shape.to_vec(), pat_f64(shape, a, b, p, s).into_iter().map(|v| v as f32).collect::<Vec<f32>>()).unwrap()
}

fn some(t: Tensor) -> Option<Tensor> {
    Some(t)
}

fn f32_of(t: &Tensor) -> Vec<f32> {
    match t.dtype() {
        onnxrun_core::DataType::Float16 => t.data::<f16>().unwrap().iter().map(|v| v.to_f32()).collect(),
        onnxrun_core::DataType::Double => t.data::<f64>().unwrap().iter().map(|&v| v as f32).collect(),
        _ => t.data::<f32>().unwrap().to_vec(),
    }
}

fn assert_close(got: &Tensor, shape: &[usize], want: &[f32], tol: f32) {
    assert_eq!(got.shape(), shape, "shape");
    let g = f32_of(got);
    assert_eq!(g.len(), want.len());
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol * (1.0 + b.abs()), "element {i}: got {a}, want {b}");
    }
}

// ---------------------------------------------------------------- Conv vs onnxruntime

#[test]
fn conv3d_grouped_dilated_asymmetric_pads() {
    let x = pat(&[1, 4, 5, 4, 4], 7, 3, 17, 0.125);
    let w = pat(&[4, 2, 2, 2, 3], 5, 1, 11, 0.25);
    let b = pat(&[4], 3, 2, 7, 0.5);
    for threads in [1, 2] {
        let y = run(
            "Conv",
            22,
            vec![
                ("group", Attribute::Int(2)),
                ("strides", ints(&[1, 2, 1])),
                ("dilations", ints(&[2, 1, 1])),
                ("pads", ints(&[1, 0, 1, 0, 1, 2])),
            ],
            vec![some(x.clone()), some(w.clone()), some(b.clone())],
            threads,
        )
        .unwrap();
        assert_close(&y, refs::CONV3D_GROUPED_Y_SHAPE, refs::CONV3D_GROUPED_Y, 1e-5);
    }
}

#[test]
fn depthwise_3x3_stride2_with_bias() {
    let x = pat(&[2, 3, 7, 6], 7, 3, 17, 0.125);
    let w = pat(&[3, 1, 3, 3], 5, 1, 11, 0.25);
    let b = pat(&[3], 3, 2, 7, 0.5);
    for threads in [1, 2] {
        let attrs = vec![("group", Attribute::Int(3)), ("strides", ints(&[2, 2])), ("pads", ints(&[1, 1, 1, 1]))];
        let y = run("Conv", 11, attrs, vec![some(x.clone()), some(w.clone()), some(b.clone())], threads).unwrap();
        assert_close(&y, refs::DW3S2_Y_SHAPE, refs::DW3S2_Y, 1e-5);
    }
}

#[test]
fn depthwise_5x5_and_1d_dilated() {
    let x = pat(&[1, 2, 6, 9], 7, 3, 17, 0.125);
    let w = pat(&[2, 1, 5, 5], 5, 1, 11, 0.25);
    let y = run("Conv", 22, vec![("group", Attribute::Int(2)), ("pads", ints(&[2, 2, 2, 2]))], vec![some(x), some(w)], 1).unwrap();
    assert_close(&y, refs::DW5_Y_SHAPE, refs::DW5_Y, 1e-5);

    let x = pat(&[1, 4, 10], 7, 3, 17, 0.125);
    let w = pat(&[4, 1, 3], 5, 1, 11, 0.25);
    let b = pat(&[4], 3, 2, 7, 0.5);
    let attrs = vec![("group", Attribute::Int(4)), ("dilations", ints(&[2])), ("pads", ints(&[2, 2]))];
    let y = run("Conv", 1, attrs, vec![some(x), some(w), some(b)], 1).unwrap();
    assert_close(&y, refs::DW1D_Y_SHAPE, refs::DW1D_Y, 1e-5);
}

#[test]
fn conv_auto_pad_same_lower_and_upper() {
    let x = pat(&[1, 2, 5, 5], 7, 3, 17, 0.125);
    let w = pat(&[3, 2, 2, 2], 5, 1, 11, 0.25);
    for (mode, shape, want) in [
        ("SAME_LOWER", refs::SAME_LOWER_Y_SHAPE, refs::SAME_LOWER_Y),
        ("SAME_UPPER", refs::SAME_UPPER_Y_SHAPE, refs::SAME_UPPER_Y),
    ] {
        let attrs = vec![("auto_pad", Attribute::String(mode.into())), ("strides", ints(&[2, 2]))];
        let y = run("Conv", 22, attrs, vec![some(x.clone()), some(w.clone())], 1).unwrap();
        assert_close(&y, shape, want, 1e-5);
    }
}

#[test]
fn conv_f16_and_f64() {
    let x = pat_f64(&[1, 2, 4, 4], 7, 3, 17, 0.125);
    let w = pat_f64(&[2, 2, 3, 3], 5, 1, 11, 0.25);
    let h = |v: &[f64], s: &[usize]| Tensor::from_vec(s.to_vec(), v.iter().map(|&v| f16::from_f64(v)).collect::<Vec<_>>()).unwrap();
    let y = run("Conv", 22, vec![("pads", ints(&[1, 1, 1, 1]))], vec![some(h(&x, &[1, 2, 4, 4])), some(h(&w, &[2, 2, 3, 3]))], 1).unwrap();
    assert_eq!(y.dtype(), onnxrun_core::DataType::Float16);
    assert_close(&y, refs::CONV_F16_Y_SHAPE, refs::CONV_F16_Y, 2e-3);

    let d = |v: Vec<f64>, s: &[usize]| Tensor::from_vec(s.to_vec(), v).unwrap();
    let attrs = vec![("pads", ints(&[0, 1, 1, 0])), ("strides", ints(&[1, 2]))];
    let y = run("Conv", 22, attrs, vec![some(d(x, &[1, 2, 4, 4])), some(d(w, &[2, 2, 3, 3]))], 1).unwrap();
    assert_eq!(y.dtype(), onnxrun_core::DataType::Double);
    let got = y.data::<f64>().unwrap();
    assert_eq!(y.shape(), refs::CONV_F64_Y_SHAPE);
    for (a, b) in got.iter().zip(refs::CONV_F64_Y) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

#[test]
fn conv_bf16_matches_f32_rounded() {
    use onnxrun_core::half::bf16;
    let x = pat_f64(&[1, 2, 4, 4], 7, 3, 17, 0.125);
    let w = pat_f64(&[2, 2, 3, 3], 5, 1, 11, 0.25);
    // These inputs are exact in bf16, so the result is the f16 case's (exact) sums rounded to bf16.
    let b = |v: &[f64], s: &[usize]| Tensor::from_vec(s.to_vec(), v.iter().map(|&v| bf16::from_f64(v)).collect::<Vec<_>>()).unwrap();
    let y = run("Conv", 22, vec![("pads", ints(&[1, 1, 1, 1]))], vec![some(b(&x, &[1, 2, 4, 4])), some(b(&w, &[2, 2, 3, 3]))], 1).unwrap();
    let got: Vec<f32> = y.data::<bf16>().unwrap().iter().map(|v| v.to_f32()).collect();
    for (a, want) in got.iter().zip(refs::CONV_F16_Y) {
        assert_eq!(*a, bf16::from_f32(*want).to_f32());
    }
}

// ------------------------------------------------- larger convs vs a naive loop, threads

/// Direct N-D convolution in f64, straight from the definition.
#[allow(clippy::too_many_arguments)]
fn naive_conv(
    x: &[f64],
    xs: &[usize],
    w: &[f64],
    ws: &[usize],
    b: Option<&[f64]>,
    group: usize,
    strides: &[usize],
    dil: &[usize],
    pads: &[usize],
) -> (Vec<usize>, Vec<f64>) {
    let nd = xs.len() - 2;
    let (n, c, m) = (xs[0], xs[1], ws[0]);
    let (cg, mg) = (c / group, m / group);
    let out: Vec<usize> =
        (0..nd).map(|d| (xs[d + 2] + pads[d] + pads[d + nd] - ((ws[d + 2] - 1) * dil[d] + 1)) / strides[d] + 1).collect();
    let s_out: usize = out.iter().product();
    let s_in: usize = xs[2..].iter().product();
    let k: usize = ws[2..].iter().product();
    let mut y = vec![0f64; n * m * s_out];
    for ni in 0..n {
        for oc in 0..m {
            let g = oc / mg;
            for p in 0..s_out {
                let mut o = vec![0usize; nd];
                let mut r = p;
                for d in (0..nd).rev() {
                    o[d] = r % out[d];
                    r /= out[d];
                }
                let mut acc = b.map_or(0.0, |b| b[oc]);
                for ci in 0..cg {
                    for t in 0..k {
                        let mut kt = vec![0usize; nd];
                        let mut r = t;
                        for d in (0..nd).rev() {
                            kt[d] = r % ws[d + 2];
                            r /= ws[d + 2];
                        }
                        let mut idx = 0usize;
                        let mut inside = true;
                        for d in 0..nd {
                            let i = (o[d] * strides[d] + kt[d] * dil[d]) as isize - pads[d] as isize;
                            if i < 0 || i >= xs[d + 2] as isize {
                                inside = false;
                                break;
                            }
                            idx = idx * xs[d + 2] + i as usize;
                        }
                        if inside {
                            acc += x[(ni * c + g * cg + ci) * s_in + idx] * w[(oc * cg + ci) * k + t];
                        }
                    }
                }
                y[(ni * m + oc) * s_out + p] = acc;
            }
        }
    }
    let mut shape = vec![n, m];
    shape.extend(out);
    (shape, y)
}

/// Conv on 1, 2 and 4 threads against `naive_conv`.
fn check_conv(xs: &[usize], ws: &[usize], group: usize, strides: &[usize], dil: &[usize], pads: &[usize], bias: bool) {
    let x = pat_f64(xs, 7, 3, 17, 0.125);
    let w = pat_f64(ws, 5, 1, 11, 0.0625);
    let b = bias.then(|| pat_f64(&[ws[0]], 3, 2, 7, 0.5));
    let (shape, want) = naive_conv(&x, xs, &w, ws, b.as_deref(), group, strides, dil, pads);
    let t = |v: &[f64], s: &[usize]| Tensor::from_vec(s.to_vec(), v.iter().map(|&v| v as f32).collect::<Vec<f32>>()).unwrap();
    for threads in [1, 2, 4] {
        let attrs = vec![
            ("group", Attribute::Int(group as i64)),
            ("strides", ints(&strides.iter().map(|&v| v as i64).collect::<Vec<_>>())),
            ("dilations", ints(&dil.iter().map(|&v| v as i64).collect::<Vec<_>>())),
            ("pads", ints(&pads.iter().map(|&v| v as i64).collect::<Vec<_>>())),
        ];
        let ins = vec![some(t(&x, xs)), some(t(&w, ws)), b.as_ref().map(|b| t(b, &[ws[0]]))];
        let y = run("Conv", 22, attrs, ins, threads).unwrap();
        assert_eq!(y.shape(), &shape[..]);
        for (i, (a, e)) in y.data::<f32>().unwrap().iter().zip(&want).enumerate() {
            assert!((*a as f64 - e).abs() <= 1e-4 * (1.0 + e.abs()), "threads {threads}, element {i}: got {a}, want {e}");
        }
    }
}

#[test]
fn conv_large_output_column_tiles() {
    // One image, one group, a 96x96 output: split into column tiles.
    check_conv(&[1, 8, 96, 96], &[16, 8, 3, 3], 1, &[1, 1], &[1, 1], &[1, 1, 1, 1], true);
}

#[test]
fn conv_deep_small_output_serial_gemm() {
    // Few tiles: one (image, group) at a time with the GEMM on the pool.
    check_conv(&[1, 64, 12, 12], &[32, 64, 3, 3], 1, &[1, 1], &[1, 1], &[1, 1, 1, 1], true);
}

#[test]
fn conv_many_images_and_groups_strided_dilated() {
    // Many (image, group) pairs: one task each.
    check_conv(&[3, 6, 17, 15], &[8, 3, 3, 2], 2, &[2, 1], &[2, 3], &[2, 0, 1, 3], true);
}

#[test]
fn conv_pointwise_direct_gemm() {
    check_conv(&[2, 32, 20, 20], &[48, 32, 1, 1], 1, &[1, 1], &[1, 1], &[0, 0, 0, 0], true);
    check_conv(&[1, 16, 9, 7], &[8, 4, 1, 1], 4, &[1, 1], &[1, 1], &[0, 0, 0, 0], false);
    // 1x1 but strided or padded: goes through im2col.
    check_conv(&[1, 16, 9, 7], &[8, 16, 1, 1], 1, &[2, 2], &[1, 1], &[1, 0, 0, 1], true);
}

#[test]
fn conv_depthwise_threads_and_strides() {
    check_conv(&[1, 3, 50, 40], &[3, 1, 3, 3], 3, &[1, 1], &[1, 1], &[1, 1, 1, 1], true);
    check_conv(&[2, 8, 21, 19], &[8, 1, 5, 5], 8, &[2, 2], &[1, 1], &[2, 2, 2, 2], true);
    check_conv(&[1, 4, 13, 12], &[4, 1, 3, 3], 4, &[2, 1], &[2, 2], &[0, 3, 1, 0], false);
    check_conv(&[1, 4, 13, 12], &[4, 1, 7, 7], 4, &[1, 2], &[1, 1], &[3, 3, 3, 3], false);
    // Depth multiplier 2 (not depthwise in the strict sense): the GEMM path.
    check_conv(&[1, 4, 10, 10], &[8, 1, 3, 3], 4, &[1, 1], &[1, 1], &[1, 1, 1, 1], true);
}

#[test]
fn conv_1d_and_3d_vs_naive() {
    check_conv(&[2, 6, 100], &[4, 6, 7], 1, &[3], &[2], &[3, 1], true);
    check_conv(&[1, 64, 50], &[64, 1, 4], 64, &[1], &[1], &[3, 0], true);
    check_conv(&[1, 4, 6, 7, 8], &[6, 2, 3, 2, 3], 2, &[1, 2, 1], &[1, 1, 2], &[1, 0, 2, 0, 1, 1], true);
}

#[test]
fn conv_kernel_larger_than_input_with_pads() {
    check_conv(&[1, 2, 3, 3], &[2, 2, 5, 5], 1, &[1, 1], &[1, 1], &[2, 2, 2, 2], true);
}

#[test]
fn conv_empty_batch_gives_empty_output() {
    let x = Tensor::from_vec(vec![0, 2, 4, 4], Vec::<f32>::new()).unwrap();
    let w = pat(&[3, 2, 3, 3], 5, 1, 11, 0.25);
    let y = run("Conv", 22, vec![], vec![some(x), some(w)], 1).unwrap();
    assert_eq!(y.shape(), &[0, 3, 2, 2]);
}

// ------------------------------------------------------------ ConvTranspose

#[test]
fn conv_transpose_grouped_dilated_output_padding() {
    let x = pat(&[1, 4, 3, 3], 7, 3, 17, 0.125);
    let w = pat(&[4, 3, 3, 3], 5, 1, 11, 0.25);
    let b = pat(&[6], 3, 2, 7, 0.5);
    for threads in [1, 2] {
        let attrs = vec![
            ("group", Attribute::Int(2)),
            ("strides", ints(&[2, 1])),
            ("dilations", ints(&[1, 2])),
            ("pads", ints(&[1, 0, 0, 1])),
            ("output_padding", ints(&[1, 0])),
        ];
        let y = run("ConvTranspose", 22, attrs, vec![some(x.clone()), some(w.clone()), some(b.clone())], threads).unwrap();
        assert_close(&y, refs::CONVT2D_Y_SHAPE, refs::CONVT2D_Y, 1e-5);
    }
}

#[test]
fn conv_transpose_3d_output_shape_and_same_lower() {
    let x = pat(&[1, 2, 2, 3, 2], 7, 3, 17, 0.125);
    let w = pat(&[2, 1, 2, 2, 2], 5, 1, 11, 0.25);
    let attrs = vec![("strides", ints(&[2, 2, 2])), ("output_shape", ints(&[5, 6, 4]))];
    let y = run("ConvTranspose", 22, attrs, vec![some(x), some(w)], 1).unwrap();
    assert_close(&y, refs::CONVT3D_Y_SHAPE, refs::CONVT3D_Y, 1e-5);

    let x = pat(&[1, 1, 4], 7, 3, 17, 0.125);
    let w = pat(&[1, 2, 3], 5, 1, 11, 0.25);
    let attrs = vec![("strides", ints(&[2])), ("auto_pad", Attribute::String("SAME_LOWER".into()))];
    let y = run("ConvTranspose", 11, attrs, vec![some(x), some(w)], 1).unwrap();
    assert_close(&y, refs::CONVT_SAME_LOWER_Y_SHAPE, refs::CONVT_SAME_LOWER_Y, 1e-5);
}

#[test]
fn conv_transpose_is_the_adjoint_of_conv() {
    // <Conv(x), y> == <x, ConvTranspose(y)> for the same W and window attributes.
    let (xs, ws) = ([1usize, 6, 11, 9], [4usize, 3, 3, 2]);
    let attrs = || {
        vec![
            ("group", Attribute::Int(2)),
            ("strides", ints(&[2, 1])),
            ("dilations", ints(&[1, 2])),
            ("pads", ints(&[1, 2, 0, 1])),
        ]
    };
    let x = pat(&xs, 7, 3, 17, 0.125);
    let w = pat(&ws, 5, 1, 11, 0.25);
    let cx = run("Conv", 22, attrs(), vec![some(x.clone()), some(w.clone())], 2).unwrap();
    let y = pat(cx.shape(), 3, 1, 13, 0.25);
    // ConvTranspose's W is [C_in_of_transpose = Conv's M, M/g, k]: the same tensor.
    // Conv's floor leaves one row unused at the bottom: output_padding restores it.
    let mut t_attrs = attrs();
    t_attrs.push(("output_padding", ints(&[1, 0])));
    let ty = run("ConvTranspose", 22, t_attrs, vec![some(y.clone()), some(w)], 2).unwrap();
    assert_eq!(ty.shape(), &xs);
    let dot = |a: &Tensor, b: &Tensor| -> f64 {
        a.data::<f32>().unwrap().iter().zip(b.data::<f32>().unwrap()).map(|(p, q)| *p as f64 * *q as f64).sum()
    };
    let (l, r) = (dot(&cx, &y), dot(&x, &ty));
    assert!((l - r).abs() < 1e-3 * l.abs().max(1.0), "{l} vs {r}");
}

#[test]
fn conv_transpose_output_shape_too_large_is_an_error() {
    let x = pat(&[1, 1, 3], 7, 3, 17, 0.125);
    let w = pat(&[1, 1, 3], 5, 1, 11, 0.25);
    let e = run("ConvTranspose", 22, vec![("strides", ints(&[2])), ("output_shape", ints(&[9]))], vec![some(x), some(w)], 1)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
}

// ------------------------------------------------------ ConvInteger / QLinearConv

fn u8s(shape: &[usize], mul: usize) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec(shape.to_vec(), (0..n).map(|i| (i * mul % 256) as u8).collect::<Vec<u8>>()).unwrap()
}

fn i8s(shape: &[usize], mul: usize) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec(shape.to_vec(), (0..n).map(|i| ((i * mul % 256) as i32 - 128) as i8).collect::<Vec<i8>>()).unwrap()
}

#[test]
fn conv_integer_per_channel_and_scalar_zero_points() {
    let x = u8s(&[1, 2, 4, 4], 37);
    let w = i8s(&[3, 2, 2, 2], 29);
    let ins = vec![some(x.clone()), some(w), some(Tensor::scalar(3u8)), some(Tensor::from_vec(vec![3], vec![1i8, -2, 5]).unwrap())];
    let y = run("ConvInteger", 10, vec![("pads", ints(&[1, 1, 1, 1]))], ins, 1).unwrap();
    assert_eq!(y.shape(), refs::CONVINTEGER_Y_SHAPE);
    assert_eq!(y.data::<i32>().unwrap(), refs::CONVINTEGER_Y);

    let wu = u8s(&[3, 2, 2, 2], 29);
    let ins = vec![some(x), some(wu), some(Tensor::scalar(7u8)), some(Tensor::scalar(9u8))];
    let y = run("ConvInteger", 10, vec![("strides", ints(&[2, 1]))], ins, 2).unwrap();
    assert_eq!(y.shape(), refs::CONVINTEGER_UU_Y_SHAPE);
    assert_eq!(y.data::<i32>().unwrap(), refs::CONVINTEGER_UU_Y);
}

#[test]
fn conv_integer_large_sums_stay_exact() {
    // 255 * 255 * 512 > 2^24: the f64 path; compare with a direct i64 sum.
    let (c, k) = (128usize, 2usize);
    let x = Tensor::from_vec(vec![1, c, 2, 2], vec![255u8; c * 4]).unwrap();
    let w = Tensor::from_vec(vec![1, c, k, k], vec![255u8; c * k * k]).unwrap();
    let y = run("ConvInteger", 10, vec![], vec![some(x), some(w)], 1).unwrap();
    assert_eq!(y.data::<i32>().unwrap(), &[255 * 255 * (c * k * k) as i32]);
}

#[test]
fn qlinear_conv_per_channel_u8_with_bias() {
    let x = u8s(&[2, 4, 5, 5], 37);
    // 7-bit weights: onnxruntime's u8 x s8 AVX2 kernels saturate 16-bit pair sums of
    // full-range weights, so its outputs are exact only for these.
    let n: usize = 4 * 2 * 3 * 3;
    let w = Tensor::from_vec(vec![4, 2, 3, 3], (0..n).map(|i| ((i * 29 % 128) as i32 - 64) as i8).collect::<Vec<i8>>()).unwrap();
    for threads in [1, 2] {
        let ins = vec![
            some(x.clone()),
            some(Tensor::scalar(0.02f32)),
            some(Tensor::scalar(128u8)),
            some(w.clone()),
            some(Tensor::from_vec(vec![4], vec![0.01f32, 0.02, 0.005, 0.03]).unwrap()),
            some(Tensor::from_vec(vec![4], vec![0i8; 4]).unwrap()),
            some(Tensor::scalar(0.1f32)),
            some(Tensor::scalar(120u8)),
            some(Tensor::from_vec(vec![4], vec![100i32, -2000, 300, 40000]).unwrap()),
        ];
        let attrs = vec![("group", Attribute::Int(2)), ("pads", ints(&[1, 1, 1, 1]))];
        let y = run("QLinearConv", 10, attrs, ins, threads).unwrap();
        assert_eq!(y.shape(), refs::QLINEARCONV_PC_Y_SHAPE);
        assert_eq!(y.data::<u8>().unwrap(), refs::QLINEARCONV_PC_Y);
    }
}

#[test]
fn qlinear_conv_i8_saturates() {
    let n = 32usize;
    let x = Tensor::from_vec(vec![1, 2, 4, 4], (0..n).map(|i| ((i * 37 % 256) as i32 - 128) as i8).collect::<Vec<i8>>()).unwrap();
    let w = i8s(&[3, 2, 2, 2], 29);
    let ins = vec![
        some(x),
        some(Tensor::scalar(0.05f32)),
        some(Tensor::scalar(-3i8)),
        some(w),
        some(Tensor::scalar(0.04f32)),
        some(Tensor::scalar(2i8)),
        some(Tensor::scalar(0.05f32)),
        some(Tensor::scalar(5i8)),
    ];
    let y = run("QLinearConv", 10, vec![], ins, 1).unwrap();
    assert_eq!(y.shape(), refs::QLINEARCONV_I8_Y_SHAPE);
    assert_eq!(y.data::<i8>().unwrap(), refs::QLINEARCONV_I8_Y);
    assert!(refs::QLINEARCONV_I8_Y.contains(&127) && refs::QLINEARCONV_I8_Y.contains(&-128), "case exercises saturation");
}

#[test]
fn qlinear_conv_rounds_half_to_even() {
    // 1x1 conv, x - zp = k, w = 1, scale 0.5: k * 0.5 ties round to even.
    let x = Tensor::from_vec(vec![1, 1, 1, 6], vec![1u8, 3, 5, 7, 9, 11]).unwrap();
    let w = Tensor::from_vec(vec![1, 1, 1, 1], vec![1u8]).unwrap();
    let ins = vec![
        some(x),
        some(Tensor::scalar(1.0f32)),
        some(Tensor::scalar(0u8)),
        some(w),
        some(Tensor::scalar(0.5f32)),
        some(Tensor::scalar(0u8)),
        some(Tensor::scalar(1.0f32)),
        some(Tensor::scalar(10u8)),
    ];
    let y = run("QLinearConv", 10, vec![], ins, 1).unwrap();
    // 0.5, 1.5, 2.5, 3.5, 4.5, 5.5 -> 0, 2, 2, 4, 4, 6, plus 10.
    assert_eq!(y.data::<u8>().unwrap(), &[10, 12, 12, 14, 14, 16]);
}

// ------------------------------------------------------------ DeformConv

#[test]
fn deform_conv_groups_offset_groups_mask_bias() {
    let x = pat(&[1, 4, 4, 5], 7, 3, 17, 0.125);
    let w = pat(&[2, 2, 2, 2], 5, 1, 11, 0.25);
    let b = pat(&[2], 3, 2, 7, 0.5);
    let off = pat(&[1, 16, 3, 3], 3, 5, 23, 0.13);
    let mask = pat(&[1, 8, 3, 3], 11, 4, 9, 0.2);
    for threads in [1, 2] {
        let attrs = vec![
            ("group", Attribute::Int(2)),
            ("offset_group", Attribute::Int(2)),
            ("pads", ints(&[1, 0, 0, 1])),
            ("strides", ints(&[1, 2])),
            ("dilations", ints(&[2, 1])),
        ];
        let ins = vec![some(x.clone()), some(w.clone()), some(off.clone()), some(b.clone()), some(mask.clone())];
        let y = run("DeformConv", 22, attrs, ins, threads).unwrap();
        assert_close(&y, refs::DEFORM_Y_SHAPE, refs::DEFORM_Y, 1e-5);
    }
    let w = pat(&[3, 4, 2, 2], 5, 1, 11, 0.25);
    let off = pat(&[1, 8, 3, 4], 3, 5, 23, 0.13);
    let y = run("DeformConv", 19, vec![("kernel_shape", ints(&[2, 2]))], vec![some(x), some(w), some(off)], 1).unwrap();
    assert_close(&y, refs::DEFORM_NOMASK_Y_SHAPE, refs::DEFORM_NOMASK_Y, 1e-5);
}

#[test]
fn deform_conv_zero_offsets_equal_conv() {
    let (xs, ws) = ([2usize, 4, 6, 5], [6usize, 2, 3, 2]);
    let x = pat(&xs, 7, 3, 17, 0.125);
    let w = pat(&ws, 5, 1, 11, 0.25);
    let attrs = || vec![("group", Attribute::Int(2)), ("pads", ints(&[1, 0, 1, 1])), ("strides", ints(&[1, 2]))];
    let c = run("Conv", 22, attrs(), vec![some(x.clone()), some(w.clone())], 1).unwrap();
    let (oh, ow) = (c.shape()[2], c.shape()[3]);
    let off = Tensor::from_vec(vec![2, 2 * 6, oh, ow], vec![0f32; 2 * 12 * oh * ow]).unwrap();
    let d = run("DeformConv", 19, attrs(), vec![some(x), some(w), some(off)], 2).unwrap();
    assert_eq!(c.shape(), d.shape());
    for (a, b) in c.data::<f32>().unwrap().iter().zip(d.data::<f32>().unwrap()) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}

// ------------------------------------------------------------ errors

fn conv_err(attrs: Vec<(&str, Attribute)>, xs: &[usize], ws: &[usize], typed: bool) -> onnxrun_core::Error {
    let x = pat(xs, 1, 0, 5, 1.0);
    let w = pat(ws, 1, 0, 5, 1.0);
    run_full("Conv", 22, attrs, vec![some(x), some(w)], 1, typed).unwrap_err()
}

#[test]
fn bad_attributes_fail_at_kernel_creation() {
    let cases: Vec<Vec<(&str, Attribute)>> = vec![
        vec![("strides", ints(&[1, 1])), ("dilations", ints(&[1]))],
        vec![("strides", ints(&[0, 1]))],
        vec![("dilations", ints(&[1, -1]))],
        vec![("pads", ints(&[1, 1, 1]))],
        vec![("pads", ints(&[-1, 0, 0, 0]))],
        vec![("kernel_shape", ints(&[3, 3])), ("pads", ints(&[0, 0]))],
        vec![("group", Attribute::Int(0))],
        vec![("auto_pad", Attribute::String("SAME".into()))],
    ];
    for attrs in cases {
        let e = conv_err(attrs, &[1, 2, 5, 5], &[2, 2, 3, 3], false);
        assert_eq!(e.code, ErrorCode::InvalidGraph, "{e}");
        assert!(e.message.contains("test_Conv"), "names the node: {e}");
    }
    // With declared shapes: group must divide the channels, W must fit X and kernel_shape.
    let e = conv_err(vec![("group", Attribute::Int(3))], &[1, 4, 5, 5], &[4, 2, 3, 3], true);
    assert_eq!(e.code, ErrorCode::InvalidGraph, "{e}");
    let e = conv_err(vec![], &[1, 4, 5, 5], &[4, 2, 3, 3], true);
    assert_eq!(e.code, ErrorCode::InvalidGraph, "{e}");
    let e = conv_err(vec![("kernel_shape", ints(&[2, 2]))], &[1, 2, 5, 5], &[4, 2, 3, 3], true);
    assert_eq!(e.code, ErrorCode::InvalidGraph, "{e}");
    let e = conv_err(vec![("strides", ints(&[1, 1, 1]))], &[1, 2, 5, 5], &[4, 2, 3, 3], true);
    assert_eq!(e.code, ErrorCode::InvalidGraph, "{e}");
}

#[test]
fn bad_inputs_fail_at_run_time() {
    let bad = |attrs: Vec<(&str, Attribute)>, xs: &[usize], ws: &[usize]| {
        let e = conv_err(attrs, xs, ws, false);
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
        assert!(e.message.contains("test_Conv"), "names the node: {e}");
    };
    bad(vec![], &[1, 4, 5, 5], &[4, 2, 3, 3]); // W expects 2 channels, X has 4
    bad(vec![("group", Attribute::Int(2))], &[1, 4, 5, 5], &[3, 2, 3, 3]); // 3 outputs, 2 groups
    bad(vec![], &[1, 2, 5], &[4, 2, 3, 3]); // rank mismatch
    bad(vec![], &[2, 5], &[4, 2]); // X without spatial axes
    bad(vec![], &[1, 2, 2, 2], &[4, 2, 3, 3]); // kernel larger than the input
    bad(vec![("kernel_shape", ints(&[2, 2]))], &[1, 2, 5, 5], &[4, 2, 3, 3]);
    bad(vec![("strides", ints(&[1, 1, 1]))], &[1, 2, 5, 5], &[4, 2, 3, 3]);
    // Bias of the wrong length, and mixed element types.
    let x = pat(&[1, 2, 5, 5], 1, 0, 5, 1.0);
    let w = pat(&[4, 2, 3, 3], 1, 0, 5, 1.0);
    let e = run("Conv", 22, vec![], vec![some(x.clone()), some(w.clone()), some(pat(&[3], 1, 0, 5, 1.0))], 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let wd = Tensor::from_vec(vec![4, 2, 3, 3], vec![0f64; 72]).unwrap();
    let e = run("Conv", 22, vec![], vec![some(x.clone()), some(wd)], 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    // ConvTranspose: W's first dim must be X's channels.
    let e = run("ConvTranspose", 22, vec![], vec![some(x.clone()), some(w.clone())], 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    // DeformConv: offset of the wrong shape.
    let off = Tensor::from_vec(vec![1, 18, 3, 2], vec![0f32; 108]).unwrap();
    let e = run("DeformConv", 19, vec![], vec![some(x), some(w), some(off)], 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    // QLinearConv: per-channel scale of the wrong length.
    let ins = vec![
        some(u8s(&[1, 2, 4, 4], 3)),
        some(Tensor::scalar(0.1f32)),
        some(Tensor::scalar(0u8)),
        some(u8s(&[3, 2, 2, 2], 5)),
        some(Tensor::from_vec(vec![2], vec![0.1f32, 0.2]).unwrap()),
        some(Tensor::scalar(0u8)),
        some(Tensor::scalar(0.1f32)),
        some(Tensor::scalar(0u8)),
    ];
    let e = run("QLinearConv", 10, vec![], ins, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    // ConvInteger: float input.
    let e = run("ConvInteger", 10, vec![], vec![some(pat(&[1, 2, 4, 4], 1, 0, 5, 1.0)), some(u8s(&[3, 2, 2, 2], 5))], 1)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
}

#[allow(clippy::excessive_precision)]
mod refs {
    //! Outputs of onnxruntime 1.32 (CPU provider) for the cases above, with the inputs
    //! given there; CONV_F64 and CONVINTEGER (per-channel w zero point), which
    //! onnxruntime does not run, are from onnx.reference.ReferenceEvaluator.

    // conv3d_grouped: Conv {'group': 2, 'strides': [1, 2, 1], 'dilations': [2, 1, 1], 'pads': [1, 0, 1, 0, 1, 2]}
    pub const CONV3D_GROUPED_Y_SHAPE: &[usize] = &[1, 4, 4, 2, 5];
    pub const CONV3D_GROUPED_Y: &[f32] = &[-0.75, -0.21875, -2.46875, 0.9375, -2.15625, -0.3125, -0.6875, -0.8125, -0.65625, -0.9375, -1.25, 2.5, -2.9375, 0.34375, -1.4375, -2.1875, -0.625, -0.75, 0.65625, -0.96875, 1.65625, -1.625, 2.5, -2.75, 0.5625, 0.1875, -1.5625, -0.625, 0.21875, 1.03125, -2.34375, 3.28125, -1.625, 1.59375, -1.15625, -0.09375, -0.375, -1.5625, -2.34375, -1.75, 0.5625, 1.28125, -0.9375, 2.46875, -0.8125, 1.875, 1.0625, 0.4375, 0.15625, 0.3125, -0.96875, 1.59375, 1.5625, 1.75, 0.8125, 1.6875, 2.40625, 0.25, 2.875, 0.03125, 2.21875, -2.09375, 1.59375, 1.34375, 1.90625, -0.4375, 2.4375, 2.40625, 0.34375, 2.71875, -0.4375, 4.3125, -2.09375, 3.59375, 0.34375, -0.4375, -1.25, 2.4375, 1.53125, -0.4375, -0.375, -0.0625, -2.75, -0.625, -1.46875, -2.71875, -0.84375, 1.25, 0.1875, -1.5, -0.78125, -1.53125, -0.125, -1.65625, -0.125, -4.09375, -0.90625, -0.5625, -0.65625, -0.96875, -0.5, -0.8125, -1.53125, 0.875, -0.21875, 1.5, -3.375, -0.90625, -0.25, 0.0, -2.875, 0.4375, -0.8125, -3.5, -0.84375, 0.1875, 1.59375, -3.375, 0.6875, -1.15625, -1.3125, 0.8125, 2.4375, -1.1875, -0.0625, -2.65625, 2.125, -2.09375, 1.15625, 2.0625, 2.03125, 0.0625, 0.5, 1.21875, -0.5, -0.46875, -2.28125, 2.40625, -1.75, 0.1875, -0.84375, 1.75, 0.0625, 1.65625, 2.46875, 3.03125, 1.53125, -2.28125, 1.34375, -1.09375, 0.53125, -1.875, 1.75, 1.03125, 0.125, -0.90625, 2.6875, 1.53125, 0.1875, 0.28125];
    // dw3s2: Conv {'group': 3, 'strides': [2, 2], 'pads': [1, 1, 1, 1]}
    pub const DW3S2_Y_SHAPE: &[usize] = &[2, 3, 4, 3];
    pub const DW3S2_Y: &[f32] = &[-2.1875, -1.9375, 2.0, -1.15625, 0.21875, 0.125, 0.40625, 2.3125, 0.09375, -2.9375, -1.28125, -0.90625, 0.5, 0.59375, 0.21875, 1.3125, 1.59375, 3.8125, 1.4375, 1.625, 1.71875, 2.34375, 3.5, -0.4375, -1.3125, -2.28125, -1.65625, -2.03125, -2.5625, 0.375, -2.09375, -2.46875, 0.46875, -2.15625, -0.3125, 1.03125, -0.90625, 2.28125, 1.4375, -2.28125, 0.15625, 0.0625, 0.34375, 0.125, 0.03125, -0.28125, -1.03125, -1.1875, 0.625, 0.34375, 2.09375, 1.5625, 1.65625, -0.90625, 1.6875, 3.8125, 1.78125, 2.78125, 1.9375, -1.46875, -1.4375, -1.6875, -0.53125, -2.15625, -0.78125, 0.5625, -1.6875, 0.375, 0.65625, -1.4375, 0.9375, 1.21875];
    // dw5: Conv {'group': 2, 'pads': [2, 2, 2, 2]}
    pub const DW5_Y_SHAPE: &[usize] = &[1, 2, 6, 9];
    pub const DW5_Y: &[f32] = &[0.625, 0.6875, 1.75, -1.15625, 2.84375, -2.1875, 1.28125, 0.90625, -0.25, 4.03125, -4.46875, 1.875, -1.34375, -4.03125, 5.5, -6.21875, 4.0625, -3.125, -1.40625, 2.53125, 0.21875, 2.1875, -1.6875, 0.28125, 2.25, -1.15625, 2.1875, -3.1875, 0.4375, -2.78125, -1.34375, 4.34375, -5.90625, 4.03125, -4.6875, 2.96875, 1.53125, 0.8125, 0.03125, -0.28125, -0.0625, 2.28125, -0.6875, 2.53125, -3.9375, 0.4375, -1.40625, 1.5625, 0.875, -3.0, 1.625, -2.78125, 2.9375, -0.84375, -1.9375, 1.28125, -2.75, 0.75, 1.0625, 0.3125, 1.15625, 0.34375, -1.96875, -0.78125, 2.09375, -0.375, 0.78125, -1.25, -2.75, 1.0625, -1.0, 1.75, 3.5625, -4.9375, 2.875, -2.09375, 2.5, -0.34375, 0.0, -0.59375, 0.71875, 1.40625, -0.71875, 0.125, 1.0, -3.96875, 2.75, -2.21875, 2.1875, -1.9375, -4.96875, 5.25, -4.46875, 3.3125, -0.0625, 0.28125, 1.15625, -2.125, 1.0625, 2.1875, -0.3125, 1.3125, -2.78125, 1.625, -3.0, 0.875, 0.6875, 0.1875];
    // same_lower: Conv {'auto_pad': 'SAME_LOWER', 'strides': [2, 2]}
    pub const SAME_LOWER_Y_SHAPE: &[usize] = &[1, 3, 3, 3];
    pub const SAME_LOWER_Y: &[f32] = &[0.0, 0.75, 1.03125, -0.28125, -0.84375, 2.0, -0.40625, -3.625, 1.34375, 0.625, 0.65625, -1.75, 0.90625, 2.34375, -1.28125, 0.46875, 1.75, 2.375, -0.46875, -1.84375, -0.0625, -0.65625, -1.6875, -0.09375, -0.03125, -0.09375, -3.8125];
    // same_upper: Conv {'auto_pad': 'SAME_UPPER', 'strides': [2, 2]}
    pub const SAME_UPPER_Y_SHAPE: &[usize] = &[1, 3, 3, 3];
    pub const SAME_UPPER_Y: &[f32] = &[0.71875, 0.90625, -3.40625, 2.1875, 0.78125, -0.75, 1.125, 0.5, 0.5625, -1.125, -1.03125, 0.8125, -1.1875, -1.09375, 0.125, 0.40625, -1.875, -0.71875, 1.5, 1.5, 0.5625, -0.09375, 1.5, 1.0, 0.03125, 0.90625, 0.40625];
    // dw1d: Conv {'group': 4, 'dilations': [2], 'pads': [2, 2]}
    pub const DW1D_Y_SHAPE: &[usize] = &[1, 4, 10];
    pub const DW1D_Y: &[f32] = &[0.59375, -0.28125, -1.0625, -0.15625, 0.21875, 0.59375, -1.15625, -1.3125, -0.875, 0.59375, 0.71875, 1.59375, -0.1875, 1.21875, 2.09375, 0.84375, 1.71875, 0.46875, 1.3125, -0.25, -1.3125, -1.09375, -1.53125, -0.4375, -0.40625, -0.90625, -1.9375, -1.375, -0.375, -1.0, 0.8125, 0.375, 0.90625, -0.1875, 1.375, 0.28125, -0.28125, 0.75, 1.625, 0.34375];
    // conv_f16: Conv {'pads': [1, 1, 1, 1]}
    pub const CONV_F16_Y_SHAPE: &[usize] = &[1, 2, 4, 4];
    pub const CONV_F16_Y: &[f32] = &[-1.59375, 1.9375, -1.59375, 1.25, 2.5625, -1.71875, 3.59375, -0.84375, 0.46875, 1.46875, -1.71875, 2.3125, -3.125, 1.4375, 0.1875, -1.875, -1.6875, 0.71875, -1.875, 0.6875, 0.75, -0.28125, 0.625, -0.75, 2.53125, 0.15625, -0.53125, -1.21875, -1.5, 1.46875, -1.1875, 0.0625];
    // conv_f64: Conv {'pads': [0, 1, 1, 0], 'strides': [1, 2]}
    pub const CONV_F64_Y_SHAPE: &[usize] = &[1, 2, 3, 2];
    pub const CONV_F64_Y: &[f64] = &[2.5625, 3.59375, 0.46875, -1.71875, -3.125, 0.1875, 0.75, 0.625, 2.53125, -0.53125, -1.5, -1.1875];
    // convt2d: ConvTranspose {'group': 2, 'strides': [2, 1], 'dilations': [1, 2], 'pads': [1, 0, 0, 1], 'output_padding': [1, 0]}
    pub const CONVT2D_Y_SHAPE: &[usize] = &[1, 6, 7, 6];
    pub const CONVT2D_Y: &[f32] = &[0.15625, -0.78125, -1.5625, 0.09375, -1.53125, -0.75, -1.6875, -0.65625, -2.0, -0.40625, -0.03125, -0.84375, -1.0625, -0.40625, 0.65625, 0.34375, -2.21875, -0.625, -0.1875, 0.84375, -2.125, -0.4375, -0.125, 0.6875, -0.6875, -0.03125, -0.3125, -2.0625, -0.25, 0.03125, 0.125, -2.0, -0.125, 0.09375, -0.0625, -1.9375, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5, 1.71875, 0.6875, 1.59375, 0.875, 2.65625, 0.71875, -0.34375, 1.03125, -0.65625, 1.28125, 1.3125, 0.84375, 0.21875, 1.3125, 2.40625, 0.0, 0.5625, 1.09375, 1.125, 2.5, -0.84375, 1.21875, 1.15625, 2.34375, 0.84375, 1.40625, 0.03125, 1.78125, 1.125, 1.46875, 1.65625, -0.5625, 1.25, 1.53125, 1.3125, -0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -0.21875, -1.34375, -0.46875, -1.15625, 0.59375, -1.3125, -0.78125, -1.46875, 2.0, -0.875, -3.59375, -0.96875, -2.0, -0.46875, 0.3125, -1.78125, -1.53125, -0.6875, -0.71875, -1.40625, -1.0, -2.34375, 0.65625, 0.5, -1.125, -0.65625, -2.09375, -0.28125, -1.0, -0.59375, -1.34375, -0.21875, -0.875, -0.53125, -0.8125, -2.5625, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 0.375, 1.5, 0.75, 0.875, 0.53125, -1.125, 0.78125, 2.0, -0.125, -0.75, 0.90625, 2.0, -0.5, 0.625, 0.25, 1.25, 1.15625, -0.875, 0.71875, 0.34375, 2.375, -0.84375, 0.25, 0.375, 1.28125, 0.8125, -0.25, 0.03125, -0.875, 0.96875, 1.03125, 0.1875, -1.09375, 1.125, 1.71875, 0.34375, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -1.65625, -0.625, -1.5, -1.25, -2.40625, -0.5, -1.375, -2.75, -1.4375, -2.75, -1.09375, 0.0, -2.28125, -1.25, -1.5, -0.625, -2.65625, -1.375, -2.84375, 0.03125, 0.15625, -2.875, -1.28125, -1.65625, -0.78125, -1.34375, -2.03125, -2.125, -0.25, -1.1875, -1.03125, -1.96875, -2.875, -1.03125, -0.0625, -1.8125, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -0.1875, 0.75, -0.25, 0.125, -1.15625, 0.875, 0.3125, -1.25, -0.625, 1.5, 0.40625, -1.25, -0.5625, 0.375, 0.25, 1.0, -0.90625, 0.25, -1.1875, 1.5, 0.0625, -0.03125, -2.0625, 1.53125, 0.65625, 0.0, -0.3125, -0.78125, 1.46875, 0.15625, 0.40625, -0.625, 1.25, 0.3125, -0.75, -0.46875, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    // convt3d: ConvTranspose {'strides': [2, 2, 2], 'output_shape': [5, 6, 4]}
    pub const CONVT3D_Y_SHAPE: &[usize] = &[1, 1, 5, 6, 4];
    pub const CONVT3D_Y: &[f32] = &[0.0625, 0.40625, -0.15625, -0.03125, 0.40625, 0.75, -0.25, -0.125, 1.75, -1.0, -0.0625, 0.15625, 1.75, -1.0, 0.03125, 0.25, -0.28125, -0.28125, 0.03125, 0.34375, -0.625, -0.625, 0.3125, 0.625, -0.96875, 1.09375, 0.34375, -0.21875, -0.625, -0.625, 0.25, 0.03125, -1.0, -1.0, -0.21875, 0.34375, -1.0, 1.75, -0.125, -0.25, 1.09375, -0.96875, -0.78125, 0.90625, 0.75, 0.40625, -0.5, -0.53125, -0.1875, -0.09375, 0.125, 0.53125, -0.34375, -0.25, 0.59375, 1.0, -0.09375, 0.09375, -0.3125, -0.34375, -0.0625, 0.125, -0.71875, -0.75, 0.0, 0.28125, -0.21875, -0.15625, 0.21875, 0.5, -0.4375, -0.375, 0.53125, -0.40625, -1.34375, 1.46875, 0.375, 0.125, -0.875, -0.8125, -0.03125, 0.15625, 1.28125, -1.15625, 0.0, -0.15625, 0.875, 0.5, -0.59375, 0.71875, 0.71875, -0.59375, -0.375, -0.4375, 0.5, 0.21875, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    // convt_same_lower: ConvTranspose {'strides': [2], 'auto_pad': 'SAME_LOWER'}
    pub const CONVT_SAME_LOWER_Y_SHAPE: &[usize] = &[1, 2, 8];
    pub const CONVT_SAME_LOWER_Y: &[f32] = &[-0.15625, 0.53125, 0.0625, 0.6875, -0.25, 1.375, -0.03125, 0.15625, -0.78125, 0.15625, 0.3125, -0.0625, -1.25, 0.25, -0.15625, 0.03125];
    // convinteger: ConvInteger {'pads': [1, 1, 1, 1]}
    pub const CONVINTEGER_Y_SHAPE: &[usize] = &[1, 3, 5, 5];
    pub const CONVINTEGER_Y: &[i32] = &[5824, 10686, 10908, 11130, 792, 12092, -9560, -29220, -26608, -12776, -3796, -28808, -33620, -16160, -1288, -8932, -29880, -27268, -17232, -19496, -18356, -45446, -28208, -3546, -6720, 4270, 6024, 3138, 252, -5424, 2768, -26708, -37736, -26492, 6976, -14800, -11428, -7608, 18484, -10864, -16240, -38132, -26888, -8220, 7136, -22430, -7788, 21190, -7944, 160, 1976, -858, -8332, -15806, -14600, -11764, -42184, -44980, -25504, -4680, 6076, 6024, 18076, -13136, -25000, -17556, -45352, -25876, 1024, -9480, 18916, 34722, 10984, -5330, -4800];
    // convinteger_uu: ConvInteger {'strides': [2, 1]}
    pub const CONVINTEGER_UU_Y_SHAPE: &[usize] = &[1, 3, 2, 3];
    pub const CONVINTEGER_UU_Y: &[i32] = &[81080, 66220, 73632, 68440, 75852, 90688, 61336, 54988, 70912, 57400, 73324, 96672, 51064, 53228, 77664, 55832, 80268, 112128];
    // qlinearconv_pc: QLinearConv {'group': 2, 'pads': [1, 1, 1, 1]}
    pub const QLINEARCONV_PC_Y_SHAPE: &[usize] = &[2, 4, 5, 5];
    pub const QLINEARCONV_PC_Y: &[u8] = &[120, 104, 131, 123, 110, 112, 157, 128, 108, 141, 114, 90, 97, 157, 117, 119, 151, 127, 90, 109, 141, 118, 112, 155, 114, 96, 44, 76, 168, 125, 109, 180, 109, 45, 93, 156, 82, 82, 180, 89, 68, 108, 180, 82, 106, 155, 85, 52, 116, 152, 113, 108, 121, 125, 114, 122, 134, 107, 113, 130, 117, 111, 126, 133, 119, 120, 126, 111, 111, 117, 122, 127, 135, 118, 111, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 117, 98, 101, 143, 118, 119, 150, 127, 90, 109, 142, 127, 107, 150, 118, 99, 96, 156, 127, 118, 139, 115, 95, 103, 144, 158, 97, 92, 154, 88, 68, 108, 180, 82, 106, 157, 109, 46, 108, 157, 105, 83, 180, 109, 69, 89, 156, 94, 100, 159, 120, 115, 122, 136, 122, 120, 126, 111, 110, 117, 130, 122, 125, 126, 107, 117, 121, 120, 114, 132, 124, 108, 114, 129, 118, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255];
    // qlinearconv_i8: QLinearConv {'strides': [1, 1]}
    pub const QLINEARCONV_I8_Y_SHAPE: &[usize] = &[1, 3, 3, 3];
    pub const QLINEARCONV_I8_Y: &[i8] = &[127, -84, 19, -72, -128, 127, -111, -8, 127, -128, -128, -128, 127, 127, 127, -128, -128, 127, -128, -128, -128, 127, 127, 90, -128, -128, 127];
    // deform: DeformConv {'group': 2, 'offset_group': 2, 'pads': [1, 0, 0, 1], 'strides': [1, 2], 'dilations': [2, 1]}
    pub const DEFORM_Y_SHAPE: &[usize] = &[1, 2, 3, 3];
    pub const DEFORM_Y: &[f32] = &[-0.5, -0.2990812659263611, -1.0787501335144043, -1.246999979019165, -0.6277662515640259, -0.4147600531578064, -0.9316155910491943, -0.9157999753952026, 0.10637485980987549, 1.0, 1.303708791732788, 1.743109941482544, 0.3868899345397949, 1.0986300706863403, 0.9420155882835388, 1.3175312280654907, 0.8684775829315186, 0.9825475215911865];
    // deform_nomask: DeformConv {'kernel_shape': [2, 2]}
    pub const DEFORM_NOMASK_Y_SHAPE: &[usize] = &[1, 3, 3, 4];
    pub const DEFORM_NOMASK_Y: &[f32] = &[-0.5573780536651611, 1.8498127460479736, 0.05124992877244949, 1.2451812028884888, 2.1478593349456787, -1.036428451538086, 1.808744192123413, -1.8725693225860596, -0.7487441301345825, 1.2724937200546265, -0.7862719297409058, 1.2095715999603271, -1.0218032598495483, 0.9240972399711609, -0.8143754005432129, -0.44188061356544495, 0.29938140511512756, -0.09208439290523529, 0.07004386186599731, 0.6064876317977905, -0.3603129982948303, 1.1381783485412598, -1.003496527671814, 0.32447460293769836, 1.3796499967575073, -0.39854711294174194, 0.6540626883506775, -1.2279751300811768, -0.4974971413612366, 1.1679251194000244, -2.074007034301758, 0.5281126499176025, 1.3343689441680908, -0.06358492374420166, 1.2513219118118286, -1.8439435958862305];
}
