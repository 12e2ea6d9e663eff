import { assert, assertEquals, assertNotEquals } from "@std/assert";
import type { GpuContext } from "../../src/gpu/context.ts";
import { pack } from "../../src/gpu/params.ts";
import { Program } from "../../src/gpu/program.ts";
import { reduceSum } from "../../src/ops/reduce.ts";
import {
  type GpuObjective,
  type IterationReport,
  Lbfgs,
  NonFiniteError,
} from "../../src/optim/lbfgs.ts";
import { cubicInterpolate, type LinePoint, strongWolfe } from "../../src/optim/line_search.ts";
import { maxAbs, type Objective64, ReferenceLbfgs } from "../reference/lbfgs.ts";
import { assertClose, gpu, rng } from "../_helpers.ts";

// Test objectives: each thread writes its gradient entries and its share of
// the loss; a deterministic reduction sums the shares into scalars[0], and
// scalars[1] reports Σx so the report slots are exercised too.

const ROSENBROCK = `
struct Params { pairs: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> terms: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.pairs) {
    return;
  }
  let a = x[2u * i];
  let r = x[2u * i + 1u] - a * a;
  let u = 1.0 - a;
  terms[i] = 100.0 * r * r + u * u;
  grad[2u * i] = -400.0 * a * r - 2.0 * u;
  grad[2u * i + 1u] = 200.0 * r;
}`;

// f = ½xᵀAx − bᵀx with A tridiagonal: diag[i] on the diagonal, −1 beside it.
const QUADRATIC = `
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> diag: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;
@group(0) @binding(5) var<storage, read_write> terms: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.n) {
    return;
  }
  var ax = diag[i] * x[i];
  if (i > 0u) {
    ax -= x[i - 1u];
  }
  if (i + 1u < p.n) {
    ax -= x[i + 1u];
  }
  grad[i] = ax - b[i];
  terms[i] = 0.5 * x[i] * ax - b[i] * x[i];
}`;

const rosenbrock64: Objective64 = (x, g) => {
  let f = 0;
  for (let i = 0; i < x.length; i += 2) {
    const r = x[i + 1] - x[i] * x[i];
    const u = 1 - x[i];
    f += 100 * r * r + u * u;
    g[i] = -400 * x[i] * r - 2 * u;
    g[i + 1] = 200 * r;
  }
  return f;
};

function quadratic64(diag: Float32Array, b: Float32Array): Objective64 {
  return (x, g) => {
    let f = 0;
    for (let i = 0; i < x.length; i++) {
      const ax = diag[i] * x[i] - (i > 0 ? x[i - 1] : 0) - (i + 1 < x.length ? x[i + 1] : 0);
      g[i] = ax - b[i];
      f += 0.5 * x[i] * ax - b[i] * x[i];
    }
    return f;
  };
}

function objective(
  ctx: GpuContext,
  x0: Float32Array,
  terms: number,
  record: (prog: Program, x: GPUBuffer, grad: GPUBuffer, terms: GPUBuffer) => void,
): GpuObjective {
  const n = x0.length;
  const x = ctx.upload("x", x0);
  const grad = ctx.createBuffer("grad", n * 4);
  const termBuf = ctx.createBuffer("terms", terms * 4);
  const scalars = ctx.createBuffer("scalars", 16);
  const evaluation = new Program(ctx);
  record(evaluation, x, grad, termBuf);
  reduceSum(evaluation, termBuf, terms, { scalars, slot: 0 });
  reduceSum(evaluation, x, n, { scalars, slot: 1 });
  return { size: n, x, grad, scalars, reportSlots: 2, evaluation };
}

function rosenbrockGpu(ctx: GpuContext, x0: Float32Array): GpuObjective {
  const pairs = x0.length / 2;
  return objective(ctx, x0, pairs, (prog, x, grad, terms) => {
    prog.dispatch(ctx.pipeline(ROSENBROCK), [x, grad, terms], [Math.ceil(pairs / 64)], pack(pairs));
  });
}

