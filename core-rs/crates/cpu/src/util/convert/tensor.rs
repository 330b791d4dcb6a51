//! Whole-tensor conversion: `cast_tensor` for any pair of element types, and the slice
//! converters it runs on (vectorized, pooled, f32↔f16 in hardware where available).

use super::strings::{bf16_str, f16_str, f32_str, f64_str, parse_int, parse_number};
use super::{cast, e8m0_decode, e8m0_encode, f4_decode, f4_encode, wrap_signed, wrap_unsigned, Num, RoundMode, F8};
use crate::util::parallel::for_chunks_mut;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, DataType, Result, Tensor};
use onnxrun_linalg::ThreadPool;
use std::mem::MaybeUninit;


/// Element-by-element conversion of `src` into `dst`, in parallel for big inputs.
pub fn convert_slice<S: Num, D: Num>(src: &[S], dst: &mut [D], pool: Option<&ThreadPool>) {
    // SAFETY: MaybeUninit<D> has D's layout; D is Copy, so overwriting skips no drop.
    let dst = unsafe { &mut *(dst as *mut [D] as *mut [MaybeUninit<D>]) };
    let _ = convert_uninit(src, dst, pool);
}

/// `src` converted into a new vector (written once, no zero-fill first).
pub fn convert_vec<S: Num, D: Num>(src: &[S], pool: Option<&ThreadPool>) -> Result<Vec<D>> {
    let mut v = Vec::with_capacity(src.len());
    convert_uninit(src, &mut v.spare_capacity_mut()[..src.len()], pool)?;
    // SAFETY: convert_uninit returned Ok, so every one of the src.len() elements was written.
    unsafe { v.set_len(src.len()) };
    Ok(v)
}

fn convert_uninit<S: Num, D: Num>(src: &[S], dst: &mut [MaybeUninit<D>], pool: Option<&ThreadPool>) -> Result<()> {
    const CHUNK: usize = 1 << 14;
    let pool = if src.len() >= 4 * CHUNK { pool } else { None };
    for_chunks_mut(pool, dst, CHUNK, |i, d| {
        let s = &src[i * CHUNK..i * CHUNK + d.len()];
        if !halves_fast(s, d) {
            crate::util::broadcast::with_simd(
                #[inline(always)]
                || {
                    for (o, &x) in d.iter_mut().zip(s) {
                        o.write(cast::<S, D>(x));
                    }
                },
            );
        }
    })
}

/// f32 <-> f16 with the F16C instructions when the CPU has them (the `half` crate's
/// software conversion is several times slower). Returns false when it did nothing.
fn halves_fast<S: Num, D: Num>(s: &[S], d: &mut [MaybeUninit<D>]) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::any::TypeId;
        if !std::arch::is_x86_feature_detected!("f16c") || !std::arch::is_x86_feature_detected!("avx") {
            return false;
        }
        if TypeId::of::<S>() == TypeId::of::<f32>() && TypeId::of::<D>() == TypeId::of::<f16>() {
            // SAFETY: S is f32 and D is f16 (checked above), so the casts keep types and lengths.
            unsafe { f32_to_f16_f16c(std::slice::from_raw_parts(s.as_ptr() as *const f32, s.len()), std::slice::from_raw_parts_mut(d.as_mut_ptr() as *mut f16, d.len())) };
            return true;
        }
        if TypeId::of::<S>() == TypeId::of::<f16>() && TypeId::of::<D>() == TypeId::of::<f32>() {
            // SAFETY: as above, with the types swapped.
            unsafe { f16_to_f32_f16c(std::slice::from_raw_parts(s.as_ptr() as *const f16, s.len()), std::slice::from_raw_parts_mut(d.as_mut_ptr() as *mut f32, d.len())) };
            return true;
        }
    }
    let _ = (s, d);
    false
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,f16c")]
unsafe fn f32_to_f16_f16c(s: &[f32], d: &mut [f16]) {
    use std::arch::x86_64::*;
    let n = s.len().min(d.len());
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n elements are in bounds of both slices; unaligned loads/stores.
        let v = _mm256_loadu_ps(s.as_ptr().add(i));
        let h = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(v);
        _mm_storeu_si128(d.as_mut_ptr().add(i) as *mut __m128i, h);
        i += 8;
    }
    for j in i..n {
        d[j] = f16::from_f32(s[j]);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,f16c")]
unsafe fn f16_to_f32_f16c(s: &[f16], d: &mut [f32]) {
    use std::arch::x86_64::*;
    let n = s.len().min(d.len());
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n elements are in bounds of both slices; unaligned loads/stores.
        let h = _mm_loadu_si128(s.as_ptr().add(i) as *const __m128i);
        _mm256_storeu_ps(d.as_mut_ptr().add(i), _mm256_cvtph_ps(h));
        i += 8;
    }
    for j in i..n {
        d[j] = s[j].to_f32();
    }
}

/// Options of Cast that matter for some targets.
#[derive(Clone, Copy, Debug)]
pub struct CastOpts {
    /// float8 targets: clamp overflow to ±max (true) or give NaN/inf.
    pub saturate: bool,
    /// float8e8m0 target rounding.
    pub round: RoundMode,
}

impl Default for CastOpts {
    fn default() -> Self {
        CastOpts { saturate: true, round: RoundMode::Up }
    }
}

/// Held as a Rust element type: the types `dispatch_all!` binds.
fn is_plain(dt: DataType) -> bool {
    crate::dispatch_all!(dt, T => true, else false)
}

