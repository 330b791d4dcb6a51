//! Shared helpers for the GEMM tests: a deterministic PRNG, operand builders and the
//! naive triple-loop oracle with its error bound.

#![allow(dead_code)]

/// SplitMix64: tiny, deterministic, good enough to fill test matrices.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// Element types under test, with their rounding unit.
pub trait Num: onnxrun_linalg::Element {
    const EPS: f64;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn nan() -> Self;
}

impl Num for f32 {
    const EPS: f64 = f32::EPSILON as f64;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn nan() -> Self {
        f32::NAN
    }
}

impl Num for f64 {
    const EPS: f64 = f64::EPSILON;
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn nan() -> Self {
        f64::NAN
    }
}

/// One GEMM problem with its operands laid out as the API expects.
#[derive(Clone)]
pub struct Case<T> {
    pub trans_a: bool,
    pub trans_b: bool,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub alpha: T,
    pub beta: T,
    pub a: Vec<T>,
    pub lda: usize,
    pub b: Vec<T>,
    pub ldb: usize,
    /// C before the call; padding columns (j >= n) hold SENTINEL.
    pub c: Vec<T>,
    pub ldc: usize,
}

pub const SENTINEL: f64 = 12345.0;

impl<T: Num> Case<T> {
    /// Random operands; `pad` extra elements per stored row; C filled with NaN when
    /// beta == 0 (it must be ignored).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rng: &mut Rng,
        trans_a: bool,
        trans_b: bool,
        m: usize,
        n: usize,
        k: usize,
        alpha: f64,
        beta: f64,
        pad: usize,
    ) -> Self {
        let (ar, ac) = if trans_a { (k, m) } else { (m, k) };
        let (br, bc) = if trans_b { (n, k) } else { (k, n) };
        let lda = ac + pad;
        let ldb = bc + (pad * 2) % 5;
        let ldc = n + pad % 3;
        let mut fill = |rows: usize, cols: usize, ld: usize| -> Vec<T> {
            // Trailing padding exists only between rows, like a strided view.
            let len = if rows == 0 { 0 } else { (rows - 1) * ld + cols };
            (0..len)
                .map(|i| {
                    if i % ld < cols {
                        T::from_f64(rng.unit())
                    } else {
                        T::from_f64(-SENTINEL)
                    }
                })
                .collect()
        };
        let a = fill(ar, ac, lda);
        let b = fill(br, bc, ldb);
        let c = (0..m * ldc)
            .map(|i| {
                if i % ldc >= n {
                    T::from_f64(SENTINEL)
                } else if beta == 0.0 {
                    T::nan()
                } else {
                    T::from_f64(rng.unit())
                }
            })
            .collect();
        Case {
            trans_a,
            trans_b,
            m,
            n,
            k,
            alpha: T::from_f64(alpha),
            beta: T::from_f64(beta),
            a,
            lda,
            b,
            ldb,
            c,
            ldc,
        }
    }

    pub fn a_at(&self, i: usize, p: usize) -> f64 {
        let idx = if self.trans_a {
            p * self.lda + i
        } else {
            i * self.lda + p
        };
        self.a[idx].to_f64()
    }

    pub fn b_at(&self, p: usize, j: usize) -> f64 {
        let idx = if self.trans_b {
            j * self.ldb + p
        } else {
            p * self.ldb + j
        };
        self.b[idx].to_f64()
    }

    /// Naive triple loop in f64: expected C and, per element, the magnitude that scales
    /// the permitted rounding error.
    pub fn oracle(&self) -> Oracle {
        let (m, n, k) = (self.m, self.n, self.k);
        let (alpha, beta) = (self.alpha.to_f64(), self.beta.to_f64());
        let mut expect = vec![0.0; m * n];
        let mut scale = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let (mut s, mut s_abs) = (0.0, 0.0);
                for p in 0..k {
                    let prod = self.a_at(i, p) * self.b_at(p, j);
                    s += prod;
                    s_abs += prod.abs();
                }
                let c0 = if beta == 0.0 {
                    0.0
                } else {
                    beta * self.c[i * self.ldc + j].to_f64()
                };
                expect[i * n + j] = alpha * s + c0;
                scale[i * n + j] = alpha.abs() * s_abs + c0.abs();
            }
        }
        Oracle {
            m,
            n,
            k,
            expect,
            scale,
        }
    }
}

pub struct Oracle {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub expect: Vec<f64>,
    pub scale: Vec<f64>,
}

impl Oracle {
    /// Checks `got` (C after the call, stride `ldc`) against the oracle: every element
    /// within `(k + 4) * eps * scale`, padding untouched. Returns a description of the
    /// first mismatch.
    pub fn check<T: Num>(&self, got: &[T], ldc: usize) -> Result<(), String> {
        let tol_factor = (self.k as f64 + 4.0) * T::EPS;
        for i in 0..self.m {
            for j in 0..ldc {
                let v = got[i * ldc + j].to_f64();
                if j >= self.n {
                    if v != SENTINEL {
                        return Err(format!("padding C[{i}][{j}] overwritten with {v}"));
                    }
                    continue;
                }
                let (e, s) = (self.expect[i * self.n + j], self.scale[i * self.n + j]);
                let tol = tol_factor * s + 1e-30;
                if v.is_nan() || (v - e).abs() > tol {
                    return Err(format!(
                        "C[{i}][{j}] = {v}, expected {e} (tolerance {tol:e})"
                    ));
                }
            }
        }
        Ok(())
    }
}
