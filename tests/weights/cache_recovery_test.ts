// The weights cache recovers by itself, tried as a user meets it: real
// processes killed with SIGKILL mid-download and mid-conversion, whatever a
// crash or a stranger leaves at the lock's path, damaged cache files, and a
// TEX_SYNTH_CACHE that names something unusable.
import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { TexSynthError } from "../../src/errors.ts";
import { withCacheLock } from "../../src/weights/cache_lock.ts";
import {
  ensureWeights,
  loadCachedWeights,
  weightsPath,
  type WeightsProgress,
} from "../../src/weights/ensure.ts";
import { serve, vggCheckpoint } from "./_checkpoint_server.ts";
import { rawServer } from "./_raw_server.ts";

const CHECKPOINT = vggCheckpoint();
const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const CACHED = ["vgg19-features-f32.check.json", "vgg19-features-f32.safetensors"];

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tex-synth-recovery-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const listing = async (dir: string): Promise<string[]> =>
  (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();

/** A running `tex-synth` whose stderr is collected as it arrives. */
interface Cli {
  child: Deno.ChildProcess;
  stderr(): string;
  /** Resolves once stderr matches, or rejects after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

function startCli(args: string[], env: Record<string, string>): Cli {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const collect = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) text += decoder.decode(chunk, { stream: true });
  })();
  const stdout = new Response(child.stdout).text();
  return {
    child,
    stderr: () => text,
    async waitFor(pattern, ms = 15_000) {
      const until = Date.now() + ms;
      while (!pattern.test(text)) {
        if (Date.now() > until) throw new Error(`stderr never matched ${pattern}: ${text}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    done: (async () => {
      const status = await child.status;
      await collect;
      return { code: status.code, stdout: await stdout, stderr: text };
    })(),
  };
}

/** Resolves once `dir` holds a file that `match` accepts (polled; rejects after 15 s). */
async function untilFile(
  dir: string,
  match: (name: string, size: number) => boolean,
): Promise<void> {
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      for await (const e of Deno.readDir(dir)) {
        if (match(e.name, (await Deno.stat(`${dir}/${e.name}`).catch(() => ({ size: 0 }))).size)) {
          return;
        }
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (Date.now() > until) throw new Error(`no such file appeared in ${dir}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("a download killed with SIGKILL: the waiting process says so, takes over at once and resumes", async () => {
  const total = CHECKPOINT.bytes.length;
  const half = Math.floor(total / 2);
  // The first request sends half the file and then stalls, so the first process is caught mid-download.
  const server = rawServer((request) => {
    const type = { "content-type": "application/octet-stream" };
    if (!request.range) return { headers: type, body: CHECKPOINT.bytes, send: half, then: "stall" };
    const start = Number(/bytes=(\d+)-/.exec(request.range)![1]);
    return {
      status: 206,
      headers: { ...type, "content-range": `bytes ${start}-${total - 1}/${total}` },
      body: CHECKPOINT.bytes.subarray(start),
    };
  });
  try {
    await withDir(async (dir) => {
      const env = {
        TEX_SYNTH_CACHE: `${dir}/cache`,
        TEX_SYNTH_WEIGHTS_URL: `${server.url}/vgg19-test.pth`,
        TEX_SYNTH_WEIGHTS_SHA256: CHECKPOINT.sha256,
      };
      const first = startCli(["weights", "fetch"], env);
      await untilFile(`${dir}/cache`, (n, size) => n === "vgg19-test.pth.part" && size > 0);
      const second = startCli(["weights", "fetch"], env);
      await second.waitFor(
        new RegExp(`waiting for another tex-synth process \\(pid ${first.child.pid}\\)`),
      );
      assertEquals(server.requests.length, 1, "the waiting process must not download");
      // A waiter stops at once on Ctrl-C, holder or not.
      const third = startCli(["weights", "fetch"], env);
      await third.waitFor(/waiting for another tex-synth process/);
      const interrupted = Date.now();
      third.child.kill("SIGINT");
      assertEquals((await third.done).code, 130);
      assert(Date.now() - interrupted < 3000, "a waiter ignored Ctrl-C");
      first.child.kill("SIGKILL");
      const killed = Date.now();
      assertEquals((await first.done).code, 137);
      while (server.requests.length < 2 && Date.now() - killed < 10_000) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const takeover = Date.now() - killed;
      assert(takeover < 2000, `took over after ${takeover} ms`);
      const result = await second.done;
      assertEquals(result.code, 0, result.stderr);
      assertEquals(result.stdout.trim(), weightsPath(`${dir}/cache`));
      assertMatch(server.requests[1].range ?? "", /^bytes=[1-9]\d*-$/, "resumed, not restarted");
      assertEquals(await listing(`${dir}/cache`), CACHED);
    });
  } finally {
    await server.close();
  }
});

Deno.test("a conversion killed with SIGKILL leaves a temp file that the next run removes", async () => {
  const dead = serve(() => null);
  const deadUrl = dead.url;
  await dead.close();
  await withDir(async (dir) => {
    const cache = `${dir}/cache`;
    await Deno.mkdir(cache);
    // A checkpoint put in the cache by hand: conversion starts without any network.
    await Deno.writeFile(`${cache}/vgg19-test.pth`, CHECKPOINT.bytes);
    const env = {
      TEX_SYNTH_CACHE: cache,
      TEX_SYNTH_WEIGHTS_URL: `${deadUrl}/vgg19-test.pth`,
      TEX_SYNTH_WEIGHTS_SHA256: CHECKPOINT.sha256,
    };
    const first = startCli(["weights", "fetch"], env);
    await untilFile(cache, (n) => n.startsWith("vgg19-features-f32.safetensors.tmp-"));
    first.child.kill("SIGKILL");
    assertEquals((await first.done).code, 137);
    const left = await listing(cache);
    assert(left.some((n) => n.startsWith("vgg19-features-f32.safetensors.tmp-")), left.join());
    assert(!left.includes("vgg19-features-f32.safetensors"), left.join());
    const second = await startCli(["weights", "fetch"], env).done;
    assertEquals(second.code, 0, second.stderr);
    assertEquals(await listing(cache), CACHED);
  });
});

Deno.test("whatever sits at the lock's path is replaced at once, never followed or waited on", async () => {
  await withDir(async (dir) => {
    const lock = `${dir}/vgg19.lock`;
    const outside = `${dir}/outside.txt`;
    const strays: [string, () => Promise<void>][] = [
      ["garbage text", () => Deno.writeTextFile(lock, "\u0000\u00ffnot a lock at all\n")],
      ["a lock file of an older version", () => Deno.writeTextFile(lock, "12345-crashed\n")],
      ["an unreadable file", async () => {
        await Deno.writeTextFile(lock, "pid 1\n");
        await Deno.chmod(lock, 0);
      }],
      ["a dangling symlink", () => Deno.symlink(`${dir}/nowhere/else`, lock)],
      ["a symlink to someone's file", async () => {
        await Deno.writeTextFile(outside, "keep me\n");
        await Deno.symlink(outside, lock);
      }],
      ["an empty folder", () => Deno.mkdir(lock)],
      ["a named pipe", async () => {
        const made = await new Deno.Command("mkfifo", { args: [lock] }).output();
        assert(made.success, "mkfifo failed");
      }],
    ];
    for (const [what, make] of strays) {
      await make();
      let waited = false;
      const started = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ran = await Promise.race([
        withCacheLock(lock, () => Promise.resolve(true), { onWait: () => waited = true }),
        new Promise<boolean>((r) => timer = setTimeout(() => r(false), 5000)),
      ]);
      clearTimeout(timer);
      assert(ran, `${what}: the lock was not taken within 5 s`);
      assert(!waited, `${what}: waited for a holder that does not exist`);
      assert(performance.now() - started < 1000, `${what}: took ${performance.now() - started} ms`);
      const kept = (await listing(dir)).filter((n) => n !== "outside.txt");
      assertEquals(kept, [], `${what}: left behind`);
    }
    assertEquals(await Deno.readTextFile(outside), "keep me\n");
    assert(!(await listing(dir)).includes("nowhere"));
    await Deno.mkdir(`${lock}/full`, { recursive: true });
    await assertRejects(
      () => withCacheLock(lock, () => Promise.resolve()),
      TexSynthError,
      "remove it",
    );
  });
});

Deno.test("a cache folder with a dangling lock and temp files of killed runs: swept, unrelated files kept", async () => {
  const server = serve(() => CHECKPOINT.bytes);
  try {
    await withDir(async (dir) => {
      const opts = { url: `${server.url}/w.pth`, sha256: CHECKPOINT.sha256, cacheDir: dir };
      await Deno.symlink(`${dir}/gone`, `${dir}/vgg19.lock`);
      await Deno.writeFile(
        `${dir}/vgg19-features-f32.safetensors.tmp-999-deadbeef`,
        new Uint8Array(4096),
      );
      await Deno.writeTextFile(`${dir}/vgg19-features-f32.check.json.tmp-999-deadbeef`, "{");
      await Deno.writeTextFile(`${dir}/notes.txt`, "mine");
      await Deno.writeTextFile(`${dir}/other.part`, "someone else's download");
      await ensureWeights(opts);
      assertEquals(await listing(dir), ["notes.txt", "other.part", ...CACHED]);
      // With the cache already good, a run still removes leftovers, and a partial download of the source.
      await Deno.writeFile(`${dir}/vgg19-features-f32.safetensors.tmp-1-cafe`, new Uint8Array(16));
      await Deno.writeFile(`${dir}/w.pth.part`, CHECKPOINT.bytes.subarray(0, 100));
      const requests = server.requests.length;
      await ensureWeights(opts);
      assertEquals(server.requests.length, requests);
      assertEquals(await listing(dir), ["notes.txt", "other.part", ...CACHED]);
    });
  } finally {
    await server.close();
  }
});

/** Flips one byte of a file in place. */
async function flip(path: string, at: number): Promise<void> {
  const file = await Deno.open(path, { read: true, write: true });
  try {
    const one = new Uint8Array(1);
    await file.seek(at, Deno.SeekMode.Start);
    await file.read(one);
    one[0] ^= 0x20;
    await file.seek(at, Deno.SeekMode.Start);
    await file.write(one);
  } finally {
    file.close();
  }
}

/** Builds the cache (keeping the download), damages it with `damage`, then checks `use` rebuilds it offline. */
async function damagedAndRebuilt(
  damage: (path: string, good: Uint8Array) => Promise<void>,
  use: (opts: Parameters<typeof ensureWeights>[0]) => Promise<unknown>,
): Promise<void> {
  const server = serve(() => CHECKPOINT.bytes);
  try {
    await withDir(async (dir) => {
      const phases: string[] = [];
      const opts = {
        url: `${server.url}/w.pth`,
        sha256: CHECKPOINT.sha256,
        cacheDir: dir,
        keepDownload: true,
        onProgress: (p: WeightsProgress) => phases.at(-1) !== p.phase && phases.push(p.phase),
      };
      const path = await ensureWeights(opts);
      const good = await Deno.readFile(path);
      await damage(path, good);
      phases.length = 0;
      await use(opts);
      // Rebuilt offline: the kept download is hashed and converted again, nothing fetched.
      assertEquals(phases, ["verify", "convert"]);
      assertEquals(server.requests.length, 1);
      assertEquals(await Deno.readFile(path), good);
      assertEquals(await listing(dir), [...CACHED, "w.pth"]);
    });
  } finally {
    await server.close();
  }
}

Deno.test("a bit flipped in the cached weights is caught when they are loaded, and they are rebuilt", async () => {
  await damagedAndRebuilt(
    (path, good) => flip(path, Math.floor(good.length / 2)),
    async (opts) => {
      const weights = await loadCachedWeights({ ...opts, upTo: 2 });
      assertEquals(weights.layers[1].weight, CHECKPOINT.conv.get("features.2.weight"));
    },
  );
});

Deno.test("a change in the cached file's header that every parser accepts is caught all the same", async () => {
  await damagedAndRebuilt(
    // A letter's case flipped in the source URL: still valid JSON, still VGG19's layout.
    (path, good) =>
      flip(path, new TextDecoder().decode(good.subarray(0, 4096)).indexOf("/w.pth") + 1),
    (opts) => ensureWeights(opts),
  );
});

Deno.test("a truncated cache file, or one whose record is gone, is downloaded and converted again", async () => {
  const server = serve(() => CHECKPOINT.bytes);
  try {
    await withDir(async (dir) => {
      const opts = { url: `${server.url}/w.pth`, sha256: CHECKPOINT.sha256, cacheDir: dir };
      const path = await ensureWeights(opts);
      const good = await Deno.readFile(path);
      await Deno.truncate(path, good.length - 1000);
      const verify = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", CLI, "weights", "verify"],
        env: { TEX_SYNTH_CACHE: dir },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const said = new TextDecoder().decode(verify.stderr);
      assertEquals(verify.code, 1, said);
      assertMatch(said, /^tex-synth: error: [^\n]*damaged file[^\n]*weights fetch[^\n]*\n$/);
      const weights = await loadCachedWeights({ ...opts, upTo: 0 });
      assertEquals(weights.layers[0].bias, CHECKPOINT.conv.get("features.0.bias"));
      assertEquals(server.requests.length, 2, "downloaded again (nothing was kept)");
      assertEquals(await Deno.readFile(path), good);
      await Deno.remove(`${dir}/vgg19-features-f32.check.json`);
      await ensureWeights(opts);
      assertEquals(server.requests.length, 3);
      assertEquals(await listing(dir), CACHED);
    });
  } finally {
    await server.close();
  }
});

Deno.test("TEX_SYNTH_CACHE naming a file or an unusable folder: one line with the fix, before any work", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a-file`, "not a folder");
    await Deno.symlink(`${dir}/nowhere/cache`, `${dir}/dangling`);
    const png = new URL("../../examples/bricks.png", import.meta.url).pathname;
    const cases: [string, string[], RegExp][] = [
      [`${dir}/a-file`, ["weights", "fetch"], /is not a folder/],
      [`${dir}/a-file`, [png, "-o", `${dir}/out.png`, "-n", "1"], /is not a folder/],
      [`${dir}/a-file/sub`, ["weights", "fetch"], /part of that path is a file/],
      ["/proc/tex-synth-cache", ["weights", "fetch"], /cannot create the cache folder/],
      [`${dir}/dangling`, ["weights", "fetch"], /a broken symlink/],
      [`${dir}/a-file`, ["weights", "verify"], /no cached weights|is not a folder/],
    ];
    for (const [cache, args, why] of cases) {
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", CLI, ...args],
        env: { TEX_SYNTH_CACHE: cache, TEX_SYNTH_WEIGHTS_URL: "http://127.0.0.1:9/w.pth" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(run.stderr);
      assertEquals(run.code, 1, `${cache} ${args.join(" ")}: ${stderr}`);
      assertEquals(stderr.split("\n").length, 2, stderr);
      assertMatch(stderr, why);
      if (!args.includes("verify")) assertMatch(stderr, /TEX_SYNTH_CACHE/);
    }
    assertEquals(await listing(dir), ["a-file", "dangling"]);
  });
});
