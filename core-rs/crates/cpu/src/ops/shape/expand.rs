//! Expand (broadcast to a shape) and Tile (repeat along each dim).

use crate::util::broadcast::{par_ranges, Broadcast};
use crate::util::elems::{alloc, check_size, norm_axis, strides, AtNode, Elem};
use crate::util::parallel::{for_chunks_mut, pool_for};
use crate::with_elem;
use onnxrun_core::{ensure, err, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Expand", 8, expand));
    r.register(KernelDef::new("", "Tile", 1, tile));
}

fn expand(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (x, s) = (ctx.input(0)?, ctx.input(1)?);
        ensure!(s.rank() <= 1, InvalidArgument, "{}: shape must be 1-D, got {:?}", node.describe(), s.shape());
        let target = s
            .to_i64_vec()
            .at(node)?
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| err!(InvalidArgument, "{}: negative dimension {d} in shape", node.describe())))
            .collect::<Result<Vec<_>>>()?;
        let plan = Broadcast::new(&[x.shape(), &target]).at(node)?;
        let out_shape = plan.shape().to_vec();
        check_size(x.dtype(), &out_shape).at(node)?;
        if out_shape == x.shape() {
            return ctx.set_output(0, x.clone());
        }
        let pool = pool_for(ctx, plan.len());
        let stride = plan.inner_stride(0);
        let y = with_elem!(x.dtype(), T => {
            let src = T::view(x)?;
            let mut out = alloc::<T>(x.dtype(), &out_shape)?;
            par_ranges(&mut out, pool, |elems, part| {
                let base = elems.start;
                plan.for_each_segment(elems, |o, offs, n| {
                    let dst = &mut part[o - base..o - base + n];
                    if stride == 1 {
                        dst.clone_from_slice(&src[offs[0]..offs[0] + n]);
                    } else {
                        dst.fill(src[offs[0]].clone());
                    }
                });
            });
            T::build(x.dtype(), out_shape, out)
        })?;
        ctx.set_output(0, y)
    })))
}

fn tile(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let node = ctx.node;
        let (x, r) = (ctx.input(0)?, ctx.input(1)?);
        let rank = x.rank();
        let reps = if node.opset < 6 {
            // Tile-1: `tiles` copies along the axis given by the third input.
            let tiles = r.to_i64_vec().at(node)?;
            let axis = ctx.input(2)?.to_i64_vec().at(node)?;
            ensure!(tiles.len() == 1 && axis.len() == 1, InvalidArgument, "{}: tiles and axis must be scalars", node.describe());
            let a = norm_axis(axis[0], rank, "Tile").at(node)?;
            let mut reps = vec![1i64; rank];
            reps[a] = tiles[0];
            reps
        } else {
            r.to_i64_vec().at(node)?
        };
        ensure!(reps.len() == rank, InvalidArgument, "{}: repeats has {} entries for input rank {rank}", node.describe(), reps.len());
        let reps = reps
            .iter()
            .map(|&v| usize::try_from(v).map_err(|_| err!(InvalidArgument, "{}: negative repeat {v}", node.describe())))
            .collect::<Result<Vec<_>>>()?;
        let ish = x.shape();
        let out_shape = ish
            .iter()
            .zip(&reps)
            .map(|(&d, &k)| d.checked_mul(k).ok_or_else(|| err!(InvalidArgument, "{}: tiled shape overflows", node.describe())))
            .collect::<Result<Vec<usize>>>()?;
        check_size(x.dtype(), &out_shape).at(node)?;
        if rank == 0 || reps.iter().all(|&k| k == 1) {
            return ctx.set_output(0, x.clone());
        }
        let pool = pool_for(ctx, out_shape.iter().product());
        let ist = strides(ish);
        let last_in = ish[rank - 1];
        let last_out = out_shape[rank - 1];
        let y = with_elem!(x.dtype(), T => {
            let src = T::view(x)?;
            let mut out = alloc::<T>(x.dtype(), &out_shape)?;
            if let Some(rows_per) = 4096usize.checked_div(last_out) {
                let rows_per = rows_per.max(1);
                for_chunks_mut(pool, &mut out, rows_per * last_out, |c, chunk| {
                    for (k, dst) in chunk.chunks_mut(last_out).enumerate() {
                        // The source row: output row coords modulo the input dims.
                        let mut row = c * rows_per + k;
                        let mut off = 0;
                        for d in (0..rank - 1).rev() {
                            off += (row % out_shape[d]) % ish[d] * ist[d];
                            row /= out_shape[d];
                        }
                        let s = &src[off..off + last_in];
                        for piece in dst.chunks_mut(last_in) {
                            piece.clone_from_slice(s);
                        }
                    }
                })?;
            }
            T::build(x.dtype(), out_shape, out)
        })?;
        ctx.set_output(0, y)
    })))
}
