// c[R, M] (+)= A[R, KD] · b[KD, M], for products with a short inner
// dimension and a long output: the Gram loss's gradient diff·F, and the
// sliced Wasserstein projections P = D·F and their gradient ∂F = Dᵀ·∂P.
// A is read through strides (element (r, kk) at a[r·a_row + kk·a_col]), so
// a transposed A needs no copy. Short inner dimension,
// long output: workgroup w owns the 64×64 output tile (row tile
// w % row_tiles, column tile w / row_tiles), 128 invocations as 16×8, each
// owning 8×4 outputs, summed in a fixed order (deterministic).
struct Params {
  r: u32, kd: u32, m: u32, a_row: u32, a_col: u32, row_tiles: u32, tiles: u32, accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const TILE = 64u;
const KT = 16u;
const WG = 128u;
// ta: A tile [KT][64 rows]; tb: b tile [KT][64 columns]; four per vec4.
var<workgroup> ta: array<vec4<f32>, 256>;
var<workgroup> tb: array<vec4<f32>, 256>;

fn store(row: u32, col: u32, v: vec4<f32>) {
  if (row >= p.r) {
    return;
  }
  let o = row * p.m;
  for (var j = 0u; j < 4u; j++) {
    if (col + j < p.m) {
      if (p.accumulate == 1u) {
        c[o + col + j] += v[j];
      } else {
        c[o + col + j] = v[j];
      }
    }
  }
}

@compute @workgroup_size(16, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= p.tiles) {
    return;
  }
  let row0 = (w % p.row_tiles) * TILE;
  let col0 = (w / p.row_tiles) * TILE;
  let li = lid.y * 16u + lid.x;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  for (var k = 0u; k < p.kd; k += KT) {
    for (var q = 0u; q < 8u; q++) {
      let e = li + q * WG;
      let r = e / KT;
      let ka = e % KT;
      var va = 0.0;
      if (row0 + r < p.r && k + ka < p.kd) {
        va = a[(row0 + r) * p.a_row + (k + ka) * p.a_col];
      }
      ta[ka * 16u + r / 4u][r % 4u] = va;
      // b: consecutive invocations read consecutive pixels.
      let kb = e / TILE;
      let cb = e % TILE;
      var vb = 0.0;
      if (k + kb < p.kd && col0 + cb < p.m) {
        vb = b[(k + kb) * p.m + col0 + cb];
      }
      tb[kb * 16u + cb / 4u][cb % 4u] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      let a0 = ta[kk * 16u + lid.y * 2u];
      let a1 = ta[kk * 16u + lid.y * 2u + 1u];
      let bv = tb[kk * 16u + lid.x];
      acc0 += a0.x * bv;
      acc1 += a0.y * bv;
      acc2 += a0.z * bv;
      acc3 += a0.w * bv;
      acc4 += a1.x * bv;
      acc5 += a1.y * bv;
      acc6 += a1.z * bv;
      acc7 += a1.w * bv;
    }
    workgroupBarrier();
  }

  let row = row0 + lid.y * 8u;
  let col = col0 + lid.x * 4u;
  store(row, col, acc0);
  store(row + 1u, col, acc1);
  store(row + 2u, col, acc2);
  store(row + 3u, col, acc3);
  store(row + 4u, col, acc4);
  store(row + 5u, col, acc5);
  store(row + 6u, col, acc6);
  store(row + 7u, col, acc7);
}
