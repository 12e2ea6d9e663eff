import { assert, assertEquals, assertRejects } from "@std/assert";
import { TexSynthError } from "../../src/errors.ts";
import { cacheDir } from "../../src/weights/cache.ts";
import { withCacheLock } from "../../src/weights/cache_lock.ts";
import { ensureWeights, verifyCachedWeights, weightsPath } from "../../src/weights/ensure.ts";
import { loadWeightsFile } from "../../src/weights/load.ts";
import { legacyPth, PickleWriter } from "./_torch_writer.ts";
import { serve, sha256Hex, vggCheckpoint } from "./_checkpoint_server.ts";

const CHECKPOINT = vggCheckpoint();

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tex-synth-cache-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What a cache folder holds after a successful fetch: the weights and their check record. */
const CACHED = ["vgg19-features-f32.check.json", "vgg19-features-f32.safetensors"];

const listing = async (dir: string): Promise<string[]> =>
  (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();

Deno.test("fetch → verify → convert → cache; second ensure downloads nothing; verify catches corruption", async () => {
  const server = serve((p) => (p === "/vgg19-test.pth" ? CHECKPOINT.bytes : null));
  try {
    await withDir(async (dir) => {
      const phases = new Set<string>();
      const opts = {
        url: `${server.url}/vgg19-test.pth`,
        sha256: CHECKPOINT.sha256,
        cacheDir: dir,
        onProgress: (p: { phase: string }) => phases.add(p.phase),
      };
      const path = await ensureWeights(opts);
      assertEquals(path, weightsPath(dir));
      assertEquals([...phases], ["download", "convert"]);
      assertEquals(await listing(dir), CACHED);
      const size = (await Deno.stat(path)).size;
      assert(size > 80_000_000 && size < 80_200_000, `cache file is ${size} bytes`);
      const w = await loadWeightsFile(path);
      assertEquals(w.layers.length, 16);
      for (const l of [w.layers[0], w.layers[8], w.layers[15]]) {
        assertEquals(l.weight, CHECKPOINT.conv.get(`features.${l.index}.weight`));
        assertEquals(l.bias, CHECKPOINT.conv.get(`features.${l.index}.bias`));
      }
      assertEquals(await verifyCachedWeights({ cacheDir: dir }), path);
      const before = server.requests.length;
      assertEquals(await ensureWeights(opts), path);
      assertEquals(server.requests.length, before, "second ensure made no request");
      const file = await Deno.open(path, { write: true, read: true });
      await file.seek(-5, Deno.SeekMode.End);
      await file.write(new Uint8Array([1]));
      file.close();
      await assertRejects(() => verifyCachedWeights({ cacheDir: dir }), TexSynthError, "SHA-256");
    });
  } finally {
    await server.close();
  }
});

Deno.test("a cut connection resumes with Range; a leftover .part is resumed; keepDownload keeps the file", async () => {
  const half = Math.floor(CHECKPOINT.bytes.length * 0.4);
  const server = serve((p) => (p === "/w.pth" ? CHECKPOINT.bytes : null), {
    cut: (n) => (n === 1 ? half : null),
  });
  try {
    await withDir(async (dir) => {
      await ensureWeights({
        url: `${server.url}/w.pth`,
        sha256: CHECKPOINT.sha256,
        cacheDir: dir,
        keepDownload: true,
      });
      assertEquals(server.requests.map((r) => r.range), [null, `bytes=${half}-`]);
      assertEquals(await listing(dir), [...CACHED, "w.pth"]);
    });
    await withDir(async (dir) => {
      await Deno.writeFile(`${dir}/w.pth.part`, CHECKPOINT.bytes.subarray(0, 12345));
      await ensureWeights({
        url: `${server.url}/w.pth`,
        sha256: CHECKPOINT.sha256.slice(0, 8),
        cacheDir: dir,
      });
      assertEquals(server.requests.at(-1)!.range, "bytes=12345-");
      assertEquals(await listing(dir), CACHED);
    });
  } finally {
    await server.close();
  }
});

Deno.test("404, HTML pages, wrong digest, truncation, offline: one-line errors, no cache file", async () => {
  const html = new TextEncoder().encode("<!DOCTYPE html><html><body>Sign in</body></html>");
  const truncated = CHECKPOINT.bytes.subarray(0, 5_000_000);
  const server = serve((p) => {
    if (p === "/html" || p === "/html-untyped") return html;
    if (p === "/truncated.pth") return truncated;
    if (p === "/w.pth" || p === "/always-cut.pth") return CHECKPOINT.bytes;
    return null;
  }, { cut: (_, path) => (path === "/always-cut.pth" ? 1000 : null) });
  const dead = serve(() => null);
  const deadUrl = dead.url;
  await dead.close();
  const cases: [string, string, string][] = [
    ["/missing.pth", CHECKPOINT.sha256, "HTTP 404"],
    ["/html", CHECKPOINT.sha256, "web page"],
    ["/truncated.pth", CHECKPOINT.sha256, "has SHA-256"],
    ["/w.pth", "0123456789abcdef", "expected 0123456789abcdef"],
  ];
  try {
    for (const [path, sha256, msg] of cases) {
      await withDir(async (dir) => {
        const e = await assertRejects(
          () => ensureWeights({ url: `${server.url}${path}`, sha256, cacheDir: dir }),
          TexSynthError,
        );
        assert(e.message.includes(msg) && !e.message.includes("\n"), `${path}: ${e.message}`);
        assert(e.message.includes("--weights random") && e.message.includes(dir), e.message);
        assertEquals(await listing(dir), [], `${path} left files behind`);
      });
    }
    await withDir(async (dir) => {
      // Untyped HTML is recognized by its first bytes.
      const untyped = serve(() => html, { type: "" });
      try {
        await assertRejects(
          () =>
            ensureWeights({
              url: `${untyped.url}/x.pth`,
              sha256: CHECKPOINT.sha256,
              cacheDir: dir,
            }),
          TexSynthError,
          "web page",
        );
      } finally {
        await untyped.close();
      }
      await assertRejects(
        () => ensureWeights({ url: `${deadUrl}/w.pth`, sha256: CHECKPOINT.sha256, cacheDir: dir }),
        TexSynthError,
        "cannot download",
      );
      assertEquals(await listing(dir), []);
      // Every response cut after 1000 bytes: retries stop, the .part stays for a later resume.
      const e = await assertRejects(
        () =>
          ensureWeights({
            url: `${server.url}/always-cut.pth`,
            sha256: CHECKPOINT.sha256,
            cacheDir: dir,
          }),
        TexSynthError,
        "run again to resume",
      );
      assert(!e.message.includes("\n"));
      assertEquals(await listing(dir), ["always-cut.pth.part"]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("a forged checkpoint naming os.system is refused at conversion and nothing runs", async () => {
  const evil = new PickleWriter().proto().global("os", "system").mark().str(
    "touch /tmp/texsynth-pwned2",
  ).tuple()
    .op(0x52).stop().bytes();
  const bytes = legacyPth([], {}, evil);
  const server = serve(() => bytes);
  try {
    await withDir(async (dir) => {
      await assertRejects(
        () =>
          ensureWeights({ url: `${server.url}/evil.pth`, sha256: sha256Hex(bytes), cacheDir: dir }),
        TexSynthError,
        "os.system",
      );
      assert(!(await listing(dir)).includes("vgg19-features-f32.safetensors"));
      await assertRejects(() => Deno.stat("/tmp/texsynth-pwned2"), Deno.errors.NotFound);
    });
  } finally {
    await server.close();
  }
});

Deno.test("two concurrent ensures download once; a lock file left behind is no obstacle; a held lock waits", async () => {
  const server = serve(() => CHECKPOINT.bytes);
  try {
    await withDir(async (dir) => {
      const opts = { url: `${server.url}/w.pth`, sha256: CHECKPOINT.sha256, cacheDir: dir };
      const [a, b] = await Promise.all([ensureWeights(opts), ensureWeights(opts)]);
      assertEquals(a, b);
      assertEquals(server.requests.length, 1);
      assertEquals(await listing(dir), CACHED);
    });
    await withDir(async (dir) => {
      // An old lock file, fresh mtime and all: only a live holder's OS lock makes anyone wait.
      await Deno.writeTextFile(`${dir}/vgg19.lock`, "12345-crashed\n");
      await ensureWeights({ url: `${server.url}/w.pth`, sha256: CHECKPOINT.sha256, cacheDir: dir });
      assertEquals(await listing(dir), CACHED);
      // A live holder: a waiter blocks until aborted, and its onWait names the holder.
      const holders: (string | null)[] = [];
      const abort = new AbortController();
      await withCacheLock(`${dir}/other.lock`, async () => {
        const waiter = withCacheLock(`${dir}/other.lock`, () => Promise.resolve(1), {
          signal: abort.signal,
          onWait: (holder) => holders.push(holder),
        });
        await new Promise((r) => setTimeout(r, 300));
        abort.abort();
        await assertRejects(() => waiter);
      });
      assertEquals(holders, [`pid ${Deno.pid}`]);
      // The aborted waiter's OS call ends once the holder lets go; taking the lock again waits for that.
      assertEquals(await withCacheLock(`${dir}/other.lock`, () => Promise.resolve(2)), 2);
      assertEquals(await listing(dir), CACHED);
    });
  } finally {
    await server.close();
  }
});

Deno.test("cache dir: TEX_SYNTH_CACHE, then XDG_CACHE_HOME/tex-synth, then ~/.cache/tex-synth", () => {
  const saved = ["TEX_SYNTH_CACHE", "XDG_CACHE_HOME", "HOME"].map((k) =>
    [k, Deno.env.get(k)] as const
  );
  try {
    Deno.env.set("TEX_SYNTH_CACHE", "/c/ts");
    Deno.env.set("XDG_CACHE_HOME", "/x/");
    Deno.env.set("HOME", "/h");
    assertEquals(cacheDir(), "/c/ts");
    assertEquals(weightsPath(), "/c/ts/vgg19-features-f32.safetensors");
    Deno.env.delete("TEX_SYNTH_CACHE");
    assertEquals(cacheDir(), "/x/tex-synth");
    Deno.env.delete("XDG_CACHE_HOME");
    assertEquals(cacheDir(), "/h/.cache/tex-synth");
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
});

Deno.test("a checkpoint put in the cache by hand is verified and converted offline (env overrides)", async () => {
  const dead = serve(() => null);
  const deadUrl = dead.url;
  await dead.close();
  const saved = ["TEX_SYNTH_WEIGHTS_URL", "TEX_SYNTH_WEIGHTS_SHA256"].map((k) =>
    [k, Deno.env.get(k)] as const
  );
  try {
    Deno.env.set("TEX_SYNTH_WEIGHTS_URL", `${deadUrl}/by-hand.pth`);
    Deno.env.set("TEX_SYNTH_WEIGHTS_SHA256", CHECKPOINT.sha256.toUpperCase());
    await withDir(async (dir) => {
      await Deno.writeFile(`${dir}/by-hand.pth`, CHECKPOINT.bytes);
      const phases: string[] = [];
      await ensureWeights({
        cacheDir: dir,
        onProgress: (p) => phases.at(-1) !== p.phase && phases.push(p.phase),
      });
      assertEquals(phases, ["verify", "convert"]);
      assertEquals(await listing(dir), CACHED);
      // A wrong file by hand is deleted, then the (unreachable) download fails cleanly.
      await Deno.remove(weightsPath(dir));
      await Deno.writeFile(`${dir}/by-hand.pth`, CHECKPOINT.bytes.subarray(0, 1000));
      await assertRejects(() => ensureWeights({ cacheDir: dir }), TexSynthError, "cannot download");
      assertEquals(await listing(dir), []);
    });
    Deno.env.set("TEX_SYNTH_WEIGHTS_SHA256", "xyz");
    await assertRejects(
      () => ensureWeights({ cacheDir: "/nonexistent" }),
      TexSynthError,
      "TEX_SYNTH_WEIGHTS_SHA256",
    );
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
});

Deno.test("two processes at once: one downloads, the other waits and reuses the cache", async () => {
  const server = serve(() => CHECKPOINT.bytes);
  try {
    await withDir(async (dir) => {
      const script = `${dir}/run.ts`;
      await Deno.writeTextFile(
        script,
        `import { ensureWeights } from ${
          JSON.stringify(import.meta.resolve("../../src/weights/ensure.ts"))
        };
console.log(await ensureWeights({ url: Deno.args[0], sha256: Deno.args[1], cacheDir: Deno.args[2] }));`,
      );
      const cache = `${dir}/cache`;
      const run = () =>
        new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--no-config",
            script,
            `${server.url}/w.pth`,
            CHECKPOINT.sha256,
            cache,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
      const outs = await Promise.all([run(), run()]);
      for (const o of outs) {
        assert(o.success, new TextDecoder().decode(o.stderr));
        assertEquals(new TextDecoder().decode(o.stdout).trim(), weightsPath(cache));
      }
      assertEquals(server.requests.length, 1, "exactly one download");
      assertEquals(await listing(cache), CACHED);
    });
  } finally {
    await server.close();
  }
});
