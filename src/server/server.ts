// The local server of `tex-synth serve`: the page, its bundles, the bundled
// examples and the cached weights, read-only, and nothing else. Requests are
// looked up in a fixed table of paths, never mapped onto the file system, so
// no `..`, encoded or absolute path can reach another file. Deno.* lives here.
import { TexSynthError } from "../errors.ts";
import { weightsPath } from "../weights/ensure.ts";
import { openFileMatchesRecord, readCacheRecord } from "../weights/cache_record.ts";
import { type Asset, pageAssets } from "./assets.ts";

/** The path the page fetches the cached trained weights from. */
export const WEIGHTS_ROUTE = "weights/vgg19.safetensors";

/**
 * The path that tells the page whether cached weights are there
 * (`{"cached": true}`), so it need not probe for a file that may be missing.
 */
export const WEIGHTS_STATUS_ROUTE = "weights.json";

/** How {@link startPageServer} listens. */
export interface PageServerOptions {
  /** TCP port; 0 or none: a free one. */
  port?: number;
  /** Address to bind; default 127.0.0.1 (this machine only). */
  hostname?: string;
  /**
   * The weights file served at `/weights/vgg19.safetensors`; default: the
   * cache's, looked up at each request (so a later `weights fetch` shows).
   * null: none.
   */
  weightsFile?: string | null;
}

/** A running page server. */
export interface PageServer {
  /** The page's address, e.g. `http://127.0.0.1:8123/`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Settles when the server has stopped. */
  finished: Promise<void>;
  /** Stops listening and closes open connections. */
  shutdown(): Promise<void>;
}

/** Paths a browser asks for by habit: the page at `/`, and `/favicon.ico` when a page names no icon. */
const ALIASES = new Map([["", "index.html"], ["favicon.ico", "favicon.svg"]]);

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

const CSP = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function _headers(type: string, length: number): Headers {
  return new Headers({
    "content-type": type,
    "content-length": String(length),
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
    "content-security-policy": CSP,
  });
}

function _plain(status: number, text: string, extra: Record<string, string> = {}): Response {
  const body = new TextEncoder().encode(text + "\n");
  const headers = _headers("text/plain; charset=utf-8", body.length);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return new Response(body, { status, headers });
}

function _asset(asset: Asset, head: boolean): Response {
  return new Response(head ? null : asset.body as Uint8Array<ArrayBuffer>, {
    headers: _headers(asset.type, asset.body.length),
  });
}

function _defaultWeights(): string | null {
  try {
    return weightsPath();
  } catch {
    return null;
  }
}

/** The folder part of a path. */
function _folder(path: string): string {
  return path.replace(/[\\/][^\\/]*$/, "") || "/";
}

/**
 * The weights file opened read-only, when it is a regular file inside its own
 * folder: a symlink that leads out of the cache folder is not followed.
 */
async function _openWeights(path: string | null): Promise<Deno.FsFile | null> {
  if (!path) return null;
  try {
    const real = await Deno.realPath(path);
    const folder = (await Deno.realPath(_folder(path))).replace(/[\\/]$/, "");
    if (!real.startsWith(folder) || !/^[\\/][^\\/]+$/.test(real.slice(folder.length))) {
      return null;
    }
    const file = await Deno.open(real, { read: true });
    if ((await file.stat()).isFile) return file;
    file.close();
  } catch {
    // Missing or unreadable: the page is told there are no cached weights.
  }
  return null;
}

const NO_WEIGHTS = "no cached weights: run `tex-synth weights fetch`, then reload the page";

/**
 * The cached weights, streamed from the very handle whose size and SHA-256
 * were just checked against the record written at conversion, as the command
 * line checks them before use: a damaged or unrecorded file is not handed out.
 */
async function _weightsResponse(path: string | null, head: boolean): Promise<Response> {
  const file = await _openWeights(path);
  if (!file) return _plain(404, NO_WEIGHTS);
  const record = await readCacheRecord(_folder(path!));
  if (!record || !(await openFileMatchesRecord(file, record))) {
    file.close();
    return _plain(
      404,
      "the cached weights do not match their record (damaged or unchecked): run `tex-synth weights fetch` to rebuild them",
    );
  }
  await file.seek(0, Deno.SeekMode.Start);
  if (head) file.close();
  return new Response(head ? null : file.readable, {
    headers: _headers("application/octet-stream", record.bytes),
  });
}

/** Whether cached weights are there, by their record's size (the digest is checked when served). */
async function _weightsStatus(path: string | null, head: boolean): Promise<Response> {
  const file = await _openWeights(path);
  const record = file ? await readCacheRecord(_folder(path!)) : null;
  const bytes = file ? (await file.stat()).size : 0;
  file?.close();
  const cached = record !== null && record.bytes === bytes;
  const body = new TextEncoder().encode(JSON.stringify({ cached, bytes: cached ? bytes : 0 }));
  return _asset({ body, type: "application/json" }, head);
}

/**
 * Starts the page server. Binds 127.0.0.1 unless `hostname` says otherwise;
 * on a loopback address it answers only requests addressed to this machine
 * by name (127.0.0.1, localhost, [::1]), so a web site cannot reach it
 * through a DNS name of its own. GET and HEAD only; unknown paths are 404
 * with no listing.
 *
 * @example
 * ```ts
 * import { startPageServer } from "./server.ts";
 *
 * const server = startPageServer({ port: 0 });
 * console.log(`open ${server.url}`);
 * await server.shutdown();
 * ```
 */
export function startPageServer(options: PageServerOptions = {}): PageServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const assets = pageAssets();
  const weightsFile = () =>
    options.weightsFile === undefined ? _defaultWeights() : options.weightsFile;
  const loopback = LOOPBACK.has(hostname) || hostname.startsWith("127.");
  let port = 0;
  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (loopback) {
      const host = (request.headers.get("host") ?? "").toLowerCase();
      const name = host.replace(/:\d+$/, "");
      if (!(LOOPBACK.has(name) || name.startsWith("127.")) || host !== `${name}:${port}`) {
        return _plain(403, "this server answers only to 127.0.0.1, localhost and [::1]");
      }
    }
    const head = request.method === "HEAD";
    if (request.method !== "GET" && !head) {
      return _plain(405, "only GET and HEAD", { allow: "GET, HEAD" });
    }
    const path = url.pathname.slice(1);
    const asset = assets.get(ALIASES.get(path) ?? path);
    if (asset) return _asset(asset, head);
    if (path === WEIGHTS_ROUTE) return await _weightsResponse(weightsFile(), head);
    if (path === WEIGHTS_STATUS_ROUTE) return await _weightsStatus(weightsFile(), head);
    return _plain(404, "not found");
  };
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ port: options.port ?? 0, hostname, onListen: () => {} }, handler);
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new TexSynthError(
        `port ${options.port} is in use: pick another with --port, or leave --port out for a free one`,
      );
    }
    if (e instanceof Deno.errors.AddrNotAvailable) {
      throw new TexSynthError(
        `cannot listen on ${hostname}: this machine has no such address (check --host)`,
      );
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new TexSynthError(
        `not allowed to listen on ${hostname}:${options.port}: ports below 1024 need privileges; use a higher --port`,
      );
    }
    throw new TexSynthError(`cannot start the server on ${hostname}: ${(e as Error).message}`);
  }
  port = server.addr.port;
  const shown = hostname === "0.0.0.0" || hostname === "::"
    ? "127.0.0.1"
    : hostname.includes(":")
    ? `[${hostname}]`
    : hostname;
  return {
    url: `http://${shown}:${port}/`,
    port,
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}
