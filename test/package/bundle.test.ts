// bundle(): the directory that goes on a device holds the minified CLI (stored compressed by default), the core,
// the eBPF->Wasm translator and nothing else of tinybpf's, and works on its own.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeviceCli, bundle, listBundle, WORKSTATION_COMMANDS } from "../../src/tools/bundle.js";
import { FIXTURES, ROOT } from "../support/paths.js";

const OBJ = join(FIXTURES, "sockex1.o");
const PCAP = join(FIXTURES, "pcap", "sockex1.pcap");
const TINY = join(ROOT, "build", "core-tiny.wasm");

function hostRun(obj: string, extra: string[] = []): string {
  return execFileSync(
    process.execPath,
    [join(ROOT, "bin", "tinybpf.js"), "run", obj, "--pcap", PCAP, "--json", ...extra],
    { encoding: "utf8" },
  );
}

/** Runs a bundle's run.sh from another directory, with this node. */
function runSh(dir: string, args: string[], cwd: string) {
  return spawnSync(join(dir, "run.sh"), args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NODE: process.execPath },
  });
}

describe("bundle", () => {
  let work: string;
  let out: string;
  let files: string[];

  beforeAll(() => {
    for (const needed of [
      "bin/tinybpf.js",
      "dist/src/cli/main.js",
      "dist/src/tools/bundle.js",
      "build/core.wasm",
      "build/wasm-translator.wasm",
    ]) {
      if (!existsSync(join(ROOT, needed))) throw new Error(`${needed} is missing: run 'npm run build' first`);
    }
    if (!existsSync(TINY)) execFileSync(process.execPath, [join(ROOT, "scripts", "build-tiny.mjs")], { cwd: ROOT });
    work = mkdtempSync(join(tmpdir(), "tinybpf-bundle-"));
    out = join(work, "device");
    files = bundle(OBJ, out);
  }, 120_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("returns what it wrote", () => {
    expect(listBundle(out)).toEqual(files);
  });

  it("holds the compressed CLI and its loader, the core, the translator, the object, package.json and run.sh", () => {
    expect(files).toEqual([
      "bin/tinybpf.js",
      "bin/tinybpf.mjs.br",
      "build/core.wasm.br",
      "build/wasm-translator.wasm.br",
      "package.json",
      "run.sh",
      "sockex1.o",
    ]);
    for (const file of ["build/core.wasm", "build/wasm-translator.wasm"]) {
      const stored = readFileSync(join(out, file + ".br"));
      expect(brotliDecompressSync(stored).equals(readFileSync(join(ROOT, file))), file).toBe(true);
      expect(stored.length, file).toBeLessThan(statSync(join(ROOT, file)).size / 2);
    }
    expect(readFileSync(join(out, "sockex1.o")).equals(readFileSync(OBJ))).toBe(true);
    const loader = readFileSync(join(out, "bin", "tinybpf.js"), "utf8");
    expect(loader.startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(loader.length).toBeLessThan(1024);
    const cli = brotliDecompressSync(readFileSync(join(out, "bin", "tinybpf.mjs.br"))).toString();
    // One self-contained module: it imports only Node's own modules.
    const imports = [...cli.matchAll(/\bfrom\s*"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)|\bimport\s*"([^"]+)"/g)].map(
      (m) => m[1] ?? m[2] ?? m[3],
    );
    expect(
      imports.filter((s) => !s.startsWith("node:")),
      "imports that are not Node built-ins",
    ).toEqual([]);
    // Minified: far fewer lines than the modules it was made from.
    expect(cli.split("\n").length).toBeLessThan(100);
    expect(statSync(join(out, "bin", "tinybpf.js")).mode & 0o111).not.toBe(0);
  });

  it("leaves out the workstation's code: commands, help texts, the ARM32 engine, the script compiler, the daemon", () => {
    const paths = buildDeviceCli().modules.map((m) => m.path);
    expect(paths).toContain("dist/src/cli/device-main.js");
    expect(paths).toContain("dist/src/engines/wasm.js");
    const workstation = paths.filter((p) =>
      /^dist\/(src\/(tools\/(asm|disasm|conformance|bundle)|cli\/(main|help-text|serve|trace|disasm-object|executable-output)|engines\/arm32\/build|trace|serve|fuzz)|targets|assembly\/arm32)/.test(
        p,
      ),
    );
    expect(workstation).toEqual([]);
    // with --trace and --serve, their code comes in
    const both = buildDeviceCli({ trace: true, serve: true }).modules;
    for (const p of ["dist/src/trace/compile.js", "dist/src/serve/server.js", "dist/src/cli/serve-daemon.js"]) {
      expect(both.map((m) => m.path)).toContain(p);
    }
    // the daemon's client commands are left out: a stand-in that throws
    const client = both.find((m) => m.path === "dist/src/cli/serve-client.js");
    expect(client?.bytes).toBeLessThan(300);
    expect(both.find((m) => m.path === "dist/src/serve/server.js")?.bytes).toBeGreaterThan(3000);
  });

  it("has a package.json for ES modules without dependencies or scripts", () => {
    const pkg = JSON.parse(readFileSync(join(out, "package.json"), "utf8"));
    expect(pkg.type).toBe("module");
    expect(pkg.bin).toEqual({ tinybpf: "bin/tinybpf.js" });
    for (const key of ["dependencies", "devDependencies", "scripts", "files"]) expect(pkg, key).not.toHaveProperty(key);
  });

  it("runs from the bundle alone, as the package does", () => {
    const other = join(work, "elsewhere");
    mkdirSync(other, { recursive: true });
    const r = runSh(out, ["--pcap", PCAP, "--json"], other);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(hostRun(OBJ)));
    expect(statSync(join(out, "run.sh")).mode & 0o111).not.toBe(0);
  });

  it("answers info as the package does", () => {
    const device = execFileSync(process.execPath, [join(out, "bin", "tinybpf.js"), "info", join(out, "sockex1.o")], {
      encoding: "utf8",
    });
    const host = execFileSync(process.execPath, [join(ROOT, "bin", "tinybpf.js"), "info", join(out, "sockex1.o")], {
      encoding: "utf8",
    });
    expect(device).toBe(host);
  });

  it("answers COMMAND --help with the command's lines of its --help, and nothing after them", () => {
    const r = spawnSync(process.execPath, [join(out, "bin", "tinybpf.js"), "info", "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      `usage: tinybpf info OBJ\n${" ".repeat(48)}sections, programs, maps, global data, BTF types\n`,
    );
  });

  it("names what was wrong in one line when the CLI is asked for an impossible bundle", () => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "bin", "tinybpf.js"), "bundle", OBJ, "-o", join(work, "never"), "--engines", "wasm"],
      { encoding: "utf8" },
    );
    expect([r.status, r.stdout, r.stderr]).toEqual([
      1,
      "",
      "tinybpf bundle: the engines must include interp (every bundle has it)\n",
    ]);
    expect(existsSync(join(work, "never"))).toBe(false);
  });

  it("answers the workstation commands with a one-line error", () => {
    for (const command of [...WORKSTATION_COMMANDS, "trace", "serve"]) {
      const r = spawnSync(process.execPath, [join(out, "bin", "tinybpf.js"), command, "x"], { encoding: "utf8" });
      expect(r.status, command).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        `tinybpf ${command}: not in this device bundle (it runs on a workstation with the tinybpf package)\n`,
      );
    }
  });

  it("runs the Wasm engine, with the host's results", () => {
    const r = runSh(out, ["--pcap", PCAP, "--json", "--engine", "wasm"], work);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(hostRun(OBJ, ["--engine", "wasm"])));
  });

  it("with --engines interp, has the interpreter alone and no translator", () => {
    const dir = join(work, "interp");
    expect(bundle(OBJ, dir, { engines: ["interp"] }).filter((f) => f.includes("wasm-translator"))).toEqual([]);
    const r = runSh(dir, ["--pcap", PCAP, "--engine", "wasm"], work);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tinybpf run: unknown engine 'wasm' \(available: interp, auto\)\n$/);
    const ok = runSh(dir, ["--pcap", PCAP, "--json"], work);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual(JSON.parse(hostRun(OBJ, ["--engine", "interp"])));
  });

  it("stores the CLI as it is on request, with the same results", () => {
    const dir = join(work, "plain");
    const files = bundle(OBJ, dir, { compress: false });
    expect(files).not.toContain("bin/tinybpf.mjs.br");
    expect(files).toEqual(expect.arrayContaining(["build/core.wasm", "build/wasm-translator.wasm"]));
    for (const file of ["build/core.wasm", "build/wasm-translator.wasm"])
      expect(readFileSync(join(dir, file)).equals(readFileSync(join(ROOT, file))), file).toBe(true);
    const cli = readFileSync(join(dir, "bin", "tinybpf.js"), "utf8");
    expect(cli.startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(cli.length).toBeGreaterThan(20_000);
    const r = runSh(dir, ["--pcap", PCAP, "--json"], work);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(hostRun(OBJ)));
    // the daemon's web UI goes as it is too
    const serve = bundle([], join(work, "plain-serve"), { serve: true, compress: false }).filter((f) =>
      f.includes("ui/"),
    );
    expect(serve).toEqual(["bin/ui/app.css", "bin/ui/app.js", "bin/ui/index.html"]);
  });

  it("says in one line when the compressed CLI is missing", () => {
    const dir = join(work, "broken");
    bundle(OBJ, dir);
    unlinkSync(join(dir, "bin", "tinybpf.mjs.br"));
    const r = spawnSync(process.execPath, [join(dir, "bin", "tinybpf.js"), "info", OBJ], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tinybpf: cannot read \S+\/bin\/tinybpf\.mjs\.br: ENOENT[^\n]*\n$/);
  });

  it("carries several objects; run.sh runs the one named first", () => {
    const dir = join(work, "several");
    const xdp = join(FIXTURES, "xdp.o");
    expect(bundle([OBJ, xdp], dir, { engines: ["interp"] })).toEqual(
      expect.arrayContaining(["run.sh", "sockex1.o", "xdp.o"]),
    );
    const r = runSh(dir, ["sockex1.o", "--pcap", PCAP, "--json"], work);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(hostRun(OBJ)));
    const none = runSh(dir, [], work);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^usage: .*run\.sh OBJ .*\(OBJ: sockex1\.o, xdp\.o\)\n$/);
  });

  it("with the tiny core, runs sockex1 over the sample capture with the full core's result", () => {
    const dir = join(work, "tiny");
    bundle(OBJ, dir, { core: "tiny", engines: ["interp"] });
    expect(brotliDecompressSync(readFileSync(join(dir, "build", "core.wasm.br"))).equals(readFileSync(TINY))).toBe(
      true,
    );
    const r = runSh(dir, ["--pcap", PCAP, "--json"], work);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(hostRun(OBJ, ["--engine", "interp"])));
  });

  it("with the tiny core, refuses a map type it does not have, naming the map", () => {
    const dir = join(work, "tiny-maps");
    bundle(join(FIXTURES, "maps_all.o"), dir, { core: "tiny", engines: ["interp"] });
    const host = spawnSync(process.execPath, [join(ROOT, "bin", "tinybpf.js"), "info", join(FIXTURES, "maps_all.o")], {
      encoding: "utf8",
    });
    expect(host.stdout).toMatch(/outer_array +array_of_maps/);
    const r = spawnSync(
      process.execPath,
      [join(dir, "bin", "tinybpf.js"), "run", join(dir, "maps_all.o"), "--prog", "touch_arrays", "--json"],
      { encoding: "utf8" },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    // The first map outside the tiny core's families is the ARRAY_OF_MAPS (type 12); creating it gives EINVAL.
    expect(r.stderr).toMatch(/^tinybpf run: map 'outer_array': cannot create \(type 12, .*\): errno 22\n$/);
  });

  it("replaces an earlier bundle", () => {
    const again = join(work, "again");
    bundle(OBJ, again);
    writeFileSync(join(again, "stale.txt"), "left from before");
    const second = bundle(OBJ, again, { core: "tiny" });
    expect(listBundle(again)).toEqual(second);
  });

  it("refuses a directory that holds something else, a missing object and unknown options", () => {
    const busy = join(work, "busy");
    mkdirSync(busy);
    writeFileSync(join(busy, "notes.txt"), "mine");
    expect(() => bundle(OBJ, busy)).toThrow(/not empty/);
    expect(readFileSync(join(busy, "notes.txt"), "utf8")).toBe("mine");
    expect(() => bundle(join(work, "missing.o"), join(work, "x"))).toThrow(/no such file/);
    expect(() => bundle(OBJ, ROOT)).toThrow(/overwrite the package/);
    expect(() => bundle(OBJ, join(work, "y"), { core: "small" as never })).toThrow(/unknown core 'small'/);
    expect(() => bundle(OBJ, join(work, "z"), { engines: ["arm32" as never] })).toThrow(/unknown engine 'arm32'/);
    expect(() => bundle(OBJ, join(work, "z"), { engines: ["wasm"] })).toThrow(/must include interp/);
    expect(() => bundle([], join(work, "z"))).toThrow(/no object given \(or --serve/);
    expect(() => bundle([OBJ, OBJ], join(work, "z"))).toThrow(/two objects are called sockex1\.o/);
    const odd = join(work, 'a"$(id).o');
    writeFileSync(odd, readFileSync(OBJ));
    expect(() => bundle(odd, join(work, "z"))).toThrow(/name may hold letters, digits/);
    expect(existsSync(join(work, "z"))).toBe(false);
  });
});
