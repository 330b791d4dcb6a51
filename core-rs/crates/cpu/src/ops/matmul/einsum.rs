//! Einsum (opset 12): parse the equation (letters, `...` broadcast dims, implicit or
//! explicit output), take diagonals of repeated labels, sum out labels used by one
//! operand only, then contract operands left to right, each pair as one batched GEMM:
//! both are packed (a strided gather) into `[batch, free, contracted]` layouts. Floats
//! compute in f32 (f64 for double), integers in 64-bit with wrapping.

use super::int_gemm::int_gemm;
#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use crate::ops::reduce::elem::RElem;
use crate::util::real::Real;
use onnxrun_core::{bail, ensure, Element, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::{dgemm, sgemm, ThreadPool};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Einsum", 12, make));
}

/// A dimension label: a letter's code, or `ELLIPSIS + j` for the j-th broadcast dim.
type Label = u32;
const ELLIPSIS: Label = 1 << 16;

struct Einsum {
    inputs: Vec<Term>,
    output: Option<Term>,
}

/// One side of the equation: labels with at most one `...` at `ellipsis_at`.
#[derive(Clone, Debug)]
struct Term {
    letters: Vec<Label>,
    ellipsis_at: Option<usize>,
}

fn parse_term(s: &str, eq: &str) -> Result<Term> {
    let mut letters = Vec::new();
    let mut ellipsis_at = None;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_alphabetic() => {
                letters.push(c as Label);
                i += 1;
            }
            b'.' if b[i..].starts_with(b"...") && ellipsis_at.is_none() => {
                ellipsis_at = Some(letters.len());
                i += 3;
            }
            _ => bail!(InvalidGraph, "einsum equation '{eq}': unexpected '{}' in term '{s}'", b[i] as char),
        }
    }
    Ok(Term { letters, ellipsis_at })
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let eq: String = node.string_or("equation", "")?.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let inputs = lhs.split(',').map(|t| parse_term(t, &eq)).collect::<Result<Vec<_>>>().map_err(|e| e.context(node.describe()))?;
    let output = rhs.map(|r| parse_term(r, &eq)).transpose().map_err(|e| e.context(node.describe()))?;
    Ok(Box::new(Einsum { inputs, output }))
}

/// An operand in compute type W: contiguous data with one label per dim.
struct Operand<W> {
    data: Vec<W>,
    shape: Vec<usize>,
    labels: Vec<Label>,
}

/// The arithmetic Einsum needs from its compute type.
trait Work: Copy + Send + Sync + Default + std::ops::Add<Output = Self> + 'static {
    /// `c = a (b×m×k) · b (b×k×n)` per batch.
    #[allow(clippy::too_many_arguments)]
    fn batched_gemm(pool: Option<&ThreadPool>, batch: usize, m: usize, n: usize, k: usize, a: &[Self], b: &[Self], c: &mut [Self]);
    fn wadd(self, o: Self) -> Self {
        self + o
    }
}

impl Work for f32 {
    fn batched_gemm(pool: Option<&ThreadPool>, batch: usize, m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
        for i in 0..batch {
            sgemm(pool, false, false, m, n, k, 1.0, &a[i * m * k..][..m * k], k, &b[i * k * n..][..k * n], n, 0.0, &mut c[i * m * n..][..m * n], n);
        }
    }
}
impl Work for f64 {
    fn batched_gemm(pool: Option<&ThreadPool>, batch: usize, m: usize, n: usize, k: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
        for i in 0..batch {
            dgemm(pool, false, false, m, n, k, 1.0, &a[i * m * k..][..m * k], k, &b[i * k * n..][..k * n], n, 0.0, &mut c[i * m * n..][..m * n], n);
        }
    }
}
macro_rules! int_work {
    ($t:ty) => {
        impl Work for $t {
            fn batched_gemm(_: Option<&ThreadPool>, batch: usize, m: usize, n: usize, k: usize, a: &[$t], b: &[$t], c: &mut [$t]) {
                for i in 0..batch {
                    int_gemm(false, false, m, n, k, 1, &a[i * m * k..][..m * k], k, &b[i * k * n..][..k * n], n, 0, &mut c[i * m * n..][..m * n], n);
                }
            }
            fn wadd(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
        }
    };
}
int_work!(i64);
int_work!(u64);

/// Copies the strided view (`shape`, element `strides` into `x`) into a contiguous vector.
fn gather<W: Copy>(x: &[W], shape: &[usize], strides: &[usize]) -> Vec<W> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    if shape.is_empty() {
        out.push(x[0]);
        return out;
    }
    let r = shape.len();
    let (len, st) = (shape[r - 1], strides[r - 1]);
    let mut idx = vec![0usize; r - 1];
    let mut base = 0usize;
    for _ in 0..n / len {
        out.extend((0..len).map(|i| x[base + i * st]));
        for d in (0..r - 1).rev() {
            idx[d] += 1;
            base += strides[d];
            if idx[d] < shape[d] {
                break;
            }
            base -= strides[d] * shape[d];
            idx[d] = 0;
        }
    }
    out
}

