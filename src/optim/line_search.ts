/**
 * The strong Wolfe line search of torch.optim.LBFGS (`_strong_wolfe`, itself a
 * port of lswolfe.lua), as CPU logic on scalars. The caller owns the vectors:
 * it evaluates trial steps on the GPU and hands back the loss and the
 * directional derivative, so the search itself never touches a buffer.
 *
 * Two deliberate differences from torch, both inert on finite values: a NaN
 * loss counts as failing the sufficient-decrease test (so a blow-up makes the
 * search back off instead of moving to NaN), and a NaN loss never becomes the
 * low end of the bracket.
 *
 * @module
 */

/** One evaluated point on the line x_k + t·d. */
export interface LinePoint {
  /** Step length. */
  readonly t: number;
  /** Loss at the step. */
  readonly f: number;
  /** Directional derivative ∇f(x_k + t·d)ᵀd. */
  readonly gtd: number;
}

/** Parameters of {@link strongWolfe} (torch's defaults: 1e-4, 0.9, 1e-9, 25). */
export interface StrongWolfeOptions {
  /** Sufficient-decrease constant: f(t) ≤ f(0) + c1·t·f'(0). */
  c1: number;
  /** Curvature constant: |f'(t)| ≤ c2·|f'(0)|. */
  c2: number;
  /** Stop zooming once the bracket moves x by less than this (in max-norm). */
  toleranceChange: number;
  /**
   * Most search iterations; the search evaluates at most this many points
   * beyond the first trial point.
   */
  maxLineSearch: number;
}

/** What {@link strongWolfe} settles on. */
export interface LineSearchResult<P extends LinePoint> {
  /** The accepted point: one the caller evaluated, or `start` itself. */
  point: P;
  /** Evaluations the search made, not counting `first`. */
  evaluations: number;
  /** Whether `point` satisfies both strong Wolfe conditions. */
  wolfe: boolean;
}

/**
 * Evaluates the objective at step `t` and returns the point. `live` lists the
 * points the search still holds (their gradients must survive this
 * evaluation); any other point the caller handed out may be recycled.
 */
export type LineEvaluator<P extends LinePoint> = (t: number, live: readonly P[]) => Promise<P>;

/**
 * Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to
 * `bounds` (default: between x1 and x2); the midpoint of the bounds when the
 * cubic has no real minimizer. torch's `_cubic_interpolate`.
 */
export function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: readonly [number, number],
): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos = x1 <= x2
      ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
      : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    if (Number.isFinite(minPos)) return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

function _lowIndex(bracket: readonly LinePoint[]): 0 | 1 {
  return bracket[0].f <= bracket[1].f || Number.isNaN(bracket[1].f) ? 0 : 1;
}

/**
 * Strong Wolfe line search along d from `start` (t = 0, with f and f'(0) < 0),
 * given the already evaluated `first` trial step. Brackets a step satisfying
 * f(t) ≤ f(0) + c1·t·f'(0) and |f'(t)| ≤ c2·|f'(0)|, then zooms with safeguarded
 * cubic interpolation. `dNorm` is max|d|, which turns a bracket width into a
 * change of x for the `toleranceChange` test. When the iteration limit is
 * reached first, the lower of what the search holds is returned (possibly
 * `start`, meaning no move).
 */
export async function strongWolfe<P extends LinePoint>(
  start: P,
  first: P,
  dNorm: number,
  evaluate: LineEvaluator<P>,
  options: StrongWolfeOptions,
): Promise<LineSearchResult<P>> {
  const { c1, c2, toleranceChange, maxLineSearch } = options;
  const f0 = start.f;
  const gtd0 = start.gtd;
  const armijo = (p: P): boolean => p.f <= f0 + c1 * p.t * gtd0;
  const curvature = (p: P): boolean => Math.abs(p.gtd) <= -c2 * gtd0;

  let evaluations = 0;
  let iteration = 0;
  let prev = start;
  let cur = first;
  let bracket: [P, P] | null = null;
  while (iteration < maxLineSearch) {
    if (!armijo(cur) || (iteration > 1 && cur.f >= prev.f)) {
      bracket = [prev, cur];
      break;
    }
    if (curvature(cur)) return { point: cur, evaluations, wolfe: true };
    if (cur.gtd >= 0) {
      bracket = [prev, cur];
      break;
    }
    const minStep = cur.t + 0.01 * (cur.t - prev.t);
    const maxStep = cur.t * 10;
    const t = cubicInterpolate(prev.t, prev.f, prev.gtd, cur.t, cur.f, cur.gtd, [
      minStep,
      maxStep,
    ]);
    const next = await evaluate(t, [start, cur]);
    evaluations++;
    iteration++;
    prev = cur;
    cur = next;
  }
  bracket ??= [start, cur];

  let low = _lowIndex(bracket);
  let insufficientProgress = false;
  while (iteration < maxLineSearch) {
    const [a, b] = bracket;
    if (Math.abs(b.t - a.t) * dNorm < toleranceChange) break;
    let t = cubicInterpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd);
    // Keep trial steps a tenth of the bracket away from its ends once the
    // interpolation has hugged a boundary twice, so the bracket keeps shrinking.
    const hi = Math.max(a.t, b.t);
    const lo = Math.min(a.t, b.t);
    const eps = 0.1 * (hi - lo);
    if (Math.min(hi - t, t - lo) < eps) {
      if (insufficientProgress || t >= hi || t <= lo) {
        t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - eps : lo + eps;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }

    const p = await evaluate(t, [start, a, b]);
    evaluations++;
    iteration++;
    const high = 1 - low;
    if (!armijo(p) || p.f >= bracket[low].f) {
      bracket[high] = p;
      low = _lowIndex(bracket);
    } else {
      if (curvature(p)) return { point: p, evaluations, wolfe: true };
      if (p.gtd * (bracket[high].t - bracket[low].t) >= 0) bracket[high] = bracket[low];
      bracket[low] = p;
    }
  }
  const point = bracket[low];
  return { point, evaluations, wolfe: point !== start && armijo(point) && curvature(point) };
}
