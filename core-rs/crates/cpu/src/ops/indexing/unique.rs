//! Unique: distinct elements (or slices along an axis), sorted or in order of first
//! appearance, with first-occurrence indices, inverse indices and counts.

use super::TotalOrd;
use crate::util::elems::{norm_axis, AtNode, Elem};
use crate::with_elem;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, DataType, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use std::cmp::Ordering;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Unique", 11, unique));
}

/// The slices of a [outer, dim, inner] view, compared lexicographically.
struct Slices<'a, T> {
    data: &'a [T],
    outer: usize,
    dim: usize,
    inner: usize,
}

impl<T> Slices<'_, T> {
    fn cmp(&self, a: usize, b: usize, f: impl Fn(&T, &T) -> Ordering) -> Ordering {
        for o in 0..self.outer {
            let (ra, rb) = ((o * self.dim + a) * self.inner, (o * self.dim + b) * self.inner);
            for i in 0..self.inner {
                let c = f(&self.data[ra + i], &self.data[rb + i]);
                if c != Ordering::Equal {
                    return c;
                }
            }
        }
        Ordering::Equal
    }
}

/// Groups of equal slices: (first index, count) per group in output order, and each
/// slice's group number.
fn group<T>(s: &Slices<'_, T>, sorted: bool, f: impl Fn(&T, &T) -> Ordering + Copy) -> Groups {
    let mut order: Vec<usize> = (0..s.dim).collect();
    // Stable: within a group the first occurrence comes first.
    order.sort_by(|&a, &b| s.cmp(a, b, f));
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut of = vec![0usize; s.dim];
    for (p, &i) in order.iter().enumerate() {
        if p > 0 && s.cmp(order[p - 1], i, f) == Ordering::Equal {
            groups.last_mut().expect("a group is open").1 += 1;
        } else {
            groups.push((i, 1));
        }
        of[i] = groups.len() - 1;
    }
    if !sorted {
        // Reorder groups by first appearance.
        let mut by_first: Vec<usize> = (0..groups.len()).collect();
        by_first.sort_by_key(|&g| groups[g].0);
        let mut rank = vec![0usize; groups.len()];
        for (r, &g) in by_first.iter().enumerate() {
            rank[g] = r;
        }
        groups = by_first.iter().map(|&g| groups[g]).collect();
        for g in of.iter_mut() {
            *g = rank[*g];
        }
    }
    (groups, of)
}

/// (first index, count) per unique slice in output order, and each slice's group.
type Groups = (Vec<(usize, usize)>, Vec<usize>);

fn typed_groups(x: &Tensor, outer: usize, dim: usize, inner: usize, sorted: bool) -> Result<Groups> {
    macro_rules! by {
        ($t:ty) => {{
            let s = Slices { data: x.data::<$t>()?, outer, dim, inner };
            Ok(group(&s, sorted, |a: &$t, b: &$t| a.total(b)))
        }};
    }
    match x.dtype() {
        DataType::Float => by!(f32),
        DataType::Double => by!(f64),
        DataType::Float16 => by!(f16),
        DataType::Bfloat16 => by!(bf16),
        DataType::Int8 => by!(i8),
        DataType::Int16 => by!(i16),
        DataType::Int32 => by!(i32),
        DataType::Int64 => by!(i64),
        DataType::Uint8 => by!(u8),
        DataType::Uint16 => by!(u16),
        DataType::Uint32 => by!(u32),
        DataType::Uint64 => by!(u64),
        DataType::Bool => by!(bool),
        DataType::String => {
            let s = Slices { data: x.strings()?, outer, dim, inner };
            Ok(group(&s, sorted, |a: &String, b: &String| a.cmp(b)))
        }
        d => bail!(InvalidArgument, "Unique does not support {d}"),
    }
}

fn unique(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let axis = node.get_int("axis")?;
    let sorted = node.int_or("sorted", 1)? != 0;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let x = ctx.input(0)?;
        let (outer, dim, inner, a) = match axis {
            Some(a) => {
                let a = norm_axis(a, x.rank(), "Unique").at(node)?;
                (x.shape()[..a].iter().product::<usize>(), x.shape()[a], x.shape()[a + 1..].iter().product::<usize>(), Some(a))
            }
            None => (1, x.len(), 1, None),
        };
        let (groups, of) = typed_groups(x, outer, dim, inner, sorted).at(node)?;
        let u = groups.len();
        let out_shape = match a {
            Some(a) => {
                let mut s = x.shape().to_vec();
                s[a] = u;
                s
            }
            None => vec![u],
        };
        let y = with_elem!(x.dtype(), T => {
            let src = T::view(x)?;
            let mut out: Vec<T> = Vec::with_capacity(outer * u * inner);
            for o in 0..outer {
                for &(first, _) in &groups {
                    let s = (o * dim + first) * inner;
                    out.extend_from_slice(&src[s..s + inner]);
                }
            }
            T::build(x.dtype(), out_shape, out)
        })?;
        ctx.set_output(0, y)?;
        let firsts: Vec<i64> = groups.iter().map(|g| g.0 as i64).collect();
        let counts: Vec<i64> = groups.iter().map(|g| g.1 as i64).collect();
        let inverse: Vec<i64> = of.iter().map(|&g| g as i64).collect();
        if ctx.output_required(1) {
            ctx.set_output(1, Tensor::from_vec(vec![u], firsts)?)?;
        }
        if ctx.output_required(2) {
            ctx.set_output(2, Tensor::from_vec(vec![dim], inverse)?)?;
        }
        if ctx.output_required(3) {
            ctx.set_output(3, Tensor::from_vec(vec![u], counts)?)?;
        }
        Ok(())
    })))
}
