//! BMP reader: core (OS/2 1.x) and info (V3/V4/V5) headers; 1/4/8-bit palette images,
//! RLE4/RLE8, 16/32-bit bitfields, 24-bit BGR and 32-bit BGRX. Rows are bottom-up unless
//! the height is negative. Bitfield channels scale to 8 bits as Pillow does (v * 255 / max,
//! truncated); 32-bit BI_RGB ignores the fourth byte, like Pillow.

use super::{check_dims, Image};
use onnxrun_core::{bail, ensure, err, Result};

fn u16_at(b: &[u8], o: usize) -> Result<u16> {
    b.get(o..o + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or_else(|| err!(InvalidArgument, "BMP header is truncated"))
}

fn u32_at(b: &[u8], o: usize) -> Result<u32> {
    b.get(o..o + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| err!(InvalidArgument, "BMP header is truncated"))
}

/// One channel of a bitfield mask: shift and maximum value.
#[derive(Clone, Copy)]
struct Field {
    mask: u32,
    shift: u32,
    max: u32,
}

impl Field {
    fn new(mask: u32) -> Field {
        if mask == 0 {
            return Field { mask, shift: 0, max: 0 };
        }
        let shift = mask.trailing_zeros();
        Field { mask, shift, max: mask >> shift }
    }
    fn get(&self, p: u32) -> u8 {
        if self.max == 0 {
            return 0;
        }
        let v = (p & self.mask) >> self.shift;
        if self.max == 255 {
            v as u8
        } else {
            (v as u64 * 255 / self.max as u64) as u8
        }
    }
}

pub(super) fn decode(b: &[u8]) -> Result<Image> {
    let data_off = u32_at(b, 10)? as usize;
    let hsize = u32_at(b, 14)? as usize;
    let (w, h, bpp, comp, colors_used, entry) = if hsize == 12 {
        (u16_at(b, 18)? as i64, u16_at(b, 20)? as i64, u16_at(b, 24)?, 0, 0, 3)
    } else if hsize >= 40 {
        (u32_at(b, 18)? as i32 as i64, u32_at(b, 22)? as i32 as i64, u16_at(b, 28)?, u32_at(b, 30)?, u32_at(b, 46)? as usize, 4)
    } else {
        bail!(InvalidArgument, "unknown BMP header size {hsize}");
    };
    ensure!(w > 0 && h != 0, InvalidArgument, "BMP has an invalid size {w}x{h}");
    let top_down = h < 0;
    let (w, h) = (w as usize, h.unsigned_abs() as usize);
    check_dims(w, h, 4)?;
    // Bitfield masks: in the V4/V5 header, or right after a 40-byte header.
    let masks = |n: usize| -> Result<Vec<u32>> { (0..n).map(|i| u32_at(b, 54 + 4 * i)).collect() };
    let extra_masks = if hsize == 40 {
        match comp {
            3 => 12,
            6 => 16,
            _ => 0,
        }
    } else {
        0
    };
    let pixels = b.get(data_off..).ok_or_else(|| err!(InvalidArgument, "BMP pixel data offset {data_off} is past the end"))?;
    // Output row `y` (top first) is stored row `src_row(y)`.
    let src_row = |y: usize| if top_down { y } else { h - 1 - y };
    match (bpp, comp) {
        (1 | 2 | 4 | 8, 0) | (8, 1) | (4, 2) => {
            let n_colors = if colors_used == 0 || colors_used > 256 { 1usize << bpp.min(8) } else { colors_used };
            let pal_off = 14 + hsize + extra_masks;
            let mut palette = vec![[0u8; 3]; 256];
            for (i, p) in palette.iter_mut().enumerate().take(n_colors) {
                if let Some(e) = b.get(pal_off + i * entry..pal_off + i * entry + 3) {
                    *p = [e[2], e[1], e[0]];
                }
            }
            let idx = if comp == 0 { unpack_indices(pixels, w, h, bpp as usize)? } else { rle(pixels, w, h, comp == 2)? };
            let mut out = Vec::with_capacity(w * h * 3);
            for y in 0..h {
                let row = &idx[src_row(y) * w..(src_row(y) + 1) * w];
                for &i in row {
                    out.extend_from_slice(&palette[i as usize]);
                }
            }
            Image::new(w, h, 3, out)
        }
        (24, 0) => {
            let stride = (w * 3).div_ceil(4) * 4;
            ensure!(pixels.len() >= stride * (h - 1) + w * 3, InvalidArgument, "BMP pixel data is truncated");
            let mut out = Vec::with_capacity(w * h * 3);
            for y in 0..h {
                for p in pixels[src_row(y) * stride..][..w * 3].chunks_exact(3) {
                    out.extend_from_slice(&[p[2], p[1], p[0]]);
                }
            }
            Image::new(w, h, 3, out)
        }
        (16 | 32, 0 | 3 | 6) => {
            let m = match comp {
                0 if bpp == 16 => vec![0x7c00, 0x03e0, 0x001f, 0],
                0 => vec![0x00ff_0000, 0x0000_ff00, 0x0000_00ff, 0],
                // The alpha mask exists with ALPHABITFIELDS or a V4/V5-sized header.
                _ if hsize >= 56 || comp == 6 => masks(4)?,
                _ => {
                    let mut m = masks(3)?;
                    m.push(0);
                    m
                }
            };
            let f: Vec<Field> = m.iter().map(|&v| Field::new(v)).collect();
            let alpha = f[3].max != 0;
            let ch = if alpha { 4 } else { 3 };
            let bytes = bpp as usize / 8;
            let stride = (w * bytes).div_ceil(4) * 4;
            ensure!(pixels.len() >= stride * (h - 1) + w * bytes, InvalidArgument, "BMP pixel data is truncated");
            let mut out = Vec::with_capacity(w * h * ch);
            for y in 0..h {
                for p in pixels[src_row(y) * stride..][..w * bytes].chunks_exact(bytes) {
                    let v = if bytes == 2 { u16::from_le_bytes([p[0], p[1]]) as u32 } else { u32::from_le_bytes([p[0], p[1], p[2], p[3]]) };
                    out.extend_from_slice(&[f[0].get(v), f[1].get(v), f[2].get(v)]);
                    if alpha {
                        out.push(f[3].get(v));
                    }
                }
            }
            Image::new(w, h, ch, out)
        }
        _ => bail!(InvalidArgument, "BMP with {bpp} bits per pixel and compression {comp} is not supported"),
    }
}

/// Palette indices of uncompressed 1/2/4/8-bit rows (stored order, 4-byte aligned rows).
fn unpack_indices(px: &[u8], w: usize, h: usize, bpp: usize) -> Result<Vec<u8>> {
    let stride = (w * bpp).div_ceil(32) * 4;
    ensure!(px.len() >= stride * (h - 1) + (w * bpp).div_ceil(8), InvalidArgument, "BMP pixel data is truncated");
    let mask = ((1u16 << bpp) - 1) as u8;
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        let row = &px[y * stride..];
        for x in 0..w {
            let bit = x * bpp;
            out.push((row[bit / 8] >> (8 - bpp - bit % 8)) & mask);
        }
    }
    Ok(out)
}

