/**
 * When the page redraws and how long a run has left: plain arithmetic on
 * timings, no DOM, so it is tested in Deno.
 *
 * @module
 */
import type { LossRecord } from "@tex/synth/browser";

/**
 * Paces redraws: a GPU read-back and a canvas update cost time the
 * optimizer would otherwise use, so the next redraw waits at least
 * `minMs`, and `share` times the last redraw's cost more for large images
 * (at the default 4, drawing takes at most a fifth of the time).
 */
export class RedrawClock {
  #next = 0;
  #minMs: number;
  #share: number;
  #now: () => number;

  constructor(minMs = 250, share = 4, now: () => number = () => performance.now()) {
    this.#minMs = minMs;
    this.#share = share;
    this.#now = now;
  }

  /** Whether a redraw is due now (the first always is). */
  due(): boolean {
    return this.#now() >= this.#next;
  }

  /** Records a redraw that took `ms`, which sets when the next is due. */
  drew(ms: number): void {
    this.#next = this.#now() + Math.max(this.#minMs, this.#share * ms);
  }
}

/** Speed and time left of a run, from its recent records. */
export interface Eta {
  /** Iterations per second lately. */
  perSecond: number;
  /** Seconds left to reach the target iteration. */
  seconds: number;
  /** The time left in words: "12 s", "3 min 5 s", "1 h 4 min". */
  words: string;
}

/**
 * The time left until `target` at the pace of the last `window` iterations
 * (iteration 0, the start image's evaluation, is not an iteration and is
 * left out); null before there is a pace to go by.
 */
export function eta(records: readonly LossRecord[], target: number, window = 10): Eta | null {
  const steps = records.filter((r) => r.iteration > 0).slice(-window);
  if (steps.length === 0) return null;
  const ms = steps.reduce((sum, r) => sum + r.ms, 0) / steps.length;
  if (!(ms > 0)) return null;
  const left = Math.max(0, target - records[records.length - 1].iteration);
  const seconds = (left * ms) / 1000;
  return { perSecond: 1000 / ms, seconds, words: duration(seconds) };
}

/** Seconds in words, rounded to what a person reads: "12 s", "3 min 5 s", "1 h 4 min". */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
