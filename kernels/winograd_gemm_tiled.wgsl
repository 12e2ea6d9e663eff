// The batched GEMM between the Winograd transforms, for GPUs: for each of
// the 36 transform points ξ,
//
//   m[ξ][row][t] = Σ_k u[ξ][k][row] · v[ξ][k][t],
//
// rows the output channels and k the input channels (or, for the input
// gradient, the other way round), t the tiles. One workgroup of 8×8
// invocations owns 32 rows × 32 tiles of one point ξ; each invocation owns
// 4 rows × 4 tiles (one vec4 of tiles). Per step of KT k values the
// workgroup stages the 32 rows' weights and the 32 tiles' operands in
// workgroup memory, two vec4 loads each per invocation, and every staged
// value then serves 32 multiply-adds (the shape of TensorFlow.js's and ONNX
// Runtime Web's `matmul_packed`). Software adapters take the register-block
// kernels of src/ops/winograd_gemm_source.ts instead.
//
// u is the slab layout of src/ops/winograd.ts, [36][rows / 32][kRows][32]:
// a workgroup's weights for one k step are 8 consecutive vec4s. Its element
// type W4 (vec4f, or vec4<f16> with shader-f16) is declared by the code that
// loads this module; sums are f32 either way. Sums run per KT step and are
// then added to the running totals, as the software kernels' chunks do, so
// both families round alike. (Chunk sums are reset by assignment: not every
// WGSL compiler re-zeroes a `var` declared in a loop.)

struct Params {
  // k steps to sum over (a multiple of 4; slabs and v hold zeros past k).
  kRows: u32,
  // Row length of v and of the output, in vec4s of tiles (a multiple of 8).
  n4: u32,
  // Rows of the output per point ξ, in vec4s (the rows padded to 32, / 4).
  mRows4: u32,
  // Workgroup blocks along the rows and along the tiles per point ξ.
  mBlocks: u32,
  nBlocks: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> u: array<W4>;
// [36][kRows][n4] vec4s.
@group(0) @binding(2) var<storage, read> v: array<vec4f>;
// [36][rows padded to 32][n4] vec4s.
@group(0) @binding(3) var<storage, read_write> m: array<vec4f>;

const KT = 16u;
// [KT][8] vec4s each: k step kk's 32 rows (ta) and 32 tiles (tb).
var<workgroup> ta: array<vec4f, 128>;
var<workgroup> tb: array<vec4f, 128>;

@compute @workgroup_size(8, 8)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let w = wid.x + wid.y * nwg.x;
  let perXi = p.mBlocks * p.nBlocks;
  // Whole workgroups leave together, so the barriers below stay uniform.
  if (w >= 36u * perXi) {
    return;
  }
  let xi = w / perXi;
  let mb = (w % perXi) / p.nBlocks;
  let nb = w % p.nBlocks;
  let uBase = (xi * (p.mRows4 / 8u) + mb) * p.kRows * 8u;
  let vBase = xi * p.kRows * p.n4 + nb * 8u;

  var c0 = vec4f(0.0);
  var c1 = vec4f(0.0);
  var c2 = vec4f(0.0);
  var c3 = vec4f(0.0);
  var t0: vec4f;
  var t1: vec4f;
  var t2: vec4f;
  var t3: vec4f;
  for (var k0 = 0u; k0 < p.kRows; k0 += KT) {
    // Staging: element e = li + 64·q is k step e / 8, vec4 e % 8.
    for (var q = 0u; q < 2u; q++) {
      let e = li + q * 64u;
      let k = k0 + e / 8u;
      var a = vec4f(0.0);
      var b = vec4f(0.0);
      if (k < p.kRows) {
        a = vec4f(u[uBase + k * 8u + e % 8u]);
        b = v[vBase + k * p.n4 + e % 8u];
      }
      ta[e] = a;
      tb[e] = b;
    }
    workgroupBarrier();
    t0 = vec4f(0.0);
    t1 = vec4f(0.0);
    t2 = vec4f(0.0);
    t3 = vec4f(0.0);
    for (var kk = 0u; kk < KT; kk++) {
      let a = ta[kk * 8u + lid.y];
      let b = tb[kk * 8u + lid.x];
      t0 = fma(vec4f(a.x), b, t0);
      t1 = fma(vec4f(a.y), b, t1);
      t2 = fma(vec4f(a.z), b, t2);
      t3 = fma(vec4f(a.w), b, t3);
    }
    c0 += t0;
    c1 += t1;
    c2 += t2;
    c3 += t3;
    workgroupBarrier();
  }
  let at = (xi * p.mRows4 * 4u + mb * 32u + lid.y * 4u) * p.n4 + nb * 8u + lid.x;
  m[at] = c0;
  m[at + p.n4] = c1;
  m[at + 2u * p.n4] = c2;
  m[at + 3u * p.n4] = c3;
}
