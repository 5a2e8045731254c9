// A device bundle made with --serve runs the daemon on its own: serve.sh starts it with its data next to the
// bundle, it takes an object, runs a capture through a link and answers for the tables what the capture itself
// says (and what `tinybpf run --json` says on the host), and serves its web UI from the bundle. With --arm32 its
// daemon builds the module's ARM32 executable itself and runs iface: links through it.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { brotliDecompressSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../../src/tools/bundle.js";
import { FIXTURES, ROOT } from "../support/paths.js";
import { call, leHex, sockex1Totals, until } from "../serve/daemon.js";

const OBJ = join(FIXTURES, "sockex1.o");
const PCAP = join(FIXTURES, "pcap", "sockex1.pcap");

interface Started {
  child: ChildProcess;
  url: string;
  token: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** serve.sh of a bundle, on a free port, once the daemon says it listens. */
function startServeSh(dir: string): Promise<Started> {
  const child = spawn(join(dir, "serve.sh"), ["--listen", "127.0.0.1:0"], {
    cwd: tmpdir(),
    env: { ...process.env, NODE: process.execPath },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bundle's daemon did not start: ${out}`)), 60_000);
    void exited.then((code) => reject(new Error(`the bundle's daemon exited with ${code}: ${out}`)));
    child.stdout!.on("data", () => {
      const m = /restored/.test(out) && /listening on (http:\/\/\S+), data in (\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const token = readFileSync(join(m[2], "token"), "utf8").trim();
      resolve({ child, url: m[1], token, output: () => out, exited });
    });
  });
}

describe("bundle --serve", () => {
  let work: string;
  let dir: string;
  let files: string[];
  let daemon: Started | undefined;

  beforeAll(() => {
    for (const needed of ["bin/tinybpf.js", "dist/src/tools/bundle.js", "build/core.wasm"]) {
      if (!existsSync(join(ROOT, needed))) throw new Error(`${needed} is missing: run 'npm run build' first`);
    }
    work = mkdtempSync(join(tmpdir(), "tinybpf-bundle-serve-"));
    dir = join(work, "device");
    files = bundle([OBJ], dir, { serve: true });
  }, 120_000);
  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) {
      daemon.child.kill("SIGKILL");
      await daemon.exited;
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("holds the daemon's web UI and serve.sh next to the CLI, run.sh and the object", () => {
    expect(files).toEqual([
      "bin/tinybpf.js",
      "bin/tinybpf.mjs.br",
      "bin/ui/app.css.br",
      "bin/ui/app.js.br",
      "bin/ui/index.html.br",
      "build/core.wasm.br",
      "build/wasm-translator.wasm.br",
      "package.json",
      "run.sh",
      "serve.sh",
      "sockex1.o",
    ]);
    // stored compressed, as the CLI is
    const shipped = (ui: string) => brotliDecompressSync(readFileSync(join(dir, "bin", "ui", ui + ".br"))).toString();
    const source = (ui: string) => readFileSync(join(ROOT, "src", "serve", "ui", ui), "utf8");
    expect(shipped("index.html")).toBe(source("index.html"));
    // the script and the style go minified: smaller, still valid, still naming the API's paths
    for (const ui of ["app.css", "app.js"]) expect(shipped(ui).length, ui).toBeLessThan(source(ui).length * 0.8);
    expect(() => new Function(shipped("app.js"))).not.toThrow();
    for (const path of ["/modules", "/links", "/events"]) expect(shipped("app.js")).toContain(path);
  });

  it("starts the daemon, which loads an object, runs a capture through a link and shows the table", async () => {
    daemon = await startServeSh(dir);
    expect(daemon.output()).toContain(`data in ${join(dir, "data")}`);
    const req = (method: string, path: string, body?: unknown) => call(daemon!.url, daemon!.token, method, path, body);

    const ui = await call(daemon.url, undefined, "GET", "/");
    expect(ui.status).toBe(200);
    expect(ui.text).toBe(readFileSync(join(ROOT, "src", "serve", "ui", "index.html"), "utf8"));
    // the script and the style come inflated from their .br files: the minified text, as a browser needs it
    for (const name of ["app.js", "app.css"]) {
      const r = await call(daemon.url, undefined, "GET", `/${name}`);
      expect(r.status, name).toBe(200);
      expect(r.text, name).toBe(brotliDecompressSync(readFileSync(join(dir, "bin", "ui", `${name}.br`))).toString());
    }

    const mod = await req("POST", "/modules?name=sockex1", new Uint8Array(readFileSync(join(dir, "sockex1.o"))));
    expect(mod.status, mod.text).toBe(201);
    const link = await req("POST", "/links", { module: mod.json.id, program: "bpf_prog1", source: `pcap:${PCAP}` });
    expect(link.status, link.text).toBe(201);
    await until("the link to finish its capture", async () => {
      const l = await req("GET", `/links/${link.json.id}`);
      return l.json.state === "done" ? l.json : undefined;
    });

    const entries = await req("GET", `/modules/${mod.json.id}/tables/my_map/entries`);
    expect(entries.status).toBe(200);
    // an array map lists every index: my_map[protocol] = bytes, computed here from the capture
    const expected = sockex1Totals().map((v, i) => ({ key: leHex(BigInt(i), 4), value: leHex(v, 8) }));
    expect(entries.json).toEqual(expected);
    // and what the host's CLI says for one pass over the same capture
    const host = JSON.parse(
      execFileSync(process.execPath, [join(ROOT, "bin", "tinybpf.js"), "run", OBJ, "--pcap", PCAP, "--json"], {
        encoding: "utf8",
      }),
    );
    expect(entries.json).toEqual(host.maps.my_map);
    // a bundle made without --trace carries no script compiler, and its daemon says so
    const script = await req("POST", "/modules", { name: "s", script: "packet { @n = count(); }" });
    expect([script.status, script.json.error]).toEqual([
      501,
      "this daemon has no script compiler (a device bundle made without --trace)",
    ]);
    // nor the ARM32 translator: an iface: link cannot ask for the module's executable
    const native = await req("POST", "/links", {
      module: mod.json.id,
      program: "bpf_prog1",
      source: "iface:lo",
      via: "native",
    });
    expect([native.status, native.json.error]).toEqual([
      400,
      "iface link via native: this daemon cannot build ARM32 executables (a device bundle made without --arm32)",
    ]);
  }, 120_000);

  it("stops on SIGTERM with status 0", async () => {
    if (!daemon) throw new Error("the daemon did not start");
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  }, 60_000);

  it("with no object, carries the daemon alone", () => {
    const alone = join(work, "alone");
    const got = bundle([], alone, { serve: true, engines: ["interp"] });
    expect(got).toContain("serve.sh");
    expect(got).not.toContain("run.sh");
    const r = execFileSync(process.execPath, [join(alone, "bin", "tinybpf.js"), "--help"], { encoding: "utf8" });
    expect(r).toMatch(/^ {2}serve \[--listen HOST:PORT\] \[--data DIR\]/m);
    expect(r).not.toMatch(/^ {2}modules /m);
  });
});

describe("bundle --serve --arm32", () => {
  let work: string;
  let daemon: Started | undefined;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "tinybpf-bundle-arm32-"));
  });
  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) {
      daemon.child.kill("SIGKILL");
      await daemon.exited;
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("is refused without --serve", () => {
    expect(() => bundle([OBJ], join(work, "no"), { arm32: true })).toThrow("bundle: --arm32 goes with --serve");
  });

  it("carries the ARM32 translator compressed; its daemon runs an iface: link through the module's executable", async (ctx) => {
    const dir = join(work, "device");
    const files = bundle([], dir, { serve: true, arm32: true });
    expect(files).toContain("build/arm32.wasm.br");
    expect(files).not.toContain("build/arm32.wasm");
    expect(brotliDecompressSync(readFileSync(join(dir, "build", "arm32.wasm.br")))).toEqual(
      readFileSync(join(ROOT, "build", "arm32.wasm")),
    );
    daemon = await startServeSh(dir);
    const req = (method: string, path: string, body?: unknown) => call(daemon!.url, daemon!.token, method, path, body);
    const mod = await req("POST", "/modules?name=sockex1", new Uint8Array(readFileSync(OBJ)));
    const link = await req("POST", "/links", { module: mod.json.id, program: "bpf_prog1", source: "iface:lo" });
    if (link.status === 400 && /qemu-arm/.test(link.json.error)) return ctx.skip(link.json.error);
    expect(link.json).toMatchObject({ via: "native", state: "running" });
    // the executable was built on the "device" (from the compressed translator) and started; where raw sockets
    // are not allowed it fails saying so
    const l = await until("a snapshot or the link's failure", async () => {
      const got = (await req("GET", `/links/${link.json.id}`)).json;
      return got.state === "failed" || got.lastR0 !== null ? got : undefined; // lastR0: from the first snapshot
    });
    if (l.state === "failed") expect(l.error).toBe("raw sockets are not permitted here");
    else expect(l).toMatchObject({ state: "running", error: null });
    expect(readdirSync(join(dir, "data", "executables"))).toHaveLength(1);
  }, 120_000);
});
