// Residual of the spectrum constraint and its gradient, from the projected
// image P (complex, real part used): gray = 1: r = g(x) − Re P with g the
// luma, grad_c += weight·w_c·r; gray = 0: r_c = x_c − Re P_c,
// grad_c += weight·r_c. r is stored so that E = ½ Σ r² can be reduced.
struct Params { n: u32, gray: u32, weight: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> projected: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> residual: array<f32>;

const LUMA = vec3<f32>(0.299, 0.587, 0.114);

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * 256u + li;
  let n = p.n;
  if (i >= n) {
    return;
  }
  if (p.gray == 1u) {
    let g = 0.299 * x[i] + 0.587 * x[n + i] + 0.114 * x[2u * n + i];
    let r = g - projected[i].x;
    residual[i] = r;
    for (var c = 0u; c < 3u; c++) {
      grad[c * n + i] += p.weight * LUMA[c] * r;
    }
  } else {
    for (var c = 0u; c < 3u; c++) {
      let r = x[c * n + i] - projected[c * n + i].x;
      residual[c * n + i] = r;
      grad[c * n + i] += p.weight * r;
    }
  }
}
