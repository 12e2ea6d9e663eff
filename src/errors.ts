/**
 * The one error type the engine throws for problems a user can fix: a bad
 * file, a size the GPU cannot hold, no adapter. Its message is one line that
 * names the problem and the fix, so front ends print it as it is.
 *
 * @example
 * ```ts
 * import { TexSynthError } from "@tex/synth";
 * try {
 *   throw new TexSynthError("exemplar not found: a.png (check the path)");
 * } catch (e) {
 *   if (e instanceof TexSynthError) console.error(e.message);
 * }
 * ```
 */
export class TexSynthError extends Error {
  /** Creates the error with a one-line message naming the problem and the fix. */
  constructor(message: string) {
    super(message);
    this.name = "TexSynthError";
  }
}
