// Shared by every onnxrun CUDA kernel file: index type, grid-stride loop, and the
// broadcast descriptor the host side fills (src/broadcast.rs mirrors its layout).
#pragma once

typedef unsigned long long u64;

// Each thread handles elements i, i + stride, ...: one launch shape fits any size.
#define GRID_STRIDE_LOOP(i, n)                                                     \
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < (u64)(n);        \
         i += (u64)blockDim.x * gridDim.x)

#define MAX_DIMS 8

// Output dims (row-major, coalesced) and each operand's element stride per dim
// (0 where that operand is broadcast). Passed by value as a kernel parameter.
struct Bcast {
    u64 rank;
    u64 dims[MAX_DIMS];
    u64 sa[MAX_DIMS];
    u64 sb[MAX_DIMS];
};

// Offsets into both operands of output element i.
__device__ __forceinline__ void bcast_offsets(const Bcast& s, u64 i, u64& ia, u64& ib) {
    ia = 0;
    ib = 0;
    for (int d = (int)s.rank - 1; d >= 0; --d) {
        const u64 c = i % s.dims[d];
        i /= s.dims[d];
        ia += c * s.sa[d];
        ib += c * s.sb[d];
    }
}
