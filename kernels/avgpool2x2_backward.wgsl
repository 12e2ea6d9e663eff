// Input gradient of 2×2 average pooling: each input pixel gets a quarter of
// its window's output gradient, and 0 on the odd row or column the forward
// dropped. One input element per invocation, so every element is written.
struct Params { channels: u32, height: u32, width: u32, outHeight: u32, outWidth: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gradOut: array<f32>;
@group(0) @binding(2) var<storage, read_write> gradIn: array<f32>;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * 256u + li;
  let plane = p.height * p.width;
  if (i >= p.channels * plane) {
    return;
  }
  let c = i / plane;
  let r = i % plane;
  let oy = (r / p.width) / 2u;
  let ox = (r % p.width) / 2u;
  var g = 0.0;
  if (oy < p.outHeight && ox < p.outWidth) {
    g = 0.25 * gradOut[(c * p.outHeight + oy) * p.outWidth + ox];
  }
  gradIn[i] = g;
}
