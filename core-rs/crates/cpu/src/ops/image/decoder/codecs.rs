//! Adapters over the codec crates (png, jpeg-decoder, image-webp, tiff, hayro-jpeg2000):
//! each checks the header size against the allocation cap, decodes, and reduces the result
//! to 8-bit gray/gray+alpha/RGB/RGBA samples. 16-bit samples keep their high byte; CMYK
//! becomes RGB the way Pillow converts it.

use super::{check_dims, Image};
use onnxrun_core::tensor::max_tensor_bytes;
use onnxrun_core::{bail, err, Error, Result};
use std::io::Cursor;

fn bad(e: impl std::fmt::Display) -> Error {
    err!(InvalidArgument, "{e}")
}

/// Pillow's CMYK → RGB: each channel (255 - c) * (255 - k) / 255, rounded.
fn cmyk_to_rgb(px: &[u8], with_alpha: bool) -> Vec<u8> {
    let step = if with_alpha { 5 } else { 4 };
    let mut out = Vec::with_capacity(px.len() / step * 3);
    for p in px.chunks_exact(step) {
        let nk = 255 - p[3] as u32;
        for &c in &p[..3] {
            out.push((((255 - c as u32) * nk + 127) / 255) as u8);
        }
    }
    out
}

pub(super) fn png(bytes: &[u8]) -> Result<Image> {
    let mut d = png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: max_tensor_bytes() });
    // Palette → RGB(A), gray below 8 bits → 8 bits, tRNS → alpha, 16 bits → high byte.
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut r = d.read_info().map_err(bad)?;
    let (w, h) = (r.info().width as usize, r.info().height as usize);
    check_dims(w, h, 4)?;
    let (ct, _) = r.output_color_type();
    let ch = ct.samples();
    let size = r.output_buffer_size().ok_or_else(|| bad("image too large"))?;
    let mut buf = vec![0u8; size];
    let info = r.next_frame(&mut buf).map_err(bad)?;
    // Rows may carry padding past width * channels.
    let line = info.line_size;
    let mut data = Vec::with_capacity(w * h * ch);
    for row in buf.chunks(line).take(h) {
        data.extend_from_slice(&row[..w * ch]);
    }
    Image::new(w, h, ch, data)
}

pub(super) fn jpeg(bytes: &[u8]) -> Result<Image> {
    use jpeg_decoder::PixelFormat as P;
    let mut d = jpeg_decoder::Decoder::new(bytes);
    d.set_max_decoding_buffer_size(max_tensor_bytes());
    d.read_info().map_err(bad)?;
    let info = d.info().ok_or_else(|| bad("no frame header"))?;
    let (w, h) = (info.width as usize, info.height as usize);
    check_dims(w, h, 4)?;
    let px = d.decode().map_err(bad)?;
    match info.pixel_format {
        P::L8 => Image::new(w, h, 1, px),
        P::L16 => Image::new(w, h, 1, px.chunks_exact(2).map(|b| (u16::from_ne_bytes([b[0], b[1]]) >> 8) as u8).collect()),
        P::RGB24 => Image::new(w, h, 3, px),
        P::CMYK32 => Image::new(w, h, 3, cmyk_to_rgb(&px, false)),
    }
}

pub(super) fn webp(bytes: &[u8]) -> Result<Image> {
    let mut d = image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(bad)?;
    d.set_memory_limit(max_tensor_bytes());
    let (w, h) = d.dimensions();
    let (w, h) = (w as usize, h as usize);
    let ch = if d.has_alpha() { 4 } else { 3 };
    check_dims(w, h, ch)?;
    let mut buf = vec![0u8; d.output_buffer_size().ok_or_else(|| bad("image too large"))?];
    d.read_image(&mut buf).map_err(bad)?;
    Image::new(w, h, ch, buf)
}

