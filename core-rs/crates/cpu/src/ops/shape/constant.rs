//! Ops that make tensors from attributes or shapes: Constant, ConstantOfShape, EyeLike,
//! Range, Shape, Size.

use crate::util::elems::{alloc, check_size, AtNode, Elem};
use crate::with_elem;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{
    bail, ensure, err, shape_from_dims, DataType, FnKernel, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor,
};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "Constant", 1, constant));
    r.register(KernelDef::new("", "ConstantOfShape", 9, constant_of_shape));
    r.register(KernelDef::new("", "EyeLike", 9, eye_like));
    r.register(KernelDef::new("", "Range", 11, range));
    r.register(KernelDef::new("", "Shape", 1, shape));
    r.register(KernelDef::new("", "Size", 1, size));
}

/// The tensor a Constant node holds, from whichever `value*` attribute it has.
fn constant_value(node: &NodeInfo) -> Result<Tensor> {
    let d = node.describe();
    let mut found = Vec::new();
    if let Some(t) = node.get_tensor("value")? {
        found.push(t.clone());
    }
    if let Some(t) = node.get_tensor("sparse_value")? {
        found.push(t.clone());
    }
    if let Some(v) = node.get_float("value_float")? {
        found.push(Tensor::scalar(v));
    }
    if let Some(v) = node.get_floats("value_floats")? {
        found.push(Tensor::from_vec(vec![v.len()], v)?);
    }
    if let Some(v) = node.get_int("value_int")? {
        found.push(Tensor::scalar(v));
    }
    if let Some(v) = node.get_ints("value_ints")? {
        found.push(Tensor::from_vec(vec![v.len()], v)?);
    }
    if let Some(v) = node.get_string("value_string")? {
        found.push(Tensor::from_strings(vec![], vec![v])?);
    }
    if let Some(v) = node.get_strings("value_strings")? {
        found.push(Tensor::from_strings(vec![v.len()], v)?);
    }
    ensure!(found.len() == 1, InvalidGraph, "{d}: needs exactly one value attribute, has {}", found.len());
    Ok(found.pop().expect("one value"))
}

fn constant(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let value = constant_value(node)?.to_owned_host()?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| ctx.set_output(0, value.clone()))))
}

/// A shape input (1-D int64) as dims, rejecting negative entries.
fn shape_input(ctx: &OpContext<'_>, i: usize) -> Result<Vec<usize>> {
    let t = ctx.input(i)?;
    ensure!(t.rank() <= 1, InvalidArgument, "{}: shape input must be 1-D, got shape {:?}", ctx.node.describe(), t.shape());
    shape_from_dims(&t.to_i64_vec().at(ctx.node)?).at(ctx.node)
}

fn constant_of_shape(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let value = match node.get_tensor("value")? {
        Some(t) => {
            ensure!(t.len() == 1, InvalidGraph, "{}: attribute 'value' must hold one element, has {}", node.describe(), t.len());
            t.to_owned_host()?
        }
        None => Tensor::scalar(0f32),
    };
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let shape = shape_input(ctx, 0)?;
        let y = fill(&value, shape).at(ctx.node)?;
        ctx.set_output(0, y)
    })))
}

/// A tensor of `shape` filled with the single element of `v`.
fn fill(v: &Tensor, shape: Vec<usize>) -> Result<Tensor> {
    with_elem!(v.dtype(), T => {
        let x = T::view(v)?[0].clone();
        let n = check_size(v.dtype(), &shape)?;
        T::build(v.dtype(), shape, vec![x; n])
    })
}

/// Little-endian bytes of the value 1 in `dt` (for EyeLike), or None for non-numeric types.
fn one_bytes(dt: DataType) -> Option<Vec<u8>> {
    use DataType::*;
    Some(match dt {
        Float => 1f32.to_le_bytes().to_vec(),
        Double => 1f64.to_le_bytes().to_vec(),
        Float16 => f16::ONE.to_le_bytes().to_vec(),
        Bfloat16 => bf16::ONE.to_le_bytes().to_vec(),
        Int8 | Uint8 | Bool | Int4 | Uint4 | Int2 | Uint2 => vec![1],
        Int16 | Uint16 => 1u16.to_le_bytes().to_vec(),
        Int32 | Uint32 => 1u32.to_le_bytes().to_vec(),
        Int64 | Uint64 => 1u64.to_le_bytes().to_vec(),
        Complex64 => [1f32.to_le_bytes(), 0f32.to_le_bytes()].concat(),
        Complex128 => [1f64.to_le_bytes(), 0f64.to_le_bytes()].concat(),
        Float8E4M3FN | Float8E4M3FNUZ => vec![if dt == Float8E4M3FN { 0x38 } else { 0x40 }],
        Float8E5M2 => vec![0x3C],
        Float8E5M2FNUZ => vec![0x40],
        Float8E8M0 => vec![127],
        Float4E2M1 => vec![0x2],
        String => return None,
    })
}

