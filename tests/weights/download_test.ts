// The download edge against a misbehaving server on 127.0.0.1: stalls, lies
// about lengths, mid-stream closes, redirect loops, web pages. Every case ends
// in a finished file with the right digest or a one-line TexSynthError, within
// a bounded time (idle timeouts of 300 ms), and leaves a .part only where a
// later run can resume it.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { createHash } from "node:crypto";
import { TexSynthError } from "../../src/errors.ts";
import { downloadFile, type DownloadOptions } from "../../src/weights/download.ts";
import { randomArray } from "../_helpers.ts";
import { type RawReply, type RawRequest, rawServer } from "./_raw_server.ts";

const PAYLOAD = Uint8Array.from(randomArray(300_000, 42, 0, 256), Math.floor);
const SHA = createHash("sha256").update(PAYLOAD).digest("hex");
const IDLE_MS = 300;

/** Serves PAYLOAD honouring Range (206, or 416 past the end). */
function ranged(request: RawRequest, extra: Partial<RawReply> = {}): RawReply {
  const start = Number(/bytes=(\d+)-/.exec(request.range ?? "")?.[1] ?? 0);
  if (start >= PAYLOAD.length) return { status: 416 };
  const headers: Record<string, string> = { "content-type": "application/octet-stream" };
  if (request.range) {
    headers["content-range"] = `bytes ${start}-${PAYLOAD.length - 1}/${PAYLOAD.length}`;
  }
  return {
    status: request.range ? 206 : 200,
    headers,
    body: PAYLOAD.subarray(start),
    ...extra,
  };
}

interface Run {
  part: string;
  server: ReturnType<typeof rawServer>;
}

