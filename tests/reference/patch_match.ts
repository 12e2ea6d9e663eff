// Float64 reference of one PatchMatch pass (kernels/patch_match.wgsl), used
// only by tests: the same hash, candidates and order, costs in float64.

/** The PCG hash of the kernel, on u32 values. */
export function pcgHash(x: number): number {
  const state = (Math.imul(x >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Two planar [3, H, W] images, the patch radius and whether the first wraps. */
export interface PatchPair {
  image: ArrayLike<number>;
  width: number;
  height: number;
  source: ArrayLike<number>;
  sourceWidth: number;
  sourceHeight: number;
  radius: number;
  wrap: boolean;
}

function _mod(v: number, n: number): number {
  return ((v % n) + n) % n;
}

function _clamp(v: number, n: number): number {
  return Math.min(n - 1, Math.max(0, v));
}

/** Mean squared difference of the (2r+1)² RGB patches around p in the image and s in the source. */
export function patchDistanceRef(
  pair: PatchPair,
  px: number,
  py: number,
  sx: number,
  sy: number,
): number {
  const { width: w, height: h, sourceWidth: sw, sourceHeight: sh, radius: r } = pair;
  let sum = 0;
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      const ox = pair.wrap ? _mod(px + dx, w) : _clamp(px + dx, w);
      const oy = pair.wrap ? _mod(py + dy, h) : _clamp(py + dy, h);
      const o = oy * w + ox;
      const s = _clamp(sy + dy, sh) * sw + _clamp(sx + dx, sw);
      for (let c = 0; c < 3; c++) {
        const d = pair.image[c * w * h + o] - pair.source[c * sw * sh + s];
        sum += d * d;
      }
    }
  }
  return sum / (3 * (2 * r + 1) ** 2);
}

const DIRS = [[1, 0], [-1, 0], [0, 1], [0, -1]];

/** Options of one pass, as the kernel's uniforms. */
export interface StepRef {
  jump: number;
  searchRadius: number;
  coherence: number;
  seed: number;
  step: number;
  parity?: 0 | 1;
}

/**
 * One pass: mode 0 draws random sources, mode 1 tries the current source,
 * the neighbours' proposals and the random search, keeping the cheapest.
 * Returns the field, each entry's patch distance and its full cost.
 */
export function patchMatchPassRef(
  pair: PatchPair,
  fieldIn: Uint32Array,
  distIn: ArrayLike<number>,
  step: StepRef,
  mode: 0 | 1,
): { field: Uint32Array; dist: Float64Array; cost: Float64Array } {
  const { width: w, height: h, sourceWidth: sw, sourceHeight: sh } = pair;
  const n = w * h;
  const field = new Uint32Array(n);
  const dist = new Float64Array(n);
  const cost = new Float64Array(n);
  const neighbour = (x: number, y: number, ex: number, ey: number): number => {
    const qx = x + ex;
    const qy = y + ey;
    if (!pair.wrap && (qx < 0 || qy < 0 || qx >= w || qy >= h)) return -1;
    return _mod(qy, h) * w + _mod(qx, w);
  };
  const packed = (sx: number, sy: number) => (sx | (sy << 16)) >>> 0;
  const incoherence = (x: number, y: number, sx: number, sy: number): number => {
    if (step.coherence === 0) return 0;
    let count = 0;
    let off = 0;
    for (const [ex, ey] of DIRS) {
      const q = neighbour(x, y, ex, ey);
      if (q < 0) continue;
      count++;
      if (fieldIn[q] !== packed(sx + ex, sy + ey)) off++;
    }
    return count > 0 ? (step.coherence * off) / count : 0;
  };
  for (let i = 0; i < n; i++) {
    const x = i % w;
    const y = Math.floor(i / w);
    let rnd = pcgHash((step.seed ^ pcgHash((step.step ^ pcgHash(i)) >>> 0)) >>> 0);
    if (mode === 0) {
      const sx = rnd % sw;
      rnd = pcgHash(rnd);
      const sy = rnd % sh;
      field[i] = packed(sx, sy);
      dist[i] = patchDistanceRef(pair, x, y, sx, sy);
      cost[i] = dist[i];
      continue;
    }
    if (step.parity !== undefined && ((x + y) & 1) !== step.parity) {
      field[i] = fieldIn[i];
      dist[i] = distIn[i];
      cost[i] = distIn[i] + incoherence(x, y, fieldIn[i] & 0xffff, fieldIn[i] >>> 16);
      continue;
    }
    let [bx, by] = [fieldIn[i] & 0xffff, fieldIn[i] >>> 16];
    let bestDist = distIn[i];
    let best = bestDist + incoherence(x, y, bx, by);
    const tryIt = (sx: number, sy: number) => {
      const d = patchDistanceRef(pair, x, y, sx, sy);
      const c = d + incoherence(x, y, sx, sy);
      if (c < best) [bx, by, bestDist, best] = [sx, sy, d, c];
    };
    for (const [ex, ey] of DIRS) {
      const q = neighbour(x, y, ex * step.jump, ey * step.jump);
      if (q < 0) continue;
      const sx = (fieldIn[q] & 0xffff) - ex * step.jump;
      const sy = (fieldIn[q] >>> 16) - ey * step.jump;
      if (sx < 0 || sy < 0 || sx >= sw || sy >= sh || (sx === bx && sy === by)) continue;
      tryIt(sx, sy);
    }
    for (let r = step.searchRadius; r >= 1; r = Math.floor(r / 2)) {
      rnd = pcgHash(rnd);
      const ox = (rnd % (2 * r + 1)) - r;
      rnd = pcgHash(rnd);
      const oy = (rnd % (2 * r + 1)) - r;
      const sx = _clamp(bx + ox, sw);
      const sy = _clamp(by + oy, sh);
      if (sx === bx && sy === by) continue;
      tryIt(sx, sy);
    }
    field[i] = packed(bx, by);
    dist[i] = bestDist;
    cost[i] = best;
  }
  return { field, dist, cost };
}
