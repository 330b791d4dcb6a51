//! The LSTM cell (gates i, o, f, c in W, R and B; peepholes i, o, f in P):
//! `it = f(Xt·Wiᵀ + Ht-1·Riᵀ + Pi ⊙ Ct-1 + Wbi + Rbi)`, `ft` likewise with Pf (or
//! `1 - it` with input_forget), `ct = g(Xt·Wcᵀ + Ht-1·Rcᵀ + Wbc + Rbc)`,
//! `Ct = ft ⊙ Ct-1 + it ⊙ ct`, `ot = f(Xt·Woᵀ + Ht-1·Roᵀ + Po ⊙ Ct + Wbo + Rbo)`,
//! `Ht = ot ⊙ h(Ct)`. Clip applies to the gate inputs, not to Ct.

use super::calc::{Calc, RecWeights};
use super::{DirIn, DirOut};
use crate::util::real::Acc;

pub(crate) fn run<F: Calc>(p: &DirIn<'_, F>, input_forget: bool) -> DirOut<F> {
    let d = p.d;
    let (hs, batch) = (d.hidden, d.batch);
    let gh = 4 * hs;
    let (fa, ga, ha) = (p.acts[0], p.acts[1], p.acts[2]);
    let zero = <F as Acc>::ZERO;
    let one = <F as Acc>::ONE;
    let mut h = p.initial(&p.h0);
    let mut c = p.initial(&p.c0);
    let mut y = p.want_y.then(|| vec![zero; d.seq * batch * hs]);
    let mut gates = vec![zero; batch * gh];
    let r = RecWeights::new(p.pool, p.r, gh, hs, batch);
    let mut hc = vec![zero; hs];
    let peep = p.p.map(|p| (&p[..hs], &p[hs..2 * hs], &p[2 * hs..]));
    for t in p.steps() {
        r.mul(p.pool, batch, &h, &mut gates, gh);
        for b in 0..batch {
            if t >= p.lens[b] {
                continue;
            }
            let row = &mut gates[b * gh..][..gh];
            row.iter_mut().zip(&p.xw[d.row(t, b) * gh..][..gh]).for_each(|(v, &x)| *v += x);
            let (gi, rest) = row.split_at_mut(hs);
            let (go, rest) = rest.split_at_mut(hs);
            let (gf, gc) = rest.split_at_mut(hs);
            let cb = &mut c[b * hs..][..hs];
            if let Some((pi, _, pf)) = peep {
                gi.iter_mut().zip(pi.iter().zip(cb.iter())).for_each(|(v, (&p, &c))| *v += p * c);
                if !input_forget {
                    gf.iter_mut().zip(pf.iter().zip(cb.iter())).for_each(|(v, (&p, &c))| *v += p * c);
                }
            }
            p.clip(gi);
            fa.apply(gi);
            if input_forget {
                gf.iter_mut().zip(gi.iter()).for_each(|(f, &i)| *f = one - i);
            } else {
                p.clip(gf);
                fa.apply(gf);
            }
            p.clip(gc);
            ga.apply(gc);
            for j in 0..hs {
                cb[j] = gf[j] * cb[j] + gi[j] * gc[j];
            }
            if let Some((_, po, _)) = peep {
                go.iter_mut().zip(po.iter().zip(cb.iter())).for_each(|(v, (&p, &c))| *v += p * c);
            }
            p.clip(go);
            fa.apply(go);
            hc.copy_from_slice(cb);
            ha.apply(&mut hc);
            let hb = &mut h[b * hs..][..hs];
            hb.iter_mut().zip(go.iter().zip(&hc)).for_each(|(h, (&o, &v))| *h = o * v);
            if let Some(y) = y.as_mut() {
                y[(t * batch + b) * hs..][..hs].copy_from_slice(hb);
            }
        }
    }
    p.finish(y, h, Some(c))
}
