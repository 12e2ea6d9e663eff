// Seeded mutations of valid inputs: bit flips, interesting bytes, truncations,
// splices (within one input or from another of the same kind), and tweaks of
// the length and size fields the format keeps, where parsers most often trust
// what they should check.

/** A number field inside an input, as its format stores it. */
export interface Field {
  /** Byte offset. */
  at: number;
  /** Width in bytes. */
  bytes: 1 | 2 | 4 | 8;
  /** Little-endian (else big-endian). */
  le: boolean;
}

/** A valid input to mutate, with the fields and the byte ranges worth aiming at. */
export interface Seed {
  /** Names the seed in failure reports. */
  name: string;
  /** The valid bytes. */
  bytes: Uint8Array;
  /** Length, size and offset fields of its structure. */
  fields: Field[];
  /** Structural byte ranges `[start, end)` (headers, directories), hit more often than data. */
  hot: [number, number][];
}

/** A seeded source of uniform floats in [0, 1). */
export type Random = () => number;

/**
 * Mulberry32, as tests/_helpers.ts has it; repeated here because the fuzz
 * worker must not import the GPU helpers (the worker's type library lacks
 * the window-only WebGPU globals they mention).
 */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The mutation kinds, named in reports. */
export const MUTATIONS = ["flip", "byte", "truncate", "splice", "field", "digits"] as const;

/** One of {@link MUTATIONS}. */
export type Mutation = typeof MUTATIONS[number];

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x20, 0x0a, 0x2e, 0x28];

/**
 * Applies one to three seeded mutations to a copy of `seed` (sometimes
 * splicing in bytes of `other`); returns the bytes and the mutations applied.
 */
export function mutate(
  seed: Seed,
  other: Seed,
  random: Random,
): { bytes: Uint8Array; applied: Mutation[] } {
  let bytes: Uint8Array = seed.bytes.slice();
  const applied: Mutation[] = [];
  const rounds = 1 + Math.floor(random() * 3);
  for (let r = 0; r < rounds; r++) {
    const kind = MUTATIONS[Math.floor(random() * MUTATIONS.length)];
    applied.push(kind);
    bytes = _apply(kind, bytes, seed, other, random);
  }
  return { bytes, applied };
}

function _apply(
  kind: Mutation,
  bytes: Uint8Array,
  seed: Seed,
  other: Seed,
  random: Random,
): Uint8Array {
  const pick = (n: number): number => Math.floor(random() * n);
  const position = (): number => _position(bytes.length, seed.hot, random);
  switch (kind) {
    case "flip": {
      for (let i = 1 + pick(8); i > 0 && bytes.length; i--) bytes[position()] ^= 1 << pick(8);
      return bytes;
    }
    case "byte": {
      if (bytes.length) {
        bytes[position()] = random() < 0.7 ? INTERESTING[pick(INTERESTING.length)] : pick(256);
      }
      return bytes;
    }
    case "truncate":
      return bytes.subarray(0, position());
    case "splice": {
      const source = random() < 0.5 ? bytes : other.bytes;
      const from = _position(source.length, random() < 0.5 ? seed.hot : [], random);
      const length = Math.min(1 + pick(64), source.length - from);
      const chunk = source.slice(from, from + length);
      const at = position();
      const mode = pick(3);
      if (mode === 0) {
        // Overwrite in place.
        bytes.set(chunk.subarray(0, bytes.length - at), at);
        return bytes;
      }
      if (mode === 1) return _concat(bytes.subarray(0, at), chunk, bytes.subarray(at));
      return _concat(bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + length)));
    }
    case "field": {
      const fields = seed.fields.filter((f) => f.at + f.bytes <= bytes.length);
      const f = fields.length && random() < 0.85 ? fields[pick(fields.length)] : {
        at: Math.max(0, position() & ~3),
        bytes: (1 << pick(4)) as 1 | 2 | 4 | 8,
        le: random() < 0.5,
      };
      if (f.at + f.bytes > bytes.length) return bytes;
      const value = _read(bytes, f);
      const max = 2 ** (8 * f.bytes) - 1;
      const choices = [
        value + 1,
        value - 1,
        value + 1 + pick(16),
        value - 1 - pick(16),
        value * 2,
        Math.floor(value / 2),
        0,
        max,
        Math.min(max, 2 ** 31),
        Math.min(max, bytes.length),
        Math.min(max, bytes.length + 1 + pick(1000)),
        pick(Math.min(max, 2 ** 32) + 1),
      ];
      _write(bytes, f, Math.min(max, Math.max(0, choices[pick(choices.length)])));
      return bytes;
    }
    case "digits": {
      // Rewrites a run of ASCII digits (JSON numbers, pickle text ints) in the first 4 KiB.
      const runs: [number, number][] = [];
      const end = Math.min(bytes.length, 4096);
      for (let i = 0; i < end; i++) {
        if (bytes[i] < 0x30 || bytes[i] > 0x39) continue;
        const start = i;
        while (i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39) i++;
        runs.push([start, i]);
      }
      if (!runs.length) return bytes;
      const [start, stop] = runs[pick(runs.length)];
      const old = Number(new TextDecoder().decode(bytes.subarray(start, stop)));
      const text = String(
        [0, 1, old + 1, old - 1, old * 2, 2 ** 31, 2 ** 53, 1e300, 123456789012][pick(9)],
      );
      return _concat(
        bytes.subarray(0, start),
        new TextEncoder().encode(text),
        bytes.subarray(stop),
      );
    }
  }
}

/** A position in `[0, length)`, inside a hot range 70% of the time. */
function _position(length: number, hot: [number, number][], random: Random): number {
  if (length === 0) return 0;
  const ranges = hot.filter(([a, b]) => a < length && b > a);
  if (ranges.length && random() < 0.7) {
    const [a, b] = ranges[Math.floor(random() * ranges.length)];
    return a + Math.floor(random() * (Math.min(b, length) - a));
  }
  return Math.floor(random() * length);
}

function _read(bytes: Uint8Array, f: Field): number {
  let v = 0;
  for (let i = 0; i < f.bytes; i++) {
    const b = bytes[f.at + (f.le ? f.bytes - 1 - i : i)];
    v = v * 256 + b;
  }
  return v;
}

function _write(bytes: Uint8Array, f: Field, value: number): void {
  let v = value;
  for (let i = 0; i < f.bytes; i++) {
    bytes[f.at + (f.le ? i : f.bytes - 1 - i)] = v % 256;
    v = Math.floor(v / 256);
  }
}

function _concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
