//! MaxPool's Indices path: per output element, a scan of its window in row-major order.

use super::elem::{MaxVal, PoolElem};
use super::plan::Plan;
use crate::util::parallel::for_chunks_mut;
use onnxrun_core::Result;
use onnxrun_linalg::ThreadPool;

/// MaxPool with its Indices output: the first largest element of each window (NaN wins),
/// and its flat index in the whole input, row-major or (`col_major`) column-major per plane.
pub fn run_argmax<T: PoolElem>(plan: &Plan, planes: usize, x: &[T], col_major: bool, pool: Option<&ThreadPool>) -> Result<(Vec<T>, Vec<i64>)>
where
    T::A: MaxVal,
{
    let wo = plan.w_out;
    let mut both: Vec<(T, i64)> = vec![(T::default(), 0); planes * plan.out_plane];
    if wo > 0 && plan.out_rows > 0 {
        for_chunks_mut(pool, &mut both, wo, |g, out| {
            let (p, r) = (g / plan.out_rows, g % plan.out_rows);
            let xp = &x[p * plan.in_plane..(p + 1) * plan.in_plane];
            let base = (p * plan.in_plane) as i64;
            let rows = plan.row_ptr[r]..plan.row_ptr[r + 1];
            for (ow, slot) in out.iter_mut().enumerate() {
                let (mut best, mut at, mut found) = (T::A::LOWEST, -1i64, false);
                for i in rows.clone() {
                    let (ro, rc) = (plan.row_off[i], plan.row_cm[i]);
                    for &(lo, hi, off) in &plan.taps {
                        if ow < lo || ow >= hi {
                            continue;
                        }
                        let wp = ((ow * plan.w_stride) as i64 + off) as usize;
                        let v = xp[ro + wp].up();
                        if !found || v > best || (v.nan() && !best.nan()) {
                            found = true;
                            best = v;
                            at = if col_major { rc + wp * plan.cm_w } else { ro + wp } as i64;
                        }
                    }
                }
                *slot = (T::down(best), if found { base + at } else { -1 });
            }
        })?;
    }
    Ok(both.into_iter().unzip())
}
