// ReLU's backward pass in place: the gradient survives where the activation
// is positive. Pre- and post-ReLU activations have the same sign test.
// Four elements per invocation: a software adapter pays per load, not per
// byte. Buffers hold whole vec4s (the engine rounds sizes up to 16 bytes);
// elements past n keep their values.
struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> grad: array<vec4f>;
@group(0) @binding(2) var<storage, read> activation: array<vec4f>;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * 256u + li;
  if (i * 4u >= p.n) {
    return;
  }
  let g = grad[i];
  let kept = select(vec4f(0.0), g, activation[i] > vec4f(0.0));
  grad[i] = select(g, kept, vec4u(i * 4u) + vec4u(0u, 1u, 2u, 3u) < vec4u(p.n));
}
