// Second stage of the Gram matrix: out[i, j] = scale · Σ_c partials[c][lo, hi]
// with (lo, hi) = (min(i, j), max(i, j)), the chunks added in index order.
// Reading the upper entry for both (i, j) and (j, i) fills the lower triangle
// that gram.wgsl skipped and makes the result exactly symmetric. With
// `accumulate` the result is added to `out` (a Gram matrix summed over parts).
struct Params { n: u32, chunks: u32, scale: f32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let idx = (wid.x + wid.y * nwg.x) * 256u + li;
  let nn = p.n * p.n;
  if (idx >= nn) {
    return;
  }
  let i = idx / p.n;
  let j = idx % p.n;
  let src = min(i, j) * p.n + max(i, j);
  var s = 0.0;
  for (var c = 0u; c < p.chunks; c++) {
    s += partials[c * nn + src];
  }
  if (p.accumulate != 0u) {
    out[idx] += p.scale * s;
  } else {
    out[idx] = p.scale * s;
  }
}
