// The page server serves its own files and nothing else: every path outside
// its table is 404 however it is spelled (dot segments, encoded, absolute,
// backslashes), the cached weights are served only as a regular file inside
// the cache folder (a symlink out is refused), other hosts and methods are
// refused, and what it serves is byte for byte the committed files.
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { startPageServer } from "../../src/server/server.ts";
import { TexSynthError } from "../../src/errors.ts";
import { writeCacheRecord } from "../../src/weights/cache_record.ts";

const ROOT = new URL("../../", import.meta.url);
const SECRET = "tex-synth-test-secret-7f3a";

/** Records `bytes` as the converted weights of the cache folder `dir`, as a conversion does. */
async function record(dir: string, bytes: Uint8Array): Promise<void> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  await writeCacheRecord(dir, {
    format: "test",
    bytes: bytes.length,
    sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
    sourceSha256: "0".repeat(64),
  });
}

interface _Reply {
  status: number;
  headers: string;
  body: string;
}

/** One HTTP/1.1 request written as it is, so the path reaches the server unnormalized. */
async function raw(
  port: number,
  target: string,
  options: { method?: string; host?: string } = {},
): Promise<_Reply> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const request = `${options.method ?? "GET"} ${target} HTTP/1.1\r\nHost: ${
    options.host ?? `127.0.0.1:${port}`
  }\r\nConnection: close\r\n\r\n`;
  await conn.write(new TextEncoder().encode(request));
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  conn.close();
  const text = new TextDecoder().decode(
    chunks.reduce((a, b) => new Uint8Array([...a, ...b]), new Uint8Array()),
  );
  const [head, ...rest] = text.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), headers: head.toLowerCase(), body: rest.join("") };
}

async function withServer(
  weightsFile: string | null,
  body: (port: number, base: string) => Promise<void>,
): Promise<void> {
  const server = startPageServer({ port: 0, weightsFile });
  try {
    await body(server.port, server.url);
  } finally {
    await server.shutdown();
  }
}

Deno.test("server: serves the page, its bundles and the examples byte for byte, on 127.0.0.1 and a free port", async () => {
  await withServer(null, async (port, base) => {
    assert(port > 0);
    assertEquals(base, `http://127.0.0.1:${port}/`);
    for (
      const [path, file] of [
        ["", "web/index.html"],
        ["index.html", "web/index.html"],
        ["style.css", "web/style.css"],
        ["favicon.svg", "web/favicon.svg"],
        ["favicon.ico", "web/favicon.svg"],
        ["page.js", "web/build/page.js"],
        ["tex-synth.js", "web/build/tex-synth.js"],
        ["examples/dots.png", "examples/dots.png"],
        ["examples/bricks.png", "examples/bricks.png"],
      ]
    ) {
      const response = await fetch(new URL(path, base));
      assertEquals(response.status, 200, path);
      const served = new Uint8Array(await response.arrayBuffer());
      assertEquals(
        served,
        await Deno.readFile(new URL(file, ROOT)),
        `${path} differs from ${file}`,
      );
      assertEquals(response.headers.get("x-content-type-options"), "nosniff");
    }
    const index = await fetch(base);
    assertEquals(index.headers.get("content-type"), "text/html; charset=utf-8");
    assertStringIncludes(index.headers.get("content-security-policy")!, "default-src 'self'");
    await index.body?.cancel();
    const png = await fetch(new URL("examples/dots.png", base), { method: "HEAD" });
    assertEquals(png.headers.get("content-type"), "image/png");
    assertEquals(Number(png.headers.get("content-length")), 20627);
    assertEquals((await png.arrayBuffer()).byteLength, 0);
  });
});

Deno.test("server: two servers without a port get different free ports; a port in use is a clear error", async () => {
  const a = startPageServer();
  const b = startPageServer();
  try {
    assert(a.port !== b.port);
    const error = await assertRejects(
      () => Promise.resolve().then(() => startPageServer({ port: a.port })),
      TexSynthError,
    );
    assertStringIncludes(error.message, `port ${a.port} is in use`);
  } finally {
    await a.shutdown();
    await b.shutdown();
  }
});

