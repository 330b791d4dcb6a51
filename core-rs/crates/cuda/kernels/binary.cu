// Elementwise arithmetic with numpy broadcasting. Two entry points per op and type:
// `_same` when both operands have the output's shape (the common case, no index math),
// `_bcast` for everything else, driven by a coalesced Bcast descriptor.
#include "common.cuh"

struct AddOp { __device__ float operator()(float a, float b) const { return a + b; } };
struct SubOp { __device__ float operator()(float a, float b) const { return a - b; } };
struct MulOp { __device__ float operator()(float a, float b) const { return a * b; } };
struct DivOp { __device__ float operator()(float a, float b) const { return a / b; } };

template <typename Op, typename T>
__device__ void binary_same(u64 n, const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ y) {
    const Op op;
    GRID_STRIDE_LOOP(i, n) { y[i] = op(a[i], b[i]); }
}

template <typename Op, typename T>
__device__ void binary_bcast(u64 n, const Bcast& s, const T* __restrict__ a, const T* __restrict__ b,
                             T* __restrict__ y) {
    const Op op;
    GRID_STRIDE_LOOP(i, n) {
        u64 ia, ib;
        bcast_offsets(s, i, ia, ib);
        y[i] = op(a[ia], b[ib]);
    }
}

#define BINARY(name, Op, T, suffix)                                                \
    extern "C" __global__ void name##_same_##suffix(u64 n, const T* __restrict__ a, \
                                                    const T* __restrict__ b, T* __restrict__ y) { \
        binary_same<Op, T>(n, a, b, y);                                            \
    }                                                                              \
    extern "C" __global__ void name##_bcast_##suffix(u64 n, Bcast s, const T* __restrict__ a, \
                                                     const T* __restrict__ b, T* __restrict__ y) { \
        binary_bcast<Op, T>(n, s, a, b, y);                                        \
    }

BINARY(add, AddOp, float, f32)
BINARY(sub, SubOp, float, f32)
BINARY(mul, MulOp, float, f32)
BINARY(div, DivOp, float, f32)
