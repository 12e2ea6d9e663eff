// 3×3 convolution, stride 1, padding 1, as an implicit GEMM:
//   out[co, n] = act(bias[co] + Σ_k w[k, co] · x̂[k, n]),
// with k = tap·cin + ci running over the 9 taps and the input channels, n
// over the H·W pixels, and x̂[k, n] the input pixel shifted by the tap (0
// outside the image for zero padding, wrapped for circular). The patch
// matrix x̂ is never stored: its tiles are gathered from the planar input.
//
// A workgroup of 64 invocations computes a TM × TN tile (output channels ×
// pixels, TM·TN = 8192), staging TK-deep slices of w and x̂ in workgroup
// memory; each invocation keeps an 8 × 16 block of the tile in registers, so
// every value it reads from a tile feeds 16 or 8 multiply-adds (loads, not
// arithmetic, bound a software adapter such as llvmpipe). TM is chosen per
// layer (32…256) so that few channels or few pixels waste little of a tile.
// Taps are the outer loop, so each invocation works out the shifted source
// offsets of the pixels it stages once per tap, not once per element.
//
// The input gradient is this same GEMM on the transposed, flipped weights
// (see src/ops/conv3x3.ts), with zero bias and `accumulate` to add into the
// gradient already there.

// Output channels per tile: 32, 64, 128 or 256.
override TM: u32 = 64u;

const THREADS = 64u;
const TILE = 8192u;
const TK = 8u;

struct Params {
  height: u32,
  width: u32,
  cin: u32,
  cout: u32,
  // Length of one weight row in vec4s: ceil(cout / 4); rows are zero-padded.
  cout4: u32,
  // Output-channel tiles, ceil(cout / TM); the linear tile index is
  // pixelTile · mTiles + channelTile.
  mTiles: u32,
  tiles: u32,
  circular: u32,
  relu: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
// Weights as [9][cin][cout4] vec4s: w[(tap·cin + ci)·cout4 + co/4][co%4].
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// [TK][TM / 4] and [TK][TN / 4] vec4s, sized for TM or TN up to 256 (16 KiB).
var<workgroup> tileW: array<vec4<f32>, 512>;
var<workgroup> tileX: array<vec4<f32>, 512>;

fn emit(co: u32, n: u32, v: f32) {
  let hw = p.height * p.width;
  if (n >= hw) {
    return;
  }
  let i = co * hw + n;
  var r = v;
  if (p.relu == 1u) {
    r = max(r, 0.0);
  }
  if (p.accumulate == 1u) {
    r += out[i];
  }
  out[i] = r;
}

fn emit4(co: u32, n0: u32, v: vec4<f32>) {
  emit(co, n0, v.x);
  emit(co, n0 + 1u, v.y);
  emit(co, n0 + 2u, v.z);
  emit(co, n0 + 3u, v.w);
}

// Stores row `co` of the invocation's block: four quads of pixels, at n0,
// n0 + stride, n0 + 2·stride and n0 + 3·stride.
fn emitRow(
  co: u32,
  n0: u32,
  stride: u32,
  v0: vec4<f32>,
  v1: vec4<f32>,
  v2: vec4<f32>,
  v3: vec4<f32>,
) {
  if (co >= p.cout) {
    return;
  }
  let b = vec4f(bias[co]);
  emit4(co, n0, v0 + b);
  emit4(co, n0 + stride, v1 + b);
  emit4(co, n0 + 2u * stride, v2 + b);
  emit4(co, n0 + 3u * stride, v3 + b);
}

@compute @workgroup_size(THREADS)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let tile = wid.x + wid.y * nwg.x;
  if (tile >= p.tiles) {
    return;
  }
  let tn = TILE / TM;
  let wCols = TM / 4u;
  let xCols = tn / 4u;
  let mTile = tile % p.mTiles;
  let nTile = tile / p.mTiles;
  let hw = p.height * p.width;
  let h = i32(p.height);
  let wd = i32(p.width);

  // Staging role: weight column wq and pixel quad xq of the tiles, on
  // slice rows li / cols, li / cols + THREADS / cols, …
  let wq = li % wCols;
  let m4 = mTile * wCols + wq;
  let xq = li % xCols;
  let pix = vec4u(nTile * tn + xq * 4u) + vec4u(0u, 1u, 2u, 3u);
  let inImage = pix < vec4u(hw);
  let py = vec4i(pix / p.width);
  let px = vec4i(pix % p.width);

  // Compute role: 8 output channels × 16 pixels of the tile, the pixels as
  // quads bn, bn + blockCols, … so that neighbouring invocations read
  // neighbouring vec4s of tileX (no bank conflicts on a GPU).
  let blockCols = tn / 16u;
  let bm = li / blockCols;
  let bn = li % blockCols;
  var r0a = vec4f(0.0);
  var r0b = vec4f(0.0);
  var r0c = vec4f(0.0);
  var r0d = vec4f(0.0);
  var r1a = vec4f(0.0);
  var r1b = vec4f(0.0);
  var r1c = vec4f(0.0);
  var r1d = vec4f(0.0);
  var r2a = vec4f(0.0);
  var r2b = vec4f(0.0);
  var r2c = vec4f(0.0);
  var r2d = vec4f(0.0);
  var r3a = vec4f(0.0);
  var r3b = vec4f(0.0);
  var r3c = vec4f(0.0);
  var r3d = vec4f(0.0);
  var r4a = vec4f(0.0);
  var r4b = vec4f(0.0);
  var r4c = vec4f(0.0);
  var r4d = vec4f(0.0);
  var r5a = vec4f(0.0);
  var r5b = vec4f(0.0);
  var r5c = vec4f(0.0);
  var r5d = vec4f(0.0);
  var r6a = vec4f(0.0);
  var r6b = vec4f(0.0);
  var r6c = vec4f(0.0);
  var r6d = vec4f(0.0);
  var r7a = vec4f(0.0);
  var r7b = vec4f(0.0);
  var r7c = vec4f(0.0);
  var r7d = vec4f(0.0);

