// Elementwise kernels. Unary ones read `a`; binary ones read `a` and `b` through
// broadcast strides (0 along broadcast dimensions), with dimensions coalesced on the host.

struct Shape {
    n: u32,          // output elements
    rank: u32,       // dimensions in use (<= 8)
    _pad0: u32,
    _pad1: u32,
    dims: array<vec4<u32>, 2>,
    a_strides: array<vec4<u32>, 2>,
    b_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Shape;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// ---- unary ----

@compute @workgroup_size(256)
fn unary_relu(ids: Ids) {
    let i = flat_index(ids);
    if (i >= p.n) { return; }
    let x = a[i];
    out[i] = select(0.0, x, x > 0.0);
}

@compute @workgroup_size(256)
fn unary_sigmoid(ids: Ids) {
    let i = flat_index(ids);
    if (i >= p.n) { return; }
    // Split by sign so exp never overflows to inf/inf.
    let x = a[i];
    let e = exp(-abs(x));
    out[i] = select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

@compute @workgroup_size(256)
fn unary_tanh(ids: Ids) {
    let i = flat_index(ids);
    if (i >= p.n) { return; }
    // Some drivers compute tanh as a ratio of exponentials that turns into NaN for large
    // |x|; this form stays finite everywhere.
    let x = a[i];
    let e = exp(-2.0 * abs(x));
    let t = (1.0 - e) / (1.0 + e);
    out[i] = select(-t, t, x >= 0.0);
}

@compute @workgroup_size(256)
fn unary_exp(ids: Ids) {
    let i = flat_index(ids);
    if (i >= p.n) { return; }
    out[i] = exp(a[i]);
}

// ---- binary, with broadcasting ----

// Offsets into a and b of output element i.
fn offsets(i: u32) -> vec2<u32> {
    // One dimension (the common same-shape or scalar case): no division needed.
    if (p.rank <= 1u) {
        return vec2<u32>(i * p.a_strides[0][0], i * p.b_strides[0][0]);
    }
    var rem = i;
    var oa = 0u;
    var ob = 0u;
    for (var d = p.rank; d > 0u; d = d - 1u) {
        let k = d - 1u;
        let size = p.dims[k / 4u][k % 4u];
        let c = rem % size;
        rem = rem / size;
        oa = oa + c * p.a_strides[k / 4u][k % 4u];
        ob = ob + c * p.b_strides[k / 4u][k % 4u];
    }
    return vec2<u32>(oa, ob);
}

@compute @workgroup_size(256)
fn binary_add(ids: Ids) {
    let i = flat_index(ids);
    if (i >= p.n) { return; }
    let o = offsets(i);
    out[i] = a[o.x] + b[o.y];
}

@compute @workgroup_size(256)
fn binary_sub(ids: Ids) {
    let i = flat_index(ids);
    if (i >= p.n) { return; }
    let o = offsets(i);
    out[i] = a[o.x] - b[o.y];
}

@compute @workgroup_size(256)
fn binary_mul(ids: Ids) {
    let i = flat_index(ids);
    if (i >= p.n) { return; }
    let o = offsets(i);
    out[i] = a[o.x] * b[o.y];
}

@compute @workgroup_size(256)
fn binary_div(ids: Ids) {
    let i = flat_index(ids);
    if (i >= p.n) { return; }
    let o = offsets(i);
    out[i] = a[o.x] / b[o.y];
}