macro_rules! with_plain {
    ($dt:expr, $T:ident => $body:expr) => {
        $crate::dispatch_all!($dt, $T => $body, else bail!(InvalidArgument, "Cast: unsupported element type {}", $dt))
    };
}

fn plain_to_plain<S: Num>(src: &[S], to: DataType, shape: Vec<usize>, pool: Option<&ThreadPool>) -> Result<Tensor> {
    with_plain!(to, D => Tensor::from_vec(shape, convert_vec::<S, D>(src, pool)?))
}

/// Source values widened to a plain type that holds them exactly: minifloats → f32, 4/2-bit
/// ints → i8/u8 (already held that way), strings → f64 or i64 as the target needs.
fn widen(x: &Tensor, to: DataType) -> Result<Tensor> {
    use DataType::*;
    let shape = x.shape().to_vec();
    Ok(match x.dtype() {
        d if is_plain(d) => x.clone(),
        Int4 | Int2 => x.with_dtype(Int8)?,
        Uint4 | Uint2 => x.with_dtype(Uint8)?,
        d @ (Float8E4M3FN | Float8E4M3FNUZ | Float8E5M2 | Float8E5M2FNUZ) => {
            let f = F8::of(d).unwrap_or(F8::E4M3FN);
            Tensor::from_vec(shape, x.data::<u8>()?.iter().map(|&b| f.decode(b)).collect::<Vec<f32>>())?
        }
        Float4E2M1 => Tensor::from_vec(shape, x.data::<u8>()?.iter().map(|&b| f4_decode(b)).collect::<Vec<f32>>())?,
        Float8E8M0 => Tensor::from_vec(shape, x.data::<u8>()?.iter().map(|&b| e8m0_decode(b)).collect::<Vec<f32>>())?,
        String => {
            let s = x.strings()?;
            if to.is_float() || to == Bool {
                Tensor::from_vec(shape, s.iter().map(|v| parse_number(v)).collect::<Result<Vec<f64>>>()?)?
            } else {
                Tensor::from_vec(shape, s.iter().map(|v| parse_int(v)).collect::<Result<Vec<i64>>>()?)?
            }
        }
        d => bail!(InvalidArgument, "Cast: unsupported source element type {d}"),
    })
}

/// `x` converted to `to` with Cast semantics (any pair of types, strings included).
pub fn cast_tensor(x: &Tensor, to: DataType, opts: CastOpts, pool: Option<&ThreadPool>) -> Result<Tensor> {
    use DataType::*;
    if x.dtype() == to {
        return Ok(x.clone());
    }
    let shape = x.shape().to_vec();
    let src = widen(x, to)?;
    let sdt = src.dtype();
    if is_plain(to) {
        if sdt == to {
            return Ok(src);
        }
        return with_plain!(sdt, S => plain_to_plain::<S>(src.data::<S>()?, to, shape, pool));
    }
    match to {
        String => {
            let s: Vec<std::string::String> = match sdt {
                Float => src.data::<f32>()?.iter().map(|&v| f32_str(v)).collect(),
                Double => src.data::<f64>()?.iter().map(|&v| f64_str(v)).collect(),
                Float16 => src.data::<f16>()?.iter().map(|&v| f16_str(v)).collect(),
                Bfloat16 => src.data::<bf16>()?.iter().map(|&v| bf16_str(v)).collect(),
                Bool => src.data::<bool>()?.iter().map(|&v| if v { "True" } else { "False" }.to_string()).collect(),
                Uint64 => src.data::<u64>()?.iter().map(|v| v.to_string()).collect(),
                _ => src.to_i64_vec()?.iter().map(|v| v.to_string()).collect(),
            };
            Tensor::from_strings(shape, s)
        }
        Int4 | Int2 | Uint4 | Uint2 => {
            let bits = if matches!(to, Int4 | Uint4) { 4 } else { 2 };
            let wide = with_plain!(sdt, S => plain_to_plain::<S>(src.data::<S>()?, Int32, shape.clone(), pool))?;
            let w = wide.data::<i32>()?;
            if to.is_signed_int() {
                Tensor::from_vec_as(to, shape, w.iter().map(|&v| wrap_signed(v as i64, bits)).collect::<Vec<i8>>())
            } else {
                Tensor::from_vec_as(to, shape, w.iter().map(|&v| wrap_unsigned(v as i64, bits)).collect::<Vec<u8>>())
            }
        }
        Float8E4M3FN | Float8E4M3FNUZ | Float8E5M2 | Float8E5M2FNUZ | Float4E2M1 => {
            // f64 holds every source value exactly (ints up to 2^53), so one rounding.
            let wide = with_plain!(sdt, S => plain_to_plain::<S>(src.data::<S>()?, Double, shape.clone(), pool))?;
            let w = wide.data::<f64>()?;
            let bytes: Vec<u8> = match F8::of(to) {
                Some(f) => w.iter().map(|&v| f.encode(v, opts.saturate)).collect(),
                None => w.iter().map(|&v| f4_encode(v)).collect(),
            };
            Tensor::from_vec_as(to, shape, bytes)
        }
        Float8E8M0 => {
            let wide = with_plain!(sdt, S => plain_to_plain::<S>(src.data::<S>()?, Float, shape.clone(), pool))?;
            let bytes: Vec<u8> = wide.data::<f32>()?.iter().map(|&v| e8m0_encode(v, opts.saturate, opts.round)).collect();
            Tensor::from_vec_as(to, shape, bytes)
        }
        d => bail!(InvalidArgument, "Cast: unsupported target element type {d}"),
    }
}

