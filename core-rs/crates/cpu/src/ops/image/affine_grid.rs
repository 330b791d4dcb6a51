//! AffineGrid (opset 20): the sampling grid of GridSample from a batch of 2-D (N, 2, 3) or
//! 3-D (N, 3, 4) affine matrices. Base coordinates span [-1, 1] per axis: pixel centers
//! with align_corners=1, pixel edges otherwise.

use crate::util::elems::check_size;
use crate::util::real::{Acc, Real};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "AffineGrid", 20, make));
}

struct AffineGrid {
    align: bool,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let align = match node.int_or("align_corners", 0)? {
        0 => false,
        1 => true,
        v => bail!(InvalidGraph, "{}: align_corners must be 0 or 1, got {v}", node.describe()),
    };
    Ok(Box::new(AffineGrid { align }))
}

impl Kernel for AffineGrid {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let y = self.run(ctx.input(0)?, ctx.input(1)?).map_err(|e| e.context(ctx.node.describe()))?;
        ctx.set_output(0, y)
    }
}

impl AffineGrid {
    fn run(&self, theta: &Tensor, size: &Tensor) -> Result<Tensor> {
        let size = size.to_i64_vec()?;
        ensure!(size.len() == 4 || size.len() == 5, InvalidArgument, "'size' must hold 4 (N, C, H, W) or 5 (N, C, D, H, W) values, got {size:?}");
        ensure!(size.iter().all(|&v| v >= 0), InvalidArgument, "'size' has a negative value: {size:?}");
        let r = size.len() - 2;
        let n = size[0] as usize;
        ensure!(
            theta.shape() == [n, r, r + 1],
            InvalidArgument,
            "theta must have shape [{n}, {r}, {}] for a {r}-D grid of size {size:?}, got {:?}",
            r + 1,
            theta.shape()
        );
        let dims: Vec<usize> = size[2..].iter().map(|&v| v as usize).collect();
        let mut out_shape = vec![n];
        out_shape.extend_from_slice(&dims);
        out_shape.push(r);
        check_size(theta.dtype(), &out_shape)?;
        let dt = theta.dtype();
        crate::dispatch_float!(dt, T => self.grid::<T>(theta, &dims, out_shape), else bail!(
            InvalidArgument,
            "theta must be a float tensor, got {dt}"
        ))
    }

    /// Base coordinate of index `i` along an axis of `len` positions.
    fn base<A: Acc>(&self, i: usize, len: usize) -> A {
        let (i, l) = (i as f64, len as f64);
        A::from_f64(if self.align {
            if len > 1 {
                -1.0 + 2.0 * i / (l - 1.0)
            } else {
                -1.0
            }
        } else {
            -1.0 + (2.0 * i + 1.0) / l
        })
    }

    fn grid<T: Real>(&self, theta: &Tensor, dims: &[usize], out_shape: Vec<usize>) -> Result<Tensor> {
        let r = dims.len();
        let th: Vec<T::A> = theta.data::<T>()?.iter().map(|v| v.to_acc()).collect();
        // Base coordinates per axis, innermost (x) first, as the grid lists them.
        let axes: Vec<Vec<T::A>> = (0..r).rev().map(|a| (0..dims[a]).map(|i| self.base(i, dims[a])).collect()).collect();
        let mut y = Tensor::zeros(theta.dtype(), out_shape)?;
        let out = y.data_mut::<T>()?;
        let per = r * (r + 1);
        let q: usize = dims.iter().product();
        let mut pos = vec![T::A::ZERO; r];
        let mut idx = vec![0usize; r];
        for (b, ob) in out.chunks_mut((q * r).max(1)).enumerate().take(th.len() / per.max(1)) {
            let m = &th[b * per..(b + 1) * per];
            idx.fill(0);
            for cell in ob.chunks_mut(r) {
                // idx is over (D,) H, W; pos lists x (W), y (H), (z (D)).
                for k in 0..r {
                    pos[k] = axes[k][idx[r - 1 - k]];
                }
                for (row, o) in cell.iter_mut().enumerate() {
                    let mr = &m[row * (r + 1)..(row + 1) * (r + 1)];
                    let mut a = mr[r];
                    for k in 0..r {
                        a += mr[k] * pos[k];
                    }
                    *o = T::from_acc(a);
                }
                for d in (0..r).rev() {
                    idx[d] += 1;
                    if idx[d] < dims[d] {
                        break;
                    }
                    idx[d] = 0;
                }
            }
        }
        Ok(y)
    }
}
