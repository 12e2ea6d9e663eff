// Winograd F(4×4, 3×3) output transform: Y = Aᵀ·m·A turns the 36 GEMM
// results of one channel and tile back into its 4×4 output pixels, then
// adds the bias, applies ReLU when asked and writes or adds to the output.
//
// One invocation takes one output channel and one quad (4 consecutive tiles,
// numbered as in the input transform), so each of its 36 loads is one vec4
// holding the quad's four tiles and the transform runs on quads.
// Pixels past the image (partial tiles at the right and bottom edges, and
// padding tiles) are not written. FLIP writes the result rotated by 180°
// (see the input transform). ReLU and accumulation are pipeline
// constants: a software adapter would pay for both sides of a branch. Entry
// point `aligned`, for widths that are a multiple of 4, writes each tile row
// as one vec4 (the adapter pays per store, not per byte).

override RELU: bool = false;
override FLIP: bool = false;
override ACCUMULATE: bool = false;

struct Params {
  height: u32,
  width: u32,
  channels: u32,
  tilesPerRow: u32,
  firstTile: u32,
  tiles: u32,
  // Quads per row of m ([36][paddedChannels][quads]).
  quads: u32,
  // Rows of m per point ξ: the channels padded to the GEMM block.
  paddedChannels: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> m: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// The same output as vec4s, for `aligned` only.
@group(0) @binding(3) var<storage, read_write> out4: array<vec4f>;

struct Six {
  a: vec4f,
  b: vec4f,
  c: vec4f,
  d: vec4f,
  e: vec4f,
  f: vec4f,
}

struct Four {
  a: vec4f,
  b: vec4f,
  c: vec4f,
  d: vec4f,
}

// Aᵀ·(m0 … m5) for points 0, 1, −1, 1/2, −1/2, ∞.
fn at(s: Six) -> Four {
  let p12 = s.b + s.c;
  let m12 = s.b - s.c;
  let p34 = s.d + s.e;
  let m34 = s.d - s.e;
  return Four(s.a + p12 + p34, m12 + 0.5 * m34, p12 + 0.25 * p34, m12 + 0.125 * m34 + s.f);
}

// Aᵀ along row i of the quad's 6×6 transform points: m[ξ = i·6 + j].
fn rowTransform(base: u32, i: u32) -> Four {
  let stride = p.paddedChannels * p.quads;
  let at0 = base + i * 6u * stride;
  return at(Six(
    m[at0],
    m[at0 + stride],
    m[at0 + 2u * stride],
    m[at0 + 3u * stride],
    m[at0 + 4u * stride],
    m[at0 + 5u * stride],
  ));
}

// Writes one tile's 4×4 pixels (rows r0 … r3) at tile `t` of the chunk,
// unless the tile is padding; pixels past the image are skipped.
fn emitTile(o: u32, t: u32, bias: f32, rows: Four) {
  if (t >= p.tiles) {
    return;
  }
  let tile = p.firstTile + t;
  let y = (tile / p.tilesPerRow) * 4u;
  let x = (tile % p.tilesPerRow) * 4u;
  emitRow(o, y, x, bias, rows.a);
  emitRow(o, y + 1u, x, bias, rows.b);
  emitRow(o, y + 2u, x, bias, rows.c);
  emitRow(o, y + 3u, x, bias, rows.d);
}

fn emitRow(o: u32, y: u32, x: u32, bias: f32, v: vec4f) {
  if (y >= p.height) {
    return;
  }
  let line = o + select(y, p.height - 1u - y, FLIP) * p.width;
  emit(line, x, bias, v.x);
  emit(line, x + 1u, bias, v.y);
  emit(line, x + 2u, bias, v.z);
  emit(line, x + 3u, bias, v.w);
}

fn emit(line: u32, x: u32, bias: f32, v: f32) {
  if (x >= p.width) {
    return;
  }
  let at = line + select(x, p.width - 1u - x, FLIP);
  var r = v + bias;
  if (RELU) {
    r = max(r, 0.0);
  }
  if (ACCUMULATE) {
    r += out[at];
  }
  out[at] = r;
}

// The transformed quad: y[b].{a,b,c,d} is pixel column b of tile rows
// 0…3, each a vec4 over the quad's tiles.
struct Quad {
  c: u32,
  t: u32,
  y0: Four,
  y1: Four,
  y2: Four,
  y3: Four,
}

// Tile k of the quad (k a constant: the vec4 lanes are the quad's tiles) as its four pixel rows.
fn tileRows(z: Quad, k: u32) -> Four {
  return Four(
    vec4f(z.y0.a[k], z.y1.a[k], z.y2.a[k], z.y3.a[k]),
    vec4f(z.y0.b[k], z.y1.b[k], z.y2.b[k], z.y3.b[k]),
    vec4f(z.y0.c[k], z.y1.c[k], z.y2.c[k], z.y3.c[k]),
    vec4f(z.y0.d[k], z.y1.d[k], z.y2.d[k], z.y3.d[k]),
  );
}

// Aᵀ along rows, then along columns, for the invocation's quad; `c` reaches
// the channel count for lanes past the work.
fn quad(wid: vec3u, nwg: vec3u, li: u32) -> Quad {
  let lane = (wid.x + wid.y * nwg.x) * 64u + li;
  let chunkQuads = (p.tiles + 3u) / 4u;
  let c = lane / chunkQuads;
  let q = lane % chunkQuads;
  let base = min(c, p.channels - 1u) * p.quads + q;
  let r0 = rowTransform(base, 0u);
  let r1 = rowTransform(base, 1u);
  let r2 = rowTransform(base, 2u);
  let r3 = rowTransform(base, 3u);
  let r4 = rowTransform(base, 4u);
  let r5 = rowTransform(base, 5u);
  return Quad(
    c,
    q * 4u,
    at(Six(r0.a, r1.a, r2.a, r3.a, r4.a, r5.a)),
    at(Six(r0.b, r1.b, r2.b, r3.b, r4.b, r5.b)),
    at(Six(r0.c, r1.c, r2.c, r3.c, r4.c, r5.c)),
    at(Six(r0.d, r1.d, r2.d, r3.d, r4.d, r5.d)),
  );
}

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let z = quad(wid, nwg, li);
  if (z.c >= p.channels) {
    return;
  }
  let o = z.c * p.height * p.width;
  let b = bias[z.c];
  emitTile(o, z.t, b, tileRows(z, 0u));
  emitTile(o, z.t + 1u, b, tileRows(z, 1u));
  emitTile(o, z.t + 2u, b, tileRows(z, 2u));
  emitTile(o, z.t + 3u, b, tileRows(z, 3u));
}

