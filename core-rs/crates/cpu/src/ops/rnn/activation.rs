//! The activation functions RNN/GRU/LSTM accept in their `activations` attribute, with
//! `activation_alpha`/`activation_beta` handed out in list order to the functions that
//! take them (as onnxruntime does). Names are matched case-insensitively.

use super::calc::Calc;
use crate::util::real::Acc;
use onnxrun_core::{bail, NodeInfo, Result};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Act {
    Relu,
    Tanh,
    Sigmoid,
    Affine(f32, f32),
    LeakyRelu(f32),
    ThresholdedRelu(f32),
    ScaledTanh(f32, f32),
    HardSigmoid(f32, f32),
    Elu(f32),
    Softsign,
    Softplus,
}

/// Which parameters a function takes, and their defaults. The defaults are those of
/// the ONNX operators of the same name (ThresholdedRelu 1.0, HardSigmoid 0.2/0.5, Elu 1.0,
/// LeakyRelu 0.01); Affine and ScaledTanh default to the identity-like 1.0 / 0.0 and 1.0 / 1.0.
fn params(name: &str) -> Option<(Option<f32>, Option<f32>)> {
    Some(match name {
        "relu" | "tanh" | "sigmoid" | "softsign" | "softplus" => (None, None),
        "affine" => (Some(1.0), Some(0.0)),
        "leakyrelu" => (Some(0.01), None),
        "thresholdedrelu" => (Some(1.0), None),
        "scaledtanh" => (Some(1.0), Some(1.0)),
        "hardsigmoid" => (Some(0.2), Some(0.5)),
        "elu" => (Some(1.0), None),
        _ => return None,
    })
}

/// Parses the node's activations: `defaults` (one direction's list) when the attribute is
/// absent, repeated per direction.
pub fn parse(node: &NodeInfo, defaults: &[&str], dirs: usize) -> Result<Vec<Act>> {
    let per = defaults.len();
    let mut names = match node.get_strings("activations")? {
        Some(v) => v,
        None => defaults.iter().cycle().take(per * dirs).map(|s| s.to_string()).collect(),
    };
    // RNN's schema once defaulted to ["Tanh", "Tanh"]; a one-direction RNN given two uses the first.
    if per == 1 && dirs == 1 && names.len() == 2 {
        names.truncate(1);
    }
    if names.len() != per * dirs {
        bail!(
            InvalidGraph,
            "{}: 'activations' must list {} functions ({per} per direction), got {}",
            node.describe(),
            per * dirs,
            names.len()
        );
    }
    let alphas = node.get_floats("activation_alpha")?.unwrap_or_default();
    let betas = node.get_floats("activation_beta")?.unwrap_or_default();
    let (mut ai, mut bi) = (alphas.iter(), betas.iter());
    names
        .iter()
        .map(|n| {
            let lower = n.to_ascii_lowercase();
            let Some((da, db)) = params(&lower) else {
                bail!(InvalidGraph, "{}: unknown activation function '{n}'", node.describe());
            };
            let a = da.map(|d| ai.next().copied().unwrap_or(d)).unwrap_or(0.0);
            let b = db.map(|d| bi.next().copied().unwrap_or(d)).unwrap_or(0.0);
            Ok(match lower.as_str() {
                "relu" => Act::Relu,
                "tanh" => Act::Tanh,
                "sigmoid" => Act::Sigmoid,
                "softsign" => Act::Softsign,
                "softplus" => Act::Softplus,
                "affine" => Act::Affine(a, b),
                "leakyrelu" => Act::LeakyRelu(a),
                "thresholdedrelu" => Act::ThresholdedRelu(a),
                "scaledtanh" => Act::ScaledTanh(a, b),
                "hardsigmoid" => Act::HardSigmoid(a, b),
                _ => Act::Elu(a),
            })
        })
        .collect()
}

impl Act {
    /// `x = act(x)`, matched once per slice so the loops stay tight.
    pub fn apply<F: Calc>(self, x: &mut [F]) {
        let c = F::from_f64;
        let (zero, one) = (<F as Acc>::ZERO, <F as Acc>::ONE);
        match self {
            Act::Relu => x.iter_mut().for_each(|v| *v = v.max(zero)),
            Act::Tanh => F::tanh_slice(x),
            Act::Sigmoid => F::sigmoid_slice(x),
            Act::Affine(a, b) => {
                let (a, b) = (c(a as f64), c(b as f64));
                x.iter_mut().for_each(|v| *v = a * *v + b)
            }
            Act::LeakyRelu(a) => {
                let a = c(a as f64);
                x.iter_mut().for_each(|v| *v = if *v >= zero { *v } else { a * *v })
            }
            Act::ThresholdedRelu(a) => {
                let a = c(a as f64);
                x.iter_mut().for_each(|v| *v = if *v >= a { *v } else { zero })
            }
            Act::ScaledTanh(a, b) => {
                let (a, b) = (c(a as f64), c(b as f64));
                x.iter_mut().for_each(|v| *v = b * *v);
                F::tanh_slice(x);
                x.iter_mut().for_each(|v| *v = a * *v)
            }
            Act::HardSigmoid(a, b) => {
                let (a, b) = (c(a as f64), c(b as f64));
                x.iter_mut().for_each(|v| *v = (a * *v + b).max(zero).min(one))
            }
            Act::Elu(a) => {
                let a = c(a as f64);
                x.iter_mut().for_each(|v| *v = if *v >= zero { *v } else { a * (v.exp() - one) })
            }
            Act::Softsign => x.iter_mut().for_each(|v| *v = *v / (one + v.abs())),
            // log(1 + e^x) without overflow: max(x, 0) + log(1 + e^-|x|).
            Act::Softplus => x.iter_mut().for_each(|v| *v = v.max(zero) + (one + (-v.abs()).exp()).ln()),
        }
    }
}
