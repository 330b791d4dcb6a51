//! Recurrent layers: RNN, GRU and LSTM (opsets 1-22; `layout` from 14, bf16 from 22).
//! f32/f16/bf16 are computed in f32, f64 in f64.
//!
//! Every direction first projects the whole input at once, `X · Wᵀ + biases`, as one
//! GEMM over all (step, batch) rows; each step then needs only `H · Rᵀ` (one GEMM over
//! the batch) and the element-wise gate math. With `sequence_lens`, a batch entry stops
//! at its length: its later Y rows stay zero and Y_h/Y_c hold its last state (zero for
//! length 0, as onnxruntime does). The reverse direction runs each entry from its own
//! last valid step back to step 0.

mod facts;
mod activation;
mod calc;
mod fastmath;
mod gru;
mod lstm;
mod simple;

use activation::Act;
use calc::Calc;
use crate::util::parallel::pool;
use crate::util::real::Acc;
use onnxrun_core::{bail, ensure, DataType, Dim, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor, TypeInfo};
use onnxrun_linalg::ThreadPool;

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "RNN", 1, make_rnn));
    r.register(KernelDef::new("", "GRU", 1, make_gru));
    r.register(KernelDef::new("", "LSTM", 1, make_lstm));
    facts::register(r);
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Cell {
    Rnn,
    Gru { linear_before_reset: bool },
    Lstm { input_forget: bool },
}

impl Cell {
    /// Gate blocks stacked in W, R and each half of B.
    fn gates(self) -> usize {
        match self {
            Cell::Rnn => 1,
            Cell::Gru { .. } => 3,
            Cell::Lstm { .. } => 4,
        }
    }
}

struct Recurrent {
    cell: Cell,
    hidden: usize,
    dirs: usize,
    /// The single direction is reverse.
    reverse: bool,
    /// Activations, `acts.len() / dirs` per direction.
    acts: Vec<Act>,
    clip: Option<f32>,
    /// layout 1: batch-major X, Y, initial and final states.
    batch_major: bool,
}

fn make_rnn(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    make(node, Cell::Rnn, &["Tanh"])
}

fn make_gru(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let lbr = flag(node, "linear_before_reset")?;
    make(node, Cell::Gru { linear_before_reset: lbr }, &["Sigmoid", "Tanh"])
}

fn make_lstm(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let input_forget = flag(node, "input_forget")?;
    make(node, Cell::Lstm { input_forget }, &["Sigmoid", "Tanh", "Tanh"])
}

fn flag(node: &NodeInfo, name: &str) -> Result<bool> {
    match node.int_or(name, 0)? {
        0 => Ok(false),
        1 => Ok(true),
        v => bail!(InvalidGraph, "{}: attribute '{name}' must be 0 or 1, got {v}", node.describe()),
    }
}

fn make(node: &NodeInfo, cell: Cell, default_acts: &[&str]) -> Result<Box<dyn Kernel>> {
    let me = node.describe();
    let direction = node.string_or("direction", "forward")?;
    let (dirs, reverse) = match direction.as_str() {
        "forward" => (1, false),
        "reverse" => (1, true),
        "bidirectional" => (2, false),
        d => bail!(InvalidGraph, "{me}: direction must be forward, reverse or bidirectional, got '{d}'"),
    };
    let hidden = match node.get_int("hidden_size")? {
        Some(h) if h > 0 => h as usize,
        Some(h) => bail!(InvalidGraph, "{me}: hidden_size must be positive, got {h}"),
        None => bail!(InvalidGraph, "{me}: required attribute 'hidden_size' is missing"),
    };
    let acts = activation::parse(node, default_acts, dirs)?;
    let clip = node.get_float("clip")?;
    if let Some(c) = clip {
        ensure!(c > 0.0, InvalidGraph, "{me}: clip must be positive, got {c}");
    }
    let batch_major = match node.int_or("layout", 0)? {
        0 => false,
        1 => true,
        l => bail!(InvalidGraph, "{me}: layout must be 0 or 1, got {l}"),
    };
    // Weight shapes known at load time (initializers) are checked now.
    let g = cell.gates();
    for (i, name, last) in [(1, "W", None), (2, "R", Some(hidden))] {
        if let Some(dims) = known_dims(node, i) {
            let ok = dims.len() == 3
                && dims[0].is_none_or(|d| d == dirs)
                && dims[1].is_none_or(|d| d == g * hidden)
                && last.is_none_or(|h| dims[2].is_none_or(|d| d == h));
            ensure!(
                ok,
                InvalidGraph,
                "{me}: {name} has shape {dims:?}, which does not fit {dirs} direction(s) of {g} gate(s) with hidden_size {hidden}"
            );
        }
    }
    Ok(Box::new(Recurrent { cell, hidden, dirs, reverse, acts, clip, batch_major }))
}

