//! TensorProto / SparseTensorProto → Tensor, for every element type, from raw_data, the
//! typed fields or external files. Every size is checked against the dims first.

use crate::dtype::DataType;
use crate::tensor::{num_elements, shape_from_dims, Tensor};
use crate::Result;
use half::{bf16, f16};
use onnxrun_proto::{SparseTensorProto, TensorProto};
use std::path::{Component, Path, PathBuf};

/// Where external data files may be read from.
#[derive(Clone, Debug, Default)]
pub struct LoadContext {
    /// The model's folder; external data must stay inside it.
    pub model_dir: Option<PathBuf>,
}

pub fn tensor_from_proto(tp: &TensorProto, ctx: &LoadContext) -> Result<Tensor> {
    let what = if tp.name.is_empty() { "tensor".to_string() } else { format!("tensor '{}'", tp.name) };
    convert(tp, ctx).map_err(|e| e.context(what))
}

fn convert(tp: &TensorProto, ctx: &LoadContext) -> Result<Tensor> {
    ensure!(tp.data_type != 0, InvalidGraph, "element type is undefined");
    let dtype = DataType::from_i32(tp.data_type).map_err(|e| err!(InvalidGraph, "{}", e.message))?;
    let shape = shape_from_dims(&tp.dims).map_err(|e| err!(InvalidGraph, "{}", e.message))?;
    let n = num_elements(&shape)?;
    ensure!(tp.segment.is_none(), NotImplemented, "segmented tensors are not supported");

    if tp.data_location == 1 {
        let bytes = read_external(tp, ctx)?;
        return from_raw(dtype, shape, n, &bytes);
    }
    if dtype == DataType::String {
        ensure!(tp.string_data.len() == n, InvalidGraph, "shape {:?} needs {n} strings, has {}", tp.dims, tp.string_data.len());
        let s = tp.string_data.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect();
        return Tensor::from_strings(shape, s);
    }
    if !tp.raw_data.is_empty() || n == 0 && typed_len(tp, dtype) == 0 {
        return from_raw(dtype, shape, n, &tp.raw_data);
    }
    from_typed(tp, dtype, shape, n)
}

fn typed_len(tp: &TensorProto, dtype: DataType) -> usize {
    use DataType::*;
    match dtype {
        Float | Complex64 => tp.float_data.len(),
        Double | Complex128 => tp.double_data.len(),
        Int64 => tp.int64_data.len(),
        Uint32 | Uint64 => tp.uint64_data.len(),
        String => tp.string_data.len(),
        _ => tp.int32_data.len(),
    }
}

fn check_count(have: usize, need: usize, dtype: DataType) -> Result<()> {
    ensure!(have == need, Fail, "{dtype} data holds {have} values but the dims need {need}");
    Ok(())
}

/// Raw little-endian bytes; sub-byte types arrive packed and are unpacked to one per byte.
pub fn from_raw(dtype: DataType, shape: Vec<usize>, n: usize, raw: &[u8]) -> Result<Tensor> {
    ensure!(dtype != DataType::String, InvalidGraph, "string tensors cannot use raw_data");
    let bits = dtype.packed_bits();
    if bits < 8 {
        let per = 8 / bits;
        let need = n.div_ceil(per);
        check_count(raw.len(), need, dtype).map_err(|_| err!(Fail, "{dtype} raw_data has {} bytes but the dims need {need}", raw.len()))?;
        return Tensor::from_vec_as(dtype, shape, unpack_bits(dtype, raw, n));
    }
    let need = n * dtype.size();
    ensure!(raw.len() == need, Fail, "raw_data has {} bytes but {dtype} dims {shape:?} need {need}", raw.len());
    if dtype == DataType::Bool {
        ensure!(raw.iter().all(|&b| b <= 1), InvalidGraph, "bool data holds a byte other than 0 or 1");
    }
    Tensor::from_bytes(dtype, shape, raw)
}

/// Unpacks 4-bit (two per byte, low nibble first) or 2-bit values; signed ones are
/// sign-extended into i8.
pub fn unpack_bits(dtype: DataType, packed: &[u8], n: usize) -> Vec<u8> {
    let bits = dtype.packed_bits();
    let per = 8 / bits;
    let mask = (1u8 << bits) - 1;
    (0..n)
        .map(|i| {
            let v = (packed[i / per] >> ((i % per) * bits)) & mask;
            if dtype.is_signed_int() && v & (1 << (bits - 1)) != 0 {
                v | !mask
            } else {
                v
            }
        })
        .collect()
}