pub(super) fn tiff(bytes: &[u8]) -> Result<Image> {
    use tiff::decoder::{Decoder, DecodingResult, Limits};
    use tiff::ColorType as C;
    let mut limits = Limits::default();
    limits.decoding_buffer_size = max_tensor_bytes();
    limits.intermediate_buffer_size = max_tensor_bytes();
    let mut d = Decoder::new(Cursor::new(bytes)).map_err(bad)?.with_limits(limits);
    let (w, h) = d.dimensions().map_err(bad)?;
    let (w, h) = (w as usize, h as usize);
    check_dims(w, h, 5)?;
    let ct = d.colortype().map_err(bad)?;
    let (bits, spp, kind) = match ct {
        C::Gray(b) => (b, 1, 1),
        C::GrayA(b) => (b, 2, 2),
        C::RGB(b) => (b, 3, 3),
        C::RGBA(b) => (b, 4, 4),
        C::CMYK(b) => (b, 4, 5),
        C::CMYKA(b) => (b, 5, 6),
        other => bail!(InvalidArgument, "TIFF color type {other:?} is not supported"),
    };
    let samples: Vec<u8> = match d.read_image().map_err(bad)? {
        DecodingResult::U8(v) if bits == 8 => v,
        DecodingResult::U8(v) if bits < 8 && spp == 1 => unpack_bits(&v, w, h, bits)?,
        DecodingResult::U16(v) => v.iter().map(|&s| (s >> 8) as u8).collect(),
        _ => bail!(InvalidArgument, "TIFF with {bits}-bit {ct:?} samples is not supported"),
    };
    match kind {
        5 => Image::new(w, h, 3, cmyk_to_rgb(&samples, false)),
        6 => Image::new(w, h, 3, cmyk_to_rgb(&samples, true)),
        ch => Image::new(w, h, ch, samples),
    }
}

/// Gray samples of 1, 2 or 4 bits (rows padded to whole bytes) scaled to 8 bits.
fn unpack_bits(v: &[u8], w: usize, h: usize, bits: u8) -> Result<Vec<u8>> {
    let bits = bits as usize;
    if !matches!(bits, 1 | 2 | 4) {
        bail!(InvalidArgument, "{bits}-bit gray TIFF is not supported");
    }
    let row_bytes = (w * bits).div_ceil(8);
    if v.len() < row_bytes * h {
        bail!(InvalidArgument, "TIFF data is shorter than its size says");
    }
    let max = (1u32 << bits) - 1;
    let mut out = Vec::with_capacity(w * h);
    for row in v.chunks(row_bytes).take(h) {
        for x in 0..w {
            let bit = x * bits;
            let s = (row[bit / 8] >> (8 - bits - bit % 8)) as u32 & max;
            out.push((s * 255 / max) as u8);
        }
    }
    Ok(out)
}

pub(super) fn jpeg2000(bytes: &[u8]) -> Result<Image> {
    use hayro_jpeg2000::{ColorSpace, DecodeSettings, DecoderContext};
    let img = hayro_jpeg2000::Image::new(bytes, &DecodeSettings::default()).map_err(|e| bad(format!("{e:?}")))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let n = img.color_space().num_channels() as usize;
    let alpha = img.has_alpha();
    let total = n + alpha as usize;
    check_dims(w, h, total.max(1))?;
    let mut ctx = DecoderContext::default();
    let cs = img.color_space().clone();
    let dec = img.decode(&mut ctx).map_err(|e| bad(format!("{e:?}")))?;
    let data = dec.data_u8();
    let cmyk = matches!(cs, ColorSpace::CMYK) || (n == 4 && !matches!(cs, ColorSpace::RGB));
    match (n, cmyk) {
        (1, _) | (3, false) => Image::new(w, h, total, data),
        (4, true) => Image::new(w, h, 3, cmyk_to_rgb(&data, alpha)),
        _ => bail!(InvalidArgument, "JPEG 2000 image with {n} color channels is not supported"),
    }
}
