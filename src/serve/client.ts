// The daemon's HTTP client for the command line: finds the server (--server, TINYBPF_SERVER, the default address)
// and the token (--token-file, TINYBPF_TOKEN, the default data directory's token file), and turns every failure into
// one line naming the request.
import { request } from "node:http";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { readToken, TOKEN_FILE } from "./auth.js";
import { DEFAULT_LISTEN } from "./server.js";

const TIMEOUT_MS = 30_000;
const MAX_RESPONSE = 64 << 20;

/** The daemon's data directory by default: the user's state directory (XDG). */
export function defaultDataDir(): string {
  return join(process.env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "tinybpf");
}

export interface ClientOptions {
  server?: string;
  token?: string;
  tokenFile?: string;
  dataDir?: string;
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export class Client {
  readonly server: string;
  private token: string | undefined;

  constructor(opts: ClientOptions = {}) {
    this.server = (opts.server ?? process.env.TINYBPF_SERVER ?? `http://${DEFAULT_LISTEN}`).replace(/\/+$/, "");
    if (!/^http:\/\/[^/]+$/.test(this.server)) throw new Error(`server must be http://HOST:PORT, not '${this.server}'`);
    const file = opts.tokenFile ?? join(opts.dataDir ?? defaultDataDir(), TOKEN_FILE);
    this.token =
      opts.token ?? process.env.TINYBPF_TOKEN ?? (opts.tokenFile || existsSync(file) ? readToken(file) : undefined);
  }

  send(
    method: string,
    path: string,
    body?: Uint8Array | object,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const payload =
      body === undefined ? undefined : body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body));
    const h: Record<string, string | number> = { ...headers };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    if (payload) {
      h["Content-Length"] = payload.length;
      h["Content-Type"] ??= body instanceof Uint8Array ? "application/octet-stream" : "application/json";
    }
    const what = `${method} ${this.server}${path}`;
    return new Promise((resolve, reject) => {
      const req = request(this.server + path, { method, headers: h, timeout: TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE) req.destroy(new Error(`response over ${MAX_RESPONSE} bytes`));
          else chunks.push(c);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", (e) => reject(new Error(`${what}: ${e.message}`)));
      });
      req.on("timeout", () => req.destroy(new Error(`no answer in ${TIMEOUT_MS / 1000} s`)));
      req.on("error", (e) => reject(new Error(`${what}: ${e.message}`)));
      req.end(payload);
    });
  }

  /** A request that must succeed: its JSON body (undefined for 204), or an error with the daemon's message. */
  async json(
    method: string,
    path: string,
    body?: Uint8Array | object,
    headers?: Record<string, string>,
  ): Promise<unknown> {
    const res = await this.send(method, path, body, headers);
    if (res.status >= 400) {
      let msg = res.body.toString("utf8").trim();
      try {
        msg = (JSON.parse(msg) as { error: string }).error;
      } catch {
        // not JSON: show the text as it came
      }
      throw new Error(`${method} ${path}: ${res.status} ${msg.split("\n")[0]}`);
    }
    return res.status === 204 ? undefined : JSON.parse(res.body.toString("utf8"));
  }
}