/// Inverse of `unpack_bits`.
pub fn pack_bits(dtype: DataType, unpacked: &[u8]) -> Vec<u8> {
    let bits = dtype.packed_bits();
    let per = 8 / bits;
    let mask = (1u8 << bits) - 1;
    let mut out = vec![0u8; unpacked.len().div_ceil(per)];
    for (i, v) in unpacked.iter().enumerate() {
        out[i / per] |= (v & mask) << ((i % per) * bits);
    }
    out
}

fn from_typed(tp: &TensorProto, dtype: DataType, shape: Vec<usize>, n: usize) -> Result<Tensor> {
    use DataType::*;
    let i32s = &tp.int32_data;
    match dtype {
        Float => {
            check_count(tp.float_data.len(), n, dtype)?;
            Tensor::from_vec(shape, tp.float_data.clone())
        }
        Complex64 => {
            check_count(tp.float_data.len(), 2 * n, dtype)?;
            Tensor::from_vec_as(dtype, shape, tp.float_data.chunks(2).map(|c| [c[0], c[1]]).collect())
        }
        Double => {
            check_count(tp.double_data.len(), n, dtype)?;
            Tensor::from_vec(shape, tp.double_data.clone())
        }
        Complex128 => {
            check_count(tp.double_data.len(), 2 * n, dtype)?;
            Tensor::from_vec_as(dtype, shape, tp.double_data.chunks(2).map(|c| [c[0], c[1]]).collect())
        }
        Int64 => {
            check_count(tp.int64_data.len(), n, dtype)?;
            Tensor::from_vec(shape, tp.int64_data.clone())
        }
        Uint64 => {
            check_count(tp.uint64_data.len(), n, dtype)?;
            Tensor::from_vec(shape, tp.uint64_data.clone())
        }
        Uint32 => {
            check_count(tp.uint64_data.len(), n, dtype)?;
            Tensor::from_vec(shape, tp.uint64_data.iter().map(|&v| v as u32).collect())
        }
        Int32 => {
            check_count(i32s.len(), n, dtype)?;
            Tensor::from_vec(shape, i32s.clone())
        }
        Int16 => {
            check_count(i32s.len(), n, dtype)?;
            Tensor::from_vec(shape, i32s.iter().map(|&v| v as i16).collect())
        }
        Uint16 => {
            check_count(i32s.len(), n, dtype)?;
            Tensor::from_vec(shape, i32s.iter().map(|&v| v as u16).collect())
        }
        Int8 => {
            check_count(i32s.len(), n, dtype)?;
            Tensor::from_vec(shape, i32s.iter().map(|&v| v as i8).collect())
        }
        Bool => {
            check_count(i32s.len(), n, dtype)?;
            Tensor::from_vec(shape, i32s.iter().map(|&v| v != 0).collect())
        }
        Float16 => {
            check_count(i32s.len(), n, dtype)?;
            Tensor::from_vec(shape, i32s.iter().map(|&v| f16::from_bits(v as u16)).collect())
        }
        Bfloat16 => {
            check_count(i32s.len(), n, dtype)?;
            Tensor::from_vec(shape, i32s.iter().map(|&v| bf16::from_bits(v as u16)).collect())
        }
        Uint8 | Float8E4M3FN | Float8E4M3FNUZ | Float8E5M2 | Float8E5M2FNUZ | Float8E8M0 => {
            check_count(i32s.len(), n, dtype)?;
            Tensor::from_vec_as(dtype, shape, i32s.iter().map(|&v| v as u8).collect())
        }
        Uint4 | Int4 | Float4E2M1 | Uint2 | Int2 => {
            // Each int32 holds one packed byte.
            let per = 8 / dtype.packed_bits();
            check_count(i32s.len(), n.div_ceil(per), dtype)?;
            let packed: Vec<u8> = i32s.iter().map(|&v| v as u8).collect();
            Tensor::from_vec_as(dtype, shape, unpack_bits(dtype, &packed, n))
        }
        String => bail!(InvalidGraph, "unreachable: strings handled above"),
    }
}

