/**
 * L-BFGS on GPU vectors, following torch.optim.LBFGS with
 * `line_search_fn="strong_wolfe"` so runs compare number for number with the
 * PyTorch reference: the same two-loop recursion, the same first step
 * t = min(1, 1/‖g‖₁) and later t = 1, history pairs admitted only when
 * yᵀs > 1e-10, H0 = sᵀy/yᵀy, and the same stopping tests.
 *
 * Everything of size n stays on the GPU: x, g, the direction, the previous
 * gradient and the history ring (s_i, y_i). The two-loop recursion is a chain of
 * prerecorded programs whose dot products land in a GPU scalars buffer and
 * whose axpy kernels read their coefficients from it. The CPU sees scalars
 * only, through exactly one readback per function evaluation.
 *
 * Differences from torch, all at the edges:
 * - the search direction is computed in the same submission as the first
 *   trial evaluation, so when torch would stop before evaluating (gᵀd above
 *   −toleranceChange) that trial has been evaluated, counted and discarded;
 * - the CPU admits a pair from yᵀs = t·(∇f(x_{k+1})ᵀd − ∇f(x_k)ᵀd), which the
 *   strong Wolfe conditions keep well away from cancellation; the GPU then
 *   forms ρ and H from the exact f32 dot products (see lbfgs_pair.wgsl);
 * - the evaluation budget is strict: a line search never runs past it;
 * - a second {@link Lbfgs.run} continues from the stored point and gradient
 *   instead of re-evaluating, as torch's `step()` does.
 *
 * @module
 */
import pairSource from "../../kernels/lbfgs_pair.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { pack } from "../gpu/params.ts";
import { Program } from "../gpu/program.ts";
import { TexSynthError } from "../errors.ts";
import { reduceDot } from "../ops/reduce.ts";
import { axpy, reduceMaxAbs, reduceSumAbs, scale } from "../ops/vector.ts";
import { type LinePoint, strongWolfe } from "./line_search.ts";

/** What the optimizer drives: a recorded program that evaluates the objective at `x` on the GPU. */
export interface GpuObjective {
  /** Number of f32 variables in x and grad. */
  readonly size: number;
  /** The variables; `evaluation` reads them. The optimizer writes trial points here. */
  readonly x: GPUBuffer;
  /** ∂loss/∂x, written (overwritten) by `evaluation`. */
  readonly grad: GPUBuffer;
  /**
   * `evaluation` writes the loss to scalars[0] and other figures to
   * scalars[1 .. reportSlots-1]. Needs COPY_SRC usage (the default of
   * `GpuContext.createBuffer`).
   */
  readonly scalars: GPUBuffer;
  /** How many leading f32 of `scalars` are reported (at least the loss). */
  readonly reportSlots: number;
  /** Forward + loss + backward at x, replayed for every evaluation. */
  readonly evaluation: Program;
}

/**
 * An evaluation gave a loss or gradient that is NaN or infinite. The
 * optimizer has put x back at the last accepted point (if there is one), so
 * what the caller downloads is the last finite image.
 */
export class NonFiniteError extends TexSynthError {
  /** Whether it happened at the very first evaluation (nothing was accepted yet). */
  readonly atStart: boolean;
  /** Creates the error; `atStart` when no point had been accepted yet. */
  constructor(atStart: boolean, message: string) {
    super(message);
    this.name = "NonFiniteError";
    this.atStart = atStart;
  }
}

/** Tuning of {@link Lbfgs}; the defaults are torch.optim.LBFGS's. */
export interface LbfgsOptions {
  /** History pairs kept (m). Default 100. Each pair costs 8·size bytes of GPU memory. */
  historySize?: number;
  /** Stop when max|g| ≤ this. Default 1e-7. */
  toleranceGrad?: number;
  /** Stop when a step moves x, or the loss, by less than this. Default 1e-9. */
  toleranceChange?: number;
  /** Sufficient-decrease constant of the strong Wolfe search. Default 1e-4. */
  c1?: number;
  /** Curvature constant of the strong Wolfe search. Default 0.9. */
  c2?: number;
  /** Most line-search iterations per step. Default 25. */
  maxLineSearch?: number;
}

