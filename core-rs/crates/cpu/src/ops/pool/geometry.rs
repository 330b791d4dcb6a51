//! Pooling window geometry: the attributes every windowed pool shares (kernel_shape,
//! strides, pads, dilations, auto_pad, ceil_mode), checked once at kernel creation, and
//! per-axis output sizes and pads resolved against an input shape at run time.

use onnxrun_core::{bail, ensure, NodeInfo, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoPad {
    NotSet,
    Valid,
    SameUpper,
    SameLower,
}

/// Which optional attributes an op (at its opset) defines.
#[derive(Clone, Copy)]
pub struct Supports {
    pub dilations: bool,
    pub ceil_mode: bool,
}

#[derive(Clone, Debug)]
pub struct PoolAttrs {
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    /// Begins then ends, one per spatial axis each (ignored when auto_pad is set).
    pub pads: Vec<usize>,
    pub dilations: Vec<usize>,
    pub auto_pad: AutoPad,
    pub ceil_mode: bool,
}

/// A list attribute of `r` positive values (`default` when absent).
fn positive_list(node: &NodeInfo, name: &str, r: usize, default: usize) -> Result<Vec<usize>> {
    let Some(v) = node.get_ints(name)? else { return Ok(vec![default; r]) };
    ensure!(
        v.len() == r,
        InvalidGraph,
        "{}: attribute '{name}' has {} values but kernel_shape has {r}",
        node.describe(),
        v.len()
    );
    ensure!(v.iter().all(|&s| s > 0), InvalidGraph, "{}: attribute '{name}' must be positive, got {v:?}", node.describe());
    Ok(v.iter().map(|&s| s as usize).collect())
}

impl PoolAttrs {
    /// Reads and checks the attributes. Like onnxruntime, explicit pads must be smaller
    /// than the kernel along their axis (a window that lies wholly in padding has no input).
    pub fn parse(node: &NodeInfo, sup: Supports) -> Result<PoolAttrs> {
        let d = node.describe();
        let kernel = node.get_ints("kernel_shape")?;
        let Some(kernel) = kernel else { bail!(InvalidGraph, "{d}: required attribute 'kernel_shape' is missing") };
        ensure!(!kernel.is_empty(), InvalidGraph, "{d}: attribute 'kernel_shape' is empty");
        ensure!(kernel.iter().all(|&k| k > 0), InvalidGraph, "{d}: attribute 'kernel_shape' must be positive, got {kernel:?}");
        let kernel: Vec<usize> = kernel.iter().map(|&k| k as usize).collect();
        let r = kernel.len();
        if let Some(shape) = node.input_types.first().and_then(|t| t.as_ref()).and_then(|t| t.shape()) {
            ensure!(
                shape.len() == r + 2,
                InvalidGraph,
                "{d}: kernel_shape {kernel:?} needs an input of rank {} (N, C, spatial...), but X has rank {}",
                r + 2,
                shape.len()
            );
        }
        let strides = positive_list(node, "strides", r, 1)?;
        let dilations = positive_list(node, "dilations", r, 1)?;
        if !sup.dilations {
            // The attribute does not exist at this opset; all-ones is harmless, anything else would be ignored silently.
            ensure!(
                dilations.iter().all(|&v| v == 1),
                InvalidGraph,
                "{d}: attribute 'dilations' is not defined for {} at opset {}",
                node.op_type,
                node.opset
            );
        }
        let auto_pad = match node.string_or("auto_pad", "NOTSET")?.as_str() {
            "NOTSET" | "" => AutoPad::NotSet,
            "VALID" => AutoPad::Valid,
            "SAME_UPPER" => AutoPad::SameUpper,
            "SAME_LOWER" => AutoPad::SameLower,
            other => bail!(InvalidGraph, "{d}: attribute 'auto_pad' must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got '{other}'"),
        };
        let pads = match node.get_ints("pads")? {
            None => vec![0; 2 * r],
            Some(p) => {
                ensure!(p.len() == 2 * r, InvalidGraph, "{d}: attribute 'pads' must have {} values (begins then ends), got {}", 2 * r, p.len());
                ensure!(p.iter().all(|&v| v >= 0), InvalidGraph, "{d}: attribute 'pads' must be non-negative, got {p:?}");
                p.iter().map(|&v| v as usize).collect()
            }
        };
        if auto_pad == AutoPad::NotSet {
            for (i, &k) in kernel.iter().enumerate() {
                ensure!(
                    pads[i] < k && pads[i + r] < k,
                    InvalidGraph,
                    "{d}: pads {:?} must be smaller than kernel_shape {kernel:?} along each axis",
                    pads
                );
            }
        }
        let ceil_mode = node.int_or("ceil_mode", 0)?;
        ensure!(ceil_mode == 0 || ceil_mode == 1, InvalidGraph, "{d}: attribute 'ceil_mode' must be 0 or 1, got {ceil_mode}");
        ensure!(sup.ceil_mode || ceil_mode == 0, InvalidGraph, "{d}: attribute 'ceil_mode' is not defined at opset {}", node.opset);
        Ok(PoolAttrs { kernel, strides, pads, dilations, auto_pad, ceil_mode: ceil_mode == 1 })
    }

    /// Per-axis geometry for an input of spatial shape `input` (its rank is checked by the caller).
    pub fn resolve(&self, input: &[usize]) -> Result<Vec<Axis>> {
        let r = self.kernel.len();
        (0..r)
            .map(|i| {
                let (n, k, s, dl) = (input[i], self.kernel[i], self.strides[i], self.dilations[i]);
                let span = (k - 1) * dl + 1;
                let (begin, end, out) = match self.auto_pad {
                    AutoPad::NotSet => {
                        let (b, e) = (self.pads[i], self.pads[i + r]);
                        (b as i64, e as i64, windows(n + b + e, span, s, self.ceil_mode, n + b)?)
                    }
                    // VALID never pads, so ceil_mode cannot add a window (the spec's formula for it equals floor's).
                    AutoPad::Valid => (0, 0, windows(n, span, s, false, n)?),
                    AutoPad::SameUpper | AutoPad::SameLower => {
                        let out = n.div_ceil(s);
                        // Negative when the kernel is shorter than the stride: the windows then
                        // shift inwards, as the spec's formula and onnxruntime have it.
                        let total = ((out.max(1) - 1) * s + span) as i64 - n as i64;
                        let begin = if self.auto_pad == AutoPad::SameUpper { total / 2 } else { (total + 1) / 2 };
                        (begin, total - begin, out)
                    }
                };
                Ok(Axis { input: n, output: out, kernel: k, stride: s, dilation: dl, pad_begin: begin, pad_end: end })
            })
            .collect()
    }
}

/// Number of windows of `span` sliding by `stride` over `padded` elements; with ceil mode a
/// partial last window counts if it starts before `limit` (inside the input or the begin pad).
fn windows(padded: usize, span: usize, stride: usize, ceil: bool, limit: usize) -> Result<usize> {
    ensure!(
        padded >= span,
        InvalidArgument,
        "the padded input extent {padded} is smaller than the (dilated) kernel extent {span}"
    );
    let room = padded - span;
    if !ceil {
        return Ok(room / stride + 1);
    }
    let mut out = room.div_ceil(stride) + 1;
    if (out - 1) * stride >= limit {
        out -= 1;
    }
    Ok(out)
}

/// One spatial axis of a pooling window.
#[derive(Clone, Copy, Debug)]
pub struct Axis {
    pub input: usize,
    pub output: usize,
    pub kernel: usize,
    pub stride: usize,
    pub dilation: usize,
    /// Signed: SAME auto-padding with a kernel shorter than the stride pads negatively.
    pub pad_begin: i64,
    pub pad_end: i64,
}

impl Axis {
    /// Input position of tap `t` of window `o` (negative or past the end inside padding).
    #[inline]
    pub fn pos(&self, o: usize, t: usize) -> i64 {
        (o * self.stride + t * self.dilation) as i64 - self.pad_begin
    }

    /// The in-range input positions of window `o`, in increasing order.
    pub fn taps(&self, o: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.kernel).map(move |t| self.pos(o, t)).filter(|&p| p >= 0 && (p as usize) < self.input).map(|p| p as usize)
    }

    /// Taps of window `o` inside the padded extent (what count_include_pad divides by).
    pub fn padded_count(&self, o: usize) -> usize {
        let limit = self.input as i64 + self.pad_end;
        (0..self.kernel).filter(|&t| self.pos(o, t) < limit).count()
    }

    /// For tap `t`: the windows `lo..hi` whose tap is in range, and the input offset
    /// `o * stride + off` of that tap for window `o`.
    pub fn tap_range(&self, t: usize) -> (usize, usize, i64) {
        let off = (t * self.dilation) as i64 - self.pad_begin;
        let s = self.stride as i64;
        // o * s + off >= 0  and  o * s + off < input
        let lo = if off >= 0 { 0 } else { (-off + s - 1) / s };
        let hi = if (self.input as i64) - off <= 0 { 0 } else { ((self.input as i64 - off - 1) / s + 1).min(self.output as i64) };
        let lo = lo.min(hi);
        (lo as usize, hi as usize, off)
    }
}
