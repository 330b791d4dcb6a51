//! The simple RNN cell: `Ht = f(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb)`.

use super::calc::{Calc, RecWeights};
use super::{DirIn, DirOut};
use crate::util::real::Acc;

pub(crate) fn run<F: Calc>(p: &DirIn<'_, F>) -> DirOut<F> {
    let d = p.d;
    let (hs, batch) = (d.hidden, d.batch);
    let act = p.acts[0];
    let mut h = p.initial(&p.h0);
    let mut y = p.want_y.then(|| vec![<F as Acc>::ZERO; d.seq * batch * hs]);
    let mut gates = vec![<F as Acc>::ZERO; batch * hs];
    let r = RecWeights::new(p.pool, p.r, hs, hs, batch);
    for t in p.steps() {
        r.mul(p.pool, batch, &h, &mut gates, hs);
        for b in 0..batch {
            if t >= p.lens[b] {
                continue;
            }
            let g = &mut gates[b * hs..][..hs];
            g.iter_mut().zip(&p.xw[d.row(t, b) * hs..][..hs]).for_each(|(v, &x)| *v += x);
            p.clip(g);
            act.apply(g);
            h[b * hs..][..hs].copy_from_slice(g);
            if let Some(y) = y.as_mut() {
                y[(t * batch + b) * hs..][..hs].copy_from_slice(g);
            }
        }
    }
    p.finish(y, h, None)
}
