// Float64 reference of the GPU L-BFGS (src/optim/lbfgs.ts): torch.optim.LBFGS
// with strong Wolfe line search, written out again on plain arrays in torch's
// own shape (gradients cloned into the bracket, history update at the start of
// the next iteration) so it checks the GPU version rather than sharing its
// code. It follows the GPU version's documented edge rules: a strict
// evaluation budget, a counted evaluation when gᵀd > −toleranceChange, and no
// re-evaluation when run() continues. Also the float64 vector helpers the
// vector-kernel tests compare against.

/** Σ a[i]·b[i]. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** y += c·x, in place. */
export function axpyInPlace(y: Float64Array, c: number, x: ArrayLike<number>): void {
  for (let i = 0; i < y.length; i++) y[i] += c * x[i];
}

/** max |x[i]| (0 for an empty array). */
export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/** Σ |x[i]|. */
export function sumAbs(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
  return s;
}

/** Writes ∇f(x) into g and returns f(x). */
export type Objective64 = (x: Float64Array, g: Float64Array) => number;

/** Options, defaults as torch's. */
export interface ReferenceOptions {
  historySize?: number;
  toleranceGrad?: number;
  toleranceChange?: number;
  c1?: number;
  c2?: number;
  maxLineSearch?: number;
}

/** One accepted line search, for checking the Wolfe conditions. */
export interface ReferenceStep {
  /** f and f'(0) at the start of the line. */
  f0: number;
  gtd0: number;
  /** Accepted step, its loss and directional derivative. */
  t: number;
  f: number;
  gtd: number;
  /** Whether the search ended by meeting the strong Wolfe conditions. */
  wolfe: boolean;
}

/** Why run() stopped (as the GPU version). */
export type ReferenceStop =
  | "iterations"
  | "evaluations"
  | "tolerance-grad"
  | "tolerance-change";

function cubic(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: [number, number],
): number {
  let lo: number, hi: number;
  if (bounds) [lo, hi] = bounds;
  else if (x1 <= x2) [lo, hi] = [x1, x2];
  else [lo, hi] = [x2, x1];
  const d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const d2sq = d1 ** 2 - g1 * g2;
  if (d2sq < 0) return (lo + hi) / 2;
  const d2 = Math.sqrt(d2sq);
  let minPos: number;
  if (x1 <= x2) minPos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
  else minPos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  if (!Number.isFinite(minPos)) return (lo + hi) / 2;
  return Math.min(Math.max(minPos, lo), hi);
}

/** L-BFGS in float64 with persistent state across run() calls, like the GPU class. */
export class ReferenceLbfgs {
  /** The current point (moves as the optimizer runs). */
  readonly x: Float64Array;
  /** Evaluations since construction. */
  evaluations = 0;
  /** Losses at every accepted iteration, in order. */
  readonly losses: number[] = [];
  /** Every accepted line search, in order. */
  readonly steps: ReferenceStep[] = [];

  readonly #f: Objective64;
  readonly #o: Required<ReferenceOptions>;
  #loss = NaN;
  #g: Float64Array | null = null;
  #d: Float64Array | null = null;
  #t = 0;
  #prevG: Float64Array | null = null;
  #dirs: Float64Array[] = [];
  #stps: Float64Array[] = [];
  #ro: number[] = [];
  #hDiag = 1;
  #nIter = 0;

