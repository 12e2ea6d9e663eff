// out[c, i] = scale[c] · in[c, i] + shift[c] on a planar [C, pixels] tensor:
// ImageNet normalization and its backward. One element per invocation.
struct Params { pixels: u32, n: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
// (scale, shift) per channel.
@group(0) @binding(3) var<storage, read> coeffs: array<vec2<f32>>;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * 256u + li;
  if (i < p.n) {
    let k = coeffs[i / p.pixels];
    output[i] = fma(k.x, input[i], k.y);
  }
}
