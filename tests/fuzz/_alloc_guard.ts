// Installed first in the fuzz worker: wraps the global typed-array and
// ArrayBuffer constructors so that any single allocation past a limit is
// recorded and refused. Parsers fed a few kilobytes have no business asking
// for tens of megabytes; one that does trusted a size field it should have
// checked against the input. The wrappers are proxies, so `instanceof`,
// subclassing and static methods behave as before.

/** Allocations larger than this many bytes are refused while the guard is armed. */
export const ALLOCATION_LIMIT_BYTES = 64 * 2 ** 20;

/** Over-limit allocations seen since the last {@link takeTrips} (constructor name and bytes). */
const trips: string[] = [];

let armed = false;

/** Arms or disarms the guard (seeds are built disarmed; cases run armed). */
export function armGuard(on: boolean): void {
  armed = on;
}

/** Returns and clears the over-limit allocations recorded so far. */
export function takeTrips(): string[] {
  return trips.splice(0);
}

type Ctor = { new (...args: unknown[]): unknown; BYTES_PER_ELEMENT?: number };

function guard(name: string): void {
  const g = globalThis as unknown as Record<string, Ctor>;
  const target = g[name];
  const perElement = target.BYTES_PER_ELEMENT ?? 1;
  g[name] = new Proxy(target, {
    construct(t, args, newTarget): object {
      const n = args[0];
      if (armed && typeof n === "number" && n * perElement > ALLOCATION_LIMIT_BYTES) {
        trips.push(`${name}(${n})`);
        throw new RangeError(`fuzz guard: ${name} of ${n * perElement} bytes`);
      }
      return Reflect.construct(t, args, newTarget);
    },
  });
}

for (
  const name of [
    "ArrayBuffer",
    "Uint8Array",
    "Uint8ClampedArray",
    "Int8Array",
    "Uint16Array",
    "Int16Array",
    "Uint32Array",
    "Int32Array",
    "Float32Array",
    "Float64Array",
    "BigInt64Array",
    "BigUint64Array",
  ]
) guard(name);