/** The figures of one evaluation. */
export interface EvaluationReport {
  /** The objective's scalars[0]. */
  loss: number;
  /** The objective's report slots, scalars[0 .. reportSlots-1] (the loss included). */
  scalars: number[];
}

/** Progress after one accepted iteration, counted since construction or {@link Lbfgs.reset}. */
export interface IterationReport {
  /** Accepted iterations so far (1 for the first). */
  iteration: number;
  /** Evaluations so far. */
  evaluations: number;
  /** Loss at the accepted point. */
  loss: number;
  /** The objective's report slots at the accepted point (the loss included). */
  scalars: number[];
}

/** Why {@link Lbfgs.run} returned. */
export type StopReason =
  | "iterations"
  | "evaluations"
  | "tolerance-grad"
  | "tolerance-change"
  | "aborted";

/** Limits and hooks of one {@link Lbfgs.run} call. */
export interface RunLimits {
  /** Most iterations in this call. */
  iterations: number;
  /** Most evaluations in this call (strict: a line search stops at the budget). Default unlimited. */
  evaluations?: number;
  /** Stops the run between evaluations; x is left at the last accepted point. */
  signal?: AbortSignal;
  /** Called (and awaited) after each accepted iteration. */
  onIteration?: (r: IterationReport) => void | Promise<void>;
}

/** How one {@link Lbfgs.run} call ended. */
export interface RunResult {
  /** Why it stopped. */
  stop: StopReason;
  /** Iterations accepted in this call. */
  iterations: number;
  /** Evaluations made in this call. */
  evaluations: number;
  /** Loss at the current point (NaN when nothing has been evaluated). */
  loss: number;
}

// Slots of the optimizer's scalars buffer. The first FIGURES are read back
// with every evaluation.
const T = 0; // trial step, written by the CPU
const GTD = 1; // ∇f(trial)ᵀd
const GMAX = 2; // max|∇f(trial)|
const GSUM = 3; // Σ|∇f(trial)|
const GTD0 = 4; // ∇f(x_k)ᵀd
const DMAX = 5; // max|d|
const FIGURES = 6;
const YR = 6; // y_iᵀr in the second loop
const H = 7; // initial inverse-Hessian scale
const YS = 8;
const YY = 9;
const PAIRS = 10; // ρ_i at PAIRS + 2i, s_iᵀq at PAIRS + 2i + 1

const MAP_READ = 0x01;
const COPY_DST = 0x08;

/** Scalars known about the current point x_k. */
interface _Current {
  readonly f: number;
  gmax: number;
  gsum: number;
  scalars: number[];
}

/** An evaluated point on the search line; its gradient sits in `grad`. */
interface _Point extends LinePoint, _Current {
  grad: GPUBuffer;
}

/** Per ring slot: the pair's vectors and the programs that use them. */
interface _Pair {
  s: GPUBuffer;
  y: GPUBuffer;
  /** First loop of the two-loop recursion (newest to oldest). */
  first: Program;
  /** Second loop (oldest to newest). */
  second: Program;
  /** Forms s = t·d, y −= g_k (y holds the new gradient), then ρ and H. */
  update: Program;
}

/**
 * Limited-memory BFGS with a strong Wolfe line search, on GPU buffers.
 *
 * @example
 * ```ts ignore
 * const opt = new Lbfgs(ctx, objective, { historySize: 100 });
 * const first = await opt.evaluate();
 * const { stop } = await opt.run({ iterations: 500, onIteration: (r) => log(r.loss) });
 * ```
 */
