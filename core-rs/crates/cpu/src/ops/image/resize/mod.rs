//! Resize (opsets 10, 11, 13, 18, 19). Attributes are checked once when the kernel is
//! made; each call turns scales/sizes (and roi) into per-axis sampling tables (table.rs)
//! and runs the nearest gather (nearest.rs, any element type) or the separable
//! linear/cubic interpolation (interp.rs, numeric types). Upsample reuses all of it.

mod interp;
mod nearest;
mod table;

use super::Px;
use crate::util::elems::{check_size, Elem};
use crate::util::real::Acc;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor, Value};
use table::{AxisMap, AxisSpec};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Resize", 10, make));
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Mode {
    Nearest,
    Linear,
    Cubic,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Coord {
    HalfPixel,
    HalfPixelSymmetric,
    PytorchHalfPixel,
    AlignCorners,
    Asymmetric,
    TfHalfPixelForNn,
    TfCropAndResize,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Rounding {
    RoundPreferFloor,
    RoundPreferCeil,
    Floor,
    Ceil,
    /// Resize-10 and Upsample: ceil when shrinking, truncate when growing.
    Simple,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Policy {
    Stretch,
    NotLarger,
    NotSmaller,
}

/// Where a Resize/Upsample node takes its scales from.
#[derive(Clone, Debug)]
pub(super) enum ScalesFrom {
    /// Resize-10, Upsample-9: input 1.
    Input1,
    /// Resize-11+: roi (1), scales (2), sizes (3), all but X optional (from 13).
    Inputs,
    /// Upsample-7: the `scales` attribute.
    Attr(Vec<f64>),
}

/// Everything the node's attributes say, validated.
#[derive(Clone, Debug)]
pub(super) struct Spec {
    pub mode: Mode,
    pub coord: Coord,
    pub rounding: Rounding,
    pub cubic_a: f64,
    pub exclude_outside: bool,
    pub extrapolation: f64,
    pub antialias: bool,
    axes: Option<Vec<i64>>,
    policy: Policy,
    pub scales_from: ScalesFrom,
    /// Upsample only grows: its scales must be >= 1.
    pub min_scale_one: bool,
}

pub(super) fn parse_mode(node: &NodeInfo, s: &str, allowed: &[(&str, Mode)]) -> Result<Mode> {
    match allowed.iter().find(|(n, _)| *n == s) {
        Some((_, m)) => Ok(*m),
        None => {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            bail!(InvalidGraph, "{}: mode '{s}' is not supported at opset {} (expected one of {names:?})", node.describe(), node.opset)
        }
    }
}

/// Linear and cubic need arithmetic: refuse other element types when the type is known.
pub(super) fn check_interp_dtype(node: &NodeInfo, mode: Mode) -> Result<()> {
    if mode != Mode::Nearest {
        if let Some(dt) = node.input_dtype(0) {
            ensure!(
                is_numeric(dt),
                InvalidGraph,
                "{}: {mode:?} interpolation needs a numeric input, got {dt} (only 'nearest' moves other types)",
                node.describe()
            );
        }
    }
    Ok(())
}

pub(super) fn is_numeric(dt: DataType) -> bool {
    use DataType::*;
    matches!(dt, Float | Double | Float16 | Bfloat16 | Int8 | Int16 | Int32 | Int64 | Uint8 | Uint16 | Uint32 | Uint64)
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let d = node.describe();
    let opset = node.opset;
    let mode_s = node.string_or("mode", "nearest")?;
    if opset < 11 {
        let mode = parse_mode(node, &mode_s, &[("nearest", Mode::Nearest), ("linear", Mode::Linear)])?;
        check_interp_dtype(node, mode)?;
        return Ok(Box::new(ResizeKernel(Spec::legacy(mode, ScalesFrom::Input1, false))));
    }
    let mode = parse_mode(node, &mode_s, &[("nearest", Mode::Nearest), ("linear", Mode::Linear), ("cubic", Mode::Cubic)])?;
    check_interp_dtype(node, mode)?;
    let coord_s = node.string_or("coordinate_transformation_mode", "half_pixel")?;
    let coord = match coord_s.as_str() {
        "half_pixel" => Coord::HalfPixel,
        "half_pixel_symmetric" if opset >= 19 => Coord::HalfPixelSymmetric,
        "pytorch_half_pixel" => Coord::PytorchHalfPixel,
        "align_corners" => Coord::AlignCorners,
        "asymmetric" => Coord::Asymmetric,
        "tf_half_pixel_for_nn" if opset < 13 => Coord::TfHalfPixelForNn,
        "tf_crop_and_resize" => Coord::TfCropAndResize,
        _ => bail!(InvalidGraph, "{d}: coordinate_transformation_mode '{coord_s}' is not supported at opset {opset}"),
    };
    let near_s = node.string_or("nearest_mode", "round_prefer_floor")?;
    let rounding = match near_s.as_str() {
        "round_prefer_floor" => Rounding::RoundPreferFloor,
        "round_prefer_ceil" => Rounding::RoundPreferCeil,
        "floor" => Rounding::Floor,
        "ceil" => Rounding::Ceil,
        _ => bail!(InvalidGraph, "{d}: nearest_mode '{near_s}' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil"),
    };
    let flag = |name: &str| -> Result<bool> {
        match node.int_or(name, 0)? {
            0 => Ok(false),
            1 => Ok(true),
            v => bail!(InvalidGraph, "{d}: attribute '{name}' must be 0 or 1, got {v}"),
        }
    };
    let exclude_outside = flag("exclude_outside")?;
    let (antialias, axes, policy) = if opset >= 18 {
        let pol_s = node.string_or("keep_aspect_ratio_policy", "stretch")?;
        let policy = match pol_s.as_str() {
            "stretch" => Policy::Stretch,
            "not_larger" => Policy::NotLarger,
            "not_smaller" => Policy::NotSmaller,
            _ => bail!(InvalidGraph, "{d}: keep_aspect_ratio_policy '{pol_s}' is not one of stretch, not_larger, not_smaller"),
        };
        let axes = node.get_ints("axes")?;
        if let Some(a) = &axes {
            ensure!(!a.is_empty(), InvalidGraph, "{d}: attribute 'axes' is empty");
            for (i, v) in a.iter().enumerate() {
                ensure!(!a[..i].contains(v), InvalidGraph, "{d}: axis {v} is repeated in 'axes'");
            }
        }
        (flag("antialias")?, axes, policy)
    } else {
        (false, None, Policy::Stretch)
    };
    if coord == Coord::TfCropAndResize {
        ensure!(node.has_input(1), InvalidGraph, "{d}: tf_crop_and_resize needs the 'roi' input");
    }
    if opset < 13 {
        ensure!(node.has_input(2), InvalidGraph, "{d}: the 'scales' input is required at opset {opset}");
    }
    let cubic_a = node.float_or("cubic_coeff_a", -0.75)? as f64;
    ensure!(cubic_a.is_finite(), InvalidGraph, "{d}: cubic_coeff_a must be finite");
    let extrapolation = node.float_or("extrapolation_value", 0.0)? as f64;
    Ok(Box::new(ResizeKernel(Spec {
        mode,
        coord,
        rounding,
        cubic_a,
        exclude_outside,
        extrapolation,
        antialias,
        axes,
        policy,
        scales_from: ScalesFrom::Inputs,
        min_scale_one: false,
    })))
}

pub(super) struct ResizeKernel(pub Spec);

impl Spec {
    /// Resize-10 and Upsample: asymmetric coordinates, "simple" nearest rounding.
    pub(super) fn legacy(mode: Mode, scales_from: ScalesFrom, min_scale_one: bool) -> Spec {
        Spec {
            mode,
            coord: Coord::Asymmetric,
            rounding: Rounding::Simple,
            cubic_a: -0.75,
            exclude_outside: false,
            extrapolation: 0.0,
            antialias: false,
            axes: None,
            policy: Policy::Stretch,
            scales_from,
            min_scale_one,
        }
    }
}

impl Kernel for ResizeKernel {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let x = ctx.input(0)?;
        let y = self.0.run(ctx, x).map_err(|e| e.context(ctx.node.describe()))?;
        ctx.set_output(0, y)
    }
}

/// Input `i` when given and not empty (an empty tensor stands for "not given").
fn given<'a>(ctx: &OpContext<'a>, i: usize) -> Result<Option<&'a Tensor>> {
    Ok(ctx.opt_input(i)?.filter(|t| !t.is_empty()))
}

