//! Quantization parameters: the layout attributes (checked once, at session creation,
//! against whatever shapes the model declares) and scale / zero point tensors read into
//! plain vectors at run time.

use crate::util::convert::{e8m0_decode, f4_decode, F8};
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::value::Dim;
use onnxrun_core::{bail, ensure, DataType, NodeInfo, Result, Tensor};

/// The target of a quantization: saturating integers or minifloat codes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum QType {
    Int { lo: i32, hi: i32 },
    F8(F8),
    F4,
}

impl QType {
    pub fn of(dt: DataType) -> Option<QType> {
        use DataType::*;
        let int = |lo, hi| Some(QType::Int { lo, hi });
        match dt {
            Uint8 => int(0, 255),
            Int8 => int(-128, 127),
            Uint16 => int(0, 65535),
            Int16 => int(-32768, 32767),
            Uint4 => int(0, 15),
            Int4 => int(-8, 7),
            Uint2 => int(0, 3),
            Int2 => int(-2, 1),
            Float4E2M1 => Some(QType::F4),
            d => F8::of(d).map(QType::F8),
        }
    }
}

/// The element type named by an int attribute holding a TensorProto type number.
pub(super) fn dtype_attr(node: &NodeInfo, name: &str) -> Result<Option<DataType>> {
    match node.int_or(name, 0)? {
        0 => Ok(None),
        v => match i32::try_from(v)
            .ok()
            .and_then(|v| DataType::from_i32(v).ok())
        {
            Some(d) => Ok(Some(d)),
            None => bail!(
                InvalidGraph,
                "{}: attribute '{name}' = {v} is not a known element type",
                node.describe()
            ),
        },
    }
}

/// Declared shape of input `i`, if the model gives one.
fn declared_shape(node: &NodeInfo, i: usize) -> Option<&[Dim]> {
    node.input_types.get(i)?.as_ref()?.shape()
}

/// Whether a declared shape surely holds exactly one element.
fn surely_one(s: &[Dim]) -> bool {
    s.iter().all(|d| matches!(d, Dim::Known(1)))
}

/// `axis` and `block_size` of a (De)QuantizeLinear node, with the checks the declared
/// input shapes allow: an axis out of range where the scale is (or is declared) not a
/// single value, a scale rank that cannot fit the chosen layout, a negative block size.
pub(super) fn layout_attrs(node: &NodeInfo) -> Result<(i64, usize)> {
    let d = node.describe();
    let axis = node.int_or("axis", 1)?;
    let block = if node.opset >= 21 {
        node.int_or("block_size", 0)?
    } else {
        0
    };
    ensure!(
        block >= 0,
        InvalidGraph,
        "{d}: block_size must be >= 0, got {block}"
    );
    let x = declared_shape(node, 0);
    let scale = declared_shape(node, 1);
    let scale_many = scale.is_some_and(|s| !surely_one(s));
    if let Some(x) = x {
        let r = x.len() as i64;
        if (block > 0 || scale_many) && !(-r..r).contains(&axis) {
            bail!(
                InvalidGraph,
                "{d}: axis {axis} is out of range for input 'x' of rank {r}"
            );
        }
        if let (true, Some(s)) = (block > 0 && scale_many, scale) {
            ensure!(
                s.len() == x.len(),
                InvalidGraph,
                "{d}: block_size {block} needs a scale of the input's rank {r}, got a scale of rank {}",
                s.len()
            );
        }
    }
    if let (0, Some(s)) = (block, scale) {
        ensure!(
            s.len() <= 1 || surely_one(s),
            InvalidGraph,
            "{d}: a scale of rank {} needs block_size > 0 (per-axis scales are 1-D)",
            s.len()
        );
    }
    Ok((axis, block as usize))
}

/// Scale values as f64 (float, float16, bfloat16, int32, float8e8m0 scales).
pub(super) fn scale_values(t: &Tensor) -> Result<Vec<f64>> {
    Ok(match t.dtype() {
        DataType::Float8E8M0 => t
            .data::<u8>()?
            .iter()
            .map(|&b| e8m0_decode(b) as f64)
            .collect(),
        DataType::Float
        | DataType::Float16
        | DataType::Bfloat16
        | DataType::Int32
        | DataType::Double => t.to_f64_vec()?,
        dt => bail!(
            InvalidArgument,
            "scale must be float, float16, bfloat16, int32 or float8e8m0, got {dt}"
        ),
    })
}

/// Values of a quantized-type tensor as f64: integers (sub-byte ones included) exactly,
/// float8 / float4 codes decoded.
pub(super) fn quant_values(t: &Tensor) -> Result<Vec<f64>> {
    use DataType::*;
    Ok(match t.dtype() {
        Uint4 | Uint2 => t.data::<u8>()?.iter().map(|&v| v as f64).collect(),
        Int4 | Int2 => t.data::<i8>()?.iter().map(|&v| v as f64).collect(),
        Float4E2M1 => t
            .data::<u8>()?
            .iter()
            .map(|&b| f4_decode(b) as f64)
            .collect(),
        d if F8::of(d).is_some() => {
            let f = F8::of(d).unwrap_or(F8::E4M3FN);
            t.data::<u8>()?
                .iter()
                .map(|&b| f.decode(b) as f64)
                .collect()
        }
        Uint8 | Int8 | Uint16 | Int16 | Int32 => t.to_f64_vec()?,
        dt => bail!(InvalidArgument, "expected a quantized type, got {dt}"),
    })
}

/// The precision of a division or product: values rounded to it after each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Prec {
    F32,
    F16,
    Bf16,
    F64,
}

impl Prec {
    pub fn of(dt: DataType) -> Option<Prec> {
        match dt {
            DataType::Float => Some(Prec::F32),
            DataType::Float16 => Some(Prec::F16),
            DataType::Bfloat16 => Some(Prec::Bf16),
            DataType::Double => Some(Prec::F64),
            _ => None,
        }
    }

    #[inline(always)]
    pub fn round(self, v: f64) -> f64 {
        match self {
            Prec::F32 => v as f32 as f64,
            Prec::F16 => f16::from_f64(v).to_f64(),
            Prec::Bf16 => bf16::from_f64(v).to_f64(),
            Prec::F64 => v,
        }
    }

    /// Rounds every value; the match runs once per slice.
    pub fn round_all(self, v: &mut [f64]) {
        match self {
            Prec::F32 => v.iter_mut().for_each(|x| *x = *x as f32 as f64),
            Prec::F16 => v.iter_mut().for_each(|x| *x = f16::from_f64(*x).to_f64()),
            Prec::Bf16 => v.iter_mut().for_each(|x| *x = bf16::from_f64(*x).to_f64()),
            Prec::F64 => {}
        }
    }
}
