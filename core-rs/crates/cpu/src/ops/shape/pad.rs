//! Pad (constant, reflect, edge, wrap; negative pads crop first) and CenterCropPad.

use crate::util::elems::{alloc, check_size, norm_axis, strides, AtNode, Elem};
use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::with_elem;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, err, DataType, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Pad", 1, pad));
    r.register(KernelDef::new("", "CenterCropPad", 18, center_crop_pad));
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    Constant,
    Reflect,
    Edge,
    Wrap,
}

/// A one-element tensor of `dt` holding `v` (Pad's float `value` attribute, opset < 11).
fn scalar_as(dt: DataType, v: f64) -> Result<Tensor> {
    Ok(match dt {
        DataType::Float => Tensor::scalar(v as f32),
        DataType::Double => Tensor::scalar(v),
        DataType::Float16 => Tensor::scalar(f16::from_f64(v)),
        DataType::Bfloat16 => Tensor::scalar(bf16::from_f64(v)),
        DataType::Int8 => Tensor::scalar(v as i8),
        DataType::Int16 => Tensor::scalar(v as i16),
        DataType::Int32 => Tensor::scalar(v as i32),
        DataType::Int64 => Tensor::scalar(v as i64),
        DataType::Uint8 => Tensor::scalar(v as u8),
        DataType::Uint16 => Tensor::scalar(v as u16),
        DataType::Uint32 => Tensor::scalar(v as u32),
        DataType::Uint64 => Tensor::scalar(v as u64),
        DataType::Bool => Tensor::scalar(v != 0.0),
        _ if v == 0.0 => Tensor::zeros(dt, vec![])?,
        _ => bail!(InvalidArgument, "cannot pad {dt} with {v}"),
    })
}

fn pad(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let mode = match node.string_or("mode", "constant")?.as_str() {
        "constant" => Mode::Constant,
        "reflect" => Mode::Reflect,
        "edge" => Mode::Edge,
        "wrap" if node.opset >= 19 => Mode::Wrap,
        m => bail!(InvalidGraph, "{}: unsupported mode '{m}'", node.describe()),
    };
    // Before opset 11, pads and the value are attributes.
    let attr_pads = if node.opset < 11 {
        let name = if node.opset < 2 { "paddings" } else { "pads" };
        Some(node.get_ints(name)?.ok_or_else(|| err!(InvalidGraph, "{}: attribute '{name}' is missing", node.describe()))?)
    } else {
        None
    };
    let attr_value = node.float_or("value", 0.0)? as f64;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let x = ctx.input(0)?;
        let rank = x.rank();
        let (pads, value, axes) = match &attr_pads {
            Some(p) => (p.clone(), scalar_as(x.dtype(), attr_value).at(node)?, None),
            None => {
                let pads = ctx.input(1)?.to_i64_vec().at(node)?;
                let value = match ctx.opt_input(2)? {
                    Some(v) if !v.is_empty() => {
                        ensure!(v.dtype() == x.dtype(), InvalidArgument, "{}: constant_value is {} but data is {}", node.describe(), v.dtype(), x.dtype());
                        v.clone()
                    }
                    _ => scalar_as(x.dtype(), 0.0).at(node)?,
                };
                let axes = match ctx.opt_input(3)? {
                    Some(a) => Some(a.to_i64_vec().at(node)?),
                    None => None,
                };
                (pads, value, axes)
            }
        };
        let axes: Vec<usize> = match axes {
            Some(a) => a.iter().map(|&v| norm_axis(v, rank, "Pad")).collect::<Result<_>>().at(node)?,
            None => (0..rank).collect(),
        };
        let n = axes.len();
        ensure!(pads.len() == 2 * n, InvalidArgument, "{}: pads has {} entries, expected {}", node.describe(), pads.len(), 2 * n);
        let mut begin = vec![0i64; rank];
        let mut end = vec![0i64; rank];
        for (i, &a) in axes.iter().enumerate() {
            begin[a] = pads[i];
            end[a] = pads[n + i];
        }
        let pool = pool_for(ctx, x.len());
        let y = pad_tensor(x, &begin, &end, mode, &value, pool).at(node)?;
        ctx.set_output(0, y)
    })))
}

/// The size of a dim of `dim` after padding by `begin`/`end` (negative = crop).
fn padded_dim(dim: usize, begin: i64, end: i64) -> Result<usize> {
    let crop = begin.min(0) as i128 + end.min(0) as i128;
    let v = dim as i128 + begin as i128 + end as i128;
    ensure!(v >= 0 && dim as i128 + crop >= 0, InvalidArgument, "pads ({begin}, {end}) crop more than the dimension of size {dim}");
    usize::try_from(v).map_err(|_| err!(InvalidArgument, "padded size {v} is too large"))
}

