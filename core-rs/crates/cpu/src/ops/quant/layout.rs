//! Quantization granularity: which scale (and zero point) each data element uses.
//! The data is walked as rows of contiguous elements that either share one scale
//! (`At::One`) or read one scale per element from a slice as long as the row (`At::Each`),
//! so the kernels' inner loops always run over contiguous slices.

use crate::util::parallel::for_chunks_mut;
use onnxrun_core::{bail, ensure, Result};
use onnxrun_linalg::ThreadPool;
use std::ops::Range;

/// Per-tensor data is cut into rows of this many elements (the unit of parallel work).
const TENSOR_CHUNK: usize = 1 << 14;
/// Per-axis rows shorter than this are merged into whole `[axis, inner]` blocks with one
/// expanded scale per element, so the loops stay long (e.g. axis = the last dimension).
const SHORT_ROW: usize = 16;

/// Where a row's scales come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum At {
    /// Every element of the row uses scale `i`.
    One(usize),
    /// Element `j` of the row uses scale `i + j`.
    Each(usize),
}

#[derive(Clone, Debug)]
enum Kind {
    Tensor,
    /// Data viewed as `[outer, d, inner]`; row `r` (length `inner`) uses scale `r % d`.
    AxisRows {
        d: usize,
    },
    /// Rows are whole `[d, inner]` blocks over scales expanded to `d * inner` (`expand`).
    AxisExpanded {
        inner: usize,
    },
    /// Blocked along the last non-trivial axis (`inner == 1`): row `r` is one `[d]` line and
    /// each run of `b` elements shares scale `r * nb + run`.
    BlockRuns {
        nb: usize,
        b: usize,
    },
    /// Blocked with `inner > 1`: row `(o, m)` reads scales `((o * nb + m / b) * inner)..`.
    BlockRows {
        d: usize,
        nb: usize,
        b: usize,
        inner: usize,
    },
}

/// How a scale tensor of some shape applies to data of some shape.
#[derive(Clone, Debug)]
pub(super) struct Plan {
    row_len: usize,
    kind: Kind,
}

/// Normalizes `axis` for data of rank `rank`.
pub(super) fn norm_axis(axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    ensure!(
        (-r..r).contains(&axis),
        InvalidArgument,
        "axis {axis} is out of range for data of rank {rank}"
    );
    Ok(if axis < 0 {
        (axis + r) as usize
    } else {
        axis as usize
    })
}

impl Plan {
    /// The plan for data shape `x` and scale shape `scale`: a one-element scale is
    /// per-tensor; otherwise `block == 0` means per-axis (a 1-D scale as long as the axis)
    /// and `block > 0` blocked (the data shape with the axis cut to `ceil(d / block)`).
    pub fn new(x: &[usize], scale: &[usize], axis: i64, block: usize) -> Result<Plan> {
        let n: usize = x.iter().product();
        if scale.iter().product::<usize>() == 1 {
            return Ok(Plan {
                row_len: TENSOR_CHUNK.min(n).max(1),
                kind: Kind::Tensor,
            });
        }
        ensure!(!x.is_empty(), InvalidArgument, "scale of shape {scale:?} needs data of rank >= 1 (or a one-element scale), got a scalar");
        let ax = norm_axis(axis, x.len())?;
        let (d, inner) = (x[ax], x[ax + 1..].iter().product::<usize>());
        if block == 0 {
            ensure!(
                scale.len() == 1 && scale[0] == d,
                InvalidArgument,
                "scale of shape {scale:?} does not fit data of shape {x:?}: per-axis quantization along axis {ax} needs a 1-D scale of length {d} (or a one-element scale)"
            );
            if inner >= SHORT_ROW {
                return Ok(Plan {
                    row_len: inner,
                    kind: Kind::AxisRows { d },
                });
            }
            return Ok(Plan {
                row_len: (d * inner).max(1),
                kind: Kind::AxisExpanded { inner },
            });
        }
        let nb = d.div_ceil(block);
        let fits = scale.len() == x.len()
            && scale
                .iter()
                .zip(x)
                .enumerate()
                .all(|(i, (&s, &xd))| if i == ax { s == nb } else { s == xd });
        if !fits {
            let mut want = x.to_vec();
            want[ax] = nb;
            bail!(
                InvalidArgument,
                "scale of shape {scale:?} does not fit blocked quantization of data of shape {x:?} along axis {ax} with block_size {block}: expected shape {want:?}"
            );
        }
        if inner == 1 {
            Ok(Plan {
                row_len: d.max(1),
                kind: Kind::BlockRuns { nb, b: block },
            })
        } else {
            Ok(Plan {
                row_len: inner,
                kind: Kind::BlockRows {
                    d,
                    nb,
                    b: block,
                    inner,
                },
            })
        }
    }