/// Resolves an external-data location inside the model folder, refusing absolute paths
/// and anything that climbs out of it (also through symlinks).
pub fn resolve_inside(model_dir: &Path, location: &str) -> Result<PathBuf> {
    let rel = Path::new(location);
    ensure!(
        rel.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)),
        InvalidGraph,
        "external data path '{location}' must be relative and stay inside the model's folder"
    );
    let path = model_dir.join(rel);
    let real = path.canonicalize().map_err(|e| err!(NoSuchFile, "external data file '{}': {e}", path.display()))?;
    let root = model_dir.canonicalize().map_err(|e| err!(NoSuchFile, "model folder '{}': {e}", model_dir.display()))?;
    ensure!(real.starts_with(&root), InvalidGraph, "external data path '{location}' leaves the model's folder");
    Ok(real)
}

fn read_external(tp: &TensorProto, ctx: &LoadContext) -> Result<Vec<u8>> {
    let mut location = None;
    let mut offset = 0u64;
    let mut length = None;
    for kv in &tp.external_data {
        match kv.key.as_str() {
            "location" => location = Some(kv.value.clone()),
            "offset" => offset = kv.value.parse().map_err(|_| err!(InvalidGraph, "bad external data offset '{}'", kv.value))?,
            "length" => length = Some(kv.value.parse::<u64>().map_err(|_| err!(InvalidGraph, "bad external data length '{}'", kv.value))?),
            _ => {}
        }
    }
    let location = location.ok_or_else(|| err!(InvalidGraph, "external data has no location"))?;
    let dir = ctx
        .model_dir
        .as_ref()
        .ok_or_else(|| err!(InvalidArgument, "model loaded from bytes refers to external data '{location}'; load it from a path or give its folder"))?;
    let path = resolve_inside(dir, &location)?;
    let data = std::fs::read(&path).map_err(|e| err!(NoSuchFile, "external data file '{}': {e}", path.display()))?;
    let start = offset as usize;
    ensure!(start <= data.len(), InvalidGraph, "external data offset {offset} is past the end of '{location}'");
    let end = match length {
        Some(l) => start.checked_add(l as usize).filter(|&e| e <= data.len()).ok_or_else(|| err!(InvalidGraph, "external data range {offset}+{l} is past the end of '{location}'"))?,
        None => data.len(),
    };
    Ok(data[start..end].to_vec())
}

/// A sparse tensor made dense (indices either linear [NNZ] or coordinates [NNZ, rank]).
pub fn sparse_to_dense(sp: &SparseTensorProto, ctx: &LoadContext) -> Result<Tensor> {
    let values = tensor_from_proto(sp.values.as_ref().ok_or_else(|| err!(InvalidGraph, "sparse tensor without values"))?, ctx)?;
    let indices = tensor_from_proto(sp.indices.as_ref().ok_or_else(|| err!(InvalidGraph, "sparse tensor without indices"))?, ctx)?;
    let shape = shape_from_dims(&sp.dims)?;
    let total = num_elements(&shape)?;
    let nnz = values.len();
    let idx = indices.to_i64_vec()?;
    let linear: Vec<usize> = if indices.rank() == 1 {
        ensure!(idx.len() == nnz, InvalidGraph, "sparse tensor has {nnz} values but {} indices", idx.len());
        idx.iter().map(|&i| i as usize).collect()
    } else {
        ensure!(indices.rank() == 2 && indices.shape() == [nnz, shape.len()], InvalidGraph, "sparse indices shape {:?} does not fit {nnz} values of rank {}", indices.shape(), shape.len());
        idx.chunks(shape.len().max(1))
            .map(|c| c.iter().zip(&shape).fold(0usize, |acc, (&i, &d)| acc * d + i as usize))
            .collect()
    };
    ensure!(linear.iter().all(|&i| i < total), InvalidGraph, "sparse index out of range for dims {:?}", sp.dims);
    if values.dtype() == DataType::String {
        let mut out = vec![String::new(); total];
        for (k, &i) in linear.iter().enumerate() {
            out[i] = values.strings()?[k].clone();
        }
        return Tensor::from_strings(shape, out);
    }
    let es = values.dtype().size();
    let mut dense = Tensor::zeros(values.dtype(), shape)?;
    let src = values.bytes()?;
    let dst = dense.bytes_mut()?;
    for (k, &i) in linear.iter().enumerate() {
        dst[i * es..(i + 1) * es].copy_from_slice(&src[k * es..(k + 1) * es]);
    }
    Ok(dense)
}
