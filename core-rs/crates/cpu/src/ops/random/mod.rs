//! Random generators: RandomNormal, RandomUniform (opset 1-22), their *Like forms,
//! Multinomial (7-22) and Bernoulli (15-22).
//!
//! Draws follow numpy's legacy `RandomState` (MT19937, 53-bit uniforms, polar-method
//! normals, inversion binomials), so a node with a `seed` attribute gives exactly what
//! the ONNX reference implementation gives, on every run and in every session: each run
//! starts a fresh generator from the seed. Without a seed, a node draws from its own
//! generator, seeded once when the session is created and advancing from run to run.

mod bernoulli;
mod draw;
mod generate;
mod multinomial;

use crate::util::mt19937::fresh_seed;
use draw::NpRandom;
use onnxrun_core::{DataType, KernelDef, KernelRegistry, NodeInfo, Result, Dim, InferCtx, OpFacts};
use std::sync::Mutex;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "RandomNormal", 1, generate::normal));
    r.register(KernelDef::new("", "RandomUniform", 1, generate::uniform));
    r.register(KernelDef::new("", "RandomNormalLike", 1, generate::normal_like));
    r.register(KernelDef::new("", "RandomUniformLike", 1, generate::uniform_like));
    r.register(KernelDef::new("", "Multinomial", 7, multinomial::make));
    r.register(KernelDef::new("", "Bernoulli", 15, bernoulli::make));
    // Draws are not a function of the inputs: never folded.
    r.facts_all("", &["RandomNormal", "RandomUniform"], OpFacts::new(random).not_foldable());
    r.facts_all("", &["RandomNormalLike", "RandomUniformLike", "Bernoulli"], OpFacts::new(random_like).not_foldable());
    r.facts("", "Multinomial", OpFacts::new(multinomial_facts).not_foldable());
}

fn random(cx: &mut InferCtx<'_>) {
    let d = cx.dtype_attr("dtype").unwrap_or(DataType::Float);
    cx.set_tensor(0, d, cx.ints_attr("shape").map(|s| s.into_iter().map(Dim::Known).collect()));
}

fn random_like(cx: &mut InferCtx<'_>) {
    if let Some(d) = cx.dtype_attr("dtype").or(cx.dtype(0)) {
        cx.set_tensor(0, d, cx.shape(0).map(<[Dim]>::to_vec));
    }
}

fn multinomial_facts(cx: &mut InferCtx<'_>) {
    let d = cx.dtype_attr("dtype").unwrap_or(DataType::Int32);
    let batch = cx.shape(0).and_then(|s| s.first().cloned()).unwrap_or(Dim::Unknown);
    cx.set_tensor(0, d, Some(vec![batch, Dim::Known(cx.int_or("sample_size", 1))]));
}

/// Where a node's draws come from.
pub(crate) enum Source {
    /// A fresh RandomState(seed) per run.
    Seeded(u32),
    /// The node's generator for the session's lifetime.
    Session(Box<Mutex<NpRandom>>),
}

impl Source {
    /// From the float `seed` attribute. Like the reference, the seed is truncated to an
    /// integer (a NaN seed counts as none); values outside [0, 2^32) wrap to 32 bits.
    pub fn from_node(node: &NodeInfo) -> Result<Source> {
        Ok(match node.get_float("seed")? {
            Some(s) if !s.is_nan() => Source::Seeded((s.trunc() as i64) as u32),
            _ => Source::Session(Box::new(Mutex::new(NpRandom::new(fresh_seed())))),
        })
    }

    pub fn draw<R>(&self, f: impl FnOnce(&mut NpRandom) -> R) -> R {
        match self {
            Source::Seeded(s) => f(&mut NpRandom::new(*s)),
            // A poisoned lock only means another run panicked mid-draw; the state is still usable.
            Source::Session(m) => f(&mut m.lock().unwrap_or_else(|e| e.into_inner())),
        }
    }
}

/// The float element types the generators produce.
pub(crate) fn is_float(dt: DataType) -> bool {
    matches!(dt, DataType::Float | DataType::Double | DataType::Float16 | DataType::Bfloat16)
}
