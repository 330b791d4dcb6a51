//! Complex FFT of any length, computed in f64 (f32 inputs then match numpy's float64
//! reference to ~1e-7 even for long transforms). Plans:
//! - powers of two: iterative radix-2 with per-stage contiguous twiddles;
//! - short other lengths (≤ `DIRECT_MAX`): the direct sum over a twiddle table, which is
//!   cheaper than any reindexing at that size;
//! - everything else: Bluestein's chirp-z, a length-n DFT as a circular convolution of
//!   power-of-two length m ≥ 2n-1, so O(n log n) for every n (primes included).

use std::f64::consts::PI;
use std::ops::{Add, Mul, Sub};

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct C64 {
    pub re: f64,
    pub im: f64,
}

impl C64 {
    pub const ZERO: C64 = C64 { re: 0.0, im: 0.0 };
    #[inline(always)]
    pub const fn new(re: f64, im: f64) -> C64 {
        C64 { re, im }
    }
    #[inline(always)]
    pub fn conj(self) -> C64 {
        C64 { re: self.re, im: -self.im }
    }
    #[inline(always)]
    pub fn scale(self, s: f64) -> C64 {
        C64 { re: self.re * s, im: self.im * s }
    }
    /// exp(i·angle).
    #[inline]
    fn cis(angle: f64) -> C64 {
        let (s, c) = angle.sin_cos();
        C64 { re: c, im: s }
    }
}

impl Add for C64 {
    type Output = C64;
    #[inline(always)]
    fn add(self, o: C64) -> C64 {
        C64 { re: self.re + o.re, im: self.im + o.im }
    }
}
impl Sub for C64 {
    type Output = C64;
    #[inline(always)]
    fn sub(self, o: C64) -> C64 {
        C64 { re: self.re - o.re, im: self.im - o.im }
    }
}
impl Mul for C64 {
    type Output = C64;
    #[inline(always)]
    fn mul(self, o: C64) -> C64 {
        C64 { re: self.re * o.re - self.im * o.im, im: self.re * o.im + self.im * o.re }
    }
}

/// Lengths up to this that are not powers of two use the direct sum.
const DIRECT_MAX: usize = 32;

/// A reusable plan for complex DFTs of one length. Thread-safe: per-call state lives in
/// the caller's scratch vector.
pub struct Fft {
    n: usize,
    plan: Plan,
}

enum Plan {
    Radix2(Radix2),
    Direct { tw: Vec<C64> },
    Bluestein(Box<Bluestein>),
}

impl Fft {
    pub fn new(n: usize) -> Fft {
        let plan = if n.is_power_of_two() || n == 0 {
            Plan::Radix2(Radix2::new(n.max(1)))
        } else if n <= DIRECT_MAX {
            Plan::Direct { tw: (0..n).map(|k| C64::cis(-2.0 * PI * k as f64 / n as f64)).collect() }
        } else {
            Plan::Bluestein(Box::new(Bluestein::new(n)))
        };
        Fft { n, plan }
    }

    /// In-place forward transform: a[k] ← Σ_j a[j]·exp(-2πi·jk/n). `a.len()` must be n.
    pub fn forward(&self, a: &mut [C64], scratch: &mut Vec<C64>) {
        debug_assert_eq!(a.len(), self.n);
        match &self.plan {
            Plan::Radix2(r) => r.run(a),
            Plan::Direct { tw } => direct(a, tw, scratch),
            Plan::Bluestein(b) => b.run(a, scratch),
        }
    }

    /// Forward transforms of two real sequences a and b with one complex transform: `z`
    /// holds a + i·b on entry (and is clobbered); `fa`/`fb` receive the first
    /// `fa.len()` bins of A and B, from A[k] = (Z[k] + conj Z[n-k]) / 2 and
    /// B[k] = (Z[k] - conj Z[n-k]) / 2i.
    pub fn forward_real_pair(&self, z: &mut [C64], scratch: &mut Vec<C64>, fa: &mut [C64], fb: &mut [C64]) {
        self.forward(z, scratch);
        let n = self.n;
        for (k, (a, b)) in fa.iter_mut().zip(fb.iter_mut()).enumerate() {
            let p = z[k];
            let q = z[(n - k) % n].conj();
            let (s, d) = (p + q, p - q);
            *a = s.scale(0.5);
            *b = C64::new(0.5 * d.im, -0.5 * d.re);
        }
    }

    /// In-place unnormalized inverse: a[k] ← Σ_j a[j]·exp(+2πi·jk/n).
    pub fn inverse(&self, a: &mut [C64], scratch: &mut Vec<C64>) {
        conj_all(a);
        self.forward(a, scratch);
        conj_all(a);
    }
}

fn conj_all(a: &mut [C64]) {
    for v in a {
        v.im = -v.im;
    }
}

fn direct(a: &mut [C64], tw: &[C64], scratch: &mut Vec<C64>) {
    let n = a.len();
    scratch.clear();
    scratch.extend_from_slice(a);
    for (k, out) in a.iter_mut().enumerate() {
        let mut acc = C64::ZERO;
        let mut idx = 0usize;
        for &x in scratch.iter() {
            acc = acc + x * tw[idx];
            idx += k;
            if idx >= n {
                idx -= n;
            }
        }
        *out = acc;
    }
}

struct Radix2 {
    n: usize,
    /// Twiddles of every stage back to back: the stage of half-length h holds
    /// exp(-2πi·k/(2h)) for k < h, starting at offset h - 1.
    tw: Vec<C64>,
}

