//! STFT (opset 17): frames of `frame_length` samples every `frame_step`, each multiplied
//! by the window and transformed. Signal `[batch, length]` or `[batch, length, 1 | 2]`;
//! output `[batch, frames, bins, 2]` with bins = n/2+1 when onesided, else n.

use super::fft::{Fft, C64};
use super::scalar_i64;
use crate::util::convert::Num;
use crate::util::elems::check_size;
use crate::util::parallel::{for_chunk_ranges_mut, pool_for};
use onnxrun_core::{bail, ensure, err, Kernel, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;

pub(super) fn create(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let onesided = node.int_or("onesided", 1)?;
    ensure!(onesided == 0 || onesided == 1, InvalidGraph, "{}: attribute 'onesided' must be 0 or 1, got {onesided}", node.describe());
    Ok(Box::new(Stft { onesided: onesided == 1 }))
}

struct Stft {
    onesided: bool,
}

/// The frame layout of one call.
struct Frames {
    len: usize,
    comps: usize,
    n: usize,
    step: usize,
    frames: usize,
    bins: usize,
}

impl Kernel for Stft {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node;
        let x = ctx.input(0)?;
        let shape = x.shape();
        let (batch, len, comps) = match *shape {
            [b, l] => (b, l, 1),
            [b, l, c @ (1 | 2)] => (b, l, c),
            _ => bail!(InvalidArgument, "{}: signal must be [batch, length] or [batch, length, 1|2], got shape {shape:?}", node.describe()),
        };
        let step = scalar_i64(ctx, 1, "frame_step")?
            .ok_or_else(|| err!(InvalidArgument, "{}: frame_step is required", node.describe()))?;
        ensure!(step > 0, InvalidArgument, "{}: frame_step must be positive, got {step}", node.describe());
        let window = ctx.opt_input(2)?;
        if let Some(w) = window {
            ensure!(w.rank() == 1, InvalidArgument, "{}: window must be 1-D, got shape {:?}", node.describe(), w.shape());
        }
        let n = match (scalar_i64(ctx, 3, "frame_length")?, window) {
            (Some(f), w) => {
                ensure!(f > 0, InvalidArgument, "{}: frame_length must be positive, got {f}", node.describe());
                if let Some(w) = w {
                    ensure!(w.len() as i64 == f, InvalidArgument, "{}: window length {} differs from frame_length {f}", node.describe(), w.len());
                }
                f as u64
            }
            (None, Some(w)) => w.len() as u64,
            (None, None) => len as u64,
        };
        ensure!(n > 0, InvalidArgument, "{}: the frame length is 0", node.describe());
        ensure!(
            n <= len as u64,
            InvalidArgument,
            "{}: frame_length {n} is longer than the signal ({len} samples)",
            node.describe()
        );
        let n = n as usize;
        let step = usize::try_from(step).unwrap_or(usize::MAX);
        let frames = (len - n) / step + 1;
        let bins = if self.onesided { n / 2 + 1 } else { n };
        let out_shape = vec![batch, frames, bins, 2];
        check_size(x.dtype(), &out_shape)?;
        let win = match window {
            Some(w) => w.to_f64_vec()?,
            None => vec![1.0; n],
        };
        let f = Frames { len, comps, n, step, frames, bins };
        let work = batch * frames * n * (usize::BITS - n.leading_zeros()) as usize * 4;
        let pool = pool_for(ctx, work);
        let out = crate::dispatch_float!(x.dtype(), T => {
            let data = run::<T>(x.data::<T>()?, batch, &f, &win, pool)?;
            Tensor::from_vec(out_shape, data)?
        }, else bail!(InvalidArgument, "{}: STFT signal must be a float tensor, got {}", node.describe(), x.dtype()));
        ctx.set_output(0, out)
    }
}

fn run<T: Num>(x: &[T], batch: usize, f: &Frames, win: &[f64], pool: Option<&ThreadPool>) -> Result<Vec<T>> {
    let chunk = f.bins * 2;
    let mut out = vec![T::from_f64(0.0); batch * f.frames * chunk];
    if out.is_empty() {
        return Ok(out);
    }
    let fft = Fft::new(f.n);
    // Frame `li` windowed, real parts into `re` and imaginary parts into `im`.
    let load = |li: usize, line: &mut [C64], imag_slot: bool| {
        let (b, fr) = (li / f.frames, li % f.frames);
        let src = &x[(b * f.len + fr * f.step) * f.comps..][..f.n * f.comps];
        for ((v, s), &w) in line.iter_mut().zip(src.chunks_exact(f.comps)).zip(win) {
            if imag_slot {
                v.im = s[0].to_f64() * w;
            } else {
                let im = if f.comps == 2 { s[1].to_f64() } else { 0.0 };
                *v = C64::new(s[0].to_f64() * w, im * w);
            }
        }
    };
    let store = |line: &[C64], dst: &mut [T]| {
        for (d, c) in dst.chunks_exact_mut(2).zip(line) {
            d[0] = T::from_f64(c.re);
            d[1] = T::from_f64(c.im);
        }
    };
    for_chunk_ranges_mut(pool, &mut out, chunk, |range, piece| {
        let mut line = vec![C64::ZERO; f.n];
        let (mut fa, mut fb) = (vec![C64::ZERO; f.bins], vec![C64::ZERO; f.bins]);
        let mut scratch = Vec::new();
        let mut dsts = piece.chunks_mut(chunk);
        let mut li = range.start;
        while li < range.end {
            if f.comps == 1 && li + 1 < range.end {
                // Two real frames through one complex transform.
                load(li, &mut line, false);
                load(li + 1, &mut line, true);
                fft.forward_real_pair(&mut line, &mut scratch, &mut fa, &mut fb);
                if let (Some(d1), Some(d2)) = (dsts.next(), dsts.next()) {
                    store(&fa, d1);
                    store(&fb, d2);
                }
                li += 2;
            } else {
                load(li, &mut line, false);
                fft.forward(&mut line, &mut scratch);
                if let Some(d) = dsts.next() {
                    store(&line, d);
                }
                li += 1;
            }
        }
    })?;
    Ok(out)
}
