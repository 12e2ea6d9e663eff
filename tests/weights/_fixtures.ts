// The shared weight fixtures (../shared/fixtures) and exact checks against tiny.expected.json.
import { assertEquals } from "@std/assert";
import type { TensorData } from "../../src/weights/tensor.ts";

/** Absolute path of a file in the shared fixtures folder. */
export function fixture(name: string): string {
  return new URL(`../../../shared/fixtures/${name}`, import.meta.url).pathname;
}

interface Expected {
  shape: number[];
  dtype: string;
  sum: number;
  sumsq: number;
  first: number[];
}

/** The fixture's expected statistics, keyed by tensor name. */
export function expectedTiny(): Record<string, Expected> {
  return JSON.parse(Deno.readTextFileSync(fixture("tiny.expected.json")));
}

/**
 * Checks `tensors` holds exactly the keys listed in `names` with the expected
 * shapes, first values bit-equal (f32), and float64 sum and sum of squares
 * equal up to summation-order rounding (relative 1e-12, absolute 1e-12).
 */
export function assertMatchesTiny(tensors: Map<string, TensorData>, names: string[]): void {
  const expected = expectedTiny();
  for (const name of names) {
    const want = expected[name];
    const got = tensors.get(name);
    if (!got) throw new Error(`missing ${name}`);
    assertEquals(got.shape, want.shape, `${name} shape`);
    assertEquals(Array.from(got.data.subarray(0, want.first.length)), want.first, `${name} first`);
    let sum = 0;
    let sumsq = 0;
    for (const v of got.data) {
      sum += v;
      sumsq += v * v;
    }
    for (const [what, a, b] of [["sum", sum, want.sum], ["sumsq", sumsq, want.sumsq]] as const) {
      if (Math.abs(a - b) > 1e-12 + 1e-12 * Math.abs(b)) {
        throw new Error(`${name} ${what} ${a} != expected ${b}`);
      }
    }
  }
}
