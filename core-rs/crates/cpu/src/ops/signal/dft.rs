//! DFT (opset 17: axis attribute; opset 20: axis input). The input is
//! `[..., signal..., 1 | 2]` (real or interleaved complex); every 1-D line along `axis`
//! is zero-padded or truncated to `dft_length`, transformed in f64 and written back in
//! the input's float type. `onesided` gives the RFFT (real input, n/2+1 bins out) or,
//! with `inverse`, the IRFFT (n/2+1 bins in, real signal of length n out, as numpy's
//! `irfft`: the missing half is the conjugate mirror of the given one).

use super::fft::{Fft, C64};
use super::scalar_i64;
use crate::util::convert::Num;
use crate::util::elems::check_size;
use crate::util::parallel::{for_chunk_ranges_mut, pool_for};
use onnxrun_core::{bail, ensure, Kernel, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub(super) fn create(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let flag = |name: &str| -> Result<bool> {
        let v = node.int_or(name, 0)?;
        ensure!(v == 0 || v == 1, InvalidGraph, "{}: attribute '{name}' must be 0 or 1, got {v}", node.describe());
        Ok(v == 1)
    };
    let (inverse, onesided) = (flag("inverse")?, flag("onesided")?);
    // Opset 20 moved the axis to an input (default -2); before, an attribute (default 1).
    let axis_attr = if node.opset < 20 { Some(node.int_or("axis", 1)?) } else { None };
    Ok(Box::new(Dft { inverse, onesided, axis_attr }))
}

struct Dft {
    inverse: bool,
    onesided: bool,
    axis_attr: Option<i64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forward,
    Inverse,
    /// Inverse of a one-sided spectrum: real output.
    Irfft,
}

/// How one line is read, transformed and written.
#[derive(Clone, Copy)]
struct Lines {
    /// Input extent along the axis, and elements between consecutive samples of a line.
    len: usize,
    inner: usize,
    comps: usize,
    /// Transform length, input samples used, output samples along the axis, output comps.
    n: usize,
    take: usize,
    out_len: usize,
    out_comps: usize,
    mode: Mode,
}

impl Lines {
    /// Loads line (o, i) zero-padded to n.
    fn load<T: Num>(&self, x: &[T], o: usize, i: usize, line: &mut [C64]) {
        let step = self.inner * self.comps;
        let base = (o * self.len * self.inner + i) * self.comps;
        for (j, v) in line.iter_mut().enumerate() {
            *v = if j < self.take {
                let s = base + j * step;
                let im = if self.comps == 2 { x[s + 1].to_f64() } else { 0.0 };
                C64::new(x[s].to_f64(), im)
            } else {
                C64::ZERO
            };
        }
        if self.mode == Mode::Irfft {
            // Hermitian extension: bins above n/2 mirror the given ones.
            let n = self.n;
            for k in 1..=(n - 1) / 2 {
                line[n - k] = line[k].conj();
            }
        }
    }

    fn transform(&self, fft: &Fft, line: &mut [C64], scratch: &mut Vec<C64>) {
        match self.mode {
            Mode::Forward => fft.forward(line, scratch),
            Mode::Inverse | Mode::Irfft => fft.inverse(line, scratch),
        }
    }

    fn scale(&self) -> f64 {
        if self.mode == Mode::Forward {
            1.0
        } else {
            1.0 / self.n as f64
        }
    }
}

impl Kernel for Dft {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node;
        let x = ctx.input(0)?;
        let shape = x.shape();
        let r = shape.len();
        ensure!(
            r >= 2 && matches!(shape[r - 1], 1 | 2),
            InvalidArgument,
            "{}: input must be [..., signal, 1] (real) or [..., signal, 2] (complex), got shape {shape:?}",
            node.describe()
        );
        let comps = shape[r - 1];
        let axis = match self.axis_attr {
            Some(a) => a,
            None => scalar_i64(ctx, 2, "axis")?.unwrap_or(-2),
        };
        let ri = r as i64;
        let a = if axis < 0 { axis + ri } else { axis };
        ensure!(
            axis >= -ri && (0..ri - 1).contains(&a),
            InvalidArgument,
            "{}: axis {axis} is invalid for rank {r} (the last dimension holds real/imaginary parts)",
            node.describe()
        );
        let a = a as usize;
        let len = shape[a];
        let mode = match (self.inverse, self.onesided) {
            (false, _) => Mode::Forward,
            (true, false) => Mode::Inverse,
            (true, true) => Mode::Irfft,
        };
        let n = match scalar_i64(ctx, 1, "dft_length")? {
            Some(v) => {
                ensure!(v > 0, InvalidArgument, "{}: dft_length must be positive, got {v}", node.describe());
                usize::try_from(v).map_err(|_| onnxrun_core::err!(InvalidArgument, "{}: dft_length {v} is too large", node.describe()))?
            }
            None if mode == Mode::Irfft => 2 * len.saturating_sub(1),
            None => len,
        };
        ensure!(n > 0, InvalidArgument, "{}: the transform length is 0 (axis {a} of shape {shape:?})", node.describe());
        if self.onesided && !self.inverse {
            ensure!(comps == 1, InvalidArgument, "{}: a one-sided forward DFT needs real input (last dimension 1), got {shape:?}", node.describe());
        }
        if mode == Mode::Irfft {
            ensure!(comps == 2, InvalidArgument, "{}: a one-sided inverse DFT needs complex input (last dimension 2), got {shape:?}", node.describe());
        }
        let out_len = if self.onesided && !self.inverse { n / 2 + 1 } else { n };
        let out_comps = if mode == Mode::Irfft { 1 } else { 2 };
        let take = if mode == Mode::Irfft { len.min(n / 2 + 1) } else { len.min(n) };
        let mut out_shape = shape.to_vec();
        out_shape[a] = out_len;
        out_shape[r - 1] = out_comps;
        check_size(x.dtype(), &out_shape)?;
        let outer: usize = shape[..a].iter().product();
        let inner: usize = shape[a + 1..r - 1].iter().product();
        let lines = Lines { len, inner, comps, n, take, out_len, out_comps, mode };
        let work = outer * inner * n * (usize::BITS - n.leading_zeros()) as usize * 4;
        let pool = pool_for(ctx, work);
        let out = crate::dispatch_float!(x.dtype(), T => {
            let data = run::<T>(x.data::<T>()?, outer, &lines, pool)?;
            Tensor::from_vec(out_shape, data)?
        }, else bail!(InvalidArgument, "{}: DFT input must be a float tensor, got {}", node.describe(), x.dtype()));
        ctx.set_output(0, out)
    }
}