/// Input `i`'s declared dims (None for symbolic ones), when its rank is known.
fn known_dims(node: &NodeInfo, i: usize) -> Option<Vec<Option<usize>>> {
    match node.input_types.get(i)?.as_ref()? {
        TypeInfo::Tensor { shape: Some(s), .. } => {
            Some(s.iter().map(|d| if let Dim::Known(v) = d { usize::try_from(*v).ok() } else { None }).collect())
        }
        _ => None,
    }
}

/// Sizes of one run.
#[derive(Clone, Copy)]
pub(crate) struct Dims {
    pub seq: usize,
    pub batch: usize,
    pub hidden: usize,
    pub batch_major: bool,
}

impl Dims {
    /// Row of (step, batch entry) in X and in the projected input.
    #[inline(always)]
    pub fn row(&self, t: usize, b: usize) -> usize {
        if self.batch_major {
            b * self.seq + t
        } else {
            t * self.batch + b
        }
    }
}

/// What a cell gets for one direction.
pub(crate) struct DirIn<'a, F> {
    pub d: Dims,
    /// `X · Wᵀ` plus the biases that add straight in: [rows, gates * hidden], rows by `Dims::row`.
    pub xw: &'a [F],
    /// This direction's R: [gates * hidden, hidden].
    pub r: &'a [F],
    /// GRU with linear_before_reset: Rbh, added to `H · Rhᵀ` before the reset gate scales it.
    pub rb_h: Option<&'a [F]>,
    /// LSTM peepholes [3 * hidden] (input, output, forget).
    pub p: Option<&'a [F]>,
    /// Initial states, [batch, hidden].
    pub h0: Option<Vec<F>>,
    pub c0: Option<Vec<F>>,
    pub lens: &'a [usize],
    pub reverse: bool,
    pub acts: &'a [Act],
    pub clip: Option<F>,
    pub want_y: bool,
    pub pool: Option<&'a ThreadPool>,
}

/// What a cell returns for one direction.
pub(crate) struct DirOut<F> {
    /// Every step's hidden state, [seq, batch, hidden] (zero past each entry's length).
    pub y: Option<Vec<F>>,
    pub h: Vec<F>,
    pub c: Option<Vec<F>>,
}

impl<F: Calc> DirIn<'_, F> {
    /// Steps in processing order; steps no entry reaches are skipped.
    pub fn steps(&self) -> Box<dyn Iterator<Item = usize>> {
        let max = self.lens.iter().copied().max().unwrap_or(0);
        if self.reverse {
            Box::new((0..max).rev())
        } else {
            Box::new(0..max)
        }
    }

    pub fn clip(&self, x: &mut [F]) {
        if let Some(c) = self.clip {
            for v in x.iter_mut() {
                *v = v.max(-c).min(c);
            }
        }
    }

    pub fn initial(&self, s: &Option<Vec<F>>) -> Vec<F> {
        s.clone().unwrap_or_else(|| vec![<F as Acc>::ZERO; self.d.batch * self.d.hidden])
    }

    /// Zeroes final states of entries with length 0 (onnxruntime's convention).
    pub fn finish(&self, y: Option<Vec<F>>, mut h: Vec<F>, mut c: Option<Vec<F>>) -> DirOut<F> {
        let hs = self.d.hidden;
        for (b, &len) in self.lens.iter().enumerate() {
            if len == 0 {
                h[b * hs..][..hs].fill(<F as Acc>::ZERO);
                if let Some(c) = c.as_mut() {
                    c[b * hs..][..hs].fill(<F as Acc>::ZERO);
                }
            }
        }
        DirOut { y, h, c }
    }
}

