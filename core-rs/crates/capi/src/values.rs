//! Values across the boundary: creation from caller memory (borrowed or copied), strings,
//! sequences, maps, optionals, serialized protos; description for zero-copy views.

use crate::ffi::{c_str, opt_c_str, out, slice, wrap, wrap_str};
use crate::handles::{self, Entry};
use onnxrun_core::load::value_from_proto_bytes;
use onnxrun_core::{bail, ensure, shape_from_dims, DataType, MapValue, Result, Tensor, TypeInfo, Value};
use std::ffi::c_char;
use std::sync::{Arc, OnceLock};

pub struct ValueEntry {
    pub value: Value,
    /// Concatenated UTF-8 and offsets of a string tensor, built on first describe.
    strings: OnceLock<(Vec<u8>, Vec<u64>)>,
}

impl ValueEntry {
    pub fn new(value: Value) -> ValueEntry {
        ValueEntry { value, strings: OnceLock::new() }
    }
}

pub fn new_handle(v: Value) -> u64 {
    handles::insert(Entry::Value(Arc::new(ValueEntry::new(v))))
}

pub const KIND_TENSOR: i64 = 1;
pub const KIND_SEQUENCE: i64 = 2;
pub const KIND_MAP: i64 = 3;
pub const KIND_OPTIONAL: i64 = 4;

#[no_mangle]
pub unsafe extern "C" fn onnxrun_value_tensor_create(
    elem_type: i32,
    dims: *const i64,
    ndims: usize,
    data: *mut u8,
    byte_len: usize,
    copy: i32,
    out_value: *mut u64,
) -> i32 {
    wrap(|| {
        let dtype = DataType::from_i32(elem_type)?;
        ensure!(dtype != DataType::String, InvalidArgument, "use onnxrun_value_tensor_create_strings for string tensors");
        // SAFETY: caller passes ndims dims.
        let shape = shape_from_dims(unsafe { slice(dims, ndims, "dims") }?)?;
        let t = if copy != 0 {
            if data.is_null() {
                Tensor::zeros(dtype, shape)?
            } else {
                // SAFETY: caller passes byte_len readable bytes.
                let bytes = unsafe { slice(data as *const u8, byte_len, "data") }?;
                check_bool(dtype, bytes)?;
                Tensor::from_bytes(dtype, shape, bytes)?
            }
        } else {
            // SAFETY: caller passes byte_len readable bytes kept alive until the value is freed.
            let bytes = unsafe { slice(data as *const u8, byte_len, "data") }?;
            check_bool(dtype, bytes)?;
            // SAFETY: as above: the C ABI contract keeps the memory alive and unmoved.
            unsafe { Tensor::borrowed(dtype, shape, data, byte_len, None) }?
        };
        // SAFETY: out_value is writable per the contract.
        unsafe { out(out_value, new_handle(Value::Tensor(t)), "out_value") }
    })
}

