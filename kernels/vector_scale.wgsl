// x *= c over the first n floats, in place. The coefficient c = k · s[a] · (s[b] − s[c])
// comes from a GPU scalars buffer (the L-BFGS initial Hessian scale, for one);
// an index of 0xffffffff stands for 1 (a, b) or 0 (c).
struct Params { n: u32, a: u32, b: u32, c: u32, k: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> s: array<f32>;

const NONE = 0xffffffffu;
const WG = 256u;

fn slot(i: u32, otherwise: f32) -> f32 {
  if (i == NONE) {
    return otherwise;
  }
  return s[i];
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * WG + li;
  if (i >= p.n) {
    return;
  }
  x[i] *= p.k * slot(p.a, 1.0) * (slot(p.b, 1.0) - slot(p.c, 0.0));
}
