//! Col2Im (opset 18): scatters-adds column blocks (N, C * prod(block), L) back into images
//! (N, C, image...), the inverse of im2col (PyTorch's fold), in any number of spatial
//! dimensions. Sums are taken in the accumulator type of `Px` (f32 / f64), one (n, c)
//! image per task.

use super::Px;
use crate::util::elems::check_size;
use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::util::real::Acc;
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Col2Im", 18, make));
}

struct Col2Im {
    dilations: Option<Vec<i64>>,
    pads: Option<Vec<i64>>,
    strides: Option<Vec<i64>>,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let d = node.describe();
    let dilations = node.get_ints("dilations")?;
    let pads = node.get_ints("pads")?;
    let strides = node.get_ints("strides")?;
    for (name, v, min) in [("dilations", &dilations, 1), ("pads", &pads, 0), ("strides", &strides, 1)] {
        if let Some(v) = v {
            ensure!(v.iter().all(|&x| x >= min), InvalidGraph, "{d}: every value of '{name}' must be >= {min}, got {v:?}");
        }
    }
    if let Some(dt) = node.input_dtype(0) {
        ensure!(super::resize::is_numeric(dt), InvalidGraph, "{d}: Col2Im sums blocks and needs a numeric input, got {dt}");
    }
    Ok(Box::new(Col2Im { dilations, pads, strides }))
}

impl Kernel for Col2Im {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let p = Plan::new(self, ctx.input(0)?, ctx.input(1)?, ctx.input(2)?).map_err(|e| e.context(ctx.node.describe()))?;
        let x = ctx.input(0)?;
        let pool = pool_for(ctx, x.len());
        let dt = x.dtype();
        let y = crate::dispatch_numeric!(dt, T => p.run::<T>(pool, x), else bail!(
            InvalidArgument,
            "{}: Col2Im needs a numeric input, got {dt}",
            ctx.node.describe()
        ))?;
        ctx.set_output(0, y)
    }
}

/// Shapes of one call.
struct Plan {
    image: Vec<usize>,
    block: Vec<usize>,
    dil: Vec<usize>,
    pad_begin: Vec<usize>,
    stride: Vec<usize>,
    /// Block positions per axis.
    cols: Vec<usize>,
    n: usize,
    c: usize,
}

fn list(v: &Option<Vec<i64>>, r: usize, default: i64, name: &str) -> Result<Vec<usize>> {
    let v = v.clone().unwrap_or_else(|| vec![default; r]);
    ensure!(v.len() == r, InvalidArgument, "'{name}' has {} values, expected {r}", v.len());
    Ok(v.into_iter().map(|x| x as usize).collect())
}

impl Plan {
    fn new(a: &Col2Im, x: &Tensor, image: &Tensor, block: &Tensor) -> Result<Plan> {
        let image = image.to_i64_vec()?;
        let block = block.to_i64_vec()?;
        let r = image.len();
        ensure!(r >= 1 && block.len() == r, InvalidArgument, "image_shape {image:?} and block_shape {block:?} must have the same non-zero length");
        ensure!(image.iter().all(|&v| v > 0), InvalidArgument, "image_shape values must be positive, got {image:?}");
        ensure!(block.iter().all(|&v| v > 0), InvalidArgument, "block_shape values must be positive, got {block:?}");
        let dil = list(&a.dilations, r, 1, "dilations")?;
        let stride = list(&a.strides, r, 1, "strides")?;
        let pads = list(&a.pads, 2 * r, 0, "pads")?;
        ensure!(x.rank() == 3, InvalidArgument, "input must be 3-D (N, C * prod(block_shape), L), got shape {:?}", x.shape());
        let (image, block): (Vec<usize>, Vec<usize>) = (image.iter().map(|&v| v as usize).collect(), block.iter().map(|&v| v as usize).collect());
        let k: usize = block.iter().product();
        let (n, ck, l) = (x.shape()[0], x.shape()[1], x.shape()[2]);
        ensure!(ck % k == 0, InvalidArgument, "input dimension 1 ({ck}) is not a multiple of prod(block_shape) = {k}");
        let mut cols = Vec::with_capacity(r);
        for i in 0..r {
            let span = dil[i].checked_mul(block[i] - 1).map(|s| s + 1);
            let padded = image[i] + pads[i] + pads[r + i];
            let c = match span {
                Some(s) if padded >= s => (padded - s) / stride[i] + 1,
                _ => bail!(InvalidArgument, "block {} with dilation {} does not fit image axis {i} of {} (+ pads)", block[i], dil[i], image[i]),
            };
            cols.push(c);
        }
        let want: usize = cols.iter().product();
        ensure!(l == want, InvalidArgument, "input has {l} blocks, but the shapes give {cols:?} = {want}");
        Ok(Plan { image, block, dil, pad_begin: pads[..r].to_vec(), stride, cols, n, c: ck / k })
    }

    fn run<T: Px>(&self, pool: Option<&onnxrun_linalg::ThreadPool>, x: &Tensor) -> Result<Tensor> {
        let mut shape = vec![self.n, self.c];
        shape.extend_from_slice(&self.image);
        check_size(x.dtype(), &shape)?;
        let mut y = Tensor::zeros(x.dtype(), shape)?;
        let src = x.data::<T>()?;
        let img: usize = self.image.iter().product();
        let k: usize = self.block.iter().product();
        let l: usize = self.cols.iter().product();
        let r = self.image.len();
        let img_strides = crate::util::elems::strides(&self.image);
        let (last_cols, last_stride) = (self.cols[r - 1], self.stride[r - 1]);
        for_chunks_mut(pool, y.data_mut::<T>()?, img, |nc, out| {
            let mut acc = vec![T::A::ZERO; img];
            let cols_src = &src[nc * k * l..(nc + 1) * k * l];
            let mut koff = vec![0usize; r];
            for kk in 0..k {
                // Kernel offset multi-index of block element kk.
                let mut rem = kk;
                for i in (0..r).rev() {
                    koff[i] = rem % self.block[i];
                    rem /= self.block[i];
                }
                let row = &cols_src[kk * l..(kk + 1) * l];
                // Walk block positions with the last axis innermost.
                let mut pos = vec![0usize; r - 1];
                for chunk in row.chunks(last_cols) {
                    // Image offset of the outer axes; skip rows that fall in the padding.
                    let mut base = 0isize;
                    let mut inside = true;
                    for i in 0..r - 1 {
                        let v = (pos[i] * self.stride[i] + koff[i] * self.dil[i]) as isize - self.pad_begin[i] as isize;
                        if v < 0 || v >= self.image[i] as isize {
                            inside = false;
                            break;
                        }
                        base += v * img_strides[i] as isize;
                    }
                    if inside {
                        let start = (koff[r - 1] * self.dil[r - 1]) as isize - self.pad_begin[r - 1] as isize;
                        let w = self.image[r - 1] as isize;
                        for (j, &v) in chunk.iter().enumerate() {
                            let xpos = start + (j * last_stride) as isize;
                            if xpos >= 0 && xpos < w {
                                acc[(base + xpos) as usize] += v.load();
                            }
                        }
                    }
                    for i in (0..r - 1).rev() {
                        pos[i] += 1;
                        if pos[i] < self.cols[i] {
                            break;
                        }
                        pos[i] = 0;
                    }
                }
            }
            for (o, &a) in out.iter_mut().zip(&acc) {
                *o = T::store(a);
            }
        })?;
        Ok(y)
    }
}
