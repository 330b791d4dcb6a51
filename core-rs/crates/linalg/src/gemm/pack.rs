//! Packing of A blocks and B panels into the layouts the micro-kernels read.
//!
//! Packed A block: `ceil(mc/MR)` panels, each `kc` steps of `MR` values (rows of one
//! k step side by side), zero-padded past the last row.
//! Packed B: for each k block (`kc` rows starting at `p0`), `ceil(n/NR)` panels, each
//! `kc` steps of `NR` values, zero-padded past the last column. Block `p0` starts at
//! `p0 * panels * NR` and panel `j` of it at `+ j * kc * NR`, so a panel is contiguous.

use super::Element;

/// A logical `rows × cols` operand stored row-major with leading dimension `ld`,
/// transposed in storage when `trans` (element (r, c) is then at `c * ld + r`).
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a, T> {
    pub data: &'a [T],
    pub ld: usize,
    pub trans: bool,
}

/// Packs rows `i0..i0+mc`, depths `p0..p0+kc` of `a` into `out` (len ≥ ceil(mc/mr)*mr*kc).
pub(crate) fn pack_a<T: Element>(
    a: Mat<'_, T>,
    i0: usize,
    mc: usize,
    p0: usize,
    kc: usize,
    mr: usize,
    out: &mut [T],
) {
    let panels = mc.div_ceil(mr);
    for (q, panel) in out[..panels * mr * kc]
        .chunks_exact_mut(mr * kc)
        .enumerate()
    {
        let r0 = i0 + q * mr;
        let rows = mr.min(i0 + mc - r0);
        if a.trans {
            // Stored k × m: one k step of the panel is a contiguous run.
            for (p, dst) in panel.chunks_exact_mut(mr).enumerate() {
                let src = &a.data[(p0 + p) * a.ld + r0..][..rows];
                dst[..rows].copy_from_slice(src);
                dst[rows..].fill(T::ZERO);
            }
        } else {
            for r in 0..rows {
                let src = &a.data[(r0 + r) * a.ld + p0..][..kc];
                for (dst, &v) in panel[r..].iter_mut().step_by(mr).zip(src) {
                    *dst = v;
                }
            }
            if rows < mr {
                for dst in panel.chunks_exact_mut(mr) {
                    dst[rows..].fill(T::ZERO);
                }
            }
        }
    }
}

/// Packs one B panel: depths `p0..p0+kc`, columns `j0..j0+cols` (cols ≤ nr) into
/// `out` (len `kc * nr`).
pub(crate) fn pack_b_panel<T: Element>(
    b: Mat<'_, T>,
    p0: usize,
    kc: usize,
    j0: usize,
    cols: usize,
    nr: usize,
    out: &mut [T],
) {
    debug_assert_eq!(out.len(), kc * nr);
    if b.trans {
        // Stored n × k: each column of op(B) is a contiguous run.
        for c in 0..cols {
            let src = &b.data[(j0 + c) * b.ld + p0..][..kc];
            for (dst, &v) in out[c..].iter_mut().step_by(nr).zip(src) {
                *dst = v;
            }
        }
        if cols < nr {
            for dst in out.chunks_exact_mut(nr) {
                dst[cols..].fill(T::ZERO);
            }
        }
    } else {
        for (p, dst) in out.chunks_exact_mut(nr).enumerate() {
            let src = &b.data[(p0 + p) * b.ld + j0..][..cols];
            dst[..cols].copy_from_slice(src);
            dst[cols..].fill(T::ZERO);
        }
    }
}

/// Geometry of a packed B (see the module docs).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PackedLayout {
    pub k: usize,
    pub n: usize,
    pub nr: usize,
    pub kc: usize,
}

impl PackedLayout {
    pub fn panels(&self) -> usize {
        self.n.div_ceil(self.nr)
    }

    pub fn len(&self) -> usize {
        self.k * self.panels() * self.nr
    }

    /// Offset and length of panel `j` of the k block starting at `p0`.
    pub fn panel(&self, p0: usize, j: usize) -> (usize, usize) {
        let kc = self.kc.min(self.k - p0);
        (
            p0 * self.panels() * self.nr + j * kc * self.nr,
            kc * self.nr,
        )
    }

    /// Offset of element (p, j) of the packed matrix.
    pub fn element(&self, p: usize, j: usize) -> usize {
        let p0 = p / self.kc * self.kc;
        let (panel, _) = self.panel(p0, j / self.nr);
        panel + (p - p0) * self.nr + j % self.nr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_b_layout_places_every_element() {
        let (k, n, nr, kc) = (37, 11, 4, 16);
        let b: Vec<f32> = (0..k * n).map(|i| i as f32).collect();
        let layout = PackedLayout { k, n, nr, kc };
        let mut out = vec![-1.0f32; layout.len()];
        for p0 in (0..k).step_by(kc) {
            for j in 0..layout.panels() {
                let (off, len) = layout.panel(p0, j);
                let mat = Mat {
                    data: &b,
                    ld: n,
                    trans: false,
                };
                pack_b_panel(
                    mat,
                    p0,
                    kc.min(k - p0),
                    j * nr,
                    nr.min(n - j * nr),
                    nr,
                    &mut out[off..off + len],
                );
            }
        }
        for p in 0..k {
            for j in 0..n {
                assert_eq!(out[layout.element(p, j)], b[p * n + j]);
            }
        }
        // Padding columns are zero, nothing left unwritten.
        assert!(out.iter().all(|&v| v >= 0.0));
        assert_eq!(
            out.iter().filter(|&&v| v == 0.0).count(),
            1 + k * (layout.panels() * nr - n)
        );
    }

    #[test]
    fn packed_a_interleaves_rows_and_pads() {
        // A is 5 x 3 (row-major); pack rows 1..5 (4 rows), all of k, with mr = 3.
        let a: Vec<f32> = (1..=15).map(|i| i as f32).collect();
        let mut out = vec![-1.0f32; 2 * 3 * 3];
        pack_a(
            Mat {
                data: &a,
                ld: 3,
                trans: false,
            },
            1,
            4,
            0,
            3,
            3,
            &mut out,
        );
        assert_eq!(
            out,
            [4., 7., 10., 5., 8., 11., 6., 9., 12., 13., 0., 0., 14., 0., 0., 15., 0., 0.]
        );
        // Same block from Aᵀ stored 3 x 5.
        let at: Vec<f32> = (0..15).map(|i| a[(i % 5) * 3 + i / 5]).collect();
        let mut out_t = vec![-1.0f32; 18];
        pack_a(
            Mat {
                data: &at,
                ld: 5,
                trans: true,
            },
            1,
            4,
            0,
            3,
            3,
            &mut out_t,
        );
        assert_eq!(out, out_t);
    }
}