impl Kernel for Recurrent {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let x = ctx.input(0)?;
        let dt = x.dtype();
        match dt {
            DataType::Float | DataType::Float16 | DataType::Bfloat16 => self.run::<f32>(ctx, dt),
            DataType::Double => self.run::<f64>(ctx, dt),
            _ => bail!(NotImplemented, "{}: element type {dt} is not supported (float types only)", ctx.node.describe()),
        }
    }
}

impl Recurrent {
    fn run<F: Calc>(&self, ctx: &mut OpContext<'_>, dt: DataType) -> Result<()> {
        let me = ctx.node.describe();
        let (g, hs, dirs) = (self.cell.gates(), self.hidden, self.dirs);
        let x = ctx.input(0)?;
        let (w, r) = (ctx.input(1)?, ctx.input(2)?);
        let b = ctx.opt_input(3)?;
        let lens_t = ctx.opt_input(4)?;
        let h0 = ctx.opt_input(5)?;
        let is_lstm = matches!(self.cell, Cell::Lstm { .. });
        let c0 = if is_lstm { ctx.opt_input(6)? } else { None };
        let p = if is_lstm { ctx.opt_input(7)? } else { None };

        ensure!(x.rank() == 3, InvalidArgument, "{me}: X must be 3-D, got shape {:?}", x.shape());
        let (seq, batch) = if self.batch_major { (x.shape()[1], x.shape()[0]) } else { (x.shape()[0], x.shape()[1]) };
        let input = x.shape()[2];
        let d = Dims { seq, batch, hidden: hs, batch_major: self.batch_major };
        let state_shape = if self.batch_major { [batch, dirs, hs] } else { [dirs, batch, hs] };

        let same_type = |t: &Tensor, name: &str| -> Result<()> {
            ensure!(t.dtype() == dt, InvalidArgument, "{me}: {name} has element type {}, X has {dt}", t.dtype());
            Ok(())
        };
        let check = |t: &Tensor, name: &str, want: &[usize]| -> Result<()> {
            same_type(t, name)?;
            ensure!(t.shape() == want, InvalidArgument, "{me}: {name} must have shape {want:?}, got {:?}", t.shape());
            Ok(())
        };
        check(w, "W", &[dirs, g * hs, input])?;
        check(r, "R", &[dirs, g * hs, hs])?;
        if let Some(b) = b {
            check(b, "B", &[dirs, 2 * g * hs])?;
        }
        if let Some(h0) = h0 {
            check(h0, "initial_h", &state_shape)?;
        }
        if let Some(c0) = c0 {
            check(c0, "initial_c", &state_shape)?;
        }
        if let Some(p) = p {
            check(p, "P", &[dirs, 3 * hs])?;
        }
        let lens: Vec<usize> = match lens_t {
            None => vec![seq; batch],
            Some(l) => {
                ensure!(l.shape() == [batch], InvalidArgument, "{me}: sequence_lens must have shape [{batch}], got {:?}", l.shape());
                let v = l.to_i64_vec().map_err(|e| e.context(format!("{me}: sequence_lens")))?;
                v.iter()
                    .map(|&n| {
                        ensure!(
                            (0..=seq as i64).contains(&n),
                            InvalidArgument,
                            "{me}: sequence_lens value {n} is outside [0, {seq}]"
                        );
                        Ok(n as usize)
                    })
                    .collect::<Result<_>>()?
            }
        };

        let xv = F::view(x)?;
        let (wv, rv) = (F::view(w)?, F::view(r)?);
        let bv = b.map(F::view).transpose()?;
        let pv = p.map(F::view).transpose()?;
        let h0v = h0.map(F::view).transpose()?;
        let c0v = c0.map(F::view).transpose()?;
        let pool = pool(ctx);
        let want_y = ctx.output_required(0);
        let per = self.acts.len() / dirs;
        let gh = g * hs;
        let rows = seq * batch;

        // Refuse work buffers and outputs beyond the tensor size limit before allocating them.
        let limit = onnxrun_core::tensor::max_tensor_bytes();
        let largest = onnxrun_core::num_elements(&[rows, gh.max(dirs * hs)])?;
        ensure!(
            largest.saturating_mul(std::mem::size_of::<F>()) <= limit,
            InvalidArgument,
            "{me}: {seq} steps x {batch} batch x {gh} gate values exceed the tensor size limit of {limit} bytes"
        );

        let mut outs = Vec::with_capacity(dirs);
        for di in 0..dirs {
            // Input projection of every step at once, then the biases that add straight in.
            let mut xw = vec![<F as Acc>::ZERO; onnxrun_core::num_elements(&[rows, gh])?];
            F::gemm_nt(pool, rows, gh, input, &xv, input, &wv[di * gh * input..][..gh * input], input, false, &mut xw, gh);
            let mut rb_h = None;
            if let Some(bv) = &bv {
                let bias = &bv[di * 2 * gh..][..2 * gh];
                let (wb, rb) = bias.split_at(gh);
                // GRU with linear_before_reset keeps Rbh apart (the reset gate scales it).
                let lbr = matches!(self.cell, Cell::Gru { linear_before_reset: true });
                let mut sum: Vec<F> = wb.iter().zip(rb).map(|(&a, &b)| a + b).collect();
                if lbr {
                    sum[2 * hs..].copy_from_slice(&wb[2 * hs..]);
                    rb_h = Some(&rb[2 * hs..]);
                }
                for row in xw.chunks_exact_mut(gh) {
                    row.iter_mut().zip(&sum).for_each(|(v, &s)| *v += s);
                }
            }
            // Initial states of this direction as [batch, hidden].
            let state = |s: &Option<std::borrow::Cow<'_, [F]>>| {
                s.as_ref().map(|s| {
                    let mut out = Vec::with_capacity(batch * hs);
                    for bi in 0..batch {
                        let at = if self.batch_major { (bi * dirs + di) * hs } else { (di * batch + bi) * hs };
                        out.extend_from_slice(&s[at..][..hs]);
                    }
                    out
                })
            };
            let input = DirIn {
                d,
                xw: &xw,
                r: &rv[di * gh * hs..][..gh * hs],
                rb_h,
                p: pv.as_ref().map(|p| &p[di * 3 * hs..][..3 * hs]),
                h0: state(&h0v),
                c0: state(&c0v),
                lens: &lens,
                reverse: if dirs == 2 { di == 1 } else { self.reverse },
                acts: &self.acts[di * per..][..per],
                clip: self.clip.map(|c| F::from_f64(c as f64)),
                want_y,
                pool,
            };
            outs.push(match self.cell {
                Cell::Rnn => simple::run(&input),
                Cell::Gru { linear_before_reset } => gru::run(&input, linear_before_reset),
                Cell::Lstm { input_forget } => lstm::run(&input, input_forget),
            });
        }

