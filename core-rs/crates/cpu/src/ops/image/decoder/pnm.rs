//! Netpbm reader: P1/P4 (bitmap, 1 = black), P2/P5 (gray), P3/P6 (RGB), plain (ASCII)
//! and raw (binary; 16-bit big-endian samples when maxval > 255). Samples scale to 8 bits
//! as v * 255 / maxval, truncated, as Pillow does.

use super::{check_dims, Image};
use onnxrun_core::{bail, ensure, err, Result};

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    /// Skips whitespace and `#` comments.
    fn skip(&mut self) {
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'#' => {
                    while self.i < self.b.len() && self.b[self.i] != b'\n' && self.b[self.i] != b'\r' {
                        self.i += 1;
                    }
                }
                c if c.is_ascii_whitespace() => self.i += 1,
                _ => break,
            }
        }
    }

    fn number(&mut self, what: &str) -> Result<usize> {
        self.skip();
        let start = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        ensure!(self.i > start && self.i - start <= 9, InvalidArgument, "PNM {what} is missing or invalid");
        Ok(std::str::from_utf8(&self.b[start..self.i]).unwrap_or("0").parse().unwrap_or(0))
    }
}

pub(super) fn decode(b: &[u8]) -> Result<Image> {
    let kind = b[1] - b'0';
    let mut r = Reader { b, i: 2 };
    let w = r.number("width")?;
    let h = r.number("height")?;
    let bitmap = kind == 1 || kind == 4;
    let maxval = if bitmap { 1 } else { r.number("maxval")? };
    ensure!(w > 0 && h > 0, InvalidArgument, "PNM has an invalid size {w}x{h}");
    ensure!((1..=65535).contains(&maxval), InvalidArgument, "PNM maxval {maxval} is out of range");
    let ch = if kind == 3 || kind == 6 { 3 } else { 1 };
    check_dims(w, h, ch)?;
    let n = w * h * ch;
    let scale = |v: usize| -> u8 {
        if bitmap {
            // PBM: 1 is black.
            if v != 0 {
                0
            } else {
                255
            }
        } else {
            (v.min(maxval) * 255 / maxval) as u8
        }
    };
    let mut out = Vec::with_capacity(n);
    match kind {
        1 => {
            // Plain PBM: '0'/'1' digits, separators optional.
            while out.len() < n {
                r.skip();
                let c = *b.get(r.i).ok_or_else(|| err!(InvalidArgument, "PNM pixel data is truncated"))?;
                ensure!(c == b'0' || c == b'1', InvalidArgument, "PBM pixel '{}' is not 0 or 1", c as char);
                out.push(scale((c - b'0') as usize));
                r.i += 1;
            }
        }
        2 | 3 => {
            while out.len() < n {
                let v = r.number("sample")?;
                out.push(scale(v));
            }
        }
        4 | 5 | 6 => {
            // Exactly one whitespace byte ends the header of the raw formats.
            let data = b.get(r.i + 1..).ok_or_else(|| err!(InvalidArgument, "PNM pixel data is missing"))?;
            if kind == 4 {
                let stride = w.div_ceil(8);
                ensure!(data.len() >= stride * h, InvalidArgument, "PNM pixel data is truncated");
                for y in 0..h {
                    for x in 0..w {
                        out.push(scale(((data[y * stride + x / 8] >> (7 - x % 8)) & 1) as usize));
                    }
                }
            } else if maxval < 256 {
                ensure!(data.len() >= n, InvalidArgument, "PNM pixel data is truncated");
                out.extend(data[..n].iter().map(|&v| scale(v as usize)));
            } else {
                ensure!(data.len() >= 2 * n, InvalidArgument, "PNM pixel data is truncated");
                out.extend(data[..2 * n].chunks_exact(2).map(|s| scale(u16::from_be_bytes([s[0], s[1]]) as usize)));
            }
        }
        _ => bail!(InvalidArgument, "PNM kind P{kind} is not supported"),
    }
    Image::new(w, h, ch, out)
}
