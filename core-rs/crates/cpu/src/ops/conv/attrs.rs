//! Attributes the convolution ops share (kernel_shape, strides, dilations, pads, auto_pad,
//! group), checked once when the kernel is created, and the run-time geometry they give
//! for a concrete input shape.

use super::window::Window;
use onnxrun_core::{bail, ensure, Dim, NodeInfo, Result, TypeInfo};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AutoPad {
    NotSet,
    SameUpper,
    SameLower,
    Valid,
}

/// Parsed and validated window attributes of a Conv-like node.
#[derive(Clone, Debug)]
pub(super) struct ConvAttrs {
    pub node: String,
    pub kernel_shape: Option<Vec<usize>>,
    pub strides: Option<Vec<usize>>,
    pub dilations: Option<Vec<usize>>,
    pub pads: Option<Vec<usize>>,
    pub auto_pad: AutoPad,
    pub group: usize,
}

/// Positive ints of a list attribute (strides, dilations, kernel_shape).
fn positive(node: &NodeInfo, name: &str) -> Result<Option<Vec<usize>>> {
    let Some(v) = node.get_ints(name)? else { return Ok(None) };
    ensure!(
        v.iter().all(|&x| x > 0),
        InvalidGraph,
        "{}: attribute '{name}' must hold positive values, got {v:?}",
        node.describe()
    );
    Ok(Some(v.iter().map(|&x| x as usize).collect()))
}

/// Non-negative ints of a list attribute (pads, output_padding).
pub(super) fn non_negative(node: &NodeInfo, name: &str) -> Result<Option<Vec<usize>>> {
    let Some(v) = node.get_ints(name)? else { return Ok(None) };
    ensure!(
        v.iter().all(|&x| x >= 0),
        InvalidGraph,
        "{}: attribute '{name}' must hold non-negative values, got {v:?}",
        node.describe()
    );
    Ok(Some(v.iter().map(|&x| x as usize).collect()))
}

/// Input `i`'s declared dims, where the graph states a shape.
pub(super) fn known_dims(node: &NodeInfo, i: usize) -> Option<Vec<Option<usize>>> {
    match node.input_types.get(i)?.as_ref()? {
        TypeInfo::Tensor { shape: Some(s), .. } => Some(
            s.iter().map(|d| if let Dim::Known(v) = d { usize::try_from(*v).ok() } else { None }).collect(),
        ),
        _ => None,
    }
}

impl ConvAttrs {
    /// Reads the window attributes; `has_auto_pad` is false for DeformConv.
    pub fn parse(node: &NodeInfo, has_auto_pad: bool) -> Result<ConvAttrs> {
        let desc = node.describe();
        let auto_pad = if has_auto_pad {
            match node.string_or("auto_pad", "NOTSET")?.as_str() {
                "NOTSET" => AutoPad::NotSet,
                "SAME_UPPER" => AutoPad::SameUpper,
                "SAME_LOWER" => AutoPad::SameLower,
                "VALID" => AutoPad::Valid,
                other => bail!(
                    InvalidGraph,
                    "{desc}: auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '{other}'"
                ),
            }
        } else {
            AutoPad::NotSet
        };
        let group = node.int_or("group", 1)?;
        ensure!(group >= 1, InvalidGraph, "{desc}: group must be positive, got {group}");
        let a = ConvAttrs {
            kernel_shape: positive(node, "kernel_shape")?,
            strides: positive(node, "strides")?,
            dilations: positive(node, "dilations")?,
            pads: non_negative(node, "pads")?,
            auto_pad,
            group: group as usize,
            node: desc,
        };
        let mut rank = None;
        for (name, len) in [
            ("kernel_shape", a.kernel_shape.as_ref().map(Vec::len)),
            ("strides", a.strides.as_ref().map(Vec::len)),
            ("dilations", a.dilations.as_ref().map(Vec::len)),
            ("pads", a.pads.as_ref().map(|p| p.len() / 2)),
        ] {
            let Some(len) = len else { continue };
            match rank {
                None => rank = Some((name, len)),
                Some((first, r)) => ensure!(
                    r == len,
                    InvalidGraph,
                    "{}: attribute '{name}' covers {len} spatial axes but '{first}' covers {r}",
                    a.node
                ),
            }
        }
        if let Some(p) = &a.pads {
            ensure!(p.len() % 2 == 0, InvalidGraph, "{}: pads must hold 2 values per spatial axis, got {p:?}", a.node);
        }
        if let (Some((name, r)), Some(w)) = (rank, known_dims(node, 1)) {
            ensure!(
                w.len() == r + 2,
                InvalidGraph,
                "{}: attribute '{name}' covers {r} spatial axes but W has rank {}",
                a.node,
                w.len()
            );
        }
        if let (Some(k), Some(w)) = (&a.kernel_shape, known_dims(node, 1)) {
            for (i, (&ka, wd)) in k.iter().zip(&w[2.min(w.len())..]).enumerate() {
                ensure!(
                    wd.is_none_or(|d| d == ka),
                    InvalidGraph,
                    "{}: kernel_shape {k:?} disagrees with W's spatial dim {i} ({})",
                    a.node,
                    wd.unwrap_or(0)
                );
            }
        }
        Ok(a)
    }

