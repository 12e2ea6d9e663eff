// Winograd F(4×4, 3×3) input transform: V = Bᵀ·d·B for every 6×6 input
// window d whose centre 4×4 block is one output tile, for every channel.
//
// Tiles are numbered row-major (t = ty·⌈W/4⌉ + tx) and taken in chunks of
// consecutive tiles. One invocation transforms one channel of a quad, four
// consecutive tiles, and stores each of the 36 transform points ξ as one
// vec4 over the quad: V, the batched GEMM's right operand, is
// [36][rows][tiles], the channels padded with zero rows to a multiple of 4
// and the tiles of a chunk padded to whole GEMM blocks.
//
// FLIP reads the image rotated by 180°: the input gradient is the forward
// correlation of the rotated gradient, rotated back by the output transform,
// so both passes share one set of transformed weights.
//
// Interpolation points 0, ±1, ±1/2 and ∞: every entry of Bᵀ (and of Aᵀ in
// the output transform) is a small binary fraction, exact in f32, which keeps
// the transform's rounding error close to the direct convolution's.
//
// Out-of-image pixels read as 0 (zero padding) or wrap around (circular);
// windows of padding tiles past the image only feed outputs that are dropped.
// A software adapter runs both sides of every branch and has no vector
// integer division, so the window's rows and columns are resolved once per
// invocation, with f32 floor for the wrap, and padding is a pipeline constant.
// It also pays per load rather than per byte: entry point `aligned` (for
// widths that are a multiple of 4) reads each window row's four middle
// pixels as one vec4, which always lies inside the image row, and `rows`
// (when each quad's tiles also share a tile row: ⌈W/4⌉ a multiple of 4)
// loads a window row once for the whole quad: 4 vec4s and 2 edge pixels.

override CIRCULAR: bool = false;
override FLIP: bool = false;