/// For one dim: the source index of each output index (None = the constant).
fn dim_map(dim: usize, begin: i64, end: i64, mode: Mode) -> Result<Vec<Option<usize>>> {
    // Negative pads crop the input first; the rest pads the cropped range.
    let (cb, ce) = (begin.saturating_neg().max(0) as usize, end.saturating_neg().max(0) as usize);
    ensure!(cb + ce <= dim, InvalidArgument, "pads ({begin}, {end}) crop more than the dimension of size {dim}");
    let e = dim - cb - ce;
    let (pb, pe) = (begin.max(0) as usize, end.max(0) as usize);
    let out = e.checked_add(pb).and_then(|v| v.checked_add(pe)).ok_or_else(|| err!(InvalidArgument, "padded size overflows"))?;
    ensure!(
        mode == Mode::Constant || e > 0 || pb + pe == 0,
        InvalidArgument,
        "cannot {mode:?}-pad an empty dimension"
    );
    let mut map = Vec::with_capacity(out);
    for o in 0..out {
        let t = o as i64 - pb as i64;
        let e = e as i64;
        let src = if (0..e).contains(&t) {
            Some(t)
        } else {
            match mode {
                Mode::Constant => None,
                Mode::Edge => Some(t.clamp(0, e - 1)),
                Mode::Wrap => Some(t.rem_euclid(e)),
                Mode::Reflect => {
                    if e == 1 {
                        Some(0)
                    } else {
                        let p = 2 * (e - 1);
                        let r = t.rem_euclid(p);
                        Some(if r >= e { p - r } else { r })
                    }
                }
            }
        };
        map.push(src.map(|s| s as usize + cb));
    }
    Ok(map)
}

/// Contiguous pieces of a row map: (output start, length, source start or None).
fn segments(map: &[Option<usize>]) -> Vec<(usize, usize, Option<usize>)> {
    let mut segs: Vec<(usize, usize, Option<usize>)> = Vec::new();
    for (o, &s) in map.iter().enumerate() {
        if let Some(last) = segs.last_mut() {
            let extends = match (last.2, s) {
                (None, None) => true,
                (Some(a), Some(b)) => a + last.1 == b,
                _ => false,
            };
            if extends {
                last.1 += 1;
                continue;
            }
        }
        segs.push((o, 1, s));
    }
    segs
}

/// Pads (or crops, for negative entries) each dim of `x` by `begin`/`end`.
pub fn pad_tensor(x: &Tensor, begin: &[i64], end: &[i64], mode: Mode, value: &Tensor, pool: Option<&onnxrun_linalg::ThreadPool>) -> Result<Tensor> {
    let shape = x.shape();
    let rank = shape.len();
    if rank == 0 {
        return Ok(x.clone());
    }
    // Size-check the output before building per-dim maps as long as its dims.
    let out_shape = (0..rank).map(|d| padded_dim(shape[d], begin[d], end[d])).collect::<Result<Vec<_>>>()?;
    if check_size(x.dtype(), &out_shape)? == 0 {
        // Dims may still be huge; no maps are needed for an empty output.
        return Tensor::zeros(x.dtype(), out_shape);
    }
    let maps = (0..rank).map(|d| dim_map(shape[d], begin[d], end[d], mode)).collect::<Result<Vec<_>>>()?;
    let ist = strides(shape);
    let last = out_shape[rank - 1];
    let segs = segments(&maps[rank - 1]);
    with_elem!(x.dtype(), T => {
        let src = T::view(x)?;
        let fillv = T::view(value)?.first().cloned().unwrap_or_default();
        let mut out = alloc::<T>(x.dtype(), &out_shape)?;
        if last > 0 && !out.is_empty() {
            let rows_per = (4096 / last).max(1);
            for_chunks_mut(pool, &mut out, rows_per * last, |c, chunk| {
                for (k, dst) in chunk.chunks_mut(last).enumerate() {
                    let mut row = c * rows_per + k;
                    let mut off = Some(0usize);
                    for d in (0..rank - 1).rev() {
                        let i = row % out_shape[d];
                        row /= out_shape[d];
                        off = match (off, maps[d][i]) {
                            (Some(o), Some(s)) => Some(o + s * ist[d]),
                            _ => None,
                        };
                    }
                    match off {
                        None => dst.fill(fillv.clone()),
                        Some(o) => {
                            for &(at, len, s) in &segs {
                                match s {
                                    Some(s) => dst[at..at + len].clone_from_slice(&src[o + s..o + s + len]),
                                    None => dst[at..at + len].fill(fillv.clone()),
                                }
                            }
                        }
                    }
                }
            })?;
        }
        T::build(x.dtype(), out_shape, out)
    })
}

fn center_crop_pad(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axes = node.get_ints("axes")?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (x, s) = (ctx.input(0)?, ctx.input(1)?);
        let rank = x.rank();
        let want = s.to_i64_vec().at(node)?;
        let axes: Vec<usize> = match &axes {
            Some(a) => a.iter().map(|&v| norm_axis(v, rank, "CenterCropPad")).collect::<Result<_>>().at(node)?,
            None => (0..rank).collect(),
        };
        ensure!(want.len() == axes.len(), InvalidArgument, "{}: shape has {} entries for {} axes", node.describe(), want.len(), axes.len());
        let mut begin = vec![0i64; rank];
        let mut end = vec![0i64; rank];
        for (&a, &w) in axes.iter().zip(&want) {
            ensure!(w >= 0, InvalidArgument, "{}: negative target size {w}", node.describe());
            let d = x.shape()[a] as i64;
            // Crop or pad by the difference, the smaller half first.
            let diff = w - d;
            let half = diff.abs() / 2;
            let (b, e) = (half, diff.abs() - half);
            if diff >= 0 {
                begin[a] = b;
                end[a] = e;
            } else {
                begin[a] = -b;
                end[a] = -e;
            }
        }
        let zero = scalar_as(x.dtype(), 0.0).at(node)?;
        let pool = pool_for(ctx, x.len());
        let y = pad_tensor(x, &begin, &end, Mode::Constant, &zero, pool).at(node)?;
        ctx.set_output(0, y)
    })))
}
