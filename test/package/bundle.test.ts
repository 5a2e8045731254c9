// bundle(): the directory that goes on a device holds the minified CLI, the core and nothing else of tinybpf's,
// and works on its own.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle, listBundle, WORKSTATION_COMMANDS } from "../../src/tools/bundle.js";
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

  it("holds the minified CLI, the core, the object, package.json and run.sh, nothing else", () => {
    expect(files).toEqual(["bin/tinybpf.js", "build/core.wasm", "package.json", "run.sh", "sockex1.o"]);
    expect(readFileSync(join(out, "build", "core.wasm")).equals(readFileSync(join(ROOT, "build", "core.wasm")))).toBe(
      true,
    );
    expect(readFileSync(join(out, "sockex1.o")).equals(readFileSync(OBJ))).toBe(true);
    const cli = readFileSync(join(out, "bin", "tinybpf.js"), "utf8");
    expect(cli.startsWith("#!/usr/bin/env node\n")).toBe(true);
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

  it("answers the workstation commands with a one-line error", () => {
    for (const command of WORKSTATION_COMMANDS) {
      const r = spawnSync(process.execPath, [join(out, "bin", "tinybpf.js"), command, "x"], { encoding: "utf8" });
      expect(r.status, command).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        `tinybpf ${command}: not in this device bundle (it runs on a workstation with the tinybpf package)\n`,
      );
    }
  });

  it("has only the interpreter unless the Wasm engine is asked for", () => {
    const r = runSh(out, ["--pcap", PCAP, "--engine", "wasm"], work);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tinybpf run: unknown engine 'wasm' \(available: interp, auto\)\n$/);
  });

  it("carries the Wasm engine on request, with the same results", () => {
    const dir = join(work, "wasm");
    const got = bundle(OBJ, dir, { engines: ["interp", "wasm"] });
    expect(got).toEqual([
      "bin/tinybpf.js",
      "build/core.wasm",
      "build/wasm-translator.wasm",
      "package.json",
      "run.sh",
      "sockex1.o",
    ]);
    const r = runSh(dir, ["--pcap", PCAP, "--json", "--engine", "wasm"], work);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(hostRun(OBJ, ["--engine", "wasm"])));
  });

  it("with the tiny core, runs sockex1 over the sample capture with the full core's result", () => {
    const dir = join(work, "tiny");
    bundle(OBJ, dir, { core: "tiny" });
    expect(readFileSync(join(dir, "build", "core.wasm")).equals(readFileSync(TINY))).toBe(true);
    const r = runSh(dir, ["--pcap", PCAP, "--json"], work);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(hostRun(OBJ, ["--engine", "interp"])));
  });

  it("with the tiny core, refuses a map type it does not have, naming the map", () => {
    const dir = join(work, "tiny-maps");
    bundle(join(FIXTURES, "maps_all.o"), dir, { core: "tiny" });
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
  });
});
