// Shared by every kernel: pasted in front of each shader body when its module is built
// (WGSL has no includes).

// Threads per workgroup of the one-dimensional kernels.
const WG_SIZE: u32 = 256u;

// Built-ins of a one-dimensional kernel. Workgroups are laid out over x and y because a
// dispatch may have at most 65535 workgroups per dimension.
struct Ids {
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
}

// Flat index of this thread over the whole x*y grid.
fn flat_index(ids: Ids) -> u32 {
    return (ids.wid.y * ids.nwg.x + ids.wid.x) * WG_SIZE + ids.lid;
}

// Flat index of this workgroup over the x*y grid (uniform across the workgroup).
fn flat_group(ids_wid: vec3<u32>, ids_nwg: vec3<u32>) -> u32 {
    return ids_wid.y * ids_nwg.x + ids_wid.x;
}