  constructor(objective: Objective64, x0: ArrayLike<number>, options: ReferenceOptions = {}) {
    this.#f = objective;
    this.x = Float64Array.from(x0);
    this.#o = {
      historySize: options.historySize ?? 100,
      toleranceGrad: options.toleranceGrad ?? 1e-7,
      toleranceChange: options.toleranceChange ?? 1e-9,
      c1: options.c1 ?? 1e-4,
      c2: options.c2 ?? 0.9,
      maxLineSearch: options.maxLineSearch ?? 25,
    };
  }

  /** Loss at the current point. */
  get loss(): number {
    return this.#loss;
  }

  /** Evaluates at the current point (counted). */
  evaluate(): number {
    const g = new Float64Array(this.x.length);
    this.#loss = this.#f(this.x, g);
    this.#g = g;
    this.evaluations++;
    return this.#loss;
  }

  #at(t: number, d: Float64Array): { f: number; g: Float64Array } {
    const x = this.x.slice();
    axpyInPlace(x, t, d);
    const g = new Float64Array(x.length);
    const f = this.#f(x, g);
    this.evaluations++;
    return { f, g };
  }

  /** Runs like the GPU Lbfgs.run (no abort signal). */
  run(limits: { iterations: number; evaluations?: number }): {
    stop: ReferenceStop;
    iterations: number;
    evaluations: number;
    loss: number;
  } {
    const o = this.#o;
    const maxEval = limits.evaluations ?? Infinity;
    const before = this.evaluations;
    const used = () => this.evaluations - before;
    let nIter = 0;
    const out = (stop: ReferenceStop) => ({
      stop,
      iterations: nIter,
      evaluations: used(),
      loss: this.#loss,
    });
    if (limits.iterations < 1) return out("iterations");
    if (maxEval < 1) return out("evaluations");
    if (!this.#g) this.evaluate();
    if (maxAbs(this.#g!) <= o.toleranceGrad) return out("tolerance-grad");

    for (;;) {
      if (used() >= maxEval) return out("evaluations");
      const g = this.#g!;
      this.#nIter++;
      let d: Float64Array;
      if (this.#nIter === 1) {
        d = g.map((v) => -v);
      } else {
        const y = g.map((v, i) => v - this.#prevG![i]);
        const s = this.#d!.map((v) => v * this.#t);
        const ys = dot(y, s);
        if (ys > 1e-10) {
          if (this.#dirs.length === o.historySize) {
            this.#dirs.shift();
            this.#stps.shift();
            this.#ro.shift();
          }
          this.#dirs.push(y);
          this.#stps.push(s);
          this.#ro.push(1 / ys);
          this.#hDiag = ys / dot(y, y);
        }
        const k = this.#dirs.length;
        const al = new Array<number>(k);
        const q = g.map((v) => -v);
        for (let i = k - 1; i >= 0; i--) {
          al[i] = dot(this.#stps[i], q) * this.#ro[i];
          axpyInPlace(q, -al[i], this.#dirs[i]);
        }
        d = q.map((v) => v * this.#hDiag);
        for (let i = 0; i < k; i++) {
          const be = dot(this.#dirs[i], d) * this.#ro[i];
          axpyInPlace(d, al[i] - be, this.#stps[i]);
        }
      }
      this.#prevG = g.slice();
      const prevLoss = this.#loss;
      let t = this.#nIter === 1 ? Math.min(1, 1 / sumAbs(g)) : 1;
      const gtd = dot(g, d);
      this.#d = d;
      if (!(gtd <= -o.toleranceChange)) {
        // The GPU version has already evaluated its first trial by now.
        this.evaluations++;
        this.#t = t;
        return out("tolerance-change");
      }
      const ls = this.#search(d, t, gtd, Math.min(o.maxLineSearch, maxEval - used() - 1));
      t = ls.t;
      this.#t = t;
      axpyInPlace(this.x, t, d);
      this.#loss = ls.f;
      this.#g = ls.g;
      this.steps.push({ f0: prevLoss, gtd0: gtd, t, f: ls.f, gtd: dot(ls.g, d), wolfe: ls.wolfe });
      this.losses.push(ls.f);
      nIter++;

      if (nIter === limits.iterations) return out("iterations");
      if (used() >= maxEval) return out("evaluations");
      if (maxAbs(ls.g) <= o.toleranceGrad) return out("tolerance-grad");
      if (Math.abs(t) * maxAbs(d) <= o.toleranceChange) return out("tolerance-change");
      if (Math.abs(ls.f - prevLoss) < o.toleranceChange) return out("tolerance-change");
    }
  }

  /** torch's _strong_wolfe, bracket arrays and gradient clones as there. */
  #search(
    d: Float64Array,
    t: number,
    gtd: number,
    maxLs: number,
  ): { t: number; f: number; g: Float64Array; wolfe: boolean } {
    const { c1, c2, toleranceChange } = this.#o;
    const f = this.#loss;
    const g = this.#g!;
    const dNorm = maxAbs(d);
    let { f: fNew, g: gNew } = this.#at(t, d);
    let gtdNew = dot(gNew, d);
    let tPrev = 0, fPrev = f, gPrev = g, gtdPrev = gtd;
    let done = false;
    let lsIter = 0;
    let br: number[] = [], brF: number[] = [], brG: Float64Array[] = [], brGtd: number[] = [];
    let bracketed = false;
    while (lsIter < maxLs) {
      if (!(fNew <= f + c1 * t * gtd) || (lsIter > 1 && fNew >= fPrev)) {
        [br, brF, brG, brGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
        bracketed = true;
        break;
      }
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        [br, brF, brG] = [[t], [fNew], [gNew]];
        done = true;
        break;
      }
      if (gtdNew >= 0) {
        [br, brF, brG, brGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
        bracketed = true;
        break;
      }
      const minStep = t + 0.01 * (t - tPrev);
      const maxStep = t * 10;
      const tmp = t;
      t = cubic(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
      tPrev = tmp;
      fPrev = fNew;
      gPrev = gNew;
      gtdPrev = gtdNew;
      ({ f: fNew, g: gNew } = this.#at(t, d));
      gtdNew = dot(gNew, d);
      lsIter++;
    }
    if (!done && !bracketed) {
      [br, brF, brG, brGtd] = [[0, t], [f, fNew], [g, gNew], [gtd, gtdNew]];
    }

    let insuf = false;
    let [low, high] = brF[0] <= brF[brF.length - 1] ? [0, 1] : [1, 0];
    while (!done && lsIter < maxLs) {
      if (Math.abs(br[1] - br[0]) * dNorm < toleranceChange) break;
      t = cubic(br[0], brF[0], brGtd[0], br[1], brF[1], brGtd[1]);
      const bMax = Math.max(...br);
      const bMin = Math.min(...br);
      const eps = 0.1 * (bMax - bMin);
      if (Math.min(bMax - t, t - bMin) < eps) {
        if (insuf || t >= bMax || t <= bMin) {
          t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
          insuf = false;
        } else {
          insuf = true;
        }
      } else {
        insuf = false;
      }
      ({ f: fNew, g: gNew } = this.#at(t, d));
      gtdNew = dot(gNew, d);
      lsIter++;
      if (!(fNew <= f + c1 * t * gtd) || fNew >= brF[low]) {
        br[high] = t;
        brF[high] = fNew;
        brG[high] = gNew;
        brGtd[high] = gtdNew;
        [low, high] = brF[0] <= brF[1] ? [0, 1] : [1, 0];
      } else {
        if (Math.abs(gtdNew) <= -c2 * gtd) {
          done = true;
        } else if (gtdNew * (br[high] - br[low]) >= 0) {
          br[high] = br[low];
          brF[high] = brF[low];
          brG[high] = brG[low];
          brGtd[high] = brGtd[low];
        }
        br[low] = t;
        brF[low] = fNew;
        brG[low] = gNew;
        brGtd[low] = gtdNew;
      }
    }
    return { t: br[low], f: brF[low], g: brG[low], wolfe: done };
  }
}