fn eye_like(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let dtype = match node.get_int("dtype")? {
        Some(d) => Some(DataType::from_i32(d as i32).map_err(|e| e.context(node.describe()))?),
        None => None,
    };
    let k = node.int_or("k", 0)?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        ensure!(x.rank() == 2, InvalidArgument, "{}: input must be 2-D, got shape {:?}", ctx.node.describe(), x.shape());
        let dt = dtype.unwrap_or(x.dtype());
        let Some(one) = one_bytes(dt) else { bail!(InvalidArgument, "{}: EyeLike does not support {dt}", ctx.node.describe()) };
        let (rows, cols) = (x.shape()[0], x.shape()[1]);
        let one = Tensor::from_bytes(dt, vec![], &one)?;
        let y = with_elem!(dt, T => {
            let v = T::view(&one)?[0].clone();
            let mut out = alloc::<T>(dt, &[rows, cols])?;
            for r in 0..rows {
                let c = (r as i64).saturating_add(k);
                if c >= 0 && (c as usize) < cols {
                    out[r * cols + c as usize] = v.clone();
                }
            }
            T::build(dt, vec![rows, cols], out)
        })?;
        ctx.set_output(0, y)
    })))
}

fn range(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    // Opset 27: f16/bf16 accumulate in float unless stash_type says otherwise.
    let stash_float = node.int_or("stash_type", 1)? == 1;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let (s, l, d) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
        let desc = || ctx.node.describe();
        for t in [s, l, d] {
            ensure!(t.len() == 1, InvalidArgument, "{}: start, limit and delta must be scalars, got shape {:?}", desc(), t.shape());
            ensure!(t.dtype() == s.dtype(), InvalidArgument, "{}: inputs mix {} and {}", desc(), s.dtype(), t.dtype());
        }
        let dt = s.dtype();
        let y = match dt {
            DataType::Int16 | DataType::Int32 | DataType::Int64 => {
                let (a, b, c) = (s.to_i64_vec()?[0], l.to_i64_vec()?[0], d.to_i64_vec()?[0]);
                ensure!(c != 0, InvalidArgument, "{}: delta is 0", desc());
                let span = b as i128 - a as i128;
                let c = c as i128;
                // ceil(span / c), floored at 0
                let n = if (span > 0) == (c > 0) && span != 0 { (span.abs() + c.abs() - 1) / c.abs() } else { 0 };
                let n = usize::try_from(n).map_err(|_| err!(InvalidArgument, "{}: range is too long", desc()))?;
                check_size(dt, &[n]).at(ctx.node)?;
                let vals = (0..n as i128).map(|i| (a as i128 + i * c) as i64);
                match dt {
                    DataType::Int16 => Tensor::from_vec(vec![n], vals.map(|v| v as i16).collect())?,
                    DataType::Int32 => Tensor::from_vec(vec![n], vals.map(|v| v as i32).collect())?,
                    _ => Tensor::from_vec(vec![n], vals.collect())?,
                }
            }
            DataType::Float | DataType::Double | DataType::Float16 | DataType::Bfloat16 => {
                let (a, b, c) = (s.to_f64_vec()?[0], l.to_f64_vec()?[0], d.to_f64_vec()?[0]);
                ensure!(c != 0.0, InvalidArgument, "{}: delta is 0", desc());
                let n = ((b - a) / c).ceil();
                ensure!(n.is_finite() || n < 0.0, InvalidArgument, "{}: range length is not finite", desc());
                let n = if n > 0.0 { n as usize } else { 0 };
                check_size(dt, &[n]).at(ctx.node)?;
                match dt {
                    DataType::Float => {
                        let (a, c) = (a as f32, c as f32);
                        Tensor::from_vec(vec![n], (0..n).map(|i| a + i as f32 * c).collect())?
                    }
                    DataType::Double => Tensor::from_vec(vec![n], (0..n).map(|i| a + i as f64 * c).collect())?,
                    DataType::Float16 if !stash_float => {
                        let (a, c) = (f16::from_f64(a), f16::from_f64(c));
                        Tensor::from_vec(vec![n], (0..n).map(|i| a + f16::from_f64(i as f64) * c).collect())?
                    }
                    DataType::Bfloat16 if !stash_float => {
                        let (a, c) = (bf16::from_f64(a), bf16::from_f64(c));
                        Tensor::from_vec(vec![n], (0..n).map(|i| a + bf16::from_f64(i as f64) * c).collect())?
                    }
                    DataType::Float16 => {
                        let (a, c) = (a as f32, c as f32);
                        Tensor::from_vec(vec![n], (0..n).map(|i| f16::from_f32(a + i as f32 * c)).collect())?
                    }
                    _ => {
                        let (a, c) = (a as f32, c as f32);
                        Tensor::from_vec(vec![n], (0..n).map(|i| bf16::from_f32(a + i as f32 * c)).collect())?
                    }
                }
            }
            _ => bail!(InvalidArgument, "{}: Range does not support {dt}", desc()),
        };
        ctx.set_output(0, y)
    })))
}

/// Clamps a Shape start/end attribute into `[0, rank]`.
fn clamp_dim(v: i64, rank: usize) -> usize {
    let r = rank as i64;
    (if v < 0 { v + r } else { v }).clamp(0, r) as usize
}

fn shape(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let start = node.int_or("start", 0)?;
    let end = node.get_int("end")?;
    Ok(Box::new(FnKernel(move |ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        let rank = x.rank();
        let (s, e) = (clamp_dim(start, rank), end.map_or(rank, |e| clamp_dim(e, rank)));
        let dims: Vec<i64> = if s < e { x.shape()[s..e].iter().map(|&d| d as i64).collect() } else { vec![] };
        ctx.set_output(0, Tensor::from_vec(vec![dims.len()], dims)?)
    })))
}

fn size(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let x = ctx.input(0)?;
        ctx.set_output(0, Tensor::scalar(x.len() as i64))
    })))
}
