// First stage of a deterministic reduction: workgroup w reduces the elements
// [w*chunk, (w+1)*chunk) in a fixed tree order and writes partials[w]. The
// order never depends on scheduling, so equal inputs give equal results.
// OP (a pipeline constant) picks what is reduced:
//   0: Σ a   1: Σ a·b   2: Σ |a|   3: max |a|
// Operations on one vector bind it as both `a` and `b`.
override OP: u32 = 0u;

struct Params { n: u32, chunk: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

const WG = 256u;
var<workgroup> acc: array<f32, 256>;

fn term(i: u32) -> f32 {
  switch OP {
    case 1u: { return a[i] * b[i]; }
    case 2u, 3u: { return abs(a[i]); }
    default: { return a[i]; }
  }
}

fn combine(x: f32, y: f32) -> f32 {
  if (OP == 3u) {
    return max(x, y);
  }
  return x + y;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let w = wid.x + wid.y * nwg.x;
  let start = w * p.chunk;
  let end = min(start + p.chunk, p.n);
  var s = 0.0;
  for (var i = start + li; i < end; i += WG) {
    s = combine(s, term(i));
  }
  acc[li] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (li < stride) {
      acc[li] = combine(acc[li], acc[li + stride]);
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    partials[w] = acc[0];
  }
}
