// What every run of the command line shares, whatever it makes (a texture, a
// fill, a style transfer, a batch): signals, progress, the live log,
// snapshots, the last-good copy, the final write, the early-stop message and
// the JSON summary. The rule it keeps: a run ends in a written image or in
// one line saying why not, and a side output that fails never costs the image.
import { tmpdir } from "node:os";
import { basename } from "@std/path";
import { TexSynthError } from "../errors.ts";
import type { PlanarImage } from "../io/image.ts";
import { writeImageFile } from "../io/image_write.ts";
import { statOrNull } from "../io/file_kind.ts";
import { lossPlotSvg } from "./plot.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import type { LossRecord, RunOptions, RunResult } from "../synth/synthesizer.ts";
import type { StopReason } from "../optim/lbfgs.ts";
import { errorGist, RunConsole } from "./console.ts";
import { JsonlLog } from "./jsonl_log.ts";
import { Progress } from "./progress.ts";

/** Exit codes: 0 done, 1 error, 2 bad arguments; 128 + n after signal n. */
export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

/** How often a run copies its image to the CPU, to save it if the GPU is lost. */
const SAVE_EVERY_MS = 15_000;

/** The signals that stop a run cleanly, with their numbers (exit code 128 + n). */
const SIGNALS: readonly [Deno.Signal, number][] = [["SIGINT", 2], ["SIGTERM", 15], [
  "SIGHUP",
  1,
]];

/** A run stopped by a signal before it had anything to write. */
export class Interrupted extends Error {
  /** The process exit code: 128 + the signal's number. */
  readonly exitCode: number;
  /** Creates the error for an exit code. */
  constructor(exitCode: number) {
    super("interrupted");
    this.name = "Interrupted";
    this.exitCode = exitCode;
  }
}

/**
 * Turns SIGINT, SIGTERM and SIGHUP into one abort signal for as long as it
 * is installed: the run stops between evaluations, writes what it has, and
 * exits with 128 + the signal's number.
 */
export class Interrupts {
  readonly #abort = new AbortController();
  #installed: [Deno.Signal, () => void][] = [];
  #code = 0;

