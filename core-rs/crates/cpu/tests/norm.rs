//! Normalizations and Dropout against naive references.

mod math_support;
use math_support::*;
use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, DataType, ErrorCode, Value};

fn mean_var(v: &[f64]) -> (f64, f64) {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (m, v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64)
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

#[test]
fn batchnorm_inference_and_training() {
    let (n, c, hw) = (2usize, 3usize, 5usize);
    let x = rand_vec(n * c * hw, 51);
    let s = vec![0.5f32, 1.0, 2.0];
    let b = vec![0.1f32, -0.2, 0.3];
    let mean = vec![0.05f32, -0.1, 0.0];
    let var = vec![1.0f32, 0.5, 0.25];
    let inputs = || vec![t(&[n, c, hw], x.clone()), t(&[c], s.clone()), t(&[c], b.clone()), t(&[c], mean.clone()), t(&[c], var.clone())];
    let out = run_node("BatchNormalization", 15, vec![("epsilon", Attribute::Float(1e-3))], inputs(), 1, 4).unwrap();
    let want: Vec<f32> = (0..x.len())
        .map(|i| {
            let ci = (i / hw) % c;
            (s[ci] as f64 * (x[i] as f64 - mean[ci] as f64) / (var[ci] as f64 + 1e-3).sqrt() + b[ci] as f64) as f32
        })
        .collect();
    assert_all_close(&f32_out(&out[0]).1, &want, 1e-5, 1e-6);

    let out = run_node("BatchNormalization", 15, vec![("training_mode", Attribute::Int(1)), ("momentum", Attribute::Float(0.8))], inputs(), 3, 1).unwrap();
    let mut want = vec![0f32; x.len()];
    for ci in 0..c {
        let vals: Vec<f64> = (0..n).flat_map(|ni| (0..hw).map(move |j| (ni, j))).map(|(ni, j)| x[(ni * c + ci) * hw + j] as f64).collect();
        let (m, v) = mean_var(&vals);
        for ni in 0..n {
            for j in 0..hw {
                let i = (ni * c + ci) * hw + j;
                want[i] = (s[ci] as f64 * (x[i] as f64 - m) / (v + 1e-5).sqrt() + b[ci] as f64) as f32;
            }
        }
        let rm = f32_out(&out[1]).1[ci];
        let rv = f32_out(&out[2]).1[ci];
        assert!((rm as f64 - (mean[ci] as f64 * 0.8 + m * 0.2)).abs() < 1e-6);
        assert!((rv as f64 - (var[ci] as f64 * 0.8 + v * 0.2)).abs() < 1e-6);
    }
    assert_all_close(&f32_out(&out[0]).1, &want, 1e-5, 1e-6);
    // Wrong parameter length.
    let mut bad = inputs();
    bad[1] = t(&[2], vec![1f32, 1.0]);
    let e = run_node("BatchNormalization", 15, vec![], bad, 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
}

#[test]
fn instance_and_group_norm() {
    let (n, c, hw) = (2usize, 4usize, 6usize);
    let x = rand_vec(n * c * hw, 52);
    let s = vec![1.0f32, 0.5, -1.0, 2.0];
    let b = vec![0.0f32, 0.1, 0.2, 0.3];
    let out = run_node("InstanceNormalization", 22, vec![], vec![t(&[n, c, hw], x.clone()), t(&[c], s.clone()), t(&[c], b.clone())], 1, 4).unwrap();
    let mut want = vec![0f32; x.len()];
    for r in 0..n * c {
        let (m, v) = mean_var(&f64s(&x[r * hw..][..hw]));
        for j in 0..hw {
            want[r * hw + j] = ((x[r * hw + j] as f64 - m) / (v + 1e-5).sqrt() * s[r % c] as f64 + b[r % c] as f64) as f32;
        }
    }
    assert_all_close(&f32_out(&out[0]).1, &want, 1e-5, 1e-6);

    // 2 groups of 2 channels; opset 21 scales per channel, opset 18 per group.
    let g = 2;
    for (opset, plen) in [(21, c), (18, g)] {
        let (sp, bp) = (s[..plen].to_vec(), b[..plen].to_vec());
        let out = run_node(
            "GroupNormalization",
            opset,
            vec![("num_groups", Attribute::Int(g as i64))],
            vec![t(&[n, c, hw], x.clone()), t(&[plen], sp.clone()), t(&[plen], bp.clone())],
            1,
            4,
        )
        .unwrap();
        let blk = c / g * hw;
        let mut want = vec![0f32; x.len()];
        for r in 0..n * g {
            let (m, v) = mean_var(&f64s(&x[r * blk..][..blk]));
            for j in 0..blk {
                let ci = (r % g) * (c / g) + j / hw;
                let pi = if plen == c { ci } else { r % g };
                want[r * blk + j] = ((x[r * blk + j] as f64 - m) / (v + 1e-5).sqrt() * sp[pi] as f64 + bp[pi] as f64) as f32;
            }
        }
        assert_all_close(&f32_out(&out[0]).1, &want, 1e-5, 1e-6);
    }
    let e = run_node("GroupNormalization", 21, vec![("num_groups", Attribute::Int(3))], vec![t(&[n, c, hw], x), t(&[c], s), t(&[c], b)], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
}

#[test]
fn layer_and_rms_norm_with_stats() {
    let shape = [2usize, 3, 8];
    let x = rand_vec(48, 53);
    let w = rand_vec(8, 54);
    let b = rand_vec(8, 55);
    for axis in [-1i64, 1] {
        let a = if axis < 0 { 2 } else { 1 };
        let cols: usize = shape[a..].iter().product();
        // W given as [8]: broadcast over the normalized shape.
        let out = run_node(
            "LayerNormalization",
            17,
            vec![("axis", Attribute::Int(axis))],
            vec![t(&shape, x.clone()), t(&[8], w.clone()), t(&[8], b.clone())],
            3,
            1,
        )
        .unwrap();
        let (mut want, mut means, mut invs) = (vec![0f32; 48], vec![], vec![]);
        for r in 0..48 / cols {
            let (m, v) = mean_var(&f64s(&x[r * cols..][..cols]));
            let inv = 1.0 / (v + 1e-5).sqrt();
            means.push(m as f32);
            invs.push(inv as f32);
            for j in 0..cols {
                want[r * cols + j] = ((x[r * cols + j] as f64 - m) * inv * w[j % 8] as f64 + b[j % 8] as f64) as f32;
            }
        }
        assert_all_close(&f32_out(&out[0]).1, &want, 1e-5, 1e-6);
        let (ms, mv) = f32_out(&out[1]);
        let mut stat_shape = shape[..a].to_vec();
        stat_shape.resize(3, 1);
        assert_eq!(ms, stat_shape);
        assert_all_close(&mv, &means, 1e-5, 1e-6);
        assert_all_close(&f32_out(&out[2]).1, &invs, 1e-5, 1e-6);

        let out = run_node("RMSNormalization", 23, vec![("axis", Attribute::Int(axis))], vec![t(&shape, x.clone()), t(&[8], w.clone())], 1, 4).unwrap();
        let mut want = vec![0f32; 48];
        for r in 0..48 / cols {
            let row = &x[r * cols..][..cols];
            let ms = row.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / cols as f64;
            for j in 0..cols {
                want[r * cols + j] = (row[j] as f64 / (ms + 1e-5).sqrt() * w[j % 8] as f64) as f32;
            }
        }
        assert_all_close(&f32_out(&out[0]).1, &want, 1e-5, 1e-6);
    }
    // f16 input: Y in f16, statistics in float (stash_type 1).
    let xh: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
    let wh: Vec<f16> = vec![f16::ONE; 8];
    let out = run_node("LayerNormalization", 17, vec![], vec![t(&shape, xh), t(&[8], wh)], 3, 1).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().dtype(), DataType::Float16);
    assert_eq!(out[1].as_tensor().unwrap().dtype(), DataType::Float);
    // Scale that does not broadcast.
    let e = run_node("LayerNormalization", 17, vec![], vec![t(&shape, x), t(&[3], vec![1f32; 3])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
}

#[test]
fn lrn_lp_mvn() {
    let (n, c, hw) = (2usize, 5usize, 3usize);
    let x = rand_vec(n * c * hw, 56);
    let (alpha, beta, bias, size) = (1e-3f64, 0.75f64, 2.0f64, 4usize);
    let out = run_node(
        "LRN",
        13,
        vec![("alpha", Attribute::Float(alpha as f32)), ("beta", Attribute::Float(beta as f32)), ("bias", Attribute::Float(bias as f32)), ("size", Attribute::Int(size as i64))],
        vec![t(&[n, c, hw], x.clone())],
        1,
        1,
    )
    .unwrap();
    let mut want = vec![0f32; x.len()];
    for ni in 0..n {
        for ci in 0..c {
            for j in 0..hw {
                let lo = ci.saturating_sub((size - 1) / 2);
                let hi = (ci + (size - 1).div_ceil(2)).min(c - 1);
                let sq: f64 = (lo..=hi).map(|k| (x[(ni * c + k) * hw + j] as f64).powi(2)).sum();
                let i = (ni * c + ci) * hw + j;
                want[i] = (x[i] as f64 / (bias + alpha / size as f64 * sq).powf(beta)) as f32;
            }
        }
    }
    assert_all_close(&f32_out(&out[0]).1, &want, 1e-5, 1e-6);

    let out = run_node("LpNormalization", 22, vec![("axis", Attribute::Int(0)), ("p", Attribute::Int(1))], vec![t(&[2, 2], vec![3.0f32, 0.0, -1.0, 0.0])], 1, 1).unwrap();
    assert_eq!(f32_out(&out[0]).1, vec![0.75, 0.0, -0.25, 0.0], "L1 uses |x|; a zero norm gives 0");
    let out = run_node("LpNormalization", 22, vec![], vec![t(&[1, 2], vec![3.0f32, 4.0])], 1, 1).unwrap();
    assert_eq!(f32_out(&out[0]).1, vec![0.6, 0.8]);

    let out = run_node("MeanVarianceNormalization", 13, vec![("axes", Attribute::Ints(vec![0, 2]))], vec![t(&[n, c, hw], x.clone())], 1, 1).unwrap();
    let mut want = vec![0f32; x.len()];
    for ci in 0..c {
        let idx: Vec<usize> = (0..n).flat_map(|ni| (0..hw).map(move |j| (ni * c + ci) * hw + j)).collect();
        let (m, v) = mean_var(&idx.iter().map(|&i| x[i] as f64).collect::<Vec<_>>());
        for i in idx {
            want[i] = ((x[i] as f64 - m) / (v.sqrt() + 1e-9)) as f32;
        }
    }
    assert_all_close(&f32_out(&out[0]).1, &want, 1e-5, 1e-6);
}

#[test]
fn dropout_inference_and_seeded_training() {
    let x = rand_vec(1000, 57);
    // Inference: identity and an all-true mask (all-ones in the data type before 10).
    let out = run_node("Dropout", 13, vec![], vec![t(&[1000], x.clone())], 2, 1).unwrap();
    assert_eq!(f32_out(&out[0]).1, x);
    assert!(out[1].as_tensor().unwrap().data::<bool>().unwrap().iter().all(|&m| m));
    let out = run_node("Dropout", 7, vec![("ratio", Attribute::Float(0.3))], vec![t(&[1000], x.clone())], 2, 1).unwrap();
    assert_eq!(f32_out(&out[0]).1, x);
    assert_eq!(f32_out(&out[1]).1, vec![1.0; 1000]);
    // Training with a seed: deterministic, kept elements scaled by 1/(1-ratio).
    let run = |seed: i64| {
        run_node(
            "Dropout",
            13,
            vec![("seed", Attribute::Int(seed))],
            vec![t(&[1000], x.clone()), t(&[], vec![0.25f32]), t(&[], vec![true])],
            2,
            1,
        )
        .unwrap()
    };
    let (a, b) = (run(7), run(7));
    assert_eq!(f32_out(&a[0]).1, f32_out(&b[0]).1);
    let mask = a[1].as_tensor().unwrap().data::<bool>().unwrap().to_vec();
    let kept = mask.iter().filter(|&&m| m).count();
    assert!((700..800).contains(&kept), "kept {kept} of 1000 at ratio 0.25");
    for ((y, xv), m) in f32_out(&a[0]).1.iter().zip(&x).zip(&mask) {
        assert_eq!(*y, if *m { xv * (1.0f32 / 0.75) } else { 0.0 });
    }
    let e = run_node("Dropout", 13, vec![], vec![t(&[2], vec![1f32, 2.0]), t(&[], vec![1.0f32]), t(&[], vec![true])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let _: Option<Value> = None;
}
