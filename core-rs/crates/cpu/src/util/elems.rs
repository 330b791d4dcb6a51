//! Dtype-agnostic element access for data-movement kernels (Transpose, Gather, Concat, ...).
//!
//! Those ops only move elements, so they are written once, generic over `T: Elem`, and
//! instantiated per element *size* rather than per dtype: every 4-byte type (float, int32,
//! uint32) moves as `u32`, every 16-byte one (complex128) as `u128`, and strings as
//! `String`. `with_elem!(dtype, T => body)` binds `T` to the matching storage type.

use onnxrun_core::tensor::max_tensor_bytes;
use onnxrun_core::{bail, ensure, num_elements, DataType, Result, Tensor};
use std::borrow::Cow;

/// Storage type of one element: plain bytes of a fixed size, or a `String`.
pub trait Elem: Clone + Default + Send + Sync + 'static {
    /// The tensor's elements (borrowed; copied only if caller memory is misaligned).
    fn view(t: &Tensor) -> Result<Cow<'_, [Self]>>;
    /// A tensor of `dtype` holding `v`.
    fn build(dtype: DataType, shape: Vec<usize>, v: Vec<Self>) -> Result<Tensor>;
}

macro_rules! pod_elem {
    ($($t:ty),*) => {$(
        impl Elem for $t {
            fn view(t: &Tensor) -> Result<Cow<'_, [Self]>> {
                const SIZE: usize = std::mem::size_of::<$t>();
                ensure!(t.dtype().size() == SIZE, InvalidArgument, "cannot view {} elements as {SIZE}-byte words", t.dtype());
                let b = t.bytes()?;
                let n = t.len();
                ensure!(b.len() >= n * SIZE, InvalidArgument, "{} tensor buffer is too short", t.dtype());
                if n == 0 {
                    return Ok(Cow::Borrowed(&[]));
                }
                if (b.as_ptr() as usize) % std::mem::align_of::<$t>() == 0 {
                    // SAFETY: n * SIZE bytes are readable at an address aligned for $t, and
                    // every bit pattern is a valid $t (a plain unsigned integer).
                    Ok(Cow::Borrowed(unsafe { std::slice::from_raw_parts(b.as_ptr() as *const $t, n) }))
                } else {
                    let mut v = vec![<$t>::default(); n];
                    // SAFETY: v holds exactly n * SIZE writable bytes; b at least that many.
                    unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), v.as_mut_ptr() as *mut u8, n * SIZE) };
                    Ok(Cow::Owned(v))
                }
            }
            fn build(dtype: DataType, shape: Vec<usize>, v: Vec<Self>) -> Result<Tensor> {
                Tensor::from_vec_as(dtype, shape, v)
            }
        }
    )*};
}
pod_elem!(u8, u16, u32, u64, u128);

impl Elem for String {
    fn view(t: &Tensor) -> Result<Cow<'_, [Self]>> {
        Ok(Cow::Borrowed(t.strings()?))
    }
    fn build(dtype: DataType, shape: Vec<usize>, v: Vec<Self>) -> Result<Tensor> {
        ensure!(dtype == DataType::String, InvalidArgument, "string data for a {dtype} tensor");
        Tensor::from_strings(shape, v)
    }
}

/// Which storage type `with_elem!` picks for a dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElemKind {
    B1,
    B2,
    B4,
    B8,
    B16,
    Str,
}

impl ElemKind {
    pub fn of(dt: DataType) -> ElemKind {
        match dt.size() {
            0 => ElemKind::Str,
            1 => ElemKind::B1,
            2 => ElemKind::B2,
            4 => ElemKind::B4,
            8 => ElemKind::B8,
            _ => ElemKind::B16,
        }
    }
}

/// `with_elem!(dtype, T => body)`: evaluates `body` with `T` the storage type of `dtype`.
#[macro_export]
macro_rules! with_elem {
    ($dt:expr, $T:ident => $body:expr) => {{
        use $crate::util::elems::ElemKind as __K;
        match __K::of($dt) {
            __K::B1 => {
                // Clones of the byte types are copies; the same body serves String.
                #[allow(clippy::clone_on_copy)]
                let __r = {
                    type $T = u8;
                    $body
                };
                __r
            }
            __K::B2 => {
                // Clones of the byte types are copies; the same body serves String.
                #[allow(clippy::clone_on_copy)]
                let __r = {
                    type $T = u16;
                    $body
                };
                __r
            }
            __K::B4 => {
                // Clones of the byte types are copies; the same body serves String.
                #[allow(clippy::clone_on_copy)]
                let __r = {
                    type $T = u32;
                    $body
                };
                __r
            }
            __K::B8 => {
                // Clones of the byte types are copies; the same body serves String.
                #[allow(clippy::clone_on_copy)]
                let __r = {
                    type $T = u64;
                    $body
                };
                __r
            }
            __K::B16 => {
                // Clones of the byte types are copies; the same body serves String.
                #[allow(clippy::clone_on_copy)]
                let __r = {
                    type $T = u128;
                    $body
                };
                __r
            }
            __K::Str => {
                // Clones of the byte types are copies; the same body serves String.
                #[allow(clippy::clone_on_copy)]
                let __r = {
                    type $T = String;
                    $body
                };
                __r
            }
        }
    }};
}

/// Checks that a `dtype` tensor of `shape` fits the allocation cap, giving its element count.
/// Call before building an output whose size comes from data (Expand, Tile, Range, ...).
pub fn check_size(dtype: DataType, shape: &[usize]) -> Result<usize> {
    let n = num_elements(shape)?;
    let per = if dtype == DataType::String { 24 } else { dtype.size() };
    match n.checked_mul(per) {
        Some(b) if b <= max_tensor_bytes() => Ok(n),
        _ => bail!(InvalidArgument, "a {dtype} tensor of shape {shape:?} exceeds the limit of {} bytes (config entry session.max_tensor_bytes)", max_tensor_bytes()),
    }
}

/// A default-filled output buffer for a `dtype` tensor of `shape` (size-checked).
pub fn alloc<T: Elem>(dtype: DataType, shape: &[usize]) -> Result<Vec<T>> {
    let n = check_size(dtype, shape)?;
    Ok(vec![T::default(); n])
}

/// Row-major strides of `shape`, in elements.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Normalizes an axis in `[-rank, rank)` to `[0, rank)`.
pub fn norm_axis(axis: i64, rank: usize, what: &str) -> Result<usize> {
    let r = rank as i64;
    ensure!((-r..r).contains(&axis), InvalidArgument, "{what}: axis {axis} is out of range for rank {rank}");
    Ok(if axis < 0 { (axis + r) as usize } else { axis as usize })
}

/// Prefixes an error with the node it happened in.
pub trait AtNode<T> {
    fn at(self, node: &onnxrun_core::NodeInfo) -> Result<T>;
}

impl<T> AtNode<T> for Result<T> {
    fn at(self, node: &onnxrun_core::NodeInfo) -> Result<T> {
        self.map_err(|e| e.context(node.describe()))
    }
}
