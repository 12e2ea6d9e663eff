// The spectrum projection, in place on the image's spectrum X: per frequency,
// φ = S / (|S| + 1e-11) with S = Σ_c X_c·conj(A_c), then X_c ← φ·A_c. With one
// channel this is the gray constraint; with three, one phase is shared by the
// channels while each keeps its exemplar modulus |A_c|.
struct Params { n: u32, channels: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> spec: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> target_spec: array<vec2<f32>>;

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * 256u + li;
  let n = p.n;
  if (i >= n) {
    return;
  }
  var s = vec2<f32>(0.0);
  for (var c = 0u; c < p.channels; c++) {
    let a = target_spec[c * n + i];
    s += cmul(spec[c * n + i], vec2<f32>(a.x, -a.y));
  }
  let phase = s / (length(s) + 1e-11);
  for (var c = 0u; c < p.channels; c++) {
    spec[c * n + i] = cmul(phase, target_spec[c * n + i]);
  }
}