  /** Listens for the signals until {@link dispose}. */
  constructor() {
    const signals = Deno.build.os === "windows" ? SIGNALS.slice(0, 1) : SIGNALS;
    for (const [name, number] of signals) {
      const handler = () => {
        if (this.#code === 0) this.#code = 128 + number;
        this.#abort.abort();
      };
      Deno.addSignalListener(name, handler);
      this.#installed.push([name, handler]);
    }
  }

  /** Aborts when the first of the signals arrives. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** 128 + the number of the signal that arrived first; 0 while none has. */
  get exitCode(): number {
    return this.#code;
  }

  /** Stops listening; the signals regain their default action. */
  dispose(): void {
    for (const [name, handler] of this.#installed) Deno.removeSignalListener(name, handler);
    this.#installed = [];
  }
}

/**
 * Runs `body` with {@link Interrupts} installed. After a signal, an error
 * that is not a {@link TexSynthError} (an aborted download, say) becomes
 * {@link Interrupted} with the signal's exit code; a TexSynthError keeps its
 * message, which says what happened to the image.
 */
export async function withInterrupts<T>(body: (i: Interrupts) => Promise<T>): Promise<T> {
  const interrupts = new Interrupts();
  try {
    return await body(interrupts);
  } catch (e) {
    if (interrupts.exitCode !== 0 && !(e instanceof TexSynthError)) {
      throw new Interrupted(interrupts.exitCode);
    }
    throw e;
  } finally {
    interrupts.dispose();
  }
}

/** Why a run ended before its iterations, in words; null when it ran them all. */
export function stopExplanation(stop: StopReason): string | null {
  switch (stop) {
    case "tolerance-change":
      return "the loss stopped changing";
    case "tolerance-grad":
      return "the gradient vanished (a minimum was reached)";
    case "evaluations":
      return "the evaluation budget ran out";
    default:
      return null;
  }
}

/** The side outputs every run may write, and how it reports. */
export interface SessionOptions {
  quiet: boolean;
  json: boolean;
  /** JSON-lines loss history, written as the run goes. */
  log?: string;
  /** SVG loss curve, written at the end. */
  plot?: string;
  /** Title of the plot. */
  plotTitle?: string;
  /** Save the image every this many iterations into `snapshotDir`. */
  snapshotEvery?: number;
  snapshotDir?: string;
  /** Folders the run writes into, created when it starts; `what` names the option. */
  folders?: { path: string; what: string }[];
}

/** One image a run makes: how to optimize it, fetch it, and where it goes. */
export interface Job {
  /** Where the image is written. */
  output: string;
  /** Where an interrupted run's image goes instead of `output` (default: `output`). */
  interruptedOutput?: string;
  /** Put before the progress bar, e.g. "variation 2/4: ". */
  label: string;
  /** Iterations the run will make in all (for progress and the early-stop message). */
  total: number;
  /** Extra fields of each log line, e.g. `{ variation: 2 }`. */
  logFields?: Record<string, unknown>;
  /** Extra fields of the start image's log line (iteration 0), asked for when it is written. */
  startFields?(): Record<string, unknown> | undefined;
  /** File-name stem of its snapshots. */
  snapshotStem: string;
  /** Optimizes; must honour `signal` and report each record to `onProgress`. */
  run(options: RunOptions): Promise<RunResult>;
  /** Downloads the current image. */
  image(): Promise<PlanarImage>;
  /** Writes companions of the image (copies, maps) after it; failures are warnings. */
  companions?(image: PlanarImage): Promise<void>;
}

/** What one {@link Job} did, for the JSON summary. */
export interface JobSummary {
  output: string;
  /** False when nothing was written (interrupted before the first iteration). */
  written: boolean;
  iterations: number;
  evaluations: number;
  loss: number;
  gram: number;
  spectrum: number;
  stop: StopReason;
  /** Why it ended early, when it did. */
  stopMessage?: string;
  seconds: number;
}

/**
 * One invocation's shared state: the console, signals, the live log, the
 * loss history for the plot. Commands call {@link produce} for each image and
 * {@link finish} at the end; {@link close} in a `finally`.
 */
export class RunSession {
  /** The run's stdout/stderr, with warnings printed once each. */
  readonly console: RunConsole;
  readonly #options: SessionOptions;
  readonly #interrupts: Interrupts;
  readonly #log: JsonlLog | null;
  readonly #history: LossRecord[] = [];
  readonly #started = performance.now();

  private constructor(
    options: SessionOptions,
    interrupts: Interrupts,
    log: JsonlLog | null,
    console: RunConsole,
  ) {
    this.#options = options;
    this.#interrupts = interrupts;
    this.#log = log;
    this.console = console;
  }

  /**
   * Creates the output folders and opens the log (the one side output that
   * exists from the start). Output paths must have been checked already.
   */
  static async open(
    options: SessionOptions,
    interrupts: Interrupts,
    console = new RunConsole(),
  ): Promise<RunSession> {
    const folders = [...(options.folders ?? [])];
    if (options.snapshotEvery && options.snapshotDir) {
      folders.push({ path: options.snapshotDir, what: "--snapshot-dir" });
    }
    for (const { path, what } of folders) {
      try {
        await Deno.mkdir(path, { recursive: true });
      } catch (e) {
        throw new TexSynthError(
          `cannot create the folder ${path}: ${errorGist(e)} (choose another ${what})`,
        );
      }
    }
    const log = options.log ? await JsonlLog.open(options.log) : null;
    return new RunSession(options, interrupts, log, console);
  }

  /** Aborts when the user interrupts (SIGINT, SIGTERM, SIGHUP). */
  get signal(): AbortSignal {
    return this.#interrupts.signal;
  }

  /** Whether a signal has arrived. */
  get interrupted(): boolean {
    return this.#interrupts.exitCode !== 0;
  }

  /** Seconds since the session opened. */
  get seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  /** Prints a line on stderr unless quiet. */
  say(text: string): void {
    if (!this.#options.quiet) this.console.err(text + "\n");
  }

  /**
   * Makes one image: optimizes with progress, log lines and snapshots, keeps
   * a CPU copy now and then, and writes the result. An interrupt before the
   * first iteration writes nothing (the start noise is no result); an engine
   * error writes the last good image it can get and rethrows with where it
   * went.
   */
  async produce(job: Job): Promise<JobSummary> {
    const o = this.#options;
    const progress = new Progress(job.total, {
      quiet: o.quiet,
      label: job.label,
      write: (t) => this.console.err(t),
    });
    const t0 = performance.now();
    let lastGood: { image: PlanarImage | null; iteration: number; time: number } = {
      image: null,
      iteration: 0,
      time: performance.now(),
    };
    let lastIteration = -1;
    let result: RunResult;
    try {
      result = await job.run({
        signal: this.signal,
        onProgress: async (r) => {
          lastIteration = r.iteration;
          progress.update(r);
          this.#history.push(r);
          if (this.#log) {
            const log = this.#log;
            await this.console.side(
              "log",
              `the log ${o.log}`,
              () =>
                log.write({
                  ...job.logFields,
                  ...r,
                  ...(r.iteration === 0 ? job.startFields?.() : undefined),
                }),
            );
          }
          // A lost GPU takes the image with it: keep a copy now and then.
          if (
            r.scale === 0 && r.iteration > 0 && performance.now() - lastGood.time > SAVE_EVERY_MS
          ) {
            lastGood = {
              image: await job.image(),
              iteration: r.iteration,
              time: performance.now(),
            };
          }
          if (o.snapshotEvery && o.snapshotDir && r.iteration % o.snapshotEvery === 0) {
            const file = `${o.snapshotDir}/${job.snapshotStem}-${
              String(r.iteration).padStart(5, "0")
            }.png`;
            await this.console.side(
              "snapshots",
              `snapshots to ${o.snapshotDir}`,
              async () => writeImageFile(file, await job.image()),
            );
          }
        },
      });
    } catch (e) {
      progress.done();
      if (!(e instanceof TexSynthError)) throw e;
      const rescued = await this.#rescue(job, lastIteration, lastGood);
      if (!rescued) throw e;
      throw new TexSynthError(
        `${e.message}; wrote the image of iteration ${rescued} to ${job.output}`,
      );
    }
    const last = result.last;
    const summary: JobSummary = {
      output: job.output,
      written: false,
      iterations: last.iteration,
      evaluations: last.evaluations,
      loss: last.loss,
      gram: last.gram,
      spectrum: last.spectrum,
      stop: result.stop,
      seconds: (performance.now() - t0) / 1000,
    };
    if (result.stop === "aborted" && last.iteration === 0) {
      const existed = await statOrNull(job.output);
      progress.message(
        `interrupted before the first iteration finished: nothing written${
          existed ? ` (${job.output} left as it was)` : ""
        }`,
      );
      return summary;
    }
    const image = await job.image();
    const aborted = result.stop === "aborted";
    const path = aborted && job.interruptedOutput ? job.interruptedOutput : job.output;
    await this.#write(path, image);
    summary.output = path;
    summary.written = true;
    if (job.companions) await job.companions(image);
    const early = stopExplanation(result.stop);
    if (early) summary.stopMessage = early;
    progress.message(
      aborted
        ? `interrupted after iteration ${last.iteration}: wrote the image so far to ${path}`
        : early
        ? `stopped after ${last.iteration} of ${job.total} iterations: ${early}; wrote ${job.output}`
        : `wrote ${job.output}`,
    );
    return summary;
  }

  /** After an engine error: the freshest image that can still be had, written; its iteration, or 0. */
  async #rescue(
    job: Job,
    lastIteration: number,
    lastGood: { image: PlanarImage | null; iteration: number },
  ): Promise<number> {
    let image = lastGood.image;
    let iteration = lastGood.iteration;
    if (lastIteration > 0) {
      try {
        image = await job.image();
        iteration = lastIteration;
      } catch {
        // The GPU is gone: the CPU copy is what is left.
      }
    }
    if (!image || iteration === 0) return 0;
    await this.#write(job.output, image);
    return iteration;
  }

  /**
   * Writes the image; when its path refuses (a full disk), saves it in the
   * system's temporary folder instead and says where, so the work survives.
   */
  async #write(path: string, image: PlanarImage): Promise<void> {
    try {
      await writeImageFile(path, image);
    } catch (e) {
      const rescue = `${tmpdir()}/tex-synth-${Deno.pid}-${
        basename(path).replace(/\.[^.]*$/, "")
      }.png`;
      try {
        await writeImageFile(rescue, image);
      } catch {
        throw e;
      }
      throw new TexSynthError(`${(e as Error).message}; the image was saved to ${rescue} instead`);
    }
  }

  /** A side file written at the end (a plot, a copy): failure is a warning. */
  async sideFile(key: string, what: string, write: () => Promise<void>): Promise<void> {
    await this.console.side(key, what, write);
  }

  /**
   * Ends the run: closes the log, writes the plot, prints the JSON summary
   * (`fields` plus the elapsed seconds) and returns the exit code.
   */
  async finish(fields: Record<string, unknown>): Promise<number> {
    const o = this.#options;
    this.#log?.close();
    if (o.plot) {
      const svg = lossPlotSvg(this.#history, { title: o.plotTitle ?? "" });
      await this.console.side(
        "plot",
        `the plot ${o.plot}`,
        () => writeFileAtomic(o.plot!, new TextEncoder().encode(svg)),
      );
    }
    if (o.json) {
      this.console.out(
        JSON.stringify({ ...fields, seconds: this.seconds, interrupted: this.interrupted }) + "\n",
      );
    }
    return this.interrupted ? this.#interrupts.exitCode : EXIT.ok;
  }

  /** Closes the log (idempotent); for `finally` blocks. */
  close(): void {
    this.#log?.close();
  }
}