/** Runs `fn` with a server answering by `reply` and a fresh .part path; cleans up both. */
async function withServer(
  reply: (request: RawRequest, index: number) => RawReply,
  fn: (run: Run) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tex-synth-dl-" });
  const server = rawServer(reply);
  try {
    await fn({ part: `${dir}/w.pth.part`, server });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function download(run: Run, options: DownloadOptions = {}): ReturnType<typeof downloadFile> {
  return downloadFile(`${run.server.url}/w.pth`, run.part, {
    idleTimeoutMs: IDLE_MS,
    hint: "or put the file there by hand",
    ...options,
  });
}

async function size(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return null;
  }
}

async function refused(promise: Promise<unknown>, ...phrases: string[]): Promise<string> {
  const e = await assertRejects(() => promise, TexSynthError);
  assert(!e.message.includes("\n"), `multi-line: ${e.message}`);
  for (const p of phrases) assert(e.message.includes(p), `lacks "${p}": ${e.message}`);
  return e.message;
}

Deno.test("a body that stalls mid-stream times out and resumes with Range to the right digest", async () => {
  await withServer(
    (r, i) => (i === 0 ? ranged(r, { send: 100_000, then: "stall" }) : ranged(r)),
    async (run) => {
      const t0 = performance.now();
      const result = await download(run, { bytes: PAYLOAD.length });
      assertEquals(result, { bytes: PAYLOAD.length, sha256: SHA });
      assertEquals(run.server.requests.map((r) => r.range), [null, "bytes=100000-"]);
      assert(performance.now() - t0 < 5000, "the stall was not cut by the idle timeout");
    },
  );
});

Deno.test("a server that never answers fails after the idle timeout, leaving nothing", async () => {
  await withServer(() => ({ silent: true }), async (run) => {
    const t0 = performance.now();
    await refused(download(run), "cannot download", "sent nothing for 0.3 s", "by hand");
    assert(performance.now() - t0 < 5000);
    assertEquals(await size(run.part), null);
  });
});

Deno.test("stalls on every attempt: the error says run again, and the next run resumes", async () => {
  let healthy = false;
  await withServer(
    (r) => (healthy ? ranged(r) : ranged(r, { send: 20_000, then: "stall" })),
    async (run) => {
      await refused(download(run, { attempts: 3 }), "interrupted at 60000 bytes", "run again");
      assertEquals(await size(run.part), 60_000);
      healthy = true;
      assertEquals(await download(run), { bytes: PAYLOAD.length, sha256: SHA });
      assertEquals(run.server.requests.at(-1)!.range, "bytes=60000-");
    },
  );
});

Deno.test("a close mid-stream with no Content-Length resumes when the size is known", async () => {
  await withServer(
    (r, i) => (i === 0 ? ranged(r, { lengthless: true, send: 123_456 }) : ranged(r)),
    async (run) => {
      assertEquals(await download(run, { bytes: PAYLOAD.length }), {
        bytes: PAYLOAD.length,
        sha256: SHA,
      });
      assertEquals(run.server.requests.map((r) => r.range), [null, "bytes=123456-"]);
    },
  );
});

Deno.test("a Content-Length larger than the body: the short read is resumed, then 416 ends it", async () => {
  await withServer(
    (r, i) =>
      i === 0
        ? ranged(r, { headers: { "content-length": String(PAYLOAD.length + 5000) } })
        : ranged(r),
    async (run) => {
      assertEquals(await download(run), { bytes: PAYLOAD.length, sha256: SHA });
      assertEquals(run.server.requests.map((r) => r.range), [null, `bytes=${PAYLOAD.length}-`]);
    },
  );
});

Deno.test("a Content-Length smaller than the file: refused when the size is known, else a wrong digest", async () => {
  const short = { headers: { "content-length": "1000" } };
  await withServer((r) => ranged(r, short), async (run) => {
    await refused(download(run, { bytes: PAYLOAD.length }), "is 1000 bytes, expected 300000");
    assertEquals(await size(run.part), null);
    // Unknown size: the caller gets 1000 bytes whose digest is not the file's, and deletes them.
    const result = await download(run);
    assertEquals(result.bytes, 1000);
    assert(result.sha256 !== SHA);
  });
});

Deno.test("a body past the announced or the maximum size is refused and deleted", async () => {
  await withServer((r) => ranged(r, { lengthless: true }), async (run) => {
    await refused(
      download(run, { maxBytes: 100_000 }),
      "sent more than the most 100000 bytes",
      "deleted",
    );
    assertEquals(await size(run.part), null);
  });
  await withServer(
    () => ({ headers: { "content-length": String(10 * 2 ** 30) }, body: new Uint8Array(10) }),
    async (run) => {
      await refused(download(run), `is ${10 * 2 ** 30} bytes, more than`);
      assertEquals(await size(run.part), null);
    },
  );
});

Deno.test("a server that ignores Range restarts from zero and still ends right", async () => {
  await withServer(
    (_, i) => ({ body: PAYLOAD, send: i === 0 ? 50_000 : undefined }),
    async (run) => {
      assertEquals(await download(run, { bytes: PAYLOAD.length }), {
        bytes: PAYLOAD.length,
        sha256: SHA,
      });
      assertEquals(run.server.requests.map((r) => r.range), [null, "bytes=50000-"]);
    },
  );
});

Deno.test("a 206 that resumes at the wrong offset is refused; the .part stays for a retry", async () => {
  await withServer((r, i) => {
    if (i === 0) return ranged(r, { send: 1000 });
    return {
      status: 206,
      headers: { "content-range": `bytes 0-${PAYLOAD.length - 1}/${PAYLOAD.length}` },
      body: PAYLOAD,
    };
  }, async (run) => {
    await refused(download(run), "resumed at the wrong offset (0, wanted 1000)");
    assertEquals(await size(run.part), 1000);
  });
});

Deno.test("redirect loops and redirects to file: URLs fail with one line naming them", async () => {
  await withServer((r) => ({
    status: 302,
    headers: { location: r.path === "/w.pth" ? "/w.pth" : "file:///etc/passwd" },
  }), async (run) => {
    await refused(download(run), "cannot download", "redirects");
    await refused(
      downloadFile(`${run.server.url}/elsewhere`, run.part, { idleTimeoutMs: IDLE_MS }),
      "cannot download",
      "non HTTP",
    );
    assertEquals(await size(run.part), null);
  });
});

Deno.test("HTML in place of the file (typed or not) and HTTP errors leave no .part", async () => {
  const page = new TextEncoder().encode("<!DOCTYPE html><html><body>Sign in</body></html>");
  await withServer((r) => {
    if (r.path === "/typed") return { headers: { "content-type": "text/html" }, body: page };
    if (r.path === "/untyped") return { body: page };
    return { status: 503 };
  }, async (run) => {
    for (
      const [path, says] of [["/typed", "web page"], ["/untyped", "web page"], ["/x", "HTTP 503"]]
    ) {
      await refused(downloadFile(`${run.server.url}${path}`, run.part), says);
      assertEquals(await size(run.part), null, path);
    }
  });
});

Deno.test("aborting a stalled download rejects at once and keeps the .part", async () => {
  await withServer((r) => ranged(r, { send: 5000, then: "stall" }), async (run) => {
    const abort = new AbortController();
    const pending = download(run, { signal: abort.signal, idleTimeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    const e = await assertRejects(() => pending);
    assert(!(e instanceof TexSynthError), "an abort is the caller's, not a file problem");
    assertEquals(await size(run.part), 5000);
  });
});
