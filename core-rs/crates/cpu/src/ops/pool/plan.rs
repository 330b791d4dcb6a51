//! The window geometry of one pooling call, planned once and shared by every plane and
//! thread: which input rows fold into each output row, where each tap of the last axis
//! lands, and the divisors AveragePool needs.

use super::geometry::Axis;

/// The window geometry of one call, independent of the plane.
pub struct Plan {
    pub in_plane: usize,
    pub out_plane: usize,
    /// Output rows per plane (the product of the output extents but the last).
    pub out_rows: usize,
    pub w_in: usize,
    pub w_out: usize,
    pub w_stride: usize,
    /// Input rows under output row `r`: `row_off[row_ptr[r]..row_ptr[r + 1]]` (row-major
    /// element offsets in the plane, increasing) and `row_cm` (column-major offsets of the
    /// same rows' outer coordinates, for MaxPool's storage_order = 1 indices).
    pub row_ptr: Vec<usize>,
    pub row_off: Vec<usize>,
    pub row_cm: Vec<usize>,
    /// Divisor factor of each output row (product over the outer axes).
    pub row_cnt: Vec<f64>,
    /// Per tap of the last axis: windows `lo..hi` see it in range, at `o * stride + off`.
    pub taps: Vec<(usize, usize, i64)>,
    /// Divisor factor of each output column.
    pub w_cnt: Vec<f64>,
    /// Column-major stride of the last axis.
    pub cm_w: usize,
    /// Row `r` continues row `r - 1`: its input rows are those of `r - 1`, one row further
    /// on, and its divisor is the same. A run of such rows folds as one long slice.
    pub cont: Vec<bool>,
    /// Every output column has the same divisor factor.
    pub uniform_cols: bool,
}

impl Plan {
    /// `include_pad`: divisors count taps inside the padding too (AveragePool's count_include_pad).
    pub fn new(axes: &[Axis], include_pad: bool) -> Plan {
        let r = axes.len();
        let (outer, last) = (&axes[..r - 1], &axes[r - 1]);
        let count = |a: &Axis, o: usize| (if include_pad { a.padded_count(o) } else { a.taps(o).count() }) as f64;
        // Row-major and column-major strides of the outer axes, in elements.
        let mut rs = vec![0; r - 1];
        let mut acc = last.input;
        for j in (0..r - 1).rev() {
            rs[j] = acc;
            acc *= outer[j].input;
        }
        let mut cs = vec![0; r - 1];
        let mut acc = 1;
        for j in 0..r - 1 {
            cs[j] = acc;
            acc *= outer[j].input;
        }
        let cm_w = acc;
        let lists: Vec<Vec<Vec<usize>>> = outer.iter().map(|a| (0..a.output).map(|o| a.taps(o).collect()).collect()).collect();
        let cnts: Vec<Vec<f64>> = outer.iter().map(|a| (0..a.output).map(|o| count(a, o)).collect()).collect();
        let out_rows: usize = outer.iter().map(|a| a.output).product();
        let (mut row_ptr, mut row_off, mut row_cm, mut row_cnt) = (vec![0], vec![], vec![], vec![]);
        let mut oc = vec![0usize; r - 1];
        for _ in 0..out_rows {
            let l: Vec<&[usize]> = (0..r - 1).map(|j| &lists[j][oc[j]][..]).collect();
            row_cnt.push((0..r - 1).map(|j| cnts[j][oc[j]]).product());
            if l.iter().all(|v| !v.is_empty()) {
                // Every combination of in-range positions, last outer axis fastest (row-major order).
                let mut ti = vec![0usize; r - 1];
                'combos: loop {
                    row_off.push((0..r - 1).map(|j| l[j][ti[j]] * rs[j]).sum());
                    row_cm.push((0..r - 1).map(|j| l[j][ti[j]] * cs[j]).sum());
                    let mut j = r - 1;
                    loop {
                        if j == 0 {
                            break 'combos;
                        }
                        j -= 1;
                        ti[j] += 1;
                        if ti[j] < l[j].len() {
                            break;
                        }
                        ti[j] = 0;
                    }
                }
            }
            row_ptr.push(row_off.len());
            for j in (0..r - 1).rev() {
                oc[j] += 1;
                if oc[j] < outer[j].output {
                    break;
                }
                oc[j] = 0;
            }
        }
        let w = last.input;
        let cont = (0..out_rows)
            .map(|r| {
                r > 0 && row_cnt[r] == row_cnt[r - 1] && {
                    let (a, b) = (&row_off[row_ptr[r - 1]..row_ptr[r]], &row_off[row_ptr[r]..row_ptr[r + 1]]);
                    a.len() == b.len() && !a.is_empty() && a.iter().zip(b).all(|(&p, &q)| q == p + w)
                }
            })
            .collect();
        let w_cnt: Vec<f64> = (0..last.output).map(|o| count(last, o)).collect();
        Plan {
            uniform_cols: w_cnt.iter().all(|&c| c == w_cnt[0]),
            w_cnt,
            cont,
            in_plane: axes.iter().map(|a| a.input).product(),
            out_plane: axes.iter().map(|a| a.output).product(),
            out_rows,
            w_in: last.input,
            w_out: last.output,
            w_stride: last.stride,
            row_ptr,
            row_off,
            row_cm,
            row_cnt,
            taps: (0..last.kernel).map(|t| last.tap_range(t)).collect(),
            cm_w,
        }
    }

    /// Scalar operations a call costs (for deciding on the thread pool).
    pub fn work(&self, planes: usize) -> usize {
        planes * (self.row_off.len() * self.w_in + self.out_rows * self.w_out * self.taps.len())
    }
}