  for (var tap = 0u; tap < 9u; tap++) {
    var sy = py + vec4i(i32(tap / 3u) - 1);
    var sx = px + vec4i(i32(tap % 3u) - 1);
    var inside = inImage;
    if (p.circular == 1u) {
      sy = (sy + vec4i(h)) % vec4i(h);
      sx = (sx + vec4i(wd)) % vec4i(wd);
    } else {
      inside = inside & (sy >= vec4i(0)) & (sy < vec4i(h)) & (sx >= vec4i(0)) & (sx < vec4i(wd));
    }
    let src = vec4u(select(vec4i(0), sy * wd + sx, inside));

    for (var c0 = 0u; c0 < p.cin; c0 += TK) {
      for (var kk = li / xCols; kk < TK; kk += THREADS / xCols) {
        let ci = c0 + kk;
        let base = min(ci, p.cin - 1u) * hw;
        let v = vec4f(x[base + src.x], x[base + src.y], x[base + src.z], x[base + src.w]);
        tileX[kk * xCols + xq] = select(vec4f(0.0), v, inside & vec4<bool>(ci < p.cin));
      }
      for (var kk = li / wCols; kk < TK; kk += THREADS / wCols) {
        let ci = c0 + kk;
        var v = vec4f(0.0);
        if (ci < p.cin && m4 < p.cout4) {
          v = w[(tap * p.cin + ci) * p.cout4 + m4];
        }
        tileW[kk * wCols + wq] = v;
      }
      workgroupBarrier();

      for (var kk = 0u; kk < TK; kk++) {
        let a0 = tileW[kk * wCols + bm * 2u];
        let a1 = tileW[kk * wCols + bm * 2u + 1u];
        let b0 = tileX[kk * xCols + bn];
        let b1 = tileX[kk * xCols + bn + blockCols];
        let b2 = tileX[kk * xCols + bn + 2u * blockCols];
        let b3 = tileX[kk * xCols + bn + 3u * blockCols];
        r0a = fma(vec4f(a0.x), b0, r0a);
        r0b = fma(vec4f(a0.x), b1, r0b);
        r0c = fma(vec4f(a0.x), b2, r0c);
        r0d = fma(vec4f(a0.x), b3, r0d);
        r1a = fma(vec4f(a0.y), b0, r1a);
        r1b = fma(vec4f(a0.y), b1, r1b);
        r1c = fma(vec4f(a0.y), b2, r1c);
        r1d = fma(vec4f(a0.y), b3, r1d);
        r2a = fma(vec4f(a0.z), b0, r2a);
        r2b = fma(vec4f(a0.z), b1, r2b);
        r2c = fma(vec4f(a0.z), b2, r2c);
        r2d = fma(vec4f(a0.z), b3, r2d);
        r3a = fma(vec4f(a0.w), b0, r3a);
        r3b = fma(vec4f(a0.w), b1, r3b);
        r3c = fma(vec4f(a0.w), b2, r3c);
        r3d = fma(vec4f(a0.w), b3, r3d);
        r4a = fma(vec4f(a1.x), b0, r4a);
        r4b = fma(vec4f(a1.x), b1, r4b);
        r4c = fma(vec4f(a1.x), b2, r4c);
        r4d = fma(vec4f(a1.x), b3, r4d);
        r5a = fma(vec4f(a1.y), b0, r5a);
        r5b = fma(vec4f(a1.y), b1, r5b);
        r5c = fma(vec4f(a1.y), b2, r5c);
        r5d = fma(vec4f(a1.y), b3, r5d);
        r6a = fma(vec4f(a1.z), b0, r6a);
        r6b = fma(vec4f(a1.z), b1, r6b);
        r6c = fma(vec4f(a1.z), b2, r6c);
        r6d = fma(vec4f(a1.z), b3, r6d);
        r7a = fma(vec4f(a1.w), b0, r7a);
        r7b = fma(vec4f(a1.w), b1, r7b);
        r7c = fma(vec4f(a1.w), b2, r7c);
        r7d = fma(vec4f(a1.w), b3, r7d);
      }
      workgroupBarrier();
    }
  }

  let co = mTile * TM + bm * 8u;
  let n0 = nTile * tn + bn * 4u;
  emitRow(co, n0, xCols, r0a, r0b, r0c, r0d);
  emitRow(co + 1u, n0, xCols, r1a, r1b, r1c, r1d);
  emitRow(co + 2u, n0, xCols, r2a, r2b, r2c, r2d);
  emitRow(co + 3u, n0, xCols, r3a, r3b, r3c, r3d);
  emitRow(co + 4u, n0, xCols, r4a, r4b, r4c, r4d);
  emitRow(co + 5u, n0, xCols, r5a, r5b, r5c, r5d);
  emitRow(co + 6u, n0, xCols, r6a, r6b, r6c, r6d);
  emitRow(co + 7u, n0, xCols, r7a, r7b, r7c, r7d);
}
