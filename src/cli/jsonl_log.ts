import { writeProblem } from "../io/file_kind.ts";
import { TexSynthError } from "../errors.ts";

/**
 * A JSON-lines log written as the run goes: one line per record, each
 * handed to the system before the next iteration, so `tail -f` follows it.
 * It is written in place (a log is read while it grows, which a temporary
 * name would hide), so nothing is ever left under another name.
 */
export class JsonlLog {
  #file: Deno.FsFile;
  #encoder = new TextEncoder();
  #length = 0;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Opens (creates or empties) the log; refuses anything but a regular file. */
  static async open(path: string): Promise<JsonlLog> {
    const problem = await writeProblem(path);
    if (problem) throw new TexSynthError(`will not write the log ${path}: it ${problem}`);
    return new JsonlLog(await Deno.open(path, { write: true, create: true, truncate: true }));
  }

  /**
   * Appends one object as a line; throws when the system refuses (a full
   * disk), after cutting a partly written line off so the log stays whole lines.
   */
  write(record: unknown): void {
    const bytes = this.#encoder.encode(JSON.stringify(record) + "\n");
    let done = 0;
    try {
      while (done < bytes.length) done += this.#file.writeSync(bytes.subarray(done));
    } catch (e) {
      try {
        this.#file.truncateSync(this.#length);
      } catch {
        // The line stays torn; the error below still stops the log.
      }
      throw e;
    }
    this.#length += bytes.length;
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#file.close();
    } catch {
      // Already closed.
    }
  }
}