function quadraticGpu(
  ctx: GpuContext,
  x0: Float32Array,
  diag: Float32Array,
  b: Float32Array,
): GpuObjective {
  const n = x0.length;
  const d = ctx.upload("diag", diag);
  const bb = ctx.upload("b", b);
  return objective(ctx, x0, n, (prog, x, grad, terms) => {
    prog.dispatch(ctx.pipeline(QUADRATIC), [x, d, bb, grad, terms], [Math.ceil(n / 64)], pack(n));
  });
}

/** 64 variables around the classic (−1.2, 1) start, each pair nudged differently. */
function rosenbrockStart(): Float32Array {
  const r = rng(7);
  const x = new Float32Array(64);
  for (let i = 0; i < 64; i += 2) {
    x[i] = -1.2 + 0.2 * r();
    x[i + 1] = 1 + 0.2 * r();
  }
  return x;
}

/** A well-conditioned SPD tridiagonal system with n = 1000 (condition ≈ 30). */
function quadraticProblem(): { x0: Float32Array; diag: Float32Array; b: Float32Array } {
  const r = rng(11);
  const n = 1000;
  const diag = Float32Array.from({ length: n }, () => 2.2 + 1.8 * r());
  const b = Float32Array.from({ length: n }, () => 2 * r() - 1);
  return { x0: new Float32Array(n), diag, b };
}

/** The exact minimizer of the tridiagonal quadratic (Thomas algorithm, float64). */
function solveTridiagonal(diag: Float32Array, b: Float32Array): Float64Array {
  const n = diag.length;
  const c = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = diag[i] + (i > 0 ? c[i - 1] : 0);
    c[i] = -1 / m;
    e[i] = (b[i] + (i > 0 ? e[i - 1] : 0)) / m;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) x[i] = e[i] - c[i] * (i + 1 < n ? x[i + 1] : 0);
  return x;
}

async function readX(ctx: GpuContext, obj: GpuObjective): Promise<Float64Array> {
  return Float64Array.from(await ctx.read(obj.x, 0, obj.size));
}

Deno.test("Rosenbrock n=64, history 5: GPU losses and evaluation counts track the float64 reference (rtol 1e-3, 20 iterations), both reach the minimum", async () => {
  const ctx = await gpu();
  const x0 = rosenbrockStart();
  const obj = rosenbrockGpu(ctx, x0);
  const opt = new Lbfgs(ctx, obj, { historySize: 5 });
  const ref = new ReferenceLbfgs(rosenbrock64, x0, { historySize: 5 });

  const losses: number[] = [];
  const evals: number[] = [];
  const refEvals: number[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await opt.run({
      iterations: 1,
      onIteration: (r) => {
        losses.push(r.loss);
        evals.push(r.evaluations);
      },
    });
    assertEquals(res.stop, "iterations");
    ref.run({ iterations: 1 });
    refEvals.push(ref.evaluations);
  }
  assertClose(losses, ref.losses, 1e-3, 1e-6, "loss per iteration");
  // The line searches took the same branches: some needed several evaluations.
  assertEquals(evals, refEvals);
  assert(evals[19] > 22, `${evals[19]} evaluations in 20 iterations`);
  // Accepted steps satisfy sufficient decrease, so the loss falls every iteration.
  for (let i = 1; i < losses.length; i++) assert(losses[i] < losses[i - 1], `iteration ${i + 1}`);

  const end = await opt.run({ iterations: 400 });
  const refEnd = ref.run({ iterations: 400 });
  assertNotEquals(end.stop, "iterations");
  assertNotEquals(refEnd.stop, "iterations");
  assert(refEnd.loss < 1e-7, `reference loss ${refEnd.loss}`);
  assert(maxAbs(ref.x.map((v) => v - 1)) < 1e-3, "reference x ≈ 1");
  // f32 gradients slow the final approach (a float64 run on f32-rounded values
  // behaves alike), so the loss check allows for it: the start is at about 800.
  assert(end.loss < 1e-5, `GPU loss ${end.loss}`);
  assert(maxAbs((await readX(ctx, obj)).map((v) => v - 1)) < 1e-2, "GPU x ≈ 1");
  opt.destroy();
});

