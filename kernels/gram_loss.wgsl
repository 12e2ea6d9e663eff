// Element-wise part of the Gram loss: delta = G − Ĝ (squared and summed
// afterwards by reduceDot) and diff = scale · delta, the factor that turns F
// into ∂E/∂F in gram_backward.
struct Params { count: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> g_hat: array<f32>;
@group(0) @binding(3) var<storage, read_write> delta: array<f32>;
@group(0) @binding(4) var<storage, read_write> diff: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * 256u + li;
  if (i >= p.count) {
    return;
  }
  let d = g[i] - g_hat[i];
  delta[i] = d;
  diff[i] = p.scale * d;
}
