// A scriptable HTTP/1.1 server on raw TCP, for the failures Deno.serve will
// not produce on purpose: a Content-Length that lies, a body that stops and
// stalls, a request that is never answered, a body delimited by closing.

/** What the server does with one request. */
export interface RawReply {
  /** Status code; default 200. */
  status?: number;
  /** Response headers; `content-length` is added (the body's length) unless given or `lengthless`. */
  headers?: Record<string, string>;
  /** The body. */
  body?: Uint8Array;
  /** Send only this many bytes of the body; default all. */
  send?: number;
  /** After sending: close the connection (default) or keep it open and silent. */
  then?: "close" | "stall";
  /** Never answer at all (the connection stays open and silent). */
  silent?: boolean;
  /** Omit Content-Length, so the body ends when the connection closes. */
  lengthless?: boolean;
}

/** One request as the server saw it. */
export interface RawRequest {
  /** Path of the request line. */
  path: string;
  /** The Range header, or null. */
  range: string | null;
}

/** A running {@link rawServer}. */
export interface RawServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Requests in arrival order. */
  requests: RawRequest[];
  /** Closes the listener and every connection, stalled ones included. */
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 (port 0) answering each request with `reply(request, index)`. */
export function rawServer(reply: (request: RawRequest, index: number) => RawReply): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: RawRequest[] = [];
  const open = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  const finish = (conn: Deno.Conn): void => {
    if (open.delete(conn)) conn.close();
  };
  const handle = async (conn: Deno.Conn): Promise<void> => {
    const head = await _readHead(conn);
    if (head === null) return finish(conn);
    const [line, ...fields] = head.split("\r\n");
    const range = fields.find((f) => /^range:/i.test(f))?.replace(/^range:\s*/i, "") ?? null;
    const request = { path: line.split(" ")[1] ?? "/", range };
    requests.push(request);
    const r = reply(request, requests.length - 1);
    if (r.silent) return;
    const body = r.body ?? new Uint8Array(0);
    const headers = { ...r.headers };
    if (!r.lengthless && !Object.keys(headers).some((k) => /^content-length$/i.test(k))) {
      headers["content-length"] = String(body.length);
    }
    headers["connection"] = "close";
    const text = `HTTP/1.1 ${r.status ?? 200} X\r\n${
      Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")
    }\r\n`;
    await _writeAll(conn, new TextEncoder().encode(text));
    await _writeAll(conn, body.subarray(0, r.send ?? body.length));
    if (r.then !== "stall") finish(conn);
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      open.add(conn);
      const h = handle(conn).catch(() => finish(conn));
      handlers.add(h);
      h.finally(() => handlers.delete(h));
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    requests,
    async close(): Promise<void> {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of [...open]) finish(conn);
      await Promise.all(handlers);
    },
  };
}

async function _readHead(conn: Deno.Conn): Promise<string | null> {
  const buffer = new Uint8Array(16384);
  let length = 0;
  while (length < buffer.length) {
    const n = await conn.read(buffer.subarray(length));
    if (n === null) return null;
    length += n;
    const text = new TextDecoder().decode(buffer.subarray(0, length));
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) return text.slice(0, end);
  }
  return null;
}

async function _writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}