Deno.test("quadratic n=1000: GPU losses track the float64 reference (rtol 1e-5) until f32 resolution, both reach the minimizer", async () => {
  const ctx = await gpu();
  const { x0, diag, b } = quadraticProblem();
  const obj = quadraticGpu(ctx, x0, diag, b);
  const opt = new Lbfgs(ctx, obj);
  const f64 = quadratic64(diag, b);
  const ref = new ReferenceLbfgs(f64, x0);
  const xStar = solveTridiagonal(diag, b);
  const fStar = f64(xStar, new Float64Array(xStar.length));

  const initial = await opt.evaluate();
  assertEquals(opt.evaluations, 1);
  assertEquals([initial.loss, initial.scalars[1]], [0, 0], "loss and Σx at x0 = 0");
  const losses: number[] = [];
  const end = await opt.run({ iterations: 200, onIteration: (r) => void losses.push(r.loss) });
  const refEnd = ref.run({ iterations: 200 });
  // The loss stops changing in f32 (tolerance-change) a few iterations before it does in float64.
  assert(losses.length >= 12, `${losses.length} iterations`);
  assertClose(losses, ref.losses.slice(0, losses.length), 1e-5, 0, "loss per iteration");
  assertEquals(end.stop, "tolerance-change");
  assertNotEquals(refEnd.stop, "iterations");
  assertClose([refEnd.loss], [fStar], 1e-10, 0, "reference f*");
  assertClose(ref.x, xStar, 0, 1e-4, "reference x*");
  assertClose([end.loss], [fStar], 1e-6, 0, "GPU f*");
  assertClose(await readX(ctx, obj), xStar, 0, 1e-3, "GPU x*");
  opt.destroy();
});

Deno.test("strong Wolfe: accepted steps of the reference satisfy both conditions (c1 1e-4, c2 0.9)", () => {
  const x0 = rosenbrockStart();
  const ref = new ReferenceLbfgs(rosenbrock64, x0, { historySize: 5 });
  ref.run({ iterations: 60 });
  const wolfe = ref.steps.filter((s) => s.wolfe);
  assert(wolfe.length >= 0.9 * ref.steps.length, `${wolfe.length} of ${ref.steps.length}`);
  for (const s of wolfe) {
    assert(s.f <= s.f0 + 1e-4 * s.t * s.gtd0, `sufficient decrease at t=${s.t}`);
    assert(Math.abs(s.gtd) <= 0.9 * Math.abs(s.gtd0), `curvature at t=${s.t}`);
  }
});

Deno.test("strongWolfe on 1D functions: extrapolates, zooms, meets both conditions, holds ≤ 3 points", async () => {
  type P = LinePoint & { id: number };
  const functions: [string, (t: number) => [number, number]][] = [
    ["(t−3)²", (t) => [(t - 3) ** 2, 2 * (t - 3)]],
    ["t⁴ − 3t", (t) => [t ** 4 - 3 * t, 4 * t ** 3 - 3]],
    ["−sin t", (t) => [-Math.sin(t), -Math.cos(t)]],
    ["steep wall", (t) => [-t + Math.exp(5 * (t - 2)), -1 + 5 * Math.exp(5 * (t - 2))]],
  ];
  for (const [name, phi] of functions) {
    for (const t0 of [1e-3, 0.3, 1, 50]) {
      let id = 0;
      const at = (t: number): P => {
        const [f, gtd] = phi(t);
        return { t, f, gtd, id: id++ };
      };
      const start = at(0);
      const seen: number[] = [];
      const res = await strongWolfe<P>(start, at(t0), 1, (t, live) => {
        assert(live.length <= 3, "at most three live points");
        assert(live.includes(start), "start stays live");
        seen.push(t);
        return Promise.resolve(at(t));
      }, { c1: 1e-4, c2: 0.9, toleranceChange: 1e-9, maxLineSearch: 25 });
      const label = `${name} from t=${t0}`;
      assert(res.wolfe, `${label}: Wolfe point found`);
      assertEquals(res.evaluations, seen.length, label);
      assert(res.point.f <= start.f + 1e-4 * res.point.t * start.gtd, `${label}: decrease`);
      assert(Math.abs(res.point.gtd) <= 0.9 * Math.abs(start.gtd), `${label}: curvature`);
    }
  }
});

