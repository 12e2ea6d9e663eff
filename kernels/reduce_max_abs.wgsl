// First stage of max|x| (the infinity norm behind L-BFGS's stopping tests):
// workgroup w takes the largest |x[i]| over its chunk and writes partials[w].
// A maximum does not depend on order, so the result is deterministic.
struct Params { n: u32, chunk: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

const WG = 256u;
var<workgroup> acc: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let w = wid.x + wid.y * nwg.x;
  let start = w * p.chunk;
  let end = min(start + p.chunk, p.n);
  var m = 0.0;
  for (var i = start + li; i < end; i += WG) {
    m = max(m, abs(x[i]));
  }
  acc[li] = m;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (li < stride) {
      acc[li] = max(acc[li], acc[li + stride]);
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    partials[w] = acc[0];
  }
}
