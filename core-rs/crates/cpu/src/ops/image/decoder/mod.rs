//! ImageDecoder (opset 20): encoded image bytes (1-D uint8) → (H, W, C) uint8 in RGB, BGR
//! or Grayscale. The format is found from the leading bytes. PNG, JPEG, WebP, TIFF and
//! JPEG 2000 go through pure-Rust codec crates; BMP and PNM are simple enough to read here.
//!
//! Every decoder yields 8-bit samples with 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA)
//! channels; the conversion to the asked pixel format follows Pillow (which made the ONNX
//! test data): alpha is dropped, gray is replicated for RGB, and RGB → gray is ITU-R 601
//! luma in Pillow's 16-bit fixed point. Undecodable bytes are an InvalidArgument error
//! (the spec's "empty matrix" would hide the failure).

mod bmp;
mod codecs;
mod pnm;

use crate::util::elems::check_size;
use onnxrun_core::tensor::max_tensor_bytes;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "ImageDecoder", 20, make));
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum PixelFormat {
    Rgb,
    Bgr,
    Gray,
}

struct ImageDecoder {
    format: PixelFormat,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let f = node.string_or("pixel_format", "RGB")?;
    let format = match f.as_str() {
        "RGB" => PixelFormat::Rgb,
        "BGR" => PixelFormat::Bgr,
        "Grayscale" => PixelFormat::Gray,
        _ => bail!(InvalidGraph, "{}: pixel_format '{f}' is not one of RGB, BGR, Grayscale", node.describe()),
    };
    Ok(Box::new(ImageDecoder { format }))
}

/// A decoded image: 8-bit samples, `channels` interleaved per pixel (1, 2, 3 or 4).
pub(super) struct Image {
    pub width: usize,
    pub height: usize,
    pub channels: usize,
    pub data: Vec<u8>,
}

impl Image {
    pub fn new(width: usize, height: usize, channels: usize, data: Vec<u8>) -> Result<Image> {
        ensure!(
            width.checked_mul(height).and_then(|n| n.checked_mul(channels)) == Some(data.len()),
            InvalidArgument,
            "decoder returned {} bytes for a {width}x{height}x{channels} image",
            data.len()
        );
        Ok(Image { width, height, channels, data })
    }
}

/// Refuses images whose decoded size exceeds the tensor allocation cap, before decoding.
pub(super) fn check_dims(width: usize, height: usize, channels: usize) -> Result<()> {
    let bytes = width.checked_mul(height).and_then(|n| n.checked_mul(channels));
    match bytes {
        Some(b) if b <= max_tensor_bytes() => Ok(()),
        _ => bail!(InvalidArgument, "a {width}x{height} image with {channels} channels exceeds the limit of {} bytes", max_tensor_bytes()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Bmp,
    Jpeg,
    Png,
    Pnm,
    Tiff,
    WebP,
    Jpeg2000,
}

fn sniff(b: &[u8]) -> Option<Format> {
    let starts = |m: &[u8]| b.starts_with(m);
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if starts(&[0xff, 0xd8, 0xff]) {
        Some(Format::Jpeg)
    } else if starts(b"BM") {
        Some(Format::Bmp)
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Some(Format::Tiff)
    } else if b.len() >= 12 && starts(b"RIFF") && &b[8..12] == b"WEBP" {
        Some(Format::WebP)
    } else if starts(b"\0\0\0\x0cjP  \r\n\x87\n") || starts(&[0xff, 0x4f, 0xff, 0x51]) {
        Some(Format::Jpeg2000)
    } else if b.len() >= 2 && b[0] == b'P' && (b'1'..=b'6').contains(&b[1]) {
        Some(Format::Pnm)
    } else {
        None
    }
}

/// Decodes `bytes`, turning a panic inside a codec crate into an error.
fn decode(bytes: &[u8]) -> Result<Image> {
    let fmt = sniff(bytes).ok_or_else(|| {
        onnxrun_core::err!(InvalidArgument, "the encoded bytes are not a BMP, JPEG, PNG, PNM, TIFF, WebP or JPEG 2000 image")
    })?;
    let run = || match fmt {
        Format::Bmp => bmp::decode(bytes),
        Format::Pnm => pnm::decode(bytes),
        Format::Png => codecs::png(bytes),
        Format::Jpeg => codecs::jpeg(bytes),
        Format::WebP => codecs::webp(bytes),
        Format::Tiff => codecs::tiff(bytes),
        Format::Jpeg2000 => codecs::jpeg2000(bytes),
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(r) => r.map_err(|e| e.context(format!("cannot decode the {fmt:?} image"))),
        Err(_) => bail!(InvalidArgument, "the {fmt:?} decoder failed on malformed data"),
    }
}

/// Pillow's RGB → L: (299 R + 587 G + 114 B) / 1000 in 16-bit fixed point, rounded.
#[inline]
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((r as u32 * 19595 + g as u32 * 38470 + b as u32 * 7471 + 0x8000) >> 16) as u8
}

fn convert(img: &Image, format: PixelFormat) -> Vec<u8> {
    let c = img.channels;
    let px = img.data.chunks_exact(c);
    match format {
        PixelFormat::Gray => match c {
            1 => img.data.clone(),
            2 => px.map(|p| p[0]).collect(),
            _ => px.map(|p| luma(p[0], p[1], p[2])).collect(),
        },
        PixelFormat::Rgb | PixelFormat::Bgr => {
            let mut out = Vec::with_capacity(img.width * img.height * 3);
            for p in px {
                let (r, g, b) = if c < 3 { (p[0], p[0], p[0]) } else { (p[0], p[1], p[2]) };
                if format == PixelFormat::Rgb {
                    out.extend_from_slice(&[r, g, b]);
                } else {
                    out.extend_from_slice(&[b, g, r]);
                }
            }
            out
        }
    }
}

impl Kernel for ImageDecoder {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let d = ctx.node.describe();
        let x = ctx.input(0)?;
        ensure!(
            x.dtype() == DataType::Uint8 && x.rank() == 1,
            InvalidArgument,
            "{d}: encoded_stream must be a 1-D uint8 tensor, got {} of shape {:?}",
            x.dtype(),
            x.shape()
        );
        let img = decode(x.data::<u8>()?).map_err(|e| e.context(&d))?;
        let ch = if self.format == PixelFormat::Gray { 1 } else { 3 };
        let shape = vec![img.height, img.width, ch];
        check_size(DataType::Uint8, &shape)?;
        ctx.set_output(0, Tensor::from_vec(shape, convert(&img, self.format))?)
    }
}