    /// Conv-style channel checks where the graph declares X's and W's shapes: W is
    /// [M, C/group, k...], so group divides M and C == W[1] * group.
    pub fn check_conv_channels(&self, node: &NodeInfo) -> Result<()> {
        let g = self.group;
        if let Some(w) = known_dims(node, 1) {
            if let Some(Some(m)) = w.first() {
                ensure!(m % g == 0, InvalidGraph, "{}: group {g} does not divide the {m} output channels of W", self.node);
            }
            if let (Some(x), Some(Some(cg))) = (known_dims(node, 0), w.get(1)) {
                if let Some(Some(c)) = x.get(1) {
                    ensure!(
                        *c == cg * g,
                        InvalidGraph,
                        "{}: X has {c} channels but W expects {cg} per group x {g} groups",
                        self.node
                    );
                }
            }
        }
        if let Some(Some(c)) = known_dims(node, 0).and_then(|x| x.get(1).copied()) {
            ensure!(c % g == 0, InvalidGraph, "{}: group {g} does not divide the {c} input channels of X", self.node);
        }
        Ok(())
    }

    /// Attribute `v` (or `default` per axis), checked against the run-time spatial rank.
    fn per_axis(&self, name: &str, v: &Option<Vec<usize>>, nd: usize, default: usize) -> Result<Vec<usize>> {
        match v {
            Some(v) => {
                ensure!(
                    v.len() == nd,
                    InvalidArgument,
                    "{}: attribute '{name}' has {} values but the input has {nd} spatial axes",
                    self.node,
                    v.len()
                );
                Ok(v.clone())
            }
            None => Ok(vec![default; nd]),
        }
    }

    /// The kernel's spatial shape: W's dims, which kernel_shape (if given) must equal.
    pub fn kernel(&self, w: &[usize], nd: usize) -> Result<Vec<usize>> {
        let k = w[2..].to_vec();
        ensure!(k.iter().all(|&d| d > 0), InvalidArgument, "{}: W has an empty kernel axis: shape {w:?}", self.node);
        if let Some(ks) = &self.kernel_shape {
            ensure!(
                *ks == k,
                InvalidArgument,
                "{}: kernel_shape {ks:?} disagrees with W's spatial shape {k:?}",
                self.node
            );
        }
        debug_assert_eq!(k.len(), nd);
        Ok(k)
    }

    pub fn strides(&self, nd: usize) -> Result<Vec<usize>> {
        self.per_axis("strides", &self.strides, nd, 1)
    }

    pub fn dilations(&self, nd: usize) -> Result<Vec<usize>> {
        self.per_axis("dilations", &self.dilations, nd, 1)
    }