Deno.test("strongWolfe respects maxLineSearch and returns the lower of what it holds", async () => {
  const at = (t: number): LinePoint => ({ t, f: (t - 3) ** 2, gtd: 2 * (t - 3) });
  const start = at(0);
  const none = await strongWolfe(start, at(100), 1, () => {
    throw new Error("must not evaluate");
  }, { c1: 1e-4, c2: 0.9, toleranceChange: 1e-9, maxLineSearch: 0 });
  assertEquals(none.point, start);
  assertEquals(none.wolfe, false);
  // From a tiny first step the search wants to extrapolate several times; one
  // iteration allowed, it returns the better of the start and its one new point.
  let calls = 0;
  const one = await strongWolfe(start, at(1e-3), 1, (t) => {
    calls++;
    return Promise.resolve(at(t));
  }, { c1: 1e-4, c2: 0.9, toleranceChange: 1e-9, maxLineSearch: 1 });
  assertEquals(calls, 1);
  assertEquals(one.evaluations, 1);
  assertEquals(one.wolfe, false);
  assert(one.point.t > 1e-3 && one.point.f < start.f, `t=${one.point.t}`);
});

Deno.test("cubicInterpolate finds a cubic's minimizer and falls back to the midpoint", () => {
  // f(t) = t³ − 3t has its local minimum at t = 1.
  const f = (t: number) => t ** 3 - 3 * t;
  const g = (t: number) => 3 * t * t - 3;
  assertClose([cubicInterpolate(0, f(0), g(0), 2, f(2), g(2))], [1], 1e-12, 1e-12, "minimizer");
  assertClose([cubicInterpolate(2, f(2), g(2), 0, f(0), g(0))], [1], 1e-12, 1e-12, "reversed");
  assertEquals(cubicInterpolate(0, f(0), g(0), 2, f(2), g(2), [1.5, 3]), 1.5);
  // A concave pair has no real minimizer: midpoint of the bounds.
  assertEquals(cubicInterpolate(0, 0, 1, 1, 0, -1, [0, 4]), 2);
});

Deno.test("stops on toleranceGrad and toleranceChange like the reference", async () => {
  const ctx = await gpu();
  const { x0, diag, b } = quadraticProblem();
  const f64 = quadratic64(diag, b);

  const obj = quadraticGpu(ctx, x0, diag, b);
  const opt = new Lbfgs(ctx, obj, { toleranceGrad: 1e-2 });
  const res = await opt.run({ iterations: 200 });
  const ref = new ReferenceLbfgs(f64, x0, { toleranceGrad: 1e-2 }).run({ iterations: 200 });
  assertEquals(res.stop, "tolerance-grad");
  assertEquals(ref.stop, "tolerance-grad");
  assertEquals(res.iterations, ref.iterations);
  const g = new Float64Array(x0.length);
  f64(await readX(ctx, obj), g);
  assert(maxAbs(g) <= 1.001e-2, `max|g| = ${maxAbs(g)}`);
  assert(maxAbs(g) > 1e-4, "stopped early, not at the optimum");
  opt.destroy();

  const obj2 = quadraticGpu(ctx, x0, diag, b);
  const opt2 = new Lbfgs(ctx, obj2, { toleranceChange: 1e-1 });
  const res2 = await opt2.run({ iterations: 200 });
  const ref2 = new ReferenceLbfgs(f64, x0, { toleranceChange: 1e-1 }).run({ iterations: 200 });
  assertEquals(res2.stop, "tolerance-change");
  assertEquals(ref2.stop, "tolerance-change");
  assertEquals(res2.iterations, ref2.iterations);
  assert(res2.iterations < 20, `${res2.iterations} iterations`);
  opt2.destroy();
});

