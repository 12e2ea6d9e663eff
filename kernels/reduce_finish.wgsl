// Second stage of a deterministic reduction: one workgroup folds the
// partials in a fixed order and stores scale·result into scalars[slot]. With
// `accumulate` the slot keeps its value combined with the new one: added,
// or the larger of the two when MAX (a pipeline constant) is set.
override MAX: bool = false;

struct Params { count: u32, slot: u32, accumulate: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> scalars: array<f32>;

const WG = 256u;
var<workgroup> acc: array<f32, 256>;

fn combine(x: f32, y: f32) -> f32 {
  if (MAX) {
    return max(x, y);
  }
  return x + y;
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  for (var i = li; i < p.count; i += WG) {
    s = combine(s, partials[i]);
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
    var v = p.scale * acc[0];
    if (p.accumulate == 1u) {
      v = combine(v, scalars[p.slot]);
    }
    scalars[p.slot] = v;
  }
}