impl<W: Work> Operand<W> {
    /// This operand laid out along `labels` (each of this operand's labels must be
    /// listed; listed labels it lacks, or holds with size 1, broadcast with stride 0).
    fn view(&self, labels: &[Label], sizes: &dyn Fn(Label) -> usize) -> Vec<W> {
        let mut st = vec![0usize; self.shape.len()];
        let mut acc = 1;
        for d in (0..self.shape.len()).rev() {
            st[d] = acc;
            acc *= self.shape[d];
        }
        let shape: Vec<usize> = labels.iter().map(|&l| sizes(l)).collect();
        let strides: Vec<usize> = labels
            .iter()
            .map(|&l| {
                // Repeated labels (a diagonal) add their strides.
                self.labels.iter().zip(&self.shape).zip(&st).filter(|((&ol, &sz), _)| ol == l && sz != 1).map(|(_, &s)| s).sum()
            })
            .collect();
        gather(&self.data, &shape, &strides)
    }

    /// Keeps only `keep` (in that order), summing out the rest of this operand's labels.
    fn reduce_to(&self, keep: &[Label], sizes: &dyn Fn(Label) -> usize) -> Operand<W> {
        let mut uniq: Vec<Label> = Vec::new();
        for &l in &self.labels {
            if !uniq.contains(&l) {
                uniq.push(l);
            }
        }
        let summed: Vec<Label> = uniq.iter().copied().filter(|l| !keep.contains(l)).collect();
        let order: Vec<Label> = keep.iter().chain(&summed).copied().collect();
        let data = self.view(&order, sizes);
        let row: usize = summed.iter().map(|&l| sizes(l)).product();
        let data = if summed.is_empty() {
            data
        } else if row == 0 {
            vec![W::default(); keep.iter().map(|&l| sizes(l)).product()]
        } else {
            data.chunks(row).map(|r| r.iter().fold(W::default(), |a, &b| a.wadd(b))).collect()
        };
        Operand { data, shape: keep.iter().map(|&l| sizes(l)).collect(), labels: keep.to_vec() }
    }
}

impl Kernel for Einsum {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        ensure!(
            ctx.num_inputs() == self.inputs.len(),
            InvalidArgument,
            "{node}: the equation has {} operands but {} inputs were given",
            self.inputs.len(),
            ctx.num_inputs()
        );
        let xs: Vec<&Tensor> = (0..ctx.num_inputs()).map(|i| ctx.input(i)).collect::<Result<_>>()?;
        let dt = xs[0].dtype();
        ensure!(xs.iter().all(|x| x.dtype() == dt), InvalidArgument, "{node}: all inputs must have the same element type");
        let p = crate::util::parallel::pool(ctx);
        let y = match dt {
            onnxrun_core::DataType::Float
            | onnxrun_core::DataType::Double
            | onnxrun_core::DataType::Float16
            | onnxrun_core::DataType::Bfloat16 => crate::dispatch_float!(dt, T => self.run::<T, <T as Real>::A>(p, &xs, |v: T| v.to_acc(), T::from_acc), else unreachable!()),
            _ => crate::dispatch_int!(dt, T => self.run::<T, <T as RElem>::S>(p, &xs, |v: T| v.to_s(), T::from_s), else bail!(
                NotImplemented,
                "{node}: not implemented for element type {dt}"
            )),
        }
        .map_err(|e| e.context(&node))?;
        ctx.set_output(0, y)
    }
}

