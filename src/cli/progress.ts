import type { LossRecord } from "../synth/synthesizer.ts";

const encoder = new TextEncoder();

/** Where progress text goes; stderr unless a test supplies its own. */
export interface ProgressOptions {
  quiet: boolean;
  /** Redraw one line in place (a terminal) rather than print periodic lines. Default: stderr is a terminal. */
  tty?: boolean;
  /** Receives the text; default writes to stderr. */
  write?: (text: string) => void;
  /** The terminal's width in columns, asked at every redraw (it may be resized). Default: stderr's. */
  columns?: () => number;
}

function stderrWriter(text: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(text));
  } catch {
    // A closed stderr must not stop the run; progress is only a courtesy.
  }
}

/** The terminal's width, or 80 when it cannot be asked. */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

/**
 * One status line that fits `columns` without wrapping (a wrapped line
 * cannot be redrawn in place): the bar shrinks first, then fields go in
 * order of least use — rate, ETA, label, loss — and what is left is cut.
 */
export function fitStatus(
  fields: { label: string; count: string; loss: string; rate: string; eta: string },
  done: number,
  columns: number,
): string {
  const room = Math.max(1, columns - 1);
  const drops: (keyof typeof fields)[] = ["rate", "eta", "label", "loss"];
  const kept = { ...fields };
  for (let dropped = 0; dropped <= drops.length; dropped++) {
    const text = [kept.count, kept.loss, kept.rate, kept.eta].filter((t) => t !== "").join("  ");
    const left = room - kept.label.length - text.length - 1;
    if (left >= 8) {
      const width = Math.min(24, left);
      const full = Math.round(width * done);
      return `${kept.label}${"█".repeat(full)}${"░".repeat(width - full)} ${text}`;
    }
    if (kept.label.length + text.length <= room) return kept.label + text;
    if (dropped < drops.length) kept[drops[dropped]] = "";
  }
  return (kept.label + kept.count).slice(0, room);
}

/** Where progress goes: stderr, redrawn in place on a terminal, periodic lines otherwise. */
export class Progress {
  #total: number;
  #tty: boolean;
  #quiet: boolean;
  #start = performance.now();
  #lastLine = 0;
  #drawn = false;
  #label: string;
  #out: (text: string) => void;
  #columns: () => number;

  constructor(total: number, options: ProgressOptions & { label?: string }) {
    this.#out = options.write ?? stderrWriter;
    this.#total = total;
    this.#label = options.label ?? "";
    this.#quiet = options.quiet;
    this.#tty = options.tty ?? Deno.stderr.isTerminal();
    this.#columns = options.columns ?? terminalColumns;
  }

  /** Shows one loss record. */
  update(r: LossRecord): void {
    if (this.#quiet) return;
    const elapsed = (performance.now() - this.#start) / 1000;
    const rate = r.iteration > 0 ? r.iteration / elapsed : 0;
    const eta = rate > 0 ? (this.#total - r.iteration) / rate : NaN;
    const fields = {
      label: this.#label,
      count: `${r.iteration}/${this.#total}`,
      loss: `loss ${r.loss.toExponential(3)}`,
      rate: `${rate.toFixed(2)} it/s`,
      eta: `ETA ${formatSeconds(eta)}`,
    };
    if (this.#tty) {
      const done = Math.min(r.iteration, this.#total) / Math.max(1, this.#total);
      this.#write(`\r\x1b[2K${fitStatus(fields, done, this.#columns())}`);
      this.#drawn = true;
      return;
    }
    const now = performance.now();
    if (r.iteration === 0 || r.iteration === this.#total || now - this.#lastLine > 5000) {
      this.#lastLine = now;
      const { label, count, loss, rate, eta } = fields;
      this.#write(`${label}iteration ${count}  ${loss}  ${rate}  ${eta}\n`);
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
    this.#out(text);
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

const PHASES = {
  download: "downloading VGG19 weights",
  convert: "converting",
  verify: "verifying",
} as const;

/** Renders byte progress of weight downloads, conversion and checks on stderr. */
export class ByteProgress {
  #quiet: boolean;
  #tty: boolean;
  #phase = "";
  #start = 0;
  #lastLine = 0;

  #out: (text: string) => void;
  #columns: () => number;

  constructor(options: ProgressOptions) {
    this.#out = options.write ?? stderrWriter;
    this.#quiet = options.quiet;
    this.#tty = options.tty ?? Deno.stderr.isTerminal();
    this.#columns = options.columns ?? terminalColumns;
  }

  /** Shows one report: bytes done, rate and ETA when the total is known; a wait as one line. */
  update(
    p: {
      phase: keyof typeof PHASES | "wait";
      bytes: number;
      total?: number;
      holder?: string | null;
    },
  ): void {
    if (this.#quiet) return;
    if (p.phase === "wait") {
      this.done();
      const who = p.holder ? ` (${p.holder})` : "";
      this.#out(`waiting for another tex-synth process${who} to finish with the weights cache\n`);
      return;
    }
    const now = performance.now();
    if (p.phase !== this.#phase) {
      if (this.#phase && this.#tty) this.#out("\n");
      this.#phase = p.phase;
      this.#start = now;
      // The first report of a phase always prints (performance.now() starts near 0).
      this.#lastLine = -Infinity;
    }
    const seconds = (now - this.#start) / 1000;
    const rate = seconds > 0 ? p.bytes / seconds : 0;
    const eta = p.total && rate > 0 ? (p.total - p.bytes) / rate : NaN;
    const of = p.total ? ` / ${mib(p.total)}` : "";
    const pct = p.total ? ` ${((100 * p.bytes) / p.total).toFixed(0)}%` : "";
    const line = `${PHASES[p.phase]}: ${mib(p.bytes)}${of}${pct}  ${mib(rate)}/s  ETA ${
      formatSeconds(eta)
    }`;
    if (this.#tty) {
      this.#out(`\r\x1b[2K${line.slice(0, Math.max(1, this.#columns() - 1))}`);
    } else if (now - this.#lastLine > 5000 || p.bytes === p.total) {
      this.#lastLine = now;
      this.#out(line + "\n");
    }
  }

  /** Ends the in-place line, if one is drawn. */
  done(): void {
    if (this.#phase && this.#tty && !this.#quiet) this.#out("\n");
    this.#phase = "";
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