Deno.test("an AbortSignal stops the run and leaves x at an accepted point, also mid line search", async () => {
  const ctx = await gpu();
  const x0 = rosenbrockStart();
  const obj = rosenbrockGpu(ctx, x0);
  const opt = new Lbfgs(ctx, obj, { historySize: 5 });

  const controller = new AbortController();
  const reports: IterationReport[] = [];
  const res = await opt.run({
    iterations: 100,
    signal: controller.signal,
    onIteration: (r) => {
      reports.push(r);
      if (r.iteration === 3) controller.abort();
    },
  });
  assertEquals(res.stop, "aborted");
  assertEquals(res.iterations, 3);
  const f = rosenbrock64(await readX(ctx, obj), new Float64Array(64));
  assertClose([f], [reports[2].loss], 1e-5, 0, "loss at x");

  // A signal that turns aborted after a given number of looks lands the abort at
  // every possible check, including those between line-search evaluations.
  let midSearch = 0;
  for (let looks = 1; looks <= 24; looks++) {
    let count = 0;
    const isAborted = () => ++count > looks;
    const signal = {
      get aborted() {
        return isAborted();
      },
      throwIfAborted() {
        if (isAborted()) throw new DOMException("aborted", "AbortError");
      },
    } as unknown as AbortSignal;
    ctx.write(obj.x, x0);
    opt.reset();
    let last = { loss: NaN, evaluations: 0 };
    const initial = await opt.evaluate();
    last = { loss: initial.loss, evaluations: 1 };
    const r = await opt.run({
      iterations: 100,
      signal,
      onIteration: (rep) => void (last = rep),
    });
    assertEquals(r.stop, "aborted", `looks=${looks}`);
    if (opt.evaluations > last.evaluations) midSearch++;
    const fx = rosenbrock64(await readX(ctx, obj), new Float64Array(64));
    assertClose([fx], [last.loss], 1e-5, 0, `looks=${looks}: x is the last accepted point`);
  }
  assert(midSearch >= 2, `aborted mid line search ${midSearch} times`);
  opt.destroy();
});

Deno.test("the evaluation budget is never exceeded, within a line search too", async () => {
  const ctx = await gpu();
  const x0 = rosenbrockStart();
  const obj = rosenbrockGpu(ctx, x0);
  const opt = new Lbfgs(ctx, obj, { historySize: 5 });
  for (const budget of [1, 2, 3, 5, 8, 13, 21]) {
    ctx.write(obj.x, x0);
    opt.reset();
    const res = await opt.run({ iterations: 1000, evaluations: budget });
    const ref = new ReferenceLbfgs(rosenbrock64, x0, { historySize: 5 })
      .run({ iterations: 1000, evaluations: budget });
    assertEquals(res.stop, "evaluations", `budget ${budget}`);
    assertEquals(res.evaluations, budget, `budget ${budget}`);
    assertEquals(opt.evaluations, budget);
    assertEquals(res.iterations, ref.iterations, `budget ${budget}`);
    const fx = rosenbrock64(await readX(ctx, obj), new Float64Array(64));
    assertClose([fx], [res.loss], 1e-5, 0, `budget ${budget}: x is the accepted point`);
  }
  // A budget per call: each call stays within it and the optimization goes on.
  ctx.write(obj.x, x0);
  opt.reset();
  let total = 0;
  let loss = Infinity;
  for (let k = 0; k < 5; k++) {
    const res = await opt.run({ iterations: 1000, evaluations: 3 });
    assert(res.evaluations <= 3);
    total += res.evaluations;
    assert(res.loss < loss);
    loss = res.loss;
  }
  assertEquals(opt.evaluations, total);
  opt.destroy();
});

