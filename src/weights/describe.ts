// Safe descriptions of untrusted values for error messages. Names and values
// come from the file being refused: they may hold newlines, be megabytes long
// or nest a million levels deep, and messages must stay one short line.

/**
 * `text` as one printable line of at most `max` characters: control
 * characters become `?`, and a longer text is cut with an ellipsis.
 */
export function printable(text: string, max = 80): string {
  // deno-lint-ignore no-control-regex
  const line = text.slice(0, max + 1).replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, "?");
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * A short description of any parsed value (JSON or pickle) that never
 * recurses into it: strings quoted and cut, numbers as they are, flat
 * arrays of numbers listed, everything else by its kind.
 */
export function brief(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(printable(value, 40));
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    return printable(String(value), 40);
  }
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) {
    return value.length <= 8 && value.every((v) => typeof v === "number")
      ? printable(`[${value.join(", ")}]`, 80)
      : `an array of ${value.length}`;
  }
  return value instanceof Map ? "a dict" : "an object";
}
