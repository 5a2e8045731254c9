// The daemon's HTTP server on node:http: bearer-token auth on every API route, routing by method and path, bounded
// headers and bodies, and every failure answered with a status and a one-line JSON error. Only the web UI's own
// static files are served without the token.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync } from "node:zlib";
import { loadEngines } from "../runtime/engine-loader.js";
import { authorized, ensureToken } from "./auth.js";
import { Daemon } from "./daemon.js";
import { HttpError, oneLine, readBody, readJson, sendError, sendJson } from "./http.js";
import { compileScript, MAX_SCRIPT_BYTES } from "./scripts.js";
import { loadExecutableBuilder } from "./native.js";
import { renderMetrics } from "./metrics.js";
import { parseBudget, parseNcpus, MAX_OBJECT_BYTES } from "./modules.js";
import { blob, push, resolveTag } from "./registry.js";
import { Store, lockDataDir } from "./store.js";
import { deleteEntry, describeTable, entriesJson, getEntry, putEntry, table } from "./tables.js";

export const DEFAULT_LISTEN = "127.0.0.1:7878";
const MAX_HEADER_BYTES = 8 << 10;

/** HOST:PORT, [V6]:PORT or a bare port. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`--listen takes HOST:PORT, not '${text}'`);
  return { host: m[1] || m[2] || "127.0.0.1", port };
}

/** The UI's files: the only paths served without the token. */
const UI_FILES: Record<string, [string, string]> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/app.css": ["app.css", "text/css; charset=utf-8"],
};

/**
 * The UI sits next to this file in the sources; the compiled server finds it there too, a device bundle next to
 * its CLI (compressed, as NAME.br, when the CLI is).
 */
function uiDir(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const local = join(here, "ui");
  const bundled = existsSync(join(local, "index.html")) || existsSync(join(local, "index.html.br"));
  return bundled ? local : join(here, "..", "..", "..", "src", "serve", "ui");
}

function uiFile(dir: string, name: string): Buffer {
  const packed = join(dir, name + ".br");
  return existsSync(packed) ? brotliDecompressSync(readFileSync(packed)) : readFileSync(join(dir, name));
}

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: string[],
  query: URLSearchParams,
) => Promise<void> | void;
interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

function routes(daemon: Daemon): Route[] {
  const r = (method: string, path: string, handler: Handler): Route => ({
    method,
    pattern: new RegExp("^" + path.replace(/\{\w+\}/g, "([^/]+)") + "$"),
    handler,
  });
  const store = daemon.store;
  return [
    r("GET", "/modules", (_req, res) =>
      sendJson(
        res,
        200,
        [...daemon.modules.values()].map((m) => m.describe()),
      ),
    ),
    r("POST", "/modules", async (req, res, _p, q) => {
      const budget = parseBudget(q.get("budget"));
      const ncpus = parseNcpus(q.get("ncpus"));
      const hist = q.get("hist") ? q.get("hist")!.split(",") : [];
      // a JSON body is a one-liner to compile ({"name", "script"}); anything else is the ELF object itself
      if (/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
        const { name, script } = await readJson(req, MAX_SCRIPT_BYTES);
        if (typeof name !== "string" || typeof script !== "string")
          throw new HttpError(400, 'a script module needs "name" and "script" strings');
        const bytes = await compileScript(script);
        sendJson(res, 201, daemon.addModule(name, bytes, { budget, ncpus, hist }).describe());
        return;
      }
      const name = q.get("name");
      if (name === null) throw new HttpError(400, "POST /modules needs ?name=NAME");
      const bytes = await readBody(req, MAX_OBJECT_BYTES);
      sendJson(res, 201, daemon.addModule(name, bytes, { budget, ncpus, hist }).describe());
    }),
    r("GET", "/modules/{id}", (_req, res, [id]) => sendJson(res, 200, daemon.module(id).describe())),
    r("DELETE", "/modules/{id}", (_req, res, [id]) => {
      daemon.removeModule(id);
      res.writeHead(204).end();
    }),
    r("GET", "/modules/{id}/metrics", (_req, res, [id]) => {
      const config = daemon.module(id).record.metrics;
      if (!config) throw new HttpError(404, `module ${daemon.module(id).name} has no metrics config`);
      sendJson(res, 200, config);
    }),
    r("PUT", "/modules/{id}/metrics", async (req, res, [id]) =>
      sendJson(res, 200, daemon.setMetrics(id, await readJson(req))),
    ),
    r("DELETE", "/modules/{id}/metrics", (_req, res, [id]) => {
      daemon.setMetrics(id, undefined);
      res.writeHead(204).end();
    }),
    r("GET", "/modules/{id}/tables", (_req, res, [id]) => {
      sendJson(res, 200, [...daemon.module(id).obj.maps.values()].map(describeTable));
    }),
    r("GET", "/modules/{id}/tables/{map}/entries", (_req, res, [id, map]) => {
      const mod = daemon.module(id);
      const text = entriesJson(mod, table(mod, map));
      res.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(text),
        "Cache-Control": "no-store",
      });
      res.end(text);
    }),
    r("GET", "/modules/{id}/tables/{map}/entries/{key}", (_req, res, [id, map, key]) => {
      sendJson(res, 200, getEntry(table(daemon.module(id), map), key));
    }),
    r("PUT", "/modules/{id}/tables/{map}/entries/{key}", async (req, res, [id, map, key]) => {
      const mod = daemon.module(id);
      const t = table(mod, map);
      daemon.checkWritable(mod);
      sendJson(res, 200, putEntry(mod, t, key, await readJson(req)));
    }),
    r("DELETE", "/modules/{id}/tables/{map}/entries/{key}", (_req, res, [id, map, key]) => {
      const mod = daemon.module(id);
      const t = table(mod, map);
      daemon.checkWritable(mod);
      deleteEntry(mod, t, key);
      res.writeHead(204).end();
    }),
    r("GET", "/links", (_req, res) =>
      sendJson(
        res,
        200,
        [...daemon.links.values()].map((l) => l.describe()),
      ),
    ),
    r("POST", "/links", async (req, res) => sendJson(res, 201, daemon.addLink(await readJson(req)).describe())),
    r("GET", "/links/{id}", (_req, res, [id]) => sendJson(res, 200, daemon.link(id).describe())),
    r("DELETE", "/links/{id}", (_req, res, [id]) => {
      daemon.removeLink(id);
      res.writeHead(204).end();
    }),
    r("GET", "/events", (_req, res, _p, q) => {
      const module = q.get("module") ?? undefined;
      if (module !== undefined) daemon.module(module);
      if (daemon.events.full) throw new HttpError(503, "too many event streams open");
      daemon.events.subscribe(res, module);
    }),
    r("GET", "/metrics", (_req, res) => {
      const text = renderMetrics(daemon);
      res.writeHead(200, {
        "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
        "Content-Length": Buffer.byteLength(text),
      });
      res.end(text);
    }),
    r("GET", "/registry", (_req, res) => sendJson(res, 200, store.tags())),
    r("GET", "/registry/{name}/{tag}", (_req, res, [name, tag]) => sendJson(res, 200, resolveTag(store, name, tag))),
    r("PUT", "/registry/{name}/{tag}", async (req, res, [name, tag]) => {
      const bytes = await readBody(req, MAX_OBJECT_BYTES);
      sendJson(res, 201, push(store, name, tag, bytes, req.headers["x-digest"] as string | undefined));
    }),
    r("GET", "/blobs/{digest}", (_req, res, [digest]) => {
      const bytes = blob(store, digest);
      res.writeHead(200, {
        "Content-Type": "application/octet-stream",
        "Content-Length": bytes.length,
        "X-Digest": digest,
      });
      res.end(bytes);
    }),
  ];
}

