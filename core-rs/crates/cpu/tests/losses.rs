//! SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss: reductions, weights,
//! ignore_index, the log-prob output and bad targets.

mod math_support;
use math_support::*;
use onnxrun_core::{Attribute, ErrorCode};

/// (per-element losses, per-element weights) of NLL over log-probs `lp` [n, c, d].
fn nll(lp: &[f32], t: &[i64], w: Option<&[f32]>, ii: Option<i64>, n: usize, c: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut l, mut ws) = (vec![], vec![]);
    for ni in 0..n {
        for di in 0..d {
            let ti = t[ni * d + di];
            if Some(ti) == ii {
                l.push(0.0);
                ws.push(0.0);
                continue;
            }
            let wi = w.map_or(1.0, |w| w[ti as usize] as f64);
            l.push(-(lp[(ni * c + ti as usize) * d + di] as f64) * wi);
            ws.push(wi);
        }
    }
    (l, ws)
}

fn log_softmax(x: &[f32], n: usize, c: usize, d: usize) -> Vec<f32> {
    let mut y = vec![0f32; x.len()];
    for ni in 0..n {
        for di in 0..d {
            let at = |ci: usize| (ni * c + ci) * d + di;
            let m = (0..c).map(|ci| x[at(ci)] as f64).fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = (0..c).map(|ci| (x[at(ci)] as f64 - m).exp()).sum();
            for ci in 0..c {
                y[at(ci)] = (x[at(ci)] as f64 - m - s.ln()) as f32;
            }
        }
    }
    y
}

#[test]
fn all_reductions_weights_and_ignore_index() {
    let (n, c, d) = (3usize, 5usize, 4usize);
    let x = rand_vec(n * c * d, 61);
    let tgt: Vec<i64> = (0..n * d).map(|i| (i * 7 % c) as i64).collect();
    let w = vec![0.5f32, 1.0, 2.0, 1.5, 0.25];
    let lp = log_softmax(&x, n, c, d);
    for op in ["SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss"] {
        let input = if op == "NegativeLogLikelihoodLoss" { lp.clone() } else { x.clone() };
        for red in ["none", "sum", "mean"] {
            for weighted in [false, true] {
                for ii in [None, Some(2i64)] {
                    let mut attrs = vec![("reduction", Attribute::String(red.as_bytes().to_vec()))];
                    if let Some(i) = ii {
                        attrs.push(("ignore_index", Attribute::Int(i)));
                    }
                    let mut inputs = vec![t(&[n, c, d], input.clone()), t(&[n, d], tgt.clone())];
                    if weighted {
                        inputs.push(t(&[c], w.clone()));
                    }
                    let n_out = if op == "SoftmaxCrossEntropyLoss" { 2 } else { 1 };
                    let out = run_node(op, 13, attrs, inputs, n_out, 1).unwrap();
                    let (l, ws) = nll(&lp, &tgt, weighted.then_some(&w[..]), ii, n, c, d);
                    let want: Vec<f32> = match red {
                        "none" => l.iter().map(|&v| v as f32).collect(),
                        "sum" => vec![l.iter().sum::<f64>() as f32],
                        _ if weighted || ii.is_some() => vec![(l.iter().sum::<f64>() / ws.iter().sum::<f64>()) as f32],
                        _ => vec![(l.iter().sum::<f64>() / l.len() as f64) as f32],
                    };
                    let (shape, got) = f32_out(&out[0]);
                    assert_eq!(shape, if red == "none" { vec![n, d] } else { vec![] });
                    assert_all_close(&got, &want, 1e-5, 1e-6);
                    if n_out == 2 {
                        assert_all_close(&f32_out(&out[1]).1, &lp, 1e-5, 1e-6);
                    }
                }
            }
        }
    }
}

#[test]
fn bad_targets_and_shapes() {
    let x = t(&[2, 3], vec![0f32; 6]);
    let e = run_node("SoftmaxCrossEntropyLoss", 13, vec![], vec![x.clone(), t(&[2], vec![0i64, 3])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let e = run_node("NegativeLogLikelihoodLoss", 13, vec![], vec![x.clone(), t(&[3], vec![0i64, 1, 2])], 1, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    // An ignored target may be out of range.
    let out = run_node(
        "NegativeLogLikelihoodLoss",
        13,
        vec![("ignore_index", Attribute::Int(-1)), ("reduction", Attribute::String(b"sum".to_vec()))],
        vec![t(&[2, 3], vec![-1f32, -2.0, -3.0, -4.0, -5.0, -6.0]), t(&[2], vec![2i64, -1])],
        1,
        1,
    )
    .unwrap();
    assert_eq!(f32_out(&out[0]).1, vec![3.0]);
}
