//! What the shaders' uniform blocks can hold: at most 8 dimensions (after
//! onnxrun_core::broadcast's coalescing), each a u32.

use onnxrun_core::Result;

/// Dimensions the shaders' uniform blocks can describe.
pub const MAX_DIMS: usize = 8;

/// Packs up to `MAX_DIMS` values for a uniform block.
pub fn pack(values: &[usize], what: &str) -> Result<[u32; MAX_DIMS]> {
    if values.len() > MAX_DIMS {
        return Err(onnxrun_core::Error::new(
            onnxrun_core::ErrorCode::NotImplemented,
            format!("{what}: {} dimensions after merging; the WebGPU kernels handle at most {MAX_DIMS}", values.len()),
        ));
    }
    let mut out = [0u32; MAX_DIMS];
    for (o, &v) in out.iter_mut().zip(values) {
        *o = to_u32(v, what)?;
    }
    Ok(out)
}

pub fn to_u32(v: usize, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| {
        onnxrun_core::Error::new(onnxrun_core::ErrorCode::EpFail, format!("{what}: size {v} is too large for a WebGPU kernel"))
    })
}
