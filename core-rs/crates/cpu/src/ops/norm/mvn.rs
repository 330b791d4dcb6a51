//! MeanVarianceNormalization (opset 1, 9, 13): `(x - mean) / (sqrt(var) + 1e-9)` with mean
//! and population variance taken over `axes` (default [0, 2, 3]), as its ONNX function
//! body defines.

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use crate::util::real::{Acc, Real};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "MeanVarianceNormalization", 1, make));
}

struct Mvn {
    axes: Vec<i64>,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    // Opset 1 had across_channels / normalize_variance; 9+ has axes. Map the old ones.
    let axes = match node.get_ints("axes")? {
        Some(a) => a,
        None if node.opset < 9 && node.int_or("across_channels", 0)? != 0 => vec![0, 1, 2, 3],
        None => vec![0, 2, 3],
    };
    ensure!(
        node.opset >= 9 || node.int_or("normalize_variance", 1)? != 0,
        NotImplemented,
        "{}: normalize_variance = 0 is not supported",
        node.describe()
    );
    Ok(Box::new(Mvn { axes }))
}

impl Kernel for Mvn {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        let rank = x.rank();
        let mut mask = vec![false; rank];
        for &a in &self.axes {
            let r = rank as i64;
            ensure!(a >= -r && a < r, InvalidArgument, "{node}: axis {a} is out of range for an input of rank {rank}");
            mask[if a < 0 { a + r } else { a } as usize] = true;
        }
        let dt = x.dtype();
        let y = crate::dispatch_float!(dt, T => run::<T>(x, &mask)?, else bail!(
            NotImplemented,
            "{node}: not implemented for element type {dt}"
        ));
        ctx.set_output(0, y)
    }
}

fn run<T: Real>(x: &Tensor, mask: &[bool]) -> Result<Tensor> {
    let shape = x.shape();
    // Group (kept-dims position) of every element, by an odometer.
    let mut gstride = vec![0usize; shape.len()];
    let mut groups = 1usize;
    for d in (0..shape.len()).rev() {
        if !mask[d] {
            gstride[d] = groups;
            groups *= shape[d];
        }
    }
    let xs = x.data::<T>()?;
    let mut gid = Vec::with_capacity(xs.len());
    let mut idx = vec![0usize; shape.len()];
    let mut g = 0usize;
    for _ in 0..xs.len() {
        gid.push(g);
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            g += gstride[d];
            if idx[d] < shape[d] {
                break;
            }
            g -= gstride[d] * shape[d];
            idx[d] = 0;
        }
    }
    let count = groups.max(1);
    let per = T::A::from_f64((xs.len() / count).max(1) as f64);
    let mut mean = vec![T::A::ZERO; groups];
    for (v, &g) in xs.iter().zip(&gid) {
        mean[g] += v.to_acc();
    }
    mean.iter_mut().for_each(|m| *m = *m / per);
    let mut var = vec![T::A::ZERO; groups];
    for (v, &g) in xs.iter().zip(&gid) {
        let d = v.to_acc() - mean[g];
        var[g] += d * d;
    }
    let eps = T::A::from_f64(1e-9);
    let inv: Vec<T::A> = var.iter().map(|q| T::A::ONE / ((*q / per).sqrt() + eps)).collect();
    let out: Vec<T> = xs.iter().zip(&gid).map(|(v, &g)| T::from_acc((v.to_acc() - mean[g]) * inv[g])).collect();
    Tensor::from_vec(shape.to_vec(), out)
}
