// Real image [3, n] → complex planes for the spectrum FFT, imaginary part 0:
// gray = 1 gives one plane of luma 0.299 R + 0.587 G + 0.114 B (preset seed),
// gray = 0 gives the three channels as three planes (preset liu).
struct Params { n: u32, gray: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> spec: array<vec2<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * 256u + li;
  let n = p.n;
  if (i >= n) {
    return;
  }
  if (p.gray == 1u) {
    spec[i] = vec2<f32>(0.299 * x[i] + 0.587 * x[n + i] + 0.114 * x[2u * n + i], 0.0);
  } else {
    for (var c = 0u; c < 3u; c++) {
      spec[c * n + i] = vec2<f32>(x[c * n + i], 0.0);
    }
  }
}