export interface ServeOptions {
  listen?: string;
  dataDir: string;
  log?: (line: string) => void;
}

export interface RunningServer {
  server: Server;
  daemon: Daemon;
  url: string;
  token: string;
  tokenPath: string;
  tokenCreated: boolean;
  close(): Promise<void>;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { host, port } = parseListen(opts.listen ?? DEFAULT_LISTEN);
  const log = opts.log ?? (() => {});
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(opts.dataDir);
  let daemon: Daemon;
  let token: string, tokenPath: string, created: boolean;
  try {
    ({ token, path: tokenPath, created } = ensureToken(opts.dataDir, host));
    const store = new Store(opts.dataDir);
    await loadEngines();
    await loadExecutableBuilder();
    daemon = new Daemon(store, log);
    daemon.restore();
  } catch (e) {
    unlock();
    throw e;
  }
  const table = routes(daemon);
  const ui = uiDir();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    daemon.counters.requests++;
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://daemon");
    } catch {
      throw new HttpError(400, "malformed request target");
    }
    const path = url.pathname;
    const file = UI_FILES[path];
    if (file && req.method === "GET") {
      const body = uiFile(ui, file[0]);
      res.writeHead(200, { "Content-Type": file[1], "Content-Length": body.length, "Cache-Control": "no-cache" });
      res.end(body);
      return;
    }
    if (!authorized(req.headers.authorization, token)) {
      daemon.counters.unauthorized++;
      throw new HttpError(401, "missing or wrong bearer token (Authorization: Bearer TOKEN)");
    }
    let allowed = false;
    for (const route of table) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      allowed = true;
      if (route.method !== req.method) continue;
      let params: string[];
      try {
        params = m.slice(1).map(decodeURIComponent);
      } catch {
        throw new HttpError(400, "malformed percent-encoding in the path");
      }
      await route.handler(req, res, params, url.searchParams);
      return;
    }
    throw new HttpError(allowed ? 405 : 404, allowed ? `${req.method} not allowed on ${path}` : `no route ${path}`);
  };

  const server = createServer(
    { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 30_000, headersTimeout: 10_000 },
    (req, res) => {
      handle(req, res).catch((e) => {
        const status = e instanceof HttpError ? e.status : 500;
        if (status >= 500) daemon.counters.errors++;
        if (status === 500) log(`${req.method} ${req.url}: ${oneLine(e)}`);
        // a body the handler never read must not be mistaken for the next request
        if (!res.headersSent && !req.complete) res.setHeader("Connection", "close");
        sendError(res, status, oneLine(e));
      });
    },
  );
  server.maxHeadersCount = 64;
  // Malformed requests and oversized headers: a one-line JSON error instead of Node's bare status line.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const body =
      JSON.stringify({
        error:
          status === 431
            ? `headers over ${MAX_HEADER_BYTES} bytes`
            : status === 408
              ? "request timed out"
              : "malformed request",
      }) + "\n";
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request"}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => {
      daemon.close();
      unlock();
      reject(e);
    });
    server.listen(port, host, () => {
      server.removeAllListeners("error");
      resolve();
    });
  });
  const addr = server.address();
  const actualPort = typeof addr === "object" && addr ? addr.port : port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}`;
  return {
    server,
    daemon,
    url,
    token,
    tokenPath,
    tokenCreated: created,
    close: () =>
      new Promise((resolve) => {
        daemon.close();
        server.closeAllConnections?.();
        server.close(() => {
          unlock();
          resolve();
        });
      }),
  };
}
