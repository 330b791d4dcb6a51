//! NonMaxSuppression (opsets 10, 11): per batch and class, boxes scoring above
//! score_threshold are taken best first (ties: lower index first) unless their IoU with an
//! already kept box of that class exceeds iou_threshold, up to max_output_boxes_per_class.
//! Output rows are [batch, class, box], by batch, then class, then selection order.
//! Absent optional inputs: no boxes kept (max 0), IoU threshold 0, no score threshold.

use onnxrun_core::{ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "NonMaxSuppression", 10, make));
}

struct Nms {
    center_point_box: bool,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let c = node.int_or("center_point_box", 0)?;
    ensure!(c == 0 || c == 1, InvalidGraph, "{}: attribute 'center_point_box' must be 0 or 1, got {c}", node.describe());
    Ok(Box::new(Nms { center_point_box: c == 1 }))
}

/// A box as its corners and area.
#[derive(Clone, Copy)]
struct Corners {
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
    area: f32,
}

impl Corners {
    fn new(b: &[f32], center: bool) -> Corners {
        let (x0, y0, x1, y1) = if center {
            let (hw, hh) = (b[2] / 2.0, b[3] / 2.0);
            (b[0] - hw, b[1] - hh, b[0] + hw, b[1] + hh)
        } else {
            // [y1, x1, y2, x2], any two diagonal corners.
            (b[1].min(b[3]), b[0].min(b[2]), b[1].max(b[3]), b[0].max(b[2]))
        };
        Corners { x0, y0, x1, y1, area: (x1 - x0) * (y1 - y0) }
    }

    /// Whether the IoU of `self` and `o` is strictly above `thr` (degenerate boxes never are).
    fn overlaps(&self, o: &Corners, thr: f32) -> bool {
        let (ix0, ix1) = (self.x0.max(o.x0), self.x1.min(o.x1));
        let (iy0, iy1) = (self.y0.max(o.y0), self.y1.min(o.y1));
        // Written so a NaN coordinate means no overlap.
        if !(ix1 > ix0 && iy1 > iy0) {
            return false;
        }
        let inter = (ix1 - ix0) * (iy1 - iy0);
        let union = self.area + o.area - inter;
        if !(inter > 0.0 && self.area > 0.0 && o.area > 0.0 && union > 0.0) {
            return false;
        }
        inter / union > thr
    }
}

/// The first value of an optional scalar input (shape () or (1,)); None when absent or empty.
fn scalar(ctx: &OpContext<'_>, i: usize, what: &str) -> Result<Option<f64>> {
    let Some(t) = ctx.opt_input(i)? else { return Ok(None) };
    ensure!(t.len() <= 1, InvalidArgument, "{}: {what} must be a scalar, got shape {:?}", ctx.node.describe(), t.shape());
    Ok(t.to_f64_vec()?.first().copied())
}

impl Kernel for Nms {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let (boxes, scores) = (ctx.input(0)?, ctx.input(1)?);
        ensure!(boxes.dtype() == DataType::Float && scores.dtype() == DataType::Float, InvalidArgument,
            "{node}: boxes and scores must be float tensors, got {} and {}", boxes.dtype(), scores.dtype());
        ensure!(boxes.rank() == 3 && boxes.shape()[2] == 4, InvalidArgument,
            "{node}: boxes must have shape (num_batches, num_boxes, 4), got {:?}", boxes.shape());
        ensure!(scores.rank() == 3, InvalidArgument,
            "{node}: scores must have shape (num_batches, num_classes, num_boxes), got {:?}", scores.shape());
        let (nb, n, nc) = (boxes.shape()[0], boxes.shape()[1], scores.shape()[1]);
        ensure!(scores.shape()[0] == nb && scores.shape()[2] == n, InvalidArgument,
            "{node}: scores shape {:?} does not match boxes shape {:?} (want ({nb}, num_classes, {n}))", scores.shape(), boxes.shape());
        let max_out = match ctx.opt_input(2)? {
            None => 0,
            Some(t) => {
                ensure!(t.len() <= 1, InvalidArgument, "{node}: max_output_boxes_per_class must be a scalar, got shape {:?}", t.shape());
                t.to_i64_vec()?.first().copied().unwrap_or(0).max(0) as usize
            }
        };
        let iou = scalar(ctx, 3, "iou_threshold")?.unwrap_or(0.0);
        ensure!((0.0..=1.0).contains(&iou), InvalidArgument, "{node}: iou_threshold must be in [0, 1], got {iou}");
        let score_thr = scalar(ctx, 4, "score_threshold")?.map(|v| v as f32);
        let (bx, sc) = (boxes.data::<f32>()?, scores.data::<f32>()?);
        let mut out: Vec<i64> = Vec::new();
        if max_out > 0 {
            let mut cand: Vec<(f32, usize)> = Vec::with_capacity(n);
            let mut kept: Vec<usize> = Vec::new();
            for b in 0..nb {
                let corners: Vec<Corners> = bx[b * n * 4..(b + 1) * n * 4].chunks_exact(4).map(|c| Corners::new(c, self.center_point_box)).collect();
                for c in 0..nc {
                    let s = &sc[(b * nc + c) * n..(b * nc + c + 1) * n];
                    cand.clear();
                    cand.extend(s.iter().enumerate().filter(|(_, &v)| score_thr.is_none_or(|t| v > t)).map(|(i, &v)| (v, i)));
                    // Best score first, ties by index; NaN scores last.
                    let key = |v: f32| if v.is_nan() { f32::NEG_INFINITY } else { v };
                    cand.sort_by(|a, b| key(b.0).total_cmp(&key(a.0)).then(a.1.cmp(&b.1)));
                    kept.clear();
                    for &(_, i) in &cand {
                        if kept.len() >= max_out {
                            break;
                        }
                        if !kept.iter().any(|&k| corners[i].overlaps(&corners[k], iou as f32)) {
                            kept.push(i);
                            out.extend([b as i64, c as i64, i as i64]);
                        }
                    }
                }
            }
        }
        let k = out.len() / 3;
        ctx.set_output(0, Tensor::from_vec(vec![k, 3], out)?)
    }
}

