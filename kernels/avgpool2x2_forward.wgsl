// 2×2 average pooling, stride 2, as torch's AvgPool2d(2, 2): the output is
// ⌊H/2⌋ × ⌊W/2⌋ and an odd last row or column is dropped. One output
// element per invocation.
struct Params { channels: u32, height: u32, width: u32, outHeight: u32, outWidth: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * 256u + li;
  let plane = p.outHeight * p.outWidth;
  if (i >= p.channels * plane) {
    return;
  }
  let c = i / plane;
  let r = i % plane;
  let y = 2u * (r / p.outWidth);
  let x = 2u * (r % p.outWidth);
  let top = (c * p.height + y) * p.width + x;
  let bottom = top + p.width;
  output[i] = 0.25 * ((input[top] + input[top + 1u]) + (input[bottom] + input[bottom + 1u]));
}
