import { dirname } from "@std/path";

/**
 * A JSON-lines log written under a temporary name as the run goes and
 * renamed into place when closed, so the named file is never half-written.
 */
export class JsonlLog {
  #path: string;
  #temp: string;
  #file: Deno.FsFile;
  #encoder = new TextEncoder();

  private constructor(path: string, temp: string, file: Deno.FsFile) {
    this.#path = path;
    this.#temp = temp;
    this.#file = file;
  }

  /** Opens the temporary file beside `path`. */
  static async open(path: string): Promise<JsonlLog> {
    const temp = `${dirname(path)}/.${path.split(/[\\/]/).pop()}.${Deno.pid}.tmp`;
    const file = await Deno.open(temp, { write: true, create: true, truncate: true });
    return new JsonlLog(path, temp, file);
  }

  /** Appends one object as a line. */
  async write(record: unknown): Promise<void> {
    await this.#file.write(this.#encoder.encode(JSON.stringify(record) + "\n"));
  }

  /** Closes the file and renames it into place. */
  async close(): Promise<void> {
    this.#file.close();
    await Deno.rename(this.#temp, this.#path);
  }
}
