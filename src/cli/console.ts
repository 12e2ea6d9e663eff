// stdout and stderr as a long run must treat them: either may be a closed
// pipe or a full disk, and neither may take the image down with it. Writes
// are best effort; a failing stream is reported once (on stderr, if stderr
// still works) and then left alone.

const encoder = new TextEncoder();

/** Something that takes bytes synchronously, like `Deno.stderr`. */
export interface SyncWriter {
  writeSync(bytes: Uint8Array): number;
}

/** The run's two output streams, with warnings that are printed once each. */
export class RunConsole {
  #out: SyncWriter;
  #err: SyncWriter;
  #errBroken = false;
  #outBroken = false;
  #warned = new Set<string>();

  /** Wraps the given streams (the process's own by default). */
  constructor(streams: { out?: SyncWriter; err?: SyncWriter } = {}) {
    this.#out = streams.out ?? Deno.stdout;
    this.#err = streams.err ?? Deno.stderr;
  }

  /** Writes to stderr; false once stderr has failed (later writes are dropped). */
  err(text: string): boolean {
    if (this.#errBroken) return false;
    try {
      _writeAll(this.#err, encoder.encode(text));
      return true;
    } catch {
      this.#errBroken = true;
      return false;
    }
  }

  /** Writes to stdout; a failure is warned about once on stderr. */
  out(text: string): void {
    if (this.#outBroken) return;
    try {
      _writeAll(this.#out, encoder.encode(text));
    } catch (e) {
      this.#outBroken = true;
      this.warnOnce("stdout", `cannot write to standard output (${errorGist(e)})`);
    }
  }

  /**
   * Prints "tex-synth: warning: …" on stderr the first time `key` comes up;
   * later calls with the same key print nothing.
   */
  warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.err(`tex-synth: warning: ${message}\n`);
  }

  /**
   * Runs a side output (a log line, a snapshot, a plot): on failure, warns
   * once under `key` that the run goes on without it, and returns false.
   */
  async side(key: string, what: string, write: () => unknown): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (e) {
      this.warnOnce(key, `cannot write ${what} (${errorGist(e)}); the run goes on without it`);
      return false;
    }
  }
}

function _writeAll(w: SyncWriter, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += w.writeSync(bytes.subarray(done));
}

/** The one-line gist of an error, for warnings. */
export function errorGist(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split("\n")[0].replace(/^cannot write [^:]+: /, "").trim();
}
