// A per-pixel linear map between planar [cin, n] and [cout, n] tensors:
//   out[o, i] = Σ_k m[o, k] · in[k, i] + shift[o]
// with 1 ≤ cin, cout ≤ 4. Colour space changes (RGB ↔ YIQ), gray to RGB,
// ImageNet normalization folded in, and their transposes (the backward).
// Terms are added in channel order, so results are deterministic.
struct Params { n: u32, cin: u32, cout: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
// Row o: m[o, 0 .. cin − 1], then shift[o]; rows cin + 1 floats apart.
@group(0) @binding(3) var<storage, read> coeffs: array<f32>;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * 256u + li;
  if (i >= p.n) {
    return;
  }
  var v = vec4<f32>(0.0);
  for (var k = 0u; k < p.cin; k++) {
    v[k] = input[k * p.n + i];
  }
  for (var o = 0u; o < p.cout; o++) {
    let row = o * (p.cin + 1u);
    var s = coeffs[row + p.cin];
    for (var k = 0u; k < p.cin; k++) {
      s = fma(coeffs[row + k], v[k], s);
    }
    output[o * p.n + i] = s;
  }
}
