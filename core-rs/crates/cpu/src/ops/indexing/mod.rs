//! Indexing kernels: gathers, scatters, selections (Compress, NonZero, TopK, Unique),
//! and index-driven construction (OneHot) and scans (CumSum, CumProd).

mod facts;
mod cumulative;
mod gather;
mod onehot;
mod scatter;
mod select;
mod topk;
mod unique;

use onnxrun_core::{ensure, KernelRegistry, NodeInfo, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    gather::register(r);
    scatter::register(r);
    select::register(r);
    onehot::register(r);
    topk::register(r);
    unique::register(r);
    cumulative::register(r);
    facts::register(r);
}

/// The integer contents of an index tensor (int32 or int64 per the schemas).
fn index_values(t: &Tensor, node: &NodeInfo) -> Result<Vec<i64>> {
    ensure!(
        matches!(t.dtype(), onnxrun_core::DataType::Int64 | onnxrun_core::DataType::Int32),
        InvalidArgument,
        "{}: indices must be int32 or int64, got {}",
        node.describe(),
        t.dtype()
    );
    t.to_i64_vec()
}

/// Maps index `v` (negative counts from the end) into `0..dim`, or an error naming the
/// node, the index and the dimension.
#[inline]
fn resolve(v: i64, dim: usize, node: &NodeInfo, what: &str) -> Result<usize> {
    let d = dim as i64;
    let w = if v < 0 { v + d } else { v };
    if w < 0 || w >= d {
        onnxrun_core::bail!(InvalidArgument, "{}: {what} index {v} is out of range for a dimension of size {dim}", node.describe());
    }
    Ok(w as usize)
}

/// `resolve` over a whole index list.
fn resolve_all(v: &[i64], dim: usize, node: &NodeInfo, what: &str) -> Result<Vec<usize>> {
    v.iter().map(|&i| resolve(i, dim, node, what)).collect()
}

/// Element arithmetic for reductions and scans (integers wrap, as in ONNX Runtime).
pub(crate) trait Combine: Copy + Default {
    const ONE: Self;
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn max(self, o: Self) -> Self;
    fn min(self, o: Self) -> Self;
}

macro_rules! combine_int {
    ($($t:ty),*) => {$(
        impl Combine for $t {
            const ONE: Self = 1;
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            fn max(self, o: Self) -> Self { Ord::max(self, o) }
            fn min(self, o: Self) -> Self { Ord::min(self, o) }
        }
    )*};
}
combine_int!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! combine_float {
    ($($t:ty = $one:expr),*) => {$(
        impl Combine for $t {
            const ONE: Self = $one;
            fn add(self, o: Self) -> Self { self + o }
            fn mul(self, o: Self) -> Self { self * o }
            fn max(self, o: Self) -> Self { if o > self || self.is_nan() { o } else { self } }
            fn min(self, o: Self) -> Self { if o < self || self.is_nan() { o } else { self } }
        }
    )*};
}
combine_float!(f32 = 1.0, f64 = 1.0, onnxrun_core::half::f16 = onnxrun_core::half::f16::ONE, onnxrun_core::half::bf16 = onnxrun_core::half::bf16::ONE);


/// A total order for sorting (TopK, Unique): integers as usual; floats by value with
/// -0.0 equal to 0.0 and NaN above everything (all NaNs equal).
pub(crate) trait TotalOrd: Copy {
    fn total(&self, o: &Self) -> std::cmp::Ordering;
}

macro_rules! total_int {
    ($($t:ty),*) => {$(
        impl TotalOrd for $t {
            fn total(&self, o: &Self) -> std::cmp::Ordering { self.cmp(o) }
        }
    )*};
}
total_int!(i8, i16, i32, i64, u8, u16, u32, u64, bool);

macro_rules! total_float {
    ($($t:ty),*) => {$(
        impl TotalOrd for $t {
            fn total(&self, o: &Self) -> std::cmp::Ordering {
                match self.partial_cmp(o) {
                    Some(c) => c,
                    None => self.is_nan().cmp(&o.is_nan()),
                }
            }
        }
    )*};
}
total_float!(f32, f64, onnxrun_core::half::f16, onnxrun_core::half::bf16);
