// Gemm's C term: y[r, c] = beta * C[r * c_rs + c * c_cs] over an m x n output, with a
// zero stride on each axis C is broadcast along. cuBLAS then accumulates alpha*A*B into y.
#include "common.cuh"

extern "C" __global__ void gemm_bias_f32(u64 m, u64 n, const float* __restrict__ c, u64 c_rs, u64 c_cs,
                                         float beta, float* __restrict__ y) {
    GRID_STRIDE_LOOP(i, m * n) {
        const u64 r = i / n;
        const u64 col = i - r * n;
        y[i] = beta * c[r * c_rs + col * c_cs];
    }
}