/// RLE8 / RLE4 palette indices, in stored (bottom-up) row order; unset pixels are index 0.
fn rle(px: &[u8], w: usize, h: usize, four: bool) -> Result<Vec<u8>> {
    let mut out = vec![0u8; w * h];
    let (mut x, mut y, mut i) = (0usize, 0usize, 0usize);
    let mut put = |x: &mut usize, y: usize, v: u8| {
        if *x < w && y < h {
            out[y * w + *x] = v;
        }
        *x += 1;
    };
    while i + 1 < px.len() {
        let (n, v) = (px[i] as usize, px[i + 1]);
        i += 2;
        if n > 0 {
            for k in 0..n {
                let v = if four { if k % 2 == 0 { v >> 4 } else { v & 15 } } else { v };
                put(&mut x, y, v);
            }
            continue;
        }
        match v {
            0 => {
                x = 0;
                y += 1;
            }
            1 => break,
            2 => {
                let d = px.get(i..i + 2).ok_or_else(|| err!(InvalidArgument, "BMP RLE delta is truncated"))?;
                x += d[0] as usize;
                y += d[1] as usize;
                i += 2;
            }
            n => {
                let n = n as usize;
                let len = if four { n.div_ceil(2) } else { n };
                let run = px.get(i..i + len).ok_or_else(|| err!(InvalidArgument, "BMP RLE run is truncated"))?;
                for k in 0..n {
                    let v = if four { if k % 2 == 0 { run[k / 2] >> 4 } else { run[k / 2] & 15 } } else { run[k] };
                    put(&mut x, y, v);
                }
                i += len + (len & 1);
            }
        }
        if y >= h {
            break;
        }
    }
    drop(put);
    Ok(out)
}
