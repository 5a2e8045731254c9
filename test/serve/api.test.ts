// The daemon's REST API in one process: token auth, module upload with validation, tables with the kernel's flag
// semantics, bounded bodies and headers, and the one-line JSON error every failure gets.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { request } from "node:http";
import { writeFileSync, mkdirSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { api, call, inProcess, object, sha256, leHex, sockex1Totals, tempDir, until } from "./daemon.js";
import { fixture } from "../support/paths.js";
import { ensureToken } from "../../src/serve/auth.js";
import { parseListen, startServer, type RunningServer } from "../../src/serve/server.js";

let s: RunningServer;
let req: ReturnType<typeof api>;
beforeAll(async () => {
  s = await inProcess();
  req = api(s);
});
afterAll(() => s.close());

/** Every error: the status, and a body that is one line of JSON with only an "error" string. */
function expectError(r: { status: number; text: string; json: any }, status: number, pattern?: RegExp) {
  expect(r.status).toBe(status);
  expect(r.text.trimEnd().split("\n")).toHaveLength(1);
  expect(Object.keys(r.json)).toEqual(["error"]);
  if (pattern) expect(r.json.error).toMatch(pattern);
  expect(r.json.error).not.toMatch(/\n|    at /);
}

describe("auth", () => {
  test("the token file is new, random and private", () => {
    expect(s.tokenCreated).toBe(true);
    expect(s.token).toMatch(/^[0-9a-f]{64}$/);
  });
  test("no token, a wrong token, another scheme: 401 with a JSON error", async () => {
    for (const path of ["/modules", "/metrics", "/events", "/links", "/registry"])
      expectError(await call(s.url, undefined, "GET", path), 401, /token/);
    expectError(await call(s.url, "0".repeat(64), "GET", "/modules"), 401);
    const basic = await fetch(s.url + "/modules", { headers: { Authorization: `Basic ${s.token}` } });
    expect(basic.status).toBe(401);
  });
  test("listening off loopback is refused without a token file, allowed with a private one", () => {
    const dir = tempDir();
    expect(() => ensureToken(dir, "0.0.0.0")).toThrow(/not loopback.*token file/);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "token"), "a".repeat(32) + "\n", { mode: 0o644 });
    chmodSync(join(dir, "token"), 0o644);
    expect(() => ensureToken(dir, "0.0.0.0")).toThrow(/readable by others/);
    chmodSync(join(dir, "token"), 0o600);
    expect(ensureToken(dir, "0.0.0.0")).toMatchObject({ token: "a".repeat(32), created: false });
  });
  test("startServer on 0.0.0.0 without a token file fails before listening", async () => {
    await expect(startServer({ listen: "0.0.0.0:0", dataDir: tempDir() })).rejects.toThrow(/not loopback/);
  });
});

describe("modules", () => {
  let id: string;
  test("POST /modules validates and keeps an object: 201 with id, name, digest, programs, maps", async () => {
    const bytes = object("sockex1.o");
    const r = await req("POST", "/modules?name=sockex1", bytes);
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ name: "sockex1", digest: sha256(bytes), maps: ["my_map"] });
    expect(r.json.programs).toEqual([{ name: "bpf_prog1", type: "socket_filter", section: "socket1", insns: 15 }]);
    expect(r.json.id).toMatch(/^[0-9a-f]{12}$/);
    id = r.json.id;
    expect((await req("GET", "/modules")).json.map((m: any) => m.id)).toEqual([id]);
    expect((await req("GET", `/modules/${id}`)).json.digest).toBe(sha256(bytes));
  });
  test("a second module of the same name: 409", async () => {
    expectError(await req("POST", "/modules?name=sockex1", object("sockex1.o")), 409, /exists/);
  });
  test("names outside [A-Za-z0-9._-]{1,64}: 400", async () => {
    for (const name of ["", "a b", "a/b", "..", "x".repeat(65), "é"]) {
      expectError(await req("POST", `/modules?name=${encodeURIComponent(name)}`, object("sockex1.o")), 400, /name/);
    }
    expectError(await req("POST", "/modules", object("sockex1.o")), 400, /name=NAME/);
  });
  test("what does not load: 400 with the loader's one-line message", async () => {
    expectError(
      await req("POST", "/modules?name=text", new TextEncoder().encode("not an object")),
      400,
      /^text: not an ELF file/,
    );
    const cut = object("sockex1.o").slice(0, 200);
    expectError(await req("POST", "/modules?name=cut", cut), 400, /^cut: /);
    expectError(await req("POST", "/modules?name=empty", new Uint8Array(0)), 400, /empty/);
  });
  test("over 1 MiB: 413, and the daemon keeps answering", async () => {
    expectError(await req("POST", "/modules?name=big", new Uint8Array((1 << 20) + 1)), 413, /1048576/);
    expectError(await req("POST", "/modules?name=huge", new Uint8Array(20 << 20)), 413);
    expect((await req("GET", "/modules")).json).toHaveLength(1);
  });
  test("a bad budget: 400; unknown module: 404; wrong method: 405; unknown route: 404", async () => {
    expectError(await req("POST", "/modules?name=b&budget=0", object("sockex1.o")), 400, /budget/);
    expectError(await req("POST", "/modules?name=b&budget=x", object("sockex1.o")), 400, /budget/);
    expectError(await req("POST", "/modules?name=b&hist=nope", object("sockex1.o")), 400, /no map named 'nope'/);
    expectError(await req("GET", "/modules/000000000000"), 404, /no module/);
    expectError(await req("PATCH", `/modules/${id}`), 405);
    expectError(await req("GET", "/nothing/here"), 404);
  });
  test("DELETE /modules/{id}: 204, then gone", async () => {
    const r = await req("POST", "/modules?name=gone", object("sockex1.o"));
    expect((await req("DELETE", `/modules/${r.json.id}`)).status).toBe(204);
    expectError(await req("GET", `/modules/${r.json.id}`), 404);
  });
});

