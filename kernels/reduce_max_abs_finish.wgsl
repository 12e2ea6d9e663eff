// Second stage of max|x|: one workgroup takes the largest partial and stores
// scale·max into scalars[slot], or the larger of that and what the slot holds
// when `accumulate` is 1 (a maximum over several tensors).
struct Params { count: u32, slot: u32, accumulate: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> scalars: array<f32>;

const WG = 256u;
var<workgroup> acc: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  var m = 0.0;
  for (var i = li; i < p.count; i += WG) {
    m = max(m, partials[i]);
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
    var v = p.scale * acc[0];
    if (p.accumulate == 1u) {
      v = max(v, scalars[p.slot]);
    }
    scalars[p.slot] = v;
  }
}