fn floats(t: &Tensor, what: &str) -> Result<Vec<f64>> {
    ensure!(t.dtype().is_float(), InvalidArgument, "'{what}' must be a float tensor, got {}", t.dtype());
    t.to_f64_vec()
}

impl Spec {
    fn run(&self, ctx: &OpContext<'_>, x: &Tensor) -> Result<Value> {
        let shape = x.shape();
        let r = shape.len();
        let axes: Vec<usize> = match &self.axes {
            None => (0..r).collect(),
            Some(a) => {
                let mut v = Vec::with_capacity(a.len());
                for &ax in a {
                    ensure!((-(r as i64)..r as i64).contains(&ax), InvalidArgument, "axis {ax} is out of range for rank {r}");
                    let n = if ax < 0 { (ax + r as i64) as usize } else { ax as usize };
                    ensure!(!v.contains(&n), InvalidArgument, "axis {ax} is repeated in 'axes'");
                    v.push(n);
                }
                v
            }
        };
        let (scales, sizes, roi) = match &self.scales_from {
            ScalesFrom::Attr(s) => (Some(s.clone()), None, None),
            ScalesFrom::Input1 => (Some(floats(ctx.input(1)?, "scales")?), None, None),
            ScalesFrom::Inputs => {
                let scales = given(ctx, 2)?.map(|t| floats(t, "scales")).transpose()?;
                let sizes = given(ctx, 3)?.map(|t| t.to_i64_vec()).transpose()?;
                let roi = if self.coord == Coord::TfCropAndResize {
                    let t = given(ctx, 1)?.ok_or_else(|| onnxrun_core::err!(InvalidArgument, "tf_crop_and_resize needs a non-empty 'roi'"))?;
                    Some(floats(t, "roi")?)
                } else {
                    None
                };
                (scales, sizes, roi)
            }
        };
        let mut specs: Vec<AxisSpec> = shape.iter().map(|&n| AxisSpec { len_in: n, len_out: n, scale: 1.0, roi: (0.0, 1.0) }).collect();
        match (scales, sizes) {
            (Some(_), Some(_)) => bail!(InvalidArgument, "both 'scales' and 'sizes' are given; give exactly one"),
            (None, None) => bail!(InvalidArgument, "one of 'scales' or 'sizes' must be given (non-empty)"),
            (Some(s), None) => {
                ensure!(s.len() == axes.len(), InvalidArgument, "'scales' has {} values, expected {} (one per resized axis)", s.len(), axes.len());
                for (&ax, &sc) in axes.iter().zip(&s) {
                    ensure!(sc.is_finite() && sc > 0.0, InvalidArgument, "scale {sc} for axis {ax} must be positive and finite");
                    ensure!(!self.min_scale_one || sc >= 1.0, InvalidArgument, "Upsample scale {sc} for axis {ax} must be >= 1");
                    let out = (sc * shape[ax] as f64).floor();
                    ensure!(out < 1e15, InvalidArgument, "scale {sc} makes axis {ax} too large");
                    let out = out as usize;
                    ensure!(out > 0 || shape[ax] == 0, InvalidArgument, "scale {sc} resizes axis {ax} (length {}) to 0", shape[ax]);
                    specs[ax].len_out = out;
                    specs[ax].scale = sc;
                }
            }
            (None, Some(z)) => {
                ensure!(z.len() == axes.len(), InvalidArgument, "'sizes' has {} values, expected {} (one per resized axis)", z.len(), axes.len());
                for (&ax, &n) in axes.iter().zip(&z) {
                    ensure!(n > 0, InvalidArgument, "output size {n} for axis {ax} must be positive");
                    ensure!(shape[ax] > 0, InvalidArgument, "axis {ax} is empty and cannot be resized to {n}");
                }
                let ratio = |i: usize| z[i] as f64 / shape[axes[i]] as f64;
                match self.policy {
                    Policy::Stretch => {
                        for (i, &ax) in axes.iter().enumerate() {
                            specs[ax].len_out = z[i] as usize;
                            specs[ax].scale = ratio(i);
                        }
                    }
                    Policy::NotLarger | Policy::NotSmaller => {
                        let all = (0..axes.len()).map(ratio);
                        let sc = if self.policy == Policy::NotLarger { all.fold(f64::INFINITY, f64::min) } else { all.fold(0.0, f64::max) };
                        for &ax in &axes {
                            let out = (sc * shape[ax] as f64 + 0.5).floor();
                            ensure!(out < 1e15, InvalidArgument, "sizes make axis {ax} too large");
                            ensure!(out >= 1.0, InvalidArgument, "keep_aspect_ratio_policy resizes axis {ax} to 0");
                            specs[ax].len_out = out as usize;
                            specs[ax].scale = sc;
                        }
                    }
                }
            }
        }
        if let Some(roi) = roi {
            ensure!(
                roi.len() == 2 * axes.len(),
                InvalidArgument,
                "'roi' has {} values, expected {} (starts then ends of the resized axes)",
                roi.len(),
                2 * axes.len()
            );
            for (i, &ax) in axes.iter().enumerate() {
                specs[ax].roi = (roi[i], roi[axes.len() + i]);
            }
        }
        let out_shape: Vec<usize> = specs.iter().map(|s| s.len_out).collect();
        check_size(x.dtype(), &out_shape)?;
        let maps: Vec<AxisMap> = specs.iter().map(|s| table::build(self, s)).collect();
        if maps.iter().all(|m| m.identity) {
            return Ok(Value::Tensor(x.clone()));
        }
        let pool = crate::util::parallel::pool_for(ctx, out_shape.iter().product::<usize>().saturating_mul(4));
        let y = match self.mode {
            Mode::Nearest => nearest::run(pool, x, &maps, self.extrapolation)?,
            Mode::Linear | Mode::Cubic => interp::run(pool, x, &maps, self.extrapolation)?,
        };
        Ok(Value::Tensor(y))
    }
}

/// The extrapolation value as one element of `dt` (storage type `T`): numbers rounded and
/// saturated like interpolated values, `false`/`true` for bool, "" for strings.
pub(super) fn extrapolation_elem<T: Elem>(dt: DataType, ev: f64) -> Result<T> {
    let t = match dt {
        DataType::String => Tensor::from_strings(vec![], vec![String::new()])?,
        DataType::Bool => Tensor::from_vec(vec![], vec![ev != 0.0])?,
        DataType::Complex64 => Tensor::from_vec_as(dt, vec![], vec![[ev as f32, 0.0f32]])?,
        DataType::Complex128 => Tensor::from_vec_as(dt, vec![], vec![[ev, 0.0f64]])?,
        _ => crate::dispatch_numeric!(dt, N => Tensor::scalar(N::store(<N as Px>::A::from_f64(ev))), else bail!(
            InvalidArgument,
            "Resize does not support element type {dt}"
        )),
    };
    Ok(T::view(&t)?[0].clone())
}
