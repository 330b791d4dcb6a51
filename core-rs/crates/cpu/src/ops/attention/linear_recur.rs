//! The LinearAttention recurrence for one (batch, KV head). Per token: decay the state,
//! form the value to write (delta rules subtract what the state already recalls for the
//! key), add key ⊗ value, and read the state out for each query head of the group.
//!
//! Every one of those steps is independent per state column (value dimension), so the
//! state is cut into blocks of `W` columns (d_k x W, L1-sized) and each block runs through
//! a chunk of tokens before the next block is touched; within a block the per-column
//! sums live in registers. Tokens go in chunks so the exp(decay) gates are computed once
//! per token, not once per block. Compiled twice (baseline and AVX2+FMA), picked at run
//! time like the GEMM kernels.

/// Sizes and layout switches of one call.
pub struct Head {
    pub t: usize,
    pub hq: usize,
    pub hkv: usize,
    pub dk: usize,
    pub dv: usize,
    /// Query heads per KV head.
    pub group: usize,
    pub scale: f32,
    /// decay is (B, T, H_kv*d_k) rather than (B, T, H_kv).
    pub per_key_decay: bool,
    /// beta is (B, T, H_kv) rather than (B, T, 1).
    pub beta_per_head: bool,
}

/// The packed (B, T, H*D) inputs, as f32.
pub struct Inputs<'a> {
    pub q: &'a [f32],
    pub k: &'a [f32],
    pub v: &'a [f32],
    pub decay: Option<&'a [f32]>,
    pub beta: Option<&'a [f32]>,
}

/// State columns per block (4 AVX registers); a d_v that is not a multiple is padded
/// with zero columns, which stay zero (their values are zero).
const W: usize = 32;
/// Tokens whose gates are computed together.
const TOKEN_CHUNK: usize = 64;

type Row = [f32; W];

