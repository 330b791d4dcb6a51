//! The GRU cell (gates z, r, h in W, R and B):
//! `zt = f(Xt·Wzᵀ + Ht-1·Rzᵀ + Wbz + Rbz)`, `rt` likewise,
//! `ht = g(Xt·Whᵀ + (rt ⊙ Ht-1)·Rhᵀ + Rbh + Wbh)`, or with linear_before_reset
//! `ht = g(Xt·Whᵀ + rt ⊙ (Ht-1·Rhᵀ + Rbh) + Wbh)`, and `Ht = (1 - zt) ⊙ ht + zt ⊙ Ht-1`.

use super::calc::{Calc, RecWeights};
use super::{DirIn, DirOut};
use crate::util::real::Acc;

pub(crate) fn run<F: Calc>(p: &DirIn<'_, F>, linear_before_reset: bool) -> DirOut<F> {
    let d = p.d;
    let (hs, batch) = (d.hidden, d.batch);
    let (gh, zr_len) = (3 * hs, 2 * hs);
    let (f, g) = (p.acts[0], p.acts[1]);
    let zero = <F as Acc>::ZERO;
    let one = <F as Acc>::ONE;
    let (r_zr, r_h) = p.r.split_at(zr_len * hs);
    let (r_zr, r_h) = (RecWeights::new(p.pool, r_zr, zr_len, hs, batch), RecWeights::new(p.pool, r_h, hs, hs, batch));
    let mut h = p.initial(&p.h0);
    let mut y = p.want_y.then(|| vec![zero; d.seq * batch * hs]);
    // Per batch entry: z and r (pre-activation, then activated).
    let mut zr = vec![zero; batch * zr_len];
    // The recurrent part of the h gate: Ht-1·Rhᵀ + Rbh, or (rt ⊙ Ht-1)·Rhᵀ.
    let mut lin = vec![zero; batch * hs];
    // rt ⊙ Ht-1 (linear_before_reset = 0 only).
    let mut rh = vec![zero; if linear_before_reset { 0 } else { batch * hs }];
    for t in p.steps() {
        r_zr.mul(p.pool, batch, &h, &mut zr, zr_len);
        if linear_before_reset {
            r_h.mul(p.pool, batch, &h, &mut lin, hs);
            if let Some(rb) = p.rb_h {
                for row in lin.chunks_exact_mut(hs) {
                    row.iter_mut().zip(rb).for_each(|(v, &b)| *v += b);
                }
            }
        }
        for b in 0..batch {
            if t >= p.lens[b] {
                continue;
            }
            let gates = &mut zr[b * zr_len..][..zr_len];
            gates.iter_mut().zip(&p.xw[d.row(t, b) * gh..][..zr_len]).for_each(|(v, &x)| *v += x);
            p.clip(gates);
            f.apply(gates);
            if !linear_before_reset {
                let (r, hb) = (&gates[hs..], &h[b * hs..][..hs]);
                rh[b * hs..][..hs].iter_mut().zip(r.iter().zip(hb)).for_each(|(o, (&r, &h))| *o = r * h);
            }
        }
        if !linear_before_reset {
            r_h.mul(p.pool, batch, &rh, &mut lin, hs);
        }
        for b in 0..batch {
            if t >= p.lens[b] {
                continue;
            }
            let (z, r) = zr[b * zr_len..][..zr_len].split_at(hs);
            let xh = &p.xw[d.row(t, b) * gh + zr_len..][..hs];
            let pre = &mut lin[b * hs..][..hs];
            if linear_before_reset {
                pre.iter_mut().zip(r.iter().zip(xh)).for_each(|(v, (&r, &x))| *v = x + r * *v);
            } else {
                pre.iter_mut().zip(xh).for_each(|(v, &x)| *v += x);
            }
            p.clip(pre);
            g.apply(pre);
            let hb = &mut h[b * hs..][..hs];
            hb.iter_mut().zip(pre.iter().zip(z)).for_each(|(h, (&n, &z))| *h = (one - z) * n + z * *h);
            if let Some(y) = y.as_mut() {
                y[(t * batch + b) * hs..][..hs].copy_from_slice(hb);
            }
        }
    }
    p.finish(y, h, None)
}
