//! Det (opset 11, 22): determinants of the trailing square matrices of `[*, M, M]`, by
//! LU decomposition with partial pivoting in f64.

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use crate::util::real::{Acc, Real};
use onnxrun_core::{bail, ensure, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Det", 11, make));
}

fn make(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(Det))
}

struct Det;

impl Kernel for Det {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        let s = x.shape();
        ensure!(
            s.len() >= 2 && s[s.len() - 1] == s[s.len() - 2],
            InvalidArgument,
            "{node}: input must be [*, M, M], got {s:?}"
        );
        let m = s[s.len() - 1];
        let dt = x.dtype();
        let y = crate::dispatch_float!(dt, T => run::<T>(x, m)?, else bail!(
            NotImplemented,
            "{node}: not implemented for element type {dt}"
        ));
        ctx.set_output(0, y)
    }
}

fn run<T: Real>(x: &Tensor, m: usize) -> Result<Tensor> {
    let xs = x.data::<T>()?;
    let batch_shape = x.shape()[..x.rank() - 2].to_vec();
    let mut a = vec![0f64; m * m];
    let out: Vec<T> = if m == 0 {
        vec![T::from_acc(T::A::ONE); batch_shape.iter().product()]
    } else {
        xs.chunks(m * m)
            .map(|mat| {
                for (d, v) in a.iter_mut().zip(mat) {
                    *d = v.to_acc().to_f64();
                }
                T::from_acc(T::A::from_f64(lu_det(&mut a, m)))
            })
            .collect()
    };
    Tensor::from_vec(batch_shape, out)
}

/// Determinant of the m×m row-major matrix in `a` (destroyed).
fn lu_det(a: &mut [f64], m: usize) -> f64 {
    let mut det = 1.0;
    for c in 0..m {
        let p = (c..m).max_by(|&i, &j| a[i * m + c].abs().total_cmp(&a[j * m + c].abs())).unwrap_or(c);
        let pivot = a[p * m + c];
        if pivot == 0.0 {
            return 0.0;
        }
        if p != c {
            for j in 0..m {
                a.swap(c * m + j, p * m + j);
            }
            det = -det;
        }
        det *= pivot;
        for i in c + 1..m {
            let f = a[i * m + c] / pivot;
            if f != 0.0 {
                for j in c + 1..m {
                    a[i * m + j] -= f * a[c * m + j];
                }
            }
        }
    }
    det
}
