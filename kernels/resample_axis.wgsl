// One separable resampling pass along one axis. The tensor is viewed as
// [outer, nIn, inner] → [outer, nOut, inner]; output line position o takes
// Σ_k weights[o·taps + k] · x[outer, taps_at[o·taps + k], inner]. Edge handling
// (clamp or wrap) and the filter live entirely in the CPU-built tables, so
// one kernel serves every filter, mode and axis.
struct Params { total: u32, nIn: u32, nOut: u32, inner: u32, taps: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> taps_at: array<u32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let g = (wid.x + wid.y * nwg.x) * 256u + li;
  if (g >= p.total) {
    return;
  }
  let i = g % p.inner;
  let line = g / p.inner;
  let o = line % p.nOut;
  let base = (line / p.nOut) * p.nIn * p.inner + i;
  let t0 = o * p.taps;
  var s = 0.0;
  for (var k = 0u; k < p.taps; k++) {
    s += weights[t0 + k] * x[base + taps_at[t0 + k] * p.inner];
  }
  y[g] = s;
}
