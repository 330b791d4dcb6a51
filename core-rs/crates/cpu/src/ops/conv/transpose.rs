//! ConvTranspose (opsets 1, 11, 22): the adjoint of Conv, computed per (image, group) as
//! one GEMM `col = W_gᵀ · X_g` (a column per input position, a row per output channel and
//! kernel tap) followed by col2im, which adds each column into the output. Output size and
//! pads follow the spec: explicit pads, auto_pad (output = input * stride) or an explicit
//! output_shape, splitting the padding as ONNX Runtime does.

use super::attrs::{known_dims, non_negative, AutoPad, ConvAttrs};
use super::engine::{gemm, ConvElem};
use super::float::{run_float, FloatConv};
use super::window::{col2im, Window};
use crate::util::parallel::{for_chunks_mut, pool};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "ConvTranspose", 1, create));
}

fn create(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let attrs = ConvAttrs::parse(node, true)?;
    let output_padding = non_negative(node, "output_padding")?;
    let output_shape = match node.get_ints("output_shape")? {
        Some(v) => {
            ensure!(
                v.iter().all(|&d| d >= 0),
                InvalidGraph,
                "{}: output_shape must be non-negative, got {v:?}",
                attrs.node
            );
            Some(v.iter().map(|&d| d as usize).collect::<Vec<_>>())
        }
        None => None,
    };
    let nd = [
        attrs.kernel_shape.as_ref().map(Vec::len),
        attrs.strides.as_ref().map(Vec::len),
        attrs.dilations.as_ref().map(Vec::len),
        attrs.pads.as_ref().map(|p| p.len() / 2),
    ]
    .into_iter()
    .flatten()
    .next();
    if let (Some(nd), Some(op)) = (nd, &output_padding) {
        ensure!(
            op.len() == nd,
            InvalidGraph,
            "{}: output_padding has {} values for {nd} spatial axes",
            attrs.node,
            op.len()
        );
    }
    if let (Some(nd), Some(os)) = (nd, &output_shape) {
        ensure!(
            os.len() == nd || os.len() == nd + 2,
            InvalidGraph,
            "{}: output_shape has {} values for {nd} spatial axes",
            attrs.node,
            os.len()
        );
    }
    // W is [C, M/group, k...]: group divides C, and X's channels are W's first dim.
    let g = attrs.group;
    if let Some(w) = known_dims(node, 1) {
        if let Some(Some(c)) = w.first() {
            ensure!(c % g == 0, InvalidGraph, "{}: group {g} does not divide the {c} input channels of W", attrs.node);
            if let Some(Some(xc)) = known_dims(node, 0).and_then(|x| x.get(1).copied()) {
                ensure!(xc == *c, InvalidGraph, "{}: X has {xc} channels but W has {c}", attrs.node);
            }
        }
    }
    Ok(Box::new(ConvTranspose { attrs, output_padding, output_shape }))
}

struct ConvTranspose {
    attrs: ConvAttrs,
    output_padding: Option<Vec<usize>>,
    output_shape: Option<Vec<usize>>,
}

/// One call's shapes: `win` slides over the output image, its positions are X's.
struct Plan {
    win: Window,
    out_shape: Vec<usize>,
    n: usize,
    c: usize,
    m: usize,
}

