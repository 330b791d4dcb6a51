//! Arithmetic on dimensions for shape inference. A symbolic dim is read as a product
//! `c*a*b` of a number and symbols, so Reshape's `-1` over `[batch, 128, 768]` into
//! `[-1, 768]` gives `128*batch`, and a later product or exact quotient stays symbolic;
//! sums of symbols and inexact quotients are unknown.

use crate::value::Dim;

/// (coefficient, sorted symbols) of a dim; `None` for an unknown one.
fn monomial(d: &Dim) -> Option<(i64, Vec<String>)> {
    match d {
        Dim::Known(v) => Some((*v, vec![])),
        Dim::Symbolic(s) => {
            let mut c = 1i64;
            let mut syms = Vec::new();
            for part in s.split('*') {
                match part.parse::<i64>() {
                    Ok(v) => c = c.checked_mul(v)?,
                    Err(_) => syms.push(part.to_string()),
                }
            }
            syms.sort();
            Some((c, syms))
        }
        Dim::Unknown => None,
    }
}

fn from_monomial(c: i64, syms: Vec<String>) -> Dim {
    if syms.is_empty() || c == 0 {
        return Dim::Known(c);
    }
    let mut parts = Vec::with_capacity(syms.len() + 1);
    if c != 1 {
        parts.push(c.to_string());
    }
    parts.extend(syms);
    Dim::Symbolic(parts.join("*"))
}

pub fn known(d: &Dim) -> Option<i64> {
    match d {
        Dim::Known(v) => Some(*v),
        _ => None,
    }
}

pub fn mul(a: &Dim, b: &Dim) -> Dim {
    match (monomial(a), monomial(b)) {
        (Some((ca, mut sa)), Some((cb, sb))) => match ca.checked_mul(cb) {
            Some(c) => {
                sa.extend(sb);
                sa.sort();
                from_monomial(c, sa)
            }
            None => Dim::Unknown,
        },
        _ if known(a) == Some(0) || known(b) == Some(0) => Dim::Known(0),
        _ => Dim::Unknown,
    }
}

pub fn product<'a>(dims: impl IntoIterator<Item = &'a Dim>) -> Dim {
    dims.into_iter().fold(Dim::Known(1), |acc, d| mul(&acc, d))
}

/// `a / b` when it divides exactly (numbers and symbols), else unknown.
pub fn div(a: &Dim, b: &Dim) -> Dim {
    let (Some((ca, sa)), Some((cb, sb))) = (monomial(a), monomial(b)) else { return Dim::Unknown };
    if cb == 0 || ca % cb != 0 {
        return Dim::Unknown;
    }
    let mut rest = sa;
    for s in sb {
        match rest.iter().position(|r| *r == s) {
            Some(p) => {
                rest.remove(p);
            }
            None => return Dim::Unknown,
        }
    }
    from_monomial(ca / cb, rest)
}

/// Known-only arithmetic for sums and differences (symbols give unknown).
pub fn add(a: &Dim, b: &Dim) -> Dim {
    match (known(a), known(b)) {
        (Some(x), Some(y)) => x.checked_add(y).map(Dim::Known).unwrap_or(Dim::Unknown),
        _ if known(b) == Some(0) => a.clone(),
        _ if known(a) == Some(0) => b.clone(),
        _ => Dim::Unknown,
    }
}

pub fn sub(a: &Dim, b: &Dim) -> Dim {
    match (known(a), known(b)) {
        (Some(x), Some(y)) => x.checked_sub(y).map(Dim::Known).unwrap_or(Dim::Unknown),
        _ if known(b) == Some(0) => a.clone(),
        _ => Dim::Unknown,
    }
}

/// `axis` (negative counts from the end) in `0..rank`.
pub fn axis(axis: i64, rank: usize) -> Option<usize> {
    let a = if axis < 0 { axis + rank as i64 } else { axis };
    (0..rank as i64).contains(&a).then_some(a as usize)
}

/// A slice's (start, end, step) over a dimension of size `len`: its length, when `len` is
/// known or the bounds don't depend on it.
pub fn slice_len(len: &Dim, start: i64, end: i64, step: i64) -> Dim {
    if step == 0 {
        return Dim::Unknown;
    }
    let Some(n) = known(len).filter(|&n| n >= 0) else {
        // The whole dimension, forwards.
        return if step == 1 && start == 0 && end >= i64::MAX / 2 { len.clone() } else { Dim::Unknown };
    };
    let clamp = |v: i64, lo: i64, hi: i64| v.clamp(lo, hi);
    let norm = |v: i64| if v < 0 { v.saturating_add(n) } else { v };
    let (s, e) = if step > 0 { (clamp(norm(start), 0, n), clamp(norm(end), 0, n)) } else { (clamp(norm(start), -1, n - 1), clamp(norm(end), -1, n - 1)) };
    // Saturating: steps near i64's ends must not overflow.
    let count = if step > 0 {
        (e - s).saturating_add(step - 1).div_euclid(step)
    } else {
        (s - e).saturating_add(step.saturating_neg() - 1).div_euclid(step.saturating_neg())
    };
    Dim::Known(count.max(0))
}

/// Output size of a sliding window: `(len + pads - dilation*(k-1) - 1) / stride + 1`,
/// rounded down, or up with `ceil`. A symbolic length keeps its symbol when the window
/// leaves it unchanged (stride 1, padding that makes up for the window).
pub fn window_out(len: &Dim, kernel: i64, stride: i64, dilation: i64, (pad_begin, pad_end): (i64, i64), ceil: bool) -> Dim {
    let pads = pad_begin + pad_end;
    let span = dilation * (kernel - 1) + 1;
    match known(len) {
        Some(n) if stride > 0 => {
            let room = n + pads - span;
            if room < 0 {
                return Dim::Unknown;
            }
            let mut out = room / stride + 1;
            if ceil && room % stride != 0 {
                out += 1;
                // The last window must start inside the input or the leading padding.
                if (out - 1) * stride >= n + pad_begin {
                    out -= 1;
                }
            }
            Dim::Known(out)
        }
        None if stride == 1 && pads == span - 1 => len.clone(),
        _ => Dim::Unknown,
    }
}

