// A VGG19-shaped checkpoint and a local HTTP server with Range support, for
// the download tests and the CLI's first-run test.
import { createHash } from "node:crypto";
import { VGG19_LAYERS } from "../../src/weights/vgg19_weights.ts";
import { f32Storage, legacyPth, rowMajorStride, type TensorSpec } from "./_torch_writer.ts";

/** A legacy (Python 2 flavour) checkpoint with all 16 VGG19 convs at real shapes, plus a classifier tensor. */
export function vggCheckpoint(): {
  bytes: Uint8Array;
  sha256: string;
  conv: Map<string, Float32Array>;
} {
  const specs: TensorSpec[] = [];
  const conv = new Map<string, Float32Array>();
  let key = 0;
  const add = (name: string, shape: number[], salt: number): void => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (((i + salt) * 2654435761) >>> 0) / 2 ** 32 - 0.5;
    conv.set(name, data);
    specs.push({
      name,
      storage: f32Storage(String(key++), data),
      shape,
      stride: rowMajorStride(shape),
      offset: 0,
    });
  };
  for (const l of VGG19_LAYERS) {
    add(`features.${l.index}.weight`, [l.cout, l.cin, 3, 3], l.index);
    add(`features.${l.index}.bias`, [l.cout], 1000 + l.index);
  }
  add("classifier.6.weight", [1000, 64], 7);
  const bytes = legacyPth(specs, { py2: true });
  return { bytes, sha256: sha256Hex(bytes), conv };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface Server {
  url: string;
  requests: { path: string; range: string | null }[];
  close(): Promise<void>;
}

/** Serves `body(path)` on 127.0.0.1 with Range support; `cut` ends chosen bodies early. */
export function serve(
  body: (path: string) => Uint8Array | null,
  opts: { type?: string; cut?: (request: number, path: string) => number | null } = {},
): Server {
  const requests: Server["requests"] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    const range = req.headers.get("range");
    requests.push({ path, range });
    const bytes = body(path);
    if (!bytes) return new Response("not here", { status: 404, statusText: "Not Found" });
    let start = 0;
    const headers: Record<string, string> = {
      "content-type": opts.type ?? "application/octet-stream",
    };
    if (range) {
      start = Number(/bytes=(\d+)-/.exec(range)![1]);
      if (start >= bytes.length) return new Response(null, { status: 416 });
      headers["content-range"] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
    }
    headers["content-length"] = String(bytes.length - start);
    const cutAt = opts.cut?.(requests.length, path) ?? null;
    const part = bytes.subarray(start);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (cutAt !== null && sent >= cutAt) {
          // Let the bytes already sent reach the client before the connection drops.
          await new Promise((r) => setTimeout(r, 100));
          c.error(new Error("connection cut by the test"));
          return;
        }
        const end = Math.min(part.length, sent + (1 << 20), cutAt ?? Infinity);
        c.enqueue(part.slice(sent, end));
        sent = end;
        if (sent >= part.length) c.close();
      },
    });
    return new Response(stream, { status: range ? 206 : 200, headers });
  });
  const addr = server.addr as Deno.NetAddr;
  return { url: `http://127.0.0.1:${addr.port}`, requests, close: () => server.shutdown() };
}