// One tile row of four pixels from a multiple-of-4 column: one vec4 store.
fn emitRow4(o: u32, y: u32, x: u32, bias: f32, v: vec4f) {
  if (y >= p.height) {
    return;
  }
  var at = (o + y * p.width + x) / 4u;
  var r = v + vec4f(bias);
  if (FLIP) {
    at = (o + (p.height - 1u - y) * p.width + p.width - 4u - x) / 4u;
    r = r.wzyx;
  }
  if (RELU) {
    r = max(r, vec4f(0.0));
  }
  if (ACCUMULATE) {
    r += out4[at];
  }
  out4[at] = r;
}

fn emitTile4(o: u32, t: u32, bias: f32, rows: Four) {
  if (t >= p.tiles) {
    return;
  }
  let tile = p.firstTile + t;
  let y = (tile / p.tilesPerRow) * 4u;
  let x = (tile % p.tilesPerRow) * 4u;
  emitRow4(o, y, x, bias, rows.a);
  emitRow4(o, y + 1u, x, bias, rows.b);
  emitRow4(o, y + 2u, x, bias, rows.c);
  emitRow4(o, y + 3u, x, bias, rows.d);
}

// `main` for widths that are a multiple of 4: every tile is whole in x.
@compute @workgroup_size(64)
fn aligned(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let z = quad(wid, nwg, li);
  if (z.c >= p.channels) {
    return;
  }
  let o = z.c * p.height * p.width;
  let b = bias[z.c];
  emitTile4(o, z.t, b, tileRows(z, 0u));
  emitTile4(o, z.t + 1u, b, tileRows(z, 1u));
  emitTile4(o, z.t + 2u, b, tileRows(z, 2u));
  emitTile4(o, z.t + 3u, b, tileRows(z, 3u));
}