        // Scatter the per-direction results into the output layouts.
        let zero = <F as Acc>::ZERO;
        if want_y {
            let shape = if self.batch_major { vec![batch, seq, dirs, hs] } else { vec![seq, dirs, batch, hs] };
            let mut y = vec![zero; onnxrun_core::num_elements(&shape)?];
            for (di, o) in outs.iter().enumerate() {
                let Some(src) = &o.y else { continue };
                for t in 0..seq {
                    for bi in 0..batch {
                        let at = if self.batch_major { ((bi * seq + t) * dirs + di) * hs } else { ((t * dirs + di) * batch + bi) * hs };
                        y[at..][..hs].copy_from_slice(&src[(t * batch + bi) * hs..][..hs]);
                    }
                }
            }
            ctx.set_output(0, F::into_tensor(dt, shape, y)?)?;
        }
        let gather = |pick: &dyn Fn(&DirOut<F>) -> Option<&Vec<F>>| -> Vec<F> {
            let mut s = vec![zero; dirs * batch * hs];
            for (di, o) in outs.iter().enumerate() {
                if let Some(src) = pick(o) {
                    for bi in 0..batch {
                        let at = if self.batch_major { (bi * dirs + di) * hs } else { (di * batch + bi) * hs };
                        s[at..][..hs].copy_from_slice(&src[bi * hs..][..hs]);
                    }
                }
            }
            s
        };
        if ctx.output_required(1) {
            ctx.set_output(1, F::into_tensor(dt, state_shape.to_vec(), gather(&|o| Some(&o.h)))?)?;
        }
        if is_lstm && ctx.output_required(2) {
            ctx.set_output(2, F::into_tensor(dt, state_shape.to_vec(), gather(&|o| o.c.as_ref()))?)?;
        }
        Ok(())
    }
}
