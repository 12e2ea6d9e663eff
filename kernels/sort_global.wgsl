// One bitonic stage whose stride reaches across 2048-element tiles, straight
// in global memory: comparator c of row c / half joins positions i < l of
// that row (stride j of merge size k; the merge's first stride k/2 is the
// flip comparator i ↔ i ^ (k − 1)). Same network, key order and tie rule as
// sort_local.wgsl; comparators that reach past the row length n are skipped.
struct Params { n: u32, half: u32, count: u32, k: u32, j: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> values: array<u32>;
@group(0) @binding(2) var<storage, read_write> payload: array<u32>;

const WG = 256u;

fn to_key(bits: u32) -> u32 {
  return bits ^ select(0x80000000u, 0xffffffffu, (bits & 0x80000000u) != 0u);
}

// Global positions (row offset added) of comparator c, or l = 0xffffffff to skip.
fn pair(c: u32) -> vec2u {
  let row = c / p.half;
  let q = c % p.half;
  let i = (q / p.j) * 2u * p.j + q % p.j;
  let l = select(i + p.j, i ^ (p.k - 1u), p.j * 2u == p.k);
  if (l >= p.n) {
    return vec2u(0u, 0xffffffffu);
  }
  return vec2u(row * p.n + i, row * p.n + l);
}

@compute @workgroup_size(256)
fn sort_keys(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.count) {
    return;
  }
  let q = pair(c);
  if (q.y == 0xffffffffu) {
    return;
  }
  let a = values[q.x];
  let b = values[q.y];
  if (to_key(a) > to_key(b)) {
    values[q.x] = b;
    values[q.y] = a;
  }
}

@compute @workgroup_size(256)
fn sort_pairs(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.count) {
    return;
  }
  let q = pair(c);
  if (q.y == 0xffffffffu) {
    return;
  }
  let a = values[q.x];
  let b = values[q.y];
  let ka = to_key(a);
  let kb = to_key(b);
  let ia = payload[q.x];
  let ib = payload[q.y];
  if (ka > kb || (ka == kb && ia > ib)) {
    values[q.x] = b;
    values[q.y] = a;
    payload[q.x] = ib;
    payload[q.y] = ia;
  }
}