/// Per-task buffers; transforms one line, or two real lines packed into one transform.
struct Worker<'a> {
    l: &'a Lines,
    fft: &'a Fft,
    line: Vec<C64>,
    other: Vec<C64>,
    scratch: Vec<C64>,
}

impl<'a> Worker<'a> {
    fn new(l: &'a Lines, fft: &'a Fft) -> Self {
        Worker { l, fft, line: vec![C64::ZERO; l.n], other: vec![C64::ZERO; l.n], scratch: Vec::new() }
    }

    /// Whether lines can go two at a time (forward transforms of real input).
    fn pairs(&self) -> bool {
        self.l.mode == Mode::Forward && self.l.comps == 1
    }

    /// Line (o, i) transformed into `dst` (its first out_len entries).
    fn one<T: Num>(&mut self, x: &[T], o: usize, i: usize, dst: &mut [C64]) {
        self.l.load(x, o, i, dst);
        self.l.transform(self.fft, dst, &mut self.scratch);
    }

    /// Real lines a = (oa, ia) and b = (ob, ib) transformed into `da` and `db`.
    fn two<T: Num>(&mut self, x: &[T], a: (usize, usize), b: (usize, usize), da: &mut [C64], db: &mut [C64]) {
        self.l.load(x, a.0, a.1, &mut self.line);
        self.l.load(x, b.0, b.1, &mut self.other);
        for (z, v) in self.line.iter_mut().zip(&self.other) {
            z.im = v.re;
        }
        let m = self.l.out_len;
        self.fft.forward_real_pair(&mut self.line, &mut self.scratch, &mut da[..m], &mut db[..m]);
    }
}

fn run<T: Num>(x: &[T], outer: usize, l: &Lines, pool: Option<&ThreadPool>) -> Result<Vec<T>> {
    let total = outer * l.out_len * l.inner * l.out_comps;
    let mut out = vec![T::from_f64(0.0); total];
    if total == 0 {
        return Ok(out);
    }
    let fft = Fft::new(l.n);
    let scale = l.scale();
    let store = |line: &[C64], dst: &mut [T], stride: usize| {
        for (k, c) in line[..l.out_len].iter().enumerate() {
            let d = k * stride;
            dst[d] = T::from_f64(c.re * scale);
            if l.out_comps == 2 {
                dst[d + 1] = T::from_f64(c.im * scale);
            }
        }
    };
    if l.inner == 1 {
        // Each line's input and output are contiguous: one task per range of lines.
        let chunk = l.out_len * l.out_comps;
        for_chunk_ranges_mut(pool, &mut out, chunk, |range, piece| {
            let mut w = Worker::new(l, &fft);
            let (mut fa, mut fb) = (vec![C64::ZERO; l.n], vec![C64::ZERO; l.n]);
            let mut dsts = piece.chunks_mut(chunk);
            let mut o = range.start;
            while o < range.end {
                if w.pairs() && o + 1 < range.end {
                    w.two(x, (o, 0), (o + 1, 0), &mut fa, &mut fb);
                    if let (Some(d1), Some(d2)) = (dsts.next(), dsts.next()) {
                        store(&fa, d1, l.out_comps);
                        store(&fb, d2, l.out_comps);
                    }
                    o += 2;
                } else {
                    w.one(x, o, 0, &mut fa);
                    if let Some(d) = dsts.next() {
                        store(&fa, d, l.out_comps);
                    }
                    o += 1;
                }
            }
        })?;
    } else {
        // Lines are interleaved: transform them as contiguous rows of a buffer, then scatter.
        let mut buf = vec![C64::ZERO; outer * l.inner * l.n];
        let split = |li: usize| (li / l.inner, li % l.inner);
        for_chunk_ranges_mut(pool, &mut buf, l.n, |range, piece| {
            let mut w = Worker::new(l, &fft);
            let mut rows = piece.chunks_mut(l.n);
            let mut li = range.start;
            while li < range.end {
                if w.pairs() && li + 1 < range.end {
                    if let (Some(a), Some(b)) = (rows.next(), rows.next()) {
                        w.two(x, split(li), split(li + 1), a, b);
                    }
                    li += 2;
                } else {
                    if let Some(a) = rows.next() {
                        w.one(x, split(li).0, split(li).1, a);
                    }
                    li += 1;
                }
            }
        })?;
        let block = l.out_len * l.inner * l.out_comps;
        for (o, dst) in out.chunks_mut(block).enumerate() {
            for i in 0..l.inner {
                let line = &buf[(o * l.inner + i) * l.n..][..l.n];
                store(line, &mut dst[i * l.out_comps..], l.inner * l.out_comps);
            }
        }
    }
    Ok(out)
}
