// Resamples sorted exemplar projections (rows of mt values) to rows of m
// values by nearest rank: dst[k, i] = src[k, rank[i]], where the caller's
// rank[i] = min(mt − 1, ⌊(i + ½)·mt / m⌋) is the quantile of output rank i.
struct Params { count: u32, m: u32, mt: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> rank: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

const WG = 256u;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.count) {
    return;
  }
  let k = e / p.m;
  dst[e] = src[k * p.mt + rank[e - k * p.m]];
}