    /// Scale (or zero point) values in the order the rows read them: unchanged except for
    /// merged short per-axis rows, where each value repeats `inner` times.
    pub fn expand<T: Copy>(&self, v: Vec<T>) -> Vec<T> {
        match self.kind {
            Kind::AxisExpanded { inner } if inner > 1 => v
                .iter()
                .flat_map(|&s| std::iter::repeat_n(s, inner))
                .collect(),
            _ => v,
        }
    }

    /// Calls `f(data_range, out_part, at)` for rows covering `out` (the data's length),
    /// over the pool when one is given. `out_part` is `out[data_range]`.
    pub fn for_rows<Y, F>(&self, pool: Option<&ThreadPool>, out: &mut [Y], f: F) -> Result<()>
    where
        Y: Send,
        F: Fn(Range<usize>, &mut [Y], At) + Sync,
    {
        let l = self.row_len;
        for_chunks_mut(pool, out, l, |r, part| {
            let s = r * l;
            let range = s..s + part.len();
            match self.kind {
                Kind::Tensor => f(range, part, At::One(0)),
                Kind::AxisRows { d } => f(range, part, At::One(r % d)),
                Kind::AxisExpanded { .. } => f(range, part, At::Each(0)),
                Kind::BlockRuns { nb, b } => {
                    for (j, run) in part.chunks_mut(b).enumerate() {
                        let st = s + j * b;
                        f(st..st + run.len(), run, At::One(r * nb + j));
                    }
                }
                Kind::BlockRows { d, nb, b, inner } => {
                    f(range, part, At::Each(((r / d) * nb + (r % d) / b) * inner))
                }
            }
        })
    }
}

/// Zero point and scale must have the same shape (one-element tensors of any rank agree).
pub(super) fn check_same_shape(scale: &[usize], zp: &[usize], what: &str) -> Result<()> {
    let one = |s: &[usize]| s.iter().product::<usize>() == 1;
    ensure!(
        scale == zp || (one(scale) && one(zp)),
        InvalidArgument,
        "{what} of shape {zp:?} must have the scale's shape {scale:?}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(p: &Plan, n: usize) -> Vec<(Range<usize>, At)> {
        let out = std::sync::Mutex::new(vec![]);
        let mut y = vec![0u8; n];
        p.for_rows(None, &mut y, |r, part, at| {
            assert_eq!(part.len(), r.len());
            out.lock().unwrap().push((r, at));
        })
        .unwrap();
        out.into_inner().unwrap()
    }

    #[test]
    fn blocked_runs_and_rows() {
        // [2, 5] blocked along axis 1 by 2: scales [2, 3], runs of 2, 2, 1.
        let p = Plan::new(&[2, 5], &[2, 3], 1, 2).unwrap();
        let r = rows(&p, 10);
        assert_eq!(r[0], (0..2, At::One(0)));
        assert_eq!(r[2], (4..5, At::One(2)));
        assert_eq!(r[3], (5..7, At::One(3)));
        // [4, 3] blocked along axis 0 by 3: scales [2, 3]; row m reads scales (m / 3) * 3.
        let p = Plan::new(&[4, 3], &[2, 3], 0, 3).unwrap();
        let r = rows(&p, 12);
        assert_eq!(
            r.iter().map(|x| x.1).collect::<Vec<_>>(),
            vec![At::Each(0), At::Each(0), At::Each(0), At::Each(3)]
        );
        assert!(Plan::new(&[4, 3], &[1, 3], 0, 3).is_err());
        assert!(Plan::new(&[4, 3], &[3], 0, 2).is_err());
    }

    #[test]
    fn per_axis() {
        let p = Plan::new(&[2, 3, 16], &[3], 1, 0).unwrap();
        assert_eq!(rows(&p, 96)[4], (64..80, At::One(1)));
        let p = Plan::new(&[2, 3, 2], &[3], -2, 0).unwrap();
        assert_eq!(p.expand(vec![1, 2, 3]), vec![1, 1, 2, 2, 3, 3]);
        assert_eq!(
            rows(&p, 12),
            vec![(0..6, At::Each(0)), (6..12, At::Each(0))]
        );
        assert!(Plan::new(&[2, 3], &[2], 1, 0).is_err());
        assert!(Plan::new(&[2, 3], &[3], 2, 0).is_err());
    }
}