Deno.test("run(); run() continues with its history: bit-identical to one longer run, unlike a reset", async () => {
  const ctx = await gpu();
  const x0 = rosenbrockStart();
  const obj = rosenbrockGpu(ctx, x0);
  const opt = new Lbfgs(ctx, obj, { historySize: 5 });
  const collect = (into: IterationReport[]) => (r: IterationReport) => void into.push(r);

  const split: IterationReport[] = [];
  await opt.run({ iterations: 6, onIteration: collect(split) });
  await opt.run({ iterations: 6, onIteration: collect(split) });

  ctx.write(obj.x, x0);
  opt.reset();
  assertEquals(opt.evaluations, 0);
  const whole: IterationReport[] = [];
  await opt.run({ iterations: 12, onIteration: collect(whole) });
  assertEquals(split, whole);
  assertEquals(split.map((r) => r.iteration), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

  ctx.write(obj.x, x0);
  opt.reset();
  const restarted: IterationReport[] = [];
  await opt.run({ iterations: 6, onIteration: collect(restarted) });
  opt.reset();
  await opt.run({ iterations: 6, onIteration: collect(restarted) });
  assertEquals(restarted.slice(0, 6), whole.slice(0, 6));
  assertNotEquals(restarted[6].loss, whole[6].loss);

  // evaluate() stores the point, so the run that follows does not evaluate it again.
  ctx.write(obj.x, x0);
  opt.reset();
  await opt.evaluate();
  const once = await opt.run({ iterations: 1 });
  assertEquals(once.evaluations + 1, whole[0].evaluations);
  opt.destroy();
});

// f = Σ (x − 3)², but NaN wherever x passes 2: a loss that blows up on the way.
const CLIFF = `
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> terms: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.n) {
    return;
  }
  let d = x[i] - 3.0;
  // sqrt of a negative number made at run time: a NaN no compiler folds away.
  let nan = sqrt(x[i] - x[i] - 1.0);
  terms[i] = select(d * d, nan, x[i] > 2.0);
  grad[i] = 2.0 * d;
}`;

Deno.test("a NaN loss stops the run with NonFiniteError and leaves x at the last accepted point", async () => {
  const ctx = await gpu();
  const n = 16;
  const obj = objective(ctx, new Float32Array(n), n, (prog, x, grad, terms) => {
    prog.dispatch(ctx.pipeline(CLIFF), [x, grad, terms], [1], pack(n));
  });
  const opt = new Lbfgs(ctx, obj, { historySize: 5 });
  const reports: IterationReport[] = [];
  let error: unknown = null;
  try {
    await opt.run({ iterations: 50, onIteration: (r) => void reports.push(r) });
  } catch (e) {
    error = e;
  }
  assert(error instanceof NonFiniteError, `expected NonFiniteError, got ${error}`);
  assertEquals((error as NonFiniteError).atStart, false);
  assert(reports.length >= 1, "no iteration was accepted before the cliff");
  const x = await readX(ctx, obj);
  const f = x.reduce((s, v) => s + (v - 3) ** 2, 0);
  assert(x.every((v) => v <= 2), "x was left past the cliff");
  assertClose([f], [reports.at(-1)!.loss], 1e-5, 0, "x is the last accepted point");

  ctx.write(obj.x, new Float32Array(n).fill(2.5));
  opt.reset();
  const atStart = await opt.evaluate().catch((e) => e);
  assert(atStart instanceof NonFiniteError && atStart.atStart, `${atStart}`);
  opt.destroy();
});
