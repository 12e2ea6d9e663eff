// One PatchMatch pass (Barnes et al. 2009) on the GPU, Jacobi style: every
// output pixel p reads the previous field and writes its own entry of the
// next, so the pass is deterministic and free of races.
//
// A field entry is a source pixel s = (sx, sy) packed as sx | sy << 16. The
// cost of s at p is
//   D(p, s) = mean over a (2r+1)² patch and 3 channels of (out − src)²
//           + coherence · (share of p's 4 neighbours q whose source is not s + (q − p))
// with output coordinates wrapping (tile) or clamped, source coordinates
// clamped. dist_out keeps the patch term alone.
//
// mode 0: random init, s drawn uniformly over the source.
// mode 1: the current s, then propagation (each neighbour q = p ± jump along
//   x and y proposes field(q) − (q − p)), then random search around the best
//   (radius halving from search_radius to 1), keeping the cheapest. With
//   parity 0 or 1 only the pixels with (x + y) mod 2 = parity move (the
//   others keep their entry): the coherence cost of a pixel depends on its
//   4 neighbours, which then hold still, so two neighbours never swap
//   towards each other's old sources and the total cost cannot rise.
struct Params {
  width: u32,
  height: u32,
  swidth: u32,
  sheight: u32,
  radius: u32,
  wrap: u32,
  jump: u32,
  search_radius: u32,
  seed: u32,
  step: u32,
  coherence: f32,
  mode: u32,
  parity: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> out_image: array<f32>;
@group(0) @binding(2) var<storage, read> src_image: array<f32>;
@group(0) @binding(3) var<storage, read> field_in: array<u32>;
@group(0) @binding(4) var<storage, read> dist_in: array<f32>;
@group(0) @binding(5) var<storage, read_write> field_out: array<u32>;
@group(0) @binding(6) var<storage, read_write> dist_out: array<f32>;

// PCG hash (Jarzynski & Olano 2020): u32 arithmetic wraps the same everywhere.
fn hash(x: u32) -> u32 {
  let state = x * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// Unsigned remainders only: a signed % of a negative value differs between backends.
fn wrap(v: i32, n: u32) -> u32 {
  if (v >= 0) {
    return u32(v) % n;
  }
  let r = u32(-v) % n;
  return select(n - r, 0u, r == 0u);
}

fn clampi(v: i32, n: u32) -> u32 {
  return u32(clamp(v, 0, i32(n) - 1));
}

fn out_index(x: i32, y: i32) -> u32 {
  if (p.wrap != 0u) {
    return wrap(y, p.height) * p.width + wrap(x, p.width);
  }
  return clampi(y, p.height) * p.width + clampi(x, p.width);
}

fn patch_distance(px: i32, py: i32, sx: i32, sy: i32) -> f32 {
  let r = i32(p.radius);
  let n = p.width * p.height;
  let ns = p.swidth * p.sheight;
  var sum = 0.0;
  for (var dy = -r; dy <= r; dy++) {
    for (var dx = -r; dx <= r; dx++) {
      let o = out_index(px + dx, py + dy);
      let s = clampi(sy + dy, p.sheight) * p.swidth + clampi(sx + dx, p.swidth);
      for (var c = 0u; c < 3u; c++) {
        let d = out_image[c * n + o] - src_image[c * ns + s];
        sum += d * d;
      }
    }
  }
  let side = f32(2 * r + 1);
  return sum / (3.0 * side * side);
}

fn unpack(v: u32) -> vec2<i32> {
  return vec2<i32>(i32(v & 0xffffu), i32(v >> 16u));
}

fn pack_source(s: vec2<i32>) -> u32 {
  return u32(s.x) | (u32(s.y) << 16u);
}

fn inside_source(s: vec2<i32>) -> bool {
  return s.x >= 0 && s.y >= 0 && s.x < i32(p.swidth) && s.y < i32(p.sheight);
}

// The neighbour of (x, y) at offset e, or -1 when it lies outside a non-wrapping output.
fn neighbour(x: i32, y: i32, e: vec2<i32>) -> i32 {
  let q = vec2<i32>(x, y) + e;
  if (p.wrap == 0u &&
      (q.x < 0 || q.y < 0 || q.x >= i32(p.width) || q.y >= i32(p.height))) {
    return -1;
  }
  return i32(out_index(q.x, q.y));
}

const DIRS = array<vec2<i32>, 4>(vec2<i32>(1, 0), vec2<i32>(-1, 0), vec2<i32>(0, 1), vec2<i32>(0, -1));

fn incoherence(x: i32, y: i32, s: vec2<i32>) -> f32 {
  if (p.coherence == 0.0) {
    return 0.0;
  }
  var count = 0.0;
  var off = 0.0;
  for (var k = 0u; k < 4u; k++) {
    let q = neighbour(x, y, DIRS[k]);
    if (q < 0) {
      continue;
    }
    count += 1.0;
    if (field_in[u32(q)] != pack_source(s + DIRS[k])) {
      off += 1.0;
    }
  }
  return select(0.0, p.coherence * off / count, count > 0.0);
}

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * 256u + li;
  if (i >= p.width * p.height) {
    return;
  }
  let x = i32(i % p.width);
  let y = i32(i / p.width);
  var rnd = hash(p.seed ^ hash(p.step ^ hash(i)));
  if (p.mode == 0u) {
    let sx = i32(rnd % p.swidth);
    rnd = hash(rnd);
    let sy = i32(rnd % p.sheight);
    field_out[i] = pack_source(vec2<i32>(sx, sy));
    dist_out[i] = patch_distance(x, y, sx, sy);
    return;
  }
  if (p.parity < 2u && ((u32(x) + u32(y)) & 1u) != p.parity) {
    field_out[i] = field_in[i];
    dist_out[i] = dist_in[i];
    return;
  }
  var best = unpack(field_in[i]);
  var best_dist = dist_in[i];
  var best_cost = best_dist + incoherence(x, y, best);
  let jump = i32(p.jump);
  for (var k = 0u; k < 4u; k++) {
    let e = DIRS[k] * jump;
    let q = neighbour(x, y, e);
    if (q < 0) {
      continue;
    }
    let s = unpack(field_in[u32(q)]) - e;
    if (!inside_source(s) || all(s == best)) {
      continue;
    }
    let d = patch_distance(x, y, s.x, s.y);
    let cost = d + incoherence(x, y, s);
    if (cost < best_cost) {
      best = s;
      best_dist = d;
      best_cost = cost;
    }
  }
  for (var r = i32(p.search_radius); r >= 1; r /= 2) {
    rnd = hash(rnd);
    let ox = i32(rnd % u32(2 * r + 1)) - r;
    rnd = hash(rnd);
    let oy = i32(rnd % u32(2 * r + 1)) - r;
    let s = vec2<i32>(
      clamp(best.x + ox, 0, i32(p.swidth) - 1),
      clamp(best.y + oy, 0, i32(p.sheight) - 1),
    );
    if (all(s == best)) {
      continue;
    }
    let d = patch_distance(x, y, s.x, s.y);
    let cost = d + incoherence(x, y, s);
    if (cost < best_cost) {
      best = s;
      best_dist = d;
      best_cost = cost;
    }
  }
  field_out[i] = pack_source(best);
  dist_out[i] = best_dist;
}
