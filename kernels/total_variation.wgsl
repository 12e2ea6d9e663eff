// Squared total variation of a planar [C, H, W] image and its gradient:
//   E = Σ_c Σ_(y,x) (v[y, x + 1] − v[y, x])² + (v[y + 1, x] − v[y, x])²
// (differences inside the image only), with
//   ∂E/∂v[y, x] = 2·(4-neighbour Laplacian terms that exist), times weight,
// added to grad. Each invocation owns one pixel and gathers its neighbours,
// so no two write one address; r holds each pixel's forward differences for
// a fixed-order reduction.
struct Params { height: u32, width: u32, n: u32, weight: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> r: array<f32>;

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
  let x = i % p.width;
  let y = (i / p.width) % p.height;
  let c = v[i];
  var g = 0.0;
  var e = 0.0;
  if (x + 1u < p.width) {
    let d = v[i + 1u] - c;
    g -= d;
    e += d * d;
  }
  if (x > 0u) {
    g += c - v[i - 1u];
  }
  if (y + 1u < p.height) {
    let d = v[i + p.width] - c;
    g -= d;
    e += d * d;
  }
  if (y > 0u) {
    g += c - v[i - p.width];
  }
  r[i] = e;
  grad[i] += 2.0 * p.weight * g;
}
