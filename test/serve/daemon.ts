// What the daemon's tests share: a daemon on 127.0.0.1 (in this process, or as a separate `tinybpf serve` process
// that can be killed), each with a fresh data directory, and plain fetch() requests with or without the token.
import { afterAll } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { startServer, type RunningServer } from "../../src/serve/server.js";
import { readCapture } from "../../src/tools/pcap.js";
import { ROOT, fixture } from "../support/paths.js";

const made: string[] = [];
// registered while the importing test file is collected: runs after that file's own afterAll hooks
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory, removed after the test file that made it. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tinybpf-serve-"));
  made.push(dir);
  return dir;
}

export async function inProcess(dataDir = tempDir()): Promise<RunningServer> {
  return startServer({ listen: "127.0.0.1:0", dataDir });
}

export interface Reply {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

/** One request; `token` undefined sends none. Bodies: bytes as they are, objects as JSON. */
export async function call(
  url: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  let payload: BodyInit | undefined;
  if (body instanceof Uint8Array) payload = new Uint8Array(body);
  else if (typeof body === "string") payload = body;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const res = await fetch(url + path, { method, headers, body: payload });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

/** A bound `call` for one daemon with its token. */
export const api = (s: { url: string; token: string }) => (method: string, path: string, body?: unknown) =>
  call(s.url, s.token, method, path, body);

export const object = (name: string): Uint8Array => new Uint8Array(readFileSync(fixture(name)));
export const sha256 = (b: Uint8Array): string => "sha256:" + createHash("sha256").update(b).digest("hex");

export const leHex = (v: bigint, bytes: number): string => {
  let s = "";
  for (let i = 0; i < bytes; i++, v >>= 8n)
    s += Number(v & 0xffn)
      .toString(16)
      .padStart(2, "0");
  return s;
};

/** sockex1's map after one pass over a capture: my_map[frame[23]] += frame length, from the capture itself. */
export function sockex1Totals(capture = "pcap/sockex1.pcap"): bigint[] {
  const totals = new Array<bigint>(256).fill(0n);
  for (const p of readCapture(readFileSync(fixture(capture)), capture)) totals[p.data[23]] += BigInt(p.data.length);
  return totals;
}

/** bitehist's dist after one pass over a capture: each packet read as up to 16 little-endian u32 sizes, slot =
 * the size's bit length (0 counts in slot 1); computed here from the capture. */
export function bitehistSlots(capture = "pcap/sockex1.pcap"): number[] {
  const slots: number[] = [];
  for (const p of readCapture(readFileSync(fixture(capture)), capture)) {
    const v = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
    for (let i = 0; i < Math.min(16, p.data.length >> 2); i++) {
      const size = v.getUint32(i * 4, true);
      const slot = size === 0 ? 1 : 32 - Math.clz32(size);
      slots[slot] = (slots[slot] ?? 0) + 1;
    }
  }
  return Array.from(slots, (c) => c ?? 0);
}

export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Spawned {
  child: ChildProcess;
  url: string;
  token: string;
  output: () => string;
}

/** The Node that runs spawned daemons: this one, or TINYBPF_SERVE_NODE (targets/armhf/node-arm: Debian's Node 18). */
const DAEMON_NODE = process.env.TINYBPF_SERVE_NODE || process.execPath;

/** `tinybpf serve` as its own process (the built CLI), on a free port, once it says it listens. */
export function spawnDaemon(dataDir: string, port = 0, env: NodeJS.ProcessEnv = process.env): Promise<Spawned> {
  const child = spawn(
    DAEMON_NODE,
    [join(ROOT, "bin/tinybpf.js"), "serve", "--listen", `127.0.0.1:${port}`, "--data", dataDir],
    { stdio: ["ignore", "pipe", "pipe"], env },
  );
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${out}`)), 60_000);
    child.on("exit", (code) => reject(new Error(`daemon exited with ${code}: ${out}`)));
    child.stdout!.on("data", () => {
      const m = /restored/.test(out) && /listening on (http:\/\/\S+),/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ child, url: m[1], token: readFileSync(join(dataDir, "token"), "utf8").trim(), output: () => out });
    });
  });
}

export function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}
