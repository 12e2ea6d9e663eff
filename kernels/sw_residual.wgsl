// The sliced Wasserstein residual and its scatter back to pixel order. For
// each sorted projection sorted[k, i] (sorted in place in `proj`) with
// original pixel idx[k, i]: r = sorted[k, i] − target[k, i] replaces the
// sorted value (the loss is then a dot product of `proj` with itself) and
// dproj[k, idx[k, i]] = scale · r, scale = 2·weight/(K·M). Every pixel of a
// row appears once in idx, so the scatter writes each output exactly once.
struct Params { count: u32, m: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> proj: array<f32>;
@group(0) @binding(2) var<storage, read> target_sorted: array<f32>;
@group(0) @binding(3) var<storage, read> idx: array<u32>;
@group(0) @binding(4) var<storage, read_write> dproj: array<f32>;

const WG = 256u;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.count) {
    return;
  }
  let r = proj[e] - target_sorted[e];
  proj[e] = r;
  dproj[e - e % p.m + idx[e]] = p.scale * r;
}
