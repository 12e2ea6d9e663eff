// Partial Gram products F·Fᵀ over one K-chunk (K = M pixels). Workgroup w is
// (pair, chunk): pair names a 64×64 tile (bi, bj) of the upper block triangle
// (bi ≤ bj), chunk a run of `chunk` pixels. The tile's sums over that run go
// to partials[chunk] (an [N, N] slab); gram_finish adds the chunks in a fixed
// order, scales and mirrors, so no float atomics are needed. Lower-triangle
// tiles are never computed: they are the transposes of upper ones.
//
// 128 invocations as 16×8, each owning 8×4 outputs (rows 8·ly.., columns
// 4·lx..): each pixel step costs three vec4 loads from shared memory for 32
// FMAs, which beat 4×4 per invocation on llvmpipe as well.
struct Params { n: u32, m: u32, tiles: u32, pairs: u32, chunks: u32, chunk: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

const TILE = 64u;
const KT = 16u;
const WG = 128u;
// [KT][TILE] floats, four consecutive tile rows per vec4 (8 KiB together).
var<workgroup> ta: array<vec4<f32>, 256>;
var<workgroup> tb: array<vec4<f32>, 256>;

fn store(base: u32, row: u32, col: u32, v: vec4<f32>) {
  if (row >= p.n) {
    return;
  }
  let o = base + row * p.n;
  for (var j = 0u; j < 4u; j++) {
    if (col + j < p.n) {
      partials[o + col + j] = v[j];
    }
  }
}

@compute @workgroup_size(16, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= p.pairs * p.chunks) {
    return;
  }
  let c = w / p.pairs;
  var bi = 0u;
  var rem = w % p.pairs;
  while (rem >= p.tiles - bi) {
    rem -= p.tiles - bi;
    bi += 1u;
  }
  let row0 = bi * TILE;
  let col0 = (bi + rem) * TILE;
  let diagonal = rem == 0u;
  let k0 = c * p.chunk;
  let k1 = min(k0 + p.chunk, p.m);
  let li = lid.y * 16u + lid.x;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  for (var k = k0; k < k1; k += KT) {
    // Consecutive invocations read consecutive pixels of one channel row.
    for (var q = 0u; q < 8u; q++) {
      let e = li + q * WG;
      let r = e / KT;
      let kk = e % KT;
      let gk = k + kk;
      var va = 0.0;
      var vb = 0.0;
      if (gk < k1) {
        if (row0 + r < p.n) {
          va = f[(row0 + r) * p.m + gk];
        }
        // A diagonal tile multiplies a block by itself: load it once.
        if (diagonal) {
          vb = va;
        } else if (col0 + r < p.n) {
          vb = f[(col0 + r) * p.m + gk];
        }
      }
      ta[kk * 16u + r / 4u][r % 4u] = va;
      tb[kk * 16u + r / 4u][r % 4u] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      let a0 = ta[kk * 16u + lid.y * 2u];
      let a1 = ta[kk * 16u + lid.y * 2u + 1u];
      let b = tb[kk * 16u + lid.x];
      acc0 += a0.x * b;
      acc1 += a0.y * b;
      acc2 += a0.z * b;
      acc3 += a0.w * b;
      acc4 += a1.x * b;
      acc5 += a1.y * b;
      acc6 += a1.z * b;
      acc7 += a1.w * b;
    }
    workgroupBarrier();
  }

  let base = c * p.n * p.n;
  let row = row0 + lid.y * 8u;
  let col = col0 + lid.x * 4u;
  store(base, row, col, acc0);
  store(base, row + 1u, col, acc1);
  store(base, row + 2u, col, acc2);
  store(base, row + 3u, col, acc3);
  store(base, row + 4u, col, acc4);
  store(base, row + 5u, col, acc5);
  store(base, row + 6u, col, acc6);
  store(base, row + 7u, col, acc7);
}
