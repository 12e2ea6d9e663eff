// A rectangle of a planar [C, H, W] tensor onto a rectangle of another, both
// addressed periodically: for each covered destination pixel (i, j),
//   dst[c, (dy + i) mod DH, (dx + j) mod DW] (+)= Σ src[c, (sy + a) mod SH, (sx + b) mod SW]
// over the a < eh, b < ew with a ≡ i (mod DH), b ≡ j (mod DW). One invocation
// owns one destination pixel and sums every source pixel that folds onto it,
// so a rectangle larger than the destination (a periodic image's margins)
// adds up without races or atomics.
struct Params {
  channels: u32,
  sh: u32, sw: u32, sy: i32, sx: i32,
  dh: u32, dw: u32, dy: i32, dx: i32,
  eh: u32, ew: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

// Unsigned remainders only: a signed % of a negative value differs between
// backends (naga's GLSL output leaves it to the driver, and llvmpipe's GL
// rounds it the other way).
fn wrap(v: i32, n: u32) -> u32 {
  if (v >= 0) {
    return u32(v) % n;
  }
  let r = u32(-v) % n;
  return select(n - r, 0u, r == 0u);
}

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let idx = (wid.x + wid.y * nwg.x) * 256u + li;
  let ch = min(p.eh, p.dh);
  let cw = min(p.ew, p.dw);
  if (idx >= p.channels * ch * cw) {
    return;
  }
  let j = idx % cw;
  let i = (idx / cw) % ch;
  let c = idx / (cw * ch);
  let srcPlane = c * p.sh * p.sw;
  var s = 0.0;
  for (var a = i; a < p.eh; a += p.dh) {
    let row = srcPlane + wrap(p.sy + i32(a), p.sh) * p.sw;
    for (var b = j; b < p.ew; b += p.dw) {
      s += src[row + wrap(p.sx + i32(b), p.sw)];
    }
  }
  let o = c * p.dh * p.dw + wrap(p.dy + i32(i), p.dh) * p.dw + wrap(p.dx + i32(j), p.dw);
  if (p.accumulate != 0u) {
    dst[o] += s;
  } else {
    dst[o] = s;
  }
}