export class Lbfgs {
  readonly #ctx: GpuContext;
  readonly #obj: GpuObjective;
  readonly #m: number;
  readonly #tolGrad: number;
  readonly #tolChange: number;
  readonly #c1: number;
  readonly #c2: number;
  readonly #maxLs: number;
  readonly #reportSlots: number;
  readonly #xk: GPUBuffer;
  readonly #gk: GPUBuffer;
  readonly #d: GPUBuffer;
  /** Gradients of line-search points; three suffice (two bracket ends and a new point). */
  readonly #pool: GPUBuffer[];
  readonly #scalars: GPUBuffer;
  readonly #staging: GPUBuffer;
  readonly #pairs: _Pair[] = [];
  readonly #initial: Program;
  readonly #trial: Program;
  readonly #figures: Program;
  readonly #dirStart: Program;
  readonly #dirScale: Program;
  readonly #dirFigures: Program;
  readonly #advance: Program;
  #head = 0;
  #count = 0;
  #current: _Current | null = null;
  #started = false;
  #evaluations = 0;
  #iteration = 0;
  #busy = false;

  /** Allocates the optimizer's vectors (6·size f32 plus the history, added as it fills). */
  constructor(ctx: GpuContext, objective: GpuObjective, options: LbfgsOptions = {}) {
    const m = options.historySize ?? 100;
    if (!Number.isInteger(m) || m < 1) {
      throw new TexSynthError(`L-BFGS historySize must be a positive integer, not ${m}`);
    }
    this.#ctx = ctx;
    this.#obj = objective;
    this.#m = m;
    this.#tolGrad = options.toleranceGrad ?? 1e-7;
    this.#tolChange = options.toleranceChange ?? 1e-9;
    this.#c1 = options.c1 ?? 1e-4;
    this.#c2 = options.c2 ?? 0.9;
    this.#maxLs = options.maxLineSearch ?? 25;
    this.#reportSlots = Math.max(1, objective.reportSlots);

    const n = objective.size;
    const bytes = n * 4;
    this.#xk = ctx.createBuffer("L-BFGS x_k", bytes);
    this.#gk = ctx.createBuffer("L-BFGS g_k", bytes);
    this.#d = ctx.createBuffer("L-BFGS direction", bytes);
    this.#pool = [0, 1, 2].map((i) => ctx.createBuffer(`L-BFGS line-search gradient ${i}`, bytes));
    const init = new Float32Array(PAIRS + 2 * m);
    init[H] = 1;
    this.#scalars = ctx.upload("L-BFGS scalars", init);
    this.#staging = ctx.createBuffer(
      "L-BFGS readback",
      (this.#reportSlots + FIGURES) * 4,
      MAP_READ | COPY_DST,
    );

    const { x, grad } = objective;
    const sc = this.#scalars;

    this.#initial = new Program(ctx);
    this.#initial.copy(x, this.#xk, bytes);

    this.#trial = new Program(ctx);
    this.#trial.copy(this.#xk, x, bytes);
    axpy(this.#trial, x, this.#d, n, { scalars: sc, a: T });

    this.#figures = new Program(ctx);
    reduceDot(this.#figures, grad, this.#d, n, { scalars: sc, slot: GTD });
    reduceMaxAbs(this.#figures, grad, n, { scalars: sc, slot: GMAX });
    reduceSumAbs(this.#figures, grad, n, { scalars: sc, slot: GSUM });

    this.#dirStart = new Program(ctx);
    this.#dirStart.clear(this.#d, 0, bytes);
    axpy(this.#dirStart, this.#d, this.#gk, n, { scalars: sc, k: -1 });

    this.#dirScale = new Program(ctx);
    scale(this.#dirScale, this.#d, n, { scalars: sc, a: H });

    this.#dirFigures = new Program(ctx);
    reduceDot(this.#dirFigures, this.#gk, this.#d, n, { scalars: sc, slot: GTD0 });
    reduceMaxAbs(this.#dirFigures, this.#d, n, { scalars: sc, slot: DMAX });

    this.#advance = new Program(ctx);
    axpy(this.#advance, this.#xk, this.#d, n, { scalars: sc, a: T });
    this.#advance.copy(this.#xk, x, bytes);
  }

  /** Total evaluations since construction or {@link reset}. */
  get evaluations(): number {
    return this.#evaluations;
  }

  /** Evaluates at the current x without moving it (for an "iteration 0" report); counts as an evaluation. */
  async evaluate(): Promise<EvaluationReport> {
    this.#enter();
    try {
      const current = await this.#evaluateCurrent();
      return { loss: current.f, scalars: current.scalars };
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Runs iterations until a limit, a tolerance or the signal; onIteration after each accepted iteration.
   * State (history, current point) persists between calls, so a second run() continues the same optimization.
   * Whatever the stop, objective.x holds the last accepted point (the gradient buffer may not match it).
   */
  async run(limits: RunLimits): Promise<RunResult> {
    this.#enter();
    try {
      return await this.#run(limits);
    } finally {
      this.#busy = false;
    }
  }

  /** Forgets history and the current point (the objective's x was replaced, e.g. a new variation). */
  reset(): void {
    this.#head = 0;
    this.#count = 0;
    this.#current = null;
    this.#started = false;
    this.#evaluations = 0;
    this.#iteration = 0;
    this.#ctx.write(this.#scalars, new Float32Array([1]), H * 4);
  }

  /** Frees the optimizer's vectors and recorded programs. */
  destroy(): void {
    const buffers = [this.#xk, this.#gk, this.#d, ...this.#pool, this.#scalars, this.#staging];
    const programs = [
      this.#initial,
      this.#trial,
      this.#figures,
      this.#dirStart,
      this.#dirScale,
      this.#dirFigures,
      this.#advance,
    ];
    for (const pair of this.#pairs) {
      buffers.push(pair.s, pair.y);
      programs.push(pair.first, pair.second, pair.update);
    }
    for (const buffer of buffers) this.#ctx.destroyBuffer(buffer);
    for (const program of programs) program.destroy();
    this.#pairs.length = 0;
  }

  #enter(): void {
    if (this.#busy) throw new Error("Lbfgs: run() or evaluate() is already in progress");
    this.#busy = true;
  }

  async #run(limits: RunLimits): Promise<RunResult> {
    const { signal, onIteration } = limits;
    const maxIterations = limits.iterations;
    const maxEvaluations = limits.evaluations ?? Infinity;
    const evaluationsBefore = this.#evaluations;
    const used = (): number => this.#evaluations - evaluationsBefore;
    let iterations = 0;
    const result = (stop: StopReason): RunResult => ({
      stop,
      iterations,
      evaluations: used(),
      loss: this.#current?.f ?? NaN,
    });

    if (signal?.aborted) return result("aborted");
    if (!(maxIterations >= 1)) return result("iterations");
    if (!(maxEvaluations >= 1)) return result("evaluations");
    try {
      const current = this.#current ?? await this.#evaluateCurrent();
      if (current.gmax <= this.#tolGrad) return result("tolerance-grad");
      for (;;) {
        if (used() >= maxEvaluations) return result("evaluations");
        signal?.throwIfAborted();
        const step = await this.#iterate(maxEvaluations - used(), signal);
        if (step === null) return result("tolerance-change");
        iterations++;
        this.#iteration++;
        await onIteration?.({
          iteration: this.#iteration,
          evaluations: this.#evaluations,
          loss: step.point.f,
          scalars: step.point.scalars,
        });
        if (iterations >= maxIterations) return result("iterations");
        if (used() >= maxEvaluations) return result("evaluations");
        if (step.point.gmax <= this.#tolGrad) return result("tolerance-grad");
        if (Math.abs(step.point.t) * step.dNorm <= this.#tolChange) {
          return result("tolerance-change");
        }
        if (Math.abs(step.point.f - step.previousLoss) < this.#tolChange) {
          return result("tolerance-change");
        }
      }
    } catch (e) {
      if (!signal?.aborted) throw e;
      this.#restore();
      return result("aborted");
    }
  }

  /**
   * One iteration: direction, line search, move. Null when the direction is
   * not a descent direction (torch's gᵀd > −toleranceChange stop).
   */
  async #iterate(
    budget: number,
    signal: AbortSignal | undefined,
  ): Promise<{ point: _Point; dNorm: number; previousLoss: number } | null> {
    const current = this.#current!;
    const t0 = this.#started ? 1 : Math.min(1, 1 / current.gsum);
    this.#started = true;
    const { point: first, figures } = await this.#evaluateAt(t0, [], true);
    const gtd0 = figures[GTD0];
    const dNorm = figures[DMAX];
    if (!(gtd0 <= -this.#tolChange)) {
      this.#restore();
      return null;
    }
    const start: _Point = { ...current, t: 0, gtd: gtd0, grad: this.#gk };
    const search = await strongWolfe(
      start,
      first,
      dNorm,
      async (t, live) => {
        signal?.throwIfAborted();
        return (await this.#evaluateAt(t, live, false)).point;
      },
      {
        c1: this.#c1,
        c2: this.#c2,
        toleranceChange: this.#tolChange,
        maxLineSearch: Math.min(this.#maxLs, budget - 1),
      },
    );
    this.#accept(search.point, start);
    return { point: search.point, dNorm, previousLoss: start.f };
  }

  /** Evaluates at x (copied into x_k) and makes it the current point. */
  async #evaluateCurrent(): Promise<_Current> {
    const out = await this.#submitAndRead((encoder) => {
      this.#initial.encode(encoder);
      this.#obj.evaluation.encode(encoder);
      this.#figures.encode(encoder);
      encoder.copyBufferToBuffer(this.#obj.grad, 0, this.#gk, 0, this.#obj.size * 4);
    });
    this.#current = this.#pointFigures(out);
    return this.#current;
  }

  /**
   * Evaluates at x_k + t·d, keeping the gradient in a pool buffer that no
   * `live` point holds. With `direction`, first computes d by the two-loop
   * recursion in the same submission.
   */
  async #evaluateAt(
    t: number,
    live: readonly _Point[],
    direction: boolean,
  ): Promise<{ point: _Point; figures: Float32Array }> {
    const keep = this.#pool.find((buffer) => !live.some((p) => p.grad === buffer));
    if (!keep) throw new Error("L-BFGS line search holds more gradients than its pool");
    this.#ctx.write(this.#scalars, new Float32Array([t]), T * 4);
    const out = await this.#submitAndRead((encoder) => {
      if (direction) this.#encodeDirection(encoder);
      this.#trial.encode(encoder);
      this.#obj.evaluation.encode(encoder);
      this.#figures.encode(encoder);
      encoder.copyBufferToBuffer(this.#obj.grad, 0, keep, 0, this.#obj.size * 4);
    });
    const figures = out.subarray(this.#reportSlots);
    return { point: { ...this.#pointFigures(out), t, gtd: figures[GTD], grad: keep }, figures };
  }

  #pointFigures(out: Float32Array): _Current {
    const figures = out.subarray(this.#reportSlots);
    // A NaN would otherwise fail every comparison of the line search and end
    // the run as if the loss had merely stopped changing.
    const finiteLoss = Number.isFinite(out[0]);
    if (!finiteLoss || !Number.isFinite(figures[GMAX]) || !Number.isFinite(figures[GSUM])) {
      if (this.#current) this.#restore();
      throw new NonFiniteError(
        this.#current === null,
        `the ${finiteLoss ? "gradient" : "loss"} became NaN or infinite`,
      );
    }
    return {
      f: out[0],
      gmax: figures[GMAX],
      gsum: figures[GSUM],
      scalars: Array.from(out.subarray(0, this.#reportSlots)),
    };
  }

  /** d = −H·g_k through the two-loop recursion over the ring, newest pair first. */
  #encodeDirection(encoder: GPUCommandEncoder): void {
    this.#dirStart.encode(encoder);
    for (let i = this.#count - 1; i >= 0; i--) {
      this.#pairs[(this.#head + i) % this.#m].first.encode(encoder);
    }
    this.#dirScale.encode(encoder);
    for (let i = 0; i < this.#count; i++) {
      this.#pairs[(this.#head + i) % this.#m].second.encode(encoder);
    }
    this.#dirFigures.encode(encoder);
  }

  /**
   * Moves to the accepted point: records the history pair when yᵀs > 1e-10,
   * makes its gradient g_k and sets x_k = x = x_k + t·d. No readback.
   */
  #accept(point: _Point, start: _Point): void {
    const moved = point !== start;
    const push = moved && point.t * (point.gtd - start.gtd) > 1e-10;
    const bytes = this.#obj.size * 4;
    this.#ctx.write(this.#scalars, new Float32Array([point.t]), T * 4);
    const encoder = this.#ctx.device.createCommandEncoder();
    if (push) {
      const pair = this.#pushPair();
      encoder.copyBufferToBuffer(point.grad, 0, pair.y, 0, bytes);
      pair.update.encode(encoder);
    }
    if (moved) {
      encoder.copyBufferToBuffer(point.grad, 0, this.#gk, 0, bytes);
      this.#advance.encode(encoder);
    } else {
      encoder.copyBufferToBuffer(this.#xk, 0, this.#obj.x, 0, bytes);
    }
    this.#ctx.device.queue.submit([encoder.finish()]);
    this.#current = { f: point.f, gmax: point.gmax, gsum: point.gsum, scalars: point.scalars };
  }

  /** Puts x back to x_k after an abandoned trial. */
  #restore(): void {
    const encoder = this.#ctx.device.createCommandEncoder();
    encoder.copyBufferToBuffer(this.#xk, 0, this.#obj.x, 0, this.#obj.size * 4);
    this.#ctx.device.queue.submit([encoder.finish()]);
  }

  /** The ring slot for a new pair (evicting the oldest when full), its buffers made on first use. */
  #pushPair(): _Pair {
    let slot: number;
    if (this.#count < this.#m) {
      slot = (this.#head + this.#count) % this.#m;
      this.#count++;
    } else {
      slot = this.#head;
      this.#head = (this.#head + 1) % this.#m;
    }
    return this.#pairs[slot] ??= this.#recordPair(slot);
  }

  #recordPair(slot: number): _Pair {
    const ctx = this.#ctx;
    const n = this.#obj.size;
    const scalars = this.#scalars;
    const rho = PAIRS + 2 * slot;
    const sq = rho + 1;
    const s = ctx.createBuffer(`L-BFGS s[${slot}]`, n * 4);
    const y = ctx.createBuffer(`L-BFGS y[${slot}]`, n * 4);

    const first = new Program(ctx);
    reduceDot(first, s, this.#d, n, { scalars, slot: sq });
    axpy(first, this.#d, y, n, { scalars, k: -1, a: rho, b: sq });

    const second = new Program(ctx);
    reduceDot(second, y, this.#d, n, { scalars, slot: YR });
    axpy(second, this.#d, s, n, { scalars, a: rho, b: sq, c: YR });

    const update = new Program(ctx);
    update.clear(s, 0, n * 4);
    axpy(update, s, this.#d, n, { scalars, a: T });
    axpy(update, y, this.#gk, n, { scalars, k: -1 });
    reduceDot(update, y, s, n, { scalars, slot: YS });
    reduceDot(update, y, y, n, { scalars, slot: YY });
    update.dispatch(ctx.pipeline(pairSource), [scalars], [1], pack(YS, YY, rho, H));

    return { s, y, first, second, update };
  }

  async #submitAndRead(encode: (encoder: GPUCommandEncoder) => void): Promise<Float32Array> {
    this.#ctx.checkLost();
    const r = this.#reportSlots;
    const encoder = this.#ctx.device.createCommandEncoder();
    encode(encoder);
    encoder.copyBufferToBuffer(this.#obj.scalars, 0, this.#staging, 0, r * 4);
    encoder.copyBufferToBuffer(this.#scalars, 0, this.#staging, r * 4, FIGURES * 4);
    this.#ctx.device.queue.submit([encoder.finish()]);
    this.#evaluations++;
    try {
      await this.#staging.mapAsync(MAP_READ, 0, (r + FIGURES) * 4);
    } catch (e) {
      await this.#ctx.readFailed(e);
    }
    const out = new Float32Array(this.#staging.getMappedRange(0, (r + FIGURES) * 4).slice(0));
    this.#staging.unmap();
    return out;
  }
}