Deno.test("server: no path outside its files, however spelled; no listings", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tex-synth-server-" });
  try {
    await Deno.writeTextFile(`${dir}/secret.txt`, SECRET);
    await withServer(null, async (port) => {
      const targets = [
        "/../deno.json",
        "/examples/../../deno.json",
        "/examples/%2e%2e/%2e%2e/deno.json",
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/examples/..%5c..%5cdeno.json",
        "/examples\\..\\..\\deno.json",
        "//etc/passwd",
        "/etc/passwd",
        `/${dir}/secret.txt`,
        `/%2F${dir.slice(1).replaceAll("/", "%2F")}%2Fsecret.txt`,
        `http://127.0.0.1:${port}/../../etc/passwd`,
        `http://127.0.0.1:${port}${dir}/secret.txt`,
        "/deno.json",
        "/cli.ts",
        "/src/server/server.ts",
        "/web/index.html",
        "/web/build/page.js",
        "/examples/make_examples.ts",
        "/.git/config",
        "/examples/",
        "/examples",
        "/web/",
        "/weights/",
        "/weights/vgg19.json",
        "/index.html/",
        "/examples/dots.png/..%2f..%2fdeno.json",
        "/constructor",
        "/__proto__",
      ];
      for (const target of targets) {
        const reply = await raw(port, target);
        assert(
          reply.status === 404 || reply.status === 400,
          `${target} answered ${reply.status}`,
        );
        assert(!reply.body.includes(SECRET), `${target} leaked the secret file`);
        assert(!reply.body.includes("root:"), `${target} leaked /etc/passwd`);
        assert(!reply.body.includes('"name": "@tex/synth"'), `${target} leaked deno.json`);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("server: the cached weights, read-only, only as recorded at conversion; a symlink out of the cache folder is not followed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tex-synth-server-" });
  try {
    const cache = `${dir}/cache`;
    await Deno.mkdir(cache);
    const bytes = new Uint8Array(4096).map((_, i) => (i * 37) & 255);
    const weights = `${cache}/weights.safetensors`;
    await Deno.writeFile(weights, bytes);
    const get = async (base: string) => {
      const response = await fetch(new URL("weights/vgg19.safetensors", base));
      return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
    };
    const status = async (base: string) =>
      await (await fetch(new URL("weights.json", base))).json();

    await withServer(weights, async (_port, base) => {
      assertEquals((await get(base)).status, 404, "a file without a record is not served");
      assertEquals(await status(base), { cached: false, bytes: 0 });
    });
    await record(cache, bytes);
    await withServer(weights, async (_port, base) => {
      assertEquals(await get(base), { status: 200, body: bytes });
      assertEquals(await status(base), { cached: true, bytes: 4096 });
      const put = await fetch(new URL("weights/vgg19.safetensors", base), {
        method: "PUT",
        body: "x",
      });
      assertEquals(put.status, 405);
      await put.body?.cancel();
      assertEquals(await Deno.readFile(weights), bytes);
      const damaged = bytes.slice();
      damaged[1000] ^= 1;
      await Deno.writeFile(weights, damaged);
      const refused = await fetch(new URL("weights/vgg19.safetensors", base));
      assertEquals(refused.status, 404, "a damaged file is not served");
      assertStringIncludes(await refused.text(), "do not match their record");
      await Deno.writeFile(weights, bytes);
    });

    await Deno.writeFile(`${dir}/secret.txt`, bytes);
    await Deno.symlink(`${dir}/secret.txt`, `${cache}/linked.safetensors`);
    await withServer(`${cache}/linked.safetensors`, async (_port, base) => {
      const response = await get(base);
      assertEquals(response.status, 404);
      assert(!new TextDecoder().decode(response.body).includes(SECRET));
      assertEquals((await status(base)).cached, false);
    });

    await Deno.mkdir(`${cache}/folder.safetensors`);
    for (const missing of [`${cache}/none.safetensors`, `${cache}/folder.safetensors`, null]) {
      await withServer(missing, async (_port, base) => {
        const response = await fetch(new URL("weights/vgg19.safetensors", base));
        assertEquals(response.status, 404);
        assertStringIncludes(await response.text(), "tex-synth weights fetch");
        assertEquals((await status(base)).cached, false);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("server: on loopback it answers only to loopback host names; GET and HEAD only", async () => {
  await withServer(null, async (port) => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      assertEquals((await raw(port, "/", { host })).status, 200, host);
    }
    for (const host of [`evil.example:${port}`, "evil.example", `127.0.0.1:${port + 1}`]) {
      const reply = await raw(port, "/", { host });
      assertEquals(reply.status, 403, host);
      assert(!reply.body.includes("<html"), host);
    }
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS"]) {
      const reply = await raw(port, "/", { method });
      assertEquals(reply.status, 405, method);
      assertStringIncludes(reply.headers, "allow: get, head");
    }
  });
});
