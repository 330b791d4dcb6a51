// Elementwise activations: y[i] = f(x[i]). One functor per op; the entry points are
// stamped out per element type by UNARY below.
#include "common.cuh"

struct ReluOp {
    // NaN < 0 is false, so NaN propagates as in max(x, 0) of the ONNX reference.
    __device__ float operator()(float x) const { return x < 0.0f ? 0.0f : x; }
};

struct SigmoidOp {
    // Two forms so expf never overflows: for x < 0 use e^x / (1 + e^x).
    __device__ float operator()(float x) const {
        if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
        const float e = expf(x);
        return e / (1.0f + e);
    }
};

struct TanhOp {
    __device__ float operator()(float x) const { return tanhf(x); }
};

template <typename Op, typename T>
__device__ void unary_map(u64 n, const T* __restrict__ x, T* __restrict__ y) {
    const Op op;
    GRID_STRIDE_LOOP(i, n) { y[i] = op(x[i]); }
}

#define UNARY(name, Op, T)                                                         \
    extern "C" __global__ void name(u64 n, const T* __restrict__ x, T* __restrict__ y) { \
        unary_map<Op, T>(n, x, y);                                                 \
    }

UNARY(relu_f32, ReluOp, float)
UNARY(sigmoid_f32, SigmoidOp, float)
UNARY(tanh_f32, TanhOp, float)