impl ConvTranspose {
    fn plan(&self, x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Plan> {
        let a = &self.attrs;
        let node = &a.node;
        ensure!(
            w.dtype() == x.dtype() && b.is_none_or(|b| b.dtype() == x.dtype()),
            InvalidArgument,
            "{node}: X, W and B must share one element type"
        );
        let (xs, ws) = (x.shape(), w.shape());
        ensure!(xs.len() >= 3, InvalidArgument, "{node}: X must have rank >= 3 (N, C, spatial...), got shape {xs:?}");
        ensure!(ws.len() == xs.len(), InvalidArgument, "{node}: W must have the rank of X, got W {ws:?} for X {xs:?}");
        let (n, c, g) = (xs[0], xs[1], a.group);
        ensure!(ws[0] == c, InvalidArgument, "{node}: X has {c} channels but W {ws:?} expects {}", ws[0]);
        ensure!(c % g == 0, InvalidArgument, "{node}: group {g} does not divide the {c} input channels");
        let m = ws[1] * g;
        if let Some(b) = b {
            ensure!(b.shape() == [m], InvalidArgument, "{node}: B must have shape [{m}], got {:?}", b.shape());
        }
        let nd = xs.len() - 2;
        let k = a.kernel(ws, nd)?;
        let strides = a.strides(nd)?;
        let dilations = a.dilations(nd)?;
        let (pb, pe) = a.explicit_pads(nd)?;
        let op = match &self.output_padding {
            Some(op) => {
                ensure!(op.len() == nd, InvalidArgument, "{node}: output_padding has {} values for {nd} spatial axes", op.len());
                op.clone()
            }
            None => vec![0; nd],
        };
        let shape_attr = match &self.output_shape {
            Some(os) if os.len() == nd + 2 => Some(&os[2..]),
            Some(os) if os.len() == nd => Some(&os[..]),
            Some(os) => bail!(InvalidArgument, "{node}: output_shape {os:?} does not fit {nd} spatial axes"),
            None => None,
        };
        let (mut out, mut pads) = (Vec::with_capacity(nd), Vec::with_capacity(nd));
        for i in 0..nd {
            let (len, s) = (xs[i + 2], strides[i]);
            // The full extent the kernel covers before any padding is cut off.
            let full = (len.max(1) - 1) as i128 * s as i128 + op[i] as i128 + ((k[i] as i128 - 1) * dilations[i] as i128 + 1);
            ensure!(
                full <= (isize::MAX / 4) as i128 && pb[i] as i128 <= full && pe[i] as i128 <= full,
                InvalidArgument,
                "{node}: strides, dilations or pads out of range on axis {i}"
            );
            let want = match (shape_attr, a.auto_pad) {
                (Some(os), _) => Some(os[i] as i128),
                (None, AutoPad::SameUpper | AutoPad::SameLower) => Some(len as i128 * s as i128),
                _ => None,
            };
            let (o, head) = match want {
                Some(o) => {
                    let total = full - o;
                    ensure!(
                        total > -(s as i128),
                        InvalidArgument,
                        "{node}: output size {o} on axis {i} is too large for input size {len}, stride {s} and kernel {}",
                        k[i]
                    );
                    let total = total.max(0);
                    let head = if a.auto_pad == AutoPad::SameUpper { total / 2 } else { total - total / 2 };
                    (o, head)
                }
                None => {
                    let (b0, e0) = if a.auto_pad == AutoPad::Valid { (0, 0) } else { (pb[i] as i128, pe[i] as i128) };
                    let o = full - b0 - e0;
                    ensure!(o >= 0, InvalidArgument, "{node}: pads {b0}+{e0} exceed the output extent {full} on axis {i}");
                    (o, b0)
                }
            };
            out.push(usize::try_from(o).map_err(|_| onnxrun_core::err!(InvalidArgument, "{node}: output size overflows"))?);
            pads.push(head as isize);
        }
        let mut out_shape = vec![n, m];
        out_shape.extend_from_slice(&out);
        crate::util::elems::check_size(x.dtype(), &out_shape)?;
        let win = Window { input: out, output: xs[2..].to_vec(), kernel: k, strides, dilations, pads };
        Ok(Plan { win, out_shape, n, c, m })
    }
}

impl FloatConv for ConvTranspose {
    type Plan = Plan;

    fn run<T: ConvElem>(&self, pool: Option<&ThreadPool>, p: &Plan, x: &[T], w: &[T], b: Option<&[T]>) -> Result<Vec<T>> {
        let win = &p.win;
        let g_n = self.attrs.group;
        let (cg, mg, kn) = (p.c / g_n, p.m / g_n, win.k_size());
        let (s_img, s_pos) = (win.s_in(), win.s_out());
        let rows = mg * kn;
        let mut y = vec![T::ZERO; p.n * p.m * s_img];
        if y.is_empty() {
            return Ok(y);
        }
        let offs = win.tap_offsets();
        for (pair, block) in y.chunks_mut(mg * s_img).enumerate() {
            let (n, g) = (pair / g_n, pair % g_n);
            if let Some(b) = b {
                for (r, plane) in block.chunks_mut(s_img).enumerate() {
                    plane.fill(b[g * mg + r]);
                }
            }
            if cg == 0 || s_pos == 0 || kn == 0 {
                continue;
            }
            let xg = &x[(n * p.c + g * cg) * s_pos..][..cg * s_pos];
            let wg = &w[g * cg * rows..][..cg * rows];
            T::with_scratch(rows * s_pos, |col| {
                gemm(pool, true, rows, s_pos, cg, wg, rows, xg, s_pos, T::ZERO, col, s_pos);
                let col = &*col;
                for_chunks_mut(pool, block, s_img, |r, plane| {
                    col2im(win, &offs, &col[r * kn * s_pos..][..kn * s_pos], plane);
                })
            })?;
        }
        Ok(y)
    }
}

impl Kernel for ConvTranspose {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let (x, w, b) = (ctx.input(0)?, ctx.input(1)?, ctx.opt_input(2)?);
        let p = self.plan(x, w, b)?;
        let pool = pool(ctx);
        let y = run_float(self, pool, &p, &p.out_shape, (x, w, b), &self.attrs.node, "ConvTranspose")?;
        ctx.set_output(0, y)
    }
}