    /// Explicit pads as (begin, end) per axis.
    pub fn explicit_pads(&self, nd: usize) -> Result<(Vec<usize>, Vec<usize>)> {
        match &self.pads {
            Some(p) => {
                ensure!(
                    p.len() == 2 * nd,
                    InvalidArgument,
                    "{}: pads has {} values but the input has {nd} spatial axes (needs {})",
                    self.node,
                    p.len(),
                    2 * nd
                );
                Ok((p[..nd].to_vec(), p[nd..].to_vec()))
            }
            None => Ok((vec![0; nd], vec![0; nd])),
        }
    }

    /// The sliding window of a forward convolution (Conv, ConvInteger, QLinearConv,
    /// DeformConv) of X's spatial dims with kernel `k`, output dims included.
    pub fn forward_window(&self, x_spatial: &[usize], k: Vec<usize>) -> Result<Window> {
        let nd = x_spatial.len();
        let strides = self.strides(nd)?;
        let dilations = self.dilations(nd)?;
        let (mut begin, mut end) = self.explicit_pads(nd)?;
        let mut output = Vec::with_capacity(nd);
        for i in 0..nd {
            let (len, s) = (x_spatial[i], strides[i]);
            let span = (k[i] - 1)
                .checked_mul(dilations[i])
                .and_then(|v| v.checked_add(1))
                .ok_or_else(|| onnxrun_core::err!(InvalidArgument, "{}: dilated kernel overflows", self.node))?;
            match self.auto_pad {
                AutoPad::SameUpper | AutoPad::SameLower => {
                    let out = len.div_ceil(s);
                    let needed = ((out.max(1) - 1) * s + span).saturating_sub(len);
                    let head = if self.auto_pad == AutoPad::SameLower { needed.div_ceil(2) } else { needed / 2 };
                    begin[i] = head;
                    end[i] = needed - head;
                }
                AutoPad::Valid => {
                    begin[i] = 0;
                    end[i] = 0;
                }
                AutoPad::NotSet => {}
            }
            let padded = len
                .checked_add(begin[i])
                .and_then(|v| v.checked_add(end[i]))
                .filter(|&v| v <= isize::MAX as usize / 2)
                .ok_or_else(|| onnxrun_core::err!(InvalidArgument, "{}: pads {:?} are out of range", self.node, self.pads))?;
            ensure!(
                padded >= span,
                InvalidArgument,
                "{}: spatial axis {i} of size {len} (padded {padded}) is smaller than the dilated kernel ({span})",
                self.node
            );
            output.push((padded - span) / s + 1);
        }
        Ok(Window {
            input: x_spatial.to_vec(),
            output,
            kernel: k,
            strides,
            dilations,
            pads: begin.iter().map(|&p| p as isize).collect(),
        })
    }
}

/// Checks a forward conv's X [N, C, ...] and W [M, C/group, k...] against each other,
/// returning (N, C, M).
pub(super) fn check_forward_shapes(a: &ConvAttrs, x: &[usize], w: &[usize]) -> Result<(usize, usize, usize)> {
    let node = &a.node;
    ensure!(x.len() >= 3, InvalidArgument, "{node}: X must have rank >= 3 (N, C, spatial...), got shape {x:?}");
    ensure!(
        w.len() == x.len(),
        InvalidArgument,
        "{node}: W must have the rank of X ({}), got W {w:?} for X {x:?}",
        x.len()
    );
    let (n, c, m, g) = (x[0], x[1], w[0], a.group);
    ensure!(
        w[1].checked_mul(g) == Some(c),
        InvalidArgument,
        "{node}: X has {c} channels but W {w:?} expects {} per group x {g} groups",
        w[1]
    );
    ensure!(m % g == 0, InvalidArgument, "{node}: group {g} does not divide the {m} output channels of W {w:?}");
    Ok((n, c, m))
}
