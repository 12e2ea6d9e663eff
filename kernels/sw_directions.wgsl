// Random unit directions for sliced Wasserstein, drawn on the GPU: row k of
// `dirs` ([count, channels]) is a normalized vector of standard normals.
// The draw is a hash of (seed, draw, k, c), the draw number read from
// scalars[counter], so each draw slices anew without the CPU and the same run
// always draws the same directions.
struct Params { count: u32, channels: u32, seed: u32, counter: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> scalars: array<f32>;
@group(0) @binding(2) var<storage, read_write> dirs: array<f32>;

const WG = 64u;
var<workgroup> partial: array<f32, 64>;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn uniform01(h: u32) -> f32 {
  return (f32(h >> 8u) + 0.5) / 16777216.0;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let k = wid.x + wid.y * nwg.x;
  if (k >= p.count) {
    return;
  }
  let draw = u32(scalars[p.counter]);
  let base = pcg(p.seed ^ pcg(draw ^ pcg(k)));
  var s = 0.0;
  for (var c = li; c < p.channels; c += WG) {
    let h1 = pcg(base ^ pcg(2u * c));
    let h2 = pcg(base ^ pcg(2u * c + 1u));
    let v = sqrt(-2.0 * log(uniform01(h1))) * cos(6.283185307179586 * uniform01(h2));
    dirs[k * p.channels + c] = v;
    s += v * v;
  }
  partial[li] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (li < stride) {
      partial[li] += partial[li + stride];
    }
    workgroupBarrier();
  }
  let inv = inverseSqrt(max(partial[0], 1e-30));
  for (var c = li; c < p.channels; c += WG) {
    dirs[k * p.channels + c] *= inv;
  }
}
