// ReLU's backward pass in place: the gradient survives where the activation
// is positive. Pre- and post-ReLU activations have the same sign test.
struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> grad: array<f32>;
@group(0) @binding(2) var<storage, read> activation: array<f32>;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * 256u + li;
  if (i < p.n) {
    grad[i] = select(0.0, grad[i], activation[i] > 0.0);
  }
}
