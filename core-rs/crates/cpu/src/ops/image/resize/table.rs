//! Per-axis sampling tables: for every output index along one axis, which input indices
//! it reads and with what weights. Built once per call (in f64, following the ONNX
//! reference's coordinate formulas), then used by the tight nearest/interpolation loops.

use super::{Coord, Mode, Rounding, Spec};

/// One axis of a resize: lengths, scale and (tf_crop_and_resize) region of interest.
#[derive(Clone, Copy, Debug)]
pub(super) struct AxisSpec {
    pub len_in: usize,
    pub len_out: usize,
    pub scale: f64,
    pub roi: (f64, f64),
}

/// Output index `o` reads `idx[o * taps + t]` with weight `w[o * taps + t]`. Indices are
/// already clamped into the input (edge padding); `extrap[o]` (tf_crop_and_resize only)
/// marks outputs whose source lies outside the input and take `extrapolation_value`.
pub(super) struct AxisMap {
    pub len_in: usize,
    pub len_out: usize,
    pub taps: usize,
    pub idx: Vec<usize>,
    pub w: Vec<f64>,
    pub extrap: Vec<bool>,
    /// Every output reads exactly its own index with weight 1: the axis is untouched.
    pub identity: bool,
}

impl AxisMap {
    pub fn any_extrap(&self) -> bool {
        self.extrap.iter().any(|&e| e)
    }
}

/// Source coordinate of output index `o`, per coordinate_transformation_mode.
fn source_coord(coord: Coord, s: &AxisSpec, o: usize) -> f64 {
    let (inl, sc, o) = (s.len_in as f64, s.scale, o as f64);
    // The output length as a real number (scale * input length): the reference formulas
    // for align_corners, tf_crop_and_resize and half_pixel_symmetric use it.
    let out_f = sc * inl;
    match coord {
        Coord::HalfPixel => (o + 0.5) / sc - 0.5,
        Coord::HalfPixelSymmetric => {
            let adjustment = s.len_out as f64 / out_f;
            let offset = inl / 2.0 * (1.0 - adjustment);
            offset + (o + 0.5) / sc - 0.5
        }
        Coord::PytorchHalfPixel => {
            if s.len_out > 1 {
                (o + 0.5) / sc - 0.5
            } else {
                0.0
            }
        }
        Coord::AlignCorners => {
            if s.len_out > 1 {
                o * (inl - 1.0) / (out_f - 1.0)
            } else {
                0.0
            }
        }
        Coord::Asymmetric => o / sc,
        Coord::TfHalfPixelForNn => (o + 0.5) / sc,
        Coord::TfCropAndResize => {
            let (r0, r1) = s.roi;
            if s.len_out > 1 {
                r0 * (inl - 1.0) + o * (r1 - r0) * (inl - 1.0) / (out_f - 1.0)
            } else {
                0.5 * (r0 + r1) * (inl - 1.0)
            }
        }
    }
}

fn nearest_index(r: Rounding, x: f64, scale: f64) -> f64 {
    let f = x.floor();
    match r {
        Rounding::RoundPreferFloor => {
            if x - f <= 0.5 {
                f
            } else {
                f + 1.0
            }
        }
        Rounding::RoundPreferCeil => {
            if x - f < 0.5 {
                f
            } else {
                f + 1.0
            }
        }
        Rounding::Floor => f,
        Rounding::Ceil => x.ceil(),
        // Resize-10 / Upsample: ceil when shrinking the axis, else truncate.
        Rounding::Simple => {
            if scale < 1.0 {
                x.ceil()
            } else {
                x.trunc()
            }
        }
    }
}

/// Keys' cubic convolution kernel with coefficient `a`.
fn cubic(d: f64, a: f64) -> f64 {
    let x = d.abs();
    if x <= 1.0 {
        ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    } else {
        0.0
    }
}

fn clamp_index(p: f64, len: usize) -> usize {
    if p <= 0.0 {
        0
    } else if p >= (len - 1) as f64 {
        len - 1
    } else {
        p as usize
    }
}

pub(super) fn build(cfg: &Spec, s: &AxisSpec) -> AxisMap {
    let (len_in, len_out) = (s.len_in, s.len_out);
    let tf_crop = cfg.coord == Coord::TfCropAndResize;
    if len_in == 0 || len_out == 0 {
        return AxisMap { len_in, len_out, taps: 1, idx: vec![0; len_out], w: vec![1.0; len_out], extrap: vec![], identity: len_in == len_out };
    }
    let last = (len_in - 1) as f64;
    let mut extrap = if tf_crop { vec![false; len_out] } else { vec![] };
    let (idx, w, taps) = match cfg.mode {
        Mode::Nearest => {
            let mut idx = Vec::with_capacity(len_out);
            for o in 0..len_out {
                let x = source_coord(cfg.coord, s, o);
                if tf_crop && (x < 0.0 || x > last) {
                    extrap[o] = true;
                }
                idx.push(clamp_index(nearest_index(cfg.rounding, x, s.scale), len_in));
            }
            (idx, vec![1.0; len_out], 1)
        }
        Mode::Linear | Mode::Cubic => {
            let support = if cfg.mode == Mode::Linear { 1.0 } else { 2.0 };
            // Antialiasing stretches the filter by 1/scale when shrinking.
            let s_eff = if cfg.antialias { s.scale.min(1.0) } else { 1.0 };
            let start = (-support / s_eff).floor() + 1.0;
            let taps = (2.0 - 2.0 * start) as usize;
            let mut idx = Vec::with_capacity(len_out * taps);
            let mut w = Vec::with_capacity(len_out * taps);
            for o in 0..len_out {
                let x = source_coord(cfg.coord, s, o);
                if tf_crop && (x < 0.0 || x > last) {
                    extrap[o] = true;
                }
                let base = x.floor() + start;
                let row = w.len();
                for j in 0..taps {
                    let p = base + j as f64;
                    let d = (p - x) * s_eff;
                    w.push(if cfg.mode == Mode::Linear { (1.0 - d.abs()).max(0.0) } else { cubic(d, cfg.cubic_a) });
                    idx.push(clamp_index(p, len_in));
                }
                let ws = &mut w[row..];
                if cfg.antialias {
                    normalize(ws);
                }
                if cfg.exclude_outside {
                    for j in 0..taps {
                        let p = base + j as f64;
                        if p < 0.0 || p > last {
                            ws[j] = 0.0;
                        }
                    }
                    normalize(ws);
                }
            }
            (idx, w, taps)
        }
    };
    let identity = len_in == len_out
        && !extrap.iter().any(|&e| e)
        && (0..len_out).all(|o| {
            let (i, ws) = (&idx[o * taps..(o + 1) * taps], &w[o * taps..(o + 1) * taps]);
            let own: f64 = i.iter().zip(ws).filter(|(&i, _)| i == o).map(|(_, &w)| w).sum();
            own == 1.0 && i.iter().zip(ws).all(|(&i, &w)| i == o || w == 0.0)
        });
    AxisMap { len_in, len_out, taps, idx, w, extrap, identity }
}

fn normalize(w: &mut [f64]) {
    let sum: f64 = w.iter().sum();
    if sum != 0.0 {
        for v in w {
            *v /= sum;
        }
    }
}
