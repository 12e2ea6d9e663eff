// Completes a new L-BFGS history pair on the GPU: from y·s and y·y (already
// reduced into the scalars buffer) it stores ρ = 1/(y·s) and the initial
// inverse-Hessian scale H = (y·s)/(y·y), as torch.optim.LBFGS does. The CPU
// admits the pair from its own estimate of y·s; should the exact f32 value
// disagree (y·s ≤ 1e-10), ρ = 0 makes the pair a no-op in the two-loop
// recursion and H keeps its previous value, so no division blows up.
struct Params { ys: u32, yy: u32, rho: u32, h: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> scalars: array<f32>;

@compute @workgroup_size(1)
fn main() {
  let ys = scalars[p.ys];
  let yy = scalars[p.yy];
  if (ys > 1e-10 && yy > 0.0) {
    scalars[p.rho] = 1.0 / ys;
    scalars[p.h] = ys / yy;
  } else {
    scalars[p.rho] = 0.0;
  }
}