struct Params {
  height: u32,
  width: u32,
  channels: u32,
  // Rows of V per point ξ: channels rounded up to a multiple of 4.
  rows: u32,
  // Tiles per tile row (⌈W/4⌉).
  tilesPerRow: u32,
  // This chunk's first tile and tile count.
  firstTile: u32,
  tiles: u32,
  // Quads per channel in V: ⌈tiles / 4⌉, padded to whole GEMM blocks.
  quads: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
// [36][rows][quads] vec4s.
@group(0) @binding(2) var<storage, read_write> v: array<vec4f>;
// The same input as x, read a vec4 at a time by `aligned`.
@group(0) @binding(3) var<storage, read> x4: array<vec4f>;

// Six values of a window row or column, each a vec4 over the quad's four
// tiles, so that every transform step works on whole quads.
struct Six {
  a: vec4f,
  b: vec4f,
  c: vec4f,
  d: vec4f,
  e: vec4f,
  f: vec4f,
}

// Bᵀ·(d0 … d5) for points 0, 1, −1, 1/2, −1/2, ∞.
fn bt(d: Six) -> Six {
  return Six(
    0.25 * d.a - 1.25 * d.c + d.e,
    -0.25 * (d.b + d.c) + d.d + d.e,
    0.25 * (d.b - d.c) - d.d + d.e,
    -0.5 * d.b - d.c + 0.5 * d.d + d.e,
    0.5 * d.b - d.c - 0.5 * d.d + d.e,
    0.25 * d.b - 1.25 * d.d + d.f,
  );
}

// Index along an axis of length n for position i (of the rotated image when
// FLIP), or −1 for a zero pad.
fn resolve(i: i32, n: i32) -> i32 {
  var r: i32;
  if (CIRCULAR) {
    r = i - n * i32(floor(f32(i) / f32(n)));
  } else {
    r = select(-1, i, i >= 0 && i < n);
  }
  if (FLIP) {
    return select(-1, n - 1 - r, r >= 0);
  }
  return r;
}

fn pixel(row: i32, col: i32) -> f32 {
  let inside = row >= 0 && col >= 0;
  return select(0.0, x[u32(select(0, row + col, inside))], inside);
}

// The quad's window columns: column j of each tile's window (−1: zero pad).
struct Cols {
  c0: vec4i,
  c1: vec4i,
  c2: vec4i,
  c3: vec4i,
  c4: vec4i,
  c5: vec4i,
}

// Bᵀ along window row i of the quad's four tiles (`rows`: where row i of
// each tile's window starts in x, −1 for a zero pad).
fn rowTransform(rows: vec4i, c: Cols) -> Six {
  return bt(Six(
    vec4f(pixel(rows.x, c.c0.x), pixel(rows.y, c.c0.y), pixel(rows.z, c.c0.z), pixel(rows.w, c.c0.w)),
    vec4f(pixel(rows.x, c.c1.x), pixel(rows.y, c.c1.y), pixel(rows.z, c.c1.z), pixel(rows.w, c.c1.w)),
    vec4f(pixel(rows.x, c.c2.x), pixel(rows.y, c.c2.y), pixel(rows.z, c.c2.z), pixel(rows.w, c.c2.w)),
    vec4f(pixel(rows.x, c.c3.x), pixel(rows.y, c.c3.y), pixel(rows.z, c.c3.z), pixel(rows.w, c.c3.w)),
    vec4f(pixel(rows.x, c.c4.x), pixel(rows.y, c.c4.y), pixel(rows.z, c.c4.z), pixel(rows.w, c.c4.w)),
    vec4f(pixel(rows.x, c.c5.x), pixel(rows.y, c.c5.y), pixel(rows.z, c.c5.z), pixel(rows.w, c.c5.w)),
  ));
}

fn resolve4(i: vec4i, n: i32) -> vec4i {
  return vec4i(resolve(i.x, n), resolve(i.y, n), resolve(i.z, n), resolve(i.w, n));
}

// Where window row `row` starts in x for each tile (−1: zero pad).
fn rowStarts(base: u32, row: vec4i) -> vec4i {
  let r = resolve4(row, i32(p.height));
  return select(vec4i(-1), vec4i(i32(base)) + r * i32(p.width), r >= vec4i(0));
}

// Stores Bᵀ along column j of the row-transformed window (points
// ξ = i·6 + j), or zeros for a padding channel.
fn storeColumn(c: u32, q: u32, j: u32, col: Six) {
  let t = bt(col);
  let live = c < p.channels;
  let zero = vec4f(0.0);
  let stride = 6u * p.rows * p.quads;
  let at = (j * p.rows + c) * p.quads + q;
  v[at] = select(zero, t.a, live);
  v[at + stride] = select(zero, t.b, live);
  v[at + 2u * stride] = select(zero, t.c, live);
  v[at + 3u * stride] = select(zero, t.d, live);
  v[at + 4u * stride] = select(zero, t.e, live);
  v[at + 5u * stride] = select(zero, t.f, live);
}

// The invocation's channel, quad and tiles; its lane is past the work when
// `c` reaches the channel count.
struct Quad {
  c: u32,
  q: u32,
  // Window origin (one above and left of the tile) of each tile.
  row0: vec4i,
  col0: vec4i,
  base: u32,
}

fn quad(wid: vec3u, nwg: vec3u, li: u32) -> Quad {
  let lane = (wid.x + wid.y * nwg.x) * 64u + li;
  let c = lane / p.quads;
  let q = lane % p.quads;
  // Tiles past the chunk only pad the GEMM: they transform tiles of the
  // chunk again (any finite values do, their outputs are dropped).
  let t = vec4u(q * 4u) + vec4u(0u, 1u, 2u, 3u);
  let tile = vec4u(p.firstTile) + select(vec4u(0u), t, t < vec4u(p.tiles));
  return Quad(
    c,
    q,
    vec4i((tile / p.tilesPerRow) * 4u) - 1,
    vec4i((tile % p.tilesPerRow) * 4u) - 1,
    min(c, p.channels - 1u) * p.height * p.width,
  );
}

fn store(t: Quad, r0: Six, r1: Six, r2: Six, r3: Six, r4: Six, r5: Six) {
  storeColumn(t.c, t.q, 0u, Six(r0.a, r1.a, r2.a, r3.a, r4.a, r5.a));
  storeColumn(t.c, t.q, 1u, Six(r0.b, r1.b, r2.b, r3.b, r4.b, r5.b));
  storeColumn(t.c, t.q, 2u, Six(r0.c, r1.c, r2.c, r3.c, r4.c, r5.c));
  storeColumn(t.c, t.q, 3u, Six(r0.d, r1.d, r2.d, r3.d, r4.d, r5.d));
  storeColumn(t.c, t.q, 4u, Six(r0.e, r1.e, r2.e, r3.e, r4.e, r5.e));
  storeColumn(t.c, t.q, 5u, Six(r0.f, r1.f, r2.f, r3.f, r4.f, r5.f));
}

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let t = quad(wid, nwg, li);
  if (t.c >= p.rows) {
    return;
  }
  let w = i32(p.width);
  let cols = Cols(
    resolve4(t.col0, w),
    resolve4(t.col0 + 1, w),
    resolve4(t.col0 + 2, w),
    resolve4(t.col0 + 3, w),
    resolve4(t.col0 + 4, w),
    resolve4(t.col0 + 5, w),
  );
  store(
    t,
    rowTransform(rowStarts(t.base, t.row0), cols),
    rowTransform(rowStarts(t.base, t.row0 + 1), cols),
    rowTransform(rowStarts(t.base, t.row0 + 2), cols),
    rowTransform(rowStarts(t.base, t.row0 + 3), cols),
    rowTransform(rowStarts(t.base, t.row0 + 4), cols),
    rowTransform(rowStarts(t.base, t.row0 + 5), cols),
  );
}

