// A convolution's weights, expanded from torch's [cout][cin][3][3] into the
// layout one pass reads, on the GPU. The tiled kernels keep only that one
// copy of each layer's weights and expand it right before each pass into a
// scratch buffer that every layer shares: the transformed weights are 4×
// the size of the 3×3 taps, and a second copy per pass direction would
// double that again.
//
// `main`: Winograd's U[ξ] = G·g·Gᵀ in the slab layout of src/ops/winograd.ts,
// [36][rows / 32][depth][32] (forward: rows = output, depth = input
// channels; transposed: the other way round; rows padded to 32 and depth to
// 4 with zeros, since the scratch may hold another layer's values). The
// element type W (f32, or f16 with shader-f16) is declared by the code that
// loads this module; the arithmetic is f32.
//
// `direct`: the direct kernel's [9][rows][cols padded to 4] (forward: rows =
// input, cols = output channels; transposed: the other way round, each
// window rotated by 180°), f32 only.

struct Params {
  cin: u32,
  cout: u32,
  // Padded rows and depth of the output (see above).
  rows: u32,
  depth: u32,
  transposed: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<W>;

// G·g for one column g of three taps, at the interpolation points 0, 1, −1,
// 1/2, −1/2 and ∞ (the rows of src/ops/winograd.ts's WINOGRAD_G).
fn g6(a: f32, b: f32, c: f32) -> array<f32, 6> {
  return array<f32, 6>(
    4.0 * a,
    (2.0 / 3.0) * (a + b + c),
    (2.0 / 3.0) * (a - b + c),
    -(8.0 / 3.0) * a - (4.0 / 3.0) * b - (2.0 / 3.0) * c,
    -(8.0 / 3.0) * a + (4.0 / 3.0) * b - (2.0 / 3.0) * c,
    c,
  );
}

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * 64u + li;
  let per = p.rows * p.depth;
  if (i >= per) {
    return;
  }
  // Element i of a slab layout: consecutive invocations write consecutive
  // rows of one slab.
  let row = (i / (p.depth * 32u)) * 32u + i % 32u;
  let k = (i / 32u) % p.depth;
  let ci = select(k, row, p.transposed == 1u);
  let co = select(row, k, p.transposed == 1u);
  if (ci >= p.cin || co >= p.cout) {
    for (var xi = 0u; xi < 36u; xi++) {
      out[xi * per + i] = W(0.0);
    }
    return;
  }
  let g = (co * p.cin + ci) * 9u;
  // t = G·g, one column of taps (kx) at a time; U = t·Gᵀ row by row.
  var c0 = g6(weight[g], weight[g + 3u], weight[g + 6u]);
  var c1 = g6(weight[g + 1u], weight[g + 4u], weight[g + 7u]);
  var c2 = g6(weight[g + 2u], weight[g + 5u], weight[g + 8u]);
  for (var r = 0u; r < 6u; r++) {
    var u = g6(c0[r], c1[r], c2[r]);
    for (var j = 0u; j < 6u; j++) {
      out[(r * 6u + j) * per + i] = W(u[j]);
    }
  }
}

@compute @workgroup_size(64)
fn direct(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * 64u + li;
  let per = p.rows * p.depth;
  if (i >= per) {
    return;
  }
  let row = i / p.depth;
  let col = i % p.depth;
  let ci = select(row, col, p.transposed == 1u);
  let co = select(col, row, p.transposed == 1u);
  let live = ci < p.cin && co < p.cout;
  let g = (co * p.cin + ci) * 9u;
  for (var tap = 0u; tap < 9u; tap++) {
    var value = 0.0;
    if (live) {
      value = weight[g + select(tap, 8u - tap, p.transposed == 1u)];
    }
    out[tap * per + i] = W(value);
  }
}