describe("tables", () => {
  let id: string;
  let maps: string;
  beforeAll(async () => {
    id = (await req("POST", "/modules?name=sock-tables", object("sockex1.o"))).json.id;
    maps = (await req("POST", "/modules?name=maps_all", object("maps_all.o"))).json.id;
  });
  test("the tables of a module, with their kinds and sizes", async () => {
    const r = await req("GET", `/modules/${id}/tables`);
    expect(r.json).toEqual([
      { name: "my_map", type: "array", keySize: 4, valueSize: 8, maxEntries: 256, perCpu: false, ncpus: 1 },
    ]);
  });
  test("entries after a pcap link: the capture's byte counts, in run --json's hex", async () => {
    const link = await req("POST", "/links", {
      module: id,
      program: "bpf_prog1",
      source: `pcap:${fixture("pcap/sockex1.pcap")}`,
    });
    expect(link.status).toBe(201);
    await until("the capture to run", async () =>
      (await req("GET", `/links/${link.json.id}`)).json.state === "done" ? true : undefined,
    );
    const totals = sockex1Totals();
    const entries = (await req("GET", `/modules/${id}/tables/my_map/entries`)).json;
    expect(entries).toEqual(totals.map((t, i) => ({ key: leHex(BigInt(i), 4), value: leHex(t, 8) })));
    expect((await req("GET", `/modules/${id}/tables/my_map/entries/06000000`)).json).toEqual({
      key: "06000000",
      value: leHex(totals[6], 8),
    });
  });
  test("hash map: NOEXIST, EXIST and delete as the kernel answers them", async () => {
    const e = `/modules/${maps}/tables/hash/entries`;
    expectError(await req("GET", `${e}/2a000000`), 404, /no entry/);
    expectError(await req("PUT", `${e}/2a000000`, { value: "0100000000000000", flags: "exist" }), 404, /ENOENT/);
    expect((await req("PUT", `${e}/2a000000`, { value: "0100000000000000", flags: "noexist" })).json).toEqual({
      key: "2a000000",
      value: "0100000000000000",
    });
    expectError(await req("PUT", `${e}/2a000000`, { value: "0200000000000000", flags: "noexist" }), 409, /EEXIST/);
    expect((await req("PUT", `${e}/2a000000`, { value: "0300000000000000", flags: 2 })).json.value).toBe(
      "0300000000000000",
    );
    expect((await req("PUT", `${e}/2a000000`, { value: "0400000000000000" })).json.value).toBe("0400000000000000");
    expect((await req("GET", e)).json).toEqual([{ key: "2a000000", value: "0400000000000000" }]);
    expect((await req("DELETE", `${e}/2a000000`)).status).toBe(204);
    expectError(await req("DELETE", `${e}/2a000000`), 404, /ENOENT/);
    expect((await req("GET", e)).json).toEqual([]);
  });
  test("array map: every index exists, none can be deleted, none past the end", async () => {
    const e = `/modules/${maps}/tables/array/entries`;
    expectError(await req("PUT", `${e}/00000000`, { value: "0100000000000000", flags: "noexist" }), 409, /EEXIST/);
    expect((await req("PUT", `${e}/03000000`, { value: "0500000000000000", flags: "exist" })).status).toBe(200);
    expectError(await req("PUT", `${e}/04000000`, { value: "0100000000000000" }), 400, /E2BIG/);
    expectError(await req("DELETE", `${e}/00000000`), 400, /EINVAL/);
  });
  test("per-CPU map: values as listed, one copy per CPU", async () => {
    const e = `/modules/${maps}/tables/pcpu_hash/entries`;
    expect((await req("PUT", `${e}/01000000`, { value: "0700000000000000" })).json).toEqual({
      key: "01000000",
      value: "0700000000000000",
    });
  });
  test("malformed keys, values, flags and bodies: 400; unknown map: 404", async () => {
    const e = `/modules/${maps}/tables/hash/entries`;
    expectError(await req("GET", `${e}/2a00`), 400, /key must be 4 bytes/);
    expectError(await req("GET", `${e}/zz000000`), 400, /not hex/);
    expectError(await req("PUT", `${e}/01000000`, { value: "01" }), 400, /value must be 8 bytes/);
    expectError(await req("PUT", `${e}/01000000`, { value: "0100000000000000", flags: "sometimes" }), 400, /flags/);
    expectError(await req("PUT", `${e}/01000000`, { flags: 0 }), 400, /"value"/);
    expectError(await req("PUT", `${e}/01000000`, "{not json"), 400, /JSON/);
    expectError(await req("PUT", `${e}/01000000`, "[1]"), 400, /JSON object/);
    expectError(await req("PUT", `${e}/01000000`, JSON.stringify({ value: "x".repeat(70_000) })), 413);
    expectError(await req("GET", `/modules/${maps}/tables/fifo/entries/00`), 400, /no keys/);
    expectError(await req("GET", `/modules/${maps}/tables/nope/entries`), 404, /no map 'nope'/);
    expectError(await req("GET", `/modules/${maps}/tables/%E0%A4%A/entries`), 400, /percent-encoding/);
  });
});

