//! Window generators (HannWindow, HammingWindow, BlackmanWindow) and MelWeightMatrix
//! (opset 17). Values are computed in f64 and cast to `output_datatype` with Cast's rules.

use super::scalar_i64;
use crate::util::convert::{cast_tensor, CastOpts};
use crate::util::elems::check_size;
use onnxrun_core::{bail, ensure, err, DataType, Kernel, NodeInfo, OpContext, Result, Tensor};
use std::f64::consts::PI;

/// The element types T2/T3 of these ops allow.
const OUT_TYPES: &[DataType] = &[
    DataType::Float,
    DataType::Double,
    DataType::Float16,
    DataType::Bfloat16,
    DataType::Int8,
    DataType::Int16,
    DataType::Int32,
    DataType::Int64,
    DataType::Uint8,
    DataType::Uint16,
    DataType::Uint32,
    DataType::Uint64,
];

fn output_datatype(node: &NodeInfo) -> Result<DataType> {
    let v = node.int_or("output_datatype", DataType::Float as i64)?;
    let dt = i32::try_from(v).ok().and_then(|v| DataType::from_i32(v).ok());
    match dt {
        Some(dt) if OUT_TYPES.contains(&dt) => Ok(dt),
        _ => bail!(InvalidGraph, "{}: output_datatype {v} is not a real numeric tensor type", node.describe()),
    }
}

fn f64_output(dt: DataType, shape: Vec<usize>, v: Vec<f64>) -> Result<Tensor> {
    let t = Tensor::from_vec(shape, v)?;
    if dt == DataType::Double {
        return Ok(t);
    }
    cast_tensor(&t, dt, CastOpts::default(), None)
}

#[derive(Clone, Copy)]
pub(super) enum Shape {
    Hann,
    Hamming,
    Blackman,
}

struct Window {
    shape: Shape,
    periodic: bool,
    dtype: DataType,
}

pub(super) fn create(node: &NodeInfo, shape: Shape) -> Result<Box<dyn Kernel>> {
    let periodic = node.int_or("periodic", 1)?;
    ensure!(periodic == 0 || periodic == 1, InvalidGraph, "{}: attribute 'periodic' must be 0 or 1, got {periodic}", node.describe());
    Ok(Box::new(Window { shape, periodic: periodic == 1, dtype: output_datatype(node)? }))
}

impl Kernel for Window {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node;
        let size = scalar_i64(ctx, 0, "size")?.ok_or_else(|| err!(InvalidArgument, "{}: size is required", node.describe()))?;
        ensure!(size >= 0, InvalidArgument, "{}: size must not be negative, got {size}", node.describe());
        let size = size as usize;
        check_size(self.dtype, &[size])?;
        // Periodic windows are the first `size` points of a symmetric window of size + 1.
        // A symmetric window of size 1 divides 0 by 0 (NaN), as onnxruntime and the
        // reference implementation give.
        let denom = if self.periodic { size as f64 } else { size as f64 - 1.0 };
        let v: Vec<f64> = (0..size)
            .map(|k| {
                let t = 2.0 * PI * k as f64 / denom;
                match self.shape {
                    Shape::Hann => 0.5 - 0.5 * t.cos(),
                    Shape::Hamming => 25.0 / 46.0 - 21.0 / 46.0 * t.cos(),
                    // Summed in this order the ends come out exactly 0 and the peak exactly 1.
                    Shape::Blackman => (0.42 + 0.08 * (2.0 * t).cos()) - 0.5 * t.cos(),
                }
            })
            .collect();
        ctx.set_output(0, f64_output(self.dtype, vec![size], v)?)
    }
}

struct MelWeightMatrix {
    dtype: DataType,
}

pub(super) fn create_mel(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(MelWeightMatrix { dtype: output_datatype(node)? }))
}

fn scalar_f64(ctx: &OpContext<'_>, i: usize, what: &str) -> Result<f64> {
    let t = ctx.input(i)?;
    ensure!(t.len() == 1 && t.rank() <= 1, InvalidArgument, "{}: {what} must be a scalar, got shape {:?}", ctx.node.describe(), t.shape());
    Ok(t.to_f64_vec()?[0])
}

impl Kernel for MelWeightMatrix {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node;
        let req = |i: usize, what: &str| -> Result<i64> {
            scalar_i64(ctx, i, what)?.ok_or_else(|| err!(InvalidArgument, "{}: {what} is required", node.describe()))
        };
        let (mel_bins, dft_length, sample_rate) = (req(0, "num_mel_bins")?, req(1, "dft_length")?, req(2, "sample_rate")?);
        let (lower, upper) = (scalar_f64(ctx, 3, "lower_edge_hertz")?, scalar_f64(ctx, 4, "upper_edge_hertz")?);
        ensure!(mel_bins >= 0, InvalidArgument, "{}: num_mel_bins must not be negative, got {mel_bins}", node.describe());
        ensure!(dft_length > 0, InvalidArgument, "{}: dft_length must be positive, got {dft_length}", node.describe());
        ensure!(sample_rate > 0, InvalidArgument, "{}: sample_rate must be positive, got {sample_rate}", node.describe());
        let mels = mel_bins as usize;
        let spec_bins = (dft_length / 2 + 1) as usize;
        check_size(self.dtype, &[spec_bins, mels])?;

        // Band edges: num_mel_bins + 2 points evenly spaced on the mel scale, mapped to
        // spectrogram bin indices.
        let to_mel = |hz: f64| 2595.0 * (hz / 700.0).ln_1p() / 10f64.ln();
        let (low_mel, high_mel) = (to_mel(lower), to_mel(upper));
        let step = (high_mel - low_mel) / (mels + 2) as f64;
        let mut edges = Vec::with_capacity(mels + 2);
        for i in 0..mels + 2 {
            let hz = 700.0 * ((low_mel + step * i as f64) / 2595.0 * 10f64.ln()).exp_m1();
            let idx = ((dft_length + 1) as f64 * hz / sample_rate as f64).floor();
            ensure!(
                idx >= 0.0 && idx < spec_bins as f64,
                InvalidArgument,
                "{}: the mel band edges [{lower}, {upper}] Hz fall outside the {spec_bins} bins of a {dft_length}-point DFT at {sample_rate} Hz",
                node.describe()
            );
            edges.push(idx as usize);
        }
        let mut out = vec![0.0f64; spec_bins * mels];
        for i in 0..mels {
            let (lo, center, hi) = (edges[i], edges[i + 1], edges[i + 2]);
            if center == lo {
                out[center * mels + i] = 1.0;
            } else if lo < center {
                for j in lo..=center {
                    out[j * mels + i] = (j - lo) as f64 / (center - lo) as f64;
                }
            }
            if hi > center {
                for j in center..hi {
                    out[j * mels + i] = (hi - j) as f64 / (hi - center) as f64;
                }
            }
        }
        ctx.set_output(0, f64_output(self.dtype, vec![spec_bins, mels], out)?)
    }
}