fn check_bool(dtype: DataType, bytes: &[u8]) -> Result<()> {
    ensure!(dtype != DataType::Bool || bytes.iter().all(|&b| b <= 1), InvalidArgument, "bool tensor data holds a byte other than 0 or 1");
    Ok(())
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_value_tensor_create_strings(
    dims: *const i64,
    ndims: usize,
    utf8: *const u8,
    utf8_len: usize,
    offsets: *const u64,
    out_value: *mut u64,
) -> i32 {
    wrap(|| {
        // SAFETY: caller passes ndims dims.
        let shape = shape_from_dims(unsafe { slice(dims, ndims, "dims") }?)?;
        let n = onnxrun_core::num_elements(&shape)?;
        // SAFETY: caller passes utf8_len bytes and n+1 offsets.
        let (bytes, offs) = unsafe { (slice(utf8, utf8_len, "utf8")?, slice(offsets, n + 1, "offsets")?) };
        let mut strings = Vec::with_capacity(n);
        for i in 0..n {
            let (a, b) = (offs[i] as usize, offs[i + 1] as usize);
            ensure!(a <= b && b <= bytes.len(), InvalidArgument, "string offsets [{a}, {b}) are out of range of {} bytes", bytes.len());
            strings.push(std::str::from_utf8(&bytes[a..b]).map_err(|_| onnxrun_core::err!(InvalidArgument, "string {i} is not valid UTF-8"))?.to_string());
        }
        let t = Tensor::from_strings(shape, strings)?;
        // SAFETY: writable out-pointer.
        unsafe { out(out_value, new_handle(Value::Tensor(t)), "out_value") }
    })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_value_sequence_create(items: *const u64, n: usize, out_value: *mut u64) -> i32 {
    wrap(|| {
        // SAFETY: caller passes n handles.
        let hs = unsafe { slice(items, n, "items") }?;
        let values = hs.iter().map(|&h| Ok(handles::value(h)?.value.clone())).collect::<Result<Vec<_>>>()?;
        let elem = values.first().map(|v| v.type_info()).unwrap_or(TypeInfo::tensor(DataType::Float));
        ensure!(values.iter().all(|v| v.type_info() == elem), InvalidArgument, "sequence items must all have the same type");
        // SAFETY: writable out-pointer.
        unsafe { out(out_value, new_handle(Value::Sequence { elem, items: values }), "out_value") }
    })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_value_map_create(keys: u64, values: u64, out_value: *mut u64) -> i32 {
    wrap(|| {
        let k = handles::value(keys)?.value.as_tensor()?.clone();
        let v = handles::value(values)?.value.clone();
        ensure!(k.rank() == 1, InvalidArgument, "map keys must be a 1-D tensor");
        ensure!(matches!(k.dtype(), DataType::Int64 | DataType::String), InvalidArgument, "map keys must be int64 or string, got {}", k.dtype());
        let len = match &v {
            Value::Tensor(t) => t.len(),
            Value::Sequence { items, .. } => items.len(),
            _ => bail!(InvalidArgument, "map values must be a tensor or a sequence"),
        };
        ensure!(len == k.len(), InvalidArgument, "map has {} keys but {len} values", k.len());
        // SAFETY: writable out-pointer.
        unsafe { out(out_value, new_handle(Value::Map(MapValue { keys: k, values: Box::new(v) })), "out_value") }
    })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_value_optional_create(inner: u64, type_json: *const c_char, out_value: *mut u64) -> i32 {
    wrap(|| {
        let v = if inner == 0 {
            // SAFETY: NUL-terminated or NULL.
            let ty = unsafe { opt_c_str(type_json, "type_json") }?.unwrap_or("tensor(float)");
            Value::Optional { elem: TypeInfo::parse(ty.trim_matches('"'))?, value: None }
        } else {
            let v = handles::value(inner)?.value.clone();
            Value::Optional { elem: v.type_info(), value: Some(Box::new(v)) }
        };
        // SAFETY: writable out-pointer.
        unsafe { out(out_value, new_handle(v), "out_value") }
    })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_value_from_proto(bytes: *const u8, len: usize, kind: i32, out_value: *mut u64) -> i32 {
    wrap(|| {
        // SAFETY: caller passes len bytes.
        let b = unsafe { slice(bytes, len, "bytes") }?;
        let v = value_from_proto_bytes(b, kind)?;
        // SAFETY: writable out-pointer.
        unsafe { out(out_value, new_handle(v), "out_value") }
    })
}

/// [kind, elem_type, ndims_or_len, data_ptr, byte_len, device_kind, device_id, has_value, offsets_ptr, dims...]
fn describe(e: &ValueEntry) -> Result<Vec<i64>> {
    Ok(match &e.value {
        Value::Tensor(t) => {
            let dev = t.device();
            let (ptr, len, offs) = if t.dtype() == DataType::String {
                let (bytes, offsets) = e.strings.get_or_init(|| {
                    let s = t.strings().map(|s| s.to_vec()).unwrap_or_default();
                    let mut bytes = Vec::new();
                    let mut offsets = Vec::with_capacity(s.len() + 1);
                    offsets.push(0u64);
                    for x in &s {
                        bytes.extend_from_slice(x.as_bytes());
                        offsets.push(bytes.len() as u64);
                    }
                    (bytes, offsets)
                });
                (bytes.as_ptr() as i64, bytes.len() as i64, offsets.as_ptr() as i64)
            } else if let Some(d) = t.device_buffer() {
                (d.device_ptr() as i64, d.byte_len() as i64, 0)
            } else {
                let b = t.bytes()?;
                (b.as_ptr() as i64, b.len() as i64, 0)
            };
            let mut v = vec![KIND_TENSOR, t.dtype() as i64, t.rank() as i64, ptr, len, dev.kind as i64, dev.id as i64, 1, offs];
            v.extend(t.shape().iter().map(|&d| d as i64));
            v
        }
        Value::Sequence { items, .. } => vec![KIND_SEQUENCE, 0, items.len() as i64, 0, 0, 0, 0, 1, 0],
        Value::Map(m) => vec![KIND_MAP, m.keys.dtype() as i64, m.keys.len() as i64, 0, 0, 0, 0, 1, 0],
        Value::Optional { value, .. } => vec![KIND_OPTIONAL, 0, 0, 0, 0, 0, 0, value.is_some() as i64, 0],
    })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_value_describe(value: u64, out_buf: *mut i64, cap: usize, out_len: *mut usize) -> i32 {
    wrap(|| {
        let e = handles::value(value)?;
        let d = describe(&e)?;
        if !out_buf.is_null() {
            // SAFETY: caller passes cap writable slots.
            let dst = unsafe { std::slice::from_raw_parts_mut(out_buf, cap) };
            let n = d.len().min(cap);
            dst[..n].copy_from_slice(&d[..n]);
        }
        // SAFETY: writable out-pointer.
        unsafe { out(out_len, d.len(), "out_len") }
    })
}

#[no_mangle]
pub extern "C" fn onnxrun_value_type(value: u64) -> *const c_char {
    wrap_str(|| Ok(handles::value(value)?.value.type_info().type_string()))
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_value_sequence_get(seq: u64, index: usize, out_value: *mut u64) -> i32 {
    wrap(|| {
        let e = handles::value(seq)?;
        let item = match &e.value {
            Value::Sequence { items, .. } => {
                items.get(index).cloned().ok_or_else(|| onnxrun_core::err!(InvalidArgument, "index {index} is out of range of a sequence of {}", items.len()))?
            }
            v => bail!(InvalidArgument, "value is a {}, not a sequence", v.type_info().type_string()),
        };
        // SAFETY: writable out-pointer.
        unsafe { out(out_value, new_handle(item), "out_value") }
    })
}

fn map_part(h: u64, keys: bool) -> Result<Value> {
    let e = handles::value(h)?;
    match &e.value {
        Value::Map(m) => Ok(if keys { Value::Tensor(m.keys.clone()) } else { (*m.values).clone() }),
        v => bail!(InvalidArgument, "value is a {}, not a map", v.type_info().type_string()),
    }
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_value_map_keys(map: u64, out_keys: *mut u64) -> i32 {
    // SAFETY: writable out-pointer.
    wrap(|| unsafe { out(out_keys, new_handle(map_part(map, true)?), "out_keys") })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_value_map_values(map: u64, out_values: *mut u64) -> i32 {
    // SAFETY: writable out-pointer.
    wrap(|| unsafe { out(out_values, new_handle(map_part(map, false)?), "out_values") })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_value_optional_get(opt: u64, out_value: *mut u64) -> i32 {
    wrap(|| {
        let e = handles::value(opt)?;
        let h = match &e.value {
            Value::Optional { value: Some(v), .. } => new_handle((**v).clone()),
            Value::Optional { value: None, .. } => 0,
            v => bail!(InvalidArgument, "value is a {}, not an optional", v.type_info().type_string()),
        };
        // SAFETY: writable out-pointer.
        unsafe { out(out_value, h, "out_value") }
    })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_value_to_device(value: u64, device: *const c_char, device_id: i32, out_value: *mut u64) -> i32 {
    wrap(|| {
        // SAFETY: NUL-terminated string.
        let device = unsafe { c_str(device, "device") }?;
        let t = handles::value(value)?.value.as_tensor()?.clone();
        let moved = crate::providers::move_tensor(&t, device, device_id)?;
        // SAFETY: writable out-pointer.
        unsafe { out(out_value, new_handle(Value::Tensor(moved)), "out_value") }
    })
}

#[no_mangle]
pub extern "C" fn onnxrun_value_free(value: u64) -> i32 {
    wrap(|| handles::take_value(value).map(drop))
}