impl Einsum {
    fn run<T: Element, W: Work>(&self, p: Option<&ThreadPool>, xs: &[&Tensor], to: impl Fn(T) -> W, from: impl Fn(W) -> T) -> Result<Tensor> {
        // Expand `...` into broadcast labels, aligned from the right across operands.
        let mut ell_rank = 0;
        for (t, x) in self.inputs.iter().zip(xs) {
            let n = t.letters.len();
            match t.ellipsis_at {
                Some(_) => {
                    ensure!(x.rank() >= n, InvalidArgument, "operand of shape {:?} has fewer dims than its term's {n} letters", x.shape());
                    ell_rank = ell_rank.max(x.rank() - n);
                }
                None => ensure!(x.rank() == n, InvalidArgument, "operand of shape {:?} does not have the {n} dims its term names", x.shape()),
            }
        }
        let expand = |t: &Term, rank: usize| -> Vec<Label> {
            match t.ellipsis_at {
                None => t.letters.clone(),
                Some(at) => {
                    let e = rank - t.letters.len();
                    let mut v = t.letters[..at].to_vec();
                    v.extend((ell_rank - e..ell_rank).map(|j| ELLIPSIS + j as Label));
                    v.extend_from_slice(&t.letters[at..]);
                    v
                }
            }
        };
        let mut ops: Vec<Operand<W>> = Vec::with_capacity(xs.len());
        for (t, x) in self.inputs.iter().zip(xs) {
            let data: Vec<W> = x.data::<T>()?.iter().map(|&v| to(v)).collect();
            ops.push(Operand { data, shape: x.shape().to_vec(), labels: expand(t, x.rank()) });
        }
        // Label sizes; size 1 broadcasts.
        let mut sizes: Vec<(Label, usize)> = Vec::new();
        for o in &ops {
            for (&l, &s) in o.labels.iter().zip(&o.shape) {
                match sizes.iter_mut().find(|(k, _)| *k == l) {
                    Some((_, cur)) => {
                        ensure!(*cur == s || s == 1 || *cur == 1, InvalidArgument, "label '{}' has sizes {} and {s}", label_name(l), *cur);
                        if *cur == 1 {
                            *cur = s;
                        }
                    }
                    None => sizes.push((l, s)),
                }
            }
        }
        let size_of = |l: Label| sizes.iter().find(|(k, _)| *k == l).map_or(1, |&(_, s)| s);
        let out_labels: Vec<Label> = match &self.output {
            Some(t) => {
                let v = match t.ellipsis_at {
                    Some(_) => expand(t, t.letters.len() + ell_rank),
                    None => t.letters.clone(),
                };
                for &l in &v {
                    ensure!(l >= ELLIPSIS || sizes.iter().any(|(k, _)| *k == l), InvalidArgument, "output label '{}' is in no input", label_name(l));
                }
                v
            }
            None => {
                let mut v: Vec<Label> = (0..ell_rank).map(|j| ELLIPSIS + j as Label).collect();
                let mut once: Vec<Label> = Vec::new();
                for (l, _) in &sizes {
                    if *l < ELLIPSIS && ops.iter().map(|o| o.labels.iter().filter(|&&x| x == *l).count()).sum::<usize>() == 1 {
                        once.push(*l);
                    }
                }
                once.sort_unstable();
                v.extend(once);
                v
            }
        };
        // Which labels are still needed once operands [0..=i] are combined.
        let needed_after = |i: usize, ops: &[Operand<W>]| -> Vec<Label> {
            let mut v = out_labels.clone();
            for o in &ops[i + 1..] {
                v.extend(o.labels.iter().copied());
            }
            v
        };
        let uniq = |ls: &[Label]| -> Vec<Label> {
            let mut v: Vec<Label> = Vec::new();
            for &l in ls {
                if !v.contains(&l) {
                    v.push(l);
                }
            }
            v
        };
        let keep0: Vec<Label> = {
            let need = needed_after(0, &ops);
            uniq(&ops[0].labels).into_iter().filter(|l| need.contains(l)).collect()
        };
        let mut acc = ops[0].reduce_to(&keep0, &size_of);
        for i in 1..ops.len() {
            let need = needed_after(i, &ops);
            let y_keep: Vec<Label> = uniq(&ops[i].labels).into_iter().filter(|l| need.contains(l) || acc.labels.contains(l)).collect();
            let y = ops[i].reduce_to(&y_keep, &size_of);
            let batch: Vec<Label> = acc.labels.iter().copied().filter(|l| y.labels.contains(l) && need.contains(l)).collect();
            let contracted: Vec<Label> = acc.labels.iter().copied().filter(|l| y.labels.contains(l) && !need.contains(l)).collect();
            let xfree: Vec<Label> = acc.labels.iter().copied().filter(|l| !y.labels.contains(l)).collect();
            let yfree: Vec<Label> = y.labels.iter().copied().filter(|l| !acc.labels.contains(l)).collect();
            let prod = |ls: &[Label]| -> usize { ls.iter().map(|&l| size_of(l)).product() };
            let (b, m, k, n) = (prod(&batch), prod(&xfree), prod(&contracted), prod(&yfree));
            let xa = acc.view(&[&batch[..], &xfree, &contracted].concat(), &size_of);
            let yb = y.view(&[&batch[..], &contracted, &yfree].concat(), &size_of);
            let mut c = vec![W::default(); b * m * n];
            if b * m * n > 0 {
                W::batched_gemm(p, b, m, n, k, &xa, &yb, &mut c);
            }
            let labels = [&batch[..], &xfree, &yfree].concat();
            let shape = labels.iter().map(|&l| size_of(l)).collect();
            acc = Operand { data: c, shape, labels };
        }
        // Output order; labels of the output absent from the result (size-1 broadcast
        // dims) gather with stride 0.
        let data = acc.view(&out_labels, &size_of);
        let shape: Vec<usize> = out_labels.iter().map(|&l| size_of(l)).collect();
        Tensor::from_vec(shape, data.into_iter().map(from).collect::<Vec<T>>())
    }
}

fn label_name(l: Label) -> String {
    if l >= ELLIPSIS {
        "...".into()
    } else {
        char::from_u32(l).map(String::from).unwrap_or_default()
    }
}