// Four pixels from column `col` (a multiple of 4 inside the row, of the
// rotated image when FLIP) of the row starting at `row` in x, or zeros for a
// zero-pad row.
fn middle(row: i32, col: i32) -> vec4f {
  let inside = row >= 0;
  if (FLIP) {
    let at = u32(select(0, row + i32(p.width) - 4 - col, inside)) / 4u;
    return select(vec4f(0.0), x4[at].wzyx, inside);
  }
  return select(vec4f(0.0), x4[u32(select(0, row + col, inside)) / 4u], inside);
}

// rowTransform for `aligned`: the window's first and last columns one pixel
// at a time, the four between as one vec4 per tile.
fn rowTransformAligned(rows: vec4i, first: vec4i, mid: vec4i, last: vec4i) -> Six {
  let m0 = middle(rows.x, mid.x);
  let m1 = middle(rows.y, mid.y);
  let m2 = middle(rows.z, mid.z);
  let m3 = middle(rows.w, mid.w);
  return bt(Six(
    vec4f(pixel(rows.x, first.x), pixel(rows.y, first.y), pixel(rows.z, first.z), pixel(rows.w, first.w)),
    vec4f(m0.x, m1.x, m2.x, m3.x),
    vec4f(m0.y, m1.y, m2.y, m3.y),
    vec4f(m0.z, m1.z, m2.z, m3.z),
    vec4f(m0.w, m1.w, m2.w, m3.w),
    vec4f(pixel(rows.x, last.x), pixel(rows.y, last.y), pixel(rows.z, last.z), pixel(rows.w, last.w)),
  ));
}

// `main` for widths that are a multiple of 4 (x also bound as x4).
@compute @workgroup_size(64)
fn aligned(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let t = quad(wid, nwg, li);
  if (t.c >= p.rows) {
    return;
  }
  let w = i32(p.width);
  let first = resolve4(t.col0, w);
  let mid = t.col0 + 1;
  let last = resolve4(t.col0 + 5, w);
  store(
    t,
    rowTransformAligned(rowStarts(t.base, t.row0), first, mid, last),
    rowTransformAligned(rowStarts(t.base, t.row0 + 1), first, mid, last),
    rowTransformAligned(rowStarts(t.base, t.row0 + 2), first, mid, last),
    rowTransformAligned(rowStarts(t.base, t.row0 + 3), first, mid, last),
    rowTransformAligned(rowStarts(t.base, t.row0 + 4), first, mid, last),
    rowTransformAligned(rowStarts(t.base, t.row0 + 5), first, mid, last),
  );
}

// rowTransform for `rows`: the quad's four windows overlap by two columns
// along one image row (`row`: its start in x, −1 for a zero pad), so the 16
// middle pixels come as 4 vec4s from column `mid` and only the outer two
// columns, `first` and `last`, one pixel at a time.
fn rowTransformShared(row: i32, first: i32, mid: i32, last: i32) -> Six {
  let m0 = middle(row, mid);
  let m1 = middle(row, mid + 4);
  let m2 = middle(row, mid + 8);
  let m3 = middle(row, mid + 12);
  return bt(Six(
    vec4f(pixel(row, first), m0.w, m1.w, m2.w),
    vec4f(m0.x, m1.x, m2.x, m3.x),
    vec4f(m0.y, m1.y, m2.y, m3.y),
    vec4f(m0.z, m1.z, m2.z, m3.z),
    vec4f(m0.w, m1.w, m2.w, m3.w),
    vec4f(m1.x, m2.x, m3.x, pixel(row, last)),
  ));
}

// `aligned` for quads whose four tiles share a tile row (x also bound as x4).
@compute @workgroup_size(64)
fn rows(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let t = quad(wid, nwg, li);
  if (t.c >= p.rows) {
    return;
  }
  let w = i32(p.width);
  let first = resolve(t.col0.x, w);
  let mid = t.col0.x + 1;
  let last = resolve(t.col0.x + 17, w);
  let r = rowStarts(t.base, t.row0);
  let r1 = rowStarts(t.base, t.row0 + 1);
  let r2 = rowStarts(t.base, t.row0 + 2);
  let r3 = rowStarts(t.base, t.row0 + 3);
  let r4 = rowStarts(t.base, t.row0 + 4);
  let r5 = rowStarts(t.base, t.row0 + 5);
  store(
    t,
    rowTransformShared(r.x, first, mid, last),
    rowTransformShared(r1.x, first, mid, last),
    rowTransformShared(r2.x, first, mid, last),
    rowTransformShared(r3.x, first, mid, last),
    rowTransformShared(r4.x, first, mid, last),
    rowTransformShared(r5.x, first, mid, last),
  );
}