/// Runs all tokens of batch `b`, KV head `kvh`. `state` (d_k x d_v) holds the initial
/// state and is left holding the final one; `out` (T x group x d_v) receives the outputs
/// of the group's query heads.
pub fn run_head(h: &Head, x: &Inputs<'_>, b: usize, kvh: usize, state: &mut [f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if onnxrun_linalg::gemm::active_tier() == onnxrun_linalg::Tier::Fma {
        // SAFETY: the Fma tier is only active when the CPU has AVX2 and FMA.
        return unsafe { run_head_fma(h, x, b, kvh, state, out) };
    }
    body::<false>(h, x, b, kvh, state, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_head_fma(h: &Head, x: &Inputs<'_>, b: usize, kvh: usize, state: &mut [f32], out: &mut [f32]) {
    body::<true>(h, x, b, kvh, state, out)
}

/// `a * b + c`, fused when compiled for FMA.
#[inline(always)]
fn madd<const F: bool>(a: f32, b: f32, c: f32) -> f32 {
    if F {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

// Row ops take and return values, not places, so the compiler sees no aliasing and keeps
// them in vector registers.

/// `a * x + y`
#[inline(always)]
fn axpy<const F: bool>(a: f32, x: &Row, y: &Row) -> Row {
    let mut r = [0.0; W];
    for ((r, &x), &y) in r.iter_mut().zip(x).zip(y) {
        *r = madd::<F>(a, x, y);
    }
    r
}

/// `a * x`
#[inline(always)]
fn scaled(a: f32, x: &Row) -> Row {
    let mut r = [0.0; W];
    for (r, &x) in r.iter_mut().zip(x) {
        *r = a * x;
    }
    r
}

#[inline(always)]
fn body<const F: bool>(h: &Head, x: &Inputs<'_>, b: usize, kvh: usize, state: &mut [f32], out: &mut [f32]) {
    let Head { t, dk, dv, .. } = *h;
    let n_blocks = dv.div_ceil(W);
    // The state in blocks: block c holds rows d = 0..d_k of columns c*W..c*W+W.
    let mut blocks: Vec<Row> = vec![[0.0; W]; n_blocks * dk];
    for (c, blk) in blocks.chunks_exact_mut(dk.max(1)).enumerate().take(n_blocks) {
        let (c0, w) = (c * W, W.min(dv - c * W));
        for (d, row) in blk.iter_mut().enumerate() {
            row[..w].copy_from_slice(&state[d * dv + c0..d * dv + c0 + w]);
        }
    }
    let mut gates = vec![1f32; TOKEN_CHUNK * dk];
    let mut o: Vec<Row> = vec![[0.0; W]; h.group];
    for t0 in (0..t).step_by(TOKEN_CHUNK) {
        let tn = TOKEN_CHUNK.min(t - t0);
        if let Some(decay) = x.decay {
            for (i, g) in gates.chunks_exact_mut(dk.max(1)).take(tn).enumerate() {
                let at = (b * t + t0 + i) * h.hkv + kvh;
                if h.per_key_decay {
                    for (g, &dd) in g.iter_mut().zip(&decay[at * dk..(at + 1) * dk]) {
                        *g = dd.exp();
                    }
                } else {
                    g.fill(decay[at].exp());
                }
            }
        }
        for (c, blk) in blocks.chunks_exact_mut(dk.max(1)).enumerate().take(n_blocks) {
            for i in 0..tn {
                let gate = &gates[i * dk..(i + 1) * dk];
                token::<F>(h, x, b, kvh, t0 + i, c, blk, gate, &mut o, out);
            }
        }
    }
    for (c, blk) in blocks.chunks_exact(dk.max(1)).enumerate().take(n_blocks) {
        let (c0, w) = (c * W, W.min(dv - c * W));
        for (d, row) in blk.iter().enumerate() {
            state[d * dv + c0..d * dv + c0 + w].copy_from_slice(&row[..w]);
        }
    }
}

/// One token on column block `c` (state rows `blk`, exp(decay) per row `gate`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn token<const F: bool>(
    h: &Head,
    x: &Inputs<'_>,
    b: usize,
    kvh: usize,
    ti: usize,
    c: usize,
    blk: &mut [Row],
    gate: &[f32],
    o: &mut [Row],
    out: &mut [f32],
) {
    let Head { t, hq, hkv, dk, dv, group, scale, beta_per_head, .. } = *h;
    let (c0, w) = (c * W, W.min(dv - c * W));
    let tok = b * t + ti;
    let at_kv = tok * hkv + kvh;
    let krow = &x.k[at_kv * dk..(at_kv + 1) * dk];
    let q0 = (tok * hq + kvh * group) * dk;
    let qrows = &x.q[q0..q0 + group * dk];
    let gating = x.decay.is_some();

    let mut u: Row = [0.0; W];
    u[..w].copy_from_slice(&x.v[at_kv * dv + c0..at_kv * dv + c0 + w]);
    // Delta rules: decay first, recall S^T k from the decayed state, and write
    // beta * (v - recalled) instead of v.
    let decay_in_write = match x.beta {
        Some(betas) => {
            let beta = if beta_per_head { betas[at_kv] } else { betas[tok] };
            let mut r: Row = [0.0; W];
            for ((row, &kd), &g) in blk.iter_mut().zip(krow).zip(gate) {
                let mut sr = *row;
                if gating {
                    sr = scaled(g, &sr);
                    *row = sr;
                }
                r = axpy::<F>(kd, &sr, &r);
            }
            for (u, &r) in u.iter_mut().zip(&r) {
                *u = beta * (*u - r);
            }
            false
        }
        None => gating,
    };

    // Write k ⊗ u (decaying here when no recall pass did), then read each query head.
    o.iter_mut().for_each(|og| *og = [0.0; W]);
    for (d, ((row, &kd), &g)) in blk.iter_mut().zip(krow).zip(gate).enumerate() {
        let sr = if decay_in_write { axpy::<F>(kd, &u, &scaled(g, row)) } else { axpy::<F>(kd, &u, row) };
        *row = sr;
        for (gi, og) in o.iter_mut().enumerate() {
            *og = axpy::<F>(qrows[gi * dk + d], &sr, og);
        }
    }
    let scale = if dk > 0 { scale } else { 1.0 };
    for (gi, og) in o.iter().enumerate() {
        let at = (ti * group + gi) * dv + c0;
        for (dst, &v) in out[at..at + w].iter_mut().zip(og.iter()) {
            *dst = v * scale;
        }
    }
}