describe("limits", () => {
  test("headers over 8 KiB: 431 with a JSON error", async () => {
    const url = new URL(s.url);
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = request(
        { host: url.hostname, port: url.port, path: "/modules", headers: { "X-Big": "x".repeat(10_000) } },
        (res) => {
          let body = "";
          res.on("data", (d) => (body += d));
          res.on("end", () => resolve({ status: res.statusCode!, body }));
        },
      );
      r.on("error", reject);
      r.end();
    });
    expect(reply.status).toBe(431);
    expect(JSON.parse(reply.body)).toEqual({ error: "headers over 8192 bytes" });
  });
  test("a malformed request target: 400 with a JSON error", async () => {
    const { connect } = await import("node:net");
    const reply = await new Promise<string>((resolve) => {
      const c = connect(Number(new URL(s.url).port), "127.0.0.1", () =>
        c.write(`GET http://[x/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.token}\r\nConnection: close\r\n\r\n`),
      );
      let out = "";
      c.on("data", (d) => (out += d));
      c.on("close", () => resolve(out));
    });
    expect(reply.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
    expect(JSON.parse(reply.split("\r\n\r\n")[1])).toEqual({ error: "malformed request target" });
  });
  test("at most 32 event streams; the next one is a 503", async () => {
    const ctrl = new AbortController();
    const open = [];
    for (let i = 0; i < 32; i++) {
      const r = await fetch(s.url + "/events", {
        headers: { Authorization: `Bearer ${s.token}` },
        signal: ctrl.signal,
      });
      expect(r.status).toBe(200);
      open.push(r);
    }
    expectError(await req("GET", "/events"), 503, /too many event streams/);
    ctrl.abort();
    await until("the streams to close", async () => (s.daemon.events.size === 0 ? true : undefined));
    const again = await fetch(s.url + "/events", {
      headers: { Authorization: `Bearer ${s.token}` },
      signal: AbortSignal.timeout(200),
    }).catch(() => undefined);
    expect(again?.status).toBe(200);
  });
  test("--listen: HOST:PORT, [V6]:PORT or PORT; anything else is refused", () => {
    expect(parseListen("127.0.0.1:7878")).toEqual({ host: "127.0.0.1", port: 7878 });
    expect(parseListen("[::1]:80")).toEqual({ host: "::1", port: 80 });
    expect(parseListen("9000")).toEqual({ host: "127.0.0.1", port: 9000 });
    for (const bad of ["", "host", "1.2.3.4:", "1.2.3.4:70000", "::1:80", "a:b"])
      expect(() => parseListen(bad)).toThrow(/--listen takes HOST:PORT/);
  });
  test("the UI's files need no token; nothing else is served without it", async () => {
    expectError(await call(s.url, undefined, "GET", "/index.html"), 401);
    expectError(await call(s.url, undefined, "GET", "/ui/../token"), 401);
  });
});
