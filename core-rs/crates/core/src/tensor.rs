//! Tensors: an element type, a shape and a shared buffer that lives on the host (owned or
//! borrowed from the caller without a copy), holds strings, or lives on a device.

use crate::dtype::{DataType, Element};
use crate::Result;
use std::alloc::Layout;
use std::any::Any;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Largest single tensor the runtime will allocate, in bytes. Guards against models (or
/// feeds) that ask for absurd sizes: with overcommit such an allocation "succeeds" and the
/// process dies later, so we refuse up front.
static MAX_TENSOR_BYTES: AtomicUsize = AtomicUsize::new(8 << 30);

thread_local! {
    /// The running session's own limit (SessionOptions::max_tensor_bytes), if it set one.
    static SESSION_LIMIT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

pub fn set_max_tensor_bytes(n: usize) {
    MAX_TENSOR_BYTES.store(n, Ordering::Relaxed);
}

/// The largest tensor a kernel may allocate: the runtime-wide cap, or the running
/// session's lower limit.
pub fn max_tensor_bytes() -> usize {
    let global = MAX_TENSOR_BYTES.load(Ordering::Relaxed);
    SESSION_LIMIT.with(|l| l.get()).map_or(global, |s| s.min(global))
}

/// Runs `f` (a session's load or run, on this thread) under the session's tensor limit.
pub fn with_tensor_limit<R>(limit: Option<usize>, f: impl FnOnce() -> R) -> R {
    let Some(limit) = limit else { return f() };
    let outer = SESSION_LIMIT.with(|l| l.replace(Some(limit)));
    let r = f();
    SESSION_LIMIT.with(|l| l.set(outer));
    r
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum DeviceKind {
    Cpu = 0,
    Cuda = 1,
    WebGpu = 2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Device {
    pub kind: DeviceKind,
    pub id: i32,
}

impl Device {
    pub const CPU: Device = Device { kind: DeviceKind::Cpu, id: 0 };
    pub fn name(&self) -> &'static str {
        match self.kind {
            DeviceKind::Cpu => "cpu",
            DeviceKind::Cuda => "cuda",
            DeviceKind::WebGpu => "webgpu",
        }
    }
}

/// Memory owned by a device provider. The provider downcasts via `as_any`.
pub trait DeviceBuffer: Send + Sync {
    fn device(&self) -> Device;
    fn byte_len(&self) -> usize;
    /// The device address (for `dataPtr()`), or an opaque nonzero handle where the API has
    /// no addresses (wgpu).
    fn device_ptr(&self) -> u64;
    fn as_any(&self) -> &dyn Any;
}

/// Host memory with a known layout, freed on drop.
pub struct HostMem {
    ptr: *mut u8,
    len: usize,
    layout: Option<Layout>,
}

// SAFETY: HostMem owns its allocation exclusively; access goes through &/&mut of Tensor.
unsafe impl Send for HostMem {}
unsafe impl Sync for HostMem {}

impl HostMem {
    fn zeroed(len: usize) -> Result<HostMem> {
        if len == 0 {
            return Ok(HostMem { ptr: std::ptr::NonNull::<u64>::dangling().as_ptr() as *mut u8, len, layout: None });
        }
        ensure!(
            len <= max_tensor_bytes(),
            InvalidArgument,
            "tensor of {len} bytes exceeds the limit of {} bytes",
            max_tensor_bytes()
        );
        let layout = Layout::from_size_align(len, 64).map_err(|e| err!(InvalidArgument, "{e}"))?;
        // SAFETY: layout has non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        ensure!(!ptr.is_null(), Fail, "out of memory allocating {len} bytes");
        Ok(HostMem { ptr, len, layout: Some(layout) })
    }

    fn from_vec<T: Copy>(v: Vec<T>) -> HostMem {
        let mut v = std::mem::ManuallyDrop::new(v);
        let len = v.len() * std::mem::size_of::<T>();
        let cap = v.capacity();
        let layout = if cap == 0 || std::mem::size_of::<T>() == 0 {
            None
        } else {
            Some(Layout::array::<T>(cap).expect("a Vec's own layout is valid"))
        };
        HostMem { ptr: v.as_mut_ptr() as *mut u8, len, layout }
    }
}

impl Drop for HostMem {
    fn drop(&mut self) {
        if let Some(layout) = self.layout {
            // SAFETY: ptr was allocated with exactly this layout by alloc_zeroed or by Vec.
            unsafe { std::alloc::dealloc(self.ptr, layout) }
        }
    }
}

pub enum Buffer {
    Host(HostMem),
    /// Caller memory used in place; the C ABI keeps it alive while any tensor uses it.
    Borrowed { ptr: *mut u8, len: usize, keepalive: Option<Arc<dyn Any + Send + Sync>> },
    Strings(Vec<String>),
    Device(Box<dyn DeviceBuffer>),
}

// SAFETY: Borrowed memory is only read through shared references, and the C ABI contract
// makes the caller keep it alive and unmodified while the value exists.
unsafe impl Send for Buffer {}
unsafe impl Sync for Buffer {}

#[derive(Clone)]
pub struct Tensor {
    dtype: DataType,
    shape: Vec<usize>,
    buf: Arc<Buffer>,
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor({}, {:?}, {})", self.dtype, self.shape, self.device().name())
    }
}

/// Number of elements of a shape, or an error when it overflows. Each dim must also fit
/// ONNX's int64 dims: a tensor with a zero dim could otherwise carry another no caller can
/// read back (Tile of a [2, 0] input by [i64::MAX, 1] gives a dim of 2^64 - 2).
pub fn num_elements(shape: &[usize]) -> Result<usize> {
    ensure!(shape.iter().all(|&d| i64::try_from(d).is_ok()), InvalidArgument, "shape {shape:?} has a dimension beyond the int64 range");
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or_else(|| err!(InvalidArgument, "shape {shape:?} overflows"))
}

/// Converts ONNX dims (i64) to a shape, rejecting negative dims and overflow.
pub fn shape_from_dims(dims: &[i64]) -> Result<Vec<usize>> {
    let shape = dims
        .iter()
        .map(|&d| if d < 0 { Err(err!(InvalidArgument, "negative dimension {d} in {dims:?}")) } else { Ok(d as usize) })
        .collect::<Result<Vec<_>>>()?;
    num_elements(&shape)?;
    Ok(shape)
}

/// Bytes of a `dtype` tensor of `shape` in memory, or an error where that overflows.
pub fn byte_len(dtype: DataType, shape: &[usize]) -> Result<usize> {
    num_elements(shape)?.checked_mul(dtype.size()).ok_or_else(|| err!(InvalidArgument, "shape {shape:?} overflows"))
}

impl Tensor {
    /// A zero-filled host tensor.
    pub fn zeros(dtype: DataType, shape: Vec<usize>) -> Result<Tensor> {
        if dtype == DataType::String {
            let n = num_elements(&shape)?;
            ensure!(n.saturating_mul(24) <= max_tensor_bytes(), InvalidArgument, "string tensor of {n} elements is too large");
            return Ok(Tensor { dtype, buf: Arc::new(Buffer::Strings(vec![String::new(); n])), shape });
        }
        let len = byte_len(dtype, &shape)?;
        Ok(Tensor { dtype, shape, buf: Arc::new(Buffer::Host(HostMem::zeroed(len)?)) })
    }

    pub fn from_vec<T: Element>(shape: Vec<usize>, data: Vec<T>) -> Result<Tensor> {
        Self::from_vec_as(T::DTYPE, shape, data)
    }

    /// Like `from_vec` but tags the data with another dtype of the same element size
    /// (float8 and 4-bit types are held as u8).
    pub fn from_vec_as<T: Copy>(dtype: DataType, shape: Vec<usize>, data: Vec<T>) -> Result<Tensor> {
        ensure!(dtype != DataType::String, InvalidArgument, "use from_strings for string tensors");
        ensure!(
            std::mem::size_of::<T>() == dtype.size(),
            InvalidArgument,
            "element size {} does not match {dtype}",
            std::mem::size_of::<T>()
        );
        let n = num_elements(&shape)?;
        ensure!(n == data.len(), InvalidArgument, "shape {shape:?} needs {n} elements, got {}", data.len());
        Ok(Tensor { dtype, shape, buf: Arc::new(Buffer::Host(HostMem::from_vec(data))) })
    }

    pub fn from_strings(shape: Vec<usize>, data: Vec<String>) -> Result<Tensor> {
        let n = num_elements(&shape)?;
        ensure!(n == data.len(), InvalidArgument, "shape {shape:?} needs {n} strings, got {}", data.len());
        Ok(Tensor { dtype: DataType::String, shape, buf: Arc::new(Buffer::Strings(data)) })
    }

    pub fn scalar<T: Element>(v: T) -> Tensor {
        Tensor::from_vec(vec![], vec![v]).expect("scalar shape holds one element")
    }

    /// A host tensor that copies `bytes` (exactly the size the shape implies).
    pub fn from_bytes(dtype: DataType, shape: Vec<usize>, bytes: &[u8]) -> Result<Tensor> {
        ensure!(dtype != DataType::String, InvalidArgument, "string tensors have no byte form");
        let len = byte_len(dtype, &shape)?;
        ensure!(
            bytes.len() == len,
            InvalidArgument,
            "{dtype} tensor of shape {shape:?} needs {len} bytes, got {}",
            bytes.len()
        );
        let mut t = Tensor::zeros(dtype, shape)?;
        t.bytes_mut()?.copy_from_slice(bytes);
        Ok(t)
    }

    /// Wraps caller memory without copying.
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes that stay valid and unmodified for as long
    /// as this tensor or any clone of it exists (`keepalive` may own them).
    pub unsafe fn borrowed(
        dtype: DataType,
        shape: Vec<usize>,
        ptr: *mut u8,
        len: usize,
        keepalive: Option<Arc<dyn Any + Send + Sync>>,
    ) -> Result<Tensor> {
        ensure!(dtype != DataType::String, InvalidArgument, "string tensors cannot be borrowed");
        let need = byte_len(dtype, &shape)?;
        ensure!(
            len == need,
            InvalidArgument,
            "{dtype} tensor of shape {shape:?} needs {need} bytes, got a buffer of {len}"
        );
        ensure!(!ptr.is_null() || len == 0, InvalidArgument, "null data pointer");
        let ptr = if len == 0 { std::ptr::NonNull::<u64>::dangling().as_ptr() as *mut u8 } else { ptr };
        Ok(Tensor { dtype, shape, buf: Arc::new(Buffer::Borrowed { ptr, len, keepalive }) })
    }

    pub fn from_device(dtype: DataType, shape: Vec<usize>, buf: Box<dyn DeviceBuffer>) -> Tensor {
        Tensor { dtype, shape, buf: Arc::new(Buffer::Device(buf)) }
    }

    pub fn dtype(&self) -> DataType {
        self.dtype
    }
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn rank(&self) -> usize {
        self.shape.len()
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn buffer(&self) -> &Buffer {
        &self.buf
    }
    pub fn device(&self) -> Device {
        match &*self.buf {
            Buffer::Device(d) => d.device(),
            _ => Device::CPU,
        }
    }
    pub fn is_host(&self) -> bool {
        !matches!(&*self.buf, Buffer::Device(_))
    }
    pub fn is_borrowed(&self) -> bool {
        matches!(&*self.buf, Buffer::Borrowed { .. })
    }
    pub fn device_buffer(&self) -> Option<&dyn DeviceBuffer> {
        match &*self.buf {
            Buffer::Device(d) => Some(d.as_ref()),
            _ => None,
        }
    }

    /// Same data, another shape of the same element count (no copy).
    pub fn reshaped(&self, shape: Vec<usize>) -> Result<Tensor> {
        let n = num_elements(&shape)?;
        ensure!(n == self.len(), InvalidArgument, "cannot reshape {:?} ({} elements) to {shape:?}", self.shape, self.len());
        Ok(Tensor { dtype: self.dtype, shape, buf: self.buf.clone() })
    }

    /// Same bytes read as another dtype of the same element size (float8 as u8, etc).
    pub fn with_dtype(&self, dtype: DataType) -> Result<Tensor> {
        ensure!(
            dtype.size() == self.dtype.size() && dtype != DataType::String && self.dtype != DataType::String,
            InvalidArgument,
            "cannot view {} as {dtype}",
            self.dtype
        );
        Ok(Tensor { dtype, shape: self.shape.clone(), buf: self.buf.clone() })
    }

    /// Host bytes (error for strings and device tensors).
    pub fn bytes(&self) -> Result<&[u8]> {
        match &*self.buf {
            // SAFETY: HostMem owns len bytes at ptr.
            Buffer::Host(m) => Ok(unsafe { std::slice::from_raw_parts(m.ptr, m.len) }),
            // SAFETY: the borrowed contract guarantees len readable bytes at ptr.
            Buffer::Borrowed { ptr, len, .. } => Ok(unsafe { std::slice::from_raw_parts(*ptr, *len) }),
            Buffer::Strings(_) => bail!(InvalidArgument, "string tensor has no byte view"),
            Buffer::Device(d) => bail!(InvalidArgument, "tensor lives on {} and must be copied to the host first", d.device().name()),
        }
    }

    /// Mutable host bytes; the buffer must not be shared or borrowed (copy it first with
    /// `to_owned_host`).
    pub fn bytes_mut(&mut self) -> Result<&mut [u8]> {
        match Arc::get_mut(&mut self.buf) {
            // SAFETY: unique access to an owned allocation of len bytes.
            Some(Buffer::Host(m)) => Ok(unsafe { std::slice::from_raw_parts_mut(m.ptr, m.len) }),
            Some(_) => bail!(InvalidArgument, "tensor buffer is not writable host memory"),
            None => bail!(Fail, "tensor buffer is shared and cannot be written in place"),
        }
    }

    fn check_elem<T: Element>(&self) -> Result<()> {
        use DataType::*;
        // Sub-byte and float8 types are held one per byte: unsigned ones viewed as u8,
        // signed 4/2-bit ones as sign-extended i8.
        let ok = T::DTYPE == self.dtype
            || (T::DTYPE == Uint8
                && matches!(self.dtype, Float8E4M3FN | Float8E4M3FNUZ | Float8E5M2 | Float8E5M2FNUZ | Float8E8M0 | Float4E2M1 | Uint4 | Uint2))
            || (T::DTYPE == Int8 && matches!(self.dtype, Int4 | Int2));
        ensure!(ok, InvalidArgument, "expected a {} tensor, got {}", T::DTYPE, self.dtype);
        Ok(())
    }

    /// Typed host view. u8 may also view the 1-byte float8 / 4-bit types.
    pub fn data<T: Element>(&self) -> Result<&[T]> {
        self.check_elem::<T>()?;
        let b = self.bytes()?;
        let n = self.len();
        if n == 0 {
            return Ok(&[]);
        }
        ensure!(
            (b.as_ptr() as usize) % std::mem::align_of::<T>() == 0,
            InvalidArgument,
            "{} data is not aligned for its element type",
            self.dtype
        );
        // SAFETY: size and alignment checked; every bit pattern of the Element types is
        // valid, except bool, whose 0/1 content is checked where caller memory enters.
        Ok(unsafe { std::slice::from_raw_parts(b.as_ptr() as *const T, n) })
    }

    pub fn data_mut<T: Element>(&mut self) -> Result<&mut [T]> {
        self.check_elem::<T>()?;
        let n = self.len();
        let b = self.bytes_mut()?;
        if n == 0 {
            return Ok(&mut []);
        }
        // SAFETY: owned allocation aligned to 64 (zeroed) or to T (from_vec of T or of a
        // same-size type); size equals n * size_of::<T>().
        Ok(unsafe { std::slice::from_raw_parts_mut(b.as_mut_ptr() as *mut T, n) })
    }

    pub fn strings(&self) -> Result<&[String]> {
        match &*self.buf {
            Buffer::Strings(s) => Ok(s),
            _ => bail!(InvalidArgument, "expected a string tensor, got {}", self.dtype),
        }
    }

    pub fn strings_mut(&mut self) -> Result<&mut Vec<String>> {
        match Arc::get_mut(&mut self.buf) {
            Some(Buffer::Strings(s)) => Ok(s),
            Some(_) => bail!(InvalidArgument, "expected a string tensor, got {}", self.dtype),
            None => bail!(Fail, "string tensor is shared and cannot be written in place"),
        }
    }

    /// A copy in owned host memory if this one borrows caller memory; otherwise a cheap clone.
    pub fn to_owned_host(&self) -> Result<Tensor> {
        match &*self.buf {
            Buffer::Borrowed { .. } => Tensor::from_bytes(self.dtype, self.shape.clone(), self.bytes()?),
            _ => Ok(self.clone()),
        }
    }

    /// A deep copy that this caller may write to.
    pub fn deep_clone(&self) -> Result<Tensor> {
        match &*self.buf {
            Buffer::Strings(s) => Tensor::from_strings(self.shape.clone(), s.clone()),
            _ => Tensor::from_bytes(self.dtype, self.shape.clone(), self.bytes()?),
        }
    }

    /// Integer contents (int32/int64/uint8/...) as i64: for shape, axes and index inputs.
    pub fn to_i64_vec(&self) -> Result<Vec<i64>> {
        Ok(match self.dtype {
            DataType::Int64 => self.data::<i64>()?.to_vec(),
            DataType::Int32 => self.data::<i32>()?.iter().map(|&v| v as i64).collect(),
            DataType::Int16 => self.data::<i16>()?.iter().map(|&v| v as i64).collect(),
            DataType::Int8 => self.data::<i8>()?.iter().map(|&v| v as i64).collect(),
            DataType::Uint8 => self.data::<u8>()?.iter().map(|&v| v as i64).collect(),
            DataType::Uint16 => self.data::<u16>()?.iter().map(|&v| v as i64).collect(),
            DataType::Uint32 => self.data::<u32>()?.iter().map(|&v| v as i64).collect(),
            DataType::Uint64 => self.data::<u64>()?.iter().map(|&v| v as i64).collect(),
            DataType::Bool => self.data::<bool>()?.iter().map(|&v| v as i64).collect(),
            d => bail!(InvalidArgument, "expected an integer tensor, got {d}"),
        })
    }

    /// Numeric contents as f64 (any real numeric dtype).
    pub fn to_f64_vec(&self) -> Result<Vec<f64>> {
        Ok(match self.dtype {
            DataType::Float => self.data::<f32>()?.iter().map(|&v| v as f64).collect(),
            DataType::Double => self.data::<f64>()?.to_vec(),
            DataType::Float16 => self.data::<half::f16>()?.iter().map(|v| v.to_f64()).collect(),
            DataType::Bfloat16 => self.data::<half::bf16>()?.iter().map(|v| v.to_f64()).collect(),
            _ => self.to_i64_vec()?.into_iter().map(|v| v as f64).collect(),
        })
    }
}
