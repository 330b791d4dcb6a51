//! Draws as numpy's legacy `RandomState` makes them, on the MT19937 stream, so seeded
//! ops reproduce the ONNX reference implementation (which seeds a fresh RandomState).

use crate::util::mt19937::Mt19937;

/// A RandomState: the MT19937 stream and the spare normal draw of the polar method.
pub struct NpRandom {
    mt: Mt19937,
    spare: Option<f64>,
}

impl NpRandom {
    pub fn new(seed: u32) -> NpRandom {
        NpRandom { mt: Mt19937::new(seed), spare: None }
    }

    /// `random_sample()`: uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        self.mt.next_f64()
    }

    /// `standard_normal()`: Marsaglia's polar method, which yields two values per accepted
    /// pair; numpy returns `f * x2` and keeps `f * x1` for the next call.
    pub fn normal(&mut self) -> f64 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        loop {
            let x1 = 2.0 * self.uniform() - 1.0;
            let x2 = 2.0 * self.uniform() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.spare = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// `binomial(1, p)` for p in [0, 1]: numpy's inversion sampler with n = 1, run for
    /// min(p, 1 - p) and mirrored, including its rare rejection of a draw.
    pub fn bernoulli(&mut self, p: f64) -> bool {
        let flip = p > 0.5;
        let p = if flip { 1.0 - p } else { p };
        let q = 1.0 - p;
        let qn = q.ln().exp();
        let bound = (p + 10.0 * (p * q + 1.0).sqrt()).min(1.0);
        let mut x = 0.0f64;
        let mut px = qn;
        let mut u = self.uniform();
        while u > px {
            x += 1.0;
            if x > bound {
                x = 0.0;
                px = qn;
                u = self.uniform();
            } else {
                u -= px;
                px = ((1.0 - x + 1.0) * p * px) / (x * q);
            }
        }
        (x != 0.0) != flip
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_matches_numpy() {
        // numpy: np.random.RandomState(0).standard_normal(5)
        let want = [1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458, 1.8675579901499675];
        let mut r = NpRandom::new(0);
        for w in want {
            assert!((r.normal() - w).abs() < 1e-15);
        }
    }

    #[test]
    fn bernoulli_matches_numpy() {
        // numpy: np.random.RandomState(0).binomial(1, [0.3, 0.3, 0.0, 0.9, 0.5, 1.0, 0.7])
        let ps = [0.3, 0.3, 0.0, 0.9, 0.5, 1.0, 0.7];
        let want = [false, true, false, true, false, true, true];
        let mut r = NpRandom::new(0);
        let got: Vec<bool> = ps.iter().map(|&p| r.bernoulli(p)).collect();
        assert_eq!(got, want);
    }
}