impl Radix2 {
    fn new(n: usize) -> Radix2 {
        let mut tw = Vec::with_capacity(n.saturating_sub(1));
        let mut half = 1;
        while half < n {
            let len = (2 * half) as f64;
            tw.extend((0..half).map(|k| C64::cis(-2.0 * PI * k as f64 / len)));
            half *= 2;
        }
        Radix2 { n, tw }
    }

    fn run(&self, a: &mut [C64]) {
        let n = self.n;
        if n <= 1 {
            return;
        }
        let shift = usize::BITS - n.trailing_zeros();
        for i in 0..n {
            let j = i.reverse_bits() >> shift;
            if j > i {
                a.swap(i, j);
            }
        }
        // First stage has the single twiddle 1.
        for pair in a.chunks_exact_mut(2) {
            let (u, v) = (pair[0], pair[1]);
            pair[0] = u + v;
            pair[1] = u - v;
        }
        let mut half = 2;
        while half < n {
            let tw = &self.tw[half - 1..2 * half - 1];
            for block in a.chunks_exact_mut(2 * half) {
                let (lo, hi) = block.split_at_mut(half);
                for ((x, y), &w) in lo.iter_mut().zip(hi.iter_mut()).zip(tw) {
                    let v = *y * w;
                    let u = *x;
                    *x = u + v;
                    *y = u - v;
                }
            }
            half *= 2;
        }
    }
}

struct Bluestein {
    n: usize,
    /// exp(-πi·k²/n), k < n.
    chirp: Vec<C64>,
    /// FFT_m of the conjugate chirp laid out circularly, pre-divided by m.
    filter: Vec<C64>,
    inner: Radix2,
}

impl Bluestein {
    fn new(n: usize) -> Bluestein {
        let m = (2 * n - 1).next_power_of_two();
        // k² mod 2n keeps the angle small, so the chirp stays exact for large k.
        let two_n = 2 * n as u128;
        let chirp: Vec<C64> =
            (0..n).map(|k| C64::cis(-PI * ((k as u128 * k as u128) % two_n) as f64 / n as f64)).collect();
        let inner = Radix2::new(m);
        let mut filter = vec![C64::ZERO; m];
        filter[0] = chirp[0].conj();
        for k in 1..n {
            filter[k] = chirp[k].conj();
            filter[m - k] = chirp[k].conj();
        }
        inner.run(&mut filter);
        let s = 1.0 / m as f64;
        for f in &mut filter {
            *f = f.scale(s);
        }
        Bluestein { n, chirp, filter, inner }
    }

    fn run(&self, a: &mut [C64], scratch: &mut Vec<C64>) {
        let m = self.filter.len();
        scratch.clear();
        scratch.resize(m, C64::ZERO);
        for ((s, &x), &c) in scratch.iter_mut().zip(a.iter()).zip(&self.chirp) {
            *s = x * c;
        }
        self.inner.run(scratch);
        // Inverse FFT as conj(FFT(conj(·))): fold both conjugations into the loops around it.
        for (s, &f) in scratch.iter_mut().zip(&self.filter) {
            *s = (*s * f).conj();
        }
        self.inner.run(scratch);
        for ((x, &s), &c) in a.iter_mut().zip(scratch.iter()).zip(&self.chirp).take(self.n) {
            *x = s.conj() * c;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[C64]) -> Vec<C64> {
        let n = x.len();
        (0..n)
            .map(|k| {
                x.iter().enumerate().fold(C64::ZERO, |acc, (j, &v)| {
                    acc + v * C64::cis(-2.0 * PI * ((j * k) % n) as f64 / n as f64)
                })
            })
            .collect()
    }

    #[test]
    fn all_plans_match_the_direct_sum() {
        for n in [1usize, 2, 3, 4, 5, 8, 12, 31, 32, 33, 64, 97, 100, 128, 250, 401] {
            let x: Vec<C64> = (0..n).map(|i| C64::new((i as f64 * 0.37).sin(), (i as f64 * 1.3).cos() - 0.2)).collect();
            let want = naive(&x);
            let fft = Fft::new(n);
            let mut got = x.clone();
            let mut scratch = Vec::new();
            fft.forward(&mut got, &mut scratch);
            for (g, w) in got.iter().zip(&want) {
                assert!((g.re - w.re).abs() < 1e-9 * n as f64 && (g.im - w.im).abs() < 1e-9 * n as f64, "n={n}");
            }
            // Two real sequences through one transform.
            let mut z: Vec<C64> = x.iter().map(|v| C64::new(v.re, v.im)).collect();
            let (mut fa, mut fb) = (vec![C64::ZERO; n], vec![C64::ZERO; n]);
            fft.forward_real_pair(&mut z, &mut scratch, &mut fa, &mut fb);
            let wa = naive(&x.iter().map(|v| C64::new(v.re, 0.0)).collect::<Vec<_>>());
            let wb = naive(&x.iter().map(|v| C64::new(v.im, 0.0)).collect::<Vec<_>>());
            for k in 0..n {
                assert!((fa[k].re - wa[k].re).abs() + (fa[k].im - wa[k].im).abs() < 1e-9 * n as f64, "pair a n={n}");
                assert!((fb[k].re - wb[k].re).abs() + (fb[k].im - wb[k].im).abs() < 1e-9 * n as f64, "pair b n={n}");
            }
            fft.inverse(&mut got, &mut scratch);
            for (g, w) in got.iter().zip(&x) {
                assert!((g.re / n as f64 - w.re).abs() < 1e-12 * n as f64, "inverse n={n}");
                assert!((g.im / n as f64 - w.im).abs() < 1e-12 * n as f64, "inverse n={n}");
            }
        }
    }
}
