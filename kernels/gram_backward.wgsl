// grad[N, M] (+)= diff[N, N] · F[N, M]: the Gram loss's gradient w.r.t. the
// feature map. A GEMM with a short K = N and a long output: workgroup w owns
// the 64×64 output tile (row tile w % row_tiles, column tile w / row_tiles),
// 128 invocations as 16×8, each owning 8×4 outputs (rows 8·ly.., columns
// 4·lx..), the same register tiling as gram.wgsl.
struct Params { n: u32, m: u32, row_tiles: u32, tiles: u32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> diff: array<f32>;
@group(0) @binding(2) var<storage, read> f: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;

const TILE = 64u;
const KT = 16u;
const WG = 128u;
// ta: diff tile [KT][64 rows]; tb: F tile [KT][64 columns]; four per vec4.
var<workgroup> ta: array<vec4<f32>, 256>;
var<workgroup> tb: array<vec4<f32>, 256>;

fn store(row: u32, col: u32, v: vec4<f32>) {
  if (row >= p.n) {
    return;
  }
  let o = row * p.m;
  for (var j = 0u; j < 4u; j++) {
    if (col + j < p.m) {
      if (p.accumulate == 1u) {
        grad[o + col + j] += v[j];
      } else {
        grad[o + col + j] = v[j];
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
  for (var k = 0u; k < p.n; k += KT) {
    for (var q = 0u; q < 8u; q++) {
      let e = li + q * WG;
      // diff: consecutive invocations read along a row (k).
      let r = e / KT;
      let ka = e % KT;
      var va = 0.0;
      if (row0 + r < p.n && k + ka < p.n) {
        va = diff[(row0 + r) * p.n + k + ka];
      }
      ta[ka * 16u + r / 4u][r % 4u] = va;
      // F: consecutive invocations read consecutive pixels.
      let kb = e / TILE;
      let cb = e % TILE;
      var vb = 0.0;
      if (k + kb < p.n && col0 + cb < p.m) {
        vb = f[(k + kb) * p.m + col0 + cb];
      }
      tb[kb * 16u + cb / 4u][cb % 4u] = vb;
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
