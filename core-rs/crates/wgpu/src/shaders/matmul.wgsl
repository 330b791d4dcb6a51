// Tiled matrix multiply: out[b] = alpha * A[b] x B[b] (+ beta * C), for MatMul (batched,
// broadcast batch dimensions) and Gemm (transposes, alpha, beta, broadcast C).
//
// Operands are read through strides, so a transpose is just swapped strides:
// A(m, k) = a[a_batch + m * a_rs + k * a_cs], B(k, n) = b[b_batch + k * b_rs + n * b_cs],
// C(m, n) = c[m * c_rs + n * c_cs] (0 strides broadcast). The output is contiguous
// [batch, M, N].
//
// A workgroup of 16x16 threads computes a (16 TM)x(16 TM) output tile, each thread a
// TMxTM block (rows ty + 16 i, columns tx + 16 j, so neighbouring threads read
// neighbouring shared memory words). K advances in steps of 16 through workgroup memory.
// TM (1, 2 or 4) is set by the host in a line put in front of this file: small outputs
// take small tiles so that fewer threads idle.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    batch: u32,
    tiles_m: u32,
    tiles_n: u32,
    batch_rank: u32,   // batch dimensions in use (<= 8)
    has_c: u32,
    a_rs: u32,
    a_cs: u32,
    b_rs: u32,
    b_cs: u32,
    c_rs: u32,
    c_cs: u32,
    alpha: f32,
    beta: f32,
    batch_dims: array<vec4<u32>, 2>,
    a_bstrides: array<vec4<u32>, 2>,
    b_bstrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const BM: u32 = 16u * TM;
const BN: u32 = 16u * TM;
const BK: u32 = 16u;

var<workgroup> tile_a: array<f32, BK * BM>;  // [BK][BM]
var<workgroup> tile_b: array<f32, BK * BN>;  // [BK][BN]

@compute @workgroup_size(16, 16)
fn matmul(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    // Uniform across the workgroup, so the barriers below stay in uniform control flow.
    let tile = flat_group(wid, nwg);
    let per_batch = p.tiles_m * p.tiles_n;
    if (tile >= per_batch * p.batch) { return; }
    let bi = tile / per_batch;
    let t = tile % per_batch;
    let row0 = (t / p.tiles_n) * BM;
    let col0 = (t % p.tiles_n) * BN;

    // Batch offsets of A and B (innermost batch dimension last).
    var rem = bi;
    var oa = 0u;
    var ob = 0u;
    for (var d = p.batch_rank; d > 0u; d = d - 1u) {
        let q = d - 1u;
        let size = p.batch_dims[q / 4u][q % 4u];
        let ci = rem % size;
        rem = rem / size;
        oa = oa + ci * p.a_bstrides[q / 4u][q % 4u];
        ob = ob + ci * p.b_bstrides[q / 4u][q % 4u];
    }

    var acc: array<f32, TM * TM>;
    for (var k0 = 0u; k0 < p.k; k0 = k0 + BK) {
        // Each thread stages TM elements of each tile; k runs fastest for A and n for
        // B, which reads contiguous memory when the operands are not transposed.
        for (var r = 0u; r < TM; r = r + 1u) {
            let e = li + r * 256u;
            let ak = e % BK;
            let am = e / BK;
            let gm = row0 + am;
            let gk = k0 + ak;
            var va = 0.0;
            if (gm < p.m && gk < p.k) {
                va = a[oa + gm * p.a_rs + gk * p.a_cs];
            }
            tile_a[ak * BM + am] = va;

            let bn = e % BN;
            let bk = e / BN;
            let gn = col0 + bn;
            let gk2 = k0 + bk;
            var vb = 0.0;
            if (gn < p.n && gk2 < p.k) {
                vb = b[ob + gk2 * p.b_rs + gn * p.b_cs];
            }
            tile_b[bk * BN + bn] = vb;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < BK; kk = kk + 1u) {
            var ar: array<f32, TM>;
            var br: array<f32, TM>;
            for (var i = 0u; i < TM; i = i + 1u) {
                ar[i] = tile_a[kk * BM + lid.y + 16u * i];
                br[i] = tile_b[kk * BN + lid.x + 16u * i];
            }
            for (var i = 0u; i < TM; i = i + 1u) {
                for (var j = 0u; j < TM; j = j + 1u) {
                    acc[i * TM + j] = fma(ar[i], br[j], acc[i * TM + j]);
                }
            }
        }
        workgroupBarrier();
    }

    let base = bi * p.m * p.n;
    for (var i = 0u; i < TM; i = i + 1u) {
        let row = row0 + lid.y + 16u * i;
        if (row >= p.m) { continue; }
        for (var j = 0u; j < TM; j = j + 1u) {
            let col = col0 + lid.x + 16u * j;
            if (col >= p.n) { continue; }
            var v = p.alpha * acc[i * TM + j];
            if (p.has_c != 0u) {
                v = v + p.beta * c[row * p.c_rs + col * p.c_cs];
            }
            out[base + row * p.n + col] = v;
        }
    }
}
