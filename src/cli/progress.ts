import type { LossRecord } from "../synth/synthesizer.ts";

const encoder = new TextEncoder();

/** Where progress goes: stderr, redrawn in place on a terminal, periodic lines otherwise. */
export class Progress {
  #total: number;
  #tty: boolean;
  #quiet: boolean;
  #start = performance.now();
  #lastLine = 0;
  #drawn = false;

  constructor(total: number, options: { quiet: boolean; tty?: boolean }) {
    this.#total = total;
    this.#quiet = options.quiet;
    this.#tty = options.tty ?? Deno.stderr.isTerminal();
  }

  /** Shows one loss record. */
  update(r: LossRecord): void {
    if (this.#quiet) return;
    const elapsed = (performance.now() - this.#start) / 1000;
    const rate = r.iteration > 0 ? r.iteration / elapsed : 0;
    const eta = rate > 0 ? (this.#total - r.iteration) / rate : NaN;
    const figures = `loss ${r.loss.toExponential(3)}  ${rate.toFixed(2)} it/s  ETA ${
      formatSeconds(eta)
    }`;
    if (this.#tty) {
      const width = 24;
      const done = Math.round(
        (width * Math.min(r.iteration, this.#total)) / Math.max(1, this.#total),
      );
      const bar = "█".repeat(done) + "░".repeat(width - done);
      this.#write(`\r\x1b[2K${bar} ${r.iteration}/${this.#total}  ${figures}`);
      this.#drawn = true;
      return;
    }
    const now = performance.now();
    if (r.iteration === 0 || r.iteration === this.#total || now - this.#lastLine > 5000) {
      this.#lastLine = now;
      this.#write(`iteration ${r.iteration}/${this.#total}  ${figures}\n`);
    }
  }

  /** Prints a message on its own line. */
  message(text: string): void {
    if (this.#quiet) return;
    this.done();
    this.#write(text + "\n");
  }

  /** Ends the in-place bar, if one is drawn. */
  done(): void {
    if (this.#drawn) this.#write("\n");
    this.#drawn = false;
  }

  #write(text: string): void {
    Deno.stderr.writeSync(encoder.encode(text));
  }
}

/** Seconds as "1h02m", "3m05s" or "12s"; "?" when unknown. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const t = Math.round(s);
  if (t >= 3600) {
    return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (t >= 60) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${t}s`;
}
