// The squared distance of features to a target and its gradient:
//   r[i] = f[i] − t[i],  grad[i] (+)= 2·weight·r[i]
// r is stored so that E = weight · Σ r² is reduced in a fixed order.
struct Params { n: u32, weight: f32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> features: array<f32>;
@group(0) @binding(2) var<storage, read> target_features: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> residual: array<f32>;

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
  let r = features[i] - target_features[i];
  residual[i] = r;
  let g = 2.0 * p.weight * r;
  if (p.accumulate != 0u) {
    grad[i] += g;
  } else {
    grad[i] = g;
  }
}
