//! Cast, CastLike (every pair of element types, strings and the 8/4/2-bit types included;
//! the element rules are in util/convert.rs) and BitCast (same bits, another type).

use crate::util::convert::{cast_tensor, CastOpts, RoundMode};
use crate::util::parallel::pool;
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor, Dim, InferCtx, OpFacts};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Cast", 1, cast));
    r.register(KernelDef::new("", "CastLike", 15, cast_like));
    r.register(KernelDef::new("", "BitCast", 26, bitcast));
    r.facts("", "Cast", OpFacts::new(cast_facts));
    r.facts("", "CastLike", OpFacts::new(cast_like_facts));
    r.facts("", "BitCast", OpFacts::new(bitcast_facts));
}

/// Cast keeps the shape; a cast between integer types keeps a shape-like value too.
fn cast_facts(cx: &mut InferCtx<'_>) {
    let to = match cx.attr("to") {
        Some(onnxrun_core::Attribute::String(s)) => {
            let name = String::from_utf8_lossy(s).to_ascii_lowercase();
            DataType::ALL.iter().copied().find(|d| d.onnx_name() == name)
        }
        _ => cx.dtype_attr("to"),
    };
    let Some(to) = to else { return };
    cx.set_tensor(0, to, cx.shape(0).map(<[Dim]>::to_vec));
    if matches!(to, DataType::Int64 | DataType::Int32) {
        if let Some(v) = cx.value(0) {
            cx.set_value(0, v.to_vec());
        }
    }
}

fn cast_like_facts(cx: &mut InferCtx<'_>) {
    if let Some(to) = cx.dtype(1) {
        cx.set_tensor(0, to, cx.shape(0).map(<[Dim]>::to_vec));
    }
}

/// Same bits: the shape stays when the element sizes agree.
fn bitcast_facts(cx: &mut InferCtx<'_>) {
    let (Some(to), Some(from)) = (cx.dtype_attr("to"), cx.dtype(0)) else { return };
    let same_size = to.packed_bits() == from.packed_bits();
    cx.set_tensor(0, to, cx.shape(0).filter(|_| same_size).map(<[Dim]>::to_vec));
}

/// Cast's `saturate` (opset 19+) and `round_mode` (opset 24+) attributes.
fn opts(node: &NodeInfo) -> Result<CastOpts> {
    let saturate = node.int_or("saturate", 1)? != 0;
    let mode = node.string_or("round_mode", "up")?;
    let round = RoundMode::parse(&mode)
        .ok_or_else(|| onnxrun_core::err!(InvalidGraph, "{}: round_mode must be up, down or nearest, got '{mode}'", node.describe()))?;
    Ok(CastOpts { saturate, round })
}

/// The `to` attribute: a TensorProto data type number (opset 1-5 also allowed its name).
fn target(node: &NodeInfo) -> Result<DataType> {
    match node.attr("to") {
        Some(onnxrun_core::Attribute::String(s)) => {
            let name = String::from_utf8_lossy(s).to_ascii_lowercase();
            match DataType::ALL.iter().find(|d| d.onnx_name() == name) {
                Some(d) => Ok(*d),
                None => bail!(InvalidGraph, "{}: unknown type '{name}' in attribute 'to'", node.describe()),
            }
        }
        _ => {
            let to = node.req_int("to")?;
            DataType::from_i32(to as i32).map_err(|e| e.context(node.describe()))
        }
    }
}

struct Cast {
    to: Option<DataType>,
    opts: CastOpts,
}

fn check_supported(node: &NodeInfo, dt: DataType) -> Result<()> {
    ensure!(
        !matches!(dt, DataType::Complex64 | DataType::Complex128),
        InvalidGraph,
        "{}: casting to or from {dt} is not supported",
        node.describe()
    );
    Ok(())
}

fn cast(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let to = target(node)?;
    check_supported(node, to)?;
    Ok(Box::new(Cast { to: Some(to), opts: opts(node)? }))
}

fn cast_like(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(Cast { to: None, opts: opts(node)? }))
}

impl Kernel for Cast {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let x = ctx.input(0)?;
        let to = match self.to {
            Some(t) => t,
            None => ctx.input(1)?.dtype(),
        };
        let y = cast_tensor(x, to, self.opts, pool(ctx)).map_err(|e| e.context(ctx.node.describe()))?;
        ctx.set_output(0, y)
    }
}

// ---------------------------------------------------------------------------------------
// BitCast

/// Bits per element as ONNX counts them (4 for int4, not the byte we hold it in).
fn bit_width(dt: DataType) -> usize {
    dt.packed_bits()
}

fn bitcast(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let to = target(node)?;
    ensure!(to != DataType::String, InvalidGraph, "{}: BitCast cannot produce strings", node.describe());
    Ok(Box::new(BitCast { to }))
}

struct BitCast {
    to: DataType,
}

impl Kernel for BitCast {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let x = ctx.input(0)?;
        let (from, to) = (x.dtype(), self.to);
        ensure!(from != DataType::String, InvalidArgument, "{}: BitCast cannot read strings", ctx.node.describe());
        ensure!(
            bit_width(from) == bit_width(to),
            InvalidArgument,
            "{}: BitCast from {from} ({} bits) to {to} ({} bits) changes the element width",
            ctx.node.describe(),
            bit_width(from),
            bit_width(to)
        );
        let y = if from == to {
            x.clone()
        } else if bit_width(to) < 8 {
            // Sub-byte values are held one per byte: signed ones sign-extended, so keep the
            // low bits and re-extend for the target.
            let bits = bit_width(to) as u32;
            let mask = (1u8 << bits) - 1;
            let raw = x.bytes()?;
            let v: Vec<u8> = if to.is_signed_int() {
                raw.iter().map(|&b| crate::util::convert::wrap_signed((b & mask) as i64, bits) as u8).collect()
            } else {
                raw.iter().map(|&b| b & mask).collect()
            };
            Tensor::from_vec_as(to, x.shape().to_vec(), v)?
        } else if to == DataType::Bool {
            // A bool must hold 0 or 1; any other byte reads as true.
            let v: Vec<bool> = x.bytes()?.iter().map(|&b| b != 0).collect();
            Tensor::from_vec(x.shape().to_vec(), v)?
        } else {
            Tensor::from_bytes(to, x.shape().to_vec(), x.bytes()?)?
        };
        ctx.set_output(0, y)
    }
}
