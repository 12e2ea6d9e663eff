// Bitonic sort stages that stay inside one 2048-element tile of a row, run in
// workgroup memory. Rows are `n` f32 values, unpadded: the network is the
// all-ascending ("flip") bitonic network over the next power of two, where
// every comparator puts the smaller value at the lower position. Positions
// ≥ n act as +∞ and are never moved by such a comparator, so comparators that
// reach past n are skipped instead of padding the row.
//
// Keys are the f32 bit patterns mapped to u32 so that unsigned order is the
// IEEE total order (−∞ < … < −0 < +0 < … < +∞). `sort_pairs` carries a u32
// payload and breaks key ties by it, so an index payload makes the sort stable.
//
// For k in [k_first, k_last] (powers of two) it runs the stages of merge
// size k with strides min(k/2, TILE/2) … 1; the first stride of a merge
// (k/2) is the flip comparator i ↔ i ^ (k − 1). One dispatch therefore does
// either a whole in-tile sort (k_first = 2) or the in-tile tail of a larger
// merge (k_first = k_last > TILE, no flip).
struct Params { n: u32, tiles: u32, count: u32, k_first: u32, k_last: u32, fill: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> values: array<u32>;
@group(0) @binding(2) var<storage, read_write> payload: array<u32>;

const TILE = 2048u;
const WG = 256u;
var<workgroup> keys: array<u32, 2048>;
var<workgroup> carried: array<u32, 2048>;

fn to_key(bits: u32) -> u32 {
  return bits ^ select(0x80000000u, 0xffffffffu, (bits & 0x80000000u) != 0u);
}

fn from_key(key: u32) -> u32 {
  return key ^ select(0xffffffffu, 0x80000000u, (key & 0x80000000u) != 0u);
}

// Local positions i < l of comparator c at merge size k, stride j.
fn pair(c: u32, k: u32, j: u32) -> vec2u {
  let i = (c / j) * 2u * j + c % j;
  return vec2u(i, select(i + j, i ^ (k - 1u), j * 2u == k));
}

@compute @workgroup_size(256)
fn sort_keys(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
             @builtin(num_workgroups) nwg: vec3u) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= p.count) {
    return;
  }
  let row = w / p.tiles;
  let start = (w % p.tiles) * TILE;
  let size = min(TILE, p.n - start);
  let base = row * p.n + start;
  for (var e = li; e < size; e += WG) {
    keys[e] = to_key(values[base + e]);
  }
  workgroupBarrier();
  for (var k = p.k_first; k <= p.k_last; k <<= 1u) {
    for (var j = min(k, TILE) / 2u; j > 0u; j >>= 1u) {
      for (var c = li; c < TILE / 2u; c += WG) {
        let q = pair(c, k, j);
        if (q.y < size) {
          let a = keys[q.x];
          let b = keys[q.y];
          if (a > b) {
            keys[q.x] = b;
            keys[q.y] = a;
          }
        }
      }
      workgroupBarrier();
    }
  }
  for (var e = li; e < size; e += WG) {
    values[base + e] = from_key(keys[e]);
  }
}

@compute @workgroup_size(256)
fn sort_pairs(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
              @builtin(num_workgroups) nwg: vec3u) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= p.count) {
    return;
  }
  let row = w / p.tiles;
  let start = (w % p.tiles) * TILE;
  let size = min(TILE, p.n - start);
  let base = row * p.n + start;
  for (var e = li; e < size; e += WG) {
    keys[e] = to_key(values[base + e]);
    carried[e] = select(payload[base + e], start + e, p.fill == 1u);
  }
  workgroupBarrier();
  for (var k = p.k_first; k <= p.k_last; k <<= 1u) {
    for (var j = min(k, TILE) / 2u; j > 0u; j >>= 1u) {
      for (var c = li; c < TILE / 2u; c += WG) {
        let q = pair(c, k, j);
        if (q.y < size) {
          let a = keys[q.x];
          let b = keys[q.y];
          let ia = carried[q.x];
          let ib = carried[q.y];
          if (a > b || (a == b && ia > ib)) {
            keys[q.x] = b;
            keys[q.y] = a;
            carried[q.x] = ib;
            carried[q.y] = ia;
          }
        }
      }
      workgroupBarrier();
    }
  }
  for (var e = li; e < size; e += WG) {
    values[base + e] = from_key(keys[e]);
    payload[base + e] = carried[e];
  }
}
