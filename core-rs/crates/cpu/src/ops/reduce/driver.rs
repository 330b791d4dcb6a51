//! The reduction loops, written once for every op: `OP` picks the per-element map
//! (abs, square, exp), the fold step (add, mul, max, min) and the finish (mean, sqrt, log)
//! at compile time. The innermost merged dim is either folded as a contiguous row (with
//! eight partial accumulators, so the fold pipelines) or, when it is kept, streamed
//! lane-wise into a run of outputs.

use super::elem::{Num, RElem};
use super::plan::ReducePlan;
use crate::util::parallel::{for_chunk_ranges_mut, PARALLEL_MIN_WORK};
use onnxrun_core::{Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub(crate) const SUM: u8 = 0;
pub(crate) const MEAN: u8 = 1;
pub(crate) const MAX: u8 = 2;
pub(crate) const MIN: u8 = 3;
pub(crate) const PROD: u8 = 4;
pub(crate) const L1: u8 = 5;
pub(crate) const L2: u8 = 6;
pub(crate) const LOG_SUM: u8 = 7;
pub(crate) const LOG_SUM_EXP: u8 = 8;
pub(crate) const SUM_SQUARE: u8 = 9;

#[inline(always)]
fn identity<T: RElem, const OP: u8>() -> T::S {
    match OP {
        MAX => T::LOWEST.to_s(),
        MIN => T::HIGHEST.to_s(),
        PROD => T::S::ONE,
        _ => T::S::ZERO,
    }
}

#[inline(always)]
fn map<S: Num, const OP: u8>(x: S, shift: S) -> S {
    match OP {
        L1 => x.abs(),
        L2 | SUM_SQUARE => x.mul(x),
        LOG_SUM_EXP => x.sub(shift).exp(),
        _ => x,
    }
}

#[inline(always)]
fn step<S: Num, const OP: u8>(a: S, b: S) -> S {
    match OP {
        MAX => a.maxp(b),
        MIN => a.minp(b),
        PROD => a.mul(b),
        _ => a.add(b),
    }
}

#[inline(always)]
fn finish<S: Num, const OP: u8>(a: S, count: usize, shift: S) -> S {
    match OP {
        MEAN => a.div_count(count),
        L2 => S::from_f64(a.to_f64().sqrt()),
        LOG_SUM => S::from_f64(a.to_f64().ln()),
        LOG_SUM_EXP => S::from_f64(a.to_f64().ln() + shift.to_f64()),
        _ => a,
    }
}

/// Fold of one contiguous row, starting from the identity.
#[inline(always)]
fn fold_row<T: RElem, const OP: u8>(row: &[T], shift: T::S) -> T::S {
    let id = identity::<T, OP>();
    let mut p = [id; 8];
    let mut chunks = row.chunks_exact(8);
    for c in &mut chunks {
        for i in 0..8 {
            p[i] = step::<_, OP>(p[i], map::<_, OP>(c[i].to_s(), shift));
        }
    }
    let mut r = id;
    for &v in chunks.remainder() {
        r = step::<_, OP>(r, map::<_, OP>(v.to_s(), shift));
    }
    let a = step::<_, OP>(step::<_, OP>(p[0], p[1]), step::<_, OP>(p[2], p[3]));
    let b = step::<_, OP>(step::<_, OP>(p[4], p[5]), step::<_, OP>(p[6], p[7]));
    step::<_, OP>(step::<_, OP>(a, b), r)
}

/// Folds `x` (laid out as `dims`) into `acc` (the outputs of those dims, kept ones only).
/// `shift` is per-output (LogSumExp's max) and empty for the other ops.
fn serial<T: RElem, const OP: u8>(x: &[T], dims: &[(usize, bool)], acc: &mut [T::S], shift: &[T::S]) {
    let (len, red) = dims[dims.len() - 1];
    let outer = &dims[..dims.len() - 1];
    let mut ostr = vec![0usize; outer.len()];
    let mut size = if red { 1 } else { len };
    for d in (0..outer.len()).rev() {
        if !outer[d].1 {
            ostr[d] = size;
            size *= outer[d].0;
        }
    }
    let mut idx = vec![0usize; outer.len()];
    let mut o = 0usize;
    for row in x.chunks_exact(len) {
        if red {
            let sh = if OP == LOG_SUM_EXP { shift[o] } else { T::S::ZERO };
            acc[o] = step::<_, OP>(acc[o], fold_row::<T, OP>(row, sh));
        } else if OP == LOG_SUM_EXP {
            for ((a, &v), &s) in acc[o..o + len].iter_mut().zip(row).zip(&shift[o..o + len]) {
                *a = step::<_, OP>(*a, map::<_, OP>(v.to_s(), s));
            }
        } else {
            for (a, &v) in acc[o..o + len].iter_mut().zip(row) {
                *a = step::<_, OP>(*a, map::<_, OP>(v.to_s(), T::S::ZERO));
            }
        }
        for d in (0..outer.len()).rev() {
            idx[d] += 1;
            o += ostr[d];
            if idx[d] < outer[d].0 {
                break;
            }
            o -= ostr[d] * outer[d].0;
            idx[d] = 0;
        }
    }
}

/// The accumulators of every output (before `finish`). Splits the outermost dim over the
/// pool when it is kept: its slices feed disjoint blocks of outputs.
fn accumulate<T: RElem, const OP: u8>(pool: Option<&ThreadPool>, x: &[T], plan: &ReducePlan, shift: &[T::S]) -> Result<Vec<T::S>> {
    let mut acc = vec![identity::<T, OP>(); plan.out_len];
    if x.is_empty() {
        return Ok(acc);
    }
    let dims = &plan.dims;
    if pool.is_some() && dims.len() >= 2 && !dims[0].1 && x.len() >= PARALLEL_MIN_WORK {
        let n0 = dims[0].0;
        let (xs, os) = (x.len() / n0, plan.out_len / n0);
        for_chunk_ranges_mut(pool, &mut acc, os, |r, a| {
            for (i, a) in r.zip(a.chunks_mut(os)) {
                let sh = if shift.is_empty() { &[][..] } else { &shift[i * os..][..os] };
                serial::<T, OP>(&x[i * xs..][..xs], &dims[1..], a, sh);
            }
        })?;
    } else {
        serial::<T, OP>(x, dims, &mut acc, shift);
    }
    Ok(acc)
}

/// Runs reduction `OP` over `x` as planned.
pub(crate) fn reduce<T: RElem, const OP: u8>(pool: Option<&ThreadPool>, x: &Tensor, plan: &ReducePlan) -> Result<Tensor> {
    let xs = x.data::<T>()?;
    let shift = if OP == LOG_SUM_EXP {
        // Subtract each output's max so exp cannot overflow; an infinite or empty max
        // shifts by nothing (the sum is then 0 or inf and its log already right).
        let mut m = accumulate::<T, MAX>(pool, xs, plan, &[])?;
        for v in m.iter_mut() {
            if !v.to_f64().is_finite() {
                *v = T::S::ZERO;
            }
        }
        m
    } else {
        Vec::new()
    };
    let acc = accumulate::<T, OP>(pool, xs, plan, &shift)?;
    let out: Vec<T> = acc
        .into_iter()
        .enumerate()
        .map(|(o, a)| T::from_s(finish::<_, OP>(a, plan.count, if OP == LOG_SUM_EXP { shift[o] } else { T::S::ZERO })))
        .collect();
    Tensor::from_vec(plan.out_shape.clone(), out)
}
